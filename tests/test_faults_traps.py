"""Traps (issue 10, family 3), beyond tests/test_crawl_traps.py: soft 404s (200 and "page not found" for any
path, linking to more pages that do not exist), a site that answers every path with its one page, a query
parameter that grows without end, session ids under a name no list knows, and a day-by-day calendar of plain
links. One crawl; each source stays within its limits and its report in crawl_run.stats says which one held.
"""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from crawler import settings as defaults
from crawler.soft404 import PROBE_PREFIX, SOFT_404_ERROR
from crawlsites import Reply, Sites, page, write_config
from crawlsites.faults import soft_404
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope

REAL = ["/about.html", "/products/drill.html", "/products/saw.html"]
MISSING = ["/old-catalog/", "/products/discontinued.html", "/blog/2019/hello"]
SESSION_PAGES, CALENDAR_DEPTH = 8, 4
_token = itertools.count(1000)


def soft_site() -> dict:
    """Real pages, links to pages that are gone, and a catch-all that answers them (and anything) with 200."""
    routes = {"/": page("Soft Co", *REAL, *MISSING), **{path: page(f"Real {path}") for path in REAL}}
    return {**routes, "/*": soft_404}


def shell(path: str) -> Reply:
    """A single-page app: every path, the start page and a missing one alike, answers the same shell."""
    return page("App shell", "/app/inbox", "/app/settings")


def grow(path: str) -> Reply:
    """Links itself with its one query parameter twice as long: ?q=ab → ?q=abab → … (URL length bounds it)."""
    query = path.partition("?q=")[2] or "ab"
    return page("Growing search", f"/grow?q={query * 2}")


def session(path: str) -> Reply:
    """Every answer links the page again under a new session id whose name no list of session parameters has."""
    return page("Session shop", f"/session?visit={next(_token):x}f3a9c1d2")


def day(path: str) -> Reply:
    """/day/N: one day of a calendar, linking the next day, for ever."""
    number = int(path.rstrip("/").rpartition("/")[2] or 0)
    return page(f"Day {number}", f"/day/{number + 1}")


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults-traps")
    with Sites(soft=soft_site(), shell={"/*": shell}, grow={"/": page("Grow", "/grow?q=ab"), "/grow": grow},
               session={"/": page("Sessions", "/session"), "/session": session},
               days={"/": page("Calendar", "/day/1"), "/day/*": day}) as sites:
        bases = {name: sites.base(name) for name in ("soft", "shell", "grow", "session", "days")}
        config = write_config(folder, [{"slug": "trapco", "name": "Trap Co", "sources": [
            {"kind": "site", "url": f"{bases['soft']}/", "max_depth": 10},
            {"kind": "site", "url": f"{bases['shell']}/", "max_depth": 10},
            {"kind": "site", "url": f"{bases['grow']}/", "max_depth": 50},
            {"kind": "site", "url": f"{bases['session']}/", "max_depth": 50, "max_pages": SESSION_PAGES},
            {"kind": "site", "url": f"{bases['days']}/", "max_depth": CALENDAR_DEPTH},
        ]}], concurrency_per_domain=4)
        database_url = f"sqlite:///{folder / 'dossier.db'}"
        result = run_once(config, database_url, folder / "outbox")
        paths = {name: sites.paths(name, probes=True) for name in bases}
    engine = create_db_engine(database_url)
    with session_scope(engine) as db:
        ids = {s.url: s.id for s in db.scalars(select(models.Source))}
        rows: dict[str, dict[str, models.Fetch]] = {name: {} for name in bases}
        snapshots: dict[str, set[str]] = {name: set() for name in bases}
        names = {ids[f"{base}/"]: name for name, base in bases.items()}
        for row in db.scalars(select(models.Fetch).where(models.Fetch.run_id == result.run_id)):
            rows[names[row.source_id]][row.url.removeprefix(bases[names[row.source_id]])] = row
        for snap in db.scalars(select(models.PageSnapshot).where(models.PageSnapshot.run_id == result.run_id)):
            snapshots[names[snap.source_id]].add(snap.url.removeprefix(bases[names[snap.source_id]]))
        stats = db.get(models.CrawlRun, result.run_id).stats
        db.expunge_all()
    engine.dispose()
    reports = {name: stats["sources"][str(ids[f"{base}/"])] for name, base in bases.items()}
    return result, paths, rows, snapshots, reports


def test_the_crawl_ends_and_every_source_succeeds(crawl):
    result, paths, rows, snapshots, reports = crawl
    assert (result.status, result.failed_sources) == ("succeeded", [])
    assert {name: report["status"] for name, report in reports.items()} == dict.fromkeys(reports, "succeeded")


def test_soft_404_pages_are_failed_fetches_not_pages(crawl):
    result, paths, rows, snapshots, reports = crawl
    soft = rows["soft"]
    for path in MISSING:
        assert (soft[path].status, soft[path].error) == (200, SOFT_404_ERROR)
    for path in ["/", *REAL]:
        assert (soft[path].status, soft[path].error) == (200, None)
    assert snapshots["soft"] == {"/", *REAL}  # nothing extracted from a page that does not exist
    report = reports["soft"]
    assert (report["soft_404s"], report["pages"], report["errors"]) == (len(MISSING), 1 + len(REAL), len(MISSING))
    assert {"/" + entry["url"].split("/", 3)[3] for entry in report["failed_urls"]} == set(MISSING)


def test_links_of_soft_404_pages_are_not_followed(crawl):
    result, paths, rows, snapshots, reports = crawl
    pages = [path for path in paths["soft"] if path not in ("/robots.txt", "/sitemap.xml") and PROBE_PREFIX not in path]
    assert sorted(pages) == sorted(["/", *REAL, *MISSING])  # not one of their /similar/ or -2/ links


def test_the_probe_is_one_request_beside_the_start_url_and_in_the_report(crawl):
    result, paths, rows, snapshots, reports = crawl
    probes = [path for path in paths["soft"] if PROBE_PREFIX in path]
    assert len(probes) == 1 and probes[0].startswith(f"/{PROBE_PREFIX}")
    assert not [url for url in rows["soft"] if PROBE_PREFIX in url]  # discovery: no fetch row, no budget
    (entry,) = [e for e in reports["soft"]["discovery"] if PROBE_PREFIX in e["url"]]
    assert (entry["status"], entry["soft_404"]) == (200, True)
    (hard,) = [e for e in reports["days"]["discovery"] if PROBE_PREFIX in e["url"]]
    assert (hard["status"], hard["soft_404"]) == (404, False)  # an honest 404: nothing to compare with


def test_a_site_that_answers_everything_alike_keeps_its_pages_and_says_why(crawl):
    result, paths, rows, snapshots, reports = crawl
    report = reports["shell"]
    assert snapshots["shell"] == {"/", "/app/inbox", "/app/settings"} and report["soft_404s"] == 0
    assert report["warnings"] == ["the start page looks like the site's answer for a URL that does not exist: "
                                  "soft 404s are not detected for this source"]


def test_a_growing_query_parameter_stops_at_the_url_length_limit(crawl):
    result, paths, rows, snapshots, reports = crawl
    report = reports["grow"]
    grown = [path for path in rows["grow"] if path.startswith("/grow")]
    assert max(len(path) for path in grown) < defaults.TRAP_MAX_URL_LENGTH
    assert report["traps_skipped"] == 1 and not report["cut_by_max_pages"]
    (example,) = report["trap_examples"]
    assert example["reason"] == f"URL longer than {defaults.TRAP_MAX_URL_LENGTH} characters"


def test_session_ids_no_list_knows_are_bounded_by_max_pages(crawl):
    result, paths, rows, snapshots, reports = crawl
    report = reports["session"]
    assert report["cut_by_max_pages"] and report["requested"] == SESSION_PAGES == len(rows["session"])
    assert len([path for path in paths["session"] if path.startswith("/session")]) == SESSION_PAGES - 1


def test_a_calendar_of_plain_links_stops_at_max_depth(crawl):
    result, paths, rows, snapshots, reports = crawl
    days = sorted(path for path in rows["days"] if path.startswith("/day/"))
    assert days == [f"/day/{n}" for n in range(1, CALENDAR_DEPTH + 1)]
    assert not reports["days"]["cut_by_max_pages"] and reports["days"]["traps_skipped"] == 0
