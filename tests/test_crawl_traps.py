"""A crawl of the trap site (tests/crawlsites/traps.py) stays within its limits, and the run's coverage report
names every URL that failed."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from crawler import settings as defaults
from crawlsites import Sites, write_config
from crawlsites.traps import TRAPS
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope

SITE_PAGES, CALENDAR_PAGES = 40, 25


@pytest.fixture(scope="module")
def trapped(tmp_path_factory):
    folder = tmp_path_factory.mktemp("traps")
    with Sites(traps=TRAPS) as sites:
        base = sites.base("traps")
        config = write_config(folder, [{"slug": "trapco", "name": "Trap Co", "sources": [
            # every link of the site, as deep as 20 hops: only canonicalisation and the trap rules bound it
            {"kind": "site", "url": f"{base}/", "max_depth": 20, "max_pages": SITE_PAGES, "deny": "/calendar/"},
            # the endless calendar, next month as pagination: only max_pages bounds it
            {"kind": "catalog", "url": f"{base}/calendar/2026/11/", "paginate": "a.next", "follow": "/calendar/",
             "max_depth": 2, "max_pages": CALENDAR_PAGES},
        ]}], concurrency_per_domain=4)
        database_url = f"sqlite:///{folder / 'dossier.db'}"
        started = time.monotonic()
        result = run_once(config, database_url, folder / "outbox")
        elapsed = time.monotonic() - started
    engine = create_db_engine(database_url)
    with session_scope(engine) as session:
        sources = {s.url.removeprefix(base): s.id for s in session.scalars(select(models.Source))}
        rows = {}
        for row in session.scalars(select(models.Fetch).where(models.Fetch.run_id == result.run_id)):
            rows.setdefault(row.source_id, {})[row.url.removeprefix(base)] = row
        stats = session.get(models.CrawlRun, result.run_id).stats
    engine.dispose()
    site, calendar = sources["/"], sources["/calendar/2026/11/"]
    return result, sites, elapsed, rows[site], rows[calendar], stats["sources"][str(site)], \
        stats["sources"][str(calendar)]


def test_the_crawl_ends_and_the_run_succeeds(trapped):
    result, sites, elapsed, site_rows, calendar_rows, site, calendar = trapped
    assert result.status == "succeeded", result.failed_sources  # failed pages, but every start page was read
    assert elapsed < 60


def test_session_ids_and_tracking_parameters_do_not_make_new_pages(trapped):
    result, sites, elapsed, site_rows, calendar_rows, site, calendar = trapped
    shop = [path for path in sites.paths("traps") if path.startswith("/shop")]
    assert shop == ["/shop;jsessionid=S0000"]  # one visit: every later session id names the same page


def test_growing_query_strings_and_nesting_paths_are_not_followed(trapped):
    result, sites, elapsed, site_rows, calendar_rows, site, calendar = trapped
    searches = [path for path in site_rows if path.startswith("/search")]
    assert max(path.count("q=") for path in searches) == defaults.TRAP_MAX_REPEATS
    filters = [path for path in site_rows if path.startswith("/filter")]
    assert len(filters) == defaults.TRAP_MAX_QUERY_PARAMS  # ?f1=1 … ?f1=1&…&f12=1
    docs = [path for path in site_rows if path.startswith("/docs/")]
    assert max(path.count("more") for path in docs) == defaults.TRAP_MAX_REPEATS
    reasons = {example["reason"] for example in site["trap_examples"]}
    assert reasons == {f"a query parameter repeated more than {defaults.TRAP_MAX_REPEATS} times",
                       f"more than {defaults.TRAP_MAX_QUERY_PARAMS} query parameters",
                       f"a path segment repeated more than {defaults.TRAP_MAX_REPEATS} times"}
    assert site["traps_skipped"] == 3  # each family stopped once, at its first generated-looking URL
    assert not site["cut_by_max_pages"] and site["requested"] == len(site_rows) < SITE_PAGES
    assert not [path for path in site_rows if path.startswith("/calendar/")]  # deny


def test_the_endless_calendar_stops_at_max_pages(trapped):
    result, sites, elapsed, site_rows, calendar_rows, site, calendar = trapped
    assert calendar["cut_by_max_pages"] and calendar["requested"] == CALENDAR_PAGES == len(calendar_rows)
    months = sorted(path for path in calendar_rows if path.endswith("/") and path.count("/") == 4)
    assert months[0] == "/calendar/2026/09/"  # previous months: bounded by max_depth 2
    assert len(months) > 10  # next months: bounded by nothing but max_pages
    asked = [path for path in sites.paths("traps") if path.startswith("/calendar/")]
    assert set(asked) == set(calendar_rows)  # nothing asked beyond the budget


@pytest.mark.parametrize("which", ["site", "calendar"])
def test_the_coverage_report_names_every_failed_url(trapped, which):
    result, sites, elapsed, site_rows, calendar_rows, site, calendar = trapped
    rows, report = (site_rows, site) if which == "site" else (calendar_rows, calendar)
    failed = {path for path, row in rows.items() if row.error or row.status is None or row.status >= 400}
    named = {entry["url"].removeprefix(sites.base("traps")) for entry in report["failed_urls"]}
    assert named == failed and report["failed_urls_not_listed"] == 0
    assert report["errors"] == len(failed)
    if which == "calendar":
        assert len(failed) >= 5 and all(path.endswith("events.ics") and rows[path].status == 500 for path in failed)
        assert all(entry["error"] == "HTTP 500" for entry in report["failed_urls"])
