"""Two `dossier crawl --worker` processes share a run through Redis (scrapy-redis) and write to PostgreSQL: every
page is fetched once, every product stored once, and the diff equals that of a single-process run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from crawler.coordinator import coordinate
from crawler.redis_run import ACTIVE_RUN, REDIS_ENV, WAIT_ENV, RunKeys, connect
from dossier.errors import ConfigError, DossierError
from fixtures.synthetic import SyntheticSite, competitors_yaml, product_ids
from schedules.cli import cli
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope
from storage.queries import list_changes
from storage.runs import merge_counters, merge_reports
from tests.conftest import wait_until

REDIS_URL = os.environ.get("DOSSIER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# the smallest catalog whose second night has every kind of change (a product added needs 100), on 5 pages
PRODUCTS = 100
PER_PAGE = 20
WAIT = "3"  # seconds a coordinator whose workers all died waits for a new one (the default is a minute)


@pytest.fixture(scope="module")
def redis_url():
    try:
        connect(REDIS_URL).flushdb()
    except DossierError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    return REDIS_URL


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


@pytest.fixture(scope="module")
def nights(tmp_path_factory, redis_url, postgres_database_url):
    folder = tmp_path_factory.mktemp("distributed")
    config_path = folder / "competitors.yaml"
    single_url = f"sqlite:///{folder / 'single.db'}"
    with SyntheticSite(1, PRODUCTS, per_page=PER_PAGE, filler=5) as site:
        config_path.write_text(competitors_yaml([site]), encoding="utf-8")
        # the workers start while the single process crawls; idle until the distributed nights, a while on a busy
        # machine (the idle timeout only ends a worker this process could not stop)
        env = {**os.environ, REDIS_ENV: redis_url}
        workers = [subprocess.Popen([sys.executable, "-m", "schedules.cli", "crawl", "--worker", "--db",
                                     postgres_database_url, "--idle-timeout", "300"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        single, distributed, hits = [], [], []
        try:
            for night in (1, 2):
                site.night = night
                single.append(run_once(config_path, single_url, folder / "outbox-single"))
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(REDIS_ENV, redis_url)
                for night in (1, 2):
                    site.night = night
                    site.hits.clear()
                    distributed.append(run_once(config_path, postgres_database_url, folder / "outbox-distributed"))
                    hits.append(dict(site.hits))
        finally:
            for worker in workers:
                worker.terminate()
            logs = [worker.communicate(timeout=30) for worker in workers]
    yield single, distributed, hits, single_url, postgres_database_url, logs


def test_both_runs_succeed_with_two_workers(nights):
    single, distributed, _, _, _, logs = nights
    assert [r.status for r in single] == ["succeeded", "succeeded"]
    assert [r.status for r in distributed] == ["succeeded", "succeeded"], (distributed, logs)
    assert [r.workers for r in distributed] == [2, 2]


def test_both_workers_fetch_pages(nights):
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
    for night, seen in zip((1, 2), hits):
        pages = {path: count for path, count in seen.items() if path != "/robots.txt"}
        assert set(pages.values()) == {1}, {p: c for p, c in pages.items() if c != 1}
        products = len(product_ids(PRODUCTS, night))
        assert sum(1 for path in pages if path.startswith("/p/")) == products
        assert seen["/robots.txt"] <= 2  # each worker reads robots.txt once


def test_every_product_is_stored_once(nights):
    _, distributed, _, _, url, _ = nights
    for night, run in zip((1, 2), distributed):
        rows, distinct = _stored_products(url, run.run_id)
        assert rows == distinct == len(product_ids(PRODUCTS, night))


def test_the_diff_equals_the_single_process_diff(nights):
    single, distributed, _, single_url, url, _ = nights
    expected = _changes(single_url, single[1].run_id)
    assert {kind for kind, *_ in expected} >= {"price_up", "product_removed", "product_added", "out_of_stock"}
    assert _changes(url, distributed[1].run_id) == expected


def test_a_run_without_workers_fails_with_the_fix(redis_url):
    outcome = coordinate(redis_url, "competitors: []\n", run_id=999, source_ids=[1], timeout=30, startup=0.5,
                         poll=0.05)
    assert not outcome.ok and outcome.workers == 0
    assert "start `dossier crawl --worker`" in outcome.error


def test_sqlite_is_refused_while_redis_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv(REDIS_ENV, "redis://127.0.0.1:6379/15")
    config = tmp_path / "competitors.yaml"
    with SyntheticSite(1, 10) as site:
        config.write_text(competitors_yaml([site]), encoding="utf-8")
    with pytest.raises(ConfigError, match="SQLite"):
        run_once(config, f"sqlite:///{tmp_path / 'd.db'}", tmp_path / "outbox")
    worker = CliRunner().invoke(cli, ["crawl", "--worker", "--db", f"sqlite:///{tmp_path / 'd.db'}"])
    assert worker.exit_code == 2 and worker.output.count("\n") == 1 and "--db" in worker.output


def test_a_worker_without_redis_says_what_to_set(monkeypatch):
    monkeypatch.delenv(REDIS_ENV, raising=False)
    worker = CliRunner().invoke(cli, ["crawl", "--worker"])
    assert worker.exit_code == 2 and "DOSSIER_REDIS_URL is not set" in worker.output


def test_worker_reports_add_up():
    first = {"requested": 10, "cut_by_max_pages": False, "warnings": ["w"], "traps_skipped": 1}
    second = {"requested": 5, "cut_by_max_pages": True, "warnings": ["w", "x"], "traps_skipped": 0}
    assert merge_reports(merge_reports({}, first), second) == {
        "requested": 15, "cut_by_max_pages": True, "warnings": ["w", "x"], "traps_skipped": 1}
    assert merge_counters([{"item_scraped_count": 3, "elapsed_time_seconds": 2.0},
                           {"item_scraped_count": 4, "elapsed_time_seconds": 5.0}]) == {
        "item_scraped_count": 7, "elapsed_time_seconds": 5.0}


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the field after the state is the parent's pid
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("victim", ["crawl", "worker"])
def test_a_killed_lone_crawl_ends_the_run_partial_with_its_unfetched_urls_as_failed_rows(
        tmp_path, redis_url, postgres_database_url, victim):
    """kill -9 of the only worker's crawl process, or of the worker itself (its crawl then stops with it), mid-run:
    no worker is left to take the requests it held, so the run ends partial (at once, not after the 12-hour drain
    limit), the URLs it did not fetch recorded as failed fetch rows. That the diff then reports no removal against a
    full earlier crawl is shown in tests/test_faults_distributed.py (here the site has no earlier crawl)."""
    with SyntheticSite(3, 400, per_page=40, filler=5) as site:
        config = tmp_path / "competitors.yaml"
        config.write_text(competitors_yaml([site]), encoding="utf-8")
        worker = subprocess.Popen([sys.executable, "-m", "schedules.cli", "crawl", "--worker", "--once", "--db",
                                   postgres_database_url], env={**os.environ, REDIS_ENV: redis_url},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # a run published once the worker waits for runs is taken within its poll: the coordinator's short wait
        # for a worker (WAIT) times no process start
        assert any("waiting for runs" in line for line in worker.stderr), worker.communicate()
        killed = threading.Event()

        def kill_the_crawl() -> None:
            deadline = time.monotonic() + 60
            while sum(site.hits.values()) < 20:
                if time.monotonic() > deadline or worker.poll() is not None:
                    return
                time.sleep(0.05)
            for pid in _children(worker.pid) if victim == "crawl" else [worker.pid]:
                os.kill(pid, signal.SIGKILL)
            killed.set()

        killer = threading.Thread(target=kill_the_crawl)
        killer.start()
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(REDIS_ENV, redis_url)
                patch.setenv(WAIT_ENV, WAIT)  # no worker comes back: the run ends WAIT s after, not a minute
                started = time.monotonic()
                result = run_once(config, postgres_database_url, tmp_path / "outbox")
                took = time.monotonic() - started
        finally:
            killer.join()
            if worker.poll() is None:
                worker.kill()
            worker.communicate(timeout=30)
    assert killed.is_set(), "the crawl was not killed: it did not fetch 20 pages"
    assert result.status == "partial", result
    assert "not fetched: worker" in result.error and "no worker was left" in result.error, result.error
    assert took < 300  # it did not wait for the 12-hour drain limit
    engine = create_db_engine(postgres_database_url)
    try:
        with session_scope(engine) as session:
            errors = session.scalars(select(models.Fetch.error).where(models.Fetch.run_id == result.run_id)).all()
    finally:
        engine.dispose()
    unfetched = [error for error in errors if error]
    assert unfetched and all(error.startswith("not fetched: worker ") for error in unfetched), unfetched[:5]


def test_a_worker_that_vanished_fails_the_run(redis_url):
    """A worker killed with its whole process group never says it finished: its alive key expires."""
    client = connect(redis_url)
    outcome = {}

    def coordinator() -> None:
        outcome["result"] = coordinate(redis_url, "competitors: []\n", run_id=998, source_ids=[1], timeout=60,
                                       poll=0.05)

    thread = threading.Thread(target=coordinator)
    thread.start()
    wait_until(lambda: client.get(ACTIVE_RUN), "the coordinator to announce run 998", poll=0.02)
    keys = RunKeys.announced(client.get(ACTIVE_RUN))
    client.set(keys.alive("ghost:1"), 1, ex=1)  # as `dossier crawl --worker` does when it takes the run
    client.sadd(keys.workers, "ghost:1")
    thread.join(timeout=30)
    result = outcome["result"]
    assert not result.ok and result.workers == 1
    assert "worker ghost:1 stopped before run 998" in result.error


def test_a_redis_url_with_a_bad_database_is_refused():
    with pytest.raises(ConfigError, match="database 'abc' is not a number"):
        connect("redis://127.0.0.1:6379/abc")
