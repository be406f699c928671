"""`dossier crawl --worker`: a worker of distributed runs. It takes one host of a run at a time from the job queue
(crawler/work_queue.py), crawls that host's sources in a child process (the Twisted reactor starts once per
process) and writes to the dossier database it shares with the coordinator. No Scrapy here.

A worker that dies mid-host stops saying it is alive; the coordinator hands its job to another worker, which first
deletes what the run stored of those sources (storage.runs.clear_source_rows) and then crawls them whole: the run's
rows for a source are replaced, never doubled. Its crawl process dies with it (crawler.launch), so nothing it still
had to write can mix with its successor's rows.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from typing import Any

from crawler.launch import crawl_in_subprocess
from crawler.order import CrawlOrder
from crawler.work_queue import CRAWL_TASK, MAX_ATTEMPTS, QUEUE, alive_seconds, ensure_schema, queue_app
from storage.db import create_db_engine, libpq_url
from storage.runs import clear_source_rows, record_crawl_error, run_is_running

log = logging.getLogger(__name__)


class CrawlKilled(Exception):
    """The crawl process died of a signal (killed, out of memory): the job is tried again, by any worker."""


class CrawlFailed(Exception):
    """The crawl process ended with an error (recorded on the run, which fails as a single-process run would)."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def crawl_host(database_url: str, worker: str, run_id: int, host: str, order: dict[str, Any],
               verbose: bool = False) -> None:
    """One job: the sources of one host of run `run_id`, crawled anew (what an earlier attempt stored is deleted
    first). A run that has ended meanwhile (failed, or given up waiting) is not crawled for."""
    crawl_order = CrawlOrder.from_json({**order, "worker": worker})
    source_ids = [source.source_id for source in crawl_order.sources]
    engine = create_db_engine(database_url)
    try:
        if not run_is_running(engine, run_id):
            log.warning("worker %s: run %s has ended: %s not crawled", worker, run_id, host)
            return
        if cleared := clear_source_rows(engine, run_id, source_ids):
            log.warning("worker %s: run %s: %s crawled again, %d rows of an earlier attempt deleted", worker, run_id,
                        host, cleared)
        record_crawl_error(engine, run_id, host, None)
        log.info("worker %s: run %s: crawling %s (%d sources)", worker, run_id, host, len(source_ids))
        outcome = crawl_in_subprocess(crawl_order, database_url, verbose=verbose, stop_with_parent=True)
        if outcome.ok:
            return
        record_crawl_error(engine, run_id, host, outcome.error)
    finally:
        engine.dispose()
    if outcome.killed:
        raise CrawlKilled(outcome.error)
    raise CrawlFailed(outcome.error)


class _Activity:
    """What the worker has done, for --once and --idle-timeout."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs = 0
        self.running = 0
        self.idle_since = time.monotonic()

    def started(self) -> None:
        with self.lock:
            self.running += 1

    def ended(self) -> None:
        with self.lock:
            self.running -= 1
            self.jobs += 1
            self.idle_since = time.monotonic()

    def done(self, once: bool, idle_timeout: float | None) -> bool:
        with self.lock:
            if self.running:
                return False
            return (once and self.jobs > 0) or (
                idle_timeout is not None and time.monotonic() - self.idle_since > idle_timeout)


def serve(database_url: str, once: bool = False, idle_timeout: float | None = None, verbose: bool = False) -> int:
    """Crawl the hosts runs queue, one at a time, until stopped (SIGTERM or Ctrl-C: the host being crawled is
    finished first); `once`: stop after one host, `idle_timeout`: after that many seconds without one. Returns
    the number of hosts crawled."""
    from procrastinate import RetryStrategy

    conninfo = libpq_url(database_url)
    ensure_schema(conninfo)
    app = queue_app(conninfo)
    name = worker_name()
    activity = _Activity()

    def job(run_id: int, host: str, order: dict[str, Any]) -> None:
        activity.started()
        try:
            crawl_host(database_url, name, run_id, host, order, verbose)
        finally:
            activity.ended()

    app.task(name=CRAWL_TASK, queue=QUEUE,
             retry=RetryStrategy(max_attempts=MAX_ATTEMPTS - 1, retry_exceptions={CrawlKilled}))(job)  # retries
    return asyncio.run(_work(app, name, activity, once, idle_timeout))


async def _work(app, name: str, activity: _Activity, once: bool, idle_timeout: float | None) -> int:
    alive = alive_seconds()
    async with app.open_async():
        worker = asyncio.create_task(app.run_worker_async(
            queues=[QUEUE], name=name, concurrency=1, update_heartbeat_interval=max(alive / 4, 0.25),
            stalled_worker_timeout=alive, delete_jobs="never"))
        while not worker.done():
            await asyncio.sleep(0.2)
            if activity.done(once, idle_timeout):
                worker.cancel()
                break
        try:
            await worker
        except asyncio.CancelledError:
            if not activity.done(once, idle_timeout):
                raise
    return activity.jobs
