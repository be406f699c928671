"""The next page of a listing with no configuration (extractors/pagination.py)."""
from __future__ import annotations

import pytest

from extractors.pagination import next_page

BASE = "https://shop.example/catalog/page/2/"


@pytest.mark.parametrize(("html", "expected"), [
    ('<head><link rel="next" href="/catalog/page/3/"></head>', "https://shop.example/catalog/page/3/"),
    ('<nav class="pagination"><a rel="prev" href="/catalog/">‹</a><a rel="nofollow next" href="?p=3">3</a></nav>',
     "https://shop.example/catalog/page/2/?p=3"),
    ('<nav class="woocommerce-pagination"><ul><li><a class="next page-numbers" href="/catalog/page/3/">→</a></li>'
     '</ul></nav>', "https://shop.example/catalog/page/3/"),
    ('<ul class="pages-items"><li class="item pages-item-next"><a class="action next" href="?p=3"><span>Suivant'
     '</span></a></li></ul>', "https://shop.example/catalog/page/2/?p=3"),
    ('<div class="pager"><a href="?page=1">1</a><a href="?page=3">Następna ›</a></div>',
     "https://shop.example/catalog/page/2/?page=3"),
    ('<div class="paging"><a href="?page=3">Далее</a></div>', "https://shop.example/catalog/page/2/?page=3"),
    ('<nav><a href="?page=3" aria-label="Sonraki sayfa">›</a></nav>', "https://shop.example/catalog/page/2/?page=3"),
])
def test_the_next_page_link_is_found(html: str, expected: str) -> None:
    assert next_page(f"<html>{html}<body><h1>Katalog</h1></body></html>", BASE) == expected


@pytest.mark.parametrize("html", [
    '<nav class="pagination"><a href="?page=1">1</a><span class="next disabled">Next</span></nav>',  # last page
    '<article><p>Read on:</p><a href="/blog/next-post">Next</a></article>',  # a "Next" outside any pager
    '<nav class="pagination"><a class="next" href="javascript:void(0)">Next</a></nav>',
    '<nav class="pagination"><a class="next" href="#">Next</a></nav>',
    '<head><link rel="next" href="/catalog/page/2/"></head>',  # the page itself
    '',
])
def test_no_next_page_where_there_is_none(html: str) -> None:
    assert next_page(f"<html>{html}<body><h1>Katalog</h1></body></html>", BASE) is None


def test_a_configured_selector_is_the_only_rule_then() -> None:
    html = '<head><link rel="next" href="/a/"></head><body><div class="more"><a href="/b/">more</a></div></body>'
    assert next_page(html, BASE, paginate="div.more a") == "https://shop.example/b/"
    assert next_page(html, BASE, paginate="div.none a") is None


def test_hostile_input_gives_no_next_page() -> None:
    assert next_page(None, BASE) is None
    assert next_page(b"\x00\xff" * 100, BASE) is None
