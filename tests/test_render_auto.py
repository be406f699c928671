"""render: auto: URL patterns, what a page lacks, the per-pattern decision (pure); and two nights of a real crawl
with Chromium, where only the pages that need it are rendered and the decisions are remembered."""
from __future__ import annotations

import os
import shutil
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from crawler.browser import ENV
from crawler.render_auto import (
    JS, SAMPLE, SAMPLES, STATIC, PatternStats, RenderMemory, incomplete, rendering_adds, runs_scripts, url_pattern,
)
from crawler.observations import JobsRead, PageRead, ProductsRead, ReviewsRead
from crawler.sources import SourcePlan
from crawlsites import Reply, Sites, write_config
from extractors import Document
from extractors.records import PageFacts, Product, Review, ReviewPage
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope

PLAN = SourcePlan(source_id=1, competitor_id=1, competitor_slug="a", kind="catalog", url="https://a.example/",
                  max_pages=10, max_depth=1)


@pytest.mark.parametrize("url, pattern", [
    ("https://shop.example/products/laser-level-24ft.html", "/products/*.html"),
    ("https://shop.example/products/item-0001.html?ref=7&utm=x", "/products/*.html?ref&utm"),
    ("https://shop.example/p/12345", "/p/*"),
    ("https://shop.example/products/", "/products/"),
    ("https://shop.example/", "/"),
    ("https://shop.example", "/"),
    ("https://shop.example/catalog/?page=3", "/catalog/?page"),
    ("https://shop.example/de/produkte/kranrad_typ_a", "/de/produkte/*"),
    ("https://shop.example/item/9f86d081884c7d65", "/item/*"),
    ("https://shop.example/about", "/about"),
    ("https://shop.example/Blog/Archive.HTML", "/Blog/Archive.HTML"),
])
def test_url_patterns_generalise_item_segments_and_keep_sections(url, pattern):
    assert url_pattern(url) == pattern


def test_a_pattern_is_bounded():
    assert len(url_pattern("https://shop.example/" + "/".join(["section"] * 100))) == 300


def _products(*prices):
    return [ProductsRead(PLAN, "u", [Product(name=f"P{n}", price=price) for n, price in enumerate(prices)])]


def _reviews(count, rating=None):
    return [ReviewsRead(PLAN, "u", ReviewPage(aggregate_rating=rating,
                                                         reviews=[Review(id=str(n)) for n in range(count)]))]


def _page(h1=None, text=""):
    return [PageRead(PLAN, "u", PageFacts(title="T", h1=h1, main_text=text), None)]


@pytest.mark.parametrize("kind, observations, expected", [
    ("catalog", [], True),
    ("catalog", _products(None, None), True),
    ("catalog", _products(None, Decimal("9.90")), False),
    ("marketplace", _products(Decimal("1")), False),
    ("reviews", [], True),
    ("reviews", _reviews(0), True),
    ("reviews", _reviews(0, rating=4.5), False),
    ("reviews", _reviews(2), False),
    ("jobs", [], True),
    ("site", _page(), True),
    ("site", _page(text="x" * 199), True),
    ("site", _page(text="x" * 200), False),
    ("site", _page(h1="Welcome"), False),
    ("ads", [], False),  # never rendered
])
def test_incomplete_is_what_the_kind_is_read_for_missing(kind, observations, expected):
    assert incomplete(kind, observations) is expected


@pytest.mark.parametrize("kind, static, rendered, expected", [
    ("catalog", _products(None), _products(Decimal("42.50")), True),
    ("catalog", [], _products(None), False),  # a product, still no price
    ("catalog", _products(Decimal("1")), _products(Decimal("1")), False),
    ("catalog", _products(Decimal("1")), _products(Decimal("1"), Decimal("2")), True),
    ("reviews", _reviews(0), _reviews(0, rating=4.0), True),
    ("reviews", _reviews(3), _reviews(3), False),
    ("jobs", [], [JobsRead(PLAN, "u", ["a job"])], True),
    ("site", _page(), _page(h1="Shop"), True),
    ("site", _page(text="x" * 50), _page(text="x" * 400), True),
    ("site", _page(text="x" * 1000), _page(text="x" * 1100), False),  # a little more text is no gain
    ("site", _page(h1="A"), _page(h1="A"), False),
])
def test_rendering_adds_when_it_reads_more(kind, static, rendered, expected):
    assert rendering_adds(kind, static, rendered) is expected


@pytest.mark.parametrize("html, expected", [
    ("<html><head><script src='/app.js'></script></head><body></body></html>", True),
    ("<html><body><script type='module'>import x from './x.js'</script></body></html>", True),
    ("<html><body onload='go()'><p>x</p></body></html>", True),
    ("<html><head><script type='application/ld+json'>{}</script></head><body><p>x</p></body></html>", False),
    ("<html><body><h1>No scripts</h1></body></html>", False),
    ("", False),
])
def test_only_a_page_that_runs_scripts_can_gain_from_rendering(html, expected):
    assert runs_scripts(Document(html, "https://a.example/")) is expected


def _sampled(gained=0, no_gain=0, complete=0) -> PatternStats:
    return PatternStats(static_complete=complete, render_gained=gained, render_no_gain=no_gain)


def test_a_new_pattern_is_sampled_its_incomplete_pages_rendered():
    stats = PatternStats()
    assert stats.decision() == SAMPLE and not stats.render_directly()
    assert stats.after_static(complete=True) is False  # complete: never rendered
    assert stats.after_static(complete=False) is True


def test_samples_that_all_gained_send_the_pattern_to_the_browser_directly():
    stats = PatternStats()
    for number in range(SAMPLES):
        assert stats.decision() == SAMPLE
        assert stats.after_static(complete=False)
        stats.after_render(gained=True, complete=True)
    assert stats.decision() == JS
    assert stats.render_directly()  # tonight's samples were read statically: the rest go to the browser at once
    tomorrow = _sampled(gained=SAMPLES)
    assert not tomorrow.render_directly()  # the night's first page: fetched statically as well, a re-check
    assert tomorrow.render_directly() and tomorrow.render_directly()


def test_a_js_pattern_whose_page_reads_complete_statically_goes_back_to_sampling():
    stats = _sampled(gained=5)
    assert stats.decision() == JS and not stats.render_directly()
    assert stats.after_static(complete=True) is False
    assert stats.decision() == SAMPLE and stats.counts() == {"static_complete": 1, "render_gained": 0,
                                                              "render_no_gain": 0}


def test_a_js_pattern_whose_rendered_page_reads_nothing_goes_back_to_sampling():
    stats = _sampled(gained=5)
    stats.after_render(gained=False, complete=False, direct=True)
    assert stats.decision() == SAMPLE


def test_a_js_pattern_stays_while_its_pages_read_complete_rendered():
    stats = _sampled(gained=5)
    assert not stats.render_directly()
    assert stats.after_static(complete=False)  # the re-check read incomplete statically: rendered
    stats.after_render(gained=True, complete=True)
    stats.after_render(gained=False, complete=True, direct=True)
    assert stats.decision() == JS and stats.render_gained == 6


def test_a_pattern_rendering_never_helps_is_left_static_but_rechecked_each_night():
    stats = PatternStats()
    for _ in range(SAMPLES):
        assert stats.after_static(complete=False)
        stats.after_render(gained=False, complete=False)
    assert stats.decision() == STATIC
    assert stats.after_static(complete=False) is False  # rendered tonight already: the samples were the check
    tomorrow = _sampled(no_gain=SAMPLES)
    assert tomorrow.after_static(complete=False) is True  # the night's first incomplete page: a re-check
    assert tomorrow.after_static(complete=False) is False
    tomorrow.after_render(gained=False, complete=False)
    assert tomorrow.decision() == STATIC


def test_a_static_pattern_whose_recheck_gains_goes_back_to_sampling():
    stats = _sampled(no_gain=7)
    assert stats.after_static(complete=False)
    stats.after_render(gained=True, complete=True)
    assert stats.decision() == SAMPLE and stats.counts() == {"static_complete": 0, "render_gained": 1,
                                                              "render_no_gain": 0}
    assert stats.after_static(complete=False)  # sampling again: every incomplete page is rendered


def test_a_mixed_pattern_keeps_sampling():
    stats = _sampled(complete=90, gained=10)  # 10 % of a shop's product pages set their price by script
    assert stats.decision() == SAMPLE and not stats.render_directly()
    assert not stats.after_static(complete=True) and stats.after_static(complete=False)


def test_render_memory_starts_from_the_nights_before_and_keeps_only_tonights_patterns():
    memory = RenderMemory({"/deal/*.html": {"static_complete": 0, "render_gained": 3, "render_no_gain": 0},
                           "/old/*": {"static_complete": 4, "render_gained": 0, "render_no_gain": 0}})
    assert memory.stats("/deal/*.html").decision() == JS
    memory.stats(url_pattern("https://a.example/p/anvil-1.html")).after_static(complete=True)
    memory.stats(url_pattern("https://a.example/"))  # a page that showed nothing
    assert sorted(memory.changed()) == ["/deal/*.html", "/p/*.html"]


# -- a real crawl, two nights --------------------------------------------------------------------------------------

HAS_BROWSER = bool(os.environ.get(ENV) or any(shutil.which(name) for name in ("chromium", "chromium-browser")))
needs_browser = pytest.mark.skipif(not HAS_BROWSER and not os.environ.get("CI"),
                                   reason="Chromium not installed (apt-get install chromium); CI always has it")

# The price is set by a script a moment after the load event, or after a fetch: no wait_for names it.
LATE_PRICE = """<script>window.addEventListener("load", () => setTimeout(() => {
  document.querySelector(".price").textContent = "%s";
}, 150));</script>"""
FETCHED_PRICE = """<script>fetch("/api/price/%s").then((r) => r.text()).then((price) => {
  document.querySelector(".price").textContent = price;
});</script>"""


def _product(name: str, price: str = "", script: str = "") -> Reply:
    return Reply(f"<!doctype html><html lang='en'><head><title>{name}</title><script src='/site.js'></script></head>"
                 f"<body><main><h1>{name}</h1><p class='price'>{price}</p><button>Add to cart</button></main>"
                 f"{script}</body></html>")


PRODUCTS = {f"/shop/p/anvil-{n}.html": _product(f"Anvil {n}", f"€ {n}0,00") for n in range(1, 6)}
PRODUCTS["/shop/p/late-widget.html"] = _product("Late Widget", script=LATE_PRICE % "€ 42,50")
DEALS = {f"/shop/deal/hammer-{n}.html": _product(f"Hammer {n}", script=FETCHED_PRICE % n) for n in range(1, 4)}
ASKS = {f"/shop/ask/crane-{n}.html": _product(f"Crane {n}", "Price on request") for n in range(1, 4)}
SHOP = {
    "/robots.txt": Reply("User-agent: *\nAllow: /\n", content_type="text/plain"),
    "/site.js": Reply("window.site = true;", content_type="text/javascript"),
    "/shop/": Reply("<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1><ul>"
                    + "".join(f"<li><a href='{path}'>{path}</a></li>" for path in [*PRODUCTS, *DEALS, *ASKS])
                    + "</ul></body></html>"),
    **PRODUCTS, **DEALS, **ASKS,
    **{f"/api/price/{n}": Reply(f"€ {n}5,00", content_type="text/plain") for n in range(1, 4)},
}
PRICES = {**{f"Anvil {n}": Decimal(f"{n}0.00") for n in range(1, 6)}, "Late Widget": Decimal("42.50"),
          **{f"Hammer {n}": Decimal(f"{n}5.00") for n in range(1, 4)}}


def _night(database_url, run_id):
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            prices = dict(session.execute(
                select(models.Product.name, models.PriceObservation.price)
                .join(models.Product, models.Product.id == models.PriceObservation.product_id)
                .where(models.PriceObservation.run_id == run_id)).all())
            fetches = [(f.url, f.status, f.error) for f in session.scalars(
                select(models.Fetch).where(models.Fetch.run_id == run_id))]
            patterns = {p.pattern: (p.decision, p.static_complete, p.render_gained, p.render_no_gain, p.run_id)
                        for p in session.scalars(select(models.RenderPattern))}
            stats = session.get(models.CrawlRun, run_id).stats
        return prices, fetches, patterns, stats
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("auto")
    nights = []
    with Sites(shop=SHOP) as sites:
        base = sites.base("shop")
        config = write_config(folder, [{"slug": "auto", "name": "Auto", "sources": [
            {"kind": "catalog", "url": f"{base}/shop/", "follow": "/shop/", "max_depth": 1, "currency": "EUR"},
        ]}], timeout=10, concurrency_per_domain=4)  # no render: auto is the default
        database_url = f"sqlite:///{folder / 'dossier.db'}"
        for _ in range(2):
            sites.clear()
            result = run_once(config, database_url, folder / "outbox")
            nights.append((result, Counter(sites.paths("shop")), *_night(database_url, result.run_id)))
    return base, nights


def _rendered(stats):
    crawl = stats["crawl"]
    return {what: crawl.get(f"dossier/render/{what}", 0) for what in ("sampled", "direct", "gained", "failed")}


@needs_browser
@pytest.mark.browser
@pytest.mark.slow  # two nights with Chromium: about 15 s
def test_a_price_only_javascript_sets_is_read_without_a_wait_for(two_nights):
    base, nights = two_nights
    for result, hits, prices, fetches, patterns, stats in nights:
        assert result.status == "succeeded"
        assert {name: prices.get(name) for name in PRICES} == PRICES  # the late and the fetched prices too
        assert not [name for name, price in prices.items() if name.startswith("Crane") and price is not None]


@needs_browser
@pytest.mark.browser
@pytest.mark.slow  # two nights with Chromium: about 15 s
def test_pages_complete_statically_are_not_rendered_and_every_page_is_one_fetch(two_nights):
    base, nights = two_nights
    result, hits, prices, fetches, patterns, stats = nights[0]
    assert _rendered(stats) == {"sampled": 7, "direct": 0, "gained": 4, "failed": 0}  # late, 3 deals, 3 asks
    assert stats["crawl"]["playwright/page_count"] == 7
    twice = {path for path, count in hits.items() if count == 2}
    assert twice == {"/shop/p/late-widget.html", *DEALS, *ASKS}  # statically, then in the browser
    assert all(hits[path] == 1 for path in ("/shop/", *PRODUCTS) if path != "/shop/p/late-widget.html")
    urls = [url for url, status, error in fetches]
    assert len(urls) == len(set(urls)) == 1 + len(PRODUCTS) + len(DEALS) + len(ASKS)
    assert all(status == 200 and error is None for url, status, error in fetches)
    report = stats["sources"][next(iter(stats["sources"]))]
    assert (report["requested"], report["rendered"], report["render_gained"]) == (13, 7, 4)


@needs_browser
@pytest.mark.browser
@pytest.mark.slow  # two nights with Chromium: about 15 s
def test_the_decisions_are_remembered_for_the_next_night(two_nights):
    base, nights = two_nights
    first, second = nights
    run1, run2 = first[0].run_id, second[0].run_id
    # the listing (no price, no script) tells nothing: not kept
    assert first[4] == {"/shop/p/*.html": ("sample", 5, 1, 0, run1), "/shop/deal/*.html": ("js", 0, 3, 0, run1),
                        "/shop/ask/*.html": ("static", 0, 0, 3, run1)}
    hits, stats = second[1], second[5]
    # the deals: the first re-checked statically (then rendered), the other two straight to the browser; of the
    # asks only the night's first incomplete page is rendered again; the late widget is sampled as before
    assert _rendered(stats) == {"sampled": 3, "direct": 2, "gained": 2, "failed": 0}
    assert sum(hits[path] for path in DEALS) == 4 and sum(hits[path] for path in ASKS) == 4
    assert second[4]["/shop/deal/*.html"] == ("js", 0, 4, 0, run2)
    assert second[4]["/shop/ask/*.html"] == ("static", 0, 0, 4, run2)
    assert second[4]["/shop/p/*.html"] == ("sample", 10, 2, 0, run2)


def test_auto_sources_get_the_browser_settings_and_its_guards(monkeypatch):
    from crawler.process import crawl_settings
    from crawler.safety import BrowserGuard, host_resolver_rules
    from dossier.config import parse_config

    monkeypatch.setenv(ENV, shutil.which("true") or "/bin/true")  # configured only, not started
    config = parse_config({"competitors": [{"slug": "a", "name": "A", "sources": [
        {"kind": "catalog", "url": "https://a.example/"}]}]})
    auto = SourcePlan(source_id=1, competitor_id=1, competitor_slug="a", kind="catalog", url="https://a.example/",
                      max_pages=10, max_depth=1, render="auto", allow_domains=("cdn.example",))
    static = SourcePlan(source_id=2, competitor_id=1, competitor_slug="a", kind="catalog", url="https://b.example/",
                        max_pages=10, max_depth=1, render="static")
    settings = crawl_settings(config.defaults, [auto, static], "sqlite://", 1)
    assert settings.getdict("DOWNLOAD_HANDLERS")["https"] == "crawler.contexts.RecyclingPlaywrightHandler"
    guard = settings["PLAYWRIGHT_ABORT_REQUEST"]
    assert isinstance(guard, BrowserGuard) and guard.plans == [auto]
    assert host_resolver_rules([auto, static]) == ("MAP * ~NOTFOUND, EXCLUDE *.cdn.example, EXCLUDE a.example, "
                                                   "EXCLUDE cdn.example, EXCLUDE www.a.example")
    handlers = crawl_settings(config.defaults, [static], "sqlite://", 1).getdict("DOWNLOAD_HANDLERS")
    assert handlers.get("https") != "crawler.contexts.RecyclingPlaywrightHandler"  # static only: no browser
