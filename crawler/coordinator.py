"""The coordinator of a distributed run (`dossier run --distributed`): it queues one job per host of the run
(crawler/work_queue.py) and waits until the workers have crawled them all. No Scrapy here.

- A worker that stops saying it is alive (killed, its machine gone) for `DOSSIER_ALIVE_SECONDS` has its job put
  back on the queue (procrastinate's stalled jobs, retried): another worker crawls the host again, its earlier rows
  replaced (crawler/worker.py). A crawl process killed under a living worker is retried by the queue itself.
- With work left and no worker alive for `DOSSIER_WORKER_WAIT_SECONDS`: when no job was ever taken the run fails
  ("no worker took run N"); otherwise the hosts not crawled are given up: their sources' rows are deleted and each
  gets a failed fetch row for its start URL saying why, and the run goes on to be judged partial.
- A host whose crawl ended with an error fails the run, as a single-process crawl's error does.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from crawler.order import CrawlOrder
from crawler.work_queue import (
    CRAWL_TASK, QUEUE, WAIT_ENV, WAIT_SECONDS, alive_seconds, by_host, ensure_schema, queue_app, seconds_from_env,
)
from dossier.outcomes import FetchOutcome
from storage.db import create_db_engine, libpq_url
from storage.runs import clear_source_rows, crawl_report
from storage.writer import RunWriter

log = logging.getLogger(__name__)

FINAL = {"succeeded", "failed", "cancelled", "aborted"}
LIVE_WORKERS = ("SELECT count(*) AS workers FROM procrastinate_workers "
                "WHERE last_heartbeat > now() - make_interval(secs => %(seconds)s)")


@dataclass(frozen=True, slots=True)
class DrainOutcome:
    ok: bool
    error: str | None  # with ok: the run is partial for this reason (hosts no worker was left to crawl)
    workers: int


def coordinate(database_url: str, order: CrawlOrder, timeout: float, poll: float = 0.25) -> DrainOutcome:
    """Queue the run's hosts and wait until workers have crawled them (see the module's docstring)."""
    conninfo = libpq_url(database_url)
    ensure_schema(conninfo)
    drain = _Drain(database_url, conninfo, order, timeout, seconds_from_env(WAIT_ENV, WAIT_SECONDS), poll)
    return asyncio.run(drain.run())


class _Drain:
    def __init__(self, database_url: str, conninfo: str, order: CrawlOrder, timeout: float, wait: float,
                 poll: float) -> None:
        self.database_url, self.order, self.timeout, self.wait, self.poll = database_url, order, timeout, wait, poll
        self.app = queue_app(conninfo)
        self.alive = alive_seconds()
        self.hosts = by_host((s.source_id, s.source.url) for s in order.sources)
        self.jobs: dict[int, str] = {}  # job id -> host

    async def run(self) -> DrainOutcome:
        run_id = self.order.run_id
        async with self.app.open_async():
            deferrer = self.app.configure_task(name=CRAWL_TASK, queue=QUEUE)
            for host, source_ids in self.hosts.items():
                job_id = await deferrer.defer_async(run_id=run_id, host=host,
                                                    order=self.order.only(source_ids).as_json())
                self.jobs[job_id] = host
            log.info("run %s: %d hosts queued for the workers", run_id, len(self.jobs), extra={"run_id": run_id})
            try:
                return await self._wait()
            finally:
                await self._cancel_unfinished()

    async def _wait(self) -> DrainOutcome:
        run_id, manager = self.order.run_id, self.app.job_manager
        started, no_worker_since, taken = time.monotonic(), None, False
        while True:
            statuses = {job_id: (await manager.get_job_status_async(job_id)).value for job_id in self.jobs}
            if all(status in FINAL for status in statuses.values()):
                return self._ended(statuses)
            taken = taken or any(status != "todo" for status in statuses.values())
            for job in await manager.get_stalled_jobs(task_name=CRAWL_TASK, seconds_since_heartbeat=self.alive):
                if job.id in self.jobs:
                    log.warning("run %s: the worker crawling %s stopped answering (%.0f s): it goes to another "
                                "worker", run_id, self.jobs[job.id], self.alive, extra={"run_id": run_id})
                    await manager.retry_job(job)
            now = time.monotonic()
            if await self._live_workers():
                no_worker_since = None
            elif no_worker_since is None:
                no_worker_since = now
            elif now - no_worker_since > self.wait:
                return await self._given_up(statuses, taken)
            if now - started > self.timeout:
                return DrainOutcome(False, f"run {run_id} was not crawled within {self.timeout / 3600:g} h",
                                    self._workers())
            await asyncio.sleep(self.poll)

    async def _live_workers(self) -> int:
        row = await self.app.connector.execute_query_one_async(LIVE_WORKERS, seconds=self.alive)
        return int(row["workers"])

    async def _cancel_unfinished(self) -> None:
        """Jobs of a run that stops waiting for them are not crawled for it later."""
        for job_id in self.jobs:
            status = (await self.app.job_manager.get_job_status_async(job_id)).value
            if status == "todo":
                await self.app.job_manager.cancel_job_by_id_async(job_id)

    def _ended(self, statuses: dict[int, str]) -> DrainOutcome:
        report = self._report()
        errors = report.get("crawl_errors") or {}
        workers = len(report.get("crawl_workers") or {})
        failed = {self.jobs[job_id]: status for job_id, status in statuses.items() if status != "succeeded"}
        if failed:
            reasons = "; ".join(f"{host}: {errors.get(host) or f'its job {status}'}" for host, status in failed.items())
            return DrainOutcome(False, f"the crawl of {len(failed)} of {len(self.jobs)} hosts failed ({reasons})",
                                workers)
        return DrainOutcome(True, None, workers)

    async def _given_up(self, statuses: dict[int, str], taken: bool) -> DrainOutcome:
        run_id = self.order.run_id
        await self._cancel_unfinished()  # first: a worker starting now takes none of them while their rows go
        if not taken:
            return DrainOutcome(False, f"no worker took run {run_id} within {self.wait:g} s: start `dossier crawl "
                                "--worker` on the crawl machines (docs/operations.md)", 0)
        left = [self.jobs[job_id] for job_id, status in statuses.items() if status not in FINAL]
        reason = f"not crawled: the worker crawling it died and no worker was left for {self.wait:g} s"
        engine = create_db_engine(self.database_url)
        try:
            source_ids = [source_id for host in left for source_id in self.hosts[host]]
            clear_source_rows(engine, run_id, source_ids)
            writer = RunWriter(engine, run_id)
            for source in self.order.sources:
                if source.source_id in source_ids:
                    writer.record_fetch(source.source_id, source.source.url, None, reason, None, None, None,
                                        outcome=FetchOutcome.NOT_CRAWLED)
            writer.close()
        finally:
            engine.dispose()
        log.error("run %s: %d hosts %s", run_id, len(left), reason, extra={"run_id": run_id})
        return DrainOutcome(True, f"{len(left)} of {len(self.jobs)} hosts {reason}", self._workers())

    def _workers(self) -> int:
        return len(self._report().get("crawl_workers") or {})

    def _report(self) -> dict:
        engine = create_db_engine(self.database_url)
        try:
            return crawl_report(engine, self.order.run_id)
        finally:
            engine.dispose()
