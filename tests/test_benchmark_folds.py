"""Leave-site-out folds of `python -m benchmarks.extraction --cv`: a site's pages stay in one fold, a site is its
registrable domain's name across public suffixes, and the split is the same on every run."""
from __future__ import annotations

import pytest

from benchmarks.extraction import site_folds, site_of


@pytest.mark.parametrize(("url", "site"), [
    ("https://www.amazon.co.uk/dp/B01", "amazon"),
    ("https://www.amazon.fr/dp/B02", "amazon"),
    ("https://dom.1k.by/p/1", "1k"),
    ("https://kids.1k.by/p/2", "1k"),
    ("https://www.olx.com.pk/item/3", "olx"),
    ("http://127.0.0.1:8000/p/4", "127.0.0.1"),
])
def test_a_page_belongs_to_its_registrable_domains_site(url, site):
    assert site_of(url) == site


def test_folds_keep_each_site_whole_balance_pages_and_do_not_change():
    sites = {"amazon": 16, "zara": 5, "otto": 2, "ebay": 4, "ikea": 7, "1k": 4, "kiabi": 2, "paris": 2}
    folds = site_folds(sites, 3)
    assert sorted(site for fold in folds for site in fold) == sorted(sites)  # each site in exactly one fold
    assert folds == [["amazon"], ["ikea", "ebay", "otto"], ["zara", "1k", "kiabi", "paris"]]  # 16, 13, 13 pages
    assert folds == site_folds(dict(reversed(list(sites.items()))), 3)  # not the order they came in
    assert site_folds({"only": 3}, 5) == [["only"]]  # no empty folds
