"""Products and prices of a page: structured data first, then per-source selectors, then visible-price heuristics."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from dossier.urls import web_link
from extractors import availability, heuristics, identifiers, platforms, product_list
from extractors import selectors as sel
from extractors.document import Document, as_document
from extractors.prices import Context, iso_currency, parse_price
from extractors.records import Product
from extractors.schema_products import (
    declared_currency,
    generic_ids,
    opengraph_product,
    product_from_node,
    product_nodes,
)

log = logging.getLogger(__name__)

FIELD_KEYS = ("name", "price", "sku", "availability", "old_price", "currency", "gtin", "mpn", "url")
MAX_PRODUCTS = 2000
# How far a price read from each source is trusted, by how it is stated: the source's own selector (the user chose
# the element) and the shop's declared structured data first, a platform's stock template next, OpenGraph (often a
# cached share card) and finally the heuristics' reading of the page as shown. `python -m benchmarks.extraction --cv`
# prints each source's hit rate on dev-data (2026-12-05: json-ld 20/23, microdata 16/16, opengraph 2/2, visible
# 23/24); the visible rules were built on those pages, so their in-sample rate is not taken: on the held-out half
# the same rules scored price F1 0.785 (issue 20). A change read from a less trusted source than the night before
# is uncertain (storage/compare.py).
PRICE_CONFIDENCE: dict[str, float] = {
    "selector": 0.95, "json-ld": 0.9, "microdata": 0.9, "rdfa": 0.9, "platform": 0.85, "opengraph": 0.8,
    "visible": 0.7,
}


def extract_products(body: str | bytes | Document | None, url: str, selectors: dict | None = None, *,
                     currency: str | None = None, decimal_separator: str | None = None) -> list[Product]:
    """Every product on the page, the main one (the one the page is about) first; never raises on bad input.

    `selectors`: the source's selectors (the fallback when the page has no structured data); `currency`: the ISO
    4217 code assumed when a price shows none; `decimal_separator`: "," or "." for amounts that could be read
    either way."""
    try:
        document = as_document(body, url)
        if document.tree is None:
            return []
        return _extract(document, url, dict(selectors or {}), _options(currency, decimal_separator))
    except Exception as exc:  # the contract: a hostile page gives an empty list, the crawl goes on
        log.debug("products unreadable on %s: %r", url, exc)
        return []


def _options(currency: str | None, decimal_separator: str | None) -> tuple[str | None, str | None]:
    """(decimal separator, default currency ISO) of a source's options, ignored when they are neither."""
    separator = decimal_separator if decimal_separator in (",", ".") else None
    default_iso = iso_currency(currency) if isinstance(currency, str) and len(currency) <= 5 else None
    return separator, default_iso


def _lang(document: Document) -> str | None:
    tree = document.tree
    return (tree.get("lang") or tree.get("xml:lang")) if tree is not None else None


def _extract(document: Document, url: str, selectors: dict[str, Any],
             options: tuple[str | None, str | None]) -> list[Product]:
    separator, default_currency = options
    declared = default_currency or declared_currency(document)
    context = Context.of(url, declared=declared, lang=_lang(document))
    found: list[Product] = []
    for node, parent in product_nodes(document):
        product = product_from_node(node, url, context, separator, parent)
        if product is not None:
            found.append(product)
        if len(found) >= MAX_PRODUCTS:
            break
    og = opengraph_product(document, url, context, separator)
    if og is not None:
        found = _fill_main(found, og) if found else [og]
    selected = False
    if not any(p.price is not None for p in found) and _field_selectors(selectors):
        found = _merge_by_name(found, selected_products(document, url, selectors, context, separator))
        selected = any(p.price is not None for p in found)
    if not selected:
        found, by_platform = _platform_products(document, url, found, context, separator)
        selected = by_platform
    scan = _LazyScan(document)
    if not any(p.price is not None for p in found):
        found = _shown_products(document, url, found, context, separator, scan)
    products = _dedupe(found)
    if any(p.price is not None and p.currency is None for p in products) and not context.declared:
        context = replace(context, declared=heuristics.page_currency(document.tree, context, scan.get()))
    products = _main_first([_finish(p, context) for p in products], url)
    if products and not selected:
        products[0] = _shown_price(products, context, separator, scan)
    canonical = _canonical(document) if products else None
    if products and _about_this_page(products[0], url, canonical):
        products[0] = _identified(products[0], document, url, canonical)
    products = [_with_url_id(p) for p in products]
    return [_with_confidence(p) for p in _settle_availability(products, scan)]


def _with_confidence(product: Product) -> Product:
    if product.price is None or product.price_source is None:
        return product
    return replace(product, price_confidence=PRICE_CONFIDENCE.get(product.price_source))


class _LazyScan:
    """The heuristics' one pass over the tree, made only when a rule needs it."""

    def __init__(self, document: Document):
        self.document = document
        self._scan: heuristics._Scan | None = None

    def get(self) -> heuristics._Scan:
        if self._scan is None:
            self._scan = heuristics.scan_page(self.document.tree)
        return self._scan


def _one_family(products: list[Product]) -> bool:
    """All products are the one the page is about (variants share its name)."""
    names = {(p.name or "").casefold() for p in products if p.name}
    return len(names) <= 1


def _shown_price(products: list[Product], context: Context, separator: str | None, scan: _LazyScan) -> Product:
    """The main product's structured price, unless the page shows it as the old price of a lower one; the old
    price shown beside it when the data has none.

    Shops often keep the list price in JSON-LD while the page shows the sale price beside it, struck through or
    labelled: when the structured amount is one of the amounts in the visible main price block and that block's
    own price is lower (a discount, not an instalment: at least half), the shown price is the one a buyer pays.
    """
    main = products[0]
    if main.price is None or not _one_family(products):
        return main
    shown = heuristics.visible_price(scan.document.tree, context, separator, scan.get())
    if shown is None or shown.price.amount is None:
        return main
    amount = shown.price.amount
    if amount == main.price:  # the same price: its struck-through neighbour is the old price data left out
        return replace(main, old_price=shown.old_price) if main.old_price is None and shown.old_price else main
    if not (main.price / 2 <= amount < main.price):
        return main
    if shown.price.currency and main.currency and shown.price.currency != main.currency:
        return main
    if main.price not in shown.block_amounts and main.price != shown.old_price:
        return main
    return replace(main, price=amount, old_price=main.old_price or main.price, price_source="visible")


def _settle_availability(products: list[Product], scan: _LazyScan) -> list[Product]:
    """The main product's availability: in stock when any variant of it is; else what the page shows."""
    if not products:
        return products
    main = products[0]
    state = main.availability
    if state in ("out_of_stock", None):
        variants = [p for p in products[1:] if p.name and main.name and p.name.casefold() == main.name.casefold()]
        if any(p.availability == "in_stock" for p in variants):
            state = "in_stock"
    if state is None:
        state = heuristics.visible_availability(scan.document.tree, scan.get())
    if state != main.availability:
        products = [replace(main, availability=state)] + products[1:]
    return products


def _about_this_page(product: Product, url: str, canonical: str | None) -> bool:
    """The product is the page's own (its URL is the page's or its canonical's), not a card of a listing."""
    if not product.url:
        return True
    paths = {_path(url), _path(canonical)}
    return _path(product.url) in paths


def _path(url: str | None) -> str | None:
    return urlsplit(url).path.rstrip("/").lower() if url else None


def _canonical(document: Document) -> str | None:
    tree = document.tree
    found = tree.xpath("//head/link[@rel='canonical']/@href") if tree is not None else []
    return web_link(str(found[0]), document.url) if found else None


def _identified(product: Product, document: Document, url: str, canonical: str | None) -> Product:
    """The page's product with the identifiers structured data left out: labelled rows ("Artikelnummer: 4711"),
    else for the SKU the item id of the page's URL (extractors/identifiers.py)."""
    rows = identifiers.labelled(document.text)
    filled = {kind: value for kind, value in rows.items() if getattr(product, kind) is None}
    if "sku" in rows and product.sku is not None and product.sku in generic_ids(document):
        filled["sku"] = rows["sku"]  # schema.org productID is any id; the shown "Item number" is the merchant's SKU
    if product.sku is None and "sku" not in filled:
        item_id = identifiers.url_item_id(canonical or url) or identifiers.url_item_id(url)
        if item_id:
            filled["sku"] = item_id
    return replace(product, **filled) if filled else product


def _with_url_id(product: Product) -> Product:
    """A product without a SKU, the item id of its own URL: the card of a listing and the product's page then
    key the product alike."""
    if product.sku is not None or not product.url:
        return product
    item_id = identifiers.url_item_id(product.url)
    return replace(product, sku=item_id) if item_id else product


def _fill_main(found: list[Product], extra: Product) -> list[Product]:
    """Fill the main product's empty fields from another source (OpenGraph) about the same page."""
    main = found[0]
    filled = {f: getattr(extra, f) for f in ("price", "currency", "availability", "sku", "brand", "old_price")
              if getattr(main, f) is None and getattr(extra, f) is not None}
    if "price" in filled and "currency" not in filled and main.currency:
        filled.pop("price")  # an OpenGraph price in another currency than the offer's would be mixed up
    if "price" in filled:
        filled["price_source"] = extra.price_source
    return [replace(main, **filled)] + found[1:] if filled else found


def _platform_products(document: Document, url: str, found: list[Product], context: Context,
                       separator: str | None) -> tuple[list[Product], bool]:
    """What the page's platform rows (extractors/platforms) add: the fields its stock product template shows and
    structured data left empty, else the product cards of its listing; True when a price came from them."""
    for platform in platforms.detected(document):
        if platform.product:
            shown = selected_products(document, url, platform.product, context, separator, "platform")
            if shown and shown[0].name is None and found:
                shown = [replace(shown[0], name=found[0].name)]
            if shown and found:
                priced = found[0].price is not None
                main = _combine(found[0], _without_price(shown[0], found[0]) if priced else shown[0])
                found = [main] + found[1:]
                if not priced and main.price is not None:
                    return found, True
            elif shown and shown[0].price is not None:
                return shown, True
            elif shown and shown[0].name:
                found = shown[:1]  # name, SKU and stock from the template; the price is the visible page's
        if platform.listing and not any(p.price is not None for p in found):
            cards = [p for p in selected_products(document, url, platform.listing, context, separator, "platform")
                     if p.name]
            if any(p.price is not None for p in cards):
                return _merge_by_name(found, cards), True
        elif platform.listing and len(found) > 1:  # a listing with structured cards: what the cards show besides
            cards = selected_products(document, url, platform.listing, context, separator, "platform")
            found = _filled_from_cards(found, cards)
    return found, False


def _filled_from_cards(found: list[Product], cards: list[Product]) -> list[Product]:
    """Structured products with the empty fields their template card shows (the struck "was" price), a card
    matched by the same name and the same price."""
    by_key = {((c.name or "").casefold(), c.price): c for c in cards if c.name and c.price is not None}
    out = []
    for product in found:
        card = by_key.get(((product.name or "").casefold(), product.price))
        if card is not None and product.old_price is None and card.old_price is not None:
            product = replace(product, old_price=card.old_price)
        out.append(product)
    return out


def _without_price(product: Product, structured: Product) -> Product:
    """A platform row's reading beside a structured price: identifiers and stock, and the old price its template
    shows beside that same price (schema data often leaves the list or compare-at price out)."""
    shown_old = (product.old_price if product.price == structured.price and product.old_price is not None
                 and structured.price is not None and product.old_price > structured.price else None)
    return replace(product, price=None, old_price=shown_old, currency=None, price_source=None)


def _field_selectors(selectors: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key in FIELD_KEYS + ("product",):
        value = selectors.get(key)
        if isinstance(value, str) and value.strip():
            if key == "currency" and iso_currency(value):
                continue  # a source default ("RUB"), not a selector
            out[key] = value
    return out


def selected_products(document: Document, url: str, selectors: dict[str, Any], context: Context,
                       separator: str | None, source: str = "selector") -> list[Product]:
    fields = _field_selectors(selectors)
    root = sel.root_selector(document.tree)
    if root is None:
        return []
    if fields.get("product"):
        scopes, relative = list(sel.nodes(root, fields["product"]))[:MAX_PRODUCTS], True
    else:
        scopes, relative = [root], False
    products = []
    for scope in scopes:
        if isinstance(scope.root, str):
            continue
        product = _product_in(scope, fields, relative, url, context, separator, source)
        if product is not None:
            products.append(product)
    return products


def _product_in(scope: Any, fields: dict[str, str], relative: bool, url: str, context: Context,
                separator: str | None, source: str) -> Product | None:
    def pick(key: str) -> str | None:
        return sel.first_text(scope, fields.get(key), relative)

    name = pick("name")
    currency_text = pick("currency")
    raw_price = pick("price")
    parsed = parse_price(raw_price, currency_hint=currency_text, decimal_separator=separator, context=context)
    if name is None and parsed.amount is None:
        return None
    old = parse_price(pick("old_price"), decimal_separator=separator, context=context).amount
    link = None
    if relative:
        href = pick("url") if fields.get("url") else scope.css("a[href]::attr(href)").get()
        link = web_link(href, url)
    return Product(name=name, price=parsed.amount, currency=parsed.currency or iso_currency(currency_text, context),
                   availability=availability.from_schema(pick("availability")), sku=pick("sku"), gtin=pick("gtin"),
                   mpn=pick("mpn"), url=link, old_price=old if old != parsed.amount else None,
                   price_source=source if parsed.amount is not None else None)


def _merge_by_name(structured: list[Product], selected: list[Product]) -> list[Product]:
    if not structured:
        return selected
    by_name = {(p.name or "").casefold(): p for p in selected if p.name}
    merged = []
    for product in structured:
        match = by_name.pop((product.name or "").casefold(), None)
        merged.append(_combine(product, match) if match else product)
    return merged + [p for p in selected if (p.name or "").casefold() in by_name or not p.name]


def _combine(base: Product, extra: Product) -> Product:
    filled = {f: getattr(extra, f) for f in Product.__slots__ if getattr(base, f) is None}
    return replace(base, **{k: v for k, v in filled.items() if v is not None})


def _shown_products(document: Document, url: str, found: list[Product], context: Context, separator: str | None,
                    lazy: _LazyScan) -> list[Product]:
    """Products as the page shows them: its own price near the h1 (a product page), else the product cards of
    its listing (extractors/product_list.py). A run of cards on a page with a buy button or a price of its own
    beside the h1 is its "related products": the page's product is the one it is about."""
    cards = product_list.card_run(lazy.get()) if len(found) != 1 else []
    for card in cards:
        lazy.get()._listing[card] = True  # the cards' prices and buttons are not the page's own
    own = heuristics.visible_price(document.tree, context, separator, lazy.get())
    if not cards and not found and own is not None and own.element is not None:
        lone = _lone_card(own.element, lazy.get(), url, context, separator)
        if lone:
            return lone
    shown = _with_visible_price(document, found, lazy, own)
    if not cards or heuristics.button_availability(lazy.get()) or (shown and shown[0].price is None):
        return shown  # a buy button of its own, or the stock label of an unavailable product: a product page
    if own is not None and own.element is not None and heuristics.beside_heading(own.element, lazy.get()):
        return shown  # a price of its own beside the h1: a product page, the cards are its related products
    listed = product_list.products(cards, lazy.get(), url, context, separator)
    return _merge_by_name(found, listed) if listed else shown


def _lone_card(price: Any, scan: heuristics._Scan, url: str, context: Context,
               separator: str | None) -> list[Product]:
    """A listing that shows one card (its last page, a narrow filter): the page's only price sits in a short block
    whose own name heading links to another page, away from the h1, and the page has no buy button of its own. The
    product is the card's (its name, its link), not one named after the category's h1."""
    card = product_list.lone_card(price, scan, url)
    if card is None:
        return []
    outside = [(pos, b) for pos, b in scan.buttons if card not in b.iterancestors()]  # the card's own are its
    if heuristics.button_availability(replace(scan, buttons=outside)):
        return []
    listed = product_list.products([card], scan, url, context, separator)
    if not listed or listed[0].url is None or (listed[0].name or "").casefold() == (scan.heading or "").casefold():
        return []
    return listed


def _with_visible_price(document: Document, found: list[Product], lazy: _LazyScan,
                        shown: heuristics.VisiblePrice | None) -> list[Product]:
    """The main product with the price the page shows (`shown`, heuristics.visible_price) when data gave none."""
    tree = document.tree
    scan = lazy.get()
    if shown is None:
        if found or not scan.heading:
            return found
        # no price, but the page says its product cannot be bought: the product is there, out of stock
        state = heuristics.visible_availability(tree, scan)
        return [Product(name=scan.heading, availability=state)] if state in ("out_of_stock", "preorder") else found
    main = found[0] if found else Product(name=scan.heading)
    main = replace(main, price=shown.price.amount, currency=main.currency or shown.price.currency,
                   old_price=main.old_price or shown.old_price, price_source="visible")
    return [main] + found[1:]


def _finish(product: Product, context: Context) -> Product:
    """A priced product without a currency gets the page's (declared, domain, language)."""
    if product.price is not None and product.currency is None:
        return replace(product, currency=context.fallback())
    return product


def _dedupe(products: list[Product]) -> list[Product]:
    """One product per key (sku, gtin, mpn or url); later duplicates only fill fields the first one lacks."""
    out: list[Product] = []
    index: dict[str, int] = {}
    for product in products:
        if product.name is None and product.price is None:
            continue
        key = product.key or f"{product.name}|{product.price}"
        if key in index:
            out[index[key]] = _combine(out[index[key]], product)
        else:
            index[key] = len(out)
            out.append(product)
    return out


def _main_first(products: list[Product], url: str) -> list[Product]:
    """The product whose URL is the page's goes first; else the first priced one (structured order)."""
    if len(products) < 2:
        return products
    page = url.split("#")[0].rstrip("/")
    for i, product in enumerate(products):
        if product.url and product.url.split("#")[0].rstrip("/") == page and product.price is not None:
            return [product] + products[:i] + products[i + 1:]
    if products[0].price is None:
        for i, product in enumerate(products):
            if product.price is not None:
                return [product] + products[:i] + products[i + 1:]
    return products
