"""Distributed crawling: with DOSSIER_REDIS_URL set, workers on one or several machines share a run's frontier.

`dossier run` becomes the coordinator (crawler/coordinator.py): it publishes the run's config and one seed per source
in Redis (the keys: crawler/redis_run.py), waits until the workers have drained the shared queue (scrapy-redis
scheduler and dupefilter, crawler.frontier's pending count), then judges the sources, diffs and alerts as a
single-process run would. A worker that dies has its work put back on the queue (crawler/reconcile.py); a Redis that
restarts empty gets the run published again.

This module is the worker: `dossier crawl --worker` waits for a run, crawls it in a child process (the Twisted
reactor starts once per process) and writes to the shared dossier database (PostgreSQL). No Scrapy here.
"""
from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from pathlib import Path

from crawler.redis_run import ACTIVE_RUN, ALIVE_SECONDS, REDIS_ENV, RETRY_SECONDS, RunKeys, connect
from dossier.errors import CrawlError

log = logging.getLogger(__name__)


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
