"""Network faults (issue 10, family 1): timeouts, connection resets, truncated bodies, 429 with Retry-After and
503 bursts, on loopback. Three nights of one config: clean, faulty, clean again with one real change.

The faulty night keeps every page it could read, records each URL it could not with its error (after retries
that back off), lets no exception escape, and is `partial` only because one source's start URL failed; the
night after, with the faults gone, is clean and reports the real change and nothing else.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crawlsites import Reply, Sites, page, write_config
from crawlsites.faults import Burst, reset, truncated
from dossier.outcomes import FetchOutcome
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope
from storage.queries import list_changes

TIMEOUT = 1  # seconds: the test config's timeout
RETRY_AFTER = 1  # seconds the busy pages ask for

PRODUCTS = {f"p{n}": (f"Wrench {n}", f"{10 + n}.00") for n in range(1, 13)}  # 5 fail on the faulty night
CATALOG = {"follow": "/shop/p", "selectors": {"product": ".product", "name": ".name", "price": ".price"},
           "currency": "USD"}


def product(slug: str, price: str | None = None) -> Reply:
    name, usual = PRODUCTS[slug]
    return Reply(f"<!doctype html><html><head><title>{name}</title></head><body><div class='product'>"
                 f"<h1 class='name'>{name}</h1><span class='price'>${price or usual}</span></div></body></html>")


INFO = [f"/info/{name}.html" for name in ("about", "team", "jobs", "press", "contact", "history")]


def clean_site() -> dict:
    return {
        "/": page("Flaky Tools", *INFO, "/shop/"),
        **{path: page(path.rsplit("/", 1)[1].removesuffix(".html").title(), body="<p>Steady text.</p>")
           for path in INFO},
        "/shop/": page("Shop", *(f"/shop/{slug}" for slug in PRODUCTS)),
        **{f"/shop/{slug}": product(slug) for slug in PRODUCTS},
    }


def faulty_site() -> dict:
    routes = clean_site()
    info = {path: routes[path] for path in INFO}
    routes.update({
        "/info/about.html": Reply(info["/info/about.html"].body, delay=TIMEOUT + 2),  # a timeout
        "/info/team.html": reset(),  # a connection reset before any answer
        "/info/jobs.html": truncated(info["/info/jobs.html"]),  # Content-Length larger than the body
        "/info/press.html": Burst(Reply("busy", status=503), info["/info/press.html"], times=2),  # recovers
        "/shop/p1": Burst(Reply("slow down", status=429, headers={"Retry-After": str(RETRY_AFTER)}),
                          product("p1"), times=1),  # recovers after waiting as asked
        "/shop/p2": Burst(Reply("slow down", status=429, headers={"Retry-After": str(RETRY_AFTER)}),
                          product("p2"), times=None),  # never lifts
        "/shop/p3": Burst(Reply("maintenance", status=503, headers={"Retry-After": "3600"}), product("p3"),
                          times=None),  # back in an hour: not waited for
        "/shop/p4": reset(),
        "/shop/p5": truncated(product("p5")),
        "/shop/p6": Burst(Reply("down", status=503), product("p6"), times=None),  # a burst longer than the retries
    })
    return routes


@pytest.fixture(scope="module")
def nights(tmp_path_factory, module_database_url):
    folder = tmp_path_factory.mktemp("faults-network")
    with Sites(flaky=clean_site(), gone={"/": page("Gone Co")}) as sites:
        flaky, gone = sites.base("flaky"), sites.base("gone")
        config = write_config(folder, [
            {"slug": "flaky", "name": "Flaky Tools", "sources": [
                {"kind": "site", "url": f"{flaky}/", "deny": "/shop/"},
                {"kind": "catalog", "url": f"{flaky}/shop/", **CATALOG}]},
            {"slug": "gone", "name": "Gone Co", "sources": [{"kind": "site", "url": f"{gone}/"}]},
        ], timeout=TIMEOUT, concurrency_per_domain=4)
        results, hits = [], []
        for routes, gone_routes in ((clean_site(), {"/": page("Gone Co")}),
                                    (faulty_site(), {"/": reset()}),
                                    ({**clean_site(), "/shop/p12": product("p12", "99.00")}, {"/": page("Gone Co")})):
            sites.routes["flaky"], sites.routes["gone"] = routes, gone_routes
            sites.clear()
            results.append(run_once(config, module_database_url, folder / "outbox"))
            hits.append(list(sites.hits))
    engine = create_db_engine(module_database_url)
    yield Nights(results, hits, engine, flaky, gone)
    engine.dispose()


class Nights:
    def __init__(self, results, hits, engine, flaky, gone):
        self.results, self.hits, self.engine, self.flaky, self.gone = results, hits, engine, flaky, gone
        with session_scope(engine) as session:
            self.source_ids = {s.url: s.id for s in session.scalars(select(models.Source))}
            self.rows: list[dict[str, models.Fetch]] = []
            self.stats = []
            for result in results:
                rows = {}
                for row in session.scalars(select(models.Fetch).where(models.Fetch.run_id == result.run_id)):
                    rows[row.url.removeprefix(flaky).removeprefix(gone)] = row
                self.rows.append(rows)
                self.stats.append(session.get(models.CrawlRun, result.run_id).stats)
            session.expunge_all()

    def asked(self, night: int, path: str) -> list[float]:
        return [hit.at for hit in self.hits[night] if hit.site == "flaky" and hit.path == path]

    def report(self, night: int, url: str) -> dict:
        return self.stats[night]["sources"][str(self.source_ids[url])]


def test_the_clean_night_is_the_baseline(nights):
    first = nights.results[0]
    assert (first.status, first.changes, first.failed_sources) == ("succeeded", 0, [])


def test_the_faulty_night_is_partial_because_of_the_one_source_whose_start_url_failed(nights):
    second = nights.results[1]
    assert second.status == "partial" and second.error is None
    assert second.failed_sources == [f"gone {nights.gone}/: start URL failed: connection reset"]
    for url in (f"{nights.flaky}/", f"{nights.flaky}/shop/"):
        assert nights.report(1, url)["status"] == "succeeded"  # what could be read was read and kept


def test_no_exception_escapes_the_crawl(nights):
    for stats in nights.stats:
        crawl = stats["crawl"]
        assert not [key for key in crawl if key.startswith(("spider_exceptions", "log_count/CRITICAL"))], crawl


# (path, error on its fetch row, its outcome, requests the site saw: three tries, or one when Retry-After is too
# long). A reset of a kept-alive connection costs one request more: Twisted's connection pool then asks again at
# once on a new connection (twisted.web.client's retryAutomatically), so each of the three tries of a reset URL is
# one or two.
FAILED = [
    ("/info/about.html", f"timed out after {TIMEOUT} s", "timeout", 3),
    ("/info/team.html", "connection reset", "connection_error", 3),
    ("/info/jobs.html", "body cut short: the connection closed before the announced length", "connection_error", 3),
    ("/shop/p2", "HTTP 429", "http_error", 3),
    ("/shop/p3", "HTTP 503 (Retry-After 3600 s: longer than a crawl waits)", "http_error", 1),
    ("/shop/p4", "connection reset", "connection_error", 3),
    ("/shop/p5", "body cut short: the connection closed before the announced length", "connection_error", 3),
    ("/shop/p6", "HTTP 503", "http_error", 3),
]


@pytest.mark.parametrize(("path", "error", "outcome", "requests"), FAILED, ids=[path for path, *_ in FAILED])
def test_each_failed_url_is_a_fetch_row_with_its_error_after_its_retries(nights, path, error, outcome, requests):
    row = nights.rows[1][path]
    assert row.error == error and row.outcome == outcome
    asked = len(nights.asked(1, path))
    assert requests <= asked <= 2 * requests if error == "connection reset" else asked == requests


def test_the_coverage_report_names_every_failed_url(nights):
    site, shop = nights.report(1, f"{nights.flaky}/"), nights.report(1, f"{nights.flaky}/shop/")
    named = {entry["url"].removeprefix(nights.flaky) for entry in site["failed_urls"] + shop["failed_urls"]}
    assert named == {path for path, *_ in FAILED}
    assert (site["pages"], site["errors"], shop["pages"], shop["errors"]) == (4, 3, 8, 5)


@pytest.mark.parametrize("path", ["/info/press.html", "/shop/p1"])
def test_a_fault_that_lifts_within_the_retries_costs_nothing(nights, path):
    row = nights.rows[1][path]
    assert (row.status, row.error, row.outcome) == (200, None, "ok")


def test_every_fetch_row_says_how_it_ended(nights):
    """fetch.outcome on every row of every night: a page exactly when it read one, a failure exactly when it has
    an error."""
    for rows in nights.rows:
        for path, row in rows.items():
            assert row.outcome in {outcome.value for outcome in FetchOutcome}, path
            assert (row.outcome == "ok") == (row.error is None and 200 <= row.status < 300), (path, row.outcome)
            assert FetchOutcome(row.outcome).is_failure == (row.error is not None), (path, row.outcome)


def test_retry_after_is_waited_for(nights):
    first, second = nights.asked(1, "/shop/p1")
    assert second - first >= RETRY_AFTER  # a lower bound: the crawl may wait longer, never less
    asked = nights.asked(1, "/shop/p2")
    assert len(asked) == 3, asked  # three tries (FAILED below), so two waits to check
    assert all(later - earlier >= RETRY_AFTER for earlier, later in zip(asked, asked[1:]))


def test_retries_of_a_503_back_off(nights):
    asked = nights.asked(1, "/shop/p6")
    gaps = [later - earlier for earlier, later in zip(asked, asked[1:])]
    assert len(gaps) == 2 and gaps[0] >= 1 and gaps[1] >= 2  # 1 s, then 2 s (crawler/retries.py); lower bounds
    assert nights.stats[1]["crawl"]["dossier/retry/backoff"] >= 6  # p1, p2 (twice), p6 (twice), press (twice)


def test_the_faulty_night_reports_the_failed_source_and_nothing_else(nights):
    changes = list_changes(nights.engine, run_id=nights.results[1].run_id)
    assert [(c.kind, c.url) for c in changes] == [("source_unreachable", f"{nights.gone}/")]


def test_the_night_after_is_clean_and_reports_only_the_real_change(nights):
    third = nights.results[2]
    assert (third.status, third.failed_sources) == ("succeeded", [])
    assert not [path for path, row in nights.rows[2].items() if row.error]
    changes = list_changes(nights.engine, run_id=third.run_id)
    assert [(c.kind, c.url.removeprefix(nights.flaky)) for c in changes] == [("price_up", "/shop/p12")]
