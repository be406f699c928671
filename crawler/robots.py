"""robots.txt as RFC 9309 §2.3.1 reads its answers, where Scrapy's RobotsTxtMiddleware does not.

Scrapy 2.19 parses whatever robots.txt answers, a 503's error page included (no rules in it: allow all), and takes a
robots.txt it could not download (a timeout, a reset) for no rules at all (allow all). The RFC says the opposite
for both: a server error or an unreachable robots.txt means *complete disallow* (§2.3.1.4), while an "unavailable"
one (4xx) means no rules (§2.3.1.3). So here, per host and port, for the crawl (one night):

- 2xx (after at most five redirects): the rules it states;
- 4xx, 429 excepted, and a redirect chain longer than five: no rules, everything allowed;
- 429, 5xx, a timeout, a reset connection, a refused connection or a DNS failure: nothing is requested from that
  host tonight. A 429 counts as unreachable (as Google reads it too): a site that asks us to slow down has said
  nothing about its rules, and crawling it anyway would be the impolite reading.

Every request such a host refuses fails with one line, `robots.txt unreachable (HTTP 503): the site is not crawled
tonight (RFC 9309)`; a source whose start URL fails so is `skipped` (storage/runs.py), not failed and not emptied.
A host that refuses connections or does not resolve is down, not reticent: its requests fail with that error
(`connection refused`, `DNS lookup failed: …`), as they would have if asked, and its sources fail.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.accounting import Refused, describe_failure
from dossier.outcomes import FetchOutcome

log = logging.getLogger(__name__)


# RFC 9309 §2.5: a crawler may stop reading robots.txt at a limit of its own, at least 500 KiB. What is read is also
# what the middleware keeps for the night (per host) to answer the spider's own request for it.
ROBOTS_MAX_BYTES = 500 * 1024


def within_parsing_limit(body: bytes, limit: int = ROBOTS_MAX_BYTES) -> bytes:
    """The part of a robots.txt that is read: at most `limit` bytes, cut after the last whole line, so that no rule
    is read cut short (`Disallow: /private` read as `Disallow: /`)."""
    if len(body) <= limit:
        return body
    return body[:body.rfind(b"\n", 0, limit) + 1]


class _DisallowAll:
    """The rules of a host whose robots.txt could not be read: nothing may be fetched, `reason` says why and
    `outcome` is how its pages' fetches end."""

    def __init__(self, reason: str, outcome: FetchOutcome = FetchOutcome.ROBOTS_UNREACHABLE):
        self.reason = reason
        self.outcome = outcome

    def allowed(self, url: str, user_agent: str) -> bool:
        return False


def unreachable_reason(cause: str) -> str:
    return f"robots.txt unreachable ({cause}): the site is not crawled tonight (RFC 9309)"


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with a server error or an unreachable robots.txt meaning "disallow all".

    The spider asks for robots.txt too (its Sitemap: lines and, for the site audit, its rules): that request is
    answered with the response this middleware read the host's rules from, so a site is asked for robots.txt once
    a night, not twice."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._answers: dict[str, Response] = {}  # host and port -> the robots.txt its rules were read from

    async def process_request(self, request: Request) -> Response | None:
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return None
        rp = await self.robot_parser(request)
        url = urlparse_cached(request)
        answer = self._answers.get(url.netloc) if url.path == "/robots.txt" and not url.query else None
        if answer is not None:  # the spider's request for the file itself, which its rules never forbid
            request.meta["dont_retry"] = True  # a 503 was retried when it was read: not again from memory
            return answer.replace(request=request)
        self.process_request_2(rp, request)
        return None

    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, _DisallowAll):
            self._stats.inc_value("robotstxt/unreachable_refused")
            raise Refused(rp.reason, rp.outcome)
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as refused:  # Scrapy's one refusal here: the rules forbid the URL
            raise Refused(str(refused), FetchOutcome.ROBOTS_FORBIDDEN) from None

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if len(response.body) > ROBOTS_MAX_BYTES:
            log.info("%s: robots.txt is %d bytes: only its first %d are read (RFC 9309 §2.5)", netloc,
                     len(response.body), ROBOTS_MAX_BYTES)
            response = response.replace(body=within_parsing_limit(response.body))
        self._answers[netloc] = response
        status = response.status
        if status == 429 or status >= 500:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{status}")
            self._settle(netloc, _DisallowAll(unreachable_reason(f"HTTP {status}")))
            return
        if 400 <= status < 500:  # "unavailable": no rules (§2.3.1.3), whatever its error page says
            response = response.replace(body=b"")
        await super()._parse_robots(response, netloc, request)

    async def robot_parser(self, request: Request) -> Any:
        """Scrapy's, except that a failed download of robots.txt is an answer (disallow all), logged as one line
        rather than as an error with a traceback."""
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                             meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
            try:
                response = await self.crawler.engine.download_async(robots)
                await self._parse_robots(response, netloc, request)
            except Exception as exc:  # every way robots.txt can fail to arrive (or to parse) decides the host's rules
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest) and str(exc) == "max redirections reached":
            super()._robots_error(exc, netloc)  # more than five redirects: unavailable, no rules (§2.3.1.2)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        info = describe_failure(Failure(exc), self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
        error = info.error or type(exc).__name__
        if info.outcome in (FetchOutcome.CONNECTION_REFUSED, FetchOutcome.DNS_ERROR):
            # the host is down or does not exist: its pages are not asked either, and fail as they would have
            self._settle(netloc, _DisallowAll(error, info.outcome))
        else:
            self._settle(netloc, _DisallowAll(unreachable_reason(error)))

    def _settle(self, netloc: str, rules: _DisallowAll) -> None:
        log.warning("%s: %s", netloc, rules.reason)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = rules  # type: ignore[assignment]  # a parser in all but name
        waiting.callback(rules)  # type: ignore[union-attr]  # the requests that waited for robots.txt
