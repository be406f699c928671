"""The pure parts of `dossier add`: the `follow` of a proposed catalog from sample URLs, the numbering parameter
of a listing, the default slug of a site."""
from __future__ import annotations

import re

import pytest

from crawler.onboarding import default_slug
from crawler.url_patterns import follow_pattern, page_param


@pytest.mark.parametrize(("listings", "items", "expected"), [
    (["/produkte/", "/produkte/seite-2.html"], ["/produkte/lr-200.html", "/produkte/sr-160.html"], "/produkte/"),
    (["/categorie/freins/", "/categorie/freins/page/2/"], ["/produit/a/", "/produit/b/"], "/(?:categorie|produit)/"),
    ([], ["/product/a/", "/product/b/"], "/product/"),
    (["/tarify/"], [], "/tarify/"),
    (["/"], ["/about-us", "/contact"], None),
])
def test_follow_is_the_common_folder_of_listings_and_product_pages(listings, items, expected):
    base = "https://shop.example"
    pattern = follow_pattern([base + p for p in listings], [base + p for p in items])
    assert pattern == expected


def test_follow_of_root_level_product_pages_keeps_to_their_extension():
    pattern = follow_pattern(["https://s.example/shop/"], ["https://s.example/a-1.html", "https://s.example/b-2.html"])
    assert re.search(pattern, "https://s.example/c-3.html") and re.search(pattern, "https://s.example/shop/?p=2")
    assert not re.search(pattern, "https://s.example/about/")


def test_page_param_is_the_numbering_parameter_of_a_listing():
    assert page_param(["https://s.example/c/?sort=price", "https://s.example/c/?page=2"]) == "page"
    assert page_param(["https://s.example/c/?PAGEN_1=2"]) == "PAGEN_1"
    assert page_param(["https://s.example/c/?id=2"]) is None


@pytest.mark.parametrize(("url", "slug"), [
    ("https://www.kranrad.de/", "kranrad"), ("https://shop.northwind-tools.com/en/", "northwind-tools"),
    ("http://127.0.0.1:8080/", "site-8080"), ("https://localhost/", "localhost"),
])
def test_the_default_slug_is_the_sites_name(url, slug):
    assert default_slug(url) == slug
