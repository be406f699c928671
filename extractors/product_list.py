"""The product cards of a category listing by their shape, when no structured data, selector or platform row reads
them: a run of sibling blocks of one kind (the same tag and first class) that each show a price and a link.

Every shop template renders a listing so (WooCommerce's `li.product`, Magento's `li.product-item`, OpenCart's
`.product-thumb`, a hand-made grid). Inside a card: the link to the product, its name (a heading, else an element
named name/title, else the link's text or the image's alt), the price (price-named elements, the struck one the old
price, as the visible-price heuristics tell them) and stock wording. A product page's "related products" are such a
run too: the caller keeps the cards only when the page shows no price of its own outside them.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from lxml import html

from dossier.urls import web_link
from extractors import availability, heuristics
from extractors.phrases import STRIKE_TAGS
from extractors.prices import Context, parse_price
from extractors.records import Product
from extractors.repeats import repeated_ancestor

MIN_CARDS = 2
MAX_CARDS = 2000
MAX_NAME = 300
_TOKENS = re.compile(r"[^a-z0-9]+")
_DIGIT = re.compile(r"\d")
NAME_WORDS = frozenset({"name", "title", "heading", "productname", "producttitle"})
SKU_ATTRIBUTES = ("data-sku", "data-product-sku", "data-product_sku", "data-product-id", "data-id-product",
                  "data-product_id", "data-productid", "data-item-id", "data-sku-id")


def _signature(el: html.HtmlElement) -> tuple[str, str]:
    classes = (el.get("class") or "").split()
    return el.tag, classes[0] if classes else ""


def _card_like(node: html.HtmlElement) -> bool:
    return bool(node.get("class") or node.tag in ("li", "article", "tr")) and next(node.iter("a"), None) is not None


def card_run(scan: heuristics._Scan) -> list[html.HtmlElement]:
    """The longest run of same-kind sibling blocks that each hold a price-named element and a link (2 or more)."""
    groups: dict[tuple[Any, ...], list[html.HtmlElement]] = {}
    seen: set[html.HtmlElement] = set()
    for _pos, price in scan.prices:
        found = repeated_ancestor(price, _signature, _card_like)  # the lowest repeated block with a link
        if found is not None and found[1] not in seen:
            seen.add(found[1])
            groups.setdefault(found[0], []).append(found[1])
    runs = [cards for cards in groups.values() if len(cards) >= MIN_CARDS]
    return max(runs, key=len)[:MAX_CARDS] if runs else []


MAX_CARD_TEXT = 1000  # a product card is short: its name, price, brand, stock and a badge or two
CARD_DEPTH = 6  # ancestors of a price looked at for the card that holds it
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")


def lone_card(price: html.HtmlElement, scan: heuristics._Scan, page_url: str) -> html.HtmlElement | None:
    """The one product card that holds `price`, when a listing shows a single card (its last page, a filter that
    leaves one product): the lowest short block around the price whose name heading and thumbnail both link to
    one other page, the way listing templates draw a card. None when the price sits with the page's h1 (a product
    page's summary) or in no such block (a buy box's linked brand heading has no thumbnail to the same page)."""
    heading_el = scan.heading_el
    page = _page_path(page_url)
    for node in list(heuristics._ancestors(price, CARD_DEPTH)):
        if heading_el is not None and (node is heading_el or heading_el in node.iterdescendants()):
            return None
        if len(node.text_content()) > MAX_CARD_TEXT:
            return None
        targets = {t for h in node.iter(*_HEADINGS) if (t := _heading_target(h, page_url, page))}
        if targets:
            pictured = {_page_path(t) for a in node.iter("a") if next(a.iter("img"), None) is not None
                        and (t := web_link(a.get("href"), page_url))}
            return node if targets & pictured else None
    return None


def _page_path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def _heading_target(heading: html.HtmlElement, page_url: str, page: str) -> str | None:
    """The path of the other page a name heading links to, in it or around it (`<a><img><h3>Name</h3></a>`)."""
    if not any(c.isalpha() for c in _text(heading)) or len(_text(heading)) > MAX_NAME:
        return None
    links = [a for a in heading.iter("a")] + [a for a in heading.iterancestors("a")][:1]
    for a in links:
        target = web_link(a.get("href"), page_url)
        if target and _page_path(target) != page:
            return _page_path(target)
    return None


def _words(el: html.HtmlElement) -> set[str]:
    return set(_TOKENS.split(f"{el.get('class') or ''} {el.get('itemprop') or ''}".lower())) - {""}


def _text(el: html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _link(card: html.HtmlElement, page_url: str) -> tuple[str | None, str | None]:
    """(product URL, the link's own text): the card's first link to a page, the one with the most text first."""
    links = [a for a in card.iter("a") if web_link(a.get("href"), page_url)]
    if not links:
        return None, None
    best = max(links, key=lambda a: (len(_text(a)) if len(_text(a)) <= MAX_NAME else 0, -links.index(a)))
    return web_link(links[0].get("href"), page_url), _text(best) or None


def _name(card: html.HtmlElement, link_text: str | None) -> str | None:
    for el in card.iter("h2", "h3", "h4", "h5", "h6"):
        value = _text(el)
        if value and len(value) <= MAX_NAME:
            return value
    for el in card.iter():
        if isinstance(el.tag, str) and NAME_WORDS & _words(el) and not heuristics._says_old(
                (el.get("class") or "").lower()):
            value = _text(el)
            if value and len(value) <= MAX_NAME and any(c.isalpha() for c in value):
                return value
    if link_text and any(c.isalpha() for c in link_text):
        return link_text
    image = next(card.iter("img"), None)
    return (image.get("alt") or None) if image is not None else None


def _prices(card: html.HtmlElement, named: set[html.HtmlElement], context: Context,
            separator: str | None) -> tuple[Any, Any, str | None]:
    """(price, old price, currency) the card shows: the lowest unstruck amount and the highest struck one."""
    current, old, currency = [], [], None
    for el in card.iter():
        if el.tag in STRIKE_TAGS and el not in named:  # a struck amount, named or not, is the old price
            parsed = parse_price(_text(el)[:heuristics.MAX_PRICE_TEXT], decimal_separator=separator, context=context)
            if parsed.amount:
                old.append(parsed.amount)
            continue
        if el not in named or any(d in named and _DIGIT.search(_text(d)) for d in el.iterdescendants()):
            continue  # a wrapper around price elements: read the inner ones (a currency sign's is no price)
        # a price tag showing the sale price beside the crossed-out one: its struck parts are the old price
        raw, struck_parts = heuristics.unstruck_text(el)
        if struck_parts and not _DIGIT.search(raw):
            raw, struck_parts = _text(el), []  # nothing unstruck beside it: the tag as a whole, as before
        if not raw or len(raw) > heuristics.MAX_PRICE_TEXT:
            continue
        parsed = parse_price(raw, decimal_separator=separator, context=context)
        if parsed.amount is None or parsed.amount == 0:
            continue
        attrs = heuristics._attrs(el)
        if heuristics._NOISE_RE.search(attrs):
            continue
        old.extend(a for t in struck_parts if len(t) <= heuristics.MAX_PRICE_TEXT
                   and (a := parse_price(t, decimal_separator=separator, context=context).amount))
        if heuristics._struck(el):
            old.append(parsed.amount)
        else:
            current.append((0 if parsed.sign or heuristics._sign_beside(el) else 1, len(current), parsed.amount))
        currency = currency or parsed.currency
    # the first shown with a currency sign beats a bare number (a "1,5 t" capacity in a card named like a tariff);
    # then the first: "ex. VAT" and per-unit figures come after it
    price = min(current)[2] if current else None
    old_price = max((a for a in old if price is None or a > price), default=None)
    return price, old_price, currency


_CARD_ID = re.compile(r"^data-(?:[a-z]+[-_])*(?:id|sku)$")


def _card_id(card: html.HtmlElement) -> str | None:
    """The item id a card carries in a data attribute of its own named so (`data-offer-id`, `data-tariff-id`,
    `data-id`): the template's id of the item it renders."""
    return next((value.strip() for name, value in card.attrib.items()
                 if _CARD_ID.match(name) and value.strip() and len(value) <= 64), None)


def products(cards: list[html.HtmlElement], scan: heuristics._Scan, page_url: str, context: Context,
             separator: str | None) -> list[Product]:
    named = {el for _pos, el in scan.prices}
    stocks = {el for _pos, el in scan.stocks}
    out = []
    for card in cards:
        url, link_text = _link(card, page_url)
        name = _name(card, link_text)
        price, old_price, currency = _prices(card, named, context, separator)
        if name is None or price is None:
            continue
        state = next((availability.from_text(_text(el)) for el in card.iter() if el in stocks
                      and availability.from_text(_text(el))), None)
        sku = next((card.get(a) for a in SKU_ATTRIBUTES if card.get(a)), None) or next(
            (el.get(a) for el in card.iter() for a in SKU_ATTRIBUTES if isinstance(el.tag, str) and el.get(a)),
            None) or _card_id(card)
        out.append(Product(name=name, price=price, currency=currency, availability=state, sku=sku, url=url,
                           old_price=old_price, price_source="visible"))
    return out
