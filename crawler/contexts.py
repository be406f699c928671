"""Browser contexts of rendered pages (render: js and auto), recycled: a competitor's pages go to one context for
DOSSIER_BROWSER_PAGES_PER_CONTEXT pages (crawler/settings.py), then to a fresh one, and the old one is closed once
its last page has been answered.

scrapy-playwright closes each page after its response, but a context lives until the crawl ends, and with it its
cache, cookies and the memory Chromium keeps per context: over thousands of pages that grows. The spider names a
competitor's context (`playwright_context`); this download handler, which sees every rendered request of its
process (of a distributed run's worker too), turns the name into a generation and retires the old generations
(tests/test_faults_browser.py).

Playwright itself is started on the first rendered page, not when the crawl starts: with render: auto the default,
most crawls install this handler and many render nothing, so they never start Playwright's driver.
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

log = logging.getLogger(__name__)

GENERATION = "#"  # kranrad#3: the fourth context of kranrad's rendered pages


class RecyclingPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, with a fresh browser context every DOSSIER_BROWSER_PAGES_PER_CONTEXT pages per
    name."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.pages_per_context = crawler.settings.getint("DOSSIER_BROWSER_PAGES_PER_CONTEXT")
        self.served: Counter[str] = Counter()  # rendered requests per context name as the spider gave it
        self.in_flight: Counter[str] = Counter()  # per generation
        self.retired: set[str] = set()
        self._start_lock = asyncio.Lock()

    async def _maybe_launch_in_thread(self) -> None:
        """At engine start: nothing (scrapy-playwright starts Playwright here); the first rendered page does."""

    def _engine_started(self) -> None:
        """As _maybe_launch_in_thread, for the Scrapy versions whose handlers are not async."""

    async def _create_browser_context(self, name: str, context_kwargs: dict | None, spider=None):
        """A page's first need of Playwright (a context, and with it the browser) starts it."""
        async with self._start_lock:
            if getattr(self, "browser_provider", None) is None:
                await self._launch()
        return await super()._create_browser_context(name, context_kwargs, spider)

    async def _download_request(self, request: Request, spider=None) -> Response:
        if not request.meta.get("playwright"):
            return await super()._download_request(request, spider)
        name = self._context_name(request)
        request.meta["playwright_context"] = name
        self.in_flight[name] += 1
        try:
            return await super()._download_request(request, spider)
        finally:
            self.in_flight[name] -= 1
            await self._close_retired()

    def _context_name(self, request: Request) -> str:
        """The generation of the request's context name that serves it; the first request of a generation retires
        the one before (only it: a context being closed must not be retired, and closed, again)."""
        base = str(request.meta.get("playwright_context") or "default").split(GENERATION)[0]  # a retry's too
        served = self.served[base]
        self.served[base] += 1
        generation = served // self.pages_per_context
        if generation and served % self.pages_per_context == 0:
            self.retired.add(f"{base}{GENERATION}{generation - 1}")
        return f"{base}{GENERATION}{generation}"

    async def _close_retired(self) -> None:
        for name in sorted(self.retired):
            # another request's ending may have closed it while this one awaited a close: once only
            if name not in self.retired or self.in_flight[name] > 0:
                continue
            self.retired.discard(name)
            wrapper = self.context_wrappers.get(name)
            if wrapper is None:  # no page of it was ever opened (its requests all failed before)
                continue
            self.stats.inc_value("dossier/browser_contexts_recycled")
            log.debug("browser context %s closed after its %d pages", name, self.pages_per_context)
            try:
                await wrapper.context.close()
            except Exception as exc:  # the browser went away first: the context is gone either way
                log.debug("browser context %s not closed: %r", name, exc)
