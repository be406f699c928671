"""A distributed run in Redis: the connection (a bad URL or a Redis that is down is one line), the run's keys, and
the Scrapy settings that put a worker's request queue and dupefilter there. No Scrapy here: the coordinator
imports this module too. The coordinator is crawler/coordinator.py, the worker crawler/distributed.py.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dossier.errors import ConfigError, CrawlError
from dossier.secrets import unencoded_userinfo

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

    def seen(self, source_id: int | str) -> str:  # "" gives the key without the source id (crawler/reconcile.py)
        return f"{self.prefix}:seen:{source_id}"

    def budget(self, source_id: int | str) -> str:
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

    def verdicts(self, source_id: int) -> str:
        """page_param listing pages read: page key -> 1 when it brought new items (its next page is asked)."""
        return f"{self.prefix}:verdicts:{source_id}"

    def readers(self, source_id: int) -> str:
        """Final URLs of redirects -> the URL asked for that first reached them (the reading of that page)."""
        return f"{self.prefix}:readers:{source_id}"

    # what the coordinator needs to put back the work of a worker that died (crawler/reconcile.py)
    def inflight(self, worker: str) -> str:
        """Requests the worker has taken from the queue and not settled: taken id -> the request as queued."""
        return f"{self.prefix}:inflight:{worker}"

    def claimed(self, worker: str) -> str:
        """Links the worker has claimed and not yet queued: "SOURCE_ID URL" -> its key in the source's seen set."""
        return f"{self.prefix}:claimed:{worker}"

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
