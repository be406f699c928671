"""Retries that back off: Scrapy's RetryMiddleware asks again at once; this one waits first.

A retried answer (429, 503, …) or failure (timeout, reset, cut-short body) is asked for again only after
`RETRY_BACKOFF_BASE * 2 ** (n - 1)` seconds (n: the retry's number, at most `RETRY_BACKOFF_MAX`), and never
sooner than the answer's `Retry-After`. A `Retry-After` longer than `RETRY_AFTER_MAX` is not waited for: the URL
fails at once, its fetch row saying so. The wait holds the request, not the crawl: other pages go on meanwhile.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet.task import deferLater

log = logging.getLogger(__name__)

RETRY_AFTER_META = "dossier_retry_after"  # a Retry-After not waited for, in seconds (crawler/accounting.py says so)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (delta-seconds or an HTTP date), or None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry rules (RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS), with a wait before each retry."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.most = settings.getfloat("RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        if asked is not None and asked > self.retry_after_max:
            request.meta[RETRY_AFTER_META] = asked
            self.crawler.stats.inc_value("dossier/retry/retry_after_too_long")
            return response  # the site is down for longer than a crawl waits: fail now, politely
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(retry, asked)
        return retry

    async def process_exception(self, request: Request, exception: Exception,
                                spider: Any = None) -> Request | Response | None:
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            await self._wait(retry, None)
        return retry

    def backoff(self, retry_times: int) -> float:
        return min(self.most, self.base * 2 ** max(0, retry_times - 1))

    async def _wait(self, retry: Request, asked: float | None) -> None:
        seconds = max(self.backoff(retry.meta.get("retry_times", 1)), asked or 0.0)
        if seconds <= 0:
            return
        stats = self.crawler.stats
        stats.inc_value("dossier/retry/backoff")
        stats.inc_value("dossier/retry/backoff_seconds", seconds)
        log.debug("retrying %s in %.1f s", retry.url, seconds)
        from twisted.internet import reactor

        await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
