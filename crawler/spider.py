"""The one spider of a run: crawls every configured source within its budget and yields observations."""
from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy_playwright.page import PageMethod
from w3lib.url import add_or_replace_parameter

from crawler import settings as default_settings
from crawler.accounting import BLOCKED_PREFIX, MAX_ERROR, describe_failure, fetched, redirect_hops
from crawler.discovery import read_sitemap, sitemaps_in_robots
from crawler.frontier import Claim, LocalFrontier, Settled
from crawler.safety import allowed_url
from crawler.soft404 import SOFT_404_ERROR, fingerprint, probe_url
from crawler.sources import SOURCE_KINDS, Observation, SourcePlan, item_keys
from crawler.traps import trap_reason
from dossier.urls import canonical_url
from extractors import Document
from extractors.audit import robots_facts
from extractors.challenge import challenge_page
from extractors.encoding import decode_html

log = logging.getLogger(__name__)

SHARED_POLL_SECONDS = 0.2  # a worker of a shared run looks for new seeds and queued requests this often
MAX_REFUSED_LISTED = 20  # off-site URLs of a sitemap named one by one in the crawl report
MAX_ROBOTS_RULES = 200  # rules of a robots.txt kept in the crawl report (the site audit compares their hash)


@dataclass(slots=True)
class SourceReport:
    """What the crawl knows about a source beyond its fetch rows: budget, discovery and warnings (crawl_run.stats)."""

    requested: int = 0
    cut_by_max_pages: bool = False
    discovery_requests: int = 0
    discovery_capped: bool = False
    discovery: list[dict[str, Any]] = field(default_factory=list)  # robots.txt, sitemaps
    warnings: list[str] = field(default_factory=list)
    traps_skipped: int = 0  # discovered URLs not followed because they look generated (crawler/traps.py)
    trap_examples: list[dict[str, str]] = field(default_factory=list)
    soft_404s: int = 0  # pages that answered like the site's page for a URL that does not exist (crawler/soft404.py)
    blocked: int = 0  # 200s that were a captcha or bot wall, not the page (extractors/challenge.py)

    def as_json(self) -> dict[str, Any]:
        return {"requested": self.requested, "cut_by_max_pages": self.cut_by_max_pages,
                "discovery": self.discovery, "warnings": self.warnings,
                "traps_skipped": self.traps_skipped, "trap_examples": self.trap_examples,
                "soft_404s": self.soft_404s, "blocked": self.blocked}


def response_headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


def _settles(callback: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
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


class CompetitorSpider(scrapy.Spider):
    name = "dossier"

    def __init__(self, plans: list[SourcePlan], *args: Any, frontier: Any = None, **kwargs: Any):
        """`frontier`: what the run has seen and spent per source (crawler/frontier.py); a RedisFrontier when
        several workers share the run, then the sources come as seeds from the coordinator."""
        super().__init__(*args, **kwargs)
        self.plans = {plan.source_id: plan for plan in plans}
        self.frontier = frontier if frontier is not None else LocalFrontier()
        self.shared = not isinstance(self.frontier, LocalFrontier)
        self.links: dict[int, LinkExtractor] = {plan.source_id: self._link_extractor(plan) for plan in plans}
        self.reports: dict[int, SourceReport] = {plan.source_id: SourceReport() for plan in plans}
        # per source: the fingerprint of its site's answer to a URL that cannot exist ("" when not a page or the
        # check is off), kept in the frontier (shared by a distributed run's workers) and cached here
        self.not_found: dict[int, str] = {}

    @staticmethod
    def _link_extractor(plan: SourcePlan) -> LinkExtractor:
        allow = () if SOURCE_KINDS[plan.kind].follows_site_links else (plan.follow or "$^",)
        # No allow_domains: Scrapy's domain check ignores ports, and a source's site is host *and* port.
        return LinkExtractor(allow=allow, deny=(plan.deny,) if plan.deny else ())

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # the shared frontier counts the run's unfinished requests (the local one ignores these)
        crawler.signals.connect(spider.frontier.scheduled, signal=scrapy.signals.request_scheduled)
        crawler.signals.connect(spider.frontier.dropped, signal=scrapy.signals.request_dropped)
        return spider

    @property
    def timeout(self) -> float:
        return self.settings.getfloat("DOWNLOAD_TIMEOUT")

    async def start(self):
        if not self.shared:
            for plan in self.plans.values():
                for request in self.source_start(plan):
                    yield request
            return
        # A worker of a shared run: take sources from the run's seed list while there are any, and stay open
        # (requests other workers queue reach this one too) until the coordinator sees the run drained.
        while not self.frontier.drained():
            self.frontier.alive()
            source_id = self.frontier.next_seed()
            if source_id is None:
                if self.frontier.queued():
                    self._wake_engine()
                await asyncio.sleep(SHARED_POLL_SECONDS)
                continue
            plan = self.plans.get(source_id)
            if plan is None:  # the coordinator's database has a source this worker's config lacks
                log.error("run seed: source %s is not in the run's config: skipped", source_id)
            else:
                for request in self.source_start(plan):
                    yield request
            self.frontier.seeded()

    def source_start(self, plan: SourcePlan) -> list[scrapy.Request]:
        """The start URL and, with `sitemap`, robots.txt of one source."""
        if plan.obey_robots is False:
            message = f"robots.txt is NOT obeyed for {plan.url} (obey_robots: false in the config)"
            log.warning("%s: %s", plan.competitor_slug, message)
            self.reports[plan.source_id].warnings.append(message)
        if SOURCE_KINDS[plan.kind].html and plan.render != "js":  # the start page waits for the soft-404 probe
            requests = [self.probe_request(plan)]
        else:
            requests = [self.start_request(plan)]
        if plan.sitemap or (SOURCE_KINDS[plan.kind].audits and plan.obey_robots):
            # the site audit reads robots.txt and counts the sitemaps' URLs (not with obey_robots: false, which
            # promises that robots.txt is not asked for)
            requests.append(self.discovery_request(plan, _origin(plan.url) + "/robots.txt", self.parse_robots,
                                                   nesting=0))
        return [request for request in requests if request is not None]

    def _wake_engine(self) -> None:
        """Ask the engine for the next request now: another worker queued some, and Scrapy would otherwise look
        at its scheduler only on its next heartbeat (5 s)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    # -- requests ----------------------------------------------------------------------------------
    def start_request(self, plan: SourcePlan) -> scrapy.Request | None:
        return self.page_request(plan, plan.url, depth=0, page=_page_number(plan, plan.url))

    def probe_request(self, plan: SourcePlan) -> scrapy.Request:
        """A URL of the source's site that cannot exist (crawler/soft404.py): discovery, like robots.txt (no
        budget, no fetch row); its answer says whether the site answers missing pages with a page."""
        meta: dict[str, Any] = {"dossier_source_id": plan.source_id, "dont_retry": True}
        if not plan.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(probe_url(plan.url), callback=self.parse_probe, errback=self.on_probe_error, meta=meta,
                              dont_filter=True)

    def page_request(self, plan: SourcePlan, url: str, depth: int, page: int | None = None) -> scrapy.Request | None:
        """A request for a page of the source, or None when it was seen already, looks like a trap or the budget
        is spent.

        `page` numbers the pages of a page_param listing; pages reached otherwise carry None.
        """
        key = canonical_url(url)  # session ids, tracking and cache-busting parameters dropped: one page, one key
        if url != plan.url and (trap := trap_reason(url)):
            if not self.frontier.is_seen(plan.source_id, key):
                self.frontier.mark_seen(plan.source_id, key)
                report = self.reports[plan.source_id]
                report.traps_skipped += 1
                if len(report.trap_examples) < default_settings.TRAP_EXAMPLES:
                    report.trap_examples.append({"url": url[:300], "reason": trap})
            return None
        claim = self.frontier.claim(plan.source_id, key, plan.max_pages)
        if claim is Claim.SEEN:
            return None
        if claim is Claim.OVER_BUDGET:
            self.reports[plan.source_id].cut_by_max_pages = True
            return None
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
        if not allowed_url(plan, url):
            report.discovery.append({"url": url, "error": "neither on the source's site nor in its allow_domains: "
                                                         "not read"})
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

    @_settles
    def parse_probe(self, response: Response) -> Iterator[Any]:
        plan = self.plans[response.meta["dossier_source_id"]]
        soft = 200 <= response.status < 300
        if soft:
            self.frontier.set_not_found_page(plan.source_id, fingerprint(
                response.body, response.request.url, response.url, *(response.meta.get("redirect_urls") or [])))
        self.reports[plan.source_id].discovery.append({"url": response.url, "status": response.status,
                                                      "soft_404": soft})
        yield from _some(self.start_request(plan))

    @_settles
    def on_probe_error(self, failure) -> Iterator[Any]:
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        info = describe_failure(failure, self.timeout)
        self.reports[plan.source_id].discovery.append({"url": request.url, "status": info.status,
                                                      "soft_404": False})
        yield from _some(self.start_request(plan))

    def _soft_404(self, plan: SourcePlan, response: Response) -> bool:
        """Whether the page is the site's answer for a URL that does not exist. When the start page itself is,
        the site answers everything alike: the check is off for the source, with a warning."""
        known = self.not_found.get(plan.source_id)
        if known is None:  # the probe answered before any other page of the source was asked for
            known = self.not_found[plan.source_id] = self.frontier.not_found_page(plan.source_id) or ""
        if not known:
            return False
        if fingerprint(response.body, response.request.url, response.url,
                       *(response.meta.get("redirect_urls") or [])) != known:
            return False
        if response.meta.get("dossier_depth") == 0 and (response.meta.get("redirect_urls") or [response.url])[0] \
                == plan.url:
            self.not_found[plan.source_id] = ""
            self.frontier.set_not_found_page(plan.source_id, "")
            self.reports[plan.source_id].warnings.append(
                "the start page looks like the site's answer for a URL that does not exist: soft 404s are not "
                "detected for this source")
            return False
        return True

    # -- pages -------------------------------------------------------------------------------------
    @_settles
    def parse_page(self, response: Response) -> Iterator[Any]:
        plan = self.plans[response.meta["dossier_source_id"]]
        for url, info in redirect_hops(response.request):
            yield Observation("fetch", plan, url, info)
        info = fetched(response)
        if _redirected_to_known_page(response, lambda key: self.frontier.is_seen(plan.source_id, key)):
            yield Observation("fetch", plan, response.url, info)
            return  # an alias of a page of the source already read (or queued): read once
        self.frontier.mark_seen(plan.source_id, canonical_url(response.url))
        max_bytes = self.settings.getint("DOWNLOAD_MAXSIZE")
        if "playwright" in response.flags and max_bytes and len(response.body) > max_bytes:
            # the browser knows no DOWNLOAD_MAXSIZE: the rendered page is refused here instead
            yield Observation("fetch", plan, response.url, fetched(
                response, f"rendered page larger than max_bytes ({max_bytes} bytes): not read"))
            return
        kind = SOURCE_KINDS[plan.kind]
        document = _document(response) if not kind.html or isinstance(response, TextResponse) else None
        observations: list[Observation] | None = None
        if kind.html and document is not None and (challenge := challenge_page(document)) is not None:
            # a captcha or "Access denied" answered with 200: no page of the site, unless the page still holds the
            # items its kind expects (a shop with a captcha in its newsletter form)
            observations = list(kind.extract(plan, document, document.headers))
            if not any(item_keys(o) for o in observations):
                error = f"{BLOCKED_PREFIX}{challenge.describe()}"
                log.warning("%s: %s: %s", plan.competitor_slug, response.url, error)
                self.reports[plan.source_id].blocked += 1
                yield Observation("fetch", plan, response.url, fetched(response, error[:MAX_ERROR]))
                return  # not a page: nothing extracted, no link followed
        if self._soft_404(plan, response):
            self.reports[plan.source_id].soft_404s += 1
            yield Observation("fetch", plan, response.url, fetched(response, SOFT_404_ERROR))
            return  # not a page: nothing extracted, no link followed
        yield Observation("fetch", plan, response.url, info)
        if document is None:
            log.info("%s: not a text page, nothing extracted: %s", plan.competitor_slug, response.url)
            return
        if observations is None:
            observations = list(kind.extract(plan, document, document.headers))
        chain = tuple(response.meta.get("redirect_urls") or ())
        if chain:  # the audit of a page says how it was reached
            observations = [replace(o, payload=(o.payload, chain)) if o.what == "audit" else o for o in observations]
        yield from observations
        if kind.html:
            yield from self._links(plan, response)
        yield from self._next_numbered_page(plan, response, observations, info.content_hash)

    def _links(self, plan: SourcePlan, response: Response) -> Iterator[scrapy.Request]:
        depth = response.meta["dossier_depth"]
        if plan.paginate:  # first: a next page keeps its listing's depth even when `follow` matches it too
            for href in _select(response, plan.paginate):
                yield from _some(self.page_request(plan, response.urljoin(href), depth))
        if depth < plan.max_depth:
            for link in self.links[plan.source_id].extract_links(response):
                if allowed_url(plan, link.url):
                    yield from _some(self.page_request(plan, link.url, depth + 1))

    def _next_numbered_page(self, plan: SourcePlan, response: Response, observations: list[Observation],
                            content_hash: str | None) -> Iterator[scrapy.Request]:
        """page_param: page N+1 while page N brought items not seen on the pages before it."""
        page = response.meta.get("dossier_page")
        if not plan.page_param or page is None:
            return
        keys = set().union(*(item_keys(o) for o in observations))
        if not keys and self.frontier.had_items(plan.source_id):
            log.info("%s: %s has no items: the listing ends there", plan.competitor_slug, response.url)
            return
        keys = keys or {f"body:{content_hash}"}  # a listing whose pages hold no items we read: pages must differ
        if not self.frontier.new_items(plan.source_id, keys):
            log.info("%s: %s brought no new items: the listing ends there", plan.competitor_slug, response.url)
            return
        asked = (response.meta.get("redirect_urls") or [response.request.url])[0]
        following = add_or_replace_parameter(asked, plan.page_param, str(page + 1))
        yield from _some(self.page_request(plan, following, response.meta["dossier_depth"], page=page + 1))

    @_settles
    def on_error(self, failure) -> Iterator[Observation]:
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        info = describe_failure(failure, self.timeout, plan.wait_for, self.settings.getint("DOWNLOAD_MAXSIZE"))
        log.info("%s: %s failed: %s", plan.competitor_slug, request.url, info.error)
        for url, hop in redirect_hops(request, info.error):
            yield Observation("fetch", plan, url, hop)
        yield Observation("fetch", plan, request.url, info)

    # -- discovery ---------------------------------------------------------------------------------
    @_settles
    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        plan = self.plans[response.meta["dossier_source_id"]]
        named = sitemaps_in_robots(response)
        facts = robots_facts(response.body)
        self.reports[plan.source_id].discovery.append({
            "url": response.url, "status": response.status, "sitemaps": len(named), "robots": True,
            "robots_hash": facts.content_hash, "rules": facts.rules[:MAX_ROBOTS_RULES]})
        for url in named or [_origin(plan.url) + "/sitemap.xml"]:
            yield from _some(self.discovery_request(plan, url, self.parse_sitemap, nesting=1))

    @_settles
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
        if not plan.sitemap:
            return  # read for the site audit (its URL count), not to find pages
        refused = 0
        for url in read.pages:
            if allowed_url(plan, url):
                yield from _some(self.page_request(plan, url, depth=1))
            else:  # a sitemap is the site's own word on its pages: one elsewhere is said, not silently dropped
                refused += 1
                if refused <= MAX_REFUSED_LISTED:
                    self.reports[plan.source_id].discovery.append({
                        "url": url, "error": f"listed in {response.url} but neither on the source's site nor in "
                                             "its allow_domains: not read"})
        if refused > MAX_REFUSED_LISTED:
            self.reports[plan.source_id].discovery.append({
                "url": response.url, "error": f"{refused - MAX_REFUSED_LISTED} more URLs off the source's site: "
                                              "not read"})

    @_settles
    def on_discovery_error(self, failure) -> Iterator[scrapy.Request]:
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        info = describe_failure(failure, self.timeout)
        log.info("%s: discovery of %s failed: %s", plan.competitor_slug, request.url, info.error)
        self.reports[plan.source_id].discovery.append({"url": request.url, "status": info.status, "error": info.error,
                                                      "robots": request.meta["dossier_discovery"] == 0})
        if request.meta["dossier_discovery"] == 0:  # no robots.txt to name sitemaps: try the usual place
            yield from _some(self.discovery_request(plan, _origin(plan.url) + "/sitemap.xml", self.parse_sitemap,
                                                    nesting=1))


def _document(response: Response) -> Document:
    """The page parsed once, shared by the challenge check and the source kind's extractors."""
    if isinstance(response, TextResponse):  # Scrapy's decoding, unless the declared charset plainly lies
        text = decode_html(response.body, decoded=(response.encoding, response.text))
    else:
        text = response.body.decode("utf-8", "replace")
    return Document(text, response.url, response_headers(response))


def _redirected_to_known_page(response: Response, is_seen: Callable[[str], bool]) -> bool:
    """Redirected to a URL the source had already asked for by another name (not a chain back to itself)."""
    chain = response.meta.get("redirect_urls")
    if not chain:
        return False
    final = canonical_url(response.url)
    return final not in {canonical_url(url) for url in chain} and is_seen(final)


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
