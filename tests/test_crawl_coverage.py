"""Coverage across two real runs: a source that read far fewer pages than its last good crawl, or whose start
URL timed out, fails alone; the run is partial and the diff reports the source unreachable, nothing else."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from crawlsites import Reply, Sites, page, write_config
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope
from storage.queries import list_changes

PAGES = [f"/page-{n}.html" for n in range(1, 6)]
FULL = {"/": page("Shop", *PAGES), **{path: page(path) for path in PAGES}}
SHRUNK = {"/": page("Shop", PAGES[0]), PAGES[0]: page(PAGES[0])}  # 2 of the 6 pages: 33 % coverage
STEADY = {"/": page("Steady", "/about.html"), "/about.html": page("About")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, module_database_url):
    folder = tmp_path_factory.mktemp("coverage")
    with Sites(shop=dict(FULL), steady=dict(STEADY), slow={"/": page("Quick tonight")}) as sites:
        config = write_config(folder, [
            {"slug": "shop", "name": "Shop", "sources": [{"kind": "site", "url": f"{sites.base('shop')}/"}]},
            {"slug": "steady", "name": "Steady", "sources": [{"kind": "site", "url": f"{sites.base('steady')}/"}]},
            {"slug": "slow", "name": "Slow", "sources": [{"kind": "site", "url": f"{sites.base('slow')}/"}]},
        ], timeout=1)
        database_url = module_database_url  # coverage against the last good crawl, on each backend
        first = run_once(config, database_url, folder / "outbox")
        sites.routes["shop"] = dict(SHRUNK)
        sites.routes["slow"] = {"/": Reply(page("Slow tonight").body, delay=3)}
        second = run_once(config, database_url, folder / "outbox")
        bases = {name: sites.base(name) + "/" for name in ("shop", "steady", "slow")}
    engine = create_db_engine(database_url)
    with session_scope(engine) as session:
        stats = {run.id: run.stats for run in session.scalars(select(models.CrawlRun))}
        outcomes = {(o.run_id, o.source_id): o for o in session.scalars(
            select(models.SourceCrawl))}
        source_ids = {s.url: s.id for s in session.scalars(select(models.Source))}
    yield first, second, bases, stats, outcomes, source_ids, engine
    engine.dispose()


def _report(stats, run, source_id):
    return stats[run.run_id]["sources"][str(source_id)]


def test_the_first_run_is_every_sources_baseline(runs):
    first, second, bases, stats, outcomes, ids, engine = runs
    assert first.status == "succeeded" and first.changes == 0
    report = _report(stats, first, ids[bases["shop"]])
    assert (report["pages"], report["coverage"], report["baseline_run"]) == (6, None, None)


def test_coverage_far_below_the_last_good_run_fails_the_source_and_the_run_is_partial(runs):
    first, second, bases, stats, outcomes, ids, engine = runs
    assert second.status == "partial"
    shop = outcomes[(second.run_id, ids[bases["shop"]])]
    reason = f"coverage fell to 2 of the 6 pages of run {first.run_id} (33%, below 50%)"
    assert (shop.status, shop.pages, shop.reason) == ("failed", 2, reason)
    report = _report(stats, second, ids[bases["shop"]])
    assert (report["coverage"], report["baseline_run"], report["baseline_pages"]) == (0.333, first.run_id, 6)
    steady = _report(stats, second, ids[bases["steady"]])
    assert (steady["status"], steady["coverage"]) == ("succeeded", 1.0)
    assert f"shop {bases['shop']}: {reason}" in second.failed_sources


def test_each_source_crawl_row_holds_the_coverage_of_its_report(runs):
    """source_crawl.coverage is written with the report's value, so an analyst can query it across runs."""
    first, second, bases, stats, outcomes, ids, engine = runs
    for run in (first, second):
        for base in bases.values():
            assert outcomes[(run.run_id, ids[base])].coverage == _report(stats, run, ids[base])["coverage"]
    assert [outcomes[(first.run_id, ids[base])].coverage for base in bases.values()] == [None, None, None]
    shop, steady = (outcomes[(second.run_id, ids[bases[name]])] for name in ("shop", "steady"))
    assert (shop.coverage, steady.coverage) == (0.333, 1.0)


def test_coverage_is_judged_in_one_place():
    """record_source_outcomes alone compares coverage with the floor; the diff reads the source_crawl status."""
    storage = Path(__file__).parent.parent / "storage"
    judging = sorted(path.name for path in storage.glob("*.py") if "coverage_floor" in path.read_text())
    assert judging == ["compare.py", "runs.py"]  # the floor's definition, and the one rule that applies it


def test_a_start_url_that_times_out_fails_its_source(runs):
    first, second, bases, stats, outcomes, ids, engine = runs
    slow = outcomes[(second.run_id, ids[bases["slow"]])]
    assert (slow.status, slow.reason) == ("failed", "start URL failed: timed out after 1 s")
    assert _report(stats, second, ids[bases["slow"]])["failed_urls"] == [
        {"url": bases["slow"], "status": None, "error": "timed out after 1 s"}]


def test_the_diff_says_unreachable_for_exactly_the_failed_sources_and_nothing_else(runs):
    first, second, bases, stats, outcomes, ids, engine = runs
    changes = list_changes(engine, run_id=second.run_id)
    assert {(c.kind, c.url, c.after) for c in changes} == {
        ("source_unreachable", bases["shop"], outcomes[(second.run_id, ids[bases["shop"]])].reason),
        ("source_unreachable", bases["slow"], "start URL failed: timed out after 1 s"),
    }  # no page_removed for the four pages the shrunk crawl did not reach
