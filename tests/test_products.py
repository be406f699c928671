"""Product extraction over tests/samples/products: each `<case>.html` beside `<case>.expected.json`, which gives the
number of products the page yields (`count`) and each of them in order."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from extractors import Product, extract_products
from extractors.document import as_document
from extractors.prices import Context, parse_price, to_decimal

SAMPLES = Path(__file__).parent / "samples" / "products"
CASES = sorted(p.name.removesuffix(".expected.json") for p in SAMPLES.glob("*.expected.json"))
MONEY = ("price", "old_price")


def _expected_value(field: str, value):
    return Decimal(value) if field in MONEY and value is not None else value


@pytest.mark.parametrize("case", CASES)
def test_sample(case: str) -> None:
    spec = json.loads((SAMPLES / f"{case}.expected.json").read_text(encoding="utf-8"))
    body = (SAMPLES / f"{case}.html").read_bytes()
    assert spec["count"] == len(spec["products"]), "a sample lists every product it yields"
    products = extract_products(body, spec["url"], spec.get("selectors"))
    assert len(products) == spec["count"], products
    assert all(isinstance(p, Product) for p in products)
    for expected, got in zip(spec["products"], products, strict=True):
        for field, value in expected.items():
            assert getattr(got, field) == _expected_value(field, value), (field, got)
    for product in products:
        assert product.price is None or isinstance(product.price, Decimal)


def test_accepts_a_parsed_document() -> None:
    body = (SAMPLES / "jsonld_graph.html").read_bytes()
    url = "https://northwind.example/products/drill-18v.html"
    assert extract_products(as_document(body, url), url) == extract_products(body, url)


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("1 299,00 ₽", "1299.00", "RUB"),
    ("12,99 €", "12.99", "EUR"),
    ("1.249,00 €", "1249.00", "EUR"),
    ("2 450 руб.", "2450", "RUB"),
    ("от 990 р.", "990", "RUB"),
    ("US$ 5.00", "5.00", "USD"),
    ("£48.99", "48.99", "GBP"),
    ("CHF 12.50", "12.50", "CHF"),
    ("499 zł", "499", "PLN"),
    ("1 234 Kč", "1234", "CZK"),
    ("₹ 1,299", "1299", "INR"),
    ("99 ر.س", "99", "SAR"),
    ("2 990 тг.", "2990", "KZT"),
    ("R$ 59,90", "59.90", "BRL"),
    ("120 Lei", "120", "RON"),
    ("270 Kn", "270", "HRK"),
    ("no price here", None, None),
    ("", None, None),
])
def test_price_strings(text: str, amount: str | None, currency: str | None) -> None:
    parsed = parse_price(text)
    assert parsed.amount == (Decimal(amount) if amount else None)
    assert parsed.currency == currency


@pytest.mark.parametrize(("url", "text", "currency"), [
    ("https://shop.example.ca/x", "$19.99", "CAD"),
    ("https://tienda.example.cl/x", "$24.990", "CLP"),
    ("https://shop.example.com/x", "$19.99", "USD"),
    ("https://olx.com.pk/item", "Rs 23,450", "PKR"),
    ("https://butik.example.se/x", "199 kr", "SEK"),
    ("https://butik.example.no/x", "199 kr", "NOK"),
])
def test_ambiguous_signs_resolved_by_domain(url: str, text: str, currency: str) -> None:
    assert parse_price(text, context=Context.of(url)).currency == currency


@pytest.mark.parametrize(("value", "expected"), [
    ("489.00", Decimal("489.00")), (489, Decimal("489")), (129.99, Decimal("129.99")),
    ("1.249,00", Decimal("1249.00")), (None, None), (True, None), ("abc", None),
])
def test_structured_amounts_never_go_through_float(value, expected) -> None:
    assert to_decimal(value) == expected


def test_selectors_default_currency_and_broken_selector() -> None:
    body = "<html><body><div class='c'><b>Tariff</b><i>1 500,00</i></div></body></html>"
    found = extract_products(body, "https://x.example/", {"product": ".c", "name": "b", "price": "i",
                                                           "sku": "[[[broken"}, currency="RUB", decimal_separator=",")
    assert [(p.name, p.price, p.currency, p.sku) for p in found] == [("Tariff", Decimal("1500.00"), "RUB", None)]


def test_the_source_s_options_are_keywords_of_their_own_not_selectors() -> None:
    """`currency` and `decimal_separator` are options beside the selectors: 3.350 is 3350 with ",", 3.35 with "."
    (never guessed from a key among the selectors)."""
    body = "<html><body><div class='c'><b>Rad</b><i>3.350</i></div></body></html>"
    selectors = {"product": ".c", "name": "b", "price": "i"}
    assert [p.price for p in extract_products(body, "https://x.example/", selectors, decimal_separator=",")] == \
        [Decimal("3350")]
    assert [p.price for p in extract_products(body, "https://x.example/", selectors, decimal_separator=".")] == \
        [Decimal("3.35")]


def test_currency_from_lang_as_last_resort() -> None:
    body = "<html lang='ru'><body><h1>Газель</h1><span class='price'>1 299</span></body></html>"
    found = extract_products(body, "https://gruz.example/", None)
    assert (found[0].price, found[0].currency) == (Decimal("1299"), "RUB")


@pytest.mark.parametrize("href, expected", [
    ("/produkte/lr-200.html", "https://kranrad.example/produkte/lr-200.html"),
    ("https://cdn.kranrad.example/p/1", "https://cdn.kranrad.example/p/1"),
    ("JavaScript:alert(1)", None), (" javascript:void(0)", None), ("data:text/html,<script>x</script>", None),
    ("mailto:vertrieb@kranrad.example", None), ("#details", None), ("", None), (None, None),
])
def test_a_product_link_is_a_web_page_or_none(href, expected):
    from dossier.urls import web_link

    assert web_link(href, "https://kranrad.example/produkte/") == expected
    card = f'<div class="card"><h2>Laufrad</h2><span class="preis">489,00 €</span><a href="{href or ""}">mehr</a></div>'
    (product,) = extract_products(f"<html><body>{card}</body></html>", "https://kranrad.example/produkte/",
                                  {"product": ".card", "name": "h2", "price": ".preis"})
    assert product.url == expected


def test_the_subscription_a_paywalled_page_is_part_of_is_no_product_of_it():
    """News sites mark the publication a page belongs to as a Product (Google's paywall markup, `isPartOf`): it is
    not what the page sells. A product the page offers beside it is still read."""
    paywall = ('{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Neue Laufräder", '
               '"isAccessibleForFree": false, "isPartOf": {"@type": ["CreativeWork", "Product"], '
               '"name": "Kranrad Magazin", "productID": "kranrad.example:plus"}}')
    offered = ('{"@context": "https://schema.org", "@type": "Product", "name": "Laufrad LR-200", "sku": "LR-200", '
               '"offers": {"@type": "Offer", "price": "489.00", "priceCurrency": "EUR"}}')
    page = '<html><head><script type="application/ld+json">{}</script>{}</head><body><h1>x</h1></body></html>'
    assert extract_products(page.format(paywall, ""), "https://kranrad.example/news/1") == []
    both = page.format(paywall, f'<script type="application/ld+json">{offered}</script>')
    assert [(p.name, p.price) for p in extract_products(both, "https://kranrad.example/p/1")] == [
        ("Laufrad LR-200", Decimal("489.00"))]


def test_a_product_page_with_one_related_card_reads_its_own_price() -> None:
    """A product page showing one "you may also like" card: its own price beside the h1 is the product's."""
    body = ("<html lang='it'><body><main><div class='scheda'><h1>Moka Express 6 tazze</h1>"
            "<p class='prezzo'>39,90 €</p></div>"
            "<section class='altri'><h2>Potrebbe piacerti</h2><div class='box'><a href='/p/moka-3/'>"
            "<h3>Moka Express 3 tazze</h3></a><p class='prezzo'>29,90 €</p></div></section></main></body></html>")
    products = extract_products(body, "https://caffe.example/p/moka-6/")
    assert (products[0].name, products[0].price) == ("Moka Express 6 tazze", Decimal("39.90"))


def test_a_product_page_whose_price_box_links_elsewhere_is_still_the_product() -> None:
    """A buy box with a linked heading of its own (the brand) away from the h1, and a buy button: a product page."""
    body = ("<html lang='fr'><body><div class='galerie'><h1>Cafetière italienne 6 tasses</h1></div>"
            "<div class='achat'><h3><a href='/marque/bialetti/'>Bialetti</a></h3><p class='prix'>39,90 €</p>"
            "<button class='add-to-cart'>Ajouter au panier</button></div></body></html>")
    [product] = extract_products(body, "https://cafe.example/p/cafetiere-6/")
    assert (product.name, product.price) == ("Cafetière italienne 6 tasses", Decimal("39.90"))


def test_a_sale_price_shown_beside_the_struck_one_on_a_product_page() -> None:
    body = ("<html lang='nl'><body><h1>Fietsbel messing</h1><p class='prijs-price'><del>14,95 €</del> "
            "<span>9,95 €</span></p></body></html>")
    [product] = extract_products(body, "https://fiets.example/p/fietsbel/")
    assert (product.price, product.old_price) == (Decimal("9.95"), Decimal("14.95"))
