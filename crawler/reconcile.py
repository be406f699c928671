"""The coordinator's ledger of a distributed run: puts a dead worker's work back on the shared queue, and records
what no worker was left to fetch as failed fetch rows, so that the diff never takes a missing page for a removal.

Worker side: crawler/scheduler.py records each request a worker takes (its in-flight hash) and each page request
queued (the run's pages hash); crawler/frontier.py moves a settled page into the settled sets. No Scrapy here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# KEYS: the dead worker's in-flight hash, its seeding list, the queue, the seeds list, its claimed hash. ARGV: the
# seen sets' and the budgets' key without the source id. Each in-flight request goes back on the queue with the
# pending count it holds; each seed back on the seeds. Each link it claimed and never queued is no longer seen (nor
# charged to its source's budget): the page that links to it is among those put back (in flight until all its
# links are queued), and its next reading claims the link again.
_PUT_BACK = """
local inflight = redis.call('HVALS', KEYS[1])
for _, request in ipairs(inflight) do redis.call('ZADD', KEYS[3], 0, request) end
redis.call('DEL', KEYS[1])
local seeds = 0
while redis.call('LMOVE', KEYS[2], KEYS[4], 'RIGHT', 'LEFT') do seeds = seeds + 1 end
local claimed = redis.call('HGETALL', KEYS[5])
for i = 1, #claimed, 2 do
  local source = string.match(claimed[i], '^(%d+) ')
  if redis.call('SREM', ARGV[1] .. source, claimed[i + 1]) == 1 then
    redis.call('DECR', ARGV[2] .. source)
  end
end
redis.call('DEL', KEYS[5])
return {#inflight, seeds, #claimed / 2}
"""

# KEYS: the worker's settled set, the run's settled set, the pages hash, the queue, the pending count.
# ARGV: the page ("SOURCE_ID URL"). A page the dead worker read but never wrote is queued again, counted again.
_REQUEUE_PAGE = """
redis.call('SREM', KEYS[1], ARGV[1])
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return 0 end
local request = redis.call('HGET', KEYS[3], ARGV[1])
if not request then return 0 end
redis.call('ZADD', KEYS[4], 0, request)
redis.call('INCR', KEYS[5])
return 1
"""


def _page(field_: str) -> tuple[int, str]:
    source_id, url = field_.split(" ", 1)
    return int(source_id), url


@dataclass
class Ledger:
    """What the coordinator knows of a run's workers; `database_url` None: no reconciliation against fetch rows."""

    client: Any
    keys: Any
    database_url: str | None
    start_urls: dict[int, str]
    lost: dict[str, str] = field(default_factory=dict)  # worker -> how it was lost

    def __post_init__(self) -> None:
        self._put_back = self.client.register_script(_PUT_BACK)
        self._requeue_page = self.client.register_script(_REQUEUE_PAGE)

    def dead(self, workers: set[str], before_drain: bool) -> dict[str, str]:
        """Workers not yet put back that are dead: no alive key, or (before the drain) their crawl has ended."""
        finished = self.client.smembers(self.keys.finished) if before_drain else set()
        found = {}
        for name in sorted(workers):
            alive = self.client.exists(self.keys.alive(name))
            if alive and name in self.lost and name not in finished:  # it came back (it was only slow)
                self.client.srem(self.keys.lost, name)
                del self.lost[name]
            if name in self.lost:
                continue
            if name in finished:
                found[name] = "its crawl ended before the run was crawled"
            elif not alive:
                found[name] = "it stopped saying it is alive"
        return found

    def live(self, workers: set[str]) -> list[str]:
        return [name for name in workers if name not in self.lost]

    def put_back(self, worker: str, why: str) -> int:
        """Queue again what `worker` held: its in-flight requests, its unseeded seeds, and the pages it read that
        are not in the database (written by no one: its buffer died with it). Returns how many."""
        inflight, seeds, claims = self._put_back(
            keys=[self.keys.inflight(worker), self.keys.seeding(worker), self.keys.requests, self.keys.seeds,
                  self.keys.claimed(worker)], args=[self.keys.seen(""), self.keys.budget("")])
        pages = 0
        settled = self.client.smembers(self.keys.settled_by(worker))
        if settled and self.database_url:
            fetched = self._fetched()
            for page in settled:
                if _page(page) not in fetched:
                    pages += self._requeue_page(keys=[self.keys.settled_by(worker), self.keys.settled,
                                                      self.keys.pages, self.keys.requests, self.keys.pending],
                                                args=[page])
        self.client.sadd(self.keys.lost, worker)
        self.lost[worker] = why
        log.warning("run %s: worker %s is dead (%s): %d requests in flight, %d seeds and %d pages read but not "
                    "written put back on the queue, %d links claimed but not queued taken back", self.keys.run_id,
                    worker, why, inflight, seeds, pages, claims)
        return inflight + seeds + pages

    def unfetched(self) -> dict[int, list[str]]:
        """Per source, the URLs the run needed and has no fetch row for: pages queued and never settled (or read
        by a worker that died before writing them), and start URLs of sources no worker started."""
        fetched = self._fetched()
        settled = self.client.smembers(self.keys.settled)
        missing: dict[int, list[str]] = {}
        for page in sorted(set(self.client.hkeys(self.keys.pages)) - settled):
            source_id, url = _page(page)
            if (source_id, url) not in fetched:
                missing.setdefault(source_id, []).append(url)
        fetched_sources = {source_id for source_id, _ in fetched}
        for source_id, url in self.start_urls.items():
            if source_id not in fetched_sources and url not in missing.get(source_id, []):
                missing.setdefault(source_id, []).append(url)
        return missing

    def record_unfetched(self, missing: dict[int, list[str]], reason: str) -> int:
        """Fetch rows with `reason` as their error for the URLs no worker fetched, and each such source's crawl
        marked incomplete: the diff then reports none of its products or pages removed."""
        from storage.db import create_db_engine
        from storage.runs import record_crawl_report
        from storage.writer import RunWriter

        engine = create_db_engine(self.database_url)
        try:
            writer = RunWriter(engine, self.keys.run_id)
            for source_id, urls in missing.items():
                for url in urls:
                    writer.record_fetch(source_id, url, None, reason, None, None, None)
            writer.close()
            record_crawl_report(engine, self.keys.run_id, {}, {
                source_id: {"cut_by_max_pages": True, "warnings": [f"{len(urls)} URLs {reason}"]}
                for source_id, urls in missing.items()})
        finally:
            engine.dispose()
        return sum(len(urls) for urls in missing.values())

    def _fetched(self) -> set[tuple[int, str]]:
        from storage.db import create_db_engine
        from storage.runs import fetched_urls

        engine = create_db_engine(self.database_url)
        try:
            return fetched_urls(engine, self.keys.run_id)
        finally:
            engine.dispose()
