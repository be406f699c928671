"""Distributed crawling: with DOSSIER_REDIS_URL set, workers on one or several machines share a run's frontier.

`dossier run` becomes the coordinator: it stores the run's config and one seed per source in Redis, waits until
the workers have drained the shared queue (scrapy-redis scheduler and dupefilter, crawler.frontier's pending
count), then judges the sources, diffs and alerts as a single-process run would. A worker that dies has its
work put back on the queue (crawler/reconcile.py); a Redis that restarts empty gets the run published again.
`dossier crawl --worker` waits for a run, crawls it in a child process (the Twisted reactor starts once per
process) and writes to the shared dossier database (PostgreSQL). No Scrapy here: the coordinator imports this
module too.
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
from typing import Any
from urllib.parse import urlsplit

from dossier.errors import ConfigError, CrawlError
from dossier.secrets import unencoded_userinfo

log = logging.getLogger(__name__)

REDIS_ENV = "DOSSIER_REDIS_URL"
ACTIVE_RUN = "dossier:active-run"
KEEP_SECONDS = 7 * 24 * 3600  # a run's keys stay a week for inspection, then Redis drops them
ALIVE_ENV = "DOSSIER_ALIVE_SECONDS"
# a worker that has not said it is alive for this long is taken for dead (tests shorten it through ALIVE_ENV)
ALIVE_SECONDS = int(os.environ.get(ALIVE_ENV) or 60)
WAIT_ENV = "DOSSIER_WORKER_WAIT_SECONDS"
WAIT_SECONDS = 60  # how long a coordinator waits for a first worker, or for a new one once all have died
RETRY_SECONDS = 30  # a lost connection to Redis (a restart) is retried with backoff for about this long


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
        client = redis.Redis.from_url(url, decode_responses=True, **redis_params())
        first = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5, socket_timeout=30)
    except ValueError as exc:
        raise ConfigError(f"{REDIS_ENV}: {exc} (use redis://HOST:6379/0)") from None
    try:  # asked once, without the retries: a wrong URL or a Redis that is down is said at once, not in 30 s
        first.ping()
    except redis.RedisError as exc:
        raise CrawlError(f"{REDIS_ENV} {shown}: cannot reach Redis ({exc}); start it or fix the variable") from None
    finally:
        first.close()
    return client


def redis_params() -> dict[str, Any]:
    """Client parameters: a connection lost while Redis restarts is retried with backoff for ~RETRY_SECONDS."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    # 0.5 + 1 + 2 + 4 × 7 s of waits between 11 attempts: about RETRY_SECONDS
    retry = Retry(ExponentialBackoff(cap=4, base=0.25), retries=10,
                  supported_errors=(redis.ConnectionError, redis.TimeoutError))
    return {"socket_connect_timeout": 5, "socket_timeout": 30, "retry": retry,
            "retry_on_error": [redis.ConnectionError, redis.TimeoutError]}


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

    # what the coordinator needs to put back the work of a worker that died (crawler/reconcile.py)
    def inflight(self, worker: str) -> str:
        """Requests the worker has taken from the queue and not settled: taken id -> the request as queued."""
        return f"{self.prefix}:inflight:{worker}"

    def seeding(self, worker: str) -> str:
        """Seeds the worker has popped and not yet turned into scheduled start requests."""
        return f"{self.prefix}:seeding:{worker}"

    def settled_by(self, worker: str) -> str:
        """Page requests ("SOURCE_ID URL") the worker has settled: read, but perhaps not yet in the database."""
        return f"{self.prefix}:settled:{worker}"

    @property
    def settled(self) -> str:
        """Page requests settled by any worker (one put back after its worker died leaves this set)."""
        return f"{self.prefix}:settled"

    @property
    def pages(self) -> str:
        """Every page request queued in the run: "SOURCE_ID URL" -> the request as queued (to queue it again)."""
        return f"{self.prefix}:pages"

    @property
    def taken(self) -> str:
        """The counter that numbers the requests workers take."""
        return f"{self.prefix}:taken"

    @property
    def lost(self) -> str:
        """Workers found dead whose work has been put back."""
        return f"{self.prefix}:lost"


def scrapy_redis_settings(url: str, keys: RunKeys) -> dict[str, Any]:
    """Scrapy settings that put the run's request queue and dupefilter in Redis (scrapy-redis)."""
    from crawler import settings as crawl_defaults  # constants only: no Scrapy

    return {
        "ITEM_PIPELINES": {"crawler.scheduler.SettlePipeline": 100, **crawl_defaults.ITEM_PIPELINES},
        "SCHEDULER": "crawler.scheduler.SharedScheduler",  # scrapy-redis' scheduler, taken requests recorded
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the queue belongs to the run, not to one worker
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "REDIS_URL": url,
        "REDIS_PARAMS": redis_params(),
        "DOSSIER_RUN_KEYS": keys.announcement,
    }


# -- the coordinator -----------------------------------------------------------------------------------------------
MAX_REPUBLISH = 3  # Redis losing a run's keys more often than this in one run fails it


@dataclass(frozen=True, slots=True)
class DrainOutcome:
    ok: bool
    error: str | None  # with ok: the run is partial for this reason (URLs no worker was left to fetch)
    workers: int


def coordinate(url: str, config_text: str, run_id: int, source_ids: list[int], timeout: float,
               startup: float | None = None, poll: float = 0.25, *, database_url: str | None = None,
               start_urls: dict[int, str] | None = None) -> DrainOutcome:
    """Publish run `run_id` and wait until its workers have crawled every source and written what they found.

    A worker that dies (killed, crashed) has its work put back on the queue for the others (crawler/reconcile.py,
    which needs `database_url`, the run's database). When no worker is left for `startup` seconds, the URLs not
    fetched get failed fetch rows and the outcome is ok with an error: the run is partial, and its diff takes no
    missing page for a removal. A Redis that lost the run's keys (restarted: it keeps nothing on disk) gets the run
    published again, every source seeded anew. The run fails when no worker takes it within `startup` seconds,
    when it is not drained within `timeout`, or when Redis cannot be reached for ~RETRY_SECONDS.
    """
    import redis

    if startup is None:
        startup = float(os.environ.get(WAIT_ENV) or WAIT_SECONDS)
    client = connect(url)
    keys = RunKeys(run_id, uuid.uuid4().hex[:12])
    shown = url.split("@")[-1]
    ledger = None
    if database_url is not None:
        from crawler.reconcile import Ledger

        ledger = Ledger(client, keys, database_url, start_urls or {})
    _publish(client, keys, config_text, source_ids)
    log.info("run %s: %d sources published to %s; waiting for workers", run_id, len(source_ids), shown)
    started = time.monotonic()
    try:
        return _drain(client, keys, config_text, source_ids, timeout, startup, poll, ledger, started)
    except redis.RedisError as exc:
        return DrainOutcome(False, f"Redis at {shown} failed during run {run_id} ({exc}) and did not come back "
                                   f"within {RETRY_SECONDS} s: the run is failed", 0)
    finally:
        try:
            client.set(keys.done, 1, ex=KEEP_SECONDS)
            if client.get(ACTIVE_RUN) == keys.announcement:
                client.delete(ACTIVE_RUN)
            for key in client.scan_iter(match=f"{keys.prefix}:*", count=1000):
                client.expire(key, KEEP_SECONDS)  # kept a while to inspect, not forever
        except redis.RedisError as exc:
            log.error("run %s: its keys in Redis were not closed: %s", run_id, exc)


def _publish(client: Any, keys: RunKeys, config_text: str, source_ids: list[int]) -> None:
    """The run's config and one seed per source, and the run announced to the workers.

    Published again after a Redis restart, it adds to what the workers wrote since Redis came back (their pending
    count, their names, requests they queued): overwritten, the count would reach zero while requests they queued
    in that gap are still to be crawled, and the coordinator would not know whom to wait for.
    """
    pipe = client.pipeline()
    pipe.set(keys.config, config_text, ex=KEEP_SECONDS)
    pipe.incrby(keys.pending, len(source_ids))  # each seed is pending until a worker has queued it
    pipe.expire(keys.pending, KEEP_SECONDS)
    if source_ids:
        pipe.rpush(keys.seeds, *source_ids)
        pipe.expire(keys.seeds, KEEP_SECONDS)
    pipe.set(ACTIVE_RUN, keys.announcement)
    pipe.execute()


def _drain(client: Any, keys: RunKeys, config_text: str, source_ids: list[int], timeout: float, startup: float,
           poll: float, ledger: Any, started: float) -> DrainOutcome:
    run_id = keys.run_id
    republished = 0
    republished_at: float | None = None
    known: set[str] = set()  # every worker seen in the run: a Redis restart empties the set, not the workers
    alone_since: float | None = None  # every worker of the run is dead, work is left: waiting for a new one
    miscounted = False
    while True:
        pipe = client.pipeline()  # one transaction: a restart cannot fall between reading these
        pipe.exists(keys.config).get(keys.pending).llen(keys.seeds).smembers(keys.workers)
        published, pending, seeds, registered = pipe.execute()
        pending = int(pending or 0)
        now = time.monotonic()
        known |= registered
        # after a restart a live worker says its name again within ALIVE_SECONDS / 6: until then it is not dead
        workers = registered | (known if republished_at is None or now - republished_at > ALIVE_SECONDS else set())
        if not published:  # Redis restarted (this machine's keeps nothing on disk): the queue and claims are gone
            republished += 1
            if republished > MAX_REPUBLISH:
                return DrainOutcome(False, f"Redis lost the keys of run {run_id} {MAX_REPUBLISH + 1} times "
                                           "(restarted?): the run is failed", len(known))
            log.error("run %s: Redis lost the run's keys (restarted?): published again, every source seeded anew",
                      run_id)
            _publish(client, keys, config_text, source_ids)
            started, republished_at, alone_since = now, now, None
            if ledger is not None:
                ledger.lost.clear()
            continue
        if pending <= 0 and seeds == 0:
            left = _work_left(client, keys, known)
            if not left:
                break
            # the count missed a step (a restart fell between two of a worker's writes): go by what is left
            if not miscounted:
                log.warning("run %s: %d requests queued or in flight although none is counted pending: waiting for "
                            "them", run_id, left)
                miscounted = True
        waited = now - started
        if waited > timeout:
            return DrainOutcome(False, f"the workers did not finish run {run_id} within {timeout:.0f} s "
                                       f"({pending} requests pending)", len(workers))
        if not workers:
            if waited > startup:
                return DrainOutcome(False, f"no worker took run {run_id} within {startup:.0f} s: start "
                                           "`dossier crawl --worker` with the same DOSSIER_REDIS_URL", 0)
        elif ledger is None:
            dead = _stopped_workers(client, keys)
            if dead:
                return DrainOutcome(False, f"worker {', '.join(dead)} stopped before run {run_id} was crawled "
                                           f"({pending} requests unfinished): its requests are lost, so the run "
                                           "is failed; see the worker's log", len(workers))
        else:
            for name, why in ledger.dead(workers, before_drain=True).items():
                ledger.put_back(name, why)
            if ledger.live(workers):
                alone_since = None
            elif alone_since is None:
                alone_since = now
            elif now - alone_since > startup:
                return _left_unfetched(ledger, workers, f"worker {', '.join(sorted(ledger.lost))} died and no "
                                                        "worker was left")
        time.sleep(poll)
    client.set(keys.done, 1, ex=KEEP_SECONDS)  # the workers' spiders stop once the queue is empty
    while True:  # each worker writes its part to the database, then says it has finished
        pipe = client.pipeline()
        pipe.exists(keys.config).smembers(keys.workers).smembers(keys.finished)
        published, registered, finished = pipe.execute()
        known |= registered
        workers = known
        if not published:
            return DrainOutcome(False, f"Redis lost the keys of run {run_id} (restarted?) while its workers were "
                                       "writing their part: the run is failed", len(workers))
        unfinished = workers - finished - (set(ledger.lost) if ledger else set())
        if not unfinished:
            break
        now = time.monotonic()
        if now - started > timeout:
            return DrainOutcome(False, f"workers of run {run_id} did not close within {timeout:.0f} s",
                                len(workers))
        recent = republished_at is not None and now - republished_at <= ALIVE_SECONDS
        gone = sorted(name for name in unfinished if not client.exists(keys.alive(name))
                      and not (recent and name not in registered))
        if gone and ledger is None:
            return DrainOutcome(False, f"worker {', '.join(gone)} stopped before writing its part of run "
                                       f"{run_id}: the run is failed; see the worker's log", len(workers))
        for name in gone:  # too late to queue its work again: what it did not write is recorded below
            ledger.put_back(name, "it stopped before writing its part")
        time.sleep(poll)
    if ledger is not None and ledger.lost:
        return _left_unfetched(ledger, workers, f"worker {', '.join(sorted(ledger.lost))} died and no worker "
                                                "was left")
    return DrainOutcome(True, None, len(workers))


def _work_left(client: Any, keys: RunKeys, workers: set[str]) -> int:
    """Requests on the run's queue, in the workers' in-flight hashes, and seeds they are turning into requests:
    what the pending count should add up to (it can miss steps a Redis restart fell between)."""
    pipe = client.pipeline()
    pipe.zcard(keys.requests)
    for name in sorted(workers):
        pipe.hlen(keys.inflight(name)).llen(keys.seeding(name))
    return sum(pipe.execute())


def _left_unfetched(ledger: Any, workers: set[str], why: str) -> DrainOutcome:
    """The end of a run no worker can finish: what it needed and nobody fetched gets a failed fetch row."""
    missing = ledger.unfetched()
    if not missing:
        return DrainOutcome(True, None, len(workers))
    count = ledger.record_unfetched(missing, f"not fetched: {why}")
    log.error("run %s: %d URLs not fetched: %s", ledger.keys.run_id, count, why)
    return DrainOutcome(True, f"{count} URLs not fetched: {why}", len(workers))


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
    import redis

    from crawler.launch import crawl_in_subprocess

    client = connect(url)
    os.environ[REDIS_ENV] = url  # the crawl processes this worker starts join the run through it
    name = worker_name()
    crawled: set[str] = set()
    idle_since = time.monotonic()
    log.info("worker %s waiting for runs on %s", name, url.split("@")[-1])
    while True:
        try:
            announced = client.get(ACTIVE_RUN)
            keys = RunKeys.announced(announced) if announced else None
            fresh = keys is not None and announced not in crawled and not client.exists(keys.done)
        except redis.RedisError as exc:  # the client has retried for ~RETRY_SECONDS: wait for Redis to be back
            log.warning("worker %s: Redis at %s: %s; trying again", name, url.split("@")[-1], exc)
            time.sleep(RETRY_SECONDS)
            continue
        if fresh:
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
                try:
                    client.sadd(keys.finished, name)
                except redis.RedisError as exc:  # its alive key expires instead: the coordinator learns all the same
                    log.error("worker %s: run %s: could not say it finished: %s", name, run_id, exc)
            if once:
                return len(crawled)
            idle_since = time.monotonic()
        elif idle_timeout is not None and time.monotonic() - idle_since > idle_timeout:
            return len(crawled)
        time.sleep(poll)
