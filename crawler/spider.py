"""The one spider of a run: crawls every configured source within its budget and yields observations."""
from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from scrapy_playwright.page import PageMethod
from w3lib.url import canonicalize_url

from crawler.sources import SOURCE_KINDS, Observation, SourcePlan
from extractors import Document

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FetchInfo:
    status: int | None
    error: str | None
    elapsed_ms: int | None
    size: int | None
    content_hash: str | None


def response_headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


class CompetitorSpider(scrapy.Spider):
    name = "dossier"

    def __init__(self, plans: list[SourcePlan], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.plans = {plan.source_id: plan for plan in plans}
        self.budget: Counter[int] = Counter()
        self.seen: dict[int, set[str]] = {plan.source_id: set() for plan in plans}
        self.links: dict[int, LinkExtractor] = {plan.source_id: self._link_extractor(plan) for plan in plans}

    @staticmethod
    def _link_extractor(plan: SourcePlan) -> LinkExtractor:
        allow = () if SOURCE_KINDS[plan.kind].follows_site_links else (plan.follow or "$^",)
        # No allow_domains: Scrapy's domain check ignores ports, and a source's site is host *and* port.
        return LinkExtractor(allow=allow, deny=(plan.deny,) if plan.deny else ())

    async def start(self):
        for plan in self.plans.values():
            if plan.obey_robots is False:
                log.warning("%s: robots.txt is NOT obeyed for %s (obey_robots: false in the config)",
                            plan.competitor_slug, plan.url)
            request = self.page_request(plan, plan.url, depth=0)
            if request is not None:
                yield request
            if plan.sitemap:
                yield self.discovery_request(plan, _origin(plan.url) + "/robots.txt", self.parse_robots)

    # -- requests ----------------------------------------------------------------------------------
    def page_request(self, plan: SourcePlan, url: str, depth: int) -> scrapy.Request | None:
        """A request for a page of the source, or None when it was seen already or the budget is spent."""
        key = canonicalize_url(url)
        if key in self.seen[plan.source_id] or self.budget[plan.source_id] >= plan.max_pages:
            return None
        self.seen[plan.source_id].add(key)
        self.budget[plan.source_id] += 1
        meta: dict[str, Any] = {"dossier_source_id": plan.source_id, "dossier_depth": depth}
        if not plan.obey_robots:
            meta["dont_obey_robotstxt"] = True
        if plan.render == "js":
            wait = (PageMethod("wait_for_selector", plan.wait_for) if plan.wait_for
                    else PageMethod("wait_for_load_state", "networkidle"))
            meta.update(playwright=True, playwright_context=plan.competitor_slug, playwright_page_methods=[wait])
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error, meta=meta)

    def discovery_request(self, plan: SourcePlan, url: str, callback) -> scrapy.Request:
        """robots.txt and sitemaps: read to find pages, not pages themselves (no budget, no fetch row)."""
        meta = {"dossier_source_id": plan.source_id, "dossier_discovery": True}
        return scrapy.Request(url, callback=callback, errback=self.on_discovery_error, meta=meta)

    # -- callbacks ---------------------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Any]:
        plan = self.plans[response.meta["dossier_source_id"]]
        latency = response.meta.get("download_latency")
        yield Observation("fetch", plan, response.request.url, FetchInfo(
            response.status, None, None if latency is None else int(latency * 1000), len(response.body),
            hashlib.sha256(response.body).hexdigest()))
        kind = SOURCE_KINDS[plan.kind]
        if kind.html and not isinstance(response, TextResponse):
            log.info("%s: not a text page, nothing extracted: %s", plan.competitor_slug, response.url)
            return
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        document = Document(text, response.url, response_headers(response))
        yield from kind.extract(plan, document, document.headers)
        if not kind.html:
            return
        depth = response.meta["dossier_depth"]
        if depth < plan.max_depth:
            for link in self.links[plan.source_id].extract_links(response):
                if not same_site(link.url, plan.url):
                    continue
                request = self.page_request(plan, link.url, depth + 1)
                if request is not None:
                    yield request
        if plan.paginate:
            for href in _select(response, plan.paginate):
                request = self.page_request(plan, response.urljoin(href), depth)
                if request is not None:
                    yield request

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        plan = self.plans[response.meta["dossier_source_id"]]
        sitemaps = list(sitemap_urls_from_robots(response.text, base_url=response.url)) or [
            _origin(plan.url) + "/sitemap.xml"]
        for url in sitemaps:
            yield self.discovery_request(plan, url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        plan = self.plans[response.meta["dossier_source_id"]]
        try:
            sitemap = Sitemap(response.body)
        except ValueError as exc:
            log.warning("%s: unreadable sitemap %s: %s", plan.competitor_slug, response.url, exc)
            return
        for entry in sitemap:
            url = entry.get("loc")
            if not url:
                continue
            if sitemap.type == "sitemapindex":
                yield self.discovery_request(plan, url, self.parse_sitemap)
            elif same_site(url, plan.url):
                request = self.page_request(plan, url, depth=1)
                if request is not None:
                    yield request

    def on_error(self, failure) -> Iterator[Observation]:
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
            error = f"HTTP {status}"
        elif failure.check(IgnoreRequest):
            error = str(failure.value) or "request ignored"  # RobotsTxtMiddleware says "Forbidden by robots.txt"
        else:
            error = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]
        log.info("%s: %s failed: %s", plan.competitor_slug, request.url, error)
        yield Observation("fetch", plan, request.url, FetchInfo(status, error, None, None, None))

    def on_discovery_error(self, failure) -> None:
        request = failure.request
        log.info("discovery of %s failed: %s", request.url, failure.getErrorMessage())


def _select(response: Response, selector: str) -> list[str]:
    """hrefs of the 'next page' links: CSS by default, XPath when the selector starts with / or (."""
    if selector.lstrip().startswith(("/", "(")):
        nodes = response.xpath(selector)
        return [h for h in (nodes.xpath("@href").getall() or nodes.getall()) if h]
    return response.css(selector).xpath("@href").getall()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _site(url: str) -> tuple[str, int | None] | None:
    """(host without www., explicit non-default port): http and https of one host are one site."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port out of range in a scraped link
        return None
    if not parts.hostname:
        return None
    return parts.hostname.removeprefix("www."), None if port in (80, 443) else port


def same_site(url: str, start_url: str) -> bool:
    """Inside the source's site: the same host (with or without www.) and the same port."""
    site = _site(url)
    return site is not None and site == _site(start_url)
