"""What the spider's callbacks share: settling their request once they are done, yielding a request or none, and
the URL a response was asked for."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import scrapy

from crawler.frontier import Settled

if TYPE_CHECKING:
    from crawler.spider import CompetitorSpider


def settles(callback: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """Once a callback has yielded everything (so its requests are scheduled), its own request is settled: the
    shared frontier's count of unfinished requests goes down (crawler/frontier.py)."""
    @functools.wraps(callback)
    def settling(self: CompetitorSpider, outcome: Any) -> Iterator[Any]:
        try:
            yield from callback(self, outcome)
        except BaseException:
            self.frontier.settled(outcome.request)
            raise
        if self.shared:  # Scrapy hands outputs on in order, after the generator ends: settled after its requests
            yield Settled(outcome.request)  # are queued (crawler.scheduler.SettlePipeline)
        else:
            self.frontier.settled(outcome.request)
    return settling


def some(request: scrapy.Request | None) -> Iterator[scrapy.Request]:
    """The request, if any: the spider's request makers return None for a URL they will not ask for."""
    if request is not None:
        yield request


def asked_url(response: Any) -> str:
    """The URL the spider asked for: the first of the redirect chain that ended at `response`, if any."""
    return (response.meta.get("redirect_urls") or [response.request.url])[0]
