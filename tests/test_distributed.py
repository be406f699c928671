"""Two `dossier crawl --worker` processes share a run through the job queue in PostgreSQL (procrastinate), one host
at a time: every page is fetched once, every product stored once, and the diff equals that of a single-process run.
The workers' faults are tests/test_faults_distributed.py."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from crawler.work_queue import ALIVE_ENV, WAIT_ENV, by_host, host_of
from dossier.errors import ConfigError
from fixtures.synthetic import SyntheticSite, competitors_yaml, product_ids
from schedules.cli import cli
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope, upgrade
from storage.queries import list_changes
from storage.runs import (
    RUN_SOURCE_MODELS, clear_source_rows, merge_counters, merge_reports, record_crawl_report, start_run,
    sync_sources,
)
from storage.writer import RunWriter

# the smallest catalog whose second night has every kind of change (a product added needs 100), on 5 pages
PRODUCTS = 100
PER_PAGE = 20
SITES = 3  # three hosts: two workers both get one, and one of them a second


def _changes(database_url: str, run_id: int) -> set[tuple]:
    engine = create_db_engine(database_url)
    try:
        return {(c.kind, c.title, c.before, c.after, c.magnitude) for c in list_changes(engine, run_id=run_id)}
    finally:
        engine.dispose()


def _stored_products(database_url: str, run_id: int) -> tuple[int, int]:
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            rows = session.scalar(select(func.count()).select_from(models.PriceObservation)
                                  .where(models.PriceObservation.run_id == run_id))
            distinct = session.scalar(select(func.count(func.distinct(models.PriceObservation.product_id)))
                                      .where(models.PriceObservation.run_id == run_id))
        return rows, distinct
    finally:
        engine.dispose()


def start_workers(database_url: str, count: int, env: dict | None = None, verbose: bool = False):
    """`dossier crawl --worker` processes (the idle timeout only ends a worker a test could not stop)."""
    return [subprocess.Popen([sys.executable, "-m", "schedules.cli", *(["-v"] if verbose else []), "crawl",
                              "--worker", "--db", database_url, "--idle-timeout", "300"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(count)]


def stop_workers(workers) -> list[tuple[str, str]]:
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    return [worker.communicate(timeout=60) for worker in workers]


@pytest.fixture(scope="module")
def nights(tmp_path_factory, postgres_database_url):
    folder = tmp_path_factory.mktemp("distributed")
    config_path = folder / "competitors.yaml"
    single_url = f"sqlite:///{folder / 'single.db'}"
    sites = [SyntheticSite(number, PRODUCTS, per_page=PER_PAGE, filler=5).start() for number in range(1, SITES + 1)]
    try:
        config_path.write_text(competitors_yaml(sites), encoding="utf-8")
        workers = start_workers(postgres_database_url, 2)  # idle while the single process crawls
        single, distributed, hits = [], [], []
        try:
            for night in (1, 2):
                for site in sites:
                    site.night = night
                single.append(run_once(config_path, single_url, folder / "outbox-single"))
            for night in (1, 2):
                for site in sites:
                    site.night = night
                    site.hits.clear()
                distributed.append(run_once(config_path, postgres_database_url, folder / "outbox-distributed",
                                            distributed=True))
                hits.append([dict(site.hits) for site in sites])
        finally:
            logs = stop_workers(workers)
    finally:
        for site in sites:
            site.stop()
    yield single, distributed, hits, single_url, postgres_database_url, logs


def test_both_runs_succeed_with_two_workers(nights):
    single, distributed, _, _, _, logs = nights
    assert [r.status for r in single] == ["succeeded", "succeeded"]
    assert [r.status for r in distributed] == ["succeeded", "succeeded"], (distributed, logs)
    assert [r.workers for r in distributed] == [2, 2], logs


def test_both_workers_fetch_pages_and_runs_show_names_them(nights):
    _, distributed, _, _, url, _ = nights
    engine = create_db_engine(url)
    try:
        with session_scope(engine) as session:
            for run in distributed:
                workers = session.get(models.CrawlRun, run.run_id).stats["crawl_workers"]
                responses = [counters.get("downloader/response_count", 0) for counters in workers.values()]
                assert len(responses) == 2 and min(responses) > 0, workers
    finally:
        engine.dispose()
    shown = CliRunner().invoke(cli, ["runs", "show", str(distributed[1].run_id), "--db", url])
    assert shown.exit_code == 0, shown.output
    assert "crawled by 2 workers" in shown.output
    as_json = CliRunner().invoke(cli, ["runs", "show", str(distributed[1].run_id), "--db", url, "--json"])
    workers = json.loads(as_json.output)["workers"]
    assert len(workers) == 2 and min(workers.values()) > 0


def test_every_page_is_fetched_once(nights):
    _, _, hits, _, _, _ = nights
    for night, per_site in zip((1, 2), hits):
        for seen in per_site:
            pages = {path: count for path, count in seen.items() if path != "/robots.txt"}
            assert set(pages.values()) == {1}, {p: c for p, c in pages.items() if c != 1}
            assert sum(1 for path in pages if path.startswith("/p/")) == len(product_ids(PRODUCTS, night))
            assert seen["/robots.txt"] == 1  # one process asks each host


def test_every_product_is_stored_once(nights):
    _, distributed, _, _, url, _ = nights
    for night, run in zip((1, 2), distributed):
        rows, distinct = _stored_products(url, run.run_id)
        assert rows == distinct == SITES * len(product_ids(PRODUCTS, night))


def test_the_diff_equals_the_single_process_diff(nights):
    single, distributed, _, single_url, url, _ = nights
    expected = _changes(single_url, single[1].run_id)
    assert {kind for kind, *_ in expected} >= {"price_up", "product_removed", "product_added", "out_of_stock"}
    assert _changes(url, distributed[1].run_id) == expected


def test_a_run_without_workers_fails_with_the_fix(tmp_path, postgres_database_url, monkeypatch):
    monkeypatch.setenv(WAIT_ENV, "1")
    with SyntheticSite(1, 10) as site:
        (tmp_path / "competitors.yaml").write_text(competitors_yaml([site]), encoding="utf-8")
        result = run_once(tmp_path / "competitors.yaml", postgres_database_url, tmp_path / "outbox", distributed=True)
    assert result.status == "failed" and result.workers == 0
    assert "no worker took run" in result.error and "dossier crawl --worker" in result.error
    assert site.hits == {}


def test_sqlite_is_refused_for_a_distributed_run(tmp_path):
    config = tmp_path / "competitors.yaml"
    with SyntheticSite(1, 10) as site:
        config.write_text(competitors_yaml([site]), encoding="utf-8")
    with pytest.raises(ConfigError, match="SQLite"):
        run_once(config, f"sqlite:///{tmp_path / 'd.db'}", tmp_path / "outbox", distributed=True)
    assert not (tmp_path / "d.db").exists()
    worker = CliRunner().invoke(cli, ["crawl", "--worker", "--db", f"sqlite:///{tmp_path / 'd.db'}"])
    assert worker.exit_code == 2 and worker.output.count("\n") == 1 and "PostgreSQL" in worker.output


def test_a_worker_with_a_bad_alive_setting_or_database_says_so_in_one_line(postgres_database_url, monkeypatch):
    monkeypatch.setenv(ALIVE_ENV, "soon")
    worker = CliRunner().invoke(cli, ["crawl", "--worker", "--db", postgres_database_url])
    assert worker.exit_code == 2 and worker.output.count("\n") == 1 and ALIVE_ENV in worker.output
    monkeypatch.delenv(ALIVE_ENV)
    worker = CliRunner().invoke(cli, ["crawl", "--worker", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert worker.exit_code == 2 and worker.output.count("\n") == 1 and "unreachable" in worker.output


def test_a_host_is_its_name_and_port_and_its_sources_go_together():
    assert host_of("https://Shop.Example:8443/catalog?page=2") == "shop.example:8443"
    assert by_host([(1, "http://a.example/"), (2, "http://b.example/x"), (3, "http://a.example/reviews"),
                    (4, "http://a.example:81/")]) == {"a.example": [1, 3], "b.example": [2], "a.example:81": [4]}


def test_clearing_a_source_s_rows_keeps_every_other_source_s_and_run_s(database_url):
    """What a source crawled again replaces: that run's rows of that source, in every table of one run's findings
    of a source, and nothing else."""
    engine = create_db_engine(database_url)
    upgrade(engine)
    refs = sync_sources(engine, [{"slug": "a", "name": "A", "sources": [
        {"kind": "site", "url": "http://a.example/"}, {"kind": "site", "url": "http://b.example/"}]}])
    runs = [start_run(engine), start_run(engine)]
    for run_id in runs:
        writer = RunWriter(engine, run_id)
        for ref in refs:
            writer.record_fetch(ref.source_id, ref.url, 200, None, 5, 100, "h")
        writer.close()
        record_crawl_report(engine, run_id, {"pages": 2}, {ref.source_id: {"requested": 1} for ref in refs})
    assert clear_source_rows(engine, runs[1], [refs[0].source_id]) == 1
    with session_scope(engine) as session:
        kept = session.execute(select(models.Fetch.run_id, models.Fetch.source_id)).all()
        stats = session.get(models.CrawlRun, runs[1]).stats
    assert sorted(kept) == sorted([(runs[0], refs[0].source_id), (runs[0], refs[1].source_id),
                                   (runs[1], refs[1].source_id)])
    assert set(stats["sources"]) == {str(refs[1].source_id)}
    assert {model.__tablename__ for model in RUN_SOURCE_MODELS} >= {"fetch", "price_observation", "page_snapshot",
                                                                     "review_observation", "source_crawl"}
    assert "render_pattern" not in {model.__tablename__ for model in RUN_SOURCE_MODELS}  # kept across nights
    engine.dispose()


def test_worker_reports_add_up():
    first = {"requested": 10, "cut_by_max_pages": False, "warnings": ["w"], "traps_skipped": 1}
    second = {"requested": 5, "cut_by_max_pages": True, "warnings": ["w", "x"], "traps_skipped": 0}
    assert merge_reports(merge_reports({}, first), second) == {
        "requested": 15, "cut_by_max_pages": True, "warnings": ["w", "x"], "traps_skipped": 1}
    assert merge_counters([{"item_scraped_count": 3, "elapsed_time_seconds": 2.0},
                           {"item_scraped_count": 4, "elapsed_time_seconds": 5.0}]) == {
        "item_scraped_count": 7, "elapsed_time_seconds": 5.0}
