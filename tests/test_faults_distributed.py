"""Faults of a distributed run (crawler/coordinator.py, crawler/worker.py): a worker or its crawl process killed in
the middle of a host, every worker gone, a host whose crawl is killed every time. A host is crawled again whole by
another worker, its rows replaced, never doubled; or, when none can crawl it, its sources are failed sources of a
partial run, never a silent gap the diff would take for removals. See docs/reliability.md."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from crawler.work_queue import ALIVE_ENV, MAX_ATTEMPTS, WAIT_ENV
from fixtures.synthetic import SyntheticSite, competitors_yaml
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope
from storage.queries import list_changes
from tests.conftest import wait_until

ALIVE = "6"  # seconds: a dead worker is noticed within seconds, not after half a minute
PRODUCTS = 100  # and 5 catalog pages: 105 pages, a few seconds at DELAY a page
PER_PAGE = 20
DELAY = 0.05  # seconds per page while a fault is injected, so that a kill lands mid-host
KILL_AT = 30  # pages answered before the kill: about a third of the host
WAIT = "3"  # seconds a coordinator whose workers all died waits for a new one (the default is a minute)
# A sitecustomize module of this test's own (test code, not Dossier's), on the workers' PYTHONPATH, for their crawl
# processes (`python -m crawler --order -`): with FAULT_KILL_EVERY_CRAWL each kills itself as it starts; with
# FAULT_FLUSH_EVERY the writer stores every few rows instead of every 500, so that a crawl killed a third into the
# host has stored rows, which its successor must replace.
CRAWL_FAULTS = '''
import os, signal
with open("/proc/self/cmdline", "rb") as cmdline:
    crawl = b"--order" in cmdline.read()
if crawl and os.environ.get("FAULT_KILL_EVERY_CRAWL"):
    os.kill(os.getpid(), signal.SIGKILL)
if crawl and os.environ.get("FAULT_FLUSH_EVERY"):
    import storage.writer
    storage.writer.FLUSH_EVERY = int(os.environ["FAULT_FLUSH_EVERY"])
'''


def _crawl_faults(tmp_path: Path, **faults: str) -> dict[str, str]:
    """The workers' environment for CRAWL_FAULTS."""
    (tmp_path / "fault").mkdir()
    (tmp_path / "fault" / "sitecustomize.py").write_text(CRAWL_FAULTS, encoding="utf-8")
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path / "fault"), os.environ.get("PYTHONPATH")])),
            **faults}


class SlowSite(SyntheticSite):
    """The synthetic site, each page answered after `delay` seconds (0: at full speed)."""

    delay = 0.0

    def page(self, path: str, query: str) -> tuple[int, str, str]:
        time.sleep(self.delay)
        return super().page(path, query)


def _fetches(database_url: str, run_id: int) -> dict[str, str | None]:
    """url -> error of the run's fetch rows."""
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            return dict(session.execute(select(models.Fetch.url, models.Fetch.error)
                                        .where(models.Fetch.run_id == run_id)).all())
    finally:
        engine.dispose()


def _products(database_url: str, run_id: int) -> tuple[int, int]:
    """(price rows, distinct products) of the run: equal when no product was stored twice."""
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            where = models.PriceObservation.run_id == run_id
            return (session.scalar(select(func.count()).select_from(models.PriceObservation).where(where)),
                    session.scalar(select(func.count(func.distinct(models.PriceObservation.product_id))).where(where)))
    finally:
        engine.dispose()


class Worker:
    """A `dossier crawl --worker` process in a session of its own (its crawl process in its group), its stderr
    read as it comes."""

    def __init__(self, database_url: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "schedules.cli", "crawl", "--worker", "--db", database_url, "--idle-timeout", "120"],
            env={**os.environ, ALIVE_ENV: ALIVE, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, start_new_session=True)
        self.pid = self.process.pid
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def waiting(self) -> bool:
        return any("waiting for hosts" in line for line in self.lines)

    def crawls(self) -> list[int]:
        """The pids of its crawl processes (none while it waits)."""
        return _children(self.pid)

    @property
    def log(self) -> str:
        return "".join(self.lines)


def _start_workers(count: int, database_url: str, env: dict[str, str] | None = None) -> list[Worker]:
    workers = [Worker(database_url, env or {}) for _ in range(count)]
    try:
        wait_until(lambda: all(worker.waiting() or worker.process.poll() is not None for worker in workers),
                   "the workers to wait for hosts", timeout=60)
        assert all(worker.waiting() for worker in workers), [worker.log[-3000:] for worker in workers]
    except AssertionError:
        _stop(workers)
        raise
    return workers


def _stop(workers: list[Worker]) -> list[str]:
    for worker in workers:
        if worker.process.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.process.wait()
        worker.reader.join(timeout=10)
    return [worker.log for worker in workers]


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


def _crawled(site: SyntheticSite) -> int:
    return sum(site.hits.values())


class Fault(threading.Thread):
    """`inject()` in a thread once `ready()` holds. `stop()` (after the run) says whether it was injected: a fault
    that did not come is a failed test, not a run that proved nothing."""

    def __init__(self, ready, inject, timeout: float = 120) -> None:
        super().__init__(daemon=True)
        self.ready, self.inject, self.timeout = ready, inject, timeout
        self.injected = False
        self.at: float | None = None  # when it was injected (time.time(), as log records' `created`)
        self.missed = "the run ended first"
        self._ended = threading.Event()
        self.start()

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        try:
            while not self.ready():
                if self._ended.wait(0.05):
                    return
                if time.monotonic() > deadline:
                    self.missed = f"not ready within {self.timeout:g} s"
                    return
            self.at = time.time()
            self.inject()
            self.injected = True
        except Exception as exc:  # told by the test's assertion, not lost in this thread
            self.missed = f"{type(exc).__name__}: {exc}"

    def stop(self) -> bool:
        self._ended.set()
        self.join()
        return self.injected


def _distributed_run(config: Path, database_url: str, outbox: Path, wait: str = "30"):
    """`dossier run --distributed`; `wait`: seconds it waits for a new worker once every worker has died."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(WAIT_ENV, wait)
        patch.setenv(ALIVE_ENV, ALIVE)
        return run_once(config, database_url, outbox, distributed=True)


@pytest.fixture(scope="module")
def site():
    with SlowSite(7, PRODUCTS, per_page=PER_PAGE, filler=2) as site:
        yield site


@pytest.fixture
def slow(site):
    """The site at DELAY a page for one test, its hits counted from zero."""
    site.delay = DELAY
    site.hits.clear()
    yield site
    site.delay = 0.0


@pytest.fixture(scope="module")
def config(site, tmp_path_factory):
    path = tmp_path_factory.mktemp("faults") / "competitors.yaml"
    path.write_text(competitors_yaml([site]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(site, config, postgres_database_url, tmp_path_factory):
    """The URLs a single-process crawl fetches (all without error), the site at full speed. Crawled into the
    database of the distributed runs: the full crawl a partial run's diff is taken against."""
    result = run_once(config, postgres_database_url, tmp_path_factory.mktemp("reference") / "outbox")
    assert result.status == "succeeded", result
    fetched = _fetches(postgres_database_url, result.run_id)
    assert not any(fetched.values()) and len(fetched) > PRODUCTS
    return set(fetched)


@pytest.mark.parametrize("victim", ["crawl", "worker", "both"])
def test_a_worker_killed_mid_host_has_the_host_crawled_again_whole(victim, slow, config, reference,
                                                                    postgres_database_url, tmp_path, caplog):
    """SIGKILL, a third into the host, of the crawl process (its worker lives on: the queue retries the job), of
    the worker (its crawl dies with it) or of both (its heartbeat stops: the coordinator hands the job over): the
    host is crawled again from its start, the rows of the killed attempt deleted first. The run succeeds, fetched
    exactly what a single-process crawl fetches, and stored each product once."""
    workers = _start_workers(2, postgres_database_url, _crawl_faults(tmp_path, FAULT_FLUSH_EVERY="5"))
    crawling: list[Worker] = []

    def ready() -> bool:
        crawling[:] = [worker for worker in workers if worker.crawls()]
        return _crawled(slow) >= KILL_AT and len(crawling) == 1

    def kill() -> None:
        victim_worker = crawling[0]
        if victim == "crawl":
            for pid in victim_worker.crawls():
                os.kill(pid, signal.SIGKILL)
        elif victim == "worker":
            os.kill(victim_worker.pid, signal.SIGKILL)
        else:
            os.killpg(victim_worker.pid, signal.SIGKILL)

    killer = Fault(ready, kill)
    try:
        result = _distributed_run(config, postgres_database_url, tmp_path / "outbox")
    finally:
        killed = killer.stop()
        logs = _stop(workers)
    assert killed, f"{victim} not killed: {killer.missed}"
    assert result.status == "succeeded", (result, [log[-3000:] for log in logs])
    if victim != "crawl":  # the coordinator found the dead worker's job and put it back, after the kill
        assert any(record.created >= killer.at and "stopped answering" in record.getMessage()
                   for record in caplog.records), caplog.text[-3000:]
    # the killed attempt had stored rows (every 5), and its successor deleted them before crawling the host anew
    assert re.search(r"crawled again, [1-9][0-9]* rows of an earlier attempt deleted", "".join(logs)), \
        [log[-3000:] for log in logs]
    fetched = _fetches(postgres_database_url, result.run_id)
    assert {url for url, error in fetched.items() if error} == set()
    assert set(fetched) == reference
    rows, distinct = _products(postgres_database_url, result.run_id)
    assert rows == distinct == PRODUCTS  # replaced, never doubled
    assert _crawled(slow) >= len(reference) + KILL_AT  # the killed attempt's pages were fetched again


def test_with_no_worker_left_the_host_is_a_failed_source_of_a_partial_run(slow, config, reference,
                                                                         postgres_database_url, tmp_path):
    """The only worker and its crawl are killed mid-host and none comes within WAIT seconds: the run ends partial
    (not hanging, not failed), the host's source is failed with a fetch row naming why (what the killed attempt
    stored is deleted), and the diff against the full crawl before it (the reference, in the same database)
    reports the source unreachable and no product or page removed."""
    workers = _start_workers(1, postgres_database_url)
    killer = Fault(lambda: _crawled(slow) >= KILL_AT and workers[0].crawls(),
                   lambda: os.killpg(workers[0].pid, signal.SIGKILL))
    try:
        result = _distributed_run(config, postgres_database_url, tmp_path / "outbox", wait=WAIT)
    finally:
        killed = killer.stop()
        logs = _stop(workers)
    assert killed, f"the worker was not killed: {killer.missed}"
    assert result.status == "partial", (result, logs)
    assert "no worker was left" in result.error and result.error.count("\n") == 0
    fetched = _fetches(postgres_database_url, result.run_id)
    assert list(fetched.values()) == [f"not crawled: the worker crawling it died and no worker was left for {WAIT} s"]
    engine = create_db_engine(postgres_database_url)
    try:
        with session_scope(engine) as session:
            assert session.scalars(select(models.Fetch.outcome).where(models.Fetch.run_id == result.run_id)).all() \
                == ["not_crawled"]
    finally:
        engine.dispose()
    assert _products(postgres_database_url, result.run_id) == (0, 0)
    kinds = {change.kind for change in list_changes(create_db_engine(postgres_database_url), run_id=result.run_id)}
    assert "source_unreachable" in kinds and not kinds & {"product_removed", "page_removed"}, kinds


def test_a_host_whose_crawl_is_killed_every_time_fails_the_run_after_its_attempts(site, config,
                                                                                  postgres_database_url, tmp_path):
    """A crawl process that dies every time (say, of memory) is tried MAX_ATTEMPTS times, by any worker, and then
    fails the run with the host and the reason, as a single-process crawl that dies fails it: no endless loop."""
    site.hits.clear()
    workers = _start_workers(2, postgres_database_url, _crawl_faults(tmp_path, FAULT_KILL_EVERY_CRAWL="1"))
    try:
        result = _distributed_run(config, postgres_database_url, tmp_path / "outbox")
    finally:
        logs = _stop(workers)
    assert result.status == "failed", (result, logs)
    assert f"{site.base_url.split('//')[1]}: crawl process killed by SIGKILL" in result.error
    engine = create_db_engine(postgres_database_url)
    try:
        with engine.connect() as connection:
            attempts = connection.execute(text("SELECT status, attempts FROM procrastinate_jobs "
                                               "WHERE (args->>'run_id')::int = :run"), {"run": result.run_id}).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in attempts] == [("failed", MAX_ATTEMPTS)]
    assert sum(site.hits.values()) == 0
