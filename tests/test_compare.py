"""The pure comparison rules of the diff: prices, stock, assortment, texts, sets, ratings, reviews."""
from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dossier.urls import canonical_url
from storage.compare import (
    PriceSeen, Rules, clean_text, compare_pages, compare_products, compare_rating, compare_sets, percent, review_draft,
)


def seen(key, price, currency="EUR", availability="in_stock", name=None, url=None):
    return PriceSeen(key, name or key, url or f"https://k.example/{key}", None if price is None else Decimal(price),
                     currency, availability)


@pytest.mark.parametrize("old, new, expected", [
    ("489.00", "512.00", Decimal("4.70")), ("649", "689", Decimal("6.16")), ("379", "359", Decimal("-5.28")),
    ("1299", "1399", Decimal("7.70")), ("129.99", "119.99", Decimal("-7.69")), ("0.03", "0.04", Decimal("33.33")),
])
def test_percent_is_rounded_half_up_to_cents(old, new, expected):
    assert percent(Decimal(old), Decimal(new)) == expected


def test_price_stock_and_assortment_changes():
    before = {"A": seen("A", "100"), "B": seen("B", "50"), "C": seen("C", "10"), "D": seen("D", "70", availability="out_of_stock")}
    after = {"A": seen("A", "89"), "B": seen("B", "50", availability="out_of_stock"), "D": seen("D", "70"),
             "E": seen("E", "5")}
    drafts = {(d.kind, d.entity): d for d in compare_products(before, after, set(), Rules())}
    assert set(drafts) == {("price_down", "product:A"), ("out_of_stock", "product:B"), ("back_in_stock", "product:D"),
                           ("product_removed", "product:C"), ("product_added", "product:E")}
    drop = drafts["price_down", "product:A"]
    assert (drop.before, drop.after, drop.magnitude, drop.severity) == ("100.00 EUR", "89.00 EUR", Decimal("-11.00"), "high")


def test_a_product_whose_page_failed_is_not_removed():
    before = {"A": seen("A", "100", url="https://k.example/a"), "B": seen("B", "1", url="https://k.example/b")}
    drafts = compare_products(before, {}, {"https://k.example/a"}, Rules())
    assert [(d.kind, d.entity) for d in drafts] == [("product_removed", "product:B")]


def test_small_price_changes_below_the_rule_are_not_reported():
    before, after = {"A": seen("A", "100")}, {"A": seen("A", "102")}
    assert compare_products(before, after, set(), Rules(price_change_pct=Decimal(5))) == []
    assert [d.kind for d in compare_products(before, after, set(), Rules())] == ["price_up"]


def test_a_currency_switch_is_reported_as_such_not_as_a_price_change():
    (draft,) = compare_products({"A": seen("A", "100", "EUR")}, {"A": seen("A", "110", "USD")}, set(), Rules())
    assert (draft.kind, draft.before, draft.after, draft.magnitude) == ("currency_changed", "100.00 EUR", "110.00 USD",
                                                                         None)


def test_no_removal_from_an_incomplete_crawl():
    before = {"A": seen("A", "100"), "B": seen("B", "1")}
    assert compare_products(before, {"A": seen("A", "100")}, set(), Rules(), complete=False) == []
    assert [d.kind for d in compare_products(before, {"A": seen("A", "100")}, set(), Rules())] == ["product_removed"]


def test_a_url_keyed_product_with_tracking_parameters_is_the_same_product():
    old_key = "https://k.example/p/lr-200?utm_source=newsletter&sid=abc"
    new_key = "https://k.example/p/lr-200?gclid=xyz"
    drafts = compare_products({old_key: seen(old_key, "100")}, {new_key: seen(new_key, "90")}, set(), Rules())
    assert [(d.kind, d.magnitude) for d in drafts] == [("price_down", Decimal("-10.00"))]


@pytest.mark.parametrize("noisy, clean", [
    ("Stand: 3. November 2026, 14:05 Uhr", "Stand: , Uhr"),
    ("Updated Nov 3, 2026 at 2:05 pm", "Updated at"),
    ("Обновлено 12 ноября 2026 в 09:30", "Обновлено в"),
    ("posted 5 minutes ago", "posted"),
    ("vor 3 Stunden aktualisiert", "aktualisiert"),
    ("3 часа назад", ""),
    ("1,234 views · 17 people watching", "·"),
    ('csrf_token="f3A9xQ2m7Lp0Zr8K"', ""),
    ("session 5f2b9c0e8d7a6b5c4d3e2f1a0b9c8d7e", "session"),
    ("Lieferung in 10 Tagen", "Lieferung in 10 Tagen"),  # a fact, not noise
    ("Wir führen 10 Marken", "Wir führen 10 Marken"),
    ("Save 20% in May", "Save 20% in May"),
])
def test_noise_table(noisy, clean):
    assert clean_text(noisy, []) == clean


def test_pages_are_keyed_by_canonical_url():
    before = {"https://k.example/a?utm_source=x&b=2&a=1": {"title": "A"}}
    after = {"https://K.example:443/a?a=1&b=2&fbclid=1#top": {"title": "A"}}
    assert compare_pages(before, after, set(), True, []) == []


@pytest.mark.parametrize("url, canonical", [
    ("https://Shop.Example:443/p?utm_source=a&utm_medium=b&id=7", "https://shop.example/p?id=7"),
    ("http://shop.example:8080/p?b=2&a=1#reviews", "http://shop.example:8080/p?a=1&b=2"),
    ("https://shop.example/p;jsessionid=ABC123?v=3&_=1699999&cb=9", "https://shop.example/p"),
    ("https://shop.example/p?PHPSESSID=x&sid=y&gclid=z&fbclid=w&page=2", "https://shop.example/p?page=2"),
    ("https://shop.example", "https://shop.example/"),
    ("https://shop.example/k%C3%A4se?q=a+b", "https://shop.example/k%C3%A4se?q=a%20b"),
    ("SKU-123", "SKU-123"),
    ("mailto:a@b.example", "mailto:a@b.example"),
])
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical


@given(st.text(max_size=60), st.lists(st.tuples(st.sampled_from(["utm_source", "id", "v", "page", "sid", "q"]),
                                                st.text(max_size=8)), max_size=5))
def test_canonical_url_is_stable_and_never_raises(path, params):
    url = f"https://shop.example/{path}?" + "&".join(f"{k}={v}" for k, v in params)
    once = canonical_url(url)
    assert canonical_url(once) == once
    kept_keys = {key for key, _ in parse_qsl(urlsplit(once).query, keep_blank_values=True)}
    assert not kept_keys & {"utm_source", "sid"}


def test_noise_is_filtered_before_texts_are_compared():
    ignore = [re.compile(r"Besucher online: \d+")]
    before = {"u": {"title": "Kranräder", "h1": "Lieferung in 10 Tagen", "description": None,
                    "main_text": "Stand 03.11.2026 14:05. Besucher online: 17. Wir liefern."}}
    after = {"u": {"title": "Kranräder ", "h1": "Lieferung in 5 Tagen", "description": None,
                   "main_text": "Stand  04.11.2026 09:31. Besucher online: 23. Wir liefern."}}
    drafts = compare_pages(before, after, set(), True, ignore)
    assert [(d.kind, d.entity, d.before, d.after) for d in drafts] == [
        ("text_changed", "text:u#h1", "Lieferung in 10 Tagen", "Lieferung in 5 Tagen")]
    assert clean_text("a\u00a0 b 12:30", []) == "a b"


def test_main_text_changes_carry_a_short_unified_diff():
    before = {"u": {"main_text": "Wir liefern schnell. Preise ab 10 Euro."}}
    after = {"u": {"main_text": "Wir liefern schnell. Preise ab 12 Euro."}}
    (draft,) = compare_pages(before, after, set(), True, [])
    assert draft.after == "-Preise ab 10 Euro.\n+Preise ab 12 Euro."


def test_pages_are_removed_only_from_a_complete_crawl_and_not_when_they_failed():
    before = {"a": {"title": "A"}, "b": {"title": "B"}}
    assert [d.entity for d in compare_pages(before, {}, {"a"}, True, [])] == ["page:b"]
    assert compare_pages(before, {}, set(), False, []) == []


def test_sets_rating_and_reviews():
    drafts = compare_sets("technology_added", "technology_removed", "technology", {"jQuery": None},
                          {"jQuery": None, "Facebook Pixel": None}, "https://t.example/")
    assert [(d.kind, d.entity) for d in drafts] == [("technology_added", "technology:Facebook Pixel")]
    (rating,) = compare_rating((4.4, 5), (3.9, 7), "rating:1", "rating", None)
    assert (rating.before, rating.after, rating.magnitude) == ("4.4 (5 reviews)", "3.9 (7 reviews)", Decimal("-0.50"))
    assert compare_rating((4.4, 5), (4.42, 6), "rating:1", "rating", None) == []
    bad = review_draft("r1", "Jens", 1.0, None, "Lieferung drei Wochen zu spät", None, "reviews.example", Rules())
    good = review_draft("r2", "Eva", 5.0, "Top", "Alles gut", None, "reviews.example", Rules())
    assert (bad.severity, bad.after, good.severity) == ("high", "Lieferung drei Wochen zu spät", "low")


def test_a_product_whose_key_changed_at_the_same_url_is_compared_not_removed_and_added():
    """An upgrade reads the SKU a page shows where the URL was the key: the product is the one it was."""
    url = "https://k.example/p/kettle-17"
    before = {url: seen(url, "49.00", url=url), "https://k.example/list": seen("L1", "5.00", url="https://k.example/list"),
              "L2": seen("L2", "6.00", url="https://k.example/list")}
    after = {"KT-17": seen("KT-17", "45.00", url=url + "?utm_source=x"), "L3": seen("L3", "5.00", url="https://k.example/list"),
             "L4": seen("L4", "6.00", url="https://k.example/list")}
    drafts = {(d.kind, d.entity) for d in compare_products(before, after, set(), Rules())}
    assert ("price_down", "product:KT-17") in drafts
    assert ("product_removed", f"product:{url}") not in drafts and ("product_added", "product:KT-17") not in drafts
    # several products read on one listing URL are not paired by it: each is added or removed as it is
    assert {("product_added", "product:L3"), ("product_added", "product:L4"), ("product_removed", "product:L2")} <= drafts


def test_a_price_change_read_from_a_weaker_source_than_last_night_is_uncertain_not_alerted_as_certain():
    """JSON-LD said 100 last night; tonight only the visible page could be read and says 80: maybe a misreading."""
    then = PriceSeen("A", "A", "https://k.example/A", Decimal("100"), "EUR", "in_stock", None, "json-ld", 0.9)
    visible = PriceSeen("A", "A", "https://k.example/A", Decimal("80"), "EUR", "in_stock", None, "visible", 0.7)
    [drop] = compare_products({"A": then}, {"A": visible}, set(), Rules())
    assert (drop.kind, drop.uncertain, drop.severity) == ("price_down", True, "low")
    # the same drop read from JSON-LD again is a certain, high-severity change
    declared = PriceSeen("A", "A", "https://k.example/A", Decimal("80"), "EUR", "in_stock", None, "json-ld", 0.9)
    [drop] = compare_products({"A": then}, {"A": declared}, set(), Rules())
    assert (drop.uncertain, drop.severity) == (False, "high")
    # a reading stored before sources were recorded is not doubted
    old = PriceSeen("A", "A", "https://k.example/A", Decimal("100"), "EUR", "in_stock")
    [drop] = compare_products({"A": old}, {"A": visible}, set(), Rules())
    assert drop.uncertain is False


def test_a_product_read_on_its_listing_and_on_its_page_changes_once():
    """The listing's card shows no SKU (keyed by URL), the product page does: one product, one change."""
    url = "https://k.example/products/drill.html"
    before = {url: seen(url, "129.99", url=url), "NW-DR": seen("NW-DR", "129.99", url=url)}
    after = {url: seen(url, "119.99", url=url), "NW-DR": seen("NW-DR", "119.99", url=url)}
    drafts = [(d.kind, d.entity) for d in compare_products(before, after, set(), Rules())]
    assert drafts == [("price_down", "product:NW-DR")]
    # two products that only share a listing's URL are not merged: they have their own keys
    listing = "https://k.example/products/"
    before = {"A": seen("A", "10", url=listing), "B": seen("B", "20", url=listing)}
    after = {"A": seen("A", "11", url=listing), "B": seen("B", "22", url=listing)}
    assert len(compare_products(before, after, set(), Rules())) == 2


def test_a_card_keyed_by_url_is_not_removed_while_its_page_is_read_by_its_sku():
    """Last night the listing's card showed no SKU (out of stock: no add-to-cart button); tonight it does, or only
    the product's page is read: the product is still listed, not removed."""
    url = "https://k.example/products/impact-driver.html"
    before = {url: seen(url, "149.00", url=url), "NW-IMP": seen("NW-IMP", "149.00", url=url)}
    after = {"NW-IMP": seen("NW-IMP", "149.00", url=url)}
    assert compare_products(before, after, set(), Rules()) == []
