"""schema.org Product / ProductGroup / Offer / AggregateOffer (JSON-LD, microdata, RDFa) and OpenGraph -> Products."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from dossier.urls import web_link
from extractors import availability, identifiers, structured
from extractors.document import Document
from extractors.prices import Context, find_sign, iso_currency, to_decimal
from extractors.records import Product
from extractors.structured import first, text, types

PRODUCT_TYPES = {"Product", "ProductGroup", "ProductModel", "IndividualProduct", "SomeProducts", "Vehicle", "Car",
                 "Book", "Service", "SoftwareApplication", "MobileApplication", "Game", "VideoGame"}
NEEDS_OFFERS = {"Book", "Service", "SoftwareApplication", "MobileApplication", "Game", "VideoGame"}
OFFER_TYPES = {"Offer", "AggregateOffer"}
OLD_PRICE_TYPES = ("strikethroughprice", "listprice", "msrp", "srp", "regularprice", "originalprice")
# Properties through which a page refers to a product it does not present (see `presents_products`).
REFERRING_PROPERTIES = ("itemReviewed", "isPartOf", "mentions")
SKU_KEYS = ("sku", "productID", "identifier")  # a GTIN or MPN is no SKU: Product.key falls back to them itself


def _offers(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The product's offers, flattened: an AggregateOffer's own offers follow it."""
    raw = node.get("offers")
    raw = raw if isinstance(raw, list) else [raw]
    out: list[dict[str, Any]] = []
    for offer in raw:
        if isinstance(offer, dict):
            out.append(offer)
            nested = offer.get("offers")
            if isinstance(nested, (list, dict)):
                out.extend(o for o in (nested if isinstance(nested, list) else [nested]) if isinstance(o, dict))
    return out


def _price_specs(offer: dict[str, Any]) -> list[dict[str, Any]]:
    raw = offer.get("priceSpecification")
    raw = raw if isinstance(raw, list) else [raw]
    return [spec for spec in raw if isinstance(spec, dict)]


def _is_old_spec(spec: dict[str, Any]) -> bool:
    kind = (text(spec.get("priceType")) or "").rsplit("/", 1)[-1].lower()
    return kind in OLD_PRICE_TYPES


def _offer_price(offer: dict[str, Any], separator: str | None) -> tuple[Decimal | None, Decimal | None, str | None]:
    """(price, old price, raw currency) of one offer."""
    price = None
    for key in ("price", "lowPrice", "minPrice", "highPrice"):
        raw = first(offer.get(key))
        if isinstance(raw, dict):
            raw = raw.get("@value")
        price = to_decimal(raw, separator)
        if price is not None:
            break
    currency = text(offer.get("priceCurrency"))
    old_price = None
    for spec in _price_specs(offer):
        amount = to_decimal(first(spec.get("price")) or first(spec.get("minPrice")), separator)
        if _is_old_spec(spec):
            old_price = old_price or amount
        elif price is None and amount is not None:
            price = amount
        currency = currency or text(spec.get("priceCurrency"))
    if currency is None:
        raw_price = text(offer.get("price"))
        currency = find_sign(raw_price) if raw_price else None
    return price, old_price, currency


def _sku(node: dict[str, Any], offer: dict[str, Any] | None) -> str | None:
    for source in (node, offer or {}):
        for key in SKU_KEYS:
            value = identifiers.clean(text(source.get(key)))
            if value:
                return value
    return None


def generic_ids(document: Document) -> set[str]:
    """The productID/identifier values of the page's products: ids of any kind, weaker than a declared sku."""
    out = set()
    for node, _parent in product_nodes(document):
        if not text(node.get("sku")):
            for key in ("productID", "identifier"):
                value = identifiers.clean(text(node.get(key)))
                if value:
                    out.add(value)
    return out


def _url(value: Any, page_url: str) -> str | None:
    return web_link(text(value), page_url)


def _choose_offer(offers: list[dict[str, Any]], separator: str | None) -> dict[str, Any] | None:
    """The offer to report: the first one with a price (offer lists are in the seller's own order)."""
    for offer in offers:
        if _offer_price(offer, separator)[0] is not None:
            return offer
    return offers[0] if offers else None


def product_from_node(node: dict[str, Any], page_url: str, context: Context, separator: str | None = None,
                      parent: dict[str, Any] | None = None) -> Product | None:
    offers = _offers(node) or (_offers(parent) if parent else [])
    offer = _choose_offer(offers, separator)
    price, old_price, raw_currency = _offer_price(offer, separator) if offer else (None, None, None)
    if price is None:  # price straight on the product (common in hand-written microdata)
        price, old_price_direct, raw_currency = _offer_price(node, separator)
        old_price = old_price or old_price_direct
    if price is not None and price == 0:
        price = None  # a zero offer price is a placeholder ("price on request"), not a free product
    state = None
    for candidate in ([offer] if offer else []) + offers + [node]:
        state = availability.from_schema(text(candidate.get("availability")))
        if state:
            break
    if state == "out_of_stock" and any(  # one offer per variant: the product can be bought if one can
            availability.from_schema(text(o.get("availability"))) == "in_stock" for o in offers):
        state = "in_stock"
    parent = parent or {}
    name = text(node.get("name")) or text(parent.get("name"))
    if name is None and price is None:
        return None
    brand = text(node.get("brand")) or text(parent.get("brand")) or text(node.get("manufacturer"))
    return Product(
        name=name, price=price, currency=iso_currency(raw_currency, context) if raw_currency else None,
        availability=state, sku=_sku(node, offer), url=_url(node.get("url"), page_url) or (
            _url(offer.get("url"), page_url) if offer else None),
        brand=brand, old_price=old_price if old_price != price else None,
        gtin=identifiers.clean(text(node.get("gtin13") or node.get("gtin") or node.get("gtin12")
                                    or node.get("gtin14") or node.get("gtin8"))),
        mpn=identifiers.clean(text(node.get("mpn"))),
        category=text(node.get("category")) or text(parent.get("category")),
        price_source=(node.get(structured.SYNTAX) or "json-ld") if price is not None else None,
    )


def _variants(node: dict[str, Any]) -> list[dict[str, Any]]:
    raw = node.get("hasVariant")
    raw = raw if isinstance(raw, list) else [raw]
    return [v for v in raw if isinstance(v, dict)]


def product_nodes(document: Document) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(product node, its ProductGroup or None), top-level ones first, in document order; variants after groups.
    Not the product a page is part of (`isPartOf`: the subscription of a paywalled news page, "The New York Times")."""
    roots = structured.roots(document)  # once: microdata and RDFa nodes are new dicts on each call
    yield from _unreferred(_product_nodes(roots), _referred(roots, ("isPartOf",)))


def presents_products(document: Document) -> bool:
    """Whether the page presents a product of its own (a node `product_nodes` reads): a product page, not an article.
    A product the page only refers to does not count: what a review post is about (`itemReviewed`), the subscription
    a paywalled news page is part of (`isPartOf`, Google's paywall markup) or a product an article `mentions`."""
    roots = structured.roots(document)
    return next(_unreferred(_product_nodes(roots), _referred(roots, REFERRING_PROPERTIES)), None) is not None


def _referred(roots: list[dict[str, Any]], properties: tuple[str, ...]) -> set[int]:
    """The ids of the nodes reached through `properties` of any node (and everything inside them)."""
    return {id(inner) for root in roots for node in structured.walk(root) for key in properties
            if isinstance(node.get(key), (dict, list)) for inner in structured.walk(node[key])}


def _unreferred(products: Iterator[tuple[dict[str, Any], dict[str, Any] | None]],
                referred: set[int]) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    for node, parent in products:
        if id(node) not in referred and (parent is None or id(parent) not in referred):
            yield node, parent


def _product_nodes(roots: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    seen: set[int] = set()
    for root in roots:
        for node in structured.walk(root):
            kinds = types(node)
            if id(node) in seen or not kinds & PRODUCT_TYPES:
                continue
            if kinds <= NEEDS_OFFERS and not node.get("offers"):
                continue
            seen.add(id(node))
            node.setdefault(structured.SYNTAX, root.get(structured.SYNTAX))
            variants = _variants(node)
            if "ProductGroup" in kinds or variants:
                if node.get("offers"):
                    yield node, None
                for variant in variants:
                    seen.add(id(variant))
                    variant.setdefault(structured.SYNTAX, root.get(structured.SYNTAX))
                    yield variant, node
            else:
                yield node, None
        # an Offer at the top with itemOffered: the product is inside it
        for node in structured.walk(root):
            if types(node) & OFFER_TYPES and isinstance(node.get("itemOffered"), dict) and id(node) not in seen:
                item = dict(node["itemOffered"])
                item.setdefault(structured.SYNTAX, root.get(structured.SYNTAX))
                item.setdefault("offers", {k: v for k, v in node.items() if k != "itemOffered"})
                seen.add(id(node))
                seen.add(id(node["itemOffered"]))
                yield item, None


def declared_currency(document: Document) -> str | None:
    """The first ISO currency the page's structured data or OpenGraph declares (priceCurrency, product:price:currency)."""
    for root in structured.roots(document):
        for node in structured.walk(root):
            code = iso_currency(text(node.get("priceCurrency")))
            if code:
                return code
    og = structured.opengraph(document)
    for key in ("product:price:currency", "og:price:currency", "product:sale_price:currency"):
        code = iso_currency(og.get(key))
        if code:
            return code
    return None


OG_PRICE_KEYS = ("product:price:amount", "og:price:amount", "product:price", "og:price")
OG_SALE_KEYS = ("product:sale_price:amount", "og:sale_price:amount")
OG_CURRENCY_KEYS = ("product:price:currency", "og:price:currency", "product:sale_price:currency")


def _og_amount(og: dict[str, str], keys: tuple[str, ...], separator: str | None) -> tuple[Decimal | None, str | None]:
    """The first readable amount of `keys`, and the sign written with it (`og:price` = "30,000원~")."""
    for key in keys:
        raw = og.get(key)
        amount = to_decimal(raw, separator) if raw else None
        if amount is not None and amount > 0:
            return amount, find_sign(raw)
    return None, None


def opengraph_product(document: Document, page_url: str, context: Context, separator: str | None) -> Product | None:
    """OpenGraph / Facebook catalog tags (product:price:amount, og:price...); a lower sale price is the price."""
    og = structured.opengraph(document)
    price, sign = _og_amount(og, OG_PRICE_KEYS, separator)
    sale, sale_sign = _og_amount(og, OG_SALE_KEYS, separator)
    old_price = None
    if sale is not None and (price is None or sale < price):
        price, sign, old_price = sale, sale_sign or sign, price
    if price is None:
        return None
    currency = next((og[k] for k in OG_CURRENCY_KEYS if og.get(k)), None) or sign
    old_raw = og.get("product:original_price:amount")
    if old_price is None and old_raw:
        old_price = to_decimal(old_raw, separator)
    return Product(
        name=og.get("og:title"), price=price, currency=iso_currency(currency, context) if currency else None,
        availability=availability.from_schema(og.get("product:availability") or og.get("og:availability")),
        sku=og.get("product:retailer_item_id"), url=_url(og.get("og:url"), page_url),
        brand=og.get("product:brand"), old_price=old_price if old_price != price else None, price_source="opengraph",
    )
