"""The storage pipeline: every observation of the crawl goes to the run's one writer (storage.writer).

At the end it also stores the crawl's counters and per-source report in crawl_run.stats.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timezone
from functools import partial

from scrapy.utils.defer import deferred_from_coro

from crawler.accounting import first_line
from crawler.observations import Observation
from dossier.errors import StorageError
from storage.db import create_db_engine
from storage.runs import record_crawl_report
from storage.writer import RunWriter

log = logging.getLogger(__name__)

STORAGE_FAILED = "dossier/storage_failed"  # the close reason and the stat holding why


class StoragePipeline:
    def __init__(self, database_url: str, run_id: int, crawler=None):
        self.database_url = database_url
        self.run_id = run_id
        self.crawler = crawler
        self.writer: RunWriter | None = None
        self.counts: Counter[str] = Counter()
        self.failure: str | None = None  # the first write the database refused: the crawl stops and fails

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("DOSSIER_DATABASE_URL"), crawler.settings.getint("DOSSIER_RUN_ID"), crawler)

    def open_spider(self) -> None:
        self.writer = RunWriter(create_db_engine(self.database_url), self.run_id)

    def close_spider(self) -> None:
        if self.writer is None:
            return
        spider = getattr(self.crawler, "spider", None)
        if self.failure is None and spider is not None:
            # render: auto, what tonight's pages showed of each URL pattern, for the nights after
            for source_id, memory in getattr(spider, "render_memory", {}).items():
                self._write(partial(self.writer.add_render_patterns, source_id, memory.changed()))
        if self.failure is None:
            self._write(self.writer.close)
        if self.failure is not None:
            self.writer.engine.dispose()
            return  # nothing more is written: the run fails on the crawl's exit code (crawler/process.py)
        if self.crawler is not None:
            # Every download has ended by now (pages of the browser closed included); only the clock still runs.
            stats = self.crawler.stats.get_stats()
            counters = {key: value for key, value in stats.items()
                        if isinstance(value, (int, float)) and not isinstance(value, bool)}
            if isinstance(stats.get("start_time"), datetime):  # Scrapy sets elapsed_time_seconds only after us
                elapsed = datetime.now(tz=timezone.utc) - stats["start_time"]
                counters["elapsed_time_seconds"] = round(elapsed.total_seconds(), 3)
            reports = {source_id: report.as_json() for source_id, report in self.crawler.spider.reports.items()}
            record_crawl_report(self.writer.engine, self.run_id, counters, reports,
                                worker=self.crawler.settings.get("DOSSIER_WORKER"))
        self.writer.engine.dispose()
        log.info("stored: %s", dict(self.counts))

    def process_item(self, item: Observation) -> Observation:
        if self.failure is None:
            self.counts[type(item).__name__] += 1
            self._write(partial(item.store, self.writer))  # each record type stores itself (crawler/observations.py)
        return item

    def _write(self, write) -> None:
        """A write that fails stops the crawl: a night stored in part must fail, not pass for a night whose pages
        were not there. The database refusing it (locked, full, gone) is the writer's StorageError, one line for
        the user; anything else is a bug of ours, told as one, its traceback in the crawl's log."""
        try:
            write()
        except StorageError as exc:
            self._stop(f"storing the crawl failed: {first_line(str(exc))}")
        except Exception as exc:  # not swallowed: logged with its traceback, and the crawl fails
            log.exception("storing an observation failed on a bug")
            self._stop(f"storing the crawl failed on a bug ({type(exc).__name__}: {first_line(str(exc))}); its "
                       "traceback is in the crawl's log: please report it")

    def _stop(self, failure: str) -> None:
        self.failure = failure[:500]
        log.error("%s", self.failure)
        if self.crawler is not None:
            self.crawler.stats.set_value(STORAGE_FAILED, self.failure)
            if self.crawler.engine is not None and self.crawler.engine.running:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason=STORAGE_FAILED))
