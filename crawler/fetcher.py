"""Fetching a few pages on demand, as the nightly crawl would, for `dossier try`, `dossier check` and `dossier add`.

A job (an async function) gets a `FetchSession` and awaits pages one by one or several at once; each request goes
through the crawl's own downloader middlewares: the safety check (private addresses refused unless allowed, before
any connection), robots.txt as crawler/robots.py reads it, retries with back-off, redirects, the size limit, the
honest User-Agent and the politeness delay. Rendered pages go through the crawl's Chromium settings.

The Twisted reactor starts once per process: `run_fetch_job` is called once per process (a command), never twice.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.accounting import describe_failure
from crawler.browser import find_chromium
from crawler.render_callbacks import browser_waits
from crawler.safety import site_of
from crawler.sources import MissingSecret, SourcePlan, request_options
from dossier.config import Defaults
from dossier.outcomes import FetchOutcome, http_outcome
from dossier.errors import CrawlError
from extractors import Document
from extractors.encoding import decode_html

log = logging.getLogger(__name__)

T = TypeVar("T")
QUIET_LOGGERS = ("scrapy", "scrapy-playwright", "twisted", "crawler", "trafilatura", "extractors", "py.warnings")
Job = Callable[["FetchSession"], Awaitable[T]]


@dataclass(frozen=True, slots=True)
class Fetched:
    """One page as the crawl would have read it: `error` (one line) when it could not be read."""

    url: str  # as asked
    final_url: str  # after redirects
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    rendered: bool = False
    seconds: float = 0.0
    text: str | None = None  # the decoded body of a text response
    outcome: FetchOutcome = FetchOutcome.OK  # how it ended (dossier/outcomes.py)

    @property
    def ok(self) -> bool:
        return self.outcome.is_page

    def document(self) -> Document | None:
        """The page parsed for the extractors, or None when it is no text page or was not read."""
        if not self.ok or self.text is None:
            return None
        return Document(self.text, self.final_url, self.headers, self.body)


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How a session fetches: the config's crawl defaults, and what the user allowed."""

    defaults: Defaults = field(default_factory=Defaults)
    allow_private: bool = False
    obey_robots: bool = True
    render_hosts: tuple[str, ...] = ()  # URLs (or hosts) whose pages may be rendered in Chromium
    # configured sources whose pages may be rendered, their own rules (allow_private, allow_domains) for the
    # browser's requests; else plans made of render_hosts and the options above
    render_plans: tuple[SourcePlan, ...] = ()


class FetchSession:
    """Pages on demand inside a running crawl. `fetch` never raises for the page's fault: `Fetched.error` says it."""

    def __init__(self, spider: _FetchSpider, options: FetchOptions) -> None:
        self._spider = spider
        self.options = options
        self.fetched = 0

    async def fetch(self, url: str, render: str = "static", wait_for: str | None = None,
                    plan: SourcePlan | None = None) -> Fetched:
        """`render`: static (Scrapy) or js (Chromium: the page as the browser has it once its requests are done
        and, with `wait_for`, once that CSS selector is there). `plan`: a configured source whose rules (its
        allow_private, allow_domains and obey_robots) the request follows, else the session's options do."""
        spider = self._spider
        plan = spider.register(plan) if plan is not None else spider.plan_for(url)
        meta: dict[str, Any] = {"dossier_source_id": plan.source_id}
        if not plan.obey_robots:
            meta["dont_obey_robotstxt"] = True
        timeout = self.options.defaults.timeout
        if render == "js":
            if not spider.can_render(url):
                return Fetched(url, url, error="rendering is allowed only on the site being tried",
                               outcome=FetchOutcome.OFF_SITE)
            meta.update(playwright=True, playwright_context="fetch",
                        playwright_page_methods=browser_waits(wait_for, timeout))
        try:  # a configured source's headers (an API's token, from the environment) and POST body (TED's search)
            options = request_options(plan, url)
        except MissingSecret as exc:
            return Fetched(url, url, error=str(exc), outcome=FetchOutcome.FAILED)
        request = scrapy.Request(url, meta=meta, dont_filter=True, **options)
        started = time.monotonic()
        self.fetched += 1
        try:
            response = await spider.crawler.engine.download_async(request)
        except Exception as exc:  # the crawl's one-line account of a failed request (accounting.py)
            info = describe_failure(Failure(exc), timeout, wait_for, self.options.defaults.max_bytes)
            return Fetched(url, url, info.status, error=info.error or f"{type(exc).__name__}: {exc}",
                           rendered=render == "js", seconds=time.monotonic() - started, outcome=info.outcome)
        return _fetched(url, response, render == "js", time.monotonic() - started)

    async def fetch_all(self, urls: Iterable[str], render: str = "static") -> list[Fetched]:
        """Several pages at once (the crawl's per-host concurrency and delay still apply), in the order given."""
        return list(await asyncio.gather(*(self.fetch(url, render) for url in urls)))


def _fetched(url: str, response: Response, rendered: bool, seconds: float) -> Fetched:
    headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
    text = None
    if isinstance(response, TextResponse):
        text = decode_html(response.body, decoded=(response.encoding, response.text))
    outcome = http_outcome(response.status)
    error = None if outcome.is_page else f"HTTP {response.status}"
    return Fetched(url, response.url, response.status, headers, response.body, error, rendered, seconds, text, outcome)


class _FetchSpider(scrapy.Spider):
    """Runs the job in `start` and ends when it returns; the safety middleware finds a plan per site here."""

    name = "dossier-fetch"

    def __init__(self, job: Job, options: FetchOptions, outcome: dict[str, Any], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.job, self.options, self.outcome = job, options, outcome
        self.plans: dict[int, SourcePlan] = {}
        self._by_site: dict[tuple[str, int | None] | None, int] = {}
        self._render_sites = {site_of(url) for url in options.render_hosts} | \
            {site_of(plan.url) for plan in options.render_plans}

    def plan_for(self, url: str) -> SourcePlan:
        """A plan per site (scheme-less host and port), as if each site were a source of its own."""
        key = site_of(url)
        if key not in self._by_site:
            source_id = len(self.plans) + 1
            self.plans[source_id] = _plan(source_id, url, self.options, render=key in self._render_sites)
            self._by_site[key] = source_id
        return self.plans[self._by_site[key]]

    def register(self, plan: SourcePlan) -> SourcePlan:
        """A configured source's plan, under an id of this session (the safety middleware looks it up)."""
        source_id = len(self.plans) + 1
        self.plans[source_id] = replace(plan, source_id=source_id)
        return self.plans[source_id]

    def can_render(self, url: str) -> bool:
        return site_of(url) in self._render_sites

    async def start(self):
        try:
            self.outcome["result"] = await self.job(FetchSession(self, self.options))
        except BaseException as exc:  # handed to run_fetch_job, which re-raises it after the crawl has closed
            self.outcome["error"] = exc
        return
        yield  # an async generator that yields no request: the job fetches through the engine itself


def _plan(source_id: int, url: str, options: FetchOptions, render: bool) -> SourcePlan:
    return SourcePlan(source_id=source_id, competitor_id=0, competitor_slug="fetch", kind="site", url=url,
                      max_pages=1_000_000, max_depth=0, render="js" if render else "static",
                      obey_robots=options.obey_robots, allow_private=options.allow_private)


def run_fetch_job(job: Job[T], options: FetchOptions, verbose: bool = False) -> T:
    """Run `job` with a FetchSession in a crawl of this process, and return what it returned. Once per process.

    Rendering needs Chromium: with render_hosts and no browser, a CrawlError says how to install one."""
    from crawler.process import crawl_settings

    renders = [replace(plan, render="js") for plan in options.render_plans] + \
        [_plan(0, url, options, render=True) for url in options.render_hosts]
    if renders:
        find_chromium()  # no browser: the one-line CrawlError naming the fix, before anything starts
    settings = crawl_settings(options.defaults, renders, database_url="", run_id=0, verbose=verbose)
    # a command someone waits for: one retry, not the night's two (a page that is down says so in seconds)
    settings.setdict({"ITEM_PIPELINES": {}, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 1}, priority="cmdline")
    if not verbose:
        # every failed request is its Fetched's one error line, which the command prints: Scrapy's retry and
        # robots.txt lines, the browser's tracebacks and the extractors' notes would say it again, less plainly
        settings.set("LOG_LEVEL", "CRITICAL", priority="cmdline")
    outcome: dict[str, Any] = {}
    process = CrawlerProcess(settings)
    if not verbose:  # after Scrapy's own logging set-up, which sets its loggers' levels
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    process.crawl(_FetchSpider, job=job, options=options, outcome=outcome)
    process.start()
    if "error" in outcome:
        raise outcome["error"]
    if "result" not in outcome:
        raise CrawlError("the fetch ended before its job did (see the log with --verbose)")
    return outcome["result"]
