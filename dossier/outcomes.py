"""How a fetch ended: the `fetch.outcome` column, set by whoever made the fetch row, read by every judgement of
a source (storage/runs.py) instead of the row's message, which is for people."""
from __future__ import annotations

from enum import StrEnum


class FetchOutcome(StrEnum):
    OK = "ok"  # a page read (2xx)
    REDIRECT = "redirect"  # a hop of a redirect chain that ended in a page
    HTTP_ERROR = "http_error"  # answered 4xx or 5xx
    TIMEOUT = "timeout"  # no answer in time (the download, or the browser's load or wait)
    DNS_ERROR = "dns_error"  # the host name did not resolve
    CONNECTION_REFUSED = "connection_refused"  # nothing listens: the host is down
    CONNECTION_ERROR = "connection_error"  # reset, closed or cut short
    TOO_LARGE = "too_large"  # larger than max_bytes: not read
    REDIRECT_TROUBLE = "redirect_trouble"  # a redirect loop or too many redirects
    ROBOTS_FORBIDDEN = "robots_forbidden"  # robots.txt disallows it
    OFF_SITE = "off_site"  # neither the source's site nor in its allow_domains: not requested
    PRIVATE_ADDRESS = "private_address"  # a private or loopback address without allow_private: not requested
    ROBOTS_UNREACHABLE = "robots_unreachable"  # robots.txt could not be read: the site is not asked (RFC 9309)
    BLOCKED = "blocked"  # a captcha or bot wall answered instead of the page
    SOFT_404 = "soft_404"  # a 200 that is the site's not-found page
    NO_BROWSER = "no_browser"  # render: js without Chromium
    BROWSER_ERROR = "browser_error"  # Chromium failed on the page
    EXTRACTION_FAILED = "extraction_failed"  # reading the page failed on a bug of ours
    MAILBOX_ERROR = "mailbox_error"  # a newsletter source's mailbox could not be read
    NOT_CRAWLED = "not_crawled"  # a distributed run gave the source up: its worker died and none was left
    FAILED = "failed"  # any other failure (its message says what)

    @property
    def is_page(self) -> bool:
        """A page was read."""
        return self is FetchOutcome.OK

    @property
    def is_failure(self) -> bool:
        """Nothing was read at this URL (a redirect hop is neither a page nor a failure)."""
        return self not in (FetchOutcome.OK, FetchOutcome.REDIRECT)


def http_outcome(status: int | None) -> FetchOutcome:
    """The outcome of an answer read by its status alone."""
    if status is None:
        return FetchOutcome.FAILED
    if status >= 400:
        return FetchOutcome.HTTP_ERROR
    if 300 <= status < 400:
        return FetchOutcome.REDIRECT
    return FetchOutcome.OK
