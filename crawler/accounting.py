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
    CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError, DownloadFailedError,
    DownloadTimeoutError, IgnoreRequest, ResponseDataLossError,
)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.retries import RETRY_AFTER_META
from dossier.outcomes import FetchOutcome, http_outcome

MAX_ERROR = 500  # characters of an error kept on its fetch row
BLOCKED_PREFIX = "blocked: "  # a 200 that was a captcha or bot-wall page (crawler/spider.py, extractors/challenge.py)


@dataclass(frozen=True, slots=True)
class FetchInfo:
    status: int | None
    error: str | None
    elapsed_ms: int | None
    size: int | None
    content_hash: str | None
    outcome: FetchOutcome  # how it ended, for code to rely on (the error is for people)


class Refused(IgnoreRequest):
    """A request the crawl refused itself, with how the fetch ended (crawler/robots.py: robots.txt forbids it, or
    could not be read)."""

    def __init__(self, message: str, outcome: FetchOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


def fetched(response: Response, error: str | None = None, outcome: FetchOutcome | None = None) -> FetchInfo:
    """The fetch row of a response: its status, latency, size and the SHA-256 of its body; `error` and its
    `outcome` when the answer is no page (blocked, a soft 404, too large), else the outcome its status says."""
    latency = response.meta.get("download_latency")
    return FetchInfo(response.status, error, None if latency is None else int(latency * 1000), len(response.body),
                     hashlib.sha256(response.body).hexdigest(),
                     outcome or (http_outcome(response.status) if error is None else FetchOutcome.FAILED))


def describe_failure(failure: Any, timeout: float, wait_for: str | None = None,
                     max_bytes: int | None = None) -> FetchInfo:
    """The fetch row of a failed request, with one line saying why it failed."""
    if failure.check(HttpError):
        response = failure.value.response
        waited = response.meta.get(RETRY_AFTER_META) if response.request is not None else None
        if waited is not None:
            return fetched(response, f"HTTP {response.status} (Retry-After {waited:g} s: longer than a crawl waits)",
                           FetchOutcome.HTTP_ERROR)
        return fetched(response, f"HTTP {response.status}", FetchOutcome.HTTP_ERROR)
    value = failure.value
    outcome = FetchOutcome.FAILED
    if failure.check(Refused):
        error, outcome = str(value), value.outcome
    elif failure.check(IgnoreRequest):
        error = str(value) or "request ignored"
        if error == "max redirections reached":  # Scrapy's RedirectMiddleware
            error, outcome = redirect_trouble(failure.request), FetchOutcome.REDIRECT_TROUBLE
        elif "during decompression" in error:  # HttpCompressionMiddleware: a body that unpacks past the limit
            error = f"response larger than max_bytes ({_max_size(error, 'DOWNLOAD_MAXSIZE (')} bytes) once " \
                    "unpacked: not read"
            outcome = FetchOutcome.TOO_LARGE
    elif failure.check(DownloadTimeoutError):
        error, outcome = f"timed out after {timeout:g} s", FetchOutcome.TIMEOUT
    elif failure.check(CannotResolveHostError):
        error, outcome = f"DNS lookup failed: {value}", FetchOutcome.DNS_ERROR
    elif failure.check(DownloadConnectionRefusedError):
        error, outcome = "connection refused", FetchOutcome.CONNECTION_REFUSED
    elif failure.check(ResponseDataLossError):
        error = "body cut short: the connection closed before the announced length"
        outcome = FetchOutcome.CONNECTION_ERROR
    elif failure.check(DownloadFailedError):
        error, outcome = _lost_connection(str(value)), FetchOutcome.CONNECTION_ERROR
    elif failure.check(DownloadCancelledError) and "max size" in str(value):  # announced larger (Content-Length)
        error = f"response larger than max_bytes ({_max_size(str(value))} bytes): not read"
        outcome = FetchOutcome.TOO_LARGE
    elif failure.check(DownloadCancelledError) and not str(value):
        # Scrapy cancels a body without a (true) Content-Length once it grows past DOWNLOAD_MAXSIZE, with no
        # message; nothing else cancels a download of ours
        error, outcome = f"response larger than max_bytes ({max_bytes or '?'} bytes): not read", FetchOutcome.TOO_LARGE
    elif failure.check(PlaywrightTimeoutError):
        outcome = FetchOutcome.TIMEOUT
        if wait_for and "wait_for_selector" in str(value):
            error = f"wait_for {wait_for!r} did not appear within {timeout:g} s"
        elif "wait_for_load_state" in str(value):  # networkidle, what a page without wait_for is read at
            error = f"the page never went idle within {timeout:g} s (its requests kept going)"
        elif "goto" in str(value):
            error = f"the page did not finish loading within {timeout:g} s"
        else:
            error = f"browser timed out: {first_line(str(value))}"
    elif failure.check(PlaywrightError):
        error, outcome = f"browser: {first_line(str(value))}", FetchOutcome.BROWSER_ERROR
    else:
        error = f"{failure.type.__name__}: {first_line(failure.getErrorMessage())}"
    return FetchInfo(None, error[:MAX_ERROR], None, None, None, outcome)


def redirect_trouble(request: Request) -> str:
    """Why a redirect chain was given up: a loop, or simply too long."""
    chain = [*request.meta.get("redirect_urls", []), request.url]
    for index, url in enumerate(chain):
        if url in chain[:index]:
            return ("redirect loop: " + " -> ".join(chain[:index + 1]))[:MAX_ERROR]
    return f"too many redirects ({len(chain) - 1})"


def redirect_hops(request: Request, error: str | None = None,
                  outcome: FetchOutcome = FetchOutcome.REDIRECT) -> Iterator[tuple[str, FetchInfo]]:
    """A fetch row for every URL a request was redirected from (3xx; a meta refresh counts as 200).

    When the chain ended in a failure (`error`, `outcome`), every hop carries it: none of those URLs gave a page.
    """
    urls = request.meta.get("redirect_urls") or []
    reasons = request.meta.get("redirect_reasons") or []
    for index, url in enumerate(urls):
        reason = reasons[index] if index < len(reasons) else None
        status = reason if isinstance(reason, int) else 200
        if error is None or outcome is FetchOutcome.REDIRECT_TROUBLE:
            hop_error = error  # a loop is the whole chain's failure, said once
        else:
            hop_error = f"redirected to {request.url}: {error}"[:MAX_ERROR]
        yield url, FetchInfo(status, hop_error, None, None, None, FetchOutcome.REDIRECT if error is None else outcome)


def first_line(text: str) -> str:
    """The first line of a message, stripped: what a one-line error shows of it."""
    return (text.strip().splitlines() or [""])[0]


def _max_size(message: str, before: str = "max size (") -> str:
    """The limit from Scrapy's "… larger than download max size (N) in request …" (or "… DOWNLOAD_MAXSIZE (N B)")."""
    head, _, tail = message.partition(before)
    return tail.partition(")")[0].removesuffix(" B") if tail else "?"


def _lost_connection(message: str) -> str:
    """Twisted's failures inside a DownloadFailedError ("[<twisted.python.failure.Failure …ConnectionLost: …>]")
    as one line: a reset, a connection closed before the answer, or the first line of anything else."""
    if "ConnectionLost" in message or "Connection reset" in message or "ConnectionAborted" in message:
        return "connection reset"
    if "ConnectionDone" in message or "ResponseNeverReceived" in message:
        return "connection closed before the answer"
    return f"download failed: {first_line(message)}"
