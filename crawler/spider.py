"""The one spider of a run: crawls every configured source within its budget and yields observations."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from w3lib.url import add_or_replace_parameter

from crawler import settings as default_settings
from crawler.accounting import (
    BLOCKED_PREFIX, MAX_ERROR, FetchInfo, describe_failure, fetched, first_line, redirect_hops,
)
from crawler.blocked import blocking_challenge
from crawler.callbacks import asked_url, some
from crawler.discovery_callbacks import DiscoveryCallbacks
from crawler.frontier import Claim, Frontier
from crawler.render_auto import RenderMemory
from crawler.render_callbacks import AutoRender
from crawler.safety import allowed_url
from crawler.soft404 import SOFT_404_ERROR
from crawler.soft404_probe import Soft404Probe
from crawler.source_report import SourceReport
from crawler.observations import FetchRecord, Observation, PageAudited
from crawler.sources import SOURCE_KINDS, NotRead, SourcePlan, Unreadable, request_options
from crawler.traps import trap_reason
from dossier.outcomes import FetchOutcome
from dossier.urls import canonical_url
from extractors import Document
from extractors.encoding import decode_html
from extractors.pagination import next_page

log = logging.getLogger(__name__)



def response_headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


class CompetitorSpider(Soft404Probe, DiscoveryCallbacks, AutoRender, scrapy.Spider):
    """Its soft-404 probe and check are crawler/soft404_probe.py; its robots.txt and sitemap requests and callbacks
    are crawler/discovery_callbacks.py; render: auto's second, rendered reading of a page is
    crawler/render_callbacks.py."""

    name = "dossier"

    def __init__(self, plans: list[SourcePlan], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.plans = {plan.source_id: plan for plan in plans}
        self.frontier = Frontier()  # what this crawl has seen and spent per source (crawler/frontier.py)
        self.links: dict[int, LinkExtractor] = {plan.source_id: self._link_extractor(plan) for plan in plans}
        self.reports: dict[int, SourceReport] = {plan.source_id: SourceReport() for plan in plans}
        # per source: the fingerprint of its site's answer to a URL that cannot exist ("" when not a page or the
        # check is off), kept in the frontier and cached here
        self.not_found: dict[int, str] = {}
        # render: auto, per source: what its URL patterns showed, the nights before and tonight (crawler/render_auto.py)
        self.render_memory: dict[int, RenderMemory] = {plan.source_id: RenderMemory(plan.render_patterns)
                                                       for plan in plans if plan.render == "auto"}

    @staticmethod
    def _link_extractor(plan: SourcePlan) -> LinkExtractor:
        allow = () if SOURCE_KINDS[plan.kind].follows_site_links else (plan.follow or "$^",)
        # No allow_domains: Scrapy's domain check ignores ports, and a source's site is host *and* port.
        return LinkExtractor(allow=allow, deny=(plan.deny,) if plan.deny else ())

    @staticmethod
    def document_of(response: Response) -> Document:
        return document_of(response)

    @property
    def timeout(self) -> float:
        return self.settings.getfloat("DOWNLOAD_TIMEOUT")

    async def start(self):
        for plan in self.plans.values():
            for request in self.source_start(plan):
                yield request

    def source_start(self, plan: SourcePlan) -> list[scrapy.Request]:
        """The start URL and, with `sitemap`, robots.txt of one source."""
        if plan.obey_robots is False:
            message = f"robots.txt is NOT obeyed for {plan.url} (obey_robots: false in the config)"
            log.warning("%s: %s", plan.competitor_slug, message)
            self.reports[plan.source_id].warnings.append(message)
        self.reports[plan.source_id].warnings.extend(plan.warnings)
        if SOURCE_KINDS[plan.kind].html and plan.render != "js":  # the start page waits for the soft-404 probe
            requests = [self.probe_request(plan)]
        else:
            requests = [self.start_request(plan)]
        if plan.sitemap or (SOURCE_KINDS[plan.kind].audits and plan.obey_robots):
            # the site audit reads robots.txt and counts the sitemaps' URLs (not with obey_robots: false, which
            # promises that robots.txt is not asked for)
            requests.append(self.robots_request(plan))
        return [request for request in requests if request is not None]

    # -- requests ----------------------------------------------------------------------------------
    def start_request(self, plan: SourcePlan) -> scrapy.Request | None:
        return self.page_request(plan, plan.url, depth=0, page=_page_number(plan, plan.url))

    def page_request(self, plan: SourcePlan, url: str, depth: int, page: int | None = None,
                     aside: bool = False) -> scrapy.Request | None:
        """A request for a page of the source, or None when it was seen already, looks like a trap or the budget
        is spent.

        `page` numbers the pages of a page_param listing; pages reached otherwise carry None. `aside`: a page read
        beside the source's own (SourceKind.asides), by the kind's read_aside.
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
        meta: dict[str, Any] = {"dossier_source_id": plan.source_id, "dossier_depth": depth, "dossier_page": page}
        if aside:
            meta["dossier_aside"] = True
        if not plan.obey_robots:
            meta["dont_obey_robotstxt"] = True
        if plan.render == "js":
            meta.update(self.browser_meta(plan))
        # dont_filter: the frontier's claim is the source's dupe filter; Scrapy's would silently drop a redirect
        # to a URL already fetched (no fetch row), and redirect loops end at REDIRECT_MAX_TIMES instead.
        # the kind's headers (an API's token, from the environment: on the request only, never in a fetch row or
        # log) and its POST body (TED's search)
        request = scrapy.Request(url, callback=self.parse_page, errback=self.on_error, meta=meta, dont_filter=True,
                                 **request_options(plan, url))
        claim = self.frontier.claim(plan.source_id, key, plan.max_pages)
        if claim is Claim.SEEN:
            return None
        if claim is Claim.OVER_BUDGET:
            self.reports[plan.source_id].cut_by_max_pages = True
            return None
        self.renders_directly(plan, request)  # render: auto, a pattern whose pages all need the browser
        self.reports[plan.source_id].requested += 1
        return request

    # -- pages -------------------------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Any]:
        plan = self.plans[response.meta["dossier_source_id"]]
        for url, info in redirect_hops(response.request):
            yield FetchRecord(plan, url, info)
        info = fetched(response)
        chain = response.meta.get("redirect_urls") or []
        final, asked = canonical_url(response.url), canonical_url(asked_url(response))
        if final != asked:  # redirected (or, in a browser, moved on): the page may be known by its final URL
            if chain and final not in {canonical_url(url) for url in chain} and \
                    self.frontier.read_elsewhere(plan.source_id, final, asked):
                yield FetchRecord(plan, response.url, info)
                return  # an alias of a page of the source already read (or queued): read once
            self.frontier.mark_read(plan.source_id, final, asked)
        yield from self.read_page(plan, response)

    def read_page(self, plan: SourcePlan, response: Response, render: bool = True) -> Iterator[Any]:
        """A page answered: checked (size, challenge, soft 404), extracted and stored, its links followed; or, for
        render: auto (unless `render` is False), held back for its rendered reading (crawler/render_callbacks.py)."""
        info = fetched(response)
        max_bytes = self.settings.getint("DOWNLOAD_MAXSIZE")
        if "playwright" in response.flags and max_bytes and len(response.body) > max_bytes:
            # the browser knows no DOWNLOAD_MAXSIZE: the rendered page is refused here instead
            yield FetchRecord(plan, response.url, fetched(
                response, f"rendered page larger than max_bytes ({max_bytes} bytes): not read", FetchOutcome.TOO_LARGE))
            return
        kind = SOURCE_KINDS[plan.kind]
        document = document_of(response) if not kind.html or isinstance(response, TextResponse) else None
        observations: list[Observation] | None = None
        if kind.html and document is not None:
            # a captcha or "Access denied" answered with 200: no page of the site (crawler/blocked.py)
            try:
                challenge, observations = blocking_challenge(kind, plan, document)
            except Exception as exc:  # an extractor's bug, not the page's: a failed fetch, told as a bug
                yield _extraction_bug(plan, response, exc)
                return
            if challenge is not None:
                error = f"{BLOCKED_PREFIX}{challenge.describe()}"
                log.warning("%s: %s: %s", plan.competitor_slug, response.url, error)
                self.reports[plan.source_id].blocked += 1
                yield FetchRecord(plan, response.url, fetched(response, error[:MAX_ERROR], FetchOutcome.BLOCKED))
                return  # not a page: nothing extracted, no link followed
        if self.soft_404(plan, response):
            self.reports[plan.source_id].soft_404s += 1
            yield FetchRecord(plan, response.url, fetched(response, SOFT_404_ERROR, FetchOutcome.SOFT_404))
            return  # not a page: nothing extracted, no link followed
        if document is None:
            log.info("%s: not a text page, nothing extracted: %s", plan.competitor_slug, response.url)
            yield FetchRecord(plan, response.url, info)
            return
        if observations is None:
            aside = bool(response.meta.get("dossier_aside"))
            try:
                observations = list((kind.read_aside if aside else kind.extract)(plan, document, document.headers))
            except NotRead as exc:  # a page beside the source's own: a warning; the page answered, nothing stored
                log.warning("%s: %s", plan.competitor_slug, exc)
                self.reports[plan.source_id].warnings.append(first_line(str(exc))[:MAX_ERROR])
                yield FetchRecord(plan, response.url, info)
                return
            except Unreadable as exc:  # not what the source reads (a feed URL answering an HTML page): nothing stored
                log.warning("%s: %s", plan.competitor_slug, exc)
                yield FetchRecord(plan, response.url, fetched(response, first_line(str(exc))[:MAX_ERROR],
                                                              FetchOutcome.FAILED))
                return
            except Exception as exc:  # an extractor's bug, not the page's: a failed fetch, told as a bug
                yield _extraction_bug(plan, response, exc)
                return
        if render and (rendering := self.render_request(plan, response, document, observations)) is not None:
            yield rendering  # the page is read when the browser has answered, or failed
            return
        yield from self.store_page(plan, response, document, observations, info,
                                   response.meta.get("redirect_urls") or [])

    def store_page(self, plan: SourcePlan, response: Response, document: Document, observations: list[Observation],
                   info: FetchInfo, chain: list[str]) -> Iterator[Any]:
        """The page's observations and its fetch row, then its links: `chain`, the redirects that led to it."""
        kind = SOURCE_KINDS[plan.kind]
        if chain:  # the audit of a page says how it was reached
            observations = [replace(o, redirected_from=tuple(chain)) if isinstance(o, PageAudited) else o
                            for o in observations]
        yield from observations
        # The fetch row after the page's observations: the writer stores in order, so a fetch row in the database
        # means they are there too (written with it or before), wherever a crawl is killed.
        yield FetchRecord(plan, response.url, info)
        if kind.html:
            yield from self._links(plan, response, document if kind.paginates else None)
        yield from self._next_numbered_page(plan, response, observations, info.content_hash)
        if not response.meta.get("dossier_aside"):
            for url in kind.asides(plan, observations):
                if allowed_url(plan, url):
                    yield from some(self.page_request(plan, url, response.meta["dossier_depth"], aside=True))

    def _links(self, plan: SourcePlan, response: Response, listing: Document | None) -> Iterator[scrapy.Request]:
        """`listing`: the page of a source kind that paginates, whose own next-page link is followed when the
        source configures no pagination."""
        depth = response.meta["dossier_depth"]
        if plan.paginate:  # first: a next page keeps its listing's depth even when `follow` matches it too
            for href in _select(response, plan.paginate):
                yield from some(self.page_request(plan, response.urljoin(href), depth))
        elif listing is not None and not plan.page_param:
            following = next_page(listing, response.url)
            if following and allowed_url(plan, following):
                yield from some(self.page_request(plan, following, depth))
        if depth < plan.max_depth:
            for link in self.links[plan.source_id].extract_links(response):
                if allowed_url(plan, link.url):
                    yield from some(self.page_request(plan, link.url, depth + 1))

    def _next_numbered_page(self, plan: SourcePlan, response: Response, observations: list[Observation],
                            content_hash: str | None) -> Iterator[scrapy.Request]:
        """page_param: page N+1 while page N brought items not seen on the pages before it."""
        page = response.meta.get("dossier_page")
        if not plan.page_param or page is None:
            return
        keys = set().union(*(o.item_keys() for o in observations))
        if not keys and self.frontier.had_items(plan.source_id):
            log.info("%s: %s has no items: the listing ends there", plan.competitor_slug, response.url)
            return
        keys = keys or {f"body:{content_hash}"}  # a listing whose pages hold no items we read: pages must differ
        asked = asked_url(response)
        if not self.frontier.brings_new_items(plan.source_id, canonical_url(asked), keys):
            log.info("%s: %s brought no new items: the listing ends there", plan.competitor_slug, response.url)
            return
        following = add_or_replace_parameter(asked, plan.page_param, str(page + 1))
        yield from some(self.page_request(plan, following, response.meta["dossier_depth"], page=page + 1))

    def on_error(self, failure) -> Iterator[Observation]:
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        info = describe_failure(failure, self.timeout, plan.wait_for, self.settings.getint("DOWNLOAD_MAXSIZE"))
        if (again := self.render_failed_directly(plan, request, info)) is not None:
            yield again  # render: auto, the browser failed: the page is asked for statically
            return
        log.info("%s: %s failed: %s", plan.competitor_slug, request.url, info.error)
        if request.meta.get("dossier_aside"):  # the source's own reading stands; its report says what is missing
            self.reports[plan.source_id].warnings.append(
                first_line(f"{request.url} (read beside the source's pages) failed: {info.error}")[:MAX_ERROR])
        for url, hop in redirect_hops(request, info.error, info.outcome):
            yield FetchRecord(plan, url, hop)
        yield FetchRecord(plan, request.url, info)


def document_of(response: Response) -> Document:
    """The page parsed once, shared by the challenge check and the source kind's extractors."""
    if isinstance(response, TextResponse):  # Scrapy's decoding, unless the declared charset plainly lies
        text = decode_html(response.body, decoded=(response.encoding, response.text))
    else:
        text = response.body.decode("utf-8", "replace")
    return Document(text, response.url, response_headers(response), response.body)


def _extraction_bug(plan: SourcePlan, response: Response, exc: Exception) -> Observation:
    """The fetch row of a page an extractor failed on (a bug of ours, not the page's fault): a failed fetch, so that
    the diff calls none of the page's products or facts removed; the traceback goes to the crawl's log."""
    log.error("%s: extracting %s failed on a bug", plan.competitor_slug, response.url, exc_info=exc)
    error = (f"extracting the page failed on a bug ({type(exc).__name__}: {first_line(str(exc))}); its traceback "
             "is in the crawl's log: please report it")
    return FetchRecord(plan, response.url, fetched(response, error[:MAX_ERROR], FetchOutcome.EXTRACTION_FAILED))


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

