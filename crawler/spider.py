"""The one spider of a run: crawls every configured source within its budget and yields observations."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy_playwright.page import PageMethod
from w3lib.url import add_or_replace_parameter, canonicalize_url

from crawler import settings as default_settings
from crawler.accounting import describe_failure, fetched, redirect_hops
from crawler.discovery import read_sitemap, sitemaps_in_robots
from crawler.sources import SOURCE_KINDS, Observation, SourcePlan, item_keys
from extractors import Document

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SourceReport:
    """What the crawl knows about a source beyond its fetch rows: budget, discovery and warnings (crawl_run.stats)."""

    requested: int = 0
    cut_by_max_pages: bool = False
    discovery_requests: int = 0
    discovery_capped: bool = False
    discovery: list[dict[str, Any]] = field(default_factory=list)  # robots.txt, sitemaps
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"requested": self.requested, "cut_by_max_pages": self.cut_by_max_pages,
                "discovery": self.discovery, "warnings": self.warnings}


def response_headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


class CompetitorSpider(scrapy.Spider):
    name = "dossier"

    def __init__(self, plans: list[SourcePlan], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.plans = {plan.source_id: plan for plan in plans}
        self.budget: Counter[int] = Counter()
        self.seen: dict[int, set[str]] = {plan.source_id: set() for plan in plans}
        self.items_seen: dict[int, set[str]] = {plan.source_id: set() for plan in plans}  # for page_param
        self.links: dict[int, LinkExtractor] = {plan.source_id: self._link_extractor(plan) for plan in plans}
        self.reports: dict[int, SourceReport] = {plan.source_id: SourceReport() for plan in plans}

    @staticmethod
    def _link_extractor(plan: SourcePlan) -> LinkExtractor:
        allow = () if SOURCE_KINDS[plan.kind].follows_site_links else (plan.follow or "$^",)
        # No allow_domains: Scrapy's domain check ignores ports, and a source's site is host *and* port.
        return LinkExtractor(allow=allow, deny=(plan.deny,) if plan.deny else ())

    @property
    def timeout(self) -> float:
        return self.settings.getfloat("DOWNLOAD_TIMEOUT")

    async def start(self):
        for plan in self.plans.values():
            if plan.obey_robots is False:
                message = f"robots.txt is NOT obeyed for {plan.url} (obey_robots: false in the config)"
                log.warning("%s: %s", plan.competitor_slug, message)
                self.reports[plan.source_id].warnings.append(message)
            requests = [self.page_request(plan, plan.url, depth=0, page=_page_number(plan, plan.url))]
            if plan.sitemap:
                requests.append(self.discovery_request(plan, _origin(plan.url) + "/robots.txt", self.parse_robots,
                                                       nesting=0))
            for request in requests:
                if request is not None:
                    yield request

    # -- requests ----------------------------------------------------------------------------------
    def page_request(self, plan: SourcePlan, url: str, depth: int, page: int | None = None) -> scrapy.Request | None:
        """A request for a page of the source, or None when it was seen already or the budget is spent.

        `page` numbers the pages of a page_param listing; pages reached otherwise carry None.
        """
        key = canonicalize_url(url)
        if key in self.seen[plan.source_id]:
            return None
        if self.budget[plan.source_id] >= plan.max_pages:
            self.reports[plan.source_id].cut_by_max_pages = True
            return None
        self.seen[plan.source_id].add(key)
        self.budget[plan.source_id] += 1
        self.reports[plan.source_id].requested += 1
        meta: dict[str, Any] = {"dossier_source_id": plan.source_id, "dossier_depth": depth, "dossier_page": page}
        if not plan.obey_robots:
            meta["dont_obey_robotstxt"] = True
        if plan.render == "js":
            timeout_ms = self.timeout * 1000
            # attached, not visible: a price in a hidden element or a JSON-LD block is data all the same
            wait = (PageMethod("wait_for_selector", plan.wait_for, state="attached", timeout=timeout_ms)
                    if plan.wait_for else PageMethod("wait_for_load_state", "networkidle", timeout=timeout_ms))
            meta.update(playwright=True, playwright_context=plan.competitor_slug, playwright_page_methods=[wait])
        # dont_filter: the `seen` set above is the source's dupe filter; Scrapy's would silently drop a redirect
        # to a URL already fetched (no fetch row), and redirect loops end at REDIRECT_MAX_TIMES instead.
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error, meta=meta, dont_filter=True)

    def discovery_request(self, plan: SourcePlan, url: str, callback, nesting: int) -> scrapy.Request | None:
        """robots.txt and sitemaps: read to find pages, not pages themselves (no budget, no fetch row)."""
        report = self.reports[plan.source_id]
        if not same_site(url, plan.url):
            report.discovery.append({"url": url, "error": "not on the source's site: not read"})
            return None
        if report.discovery_requests >= default_settings.SITEMAP_MAX_FILES:
            if not report.discovery_capped:
                report.discovery_capped = True
                report.discovery.append({"url": url, "error": f"more than {default_settings.SITEMAP_MAX_FILES} "
                                                             "sitemap files: this one and any further not read"})
            return None
        report.discovery_requests += 1
        meta = {"dossier_source_id": plan.source_id, "dossier_discovery": nesting}
        if not plan.obey_robots or nesting == 0:  # robots.txt itself is never forbidden; sitemaps may be
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(url, callback=callback, errback=self.on_discovery_error, meta=meta)

    # -- pages -------------------------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Any]:
        plan = self.plans[response.meta["dossier_source_id"]]
        for url, info in redirect_hops(response.request):
            yield Observation("fetch", plan, url, info)
        info = fetched(response)
        if _redirected_to_known_page(response, self.seen[plan.source_id]):
            yield Observation("fetch", plan, response.url, info)
            return  # an alias of a page of the source already read (or queued): read once
        self.seen[plan.source_id].add(canonicalize_url(response.url))
        max_bytes = self.settings.getint("DOWNLOAD_MAXSIZE")
        if "playwright" in response.flags and max_bytes and len(response.body) > max_bytes:
            # the browser knows no DOWNLOAD_MAXSIZE: the rendered page is refused here instead
            yield Observation("fetch", plan, response.url, fetched(
                response, f"rendered page larger than max_bytes ({max_bytes} bytes): not read"))
            return
        yield Observation("fetch", plan, response.url, info)
        kind = SOURCE_KINDS[plan.kind]
        if kind.html and not isinstance(response, TextResponse):
            log.info("%s: not a text page, nothing extracted: %s", plan.competitor_slug, response.url)
            return
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        document = Document(text, response.url, response_headers(response))
        observations = list(kind.extract(plan, document, document.headers))
        yield from observations
        if kind.html:
            yield from self._links(plan, response)
        yield from self._next_numbered_page(plan, response, observations, info.content_hash)

    def _links(self, plan: SourcePlan, response: Response) -> Iterator[scrapy.Request]:
        depth = response.meta["dossier_depth"]
        if depth < plan.max_depth:
            for link in self.links[plan.source_id].extract_links(response):
                if same_site(link.url, plan.url):
                    yield from _some(self.page_request(plan, link.url, depth + 1))
        if plan.paginate:
            for href in _select(response, plan.paginate):
                yield from _some(self.page_request(plan, response.urljoin(href), depth))

    def _next_numbered_page(self, plan: SourcePlan, response: Response, observations: list[Observation],
                            content_hash: str | None) -> Iterator[scrapy.Request]:
        """page_param: page N+1 while page N brought items not seen on the pages before it."""
        page = response.meta.get("dossier_page")
        if not plan.page_param or page is None:
            return
        keys = set().union(*(item_keys(o) for o in observations)) or {f"body:{content_hash}"}
        new = keys - self.items_seen[plan.source_id]
        self.items_seen[plan.source_id] |= keys
        if not new:
            log.info("%s: %s brought no new items: the listing ends there", plan.competitor_slug, response.url)
            return
        asked = (response.meta.get("redirect_urls") or [response.request.url])[0]
        following = add_or_replace_parameter(asked, plan.page_param, str(page + 1))
        yield from _some(self.page_request(plan, following, response.meta["dossier_depth"], page=page + 1))

    def on_error(self, failure) -> Iterator[Observation]:
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        info = describe_failure(failure, self.timeout, plan.wait_for)
        log.info("%s: %s failed: %s", plan.competitor_slug, request.url, info.error)
        for url, hop in redirect_hops(request, info.error):
            yield Observation("fetch", plan, url, hop)
        yield Observation("fetch", plan, request.url, info)

    # -- discovery ---------------------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        plan = self.plans[response.meta["dossier_source_id"]]
        named = sitemaps_in_robots(response)
        self.reports[plan.source_id].discovery.append({"url": response.url, "status": response.status,
                                                      "sitemaps": len(named)})
        for url in named or [_origin(plan.url) + "/sitemap.xml"]:
            yield from _some(self.discovery_request(plan, url, self.parse_sitemap, nesting=1))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        plan = self.plans[response.meta["dossier_source_id"]]
        nesting = response.meta["dossier_discovery"]
        read = read_sitemap(response, self.settings.getint("DOWNLOAD_MAXSIZE"))
        self.reports[plan.source_id].discovery.append({
            "url": response.url, "status": response.status, "error": read.error,
            "pages": len(read.pages), "sitemaps": len(read.sitemaps)})
        if read.error:
            log.warning("%s: sitemap %s: %s", plan.competitor_slug, response.url, read.error)
        for url in read.sitemaps:
            if nesting >= default_settings.SITEMAP_MAX_NESTING:
                self.reports[plan.source_id].discovery.append(
                    {"url": url, "error": f"sitemap indexes nested deeper than {default_settings.SITEMAP_MAX_NESTING}"})
                break
            yield from _some(self.discovery_request(plan, url, self.parse_sitemap, nesting + 1))
        for url in read.pages:
            if same_site(url, plan.url):
                yield from _some(self.page_request(plan, url, depth=1))

    def on_discovery_error(self, failure) -> Iterator[scrapy.Request]:
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        info = describe_failure(failure, self.timeout)
        log.info("%s: discovery of %s failed: %s", plan.competitor_slug, request.url, info.error)
        self.reports[plan.source_id].discovery.append({"url": request.url, "status": info.status, "error": info.error})
        if request.meta["dossier_discovery"] == 0:  # no robots.txt to name sitemaps: try the usual place
            yield from _some(self.discovery_request(plan, _origin(plan.url) + "/sitemap.xml", self.parse_sitemap,
                                                    nesting=1))


def _redirected_to_known_page(response: Response, seen: set[str]) -> bool:
    """Redirected to a URL the source had already asked for by another name (not a chain back to itself)."""
    chain = response.meta.get("redirect_urls")
    if not chain:
        return False
    final = canonicalize_url(response.url)
    return final in seen and final not in {canonicalize_url(url) for url in chain}


def _some(request: scrapy.Request | None) -> Iterator[scrapy.Request]:
    if request is not None:
        yield request


def _page_number(plan: SourcePlan, url: str) -> int | None:
    """The page a page_param source starts on: the parameter's value in its URL, else 1."""
    if not plan.page_param:
        return None
    value = parse_qs(urlsplit(url).query).get(plan.page_param, ["1"])[0]
    return int(value) if value.isdigit() else 1


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
