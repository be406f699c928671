"""The coordinator of a distributed run (`dossier run` with DOSSIER_REDIS_URL set): it publishes the run's config and
one seed per source in Redis, and waits until the workers have drained the shared queue (crawler.frontier's pending
count) and written what they found. A worker that dies has its work put back on the queue (crawler/reconcile.py);
a Redis that restarts empty gets the run published again. No Scrapy here.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from crawler.redis_run import (
    ACTIVE_RUN, ALIVE_SECONDS, KEEP_SECONDS, RETRY_SECONDS, WAIT_ENV, WAIT_SECONDS, RunKeys, connect,
)

log = logging.getLogger(__name__)

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
        return _Drain(client, keys, config_text, source_ids, timeout, startup, poll, ledger, started).run()
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


@dataclass
class _Drain:
    """Waiting for a published run: first until its queue is drained (nothing pending, queued or in flight), then
    until each worker has written its part. Dead workers have their work put back (`ledger`, crawler/reconcile.py),
    and a Redis that lost the run's keys gets it published again."""

    client: Any
    keys: RunKeys
    config_text: str
    source_ids: list[int]
    timeout: float
    startup: float
    poll: float
    ledger: Any
    started: float
    known: set[str] = field(default_factory=set)  # every worker seen in the run: a restart empties the set, not them
    republished: int = 0
    republished_at: float | None = None

    def run(self) -> DrainOutcome:
        failed = self._drain_queue()
        if failed is not None:
            return failed
        self.client.set(self.keys.done, 1, ex=KEEP_SECONDS)  # the workers' spiders stop once the queue is empty
        return self._await_parts()

    def _drain_queue(self) -> DrainOutcome | None:
        """None once nothing is left to crawl, else the outcome that ended the wait."""
        client, keys, run_id, ledger = self.client, self.keys, self.keys.run_id, self.ledger
        alone_since: float | None = None  # every worker of the run is dead, work is left: waiting for a new one
        miscounted = False
        while True:
            pipe = client.pipeline()  # one transaction: a restart cannot fall between reading these
            pipe.exists(keys.config).get(keys.pending).llen(keys.seeds).smembers(keys.workers)
            published, pending, seeds, registered = pipe.execute()
            pending = int(pending or 0)
            now = time.monotonic()
            self.known |= registered
            # after a restart a live worker says its name again within ALIVE_SECONDS / 6: until then it is not dead
            workers = registered | (self.known if self.republished_at is None
                                    or now - self.republished_at > ALIVE_SECONDS else set())
            if not published:  # Redis restarted (this machine's keeps nothing on disk): the queue and claims are gone
                self.republished += 1
                if self.republished > MAX_REPUBLISH:
                    return DrainOutcome(False, f"Redis lost the keys of run {run_id} {MAX_REPUBLISH + 1} times "
                                               "(restarted?): the run is failed", len(self.known))
                log.error("run %s: Redis lost the run's keys (restarted?): published again, every source seeded "
                          "anew", run_id)
                _publish(client, keys, self.config_text, self.source_ids)
                self.started, self.republished_at, alone_since = now, now, None
                if ledger is not None:
                    ledger.lost.clear()
                continue
            if pending <= 0 and seeds == 0:
                left = _work_left(client, keys, self.known)
                if not left:
                    return None
                # the count missed a step (a restart fell between two of a worker's writes): go by what is left
                if not miscounted:
                    log.warning("run %s: %d requests queued or in flight although none is counted pending: waiting "
                                "for them", run_id, left)
                    miscounted = True
            waited = now - self.started
            if waited > self.timeout:
                return DrainOutcome(False, f"the workers did not finish run {run_id} within {self.timeout:.0f} s "
                                           f"({pending} requests pending)", len(workers))
            if not workers:
                if waited > self.startup:
                    return DrainOutcome(False, f"no worker took run {run_id} within {self.startup:.0f} s: start "
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
                elif now - alone_since > self.startup:
                    return _left_unfetched(ledger, workers, f"worker {', '.join(sorted(ledger.lost))} died and no "
                                                            "worker was left")
            time.sleep(self.poll)

    def _await_parts(self) -> DrainOutcome:
        """Each worker writes its part to the database, then says it has finished."""
        client, keys, run_id, ledger = self.client, self.keys, self.keys.run_id, self.ledger
        while True:
            pipe = client.pipeline()
            pipe.exists(keys.config).smembers(keys.workers).smembers(keys.finished)
            published, registered, finished = pipe.execute()
            self.known |= registered
            workers = self.known
            if not published:
                return DrainOutcome(False, f"Redis lost the keys of run {run_id} (restarted?) while its workers "
                                           "were writing their part: the run is failed", len(workers))
            unfinished = workers - finished - (set(ledger.lost) if ledger else set())
            if not unfinished:
                break
            now = time.monotonic()
            if now - self.started > self.timeout:
                return DrainOutcome(False, f"workers of run {run_id} did not close within {self.timeout:.0f} s",
                                    len(workers))
            recent = self.republished_at is not None and now - self.republished_at <= ALIVE_SECONDS
            gone = sorted(name for name in unfinished if not client.exists(keys.alive(name))
                          and not (recent and name not in registered))
            if gone and ledger is None:
                return DrainOutcome(False, f"worker {', '.join(gone)} stopped before writing its part of run "
                                           f"{run_id}: the run is failed; see the worker's log", len(workers))
            for name in gone:  # too late to queue its work again: what it did not write is recorded below
                ledger.put_back(name, "it stopped before writing its part")
            time.sleep(self.poll)
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
