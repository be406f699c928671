"""crawler/contexts.py without a browser: scrapy-playwright's download is replaced by a stand-in that makes a
context per name on first use and, like Playwright, forgets a closed context only when its close event fires, a
moment after `close()` was asked. Many requests end concurrently, as eight rendering download slots do."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.statscollectors import MemoryStatsCollector
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.contexts import GENERATION, RecyclingPlaywrightHandler


class Context:
    def __init__(self, name: str, handler: StandInHandler) -> None:
        self.name, self.handler = name, handler

    async def close(self) -> None:
        self.handler.closes[self.name] += 1
        await asyncio.sleep(0.003)  # the browser works on it; other requests end meanwhile
        self.handler.context_wrappers.pop(self.name, None)  # Playwright's close event


class Wrapper:
    def __init__(self, context: Context) -> None:
        self.context = context


class StandInHandler(RecyclingPlaywrightHandler):
    """The recycling handler over a stand-in for scrapy-playwright's download (no browser)."""

    def __init__(self, pages_per_context: int) -> None:  # not scrapy-playwright's: it would start Playwright
        self.pages_per_context = pages_per_context
        self.served, self.in_flight, self.retired = Counter(), Counter(), set()
        self.context_wrappers: dict[str, Wrapper] = {}
        self.stats = MemoryStatsCollector.__new__(MemoryStatsCollector)
        self.stats._stats = {}
        self.closes: Counter[str] = Counter()
        self.used_after_close: list[str] = []


async def _stand_in_download(handler: StandInHandler, request: Request, spider=None) -> HtmlResponse:
    name = request.meta["playwright_context"]
    if handler.closes[name]:
        handler.used_after_close.append(name)
    handler.context_wrappers.setdefault(name, Wrapper(Context(name, handler)))
    await asyncio.sleep(0.001 * (len(request.url) % 5))  # pages take different times
    return HtmlResponse(request.url, body=b"<html></html>")


async def _render(handler: StandInHandler, count: int, concurrency: int, base: str = "many") -> None:
    queue = [Request(f"http://127.0.0.1/p/{n}", meta={"playwright": True, "playwright_context": base})
             for n in range(count)]

    async def slot() -> None:
        while queue:
            await handler._download_request(queue.pop(0))

    await asyncio.gather(*(slot() for _ in range(concurrency)))


@pytest.fixture
def handler(monkeypatch):
    monkeypatch.setattr(ScrapyPlaywrightDownloadHandler, "_download_request", _stand_in_download)
    return StandInHandler(pages_per_context=20)


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_each_retired_context_is_closed_and_counted_once(handler, concurrency):
    asyncio.run(_render(handler, 105, concurrency))  # generations 0-5: the first five retired
    retired = [f"many{GENERATION}{n}" for n in range(5)]
    assert handler.closes == Counter({name: 1 for name in retired})
    assert handler.stats.get_value("dossier/browser_contexts_recycled") == 5
    assert set(handler.context_wrappers) == {f"many{GENERATION}5"}  # only the current one is open
    assert handler.used_after_close == []


def test_each_name_has_contexts_of_its_own(handler):
    async def both() -> None:
        await asyncio.gather(_render(handler, 45, 4, "kranrad"), _render(handler, 10, 4, "toolshop"))

    asyncio.run(both())
    assert handler.closes == Counter({f"kranrad{GENERATION}0": 1, f"kranrad{GENERATION}1": 1})
    assert set(handler.context_wrappers) == {f"kranrad{GENERATION}2", f"toolshop{GENERATION}0"}


def test_a_context_is_closed_only_after_its_last_page_answered(handler, monkeypatch):
    """A slow page of an old generation keeps its context open; the close follows its answer."""
    slow = "http://127.0.0.1/p/slow"
    open_when_slow_ended: list[bool] = []

    async def download(self, request, spider=None):
        if request.url == slow:
            handler.context_wrappers.setdefault(request.meta["playwright_context"], Wrapper(Context(
                request.meta["playwright_context"], handler)))
            await asyncio.sleep(0.2)
            open_when_slow_ended.append(handler.closes[request.meta["playwright_context"]] == 0)
            return HtmlResponse(request.url, body=b"")
        return await _stand_in_download(self, request, spider)

    monkeypatch.setattr(ScrapyPlaywrightDownloadHandler, "_download_request", download)

    async def crawl() -> None:
        first = asyncio.create_task(handler._download_request(Request(slow, meta={"playwright": True,
                                                                                 "playwright_context": "many"})))
        await asyncio.sleep(0)
        await _render(handler, 45, 2)
        await first

    asyncio.run(crawl())
    assert open_when_slow_ended == [True]
    assert handler.closes[f"many{GENERATION}0"] == 1
