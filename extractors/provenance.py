"""Where each value of a read product came from, for `dossier try`: the extraction itself records only where the
price was read (Product.price_source); the other fields are traced here by reading each layer on its own and
finding the first that gives the value the product holds.

The layers, in the order extract_products trusts them: structured data (JSON-LD, microdata, RDFa), OpenGraph,
the source's own selectors, a shop platform's stock template (extractors/platforms), the page's labelled rows
("Artikelnummer: 4711"), the product URL's item id, and the page as shown (the heuristics). A value no layer gives
alone was filled by the page's context: the currency its language or domain implies.
"""
from __future__ import annotations

from typing import Any

from extractors import identifiers, platforms
from extractors.currencies import SYMBOLS
from extractors.document import Document, as_document
from extractors.prices import Context
from extractors.products import PRICE_CONFIDENCE, selected_products
from extractors.records import Product
from extractors.schema_products import declared_currency, opengraph_product, product_from_node, product_nodes
from extractors.structured import SYNTAX

TRACED_FIELDS = ("name", "price", "old_price", "currency", "availability", "sku", "gtin", "mpn", "brand")
ORIGIN_LABELS = {
    "json-ld": "JSON-LD", "microdata": "microdata", "rdfa": "RDFa", "opengraph": "OpenGraph",
    "selector": "selector", "platform": "platform rule", "label": "labelled row", "url": "URL",
    "visible": "visible text", "context": "page language/domain",
}


def product_origins(body: str | bytes | Document, url: str, product: Product,
                    selectors: dict[str, Any] | None = None) -> dict[str, str]:
    """{field: origin} for every field of `product` (one of extract_products' results for this page) that has a
    value; an origin is a key of ORIGIN_LABELS, a platform's as `platform:NAME`."""
    document = as_document(body, url)
    values = {name: getattr(product, name) for name in TRACED_FIELDS if getattr(product, name) is not None}
    origins: dict[str, str] = {}
    if document.tree is None or not values:
        return origins
    separator = (selectors or {}).get("decimal_separator")
    separator = separator if separator in (",", ".") else None
    context = Context.of(url, declared=declared_currency(document))
    for origin, candidate in _layers(document, url, context, separator, selectors or {}):
        if not _same_product(candidate, product):
            continue
        for name, value in values.items():
            if name not in origins and getattr(candidate, name) == value:
                origins[name] = origin
    if product.price is not None and product.price_source:  # the extraction's own record beats the tracing
        origins["price"] = product.price_source
    for name, value in identifiers.labelled(document.text).items():
        if values.get(name) == value:
            origins.setdefault(name, "label")
    if values.get("sku") and values["sku"] == identifiers.url_item_id(product.url or url):
        origins.setdefault("sku", "url")
    for name, value in values.items():
        shown = name != "currency" or _currency_shown(document, value)
        origins.setdefault(name, "visible" if shown else "context")
    return {name: origins[name] for name in TRACED_FIELDS if name in origins}


def confidence(product: Product) -> float | None:
    """How often a price read the way this one was is right (extractors/products.py PRICE_CONFIDENCE)."""
    return product.price_confidence or (PRICE_CONFIDENCE.get(product.price_source or "") if product.price else None)


def label(origin: str) -> str:
    kind, _, name = origin.partition(":")
    return f"{ORIGIN_LABELS.get(kind, kind)} ({name})" if name else ORIGIN_LABELS.get(kind, kind)


def _layers(document: Document, url: str, context: Context, separator: str | None,
            selectors: dict[str, Any]):
    for node, parent in product_nodes(document):
        candidate = product_from_node(node, url, context, separator, parent)
        if candidate is not None:
            yield node.get(SYNTAX) or "json-ld", candidate
    og = opengraph_product(document, url, context, separator)
    if og is not None:
        yield "opengraph", og
    if selectors:
        for candidate in selected_products(document, url, selectors, context, separator):
            yield "selector", candidate
    for platform in platforms.detected(document):
        for rows in (platform.product, platform.listing):
            if rows:
                for candidate in selected_products(document, url, rows, context, separator, "platform"):
                    yield f"platform:{platform.name}", candidate


def _same_product(candidate: Product, product: Product) -> bool:
    """The layer's product is the one traced: the same name, identifier or URL (a nameless page row is the
    page's own product)."""
    if candidate.name and product.name and candidate.name.casefold() == product.name.casefold():
        return True
    for name in ("sku", "gtin", "mpn", "url"):
        if getattr(candidate, name) and getattr(candidate, name) == getattr(product, name):
            return True
    return candidate.name is None


def _currency_shown(document: Document, currency: str) -> bool:
    """The page shows the currency (its code or a sign of it), rather than its language or domain implying it."""
    text = document.tree.text_content()
    signs = [sign for sign, iso in SYMBOLS.items() if iso == currency and not sign.isalpha()]
    return currency in text or any(sign in text for sign in signs)
