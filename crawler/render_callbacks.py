"""The spider's side of render: auto (the decisions are crawler/render_auto.py): the browser's meta of a rendered
request, the second, rendered reading of a page read incomplete, and its callbacks.

A page of an auto source is read once, as one page: its static response is held back (its body travels in the
rendered request's meta) until the rendered one is in; then the better of the two is read: its observations, its
one fetch row, its links. The rendered request is no new page: no claim on the frontier, no budget, no fetch row of
its own. When the browser fails, the static reading is the page's.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy_playwright.page import PageMethod

from crawler.accounting import FetchInfo, describe_failure, fetched
from crawler.blocked import blocking_challenge
from crawler.callbacks import asked_url
from crawler.render_auto import DOM_QUIET_MAX_SECONDS, DOM_QUIET_MS, DOM_QUIET_SCRIPT, RenderMemory, \
    incomplete, rendering_adds, runs_scripts, url_pattern
from crawler.observations import Observation
from crawler.sources import SOURCE_KINDS, SourcePlan
from dossier.urls import canonical_url
from extractors import Document

if TYPE_CHECKING:
    from crawler.source_report import SourceReport

log = logging.getLogger("crawler.spider")  # the spider's own lines (as crawler/discovery_callbacks.py's)

STATIC = "dossier_static"  # meta of a rendered request: the static response it may stand in for
PATTERN = "dossier_pattern"  # meta: the URL pattern the page counts for
NO_RENDER = "dossier_no_render"  # meta: read statically, whatever the pattern says (its rendering failed)
STATS = "dossier/render/"  # Scrapy stats: sampled, gained, direct, failed (crawl_run.stats["crawl"])


def browser_waits(wait_for: str | None, timeout: float) -> list[PageMethod]:
    """What a rendered page is read after: the source's wait_for, else the network idle and then the page's DOM
    quiet (a price a script writes after a timer or a fetch is read without a wait_for). Shared by the crawl and
    the commands that fetch a page on demand (crawler/fetcher.py)."""
    timeout_ms = timeout * 1000
    if wait_for:  # attached, not visible: a price in a hidden element or a JSON-LD block is data all the same
        return [PageMethod("wait_for_selector", wait_for, state="attached", timeout=timeout_ms)]
    quiet = {"quiet": DOM_QUIET_MS, "max": min(timeout_ms, DOM_QUIET_MAX_SECONDS * 1000)}
    return [PageMethod("wait_for_load_state", "networkidle", timeout=timeout_ms),
            PageMethod("evaluate", DOM_QUIET_SCRIPT, quiet)]


class AutoRender:
    """Mixed into the spider (crawler/spider.py), whose plans, reports, crawler, timeout and page reading it uses."""

    plans: dict[int, SourcePlan]
    reports: dict[int, SourceReport]
    crawler: Any
    timeout: float
    render_memory: dict[int, RenderMemory]
    read_page: Callable[..., Iterator[Any]]
    store_page: Callable[..., Iterator[Any]]
    document_of: Callable[[Response], Document]

    def browser_meta(self, plan: SourcePlan) -> dict[str, Any]:
        """The meta that sends a request of the source through Chromium (browser_waits)."""
        return {"playwright": True, "playwright_context": plan.competitor_slug,
                "playwright_page_methods": browser_waits(plan.wait_for, self.timeout)}

    def renders_directly(self, plan: SourcePlan, request: scrapy.Request) -> bool:
        """An auto source's page whose pattern is rendered directly: the request goes to the browser at once."""
        if plan.render != "auto" or not SOURCE_KINDS[plan.kind].html:
            return False
        pattern = url_pattern(request.url)
        request.meta[PATTERN] = pattern
        if not self.render_memory[plan.source_id].stats(pattern).render_directly():
            return False
        request.meta.update(self.browser_meta(plan))
        self._count(plan, "direct")
        return True

    def render_request(self, plan: SourcePlan, response: Response, document: Document,
                       observations: list[Observation]) -> scrapy.Request | None:
        """After an auto source's static reading: the same page in the browser, when its read is incomplete, it
        runs scripts and its pattern's samples say rendering may add; else None (the static reading stands)."""
        kind = SOURCE_KINDS[plan.kind]
        if plan.render != "auto" or not kind.html or response.meta.get(NO_RENDER):
            return None
        pattern = response.meta.get(PATTERN) or url_pattern(asked_url(response))
        stats = self.render_memory[plan.source_id].stats(pattern)
        if "playwright" in response.flags:  # rendered directly: a read of nothing sends the pattern back to sampling
            stats.after_render(gained=False, complete=not incomplete(plan.kind, observations), direct=True)
            return None
        complete = not incomplete(plan.kind, observations)
        if not complete and not runs_scripts(document):
            return None  # nothing a browser could add
        if not stats.after_static(complete):
            return None
        self._count(plan, "sampled")
        meta = {key: response.meta[key] for key in ("dossier_source_id", "dossier_depth", "dossier_page",
                                                     "dont_obey_robotstxt") if key in response.meta}
        static = {"url": response.url, "asked": response.request.url, "status": response.status,
                  "headers": dict(response.headers.to_unicode_dict()), "body": response.body,
                  "redirect_urls": list(response.meta.get("redirect_urls") or []),
                  "redirect_reasons": list(response.meta.get("redirect_reasons") or []),
                  "latency": response.meta.get("download_latency")}
        meta.update(self.browser_meta(plan), **{STATIC: static, PATTERN: pattern})
        return scrapy.Request(response.url, callback=self.parse_rendered, errback=self.on_render_error, meta=meta,
                              dont_filter=True)

    def parse_rendered(self, response: Response) -> Iterator[Any]:
        plan = self.plans[response.meta["dossier_source_id"]]
        static = _static_response(response.request)
        kind = SOURCE_KINDS[plan.kind]
        stats = self.render_memory[plan.source_id].stats(response.meta[PATTERN])
        rendered = self._rendered_reading(plan, response, static)
        if rendered is not None:
            document, observations = rendered
            static_document = self.document_of(static)
            static_observations = list(kind.extract(plan, static_document, static_document.headers))
            gained = rendering_adds(plan.kind, static_observations, observations)
            stats.after_render(gained, complete=not incomplete(plan.kind, observations))
            if gained:
                self._count(plan, "gained")
                # one fetch row, the page's: its status as served, its latency both readings, the rendered body
                info = fetched(response)
                latency = response.request.meta[STATIC]["latency"]
                if info.elapsed_ms is not None and latency is not None:
                    info = replace(info, elapsed_ms=info.elapsed_ms + int(latency * 1000))
                yield from self.store_page(plan, response, document, observations, info,
                                           static.meta.get("redirect_urls") or [])
                return
        yield from self.read_page(plan, static, render=False)

    def _rendered_reading(self, plan: SourcePlan, response: Response,
                          static: Response) -> tuple[Document, list[Observation]] | None:
        """The rendered page's document and observations, or None when the static reading must stand: the browser
        moved to another page, the page was too large, a challenge answered, or an extractor failed."""
        max_bytes = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        why = None
        if canonical_url(response.url) != canonical_url(static.url):
            why = f"the browser moved on to {response.url}"
        elif not isinstance(response, TextResponse):
            why = "not a text page"
        elif max_bytes and len(response.body) > max_bytes:
            why = f"rendered page larger than max_bytes ({max_bytes} bytes)"
        if why is None:
            document = self.document_of(response)
            kind = SOURCE_KINDS[plan.kind]
            try:
                challenge, observations = blocking_challenge(kind, plan, document)
                if challenge is None and observations is None:
                    observations = list(kind.extract(plan, document, document.headers))
            except Exception as exc:  # an extractor's bug: the static reading stands; the traceback is logged
                log.error("%s: extracting the rendered %s failed on a bug", plan.competitor_slug, response.url,
                          exc_info=exc)
                why = f"extracting the rendered page failed on a bug ({type(exc).__name__})"
            else:
                if challenge is None:
                    return document, observations
                why = f"blocked: {challenge.describe()}"
        log.info("%s: %s: the rendered page is not read (%s): read statically", plan.competitor_slug, response.url,
                 why)
        return None

    def on_render_error(self, failure) -> Iterator[Any]:
        """The browser failed on a page read statically already: the static reading is the page's."""
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        info = describe_failure(failure, self.timeout, plan.wait_for)
        log.info("%s: rendering %s failed (%s): read statically", plan.competitor_slug, request.url, info.error)
        self._count(plan, "failed")
        yield from self.read_page(plan, _static_response(request), render=False)

    def render_failed_directly(self, plan: SourcePlan, request: scrapy.Request,
                               info: FetchInfo) -> scrapy.Request | None:
        """An auto source's page rendered directly failed in the browser: its pattern goes back to sampling, and the
        page is asked for again statically (the same page: no new claim)."""
        if plan.render != "auto" or not request.meta.get("playwright"):
            return None
        self.render_memory[plan.source_id].stats(request.meta[PATTERN]).after_render(
            gained=False, complete=False, direct=True)
        self._count(plan, "failed")
        log.info("%s: rendering %s failed (%s): asked for statically", plan.competitor_slug, request.url, info.error)
        meta = {key: value for key, value in request.meta.items()
                if key.startswith("dossier_") or key == "dont_obey_robotstxt"}
        meta[NO_RENDER] = True
        return request.replace(meta=meta)

    def _count(self, plan: SourcePlan, what: str) -> None:
        self.crawler.stats.inc_value(STATS + what)
        report = self.reports[plan.source_id]
        if what in ("sampled", "direct"):
            report.rendered += 1
        elif what == "gained":
            report.render_gained += 1


def _static_response(request: scrapy.Request) -> Response:
    """The static response a rendered request carries, as it was answered (URL, status, headers, body, redirects)."""
    static = request.meta[STATIC]
    meta = {key: value for key, value in request.meta.items()
            if key in ("dossier_source_id", "dossier_depth", "dossier_page", PATTERN)}
    meta.update({NO_RENDER: True, "download_latency": static["latency"]})
    if static["redirect_urls"]:
        meta.update(redirect_urls=static["redirect_urls"], redirect_reasons=static["redirect_reasons"])
    asked = scrapy.Request(static["asked"], meta=meta, dont_filter=True)
    return HtmlResponse(static["url"], status=static["status"], headers=static["headers"], body=static["body"],
                        request=asked)
