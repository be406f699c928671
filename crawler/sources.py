"""Source kinds: what a crawl extracts from a page of each kind and which links it follows. One registry."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from extractors import (
    Document, audit_page, detect_technologies, extract_ads, extract_articles, extract_contacts, extract_jobs,
    extract_page, extract_products, extract_reviews,
)

log = logging.getLogger(__name__)


RENDERING = frozenset({"js", "auto"})  # the renders that need Chromium


@dataclass(frozen=True, slots=True)
class SourcePlan:
    """One configured source, resolved against the defaults: everything the spider needs to crawl it."""

    source_id: int
    competitor_id: int
    competitor_slug: str
    kind: str
    url: str
    max_pages: int
    max_depth: int
    render: str = "static"
    wait_for: str | None = None
    sitemap: bool = False
    follow: str | None = None
    deny: str | None = None
    paginate: str | None = None
    page_param: str | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    fmt: str | None = None
    obey_robots: bool = True
    allow_private: bool = False
    allow_domains: tuple[str, ...] = ()
    # render: auto, what the source's URL patterns showed on the nights before: {pattern: counts}
    # (crawler/render_auto.py; loaded from storage when the crawl starts)
    render_patterns: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # said in the source's report when its crawl starts (e.g. no browser for auto)

    @property
    def may_render(self) -> bool:
        """Some of its pages may be rendered in Chromium: render js, or auto."""
        return self.render in RENDERING

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def platform(self) -> str:
        """The review or ad platform this source reads: its host (with port, so fixtures stay apart)."""
        return urlsplit(self.url).netloc


@dataclass(frozen=True, slots=True)
class Observation:
    """What a page gave, on its way to the storage pipeline. `what` names the writer's method."""

    what: str  # fetch | page | audit | technologies | contacts | articles | products | reviews | ads | jobs
    plan: SourcePlan
    url: str
    payload: Any = None


def text_hash(text: str | None) -> str | None:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest() if text else None


# A little of what the extractors read: a title, a heading, prose, a price, a date, a phone number, a script.
WARM_UP_PAGE = (b"<!doctype html><html lang='en'><head><title>Warm-up</title><script src='/app.js'></script></head>"
                b"<body><h1>Warm-up</h1><p>Delivered on 3 March 2024 for 1 299,00 \xe2\x82\xbd. Call +49 30 1234567."
                b"</p></body></html>")


class SourceKind:
    """A kind of source: `extract` turns a page into observations; the flags say which links to follow."""

    follows_site_links: ClassVar[bool] = False  # every same-host link (site), else only `follow` matches
    html: ClassVar[bool] = True
    audits: ClassVar[bool] = False  # a site audit: robots.txt and sitemap read, each page's SEO basics stored
    # a listing (products, reviews, jobs): without `paginate` or `page_param`, the page's own "next page" link is
    # followed (extractors/pagination.py: rel=next, the platform's pagination, a "Next" link in a pager)
    paginates: ClassVar[bool] = False

    def extract(self, plan: SourcePlan, document: Document, headers: dict[str, str]) -> Iterator[Observation]:
        raise NotImplementedError

    def prepare(self, plan: SourcePlan) -> None:
        """Extract a small page once, before the crawl: what the extractors build on first use (the technology
        fingerprints, the main-text extractor's stop lists: about a second for a site) is built then, not in the
        crawl's event loop on its first page, where it would hold back the timers of every download in flight
        (a too-slow answer could pass for a timely one)."""
        for _ in self.extract(plan, Document.from_body(WARM_UP_PAGE, plan.url), {}):
            pass


class SiteKind(SourceKind):
    follows_site_links = True
    audits = True

    def extract(self, plan, document, headers):
        facts = extract_page(document, document.url)
        yield Observation("page", plan, document.url, (facts, text_hash(facts.main_text)))
        yield Observation("audit", plan, document.url, audit_page(document, document.url))
        technologies = detect_technologies(document, document.url, headers)
        if technologies:
            yield Observation("technologies", plan, document.url, technologies)
        channels = extract_contacts(document, document.url, technologies).entries()
        if channels:
            yield Observation("contacts", plan, document.url, channels)
        articles = extract_articles(document, document.url)
        if articles:
            yield Observation("articles", plan, document.url, articles)


class CatalogKind(SourceKind):
    paginates = True

    def extract(self, plan, document, headers):
        selectors = dict(plan.selectors)
        products = extract_products(document, document.url, selectors or None)
        if products:
            yield Observation("products", plan, document.url, products)


class ReviewsKind(SourceKind):
    paginates = True

    def extract(self, plan, document, headers):
        page = extract_reviews(document, document.url, plan.selectors or None)
        if page.reviews or page.aggregate_rating is not None:
            yield Observation("reviews", plan, document.url, page)


class AdsKind(SourceKind):
    html = False

    def extract(self, plan, document, headers):
        ads = extract_ads(document.text, document.url, plan.fmt or "")
        yield Observation("ads", plan, document.url, ads)


class JobsKind(SourceKind):
    paginates = True

    def extract(self, plan, document, headers):
        jobs = extract_jobs(document, document.url)
        if jobs:
            yield Observation("jobs", plan, document.url, jobs)


def item_keys(observation: Observation) -> set[str]:
    """The identities of the items an observation holds (products, reviews, ads, jobs): a listing page that
    brings none beyond those of the pages before it is the end of the listing (page_param)."""
    payload = observation.payload
    if observation.what == "products":
        return {f"product:{p.key or p.name}" for p in payload}
    if observation.what == "reviews":
        return {f"review:{r.id}" for r in payload.reviews}
    if observation.what == "ads":
        return {f"ad:{a.id}" for a in payload}
    if observation.what == "jobs":
        return {f"job:{j.key}" for j in payload}
    return set()


# Adding a source kind is one class above and one line here.
SOURCE_KINDS: dict[str, SourceKind] = {
    "site": SiteKind(),
    "catalog": CatalogKind(),
    "marketplace": CatalogKind(),
    "reviews": ReviewsKind(),
    "ads": AdsKind(),
    "jobs": JobsKind(),
}
AUDITED_KINDS = frozenset(name for name, kind in SOURCE_KINDS.items() if kind.audits)


def build_plans(sources: list[Any], defaults: Any) -> list[SourcePlan]:
    """SourcePlans from stored SourceRefs (ids) and the config's defaults."""
    plans = []
    for ref in sources:
        if ref.kind not in SOURCE_KINDS:  # a newsletter is read from its mailbox (crawler/newsletters.py)
            continue
        config = ref.config
        selectors = dict(config.get("selectors") or {})
        for key in ("currency", "decimal_separator"):
            if config.get(key):
                selectors.setdefault(key, config[key])
        plans.append(SourcePlan(
            source_id=ref.source_id, competitor_id=ref.competitor_id, competitor_slug=ref.competitor_slug,
            kind=ref.kind, url=ref.url,
            max_pages=config.get("max_pages") or defaults.max_pages,
            max_depth=config["max_depth"] if config.get("max_depth") is not None else defaults.max_depth,
            render=config.get("render") or defaults.render, wait_for=config.get("wait_for"),
            sitemap=bool(config.get("sitemap")), follow=config.get("follow"), deny=config.get("deny"),
            paginate=config.get("paginate"), page_param=config.get("page_param"), selectors=selectors,
            fmt=config.get("format"),
            obey_robots=config["obey_robots"] if config.get("obey_robots") is not None else defaults.obey_robots,
            allow_private=bool(config.get("allow_private")),
            allow_domains=tuple(config.get("allow_domains") or ()),
        ))
    return plans
