"""Real crawls of small sites on 127.0.0.1: politeness, discovery, budgets and the fetch rows of every URL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crawler.soft404 import PROBE_PREFIX
from crawlsites import UA, Reply, Sites, gzipped, page, redirect, sitemap_index, urlset, write_config
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope

ROBOTS = """User-agent: *
Disallow: /

User-agent: DossierTestBot
Disallow: /private/
Sitemap: {base}/maps/index.xml
"""
MAX_BYTES = 100_000


def listing(*names: str) -> Reply:
    cards = "".join(f'<div class="product"><h2 class="name"><a href="/p/{name.lower()}">{name}</a></h2>'
                    f'<span class="price">$10.00</span></div>' for name in names)
    return Reply(f"<!doctype html><html><head><title>Listing</title></head><body>{cards}</body></html>")


def endless(path: str) -> Reply:
    number = path.rpartition("page=")[2] if "page=" in path else "1"
    return listing(f"Endless {number}a", f"Endless {number}b")


ACME = {
    "/robots.txt": Reply(ROBOTS, content_type="text/plain"),
    "/": page("Acme", "/a.html", "/old.html", "/private/secret.html", "/big.html", "/slow.html", "/broken.html",
              "/loop/1", "/d1.html", "https://elsewhere.example/offsite.html"),
    "/a.html": page("A"),
    "/old.html": redirect("/a.html"),
    "/loop/1": redirect("/loop/2"),
    "/loop/2": redirect("/loop/1"),
    "/private/secret.html": page("Secret"),
    "/private/from-sitemap.html": page("Secret too"),
    "/big.html": Reply("<html><body>" + "x" * (MAX_BYTES * 2) + "</body></html>"),
    "/slow.html": Reply(page("Slow").body, delay=4),
    "/broken.html": Reply("<h1>oops</h1>", status=500),
    "/d1.html": page("D1", "/d2.html"),
    "/d2.html": page("D2", "/d3.html"),
    "/d3.html": page("D3", "/d4.html"),
    "/d4.html": page("D4"),
    "/maps/index.xml": sitemap_index("/maps/pages.xml", "/maps/nested.xml", "/maps/products.xml.gz"),
    "/maps/nested.xml": sitemap_index("/maps/deep.xml"),
    "/maps/deep.xml": urlset("/from-deep.html"),
    "/maps/pages.xml": urlset("/from-sitemap.html", "/private/from-sitemap.html"),
    "/maps/products.xml.gz": gzipped(urlset("/from-gzip.html")),
    "/from-deep.html": page("From a nested sitemap index"),
    "/from-sitemap.html": page("From the sitemap"),
    "/from-gzip.html": page("From a gzip sitemap"),
    "/down/": Reply("<h1>down</h1>", status=500),
    # page_param listings: one ends with a 404, one repeats itself, one never ends (max_pages bounds it)
    "/list": listing("Hammer", "Saw"),
    "/list?page=2": listing("Drill", "Level"),
    "/list?page=3": listing("Clamp"),
    "/clamp": listing("Vise", "File"),
    "/clamp?page=2": listing("Rasp", "Chisel"),
    "/clamp?page=3": listing("Vise", "File"),  # past its end the listing shows its first page again
    "/endless": endless,
}
OPEN = {
    "/robots.txt": Reply("User-agent: *\nDisallow: /\n", content_type="text/plain"),
    "/": page("Open", "/secret.html"),
    "/secret.html": page("Disallowed, fetched all the same"),
}
PLAIN = {  # no robots.txt: its sitemap is found at /sitemap.xml
    "/": page("Plain"),
    "/sitemap.xml": urlset("/listed.html"),
    "/listed.html": page("Only in the sitemap"),
}
CATALOG = {"selectors": {"product": ".product", "name": ".name", "price": ".price"}, "currency": "USD"}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, pick_port, module_database_url):
    folder = tmp_path_factory.mktemp("crawl")
    with Sites(acme=ACME, open=OPEN, plain=PLAIN) as sites:
        acme, nowhere = sites.base("acme"), f"http://127.0.0.1:{pick_port()}"
        config = write_config(folder, [
            {"slug": "acme", "name": "Acme", "sources": [
                {"kind": "site", "url": f"{acme}/", "sitemap": True, "max_depth": 3},
                {"kind": "catalog", "url": f"{acme}/list", "page_param": "page", **CATALOG},
                {"kind": "catalog", "url": f"{acme}/clamp", "page_param": "page", **CATALOG},
                {"kind": "catalog", "url": f"{acme}/endless", "page_param": "page", "max_pages": 4, **CATALOG},
            ]},
            {"slug": "downco", "name": "Down Co", "sources": [{"kind": "site", "url": f"{acme}/down/"}]},
            {"slug": "goneco", "name": "Gone Co", "sources": [{"kind": "site", "url": f"{nowhere}/"}]},
            {"slug": "openco", "name": "Open Co", "sources": [
                {"kind": "site", "url": f"{sites.base('open')}/", "obey_robots": False}]},
            {"slug": "plainco", "name": "Plain Co", "sources": [
                {"kind": "site", "url": f"{sites.base('plain')}/", "sitemap": True, "max_depth": 0}]},
        ], concurrency_per_domain=1, timeout=1, max_bytes=MAX_BYTES)
        database_url = module_database_url  # the crawl's writes and the source judgement on each backend
        result = run_once(config, database_url, folder / "outbox")
    engine = create_db_engine(database_url)
    yield Crawl(result, engine, sites, acme)
    engine.dispose()


class Crawl:
    def __init__(self, result, engine, sites, acme):
        self.result, self.engine, self.sites, self.acme = result, engine, sites, acme
        with session_scope(engine) as session:
            sources = {s.url: s.id for s in session.scalars(select(models.Source))}
            self.fetches = {}
            for row in session.scalars(select(models.Fetch).where(models.Fetch.run_id == result.run_id)):
                self.fetches.setdefault(row.source_id, {})[row.url] = row
            self.outcomes = {row.source_id: row for row in session.scalars(
                select(models.SourceCrawl).where(models.SourceCrawl.run_id == result.run_id))}
            self.stats = session.get(models.CrawlRun, result.run_id).stats
            self.products = {(row.source_id, name) for row, name in session.execute(
                select(models.PriceObservation, models.Product.name)
                .join(models.Product, models.Product.id == models.PriceObservation.product_id)
                .where(models.PriceObservation.run_id == result.run_id))}
        self.sources = sources

    def rows(self, url: str) -> dict[str, models.Fetch]:
        """The fetch rows of the source with this start URL, by path."""
        base = url.split("/", 3)
        origin = "/".join(base[:3])
        return {row.url.removeprefix(origin): row for row in self.fetches.get(self.sources[url], {}).values()}


def test_robots_txt_is_obeyed_with_the_configured_user_agent(crawl):
    acme_paths = crawl.sites.paths("acme")
    assert acme_paths[0] == "/robots.txt"  # asked before any page of the site
    assert {hit.user_agent for hit in crawl.sites.hits} == {UA}  # robots.txt, sitemaps and pages alike
    assert not [p for p in acme_paths if p.startswith("/private/")]  # never fetched ...
    rows = crawl.rows(f"{crawl.acme}/")
    for path in ("/private/secret.html", "/private/from-sitemap.html"):  # ... but accounted for
        assert (rows[path].status, rows[path].error) == (None, "Forbidden by robots.txt")
    assert crawl.stats["crawl"]["robotstxt/forbidden"] == 2


def test_obey_robots_false_is_honoured_and_recorded_as_a_warning(crawl):
    assert sorted(crawl.sites.paths("open")) == ["/", "/secret.html"]  # no robots.txt asked, the disallowed page read
    open_url = f"{crawl.sites.base('open')}/"
    assert crawl.rows(open_url)["/secret.html"].status == 200
    (warning,) = crawl.stats["sources"][str(crawl.sources[open_url])]["warnings"]
    assert "robots.txt is NOT obeyed" in warning and "obey_robots: false" in warning


def test_sitemaps_named_in_robots_txt_nested_and_gzipped_are_read(crawl):
    rows = crawl.rows(f"{crawl.acme}/")
    for path in ("/from-sitemap.html", "/from-deep.html", "/from-gzip.html"):
        assert rows[path].status == 200 and rows[path].error is None
    discovery = _without_probes(crawl.stats["sources"][str(crawl.sources[f"{crawl.acme}/"])]["discovery"])
    read = {entry["url"].removeprefix(crawl.acme): entry for entry in discovery}
    assert set(read) == {"/robots.txt", "/maps/index.xml", "/maps/nested.xml", "/maps/deep.xml", "/maps/pages.xml",
                         "/maps/products.xml.gz"}
    assert not [entry for entry in discovery if entry.get("error")]
    assert (read["/maps/index.xml"]["sitemaps"], read["/maps/products.xml.gz"]["pages"]) == (3, 1)
    assert "/sitemap.xml" not in crawl.sites.paths("acme")  # robots.txt named the sitemap: no guessing


def _without_probes(discovery: list[dict]) -> list[dict]:
    """The source's discovery report without its soft-404 probe (tests/test_faults_traps.py covers that)."""
    return [entry for entry in discovery if PROBE_PREFIX not in entry["url"]]


def test_without_robots_txt_the_sitemap_is_looked_for_at_sitemap_xml(crawl):
    plain = f"{crawl.sites.base('plain')}/"
    assert crawl.rows(plain)["/listed.html"].status == 200  # max_depth 0: only the sitemap could name it
    discovery = _without_probes(crawl.stats["sources"][str(crawl.sources[plain])]["discovery"])
    assert [(e["url"].removeprefix(plain[:-1]), e["status"]) for e in discovery] == [
        ("/robots.txt", 404), ("/sitemap.xml", 200)]


def test_depth_limit_and_site_boundary(crawl):
    rows = crawl.rows(f"{crawl.acme}/")
    assert "/d3.html" in rows and "/d4.html" not in rows
    assert "/d4.html" not in crawl.sites.paths("acme")
    assert not [url for url in rows if "elsewhere.example" in url]


def test_failures_become_fetch_rows_with_a_reason(crawl):
    rows = crawl.rows(f"{crawl.acme}/")
    assert (rows["/broken.html"].status, rows["/broken.html"].error) == (500, "HTTP 500")
    assert crawl.sites.paths("acme").count("/broken.html") == 3  # two retries
    assert rows["/slow.html"].error == "timed out after 1 s"
    assert rows["/big.html"].error == f"response larger than max_bytes ({MAX_BYTES} bytes): not read"
    assert crawl.sites.paths("acme").count("/big.html") == 1  # not retried
    loop = {rows["/loop/1"].error, rows["/loop/2"].error}
    assert loop == {f"redirect loop: {crawl.acme}/loop/1 -> {crawl.acme}/loop/2 -> {crawl.acme}/loop/1"}
    assert (rows["/old.html"].status, rows["/old.html"].error) == (301, None)  # a redirect: neither page nor failure
    good = rows["/a.html"]
    assert (good.status, good.error, good.bytes, len(good.content_hash)) == (200, None, len(ACME["/a.html"].body), 64)
    assert good.elapsed_ms is not None


def test_every_url_asked_for_has_a_fetch_row(crawl):
    """Pages asked for are rows (robots.txt and sitemaps are discovery, reported in crawl_run.stats instead)."""
    site_rows = crawl.rows(f"{crawl.acme}/")
    asked = {p for p in crawl.sites.paths("acme") if p != "/robots.txt" and not p.startswith("/maps/")}
    recorded = set()
    for source_url in crawl.sources:
        if source_url.startswith(crawl.acme):
            recorded |= set(crawl.rows(source_url))
    assert asked <= recorded
    assert set(site_rows) - asked == {"/private/secret.html", "/private/from-sitemap.html"}  # never asked: robots


def test_page_param_pagination_stops_at_the_end_of_the_listing(crawl):
    listing_rows = crawl.rows(f"{crawl.acme}/list")
    assert set(listing_rows) == {"/list", "/list?page=2", "/list?page=3", "/list?page=4"}
    assert listing_rows["/list?page=4"].status == 404  # the end of the listing, recorded like any failure
    clamp_rows = crawl.rows(f"{crawl.acme}/clamp")
    assert set(clamp_rows) == {"/clamp", "/clamp?page=2", "/clamp?page=3"}  # page 3 repeated page 1: the end
    list_id = crawl.sources[f"{crawl.acme}/list"]
    assert {name for source, name in crawl.products if source == list_id} == {"Hammer", "Saw", "Drill", "Level",
                                                                              "Clamp"}


def test_max_pages_bounds_an_endless_listing(crawl):
    url = f"{crawl.acme}/endless"
    assert set(crawl.rows(url)) == {"/endless", "/endless?page=2", "/endless?page=3", "/endless?page=4"}
    assert "/endless?page=5" not in crawl.sites.paths("acme")
    report = crawl.stats["sources"][str(crawl.sources[url])]
    assert (report["requested"], report["cut_by_max_pages"], report["pages"]) == (4, True, 4)


def test_the_run_is_partial_and_names_each_failed_source_and_why(crawl):
    result = crawl.result
    assert result.status == "partial"
    by_url = {url: crawl.outcomes[source_id] for url, source_id in crawl.sources.items()}
    down = by_url[f"{crawl.acme}/down/"]
    assert (down.status, down.reason) == ("failed", "start URL failed: HTTP 500")
    refused = [o for url, o in by_url.items() if o.reason == "start URL failed: connection refused"]
    assert len(refused) == 1
    assert sorted(line.split(" ", 1)[0] for line in result.failed_sources) == ["downco", "goneco"]
    site = by_url[f"{crawl.acme}/"]
    assert site.status == "succeeded" and site.errors == 7  # 2 by robots.txt, 500, timeout, too big, 2 loop hops
    report = crawl.stats["sources"][str(site.source_id)]
    assert report["coverage"] is None and report["baseline_run"] is None  # the first crawl is the baseline
    assert {f["url"].removeprefix(crawl.acme) for f in report["failed_urls"]} == {
        "/private/secret.html", "/private/from-sitemap.html", "/broken.html", "/slow.html", "/big.html", "/loop/1",
        "/loop/2"}
