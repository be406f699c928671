"""Visible-markup heuristics for the page's main product when structured data and selectors say little.

Price: elements whose class/id/itemprop names a price, closest after the h1, not struck through, not per-unit,
not inside a list of other products (carousels, "related", repeated product cards);
old price: struck-through or "old/was" elements next to it; availability: stock labels, then the buy button.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree, html

from extractors import availability
from extractors.phrases import (BUY_BUTTON_HINTS, DISABLED_TOKENS, LISTING_TOKENS, LISTING_WORDS, NOT_PRICE_TOKENS,
                                OLD_PRICE_TOKENS, OLD_PRICE_WORDS, PRICE_HINTS, PRICE_NOISE_HINTS, STRIKE_TAGS)
from extractors.prices import Context, ParsedPrice, find_sign, iso_currency, parse_price

MAX_CANDIDATES = 400
MAX_PRICE_TEXT = 60  # a price element's text is short; longer text is a block that merely contains prices
MAX_CHILDREN = 12  # a "price" container with more children is a listing block, not a price tag
MAX_BLOCK_TEXT = 300  # the main price block (price, old price, discount, labels) is short text
LISTING_DEPTH = 12  # ancestors looked at for a carousel / related-products container
MIN_REPEATS = 3  # sibling product cards: at least this many of the same tag and class, most with a price and image
# Never content: a price or stock label inside these is not the product's.
HARD_SKIP = frozenset({"nav", "footer", "aside", "script", "style", "noscript", "template"})
# Not price tags, but a buy button or the h1 may sit inside them.
SOFT_SKIP = frozenset({"header", "select", "option", "button", "label", "textarea"})
NOT_CONTENT = frozenset({"script", "style", "link", "input", "body", "html", "head", "title", "img", "svg"})
HIDDEN_CLASSES = frozenset({"hidden", "a-hidden", "d-none", "hide", "is-hidden", "visually-hidden", "sr-only",
                            "aok-hidden"})
# Attributes that name what an element is: class, id, microdata, and the test-id attributes shops' front ends keep
# in production (React's data-testid, Cypress's data-cy, data-qa, data-test; Wix and Amazon name parts data-hook).
NAMING_ATTRIBUTES = ("class", "id", "itemprop", "data-testid", "data-test", "data-qa", "data-cy", "data-hook")
STOCK_HINTS = ("stock", "avail", "nalich", "lager", "verfueg", "dispon", "delivery-status")


def _names_any(attrs: str, hints: tuple[str, ...]) -> bool:
    # substring tests: several times faster than one regex alternation of the same words
    return any(hint in attrs for hint in hints)


def _names_buy(attrs: str) -> bool:
    return _names_any(attrs, BUY_BUTTON_HINTS)
_DIGIT = re.compile(r"\d")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_NOISE_RE = re.compile("|".join(PRICE_NOISE_HINTS))
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")


@dataclass(frozen=True, slots=True)
class VisiblePrice:
    price: ParsedPrice
    old_price: Decimal | None
    # Other amounts shown in the same short price block (the struck or "internet"/"list" price beside it).
    block_amounts: tuple[Decimal, ...] = ()
    element: html.HtmlElement | None = None  # the element the price was read from


@dataclass(slots=True)
class _Scan:
    """One pass over the tree: document positions of the h1, of price- and stock-named elements and buy buttons."""

    anchor: int = 0
    heading: str | None = None
    heading_el: html.HtmlElement | None = None
    prices: list[tuple[int, html.HtmlElement]] = field(default_factory=list)
    stocks: list[tuple[int, html.HtmlElement]] = field(default_factory=list)
    buttons: list[tuple[int, html.HtmlElement]] = field(default_factory=list)
    _listing: dict[html.HtmlElement, bool] = field(default_factory=dict)
    _rows: dict[tuple[object, ...], bool] = field(default_factory=dict)
    _priced: set[html.HtmlElement] | None = None
    _main: set[html.HtmlElement] | None = None


def _attrs(el: html.HtmlElement) -> str:
    return " ".join(str(el.get(a) or "") for a in NAMING_ATTRIBUTES).lower()


_COUNT_DESCENDANTS = etree.XPath("count(descendant::*)")


def _descendants(el: html.HtmlElement) -> int:
    """How many elements `el` holds (comments not counted, as positions count elements only)."""
    return int(_COUNT_DESCENDANTS(el)) if len(el) else 0


class _Kinds(dict):
    """Attribute text -> what it names ("buy", "price", "stock" or ""), memoised: pages reuse their class strings."""

    def __missing__(self, attrs: str) -> str:
        kind = ("buy" if _names_any(attrs, BUY_BUTTON_HINTS) else "price" if _names_any(attrs, PRICE_HINTS)
                else "stock" if _names_any(attrs, STOCK_HINTS) else "")
        self[attrs] = kind
        return kind


class _HiddenClasses(dict):
    """class attribute -> whether it hides the element (`hidden`, `d-none`, `sr-only`...), memoised."""

    def __missing__(self, classes: str) -> bool:
        hidden = bool(HIDDEN_CLASSES.intersection(classes.split()))
        self[classes] = hidden
        return hidden


def _scan(tree: html.HtmlElement) -> _Scan:
    """One walk over the tree, skipping whole subtrees that hold no content (scripts, navigation, hidden parts).

    Positions are document-order element indexes (skipped subtrees are counted, not visited); "soft" subtrees
    (forms, buttons, the page header) are visited for the h1 and buy buttons but give no price or stock label."""
    scan = _Scan()
    kinds = _Kinds()
    hidden_classes = _HiddenClasses()
    soft_end = header_end = -1
    header_heading: tuple[int, str, html.HtmlElement] | None = None
    walker = etree.iterwalk(tree, events=("start",))
    pos = -1
    for _event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions: not elements, not counted
        pos += 1
        items = el.items()
        if items:
            attrs = dict(items)
            classes = attrs.get("class")
            style = attrs.get("style")
            hidden = ("hidden" in attrs or (classes is not None and hidden_classes[classes])
                      or (style is not None and _HIDDEN_STYLE.search(style) is not None)
                      or attrs.get("aria-hidden") == "true")
        else:
            attrs, classes, hidden = None, None, False
        if hidden or tag in HARD_SKIP:
            walker.skip_subtree()
            pos += _descendants(el)
            continue
        if tag in SOFT_SKIP and pos > soft_end:
            soft_end = pos + _descendants(el)
            if tag == "header":
                header_end = soft_end
        if tag == "h1" and scan.heading is None:
            label = _element_text(el)
            if len(label) > 2:
                if pos <= header_end:  # an h1 in a page header is often the logo: used only when there is no other
                    header_heading = header_heading or (pos, label[:500], el)
                else:
                    scan.anchor, scan.heading, scan.heading_el = pos, label[:500], el
        if attrs is None:
            if tag == "button" and pos > header_end and len(scan.buttons) < MAX_CANDIDATES:
                scan.buttons.append((pos, el))
            continue
        if len(attrs) == 1 and classes is not None:
            named = classes.lower()
        else:
            named = " ".join([attrs[a] for a in NAMING_ATTRIBUTES if a in attrs]).lower()
        kind = kinds[named]
        if tag == "button" or (tag == "a" and kind == "buy") or (
                tag == "input" and attrs.get("type", "").lower() in ("submit", "button")):
            if pos > soft_end:  # the labels inside a buy button ("Sold out" shown by CSS) are the button's
                soft_end = pos + _descendants(el)
            if pos > header_end and len(scan.buttons) < MAX_CANDIDATES:
                scan.buttons.append((pos, el))
            continue
        if kind in ("", "buy") or pos <= soft_end or tag in NOT_CONTENT or len(el) > MAX_CHILDREN:
            continue
        if (tag == "meta" and "price" not in attrs.get("itemprop", "").lower()) or tag == "h1":
            continue  # the h1 names the product: a number in it is no price
        if kind == "price" and len(scan.prices) < MAX_CANDIDATES:
            scan.prices.append((pos, el))
        elif kind == "stock" and len(scan.stocks) < MAX_CANDIDATES:
            scan.stocks.append((pos, el))
    if scan.heading is None and header_heading is not None:
        scan.anchor, scan.heading, scan.heading_el = header_heading
    return scan


_MODIFIER = re.compile(r"(?<!\S)(?:with|has)[-_]\S*")


def _says_old(attrs: str) -> bool:
    # "with-list-price", "has-old-price": a modifier saying the element has an old price beside it, not that it is one
    attrs = _MODIFIER.sub(" ", attrs)
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


def _struck_itself(el: html.HtmlElement) -> bool:
    return (el.tag in STRIKE_TAGS or _says_old(_attrs(el)) or "line-through" in (el.get("style") or ""))


def unstruck_text(el: html.HtmlElement) -> tuple[str, list[str]]:
    """(the element's text without its struck-through parts, the text of each struck part).

    A price tag that shows the sale price beside the crossed-out one (`<p class="price"><del>179,00 €</del>
    <span>149,00 €</span></p>`) says its current price in what is not struck: the struck amount is the old one."""
    if not len(el):
        return _element_text(el), []
    kept: list[str] = [el.text or ""]
    struck: list[str] = []

    def walk(node: html.HtmlElement) -> None:
        for child in node:
            if isinstance(child.tag, str) and _struck_itself(child):
                struck.append(_element_text(child))
            elif isinstance(child.tag, str):
                kept.append(child.text or "")
                walk(child)
            kept.append(child.tail or "")

    walk(el)
    return " ".join("".join(kept).split()), [t for t in struck if t]


def _names_listing(el: html.HtmlElement) -> bool:
    attrs = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    if not attrs.strip():
        return False
    if LISTING_TOKENS.intersection(_TOKEN_SPLIT.split(attrs)):
        return True
    compact = attrs.replace("-", "").replace("_", "")
    return any(word in compact for word in LISTING_WORDS)


def _ancestors(el: html.HtmlElement, limit: int) -> list[html.HtmlElement]:
    out = []
    node = el.getparent()
    while node is not None and len(out) < limit and node.tag not in ("body", "html"):
        out.append(node)
        node = node.getparent()
    return out


def _is_card_row(node: html.HtmlElement, scan: _Scan) -> bool:
    """`node` is one of several sibling product cards (same tag and class, with prices and images).

    Decided once per (parent, tag, class): a 5 MB listing has thousands of cards under one parent."""
    parent = node.getparent()
    if parent is None:
        return False
    signature = (node.tag, node.get("class"))
    if signature[1] is None and node.tag not in ("li", "article"):
        return False
    key = (parent, *signature)
    known = scan._rows.get(key)
    if known is not None:
        return known
    if len(parent) < MIN_REPEATS:  # len() walks the children: asked once per parent, not per card
        scan._rows[key] = False
        return False
    priced = scan._priced or set()
    cards = [s for s in parent if s.tag == signature[0] and s.get("class") == signature[1]]
    verdict = (len(cards) >= MIN_REPEATS and sum(1 for s in cards if s in priced) >= MIN_REPEATS - 1
               and sum(1 for s in cards[:20] if next(s.iter("img"), None) is not None) >= MIN_REPEATS - 1)
    scan._rows[key] = verdict
    return verdict


def _in_listing(el: html.HtmlElement, scan: _Scan) -> bool:
    """A price inside a carousel / related-products block or a repeated product card (not the h1's own block)."""
    if scan._priced is None:
        scan._priced = {a for _pos, e in scan.prices for a in _ancestors(e, LISTING_DEPTH)}
        scan._main = set(_ancestors(scan.heading_el, 200)) if scan.heading_el is not None else set()
    main = scan._main or set()
    checked: list[html.HtmlElement] = []
    verdict = False
    for node in _ancestors(el, LISTING_DEPTH):
        known = scan._listing.get(node)
        if known is not None:
            verdict = known
            break
        checked.append(node)
        if node in main:  # the block that holds the h1 is the main product's, whatever it repeats
            break
        if _names_listing(node) or _is_card_row(node, scan):
            verdict = True
            break
    for node in checked:
        scan._listing[node] = verdict
    return verdict


def _candidate_texts(el: html.HtmlElement) -> tuple[str, list[str]]:
    """(the text a price tag shows unstruck, the texts of its struck-through parts)."""
    if el.tag == "meta":
        return el.get("content") or "", []
    shown, struck = unstruck_text(el)
    return shown or ("" if struck else el.get("content") or ""), struck


def _sign_beside(el: html.HtmlElement) -> bool:
    """A bare amount whose short parent shows the currency (`<b>17,10</b> €`) counts as signed."""
    parent = el.getparent()
    if parent is None:
        return False
    label = parent.text_content()
    return len(label) <= MAX_PRICE_TEXT * 2 and find_sign(label) is not None


def _price_block(el: html.HtmlElement) -> html.HtmlElement:
    """The largest ancestor (up to 3 levels) that is still a short price block."""
    block = el
    for node in _ancestors(el, 3):
        if len(node.text_content()) > MAX_BLOCK_TEXT:
            break
        block = node
    return block


def visible_price(tree: html.HtmlElement, context: Context, separator: str | None,
                  scan: _Scan | None = None) -> VisiblePrice | None:
    """The main product's price as shown: the nearest price-named element after (else before) the h1."""
    scan = scan or _scan(tree)
    anchor = scan.anchor
    best: tuple[tuple[int, int, int], int, ParsedPrice, html.HtmlElement] | None = None
    olds: list[tuple[int, Decimal]] = []
    named = {el for _pos, el in scan.prices}
    parsed_of: dict[html.HtmlElement, Decimal] = {}
    struck_of: dict[html.HtmlElement, list[Decimal]] = {}  # the struck amounts shown inside each price tag
    for pos, el in scan.prices:
        if any(d in named and not _struck(d, 1) for d in el.iterdescendants()):
            continue  # a wrapper around price elements (old and new together): read the inner ones
        raw, struck_parts = _candidate_texts(el)
        if struck_parts and not _DIGIT.search(raw):
            # nothing unstruck beside the struck part: read the tag as a whole, as if none were struck (a template
            # may name its only price "price-old"; an old price alone is told by the tag's own marks)
            raw, struck_parts = _element_text(el), []
        if not raw or len(raw) > MAX_PRICE_TEXT or not _DIGIT.search(raw):
            continue
        parsed = parse_price(raw, decimal_separator=separator, context=context)
        if parsed.amount is None or parsed.amount == 0:
            continue
        if _in_listing(el, scan):
            continue
        parsed_of[el] = parsed.amount
        inner_old = [a for t in struck_parts if len(t) <= MAX_PRICE_TEXT
                     and (a := parse_price(t, decimal_separator=separator, context=context).amount)]
        olds.extend((pos, amount) for amount in inner_old)
        struck_of[el] = inner_old
        if _struck(el):
            olds.append((pos, parsed.amount))
            continue
        attrs = _attrs(el)
        if _NOISE_RE.search(attrs) or NOT_PRICE_TOKENS.intersection(_TOKEN_SPLIT.split(attrs)):
            continue
        # after the h1 beats before it; a price with a currency sign beats a bare number; then the nearest
        rank = (0 if pos >= anchor else 1, 0 if parsed.sign or _sign_beside(el) else 1, abs(pos - anchor))
        if best is None or rank < best[0]:
            best = (rank, pos, parsed, el)
    if best is None:
        return None
    _rank, pos, parsed, element = best
    near_old = [amount for p, amount in olds if abs(p - pos) < 40 and amount > (parsed.amount or 0)]
    block = _price_block(element)
    in_block = tuple(amount for el, amount in parsed_of.items() if el is not element and (
        el is block or block in set(_ancestors(el, 6)))) + tuple(struck_of.get(element, ()))
    return VisiblePrice(parsed, near_old[0] if near_old else None, in_block, element)


def beside_heading(element: html.HtmlElement, scan: _Scan, limit: int = 3000) -> bool:
    """The element sits in one compact block with the page's h1 (a product's summary), not elsewhere on the page
    (a listing's price filter in its sidebar): their closest common ancestor holds at most `limit` characters."""
    if scan.heading_el is None:
        return False
    around_heading = set(_ancestors(scan.heading_el, 200)) | {scan.heading_el}
    node: html.HtmlElement | None = element
    while node is not None and node not in around_heading:
        node = node.getparent()
    return node is not None and node.tag not in ("body", "html") and len(node.text_content()) <= limit


def visible_availability(tree: html.HtmlElement, scan: _Scan | None = None) -> str | None:
    """A stock label ("Out of stock", "нет в наличии", "auf Lager") in a stock-named element nearest the h1,
    else what the buy button says (a disabled or "Sold out" button, or an "Add to cart" one)."""
    scan = scan or _scan(tree)
    for _pos, el in sorted(scan.stocks, key=lambda item: (item[0] < scan.anchor, abs(item[0] - scan.anchor))):
        if _in_listing(el, scan):
            continue
        label = _element_text(el)
        if label and len(label) < 200:
            state = availability.from_text(label)
            if state:
                return state
    return button_availability(scan)


def button_availability(scan: _Scan) -> str | None:
    """The main buy button's state: the buy-named or buy-worded button nearest after the h1.

    Disabled means it cannot be bought; buy wording ("Add to cart", "В корзину") means it can, even when the
    button also holds the sold-out label a script would show instead; sold-out wording alone means it cannot."""
    ordered = sorted((item for item in scan.buttons if item[0] >= scan.anchor), key=lambda item: item[0])
    for _pos, el in ordered[:40]:
        label = _element_text(el) if el.tag != "input" else (el.get("value") or "")
        if len(label) > 80:
            continue
        states = availability.states_in(label)
        named = _names_buy(_attrs(el))
        if not states and not named:
            continue
        if _in_listing(el, scan):
            continue
        classes = (el.get("class") or "").lower()
        tokens = set(_TOKEN_SPLIT.split(classes)) | set(classes.split())
        if el.get("disabled") is not None or el.get("aria-disabled") == "true" or DISABLED_TOKENS & tokens:
            return "out_of_stock" if (named or "in_stock" in states) else None
        for state in ("in_stock", "out_of_stock", "preorder"):
            if state in states:
                return state
        return "in_stock"  # an enabled buy button: the product can be bought
    return None


def scan_page(tree: html.HtmlElement) -> _Scan:
    return _scan(tree)


def page_currency(tree: html.HtmlElement, context: Context, scan: _Scan | None = None) -> str | None:
    """The currency most price-named elements of the page show (for a price written without one)."""
    counts: dict[str, int] = {}
    for _pos, el in (scan or scan_page(tree)).prices[:100]:
        raw = _element_text(el)
        if raw and len(raw) <= MAX_PRICE_TEXT:
            code = iso_currency(find_sign(raw), context)
            if code:
                counts[code] = counts.get(code, 0) + 1
    return max(counts, key=lambda code: counts[code]) if counts else None
