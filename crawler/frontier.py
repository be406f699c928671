"""What a crawl has seen and spent per source: in this process, or shared by every worker of a run through Redis.

The spider asks its frontier before it requests a page (`claim`), so a page is fetched once per run and a
source never exceeds `max_pages`, however many workers share the run. The Redis frontier also keeps the run's
count of unfinished requests: +1 when a request is first scheduled, -1 when its callback or errback has run (and
so scheduled whatever it found) or the scheduler dropped it. Redirects and retries inherit their request's count.
The coordinator knows the crawl has drained when that count and the seed queue are both at zero.

Every request a worker takes is in its in-flight hash until it settles (crawler/scheduler.py writes it there in
the same step as it leaves the queue), and every seed it pops is in its seeding list until its start requests are
scheduled: when the worker dies, the coordinator puts both back (crawler/reconcile.py). A settle or a drop counts
down only if the request was still in flight, so a request put back meanwhile is never counted down twice.

A page a dead worker was reading is read again by another, so what reading it decided must hold the second time:
- a link it claimed but had not yet queued is in the worker's claimed hash until the scheduler queues it; the
  coordinator takes such claims back when it puts the page back, so the second reading claims the link anew;
- a page_param listing page's verdict (it brought new items: ask for the next page) is kept per page, so the
  second reading finds the same verdict although the items are now seen;
- the final URL of a redirect is marked read by the URL asked for, so the second reading of that URL reads the
  page again instead of taking it for an alias of a page the source has read already.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

log = logging.getLogger(__name__)

COUNTED = "dossier_counted"  # request.meta flag: this request (or the one it replaces) is in the pending count
TAKEN = "dossier_taken"  # request.meta: its id in the in-flight hash of the worker that took it (crawler/scheduler.py)
LOST_RUN_SECONDS = 60  # a worker whose run's keys are gone from Redis this long (and not re-published) stops
BODY_KEY = "body:"  # a listing page's key when it holds no items we read: its content hash


@dataclass(frozen=True, slots=True)
class Settled:
    """Yielded by a shared worker's callback after all it found: its request settles once this reaches the item
    pipelines (crawler.scheduler.SettlePipeline), when Scrapy has queued every request yielded before it."""

    request: Any


class Claim(Enum):
    NEW = "new"  # fetch it: marked seen and charged to the source's budget
    SEEN = "seen"  # this source has it already (or has it queued)
    OVER_BUDGET = "over_budget"  # the source's max_pages is spent


class LocalFrontier:
    """One process crawls the whole run."""

    def __init__(self) -> None:
        self._seen: dict[int, set[str]] = {}
        self._budget: Counter[int] = Counter()
        self._items: dict[int, set[str]] = {}
        self._verdicts: dict[int, dict[str, bool]] = {}
        self._readers: dict[int, dict[str, str]] = {}
        self._not_found: dict[int, str] = {}

    def claim(self, source_id: int, key: str, max_pages: int, page: str = "") -> Claim:
        seen = self._seen.setdefault(source_id, set())
        if key in seen:
            return Claim.SEEN
        if self._budget[source_id] >= max_pages:
            return Claim.OVER_BUDGET
        seen.add(key)
        self._budget[source_id] += 1
        return Claim.NEW

    def mark_seen(self, source_id: int, key: str) -> None:
        self._seen.setdefault(source_id, set()).add(key)

    def is_seen(self, source_id: int, key: str) -> bool:
        return key in self._seen.get(source_id, ())

    def mark_read(self, source_id: int, key: str, by: str) -> None:
        """`key`, the final URL of a redirect from `by`, is a page of the source read now."""
        self._seen.setdefault(source_id, set()).add(key)
        self._readers.setdefault(source_id, {}).setdefault(key, by)

    def read_elsewhere(self, source_id: int, key: str, by: str) -> bool:
        """The source has `key` already, asked for (or redirected to) from another URL than `by`."""
        return key in self._seen.get(source_id, ()) and self._readers.get(source_id, {}).get(key) != by

    def brings_new_items(self, source_id: int, page: str, keys: Iterable[str]) -> bool:
        """Listing page `page` shows keys not seen on this source's listing pages before (all are remembered
        now); a page asked again gets the verdict of its first reading."""
        verdicts = self._verdicts.setdefault(source_id, {})
        if page not in verdicts:
            keys = set(keys)
            seen = self._items.setdefault(source_id, set())
            verdicts[page] = bool(keys - seen)
            seen |= keys
        return verdicts[page]

    def had_items(self, source_id: int) -> bool:
        """This source's listing pages have shown items we read (not only page bodies)."""
        return any(not key.startswith(BODY_KEY) for key in self._items.get(source_id, ()))

    def not_found_page(self, source_id: int) -> str | None:
        """The fingerprint of the source's answer to a URL that cannot exist (crawler/soft404.py); "" when the
        check is off for the source, None when its probe has not answered with a page."""
        return self._not_found.get(source_id)

    def set_not_found_page(self, source_id: int, fingerprint: str) -> None:
        self._not_found[source_id] = fingerprint

    # the pending count matters only when several workers share a run
    def scheduled(self, request: Any, spider: Any = None) -> None:
        pass

    def dropped(self, request: Any, spider: Any = None) -> None:
        pass

    def settled(self, request: Any) -> None:
        pass

    def finished(self) -> None:
        pass


# KEYS: seen set, budget counter, the worker's claimed hash. ARGV: key, max_pages, page field of the request
# ("" for none). 0 seen, 1 over budget, 2 new (claimed: in the claimed hash until crawler/scheduler.py queues it).
_CLAIM = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[2]) then return 1 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], ARGV[1]) end
return 2
"""

# KEYS: items set, had-items flag, verdicts hash. ARGV: page, 1 when a key is an item (not a body), the keys.
# 1 when the page brought new items. The first reading's verdict stands.
_NEW_ITEMS = """
local verdict = redis.call('HGET', KEYS[3], ARGV[1])
if verdict then return tonumber(verdict) end
local new = 0
for i = 3, #ARGV do new = new + redis.call('SADD', KEYS[1], ARGV[i]) end
if ARGV[2] == '1' then redis.call('SET', KEYS[2], 1) end
verdict = new > 0 and 1 or 0
redis.call('HSET', KEYS[3], ARGV[1], verdict)
return verdict
"""

# KEYS: seen set, readers hash. ARGV: key, the URL asked for. 1 when the source has the key from another URL.
_READ_ELSEWHERE = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then return 0 end
return 1
"""
_CLAIMS = {0: Claim.SEEN, 1: Claim.OVER_BUDGET, 2: Claim.NEW}

# KEYS: the worker's in-flight hash, pending count, the worker's settled set, the run's settled set.
# ARGV: taken id, "SOURCE URL" of a page request ("" for discovery), 1 when counted. 1 settled, 0 not in flight.
_SETTLE = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[2] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[2])
  redis.call('SADD', KEYS[4], ARGV[2])
end
if ARGV[3] == '1' then redis.call('DECR', KEYS[2]) end
return 1
"""


def page_field(request: Any) -> str:
    """"SOURCE_ID URL" of a page request (one that must leave a fetch row), "" for robots.txt, sitemaps, probes."""
    meta = request.meta
    if meta.get("dossier_depth") is None or meta.get("dossier_source_id") is None:
        return ""
    return f"{meta['dossier_source_id']} {request.url}"


class RedisFrontier:
    """Every worker of a run shares it: see crawler.redis_run.RunKeys for the keys."""

    def __init__(self, client: Any, keys: Any, worker: str, alive_seconds: int) -> None:
        self.client = client
        self.keys = keys
        self.worker = worker
        self.alive_seconds = alive_seconds
        self._claim = client.register_script(_CLAIM)
        self._new_items = client.register_script(_NEW_ITEMS)
        self._read_elsewhere = client.register_script(_READ_ELSEWHERE)
        self._settle = client.register_script(_SETTLE)
        self._said_alive = 0.0
        self._seeding: str | None = None  # the seed popped last, until its start requests are scheduled
        self._run_missing_since: float | None = None

    def claim(self, source_id: int, key: str, max_pages: int, page: str = "") -> Claim:
        """`page`: the page field of the request to be queued (crawler/scheduler.py takes it out of this worker's
        claimed hash when it queues it; the coordinator takes back what is still there when the worker dies)."""
        keys = [self.keys.seen(source_id), self.keys.budget(source_id), self.keys.claimed(self.worker)]
        return _CLAIMS[int(self._claim(keys=keys, args=[key, max_pages, page]))]

    def mark_seen(self, source_id: int, key: str) -> None:
        self.client.sadd(self.keys.seen(source_id), key)

    def is_seen(self, source_id: int, key: str) -> bool:
        return bool(self.client.sismember(self.keys.seen(source_id), key))

    def mark_read(self, source_id: int, key: str, by: str) -> None:
        pipe = self.client.pipeline()
        pipe.sadd(self.keys.seen(source_id), key)
        pipe.hsetnx(self.keys.readers(source_id), key, by)
        pipe.execute()

    def read_elsewhere(self, source_id: int, key: str, by: str) -> bool:
        keys = [self.keys.seen(source_id), self.keys.readers(source_id)]
        return bool(self._read_elsewhere(keys=keys, args=[key, by]))

    def brings_new_items(self, source_id: int, page: str, keys: Iterable[str]) -> bool:
        keys = sorted(set(keys))
        has_items = any(not key.startswith(BODY_KEY) for key in keys)
        script_keys = [self.keys.items(source_id), self.keys.had_items(source_id), self.keys.verdicts(source_id)]
        return bool(self._new_items(keys=script_keys, args=[page, "1" if has_items else "0", *keys]))

    def had_items(self, source_id: int) -> bool:
        return bool(self.client.exists(self.keys.had_items(source_id)))

    def not_found_page(self, source_id: int) -> str | None:
        return self.client.hget(self.keys.not_found, str(source_id))

    def set_not_found_page(self, source_id: int, fingerprint: str) -> None:
        self.client.hset(self.keys.not_found, str(source_id), fingerprint)

    def scheduled(self, request: Any, spider: Any = None) -> None:
        if not request.meta.get(COUNTED):
            request.meta[COUNTED] = True
            self.client.incr(self.keys.pending)

    def dropped(self, request: Any, spider: Any = None) -> None:
        self.settled(request, page=False)

    def settled(self, request: Any, page: bool = True) -> None:
        """Its callback or errback has run (or the scheduler refused it): out of flight and of the pending count,
        unless the coordinator has put it back on the queue meanwhile (then whoever takes it settles it)."""
        taken = request.meta.get(TAKEN)
        counted = bool(request.meta.get(COUNTED))
        if taken is None:  # never taken through the shared scheduler (dropped at its first scheduling)
            if counted:
                self.client.decr(self.keys.pending)
            return
        keys = [self.keys.inflight(self.worker), self.keys.pending, self.keys.settled_by(self.worker),
                self.keys.settled]
        self._settle(keys=keys, args=[str(taken), page_field(request) if page else "", "1" if counted else "0"])

    def finished(self) -> None:
        """This worker's crawl has ended and its writes are in the database (before the drain: it stopped early)."""
        self.client.sadd(self.keys.finished, self.worker)

    def alive(self) -> None:
        """Tell the coordinator this worker still works (at most every few seconds; the key outlives that)."""
        now = time.monotonic()
        if now - self._said_alive >= self.alive_seconds / 6:
            pipe = self.client.pipeline()
            pipe.set(self.keys.alive(self.worker), 1, ex=self.alive_seconds)
            pipe.sadd(self.keys.workers, self.worker)  # again after a Redis restart lost the set
            pipe.execute()
            self._said_alive = now

    # the run's seeds: one per source, published by the coordinator
    def next_seed(self) -> int | None:
        """A source whose start requests no worker has made yet, or None. It stays in this worker's seeding list
        until `seeded()`: should the worker die first, the coordinator puts it back."""
        value = self.client.lmove(self.keys.seeds, self.keys.seeding(self.worker), "LEFT", "RIGHT")
        self._seeding = value
        return None if value is None else int(value)

    def seeded(self) -> None:
        """This worker has scheduled a seed's start requests: the seed itself is no longer pending (unless the
        coordinator took it back meanwhile, or Redis lost it)."""
        if self._seeding is not None and self.client.lrem(self.keys.seeding(self.worker), 1, self._seeding):
            self.client.decr(self.keys.pending)
        self._seeding = None

    def drained(self) -> bool:
        """The coordinator has seen the run drained: nothing pending, no seed left. Also True when the run's keys
        have been gone from Redis for LOST_RUN_SECONDS (restarted, and no coordinator published the run again)."""
        done, published = self.client.exists(self.keys.done), self.client.exists(self.keys.config)
        if done:
            return True
        if published:
            self._run_missing_since = None
            return False
        now = time.monotonic()
        if self._run_missing_since is None:
            self._run_missing_since = now
            log.warning("run %s: its keys are gone from Redis (restarted?): waiting for the coordinator",
                        self.keys.run_id)
        if now - self._run_missing_since > LOST_RUN_SECONDS:
            log.error("run %s: Redis lost the run and no coordinator published it again within %d s: stopping",
                      self.keys.run_id, LOST_RUN_SECONDS)
            return True
        return False

    def queued(self) -> int:
        """Requests waiting in the run's shared queue (scrapy-redis' priority queue is a sorted set)."""
        return int(self.client.zcard(self.keys.requests))
