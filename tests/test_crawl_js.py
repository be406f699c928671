"""render: js through scrapy-playwright and real Chromium: blocked resources, wait_for, contexts, a missing browser."""
from __future__ import annotations

import os
import shutil
from decimal import Decimal

import pytest
from sqlalchemy import select

from crawler.browser import ENV, find_chromium
from crawlsites import UA, Reply, Sites, page, write_config
from dossier.errors import CrawlError
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope

HAS_BROWSER = bool(os.environ.get(ENV) or any(shutil.which(name) for name in ("chromium", "chromium-browser")))
needs_browser = pytest.mark.skipif(not HAS_BROWSER and not os.environ.get("CI"),
                                   reason="Chromium not installed (apt-get install chromium); CI always has it")

# The price appears 300 ms after the load event: read only when wait_for is honoured.
APP_JS = """window.addEventListener("load", () => setTimeout(() => {
  const price = document.querySelector(".price");
  price.textContent = "$42.50";
  price.setAttribute("data-ready", "1");
}, 300));"""
RENDER = """<!doctype html><html lang="en"><head><title>Deal</title>
<style>@font-face { font-family: Brand; src: url(/fonts/brand.woff2) format("woff2"); }
body { font-family: Brand; }</style>
<script src="/app.js"></script></head>
<body><img src="/img/hero.png" alt="hero"><video src="/media/clip.mp4" autoplay muted></video>
<div class="product"><h2 class="name"><a href="/p/widget">Widget</a></h2><span class="price"></span></div>
</body></html>"""
JS_SITE = {
    "/robots.txt": Reply("User-agent: *\nAllow: /\n", content_type="text/plain"),
    "/render.html": Reply(RENDER),
    "/render.html?as=static": Reply(RENDER),  # the same page for a static source
    "/app.js": Reply(APP_JS, content_type="text/javascript"),
    "/never.html": page("Nothing here ever gets ready"),
    "/other.html": page("Another competitor's page", body='<p class="ready">ready</p>'),
    "/static.html": page("Static"),
}
SELECTORS = {"product": ".product", "name": ".name", "price": ".price"}


def _query(database_url, run_id):
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            urls = {s.id: s.url for s in session.scalars(select(models.Source))}
            fetches = {urls[f.source_id]: f for f in session.scalars(
                select(models.Fetch).where(models.Fetch.run_id == run_id))}
            outcomes = {urls[o.source_id]: o for o in session.scalars(
                select(models.SourceCrawl).where(models.SourceCrawl.run_id == run_id))}
            prices = session.execute(
                select(models.Product.name, models.PriceObservation.price, models.PriceObservation.currency,
                       models.PriceObservation.source_id)
                .join(models.Product, models.Product.id == models.PriceObservation.product_id)
                .where(models.PriceObservation.run_id == run_id)).all()
            prices = [(name, price, currency, urls[source]) for name, price, currency, source in prices]
            stats = session.get(models.CrawlRun, run_id).stats
        return fetches, outcomes, [tuple(p) for p in prices], stats
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def js_crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("js")
    with Sites(shop=JS_SITE) as sites:
        base = sites.base("shop")
        config = write_config(folder, [
            {"slug": "jsa", "name": "JS A", "sources": [
                {"kind": "catalog", "url": f"{base}/render.html", "render": "js", "wait_for": ".price[data-ready]",
                 "selectors": SELECTORS, "currency": "USD"},
                {"kind": "catalog", "url": f"{base}/never.html", "render": "js", "wait_for": ".never-there"},
            ]},
            {"slug": "jsb", "name": "JS B", "sources": [
                {"kind": "site", "url": f"{base}/other.html", "render": "js", "wait_for": ".ready", "max_depth": 0},
                {"kind": "site", "url": f"{base}/static.html", "max_depth": 0},
                {"kind": "catalog", "url": f"{base}/render.html?as=static", "render": "static", "selectors": SELECTORS,
                 "currency": "USD"},
            ]},
        ], timeout=2)
        database_url = f"sqlite:///{folder / 'dossier.db'}"
        result = run_once(config, database_url, folder / "outbox")
    yield (result, sites, base, *_query(database_url, result.run_id))


@needs_browser
@pytest.mark.browser
def test_wait_for_is_honoured_the_late_price_is_read(js_crawl):
    result, sites, base, fetches, outcomes, prices, stats = js_crawl
    assert ("Widget", Decimal("42.50"), "USD", f"{base}/render.html") in prices


@needs_browser
@pytest.mark.browser
def test_the_price_is_found_only_through_the_browser(js_crawl):
    result, sites, base, fetches, outcomes, prices, stats = js_crawl
    static = [p for p in prices if p[3] == f"{base}/render.html?as=static"]
    assert static and all(price is None for _, price, _, _ in static)  # the product is there, its price is not
    assert fetches[f"{base}/render.html?as=static"].status == 200
    assert fetches[f"{base}/render.html"].status == 200 and fetches[f"{base}/render.html"].error is None
    assert outcomes[f"{base}/render.html"].status == "succeeded"


@needs_browser
@pytest.mark.browser
def test_images_fonts_and_media_are_blocked(js_crawl):
    result, sites, base, fetches, outcomes, prices, stats = js_crawl
    paths = sites.paths("shop")
    assert "/app.js" in paths  # scripts run ...
    assert not [p for p in paths if p.startswith(("/img/", "/fonts/", "/media/"))]  # ... nothing heavy was fetched
    crawl = stats["crawl"]
    attempted = {kind: crawl.get(f"playwright/request_count/resource_type/{kind}", 0)
                 for kind in ("image", "font", "media")}
    assert attempted == {"image": 1, "font": 1, "media": 1}  # the browser asked for each once ...
    assert crawl["playwright/request_count/aborted"] == 3  # ... and each request was aborted before leaving it


@needs_browser
@pytest.mark.browser
def test_a_wait_for_that_never_appears_is_a_failed_fetch_and_its_page_is_closed(js_crawl):
    result, sites, base, fetches, outcomes, prices, stats = js_crawl
    never = fetches[f"{base}/never.html"]
    assert (never.status, never.error) == (None, "wait_for '.never-there' did not appear within 2 s")
    assert outcomes[f"{base}/never.html"].reason == f"start URL failed: {never.error}"
    assert result.status == "partial"
    crawl = stats["crawl"]
    assert crawl["playwright/page_count"] == 3 == crawl["playwright/page_count/closed"]  # no page left open


@needs_browser
@pytest.mark.browser
def test_one_browser_context_per_competitor_and_the_user_agent_everywhere(js_crawl):
    result, sites, base, fetches, outcomes, prices, stats = js_crawl
    assert stats["crawl"]["playwright/context_count"] == 2  # jsa (two js sources) and jsb
    assert {hit.user_agent for hit in sites.hits} == {UA}  # the browser's navigation and script requests too
    assert fetches[f"{base}/other.html"].status == 200 and fetches[f"{base}/static.html"].status == 200


def test_dossier_chromium_pointing_at_no_browser_is_one_line_naming_it(tmp_path, monkeypatch):
    not_executable = tmp_path / "chromium"
    not_executable.write_text("#!/bin/sh\n")
    monkeypatch.setenv(ENV, str(not_executable))
    with pytest.raises(CrawlError) as raised:
        find_chromium()
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"{ENV}={not_executable}: ") and "/usr/bin/chromium" in message


def test_without_a_browser_only_the_js_sources_fail_and_say_how_to_fix_it(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no chromium on the PATH, and no DOSSIER_CHROMIUM
    monkeypatch.delenv(ENV, raising=False)
    fix = "install it (apt-get install chromium) or set DOSSIER_CHROMIUM to the browser's path"
    with Sites(shop=JS_SITE) as sites:
        base = sites.base("shop")
        config = write_config(tmp_path, [{"slug": "mixed", "name": "Mixed", "sources": [
            {"kind": "site", "url": f"{base}/static.html", "render": "static", "max_depth": 0},
            {"kind": "catalog", "url": f"{base}/render.html", "render": "js", "wait_for": ".price[data-ready]"},
            {"kind": "catalog", "url": f"{base}/render.html?as=static", "selectors": SELECTORS},  # auto, the default
        ]}])
        database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
        result = run_once(config, database_url, tmp_path / "outbox")
    fetches, outcomes, prices, stats = _query(database_url, result.run_id)
    assert result.status == "partial"
    assert outcomes[f"{base}/static.html"].status == "succeeded"
    # render: auto reads statically instead, with a warning in its report: the product, without its price
    auto = f"{base}/render.html?as=static"
    assert outcomes[auto].status == "succeeded" and fetches[auto].status == 200
    assert [(name, price) for name, price, _, url in prices if url == auto] == [("Widget", None)]
    (warning,) = stats["sources"][str(outcomes[auto].source_id)]["warnings"]
    assert warning == f"render: auto read every page statically tonight: render: js needs Chromium and none was " \
                      f"found: {fix}"
    js = outcomes[f"{base}/render.html"]
    assert js.status == "failed" and js.reason.endswith(fix) and "\n" not in js.reason
    assert fetches[f"{base}/render.html"].error.endswith(fix)
    asked = sites.paths("shop")
    assert "/static.html" in asked and "/render.html" not in asked  # the js page was never asked for
    assert "/app.js" not in asked  # nothing rendered
    assert result.failed_sources == [f"mixed {base}/render.html: {js.reason}"]
