"""Visible-markup heuristics for the page's main product when structured data and selectors say nothing.

Price: elements whose class/id/itemprop names a price, closest after the h1, not struck through, not per-unit;
old price: struck-through or "old/was" elements next to it; availability: stock labels and buy buttons.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import html

from extractors import availability
from extractors.phrases import OLD_PRICE_TOKENS, OLD_PRICE_WORDS, PRICE_HINTS, PRICE_NOISE_HINTS, STRIKE_TAGS
from extractors.prices import Context, ParsedPrice, find_sign, iso_currency, parse_price

MAX_CANDIDATES = 400
MAX_PRICE_TEXT = 60  # a price element's text is short; longer text is a block that merely contains prices
MAX_CHILDREN = 12  # a "price" container with more children is a listing block, not a price tag
SKIP_ANCESTORS = frozenset({"nav", "footer", "header", "aside", "script", "style", "noscript", "template", "select",
                            "option", "form", "button"})
NOT_CONTENT = frozenset({"script", "style", "meta", "link", "input", "body", "html", "head", "title", "img", "svg"})
HIDDEN_CLASSES = frozenset({"hidden", "a-hidden", "d-none", "hide", "is-hidden", "visually-hidden", "sr-only",
                            "aok-hidden"})
_PRICE_RE = re.compile("|".join(PRICE_HINTS))
_STOCK_RE = re.compile(r"stock|avail|nalich|lager|verfueg|dispon|delivery-status")
_DIGIT = re.compile(r"\d")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_NOISE_RE = re.compile("|".join(PRICE_NOISE_HINTS))
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")


@dataclass(frozen=True, slots=True)
class VisiblePrice:
    price: ParsedPrice
    old_price: Decimal | None


@dataclass(slots=True)
class _Scan:
    """One pass over the tree: document positions of the h1 and of price- and stock-named elements."""

    anchor: int = 0
    heading: str | None = None
    prices: list[tuple[int, html.HtmlElement]] = field(default_factory=list)
    stocks: list[tuple[int, html.HtmlElement]] = field(default_factory=list)


def _attrs(el: html.HtmlElement) -> str:
    return " ".join(str(el.get(a) or "") for a in ("class", "id", "itemprop", "data-testid")).lower()


def _hidden(el: html.HtmlElement) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    if _HIDDEN_STYLE.search(el.get("style") or ""):
        return True
    return bool(HIDDEN_CLASSES.intersection((el.get("class") or "").split()))


def _scan(tree: html.HtmlElement) -> _Scan:
    scan = _Scan()
    skipped: set[html.HtmlElement] = set()
    for pos, el in enumerate(tree.iter()):
        tag = el.tag
        if not isinstance(tag, str):
            continue
        parent = el.getparent()
        if parent is not None and parent in skipped:
            skipped.add(el)
            continue
        if tag in SKIP_ANCESTORS or _hidden(el):
            skipped.add(el)
            continue
        if tag == "h1" and scan.heading is None:
            label = _element_text(el)
            if len(label) > 2:
                scan.anchor, scan.heading = pos, label[:500]
        if tag in NOT_CONTENT or len(el) > MAX_CHILDREN:
            continue
        attrs = _attrs(el)
        if not attrs.strip():
            continue
        if _PRICE_RE.search(attrs) and len(scan.prices) < MAX_CANDIDATES:
            scan.prices.append((pos, el))
        elif _STOCK_RE.search(attrs) and len(scan.stocks) < MAX_CANDIDATES:
            scan.stocks.append((pos, el))
    return scan


def _says_old(attrs: str) -> bool:
    if OLD_PRICE_TOKENS.intersection(_TOKEN_SPLIT.split(attrs)):
        return True
    compact = attrs.replace("-", "").replace("_", "")
    return any(word in compact for word in OLD_PRICE_WORDS)


def _struck(el: html.HtmlElement, levels: int = 3) -> bool:
    """Inside <s>/<del>/<strike> or an element whose class says old/was/strike (a few levels up)."""
    node: html.HtmlElement | None = el
    for _ in range(levels):
        if node is None or not isinstance(node.tag, str):
            return False
        if node.tag in STRIKE_TAGS or _says_old(_attrs(node)) or "line-through" in (node.get("style") or ""):
            return True
        node = node.getparent()
    return False


def _element_text(el: html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def visible_price(tree: html.HtmlElement, context: Context, separator: str | None,
                  scan: _Scan | None = None) -> VisiblePrice | None:
    """The main product's price as shown: the nearest price-named element after (else before) the h1."""
    scan = scan or _scan(tree)
    anchor = scan.anchor
    best: tuple[tuple[int, int, int], int, ParsedPrice] | None = None
    olds: list[tuple[int, Decimal]] = []
    named = {el for _pos, el in scan.prices}
    for pos, el in scan.prices:
        if any(d in named and not _struck(d, 1) for d in el.iterdescendants()):
            continue  # a wrapper around price elements (old and new together): read the inner ones
        raw = _element_text(el) or (el.get("content") or "")
        if not raw or len(raw) > MAX_PRICE_TEXT or not _DIGIT.search(raw):
            continue
        parsed = parse_price(raw, decimal_separator=separator, context=context)
        if parsed.amount is None or parsed.amount == 0:
            continue
        if _struck(el):
            olds.append((pos, parsed.amount))
            continue
        if _NOISE_RE.search(_attrs(el)):
            continue
        # after the h1 beats before it; a price with a currency sign beats a bare number; then the nearest
        rank = (0 if pos >= anchor else 1, 0 if parsed.sign else 1, abs(pos - anchor))
        if best is None or rank < best[0]:
            best = (rank, pos, parsed)
    if best is None:
        return None
    pos = best[1]
    near_old = [amount for p, amount in olds if abs(p - pos) < 40 and amount > (best[2].amount or 0)]
    return VisiblePrice(best[2], near_old[0] if near_old else None)


def visible_availability(tree: html.HtmlElement, scan: _Scan | None = None) -> str | None:
    """A stock label ("Out of stock", "нет в наличии", "auf Lager") in a stock-named element nearest the h1."""
    scan = scan or _scan(tree)
    for _pos, el in sorted(scan.stocks, key=lambda item: (item[0] < scan.anchor, abs(item[0] - scan.anchor))):
        label = _element_text(el)
        if label and len(label) < 200:
            state = availability.from_text(label)
            if state:
                return state
    return None


def scan_page(tree: html.HtmlElement) -> _Scan:
    return _scan(tree)


def page_currency(tree: html.HtmlElement, context: Context) -> str | None:
    """The currency most price-named elements of the page show (for a price written without one)."""
    counts: dict[str, int] = {}
    for _pos, el in scan_page(tree).prices[:100]:
        raw = _element_text(el)
        if raw and len(raw) <= MAX_PRICE_TEXT:
            code = iso_currency(find_sign(raw), context)
            if code:
                counts[code] = counts.get(code, 0) + 1
    return max(counts, key=lambda code: counts[code]) if counts else None
