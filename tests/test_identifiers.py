"""Product identifiers where shops put them besides structured data (extractors/identifiers.py)."""
from __future__ import annotations

import pytest

from extractors import extract_products
from extractors.identifiers import clean, is_gtin, labelled, url_item_id


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.amazon.com/dp/B07FW264WL", "B07FW264WL"),
    ("https://www.amazon.de/Some-Name/dp/B08LZJV3BD?th=1", "B08LZJV3BD"),
    ("https://www.ebay.ie/itm/BMW-X1-SDRIVE-2-0-AUTOMATIC-/114532738197", "114532738197"),
    ("https://allegro.pl/oferta/wiertarka-udarowa-bosch-13123456789", "13123456789"),
    ("https://www.ozon.ru/product/perforator-zubr-p-800-1234567890/", "1234567890"),
    ("https://shop.example/catalog/kettles/kettle-volna-17-987929.html", "987929"),
    ("https://shop.example/Prod/144432/", "144432"),
    ("https://shop.example/product_info.php/products_id/66868/ibiza-led8", "66868"),
    ("https://shop.example/store/122725?pid=260591", "260591"),
    ("https://shop.example/p/robot-mower-400-m/db35?cat=27", None),  # no id: short numbers are sizes, not ids
    ("https://shop.example/catalog/2024/", None),  # a year is no item id
    ("https://shop.example/products/linen-apron", None),
    (None, None),
])
def test_the_item_id_a_product_url_carries(url, expected):
    assert url_item_id(url) == expected


@pytest.mark.parametrize(("html", "expected"), [
    ("<h1>X</h1><ul><li><strong>Artikelnummer:</strong> 4711-B</li></ul>", {"sku": "4711-B"}),
    ("<h1>X</h1><dl><dt>Артикул</dt><dd>ZP-800</dd><dt>Штрихкод</dt><dd>4006381333931</dd></dl>",
     {"sku": "ZP-800", "gtin": "4006381333931"}),
    ('<h1>X</h1><p class="code">Product code: 141677</p>', {"sku": "141677"}),
    ("<h1>X</h1><table><tr><th>EAN</th><td>4006381333932</td></tr></table>", {}),  # a wrong check digit
    ("<h1>X</h1><p>Model: Galaxy</p>", {}),  # a name, no identifier
    ('<h1>X</h1><script>var t = ">SKU: 123";</script>', {}),  # a template string, not a row
])
def test_labelled_rows(html, expected):
    assert labelled(html) == expected


def test_the_row_after_the_heading_is_the_products():
    html = "<div class='cart'><span>SKU: CART-1</span></div><h1>Kettle</h1><p>SKU: KT-17</p>"
    assert labelled(html) == {"sku": "KT-17"}


def test_gtin_check_digits_and_clean_identifiers():
    assert is_gtin("9789724084985") and is_gtin("4006381333931") and is_gtin("012345678905")
    assert not is_gtin("4006381333932") and not is_gtin("12345")
    assert clean("TE502955-1293415 Housse de canapé") == "TE502955-1293415"
    assert clean("OPTIPLEX 9010 TOWER") is None and clean("  KT-17 ") == "KT-17" and clean(None) is None


def test_a_product_page_gets_the_identifiers_its_structured_data_left_out():
    html = """<html lang="de"><head><link rel="canonical" href="https://shop.example/laufrad-lr-250-81234.html">
    <script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product",
     "name": "Laufrad LR 250", "offers": {"@type": "Offer", "price": "1249.00", "priceCurrency": "EUR"}}</script>
    </head><body><h1>Laufrad LR 250</h1><dl><dt>EAN</dt><dd>4006381333931</dd></dl></body></html>"""
    [product] = extract_products(html, "https://shop.example/laufrad-lr-250-81234.html?ref=nav")
    assert (product.sku, product.gtin) == ("81234", "4006381333931")
    labelled_page = html.replace("<dl>", "<p>Artikelnummer: LR-250</p><dl>")
    [product] = extract_products(labelled_page, "https://shop.example/laufrad-lr-250-81234.html")
    assert product.sku == "LR-250"  # the row the shop shows beats the URL's id


def test_a_card_of_a_listing_gets_its_own_urls_id_not_the_pages_rows():
    html = """<html><body><h1>Laufräder</h1><p>Artikelnummer: PAGE-1</p>
    <script type="application/ld+json">{"@context": "https://schema.org", "@type": "ItemList", "itemListElement": [
     {"@type": "Product", "name": "A", "url": "/a-11111.html", "offers": {"price": "1", "priceCurrency": "EUR"}},
     {"@type": "Product", "name": "B", "url": "/b-22222.html", "offers": {"price": "2", "priceCurrency": "EUR"}}]}
    </script></body></html>"""
    products = extract_products(html, "https://shop.example/laufraeder/")
    assert [p.sku for p in products] == ["11111", "22222"]  # as their own pages will key them
