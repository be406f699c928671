"""What the crawl records about each URL it asked for: fetch rows for pages, redirect hops and failures.

Failures become one short line a user can act on ("timed out after 30 s", "Forbidden by robots.txt").
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.exceptions import (
    CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError, DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError

MAX_ERROR = 500  # characters of an error kept on its fetch row
REDIRECT_TROUBLE = ("redirect loop", "too many redirects")


@dataclass(frozen=True, slots=True)
class FetchInfo:
    status: int | None
    error: str | None
    elapsed_ms: int | None
    size: int | None
    content_hash: str | None


def fetched(response: Response, error: str | None = None) -> FetchInfo:
    """The fetch row of a response: its status, latency, size and the SHA-256 of its body."""
    latency = response.meta.get("download_latency")
    return FetchInfo(response.status, error, None if latency is None else int(latency * 1000), len(response.body),
                     hashlib.sha256(response.body).hexdigest())


def describe_failure(failure: Any, timeout: float, wait_for: str | None = None) -> FetchInfo:
    """The fetch row of a failed request, with one line saying why it failed."""
    if failure.check(HttpError):
        response = failure.value.response
        return fetched(response, f"HTTP {response.status}")
    value = failure.value
    if failure.check(IgnoreRequest):
        error = str(value) or "request ignored"  # RobotsTxtMiddleware: "Forbidden by robots.txt"
        if error == "max redirections reached":
            error = redirect_trouble(failure.request)
    elif failure.check(DownloadTimeoutError):
        error = f"timed out after {timeout:g} s"
    elif failure.check(CannotResolveHostError):
        error = f"DNS lookup failed: {value}"
    elif failure.check(DownloadConnectionRefusedError):
        error = "connection refused"
    elif failure.check(DownloadCancelledError) and "max size" in str(value):
        error = f"response larger than max_bytes ({_max_size(str(value))} bytes): not read"
    elif failure.check(PlaywrightTimeoutError):
        if wait_for and "wait_for_selector" in str(value):
            error = f"wait_for {wait_for!r} did not appear within {timeout:g} s"
        else:
            error = f"browser timed out: {_first_line(str(value))}"
    elif failure.check(PlaywrightError):
        error = f"browser: {_first_line(str(value))}"
    else:
        error = f"{failure.type.__name__}: {_first_line(failure.getErrorMessage())}"
    return FetchInfo(None, error[:MAX_ERROR], None, None, None)


def redirect_trouble(request: Request) -> str:
    """Why a redirect chain was given up: a loop, or simply too long."""
    chain = [*request.meta.get("redirect_urls", []), request.url]
    for index, url in enumerate(chain):
        if url in chain[:index]:
            return ("redirect loop: " + " -> ".join(chain[:index + 1]))[:MAX_ERROR]
    return f"too many redirects ({len(chain) - 1})"


def redirect_hops(request: Request, error: str | None = None) -> Iterator[tuple[str, FetchInfo]]:
    """A fetch row for every URL a request was redirected from (3xx; a meta refresh counts as 200).

    When the chain ended in a failure, every hop carries it: none of those URLs gave a page.
    """
    urls = request.meta.get("redirect_urls") or []
    reasons = request.meta.get("redirect_reasons") or []
    for index, url in enumerate(urls):
        reason = reasons[index] if index < len(reasons) else None
        status = reason if isinstance(reason, int) else 200
        if error is None or error.startswith(REDIRECT_TROUBLE):
            hop_error = error  # a loop is the whole chain's failure, said once
        else:
            hop_error = f"redirected to {request.url}: {error}"[:MAX_ERROR]
        yield url, FetchInfo(status, hop_error, None, None, None)


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


def _max_size(message: str) -> str:
    """The limit from Scrapy's "… larger than download max size (N) in request …"."""
    head, _, tail = message.partition("max size (")
    return tail.partition(")")[0] if tail else "?"
