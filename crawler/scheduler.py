"""The scheduler of a distributed run's worker: scrapy-redis' shared queue, with every request it hands out written
to this worker's in-flight hash in the same Redis step as it leaves the queue (crawler/frontier.py settles it).

So a worker killed at any moment loses no request: the coordinator puts its in-flight ones back on the queue
(crawler/reconcile.py). Page requests are also kept by "SOURCE_ID URL" for the run, so that a page a dead worker
had read but not yet written to the database can be queued again; a new page request leaves the worker's claimed
hash (crawler/frontier.py) in the step that queues it.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem
from scrapy_redis.scheduler import Scheduler

from crawler.redis_run import RunKeys
from crawler.frontier import TAKEN, Settled, page_field

log = logging.getLogger(__name__)

# KEYS: queue (sorted set), this worker's in-flight hash, the run's counter of ids. Returns {id, request} or nil.
_TAKE = """
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then return nil end
redis.call('ZREM', KEYS[1], first[1])
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, first[1])
return {id, first[1]}
"""

# KEYS: queue, this worker's in-flight hash, the run's pages hash, this worker's claimed hash. ARGV: taken id (""
# when never taken), score, request, page field ("" when not a page). 1 queued. A retry or redirect of a taken
# request replaces it in the queue only while it is still in flight here: 0 when the coordinator has put it back
# already (this worker taken for dead). A new page request leaves the claimed hash as it is queued: -1 when its
# claim is gone (taken back by the coordinator, or lost with a Redis restart): the page that links to it is read
# again (put back, or its source seeded anew) and claims it anew.
_PUT = """
if ARGV[1] ~= '' then
  if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return 0 end
elseif ARGV[4] ~= '' and redis.call('HDEL', KEYS[4], ARGV[4]) == 0 then
  return -1
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
if ARGV[4] ~= '' then redis.call('HSETNX', KEYS[3], ARGV[4], ARGV[3]) end
return 1
"""


class SharedScheduler(Scheduler):
    """scrapy_redis.scheduler.Scheduler whose queue moves are recorded per worker (keys from DOSSIER_RUN_KEYS)."""

    @classmethod
    def from_settings(cls, settings: Any) -> SharedScheduler:
        scheduler = super().from_settings(settings)
        scheduler.keys = RunKeys.announced(settings.get("DOSSIER_RUN_KEYS"))
        scheduler.worker = settings.get("DOSSIER_WORKER")
        scheduler._take = scheduler.server.register_script(_TAKE)
        scheduler._put = scheduler.server.register_script(_PUT)
        return scheduler

    def enqueue_request(self, request: Any) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        taken = request.meta.pop(TAKEN, None)  # a retry or a redirect of a request this worker took
        data = self.queue._encode_request(request)
        keys = [self.queue.key, self.keys.inflight(self.worker), self.keys.pages, self.keys.claimed(self.worker)]
        put = self._put(keys=keys, args=["" if taken is None else str(taken), -request.priority, data,
                                         page_field(request)])
        if put == 0:
            log.info("%s was put back on the queue by the coordinator meanwhile: not queued twice", request.url)
            return True  # not dropped: the copy on the queue carries its count
        if put < 0:
            log.info("%s: its claim was taken back (this worker taken for dead, or Redis restarted): not queued; the "
                     "page that links to it is read again", request.url)
            return False  # dropped: counted down
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True

    def next_request(self) -> Any:
        self.spider.frontier.alive()  # the engine asks often: a busy worker is not taken for dead
        taken = self._take(keys=[self.queue.key, self.keys.inflight(self.worker), self.keys.taken])
        if not taken:
            return None
        taken_id, data = taken
        request = self.queue._decode_request(data)
        request.meta[TAKEN] = int(taken_id)
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis", spider=self.spider)
        return request


class SettlePipeline:
    """First of a shared worker's item pipelines: settles the request of a Settled marker, and drops the marker.

    Scrapy takes a callback's outputs in order from one queue, and schedules a request as soon as it takes it: when
    the marker gets here, every request the callback yielded is on the shared queue. (Settled when the callback's
    generator ends, its requests could still wait in that queue, and die with a killed worker.)"""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> SettlePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Settled):
            self.crawler.spider.frontier.settled(item.request)
            raise DropItem("settled", log_level="DEBUG")
        return item
