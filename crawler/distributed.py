"""Distributed crawling: with DOSSIER_REDIS_URL set, workers on one or several machines share a run's frontier.

`dossier run` becomes the coordinator: it stores the run's config and one seed per source in Redis, waits until
the workers have drained the shared queue (scrapy-redis scheduler and dupefilter, crawler.frontier's pending
count), then judges the sources, diffs and alerts as a single-process run would. `dossier crawl --worker` waits
for a run, crawls it in a child process (the Twisted reactor starts once per process) and writes to the shared
dossier database (PostgreSQL). No Scrapy here: the coordinator imports this module too.
"""
from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any

from dossier.errors import ConfigError, CrawlError
from dossier.secrets import unencoded_userinfo

log = logging.getLogger(__name__)

REDIS_ENV = "DOSSIER_REDIS_URL"
ACTIVE_RUN = "dossier:active-run"
KEEP_SECONDS = 7 * 24 * 3600  # a run's keys stay a week for inspection, then Redis drops them
ALIVE_SECONDS = 60  # a worker that has not said it is alive for this long is taken for dead


def redis_url() -> str | None:
    """DOSSIER_REDIS_URL, or None for a single-process crawl."""
    return os.environ.get(REDIS_ENV) or None


def connect(url: str) -> Any:
    """A Redis client that has answered a PING; a bad URL or a server that is down is one line naming the fix."""
    import redis

    misread = unencoded_userinfo(url)  # else a piece of the password would be taken for the port or database
    if misread:
        raise ConfigError(f"{REDIS_ENV}: {misread} (redis://:PASSWORD@HOST:6379/0)")
    shown = url.split("@")[-1]
    try:
        database = urlsplit(url).path.strip("/")
    except ValueError as exc:  # an unclosed [IPv6 bracket
        raise ConfigError(f"{REDIS_ENV}: {exc} (use redis://HOST:6379/0)") from None
    if database and not database.isdigit():
        raise ConfigError(f"{REDIS_ENV}: database {database!r} is not a number (use redis://HOST:6379/0)")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, decode_responses=True)
    except ValueError as exc:
        raise ConfigError(f"{REDIS_ENV}: {exc} (use redis://HOST:6379/0)") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        raise CrawlError(f"{REDIS_ENV} {shown}: cannot reach Redis ({exc}); start it or fix the variable") from None
    return client


@dataclass(frozen=True, slots=True)
class RunKeys:
    """The Redis keys of one run."""

    run_id: int
    token: str  # new for every publication: runs of other databases (same ids) or a re-run never mix

    @property
    def prefix(self) -> str:
        return f"dossier:run:{self.run_id}:{self.token}"

    @property
    def announcement(self) -> str:
        return f"{self.run_id} {self.token}"

    @classmethod
    def announced(cls, value: str) -> RunKeys:
        run_id, token = value.split()
        return cls(int(run_id), token)

    @property
    def config(self) -> str:
        return f"{self.prefix}:config"

    @property
    def seeds(self) -> str:
        return f"{self.prefix}:seeds"

    @property
    def pending(self) -> str:
        return f"{self.prefix}:pending"

    @property
    def done(self) -> str:
        return f"{self.prefix}:done"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"

    @property
    def finished(self) -> str:
        return f"{self.prefix}:finished"

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.prefix}:dupefilter"

    def seen(self, source_id: int) -> str:
        return f"{self.prefix}:seen:{source_id}"

    def budget(self, source_id: int) -> str:
        return f"{self.prefix}:budget:{source_id}"

    def items(self, source_id: int) -> str:
        return f"{self.prefix}:items:{source_id}"

    def alive(self, worker: str) -> str:
        """Set with a time-to-live by a working worker: gone when the worker died."""
        return f"{self.prefix}:alive:{worker}"

    @property
    def not_found(self) -> str:
        """Per source, the fingerprint of its answer to a URL that cannot exist (soft 404s)."""
        return f"{self.prefix}:not-found"

    def had_items(self, source_id: int) -> str:
        return f"{self.prefix}:had-items:{source_id}"


def scrapy_redis_settings(url: str, keys: RunKeys) -> dict[str, Any]:
    """Scrapy settings that put the run's request queue and dupefilter in Redis (scrapy-redis)."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the queue belongs to the run, not to one worker
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "REDIS_URL": url,
    }


# -- the coordinator -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DrainOutcome:
    ok: bool
    error: str | None
    workers: int


def coordinate(url: str, config_text: str, run_id: int, source_ids: list[int], timeout: float,
               startup: float = 60.0, poll: float = 0.25) -> DrainOutcome:
    """Publish run `run_id` and wait until its workers have crawled every source and written what they found.

    The run fails (and so is not diffed: no false removals) when no worker takes it within `startup` seconds,
    when it is not drained within `timeout`, or as soon as a worker that took it stops before it is drained
    (killed, crashed: the requests it had taken are lost with it, so the crawl would be incomplete).
    """
    client = connect(url)
    keys = RunKeys(run_id, uuid.uuid4().hex[:12])
    pipe = client.pipeline()
    pipe.delete(keys.seeds, keys.done, keys.workers, keys.finished)
    pipe.set(keys.config, config_text, ex=KEEP_SECONDS)
    pipe.set(keys.pending, len(source_ids), ex=KEEP_SECONDS)  # each seed is pending until a worker has queued it
    if source_ids:
        pipe.rpush(keys.seeds, *source_ids)
        pipe.expire(keys.seeds, KEEP_SECONDS)
    pipe.set(ACTIVE_RUN, keys.announcement)
    pipe.execute()
    log.info("run %s: %d sources published to %s; waiting for workers", run_id, len(source_ids), url.split("@")[-1])
    started = time.monotonic()
    try:
        while True:
            pending = int(client.get(keys.pending) or 0)
            workers = client.scard(keys.workers)
            if pending <= 0 and client.llen(keys.seeds) == 0:
                break
            waited = time.monotonic() - started
            if not workers and waited > startup:
                return DrainOutcome(False, f"no worker took run {run_id} within {startup:.0f} s: start "
                                           "`dossier crawl --worker` with the same DOSSIER_REDIS_URL", 0)
            if waited > timeout:
                return DrainOutcome(False, f"the workers did not finish run {run_id} within {timeout:.0f} s "
                                           f"({pending} requests pending)", workers)
            dead = _stopped_workers(client, keys)
            if dead:
                return DrainOutcome(False, f"worker {', '.join(dead)} stopped before run {run_id} was crawled "
                                           f"({pending} requests unfinished): its requests are lost, so the run "
                                           "is failed; see the worker's log", workers)
            time.sleep(poll)
        client.set(keys.done, 1, ex=KEEP_SECONDS)  # the workers' spiders stop once the queue is empty
        while unfinished := client.sdiff(keys.workers, keys.finished):  # each has written its part to the database
            if time.monotonic() - started > timeout:
                return DrainOutcome(False, f"workers of run {run_id} did not close within {timeout:.0f} s",
                                    client.scard(keys.workers))
            gone = sorted(name for name in unfinished if not client.exists(keys.alive(name)))
            if gone:
                return DrainOutcome(False, f"worker {', '.join(gone)} stopped before writing its part of run "
                                           f"{run_id}: the run is failed; see the worker's log",
                                    client.scard(keys.workers))
            time.sleep(poll)
        return DrainOutcome(True, None, client.scard(keys.workers))
    finally:
        client.set(keys.done, 1, ex=KEEP_SECONDS)
        if client.get(ACTIVE_RUN) == keys.announcement:
            client.delete(ACTIVE_RUN)
        for key in client.scan_iter(match=f"{keys.prefix}:*", count=1000):
            client.expire(key, KEEP_SECONDS)  # kept a while to inspect, not forever


def _stopped_workers(client: Any, keys: RunKeys) -> list[str]:
    """Workers of a run not yet drained that have ended (a worker ends normally only after the drain) or have
    not said they are alive for ALIVE_SECONDS."""
    stopped = set(client.smembers(keys.finished))
    stopped |= {name for name in client.smembers(keys.workers) if not client.exists(keys.alive(name))}
    return sorted(stopped)


# -- the worker ------------------------------------------------------------------------------------------------------
def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def serve(url: str, database_url: str, once: bool = False, verbose: bool = False, poll: float = 0.5,
          idle_timeout: float | None = None) -> int:
    """Crawl each run the coordinator publishes, one child process per run; returns the number of runs crawled.

    `once` stops after one run; `idle_timeout` stops after that many seconds without a run to crawl.
    """
    from crawler.launch import crawl_in_subprocess

    client = connect(url)
    os.environ[REDIS_ENV] = url  # the crawl processes this worker starts join the run through it
    name = worker_name()
    crawled: set[str] = set()
    idle_since = time.monotonic()
    log.info("worker %s waiting for runs on %s", name, url.split("@")[-1])
    while True:
        announced = client.get(ACTIVE_RUN)
        keys = RunKeys.announced(announced) if announced else None
        if keys and announced not in crawled and not client.exists(keys.done):
            run_id = keys.run_id
            config_text = client.get(keys.config)
            if config_text is None:
                raise CrawlError(f"run {run_id} has no config in Redis: was it published by `dossier run`?")
            client.set(keys.alive(name), 1, ex=ALIVE_SECONDS)  # the crawl process keeps it alive from here
            client.sadd(keys.workers, name)
            crawled.add(announced)
            try:
                with tempfile.TemporaryDirectory(prefix="dossier-worker-") as folder:
                    config_path = Path(folder) / "competitors.yaml"
                    config_path.write_text(config_text, encoding="utf-8")
                    log.info("worker %s: crawling run %s", name, run_id)
                    outcome = crawl_in_subprocess(str(config_path), database_url, run_id, verbose=verbose,
                                                  shared=f"{keys.announcement} {name}")
                    if not outcome.ok:
                        log.error("worker %s: run %s: %s", name, run_id, outcome.error)
            finally:
                client.sadd(keys.finished, name)
            if once:
                return len(crawled)
            idle_since = time.monotonic()
        elif idle_timeout is not None and time.monotonic() - idle_since > idle_timeout:
            return len(crawled)
        time.sleep(poll)
