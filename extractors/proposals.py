"""Selectors to paste into a source's config, for a page that shows prices no rule read (`dossier try`).

The elements are those a person would point at: every short text that reads as an amount with a currency (its
sign or code) is a shown price; a run of sibling blocks, each holding such a price and a link, is a listing (one
card per product, as extractors/product_list.py finds them by price-named elements); else the price nearest
after the h1 is the page's own. Each element gets the shortest CSS selector, from its stable classes, id or
attributes, that picks it (within its card, for a listing) and nothing before it; a proposal is kept only when
extract_products, given it, reads priced products with it.
"""
from __future__ import annotations

import re
from typing import Any

from lxml import html

from extractors.document import Document, as_document
from extractors.phrases import STRIKE_TAGS
from extractors.prices import Context, parse_price
from extractors.repeats import repeated_ancestor

MAX_PRICE_TEXT = 40
MAX_LEVELS = 4
# a class or id a template keeps from page to page: letters, - and _ (hashed CSS-in-JS names carry digits)
_STABLE = re.compile(r"^[A-Za-z][A-Za-z_-]*[A-Za-z]$")
_STATE = frozenset({"active", "selected", "hidden", "visible", "open", "first", "last", "odd", "even", "clearfix",
                    "row", "col", "container"})
_IDENTITY_ATTRIBUTES = ("itemprop", "data-role", "data-testid", "data-test", "data-qa", "data-hook", "role")


def shown_prices(document: Document | str | bytes, url: str = "") -> list[html.HtmlElement]:
    """Elements whose own short text is an amount with a currency sign or code (struck ones left out), in
    document order."""
    document = as_document(document, url or "https://example.invalid/")
    tree = document.tree
    if tree is None:
        return []
    context = Context.of(document.url)
    found = []
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "noscript", "option", "title") or \
                el.tag in STRIKE_TAGS or _struck(el):
            continue
        text = " ".join(el.text_content().split())
        if not text or len(text) > MAX_PRICE_TEXT or not any(c.isdigit() for c in text):
            continue
        if any(len(" ".join(child.text_content().split())) == len(text) for child in el if isinstance(child.tag, str)):
            continue  # a wrapper of one price element: its child is the element
        parsed = parse_price(text, context=context)
        if parsed.amount and parsed.sign:
            found.append(el)
    inner = set(found)
    return [el for el in found if not any(d in inner for d in el.iterdescendants())]  # the price, not its card


def propose_selectors(body: Document | str | bytes, url: str) -> dict[str, str] | None:
    """{product?, name, price} selectors reading the prices the page shows, or None when it shows none (or none
    that a selector could read)."""
    from extractors.products import extract_products  # products.py imports this module's callers' helpers

    document = as_document(body, url)
    prices = shown_prices(document)
    if not prices:
        return None
    for proposal in (_listing(prices), _single(document, prices)):
        if proposal and any(p.price is not None for p in extract_products(document, url, proposal)):
            return proposal
    return None


def _listing(prices: list[html.HtmlElement]) -> dict[str, str] | None:
    groups: dict[tuple[Any, ...], list[tuple[html.HtmlElement, html.HtmlElement]]] = {}
    for price in prices:
        found = repeated_ancestor(price, _signature, _card_like)
        if found is not None:
            groups.setdefault(found[0], []).append((found[1], price))
    runs = [pairs for pairs in groups.values() if len({card for card, _ in pairs}) >= 2]
    if not runs:
        return None
    pairs = max(runs, key=len)
    cards = list(dict.fromkeys(card for card, _ in pairs))
    first_card, first_price = pairs[0]
    card_selector = _selector_of_all(cards)
    price_selector = _within(first_price, first_card)
    name_el = _name_element(first_card)
    if card_selector is None or price_selector is None:
        return None
    proposal = {"product": card_selector, "price": price_selector}
    name_selector = _within(name_el, first_card) if name_el is not None else None
    if name_selector:
        proposal["name"] = name_selector
    return proposal


def _single(document: Document, prices: list[html.HtmlElement]) -> dict[str, str] | None:
    tree = document.tree
    headings = tree.xpath("//h1")
    after = prices
    if headings:
        order = {el: i for i, el in enumerate(tree.iter())}
        anchor = order.get(headings[0], 0)
        after = [el for el in prices if order.get(el, 0) >= anchor] or prices
    selector = _within(after[0], tree)
    if selector is None:
        return None
    proposal = {"price": selector}
    if len(headings) == 1:
        proposal["name"] = "h1"
    return proposal


def _struck(el: html.HtmlElement) -> bool:
    node = el.getparent()
    for _ in range(2):
        if node is None:
            return False
        if node.tag in STRIKE_TAGS:
            return True
        node = node.getparent()
    return False


def _signature(el: html.HtmlElement) -> tuple[str, str]:
    classes = (el.get("class") or "").split()
    return el.tag, classes[0] if classes else ""


def _card_like(node: html.HtmlElement) -> bool:
    return next(node.iter("a"), None) is not None


def _name_element(card: html.HtmlElement) -> html.HtmlElement | None:
    for el in card.iter("h2", "h3", "h4", "h5", "h6"):
        if " ".join(el.text_content().split()):
            return el
    links = [a for a in card.iter("a") if " ".join(a.text_content().split())]
    return max(links, key=lambda a: len(a.text_content())) if links else None


def _stable_classes(el: html.HtmlElement) -> list[str]:
    return [c for c in (el.get("class") or "").split() if _STABLE.match(c) and c.lower() not in _STATE]


def _simple_selectors(el: html.HtmlElement, with_id: bool = True) -> list[str]:
    """Candidates for the element alone, most telling first: its id, its stable classes, an identity attribute,
    its tag."""
    out = []
    element_id = el.get("id")
    if with_id and element_id and _STABLE.match(element_id):
        out.append(f"#{element_id}")
    classes = _stable_classes(el)
    if classes:
        out.append(f"{el.tag}.{classes[0]}")
        if len(classes) > 1:
            out.append(f"{el.tag}." + ".".join(classes[:3]))
    for attribute in _IDENTITY_ATTRIBUTES:
        value = el.get(attribute)
        if value and len(value) < 60 and '"' not in value:
            out.append(f'{el.tag}[{attribute}="{value}"]')
    out.append(el.tag)
    return out


def _within(el: html.HtmlElement, scope: html.HtmlElement) -> str | None:
    """The shortest selector whose first match inside `scope` is `el` (a parent's selector joined with `>`
    when the element's own are not enough)."""
    chain: list[str] = []
    node = el
    for _level in range(MAX_LEVELS):
        for candidate in _simple_selectors(node, with_id=scope.getparent() is None):
            selector = " > ".join([candidate] + chain) if chain else candidate
            matches = scope.cssselect(selector)
            if matches and matches[0] is el:
                return selector
        parent = node.getparent()
        if parent is None or parent is scope:
            return None
        chain.insert(0, _simple_selectors(node, with_id=False)[0])
        node = parent
    return None


def _selector_of_all(cards: list[html.HtmlElement]) -> str | None:
    """A selector matching every card, and as few other elements as it can."""
    root = cards[0].getroottree().getroot()
    wanted = set(cards)
    best: tuple[int, str] | None = None
    parent = cards[0].getparent()
    prefixes = [""] + [f"{candidate} > " for candidate in _simple_selectors(parent)] if parent is not None else [""]
    for prefix in prefixes:
        for candidate in _simple_selectors(cards[0], with_id=False):
            selector = prefix + candidate
            matches = set(root.cssselect(selector))
            if wanted <= matches:
                extra = len(matches - wanted)
                if best is None or extra < best[0]:
                    best = (extra, selector)
                if extra == 0:
                    return selector
    return best[1] if best else None
