"""Source kinds: what a crawl extracts from a page of each kind and which links it follows. One registry."""
from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawler.observations import (
    AdsRead, ArticlesRead, ContactsSeen, JobsRead, MentionsRead, Observation, PageAudited, PageRead, ProductsRead,
    ReviewsRead, SocialRead, TechnologiesSeen, TendersRead,
)
from extractors import (
    Document, audit_page, detect_technologies, extract_ads, extract_articles, extract_contacts, extract_jobs,
    extract_page, extract_products, extract_reviews, mentions, parse_feed, parse_tenders, read_channel, ted_search_body,
    tenders,
    youtube_channel, youtube_channel_address,
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
    selectors: dict[str, str] = field(default_factory=dict)  # selectors only (its options are the two below)
    currency: str | None = None  # ISO 4217 assumed when a price shows none
    decimal_separator: str | None = None  # "," or "." for amounts that could be read either way
    fmt: str | None = None
    obey_robots: bool = True
    allow_private: bool = False
    allow_domains: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # kind: mentions, the names an item must name (dossier.config fills them in)
    domains: tuple[str, ...] = ()  # kind: mentions, the competitor's domains an item may link to or name
    legal_names: tuple[str, ...] = ()  # kind: tenders, the names a notice's bidder or winner may go by
    tax_ids: tuple[str, ...] = ()  # kind: tenders, the tax ids (INN, VAT…) a notice's bidder or winner may have
    network: str | None = None  # kind: social, the channel's network (telegram, youtube, vk)
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


def text_hash(text: str | None) -> str | None:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest() if text else None


# A little of what the extractors read: a title, a heading, prose, a price, a date, a phone number, a script.
WARM_UP_PAGE = (b"<!doctype html><html lang='en'><head><title>Warm-up</title><script src='/app.js'></script></head>"
                b"<body><h1>Warm-up</h1><p>Delivered on 3 March 2024 for 1 299,00 \xe2\x82\xbd. Call +49 30 1234567."
                b"</p></body></html>")


class Unreadable(Exception):
    """The page is not what its source kind reads (a feed URL answering an HTML page): its fetch fails with this
    one line, naming the URL and the fix, and nothing of it is stored."""


class NotRead(Exception):
    """A page read beside the source's own (a YouTube feed's channel page, for the subscriber count the feed does
    not show) could not be read (a consent wall, a layout not known): this one line is a warning in the source's
    report, its fetch is kept as answered, nothing of it is stored; the source's own reading stands."""


class MissingSecret(Exception):
    """A source needs a secret from the environment that is not set (a VK source's DOSSIER_VK_TOKEN): it fails alone
    with this one line, naming the variable and how to get its value; nothing is requested for it."""


VK_TOKEN_ENV = "DOSSIER_VK_TOKEN"  # the VK API's access token (a VK app's service key), for kind: social on VK


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

    def asides(self, plan: SourcePlan, observations: list[Observation]) -> list[str]:
        """Pages to read beside a page of the source, from what it showed (a YouTube feed's channel page): asked
        for once each, and read by `read_aside`."""
        return []

    def read_aside(self, plan: SourcePlan, document: Document, headers: dict[str, str]) -> Iterator[Observation]:
        """A page asked for by `asides`: its observations, or NotRead (a warning, not a failed fetch)."""
        raise NotRead(f"{document.url}: nothing is read beside a {plan.kind} source's pages")

    def post_body(self, plan: SourcePlan, url: str) -> bytes | None:
        """The JSON body to POST to `url` instead of a GET (an API that searches by POST), or None."""
        return None

    def request_headers(self, plan: SourcePlan) -> dict[str, str]:
        """Headers every request of the source carries (an API's credentials, read from the environment when the
        request is made: never stored, logged or reported). MissingSecret when one the source needs is unset."""
        return {}

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
        yield PageRead(plan, document.url, facts, text_hash(facts.main_text))
        yield PageAudited(plan, document.url, audit_page(document, document.url))
        technologies = detect_technologies(document, document.url, headers)
        if technologies:
            yield TechnologiesSeen(plan, document.url, technologies)
        channels = extract_contacts(document, document.url, technologies).entries()
        if channels:
            yield ContactsSeen(plan, document.url, channels)
        articles = extract_articles(document, document.url)
        if articles:
            yield ArticlesRead(plan, document.url, articles)


class CatalogKind(SourceKind):
    paginates = True

    def extract(self, plan, document, headers):
        products = extract_products(document, document.url, plan.selectors or None, currency=plan.currency,
                                    decimal_separator=plan.decimal_separator)
        if products:
            yield ProductsRead(plan, document.url, products)


class ReviewsKind(SourceKind):
    paginates = True

    def extract(self, plan, document, headers):
        page = extract_reviews(document, document.url, plan.selectors or None)
        if page.reviews or page.aggregate_rating is not None:
            yield ReviewsRead(plan, document.url, page)


class AdsKind(SourceKind):
    html = False

    def extract(self, plan, document, headers):
        ads = extract_ads(document.text, document.url, plan.fmt or "")
        yield AdsRead(plan, document.url, ads)


class JobsKind(SourceKind):
    paginates = True

    def extract(self, plan, document, headers):
        jobs = extract_jobs(document, document.url)
        if jobs:
            yield JobsRead(plan, document.url, jobs)


class MentionsKind(SourceKind):
    """An RSS or Atom feed the user subscribes to: its items that name the competitor or link to its domains."""

    html = False

    def extract(self, plan, document, headers):
        body = document.body if document.body is not None else document.text.encode("utf-8")
        feed = parse_feed(body, document.url)
        if feed.error:
            raise Unreadable(feed.error)
        yield MentionsRead(plan, document.url, mentions(feed.items, plan.names, plan.domains))

    def prepare(self, plan):
        pass  # nothing to warm up: feedparser builds nothing on first use that a crawl would wait for


class TendersKind(SourceKind):
    """A procurement search or export (TED API v3, EIS 44-FZ): its notices naming the competitor as bidder or winner."""

    html = False

    def extract(self, plan, document, headers):
        body = document.body if document.body is not None else document.text.encode("utf-8")
        answer = parse_tenders(body, document.url, plan.fmt or "")
        if answer.error:
            raise Unreadable(answer.error)
        yield TendersRead(plan, document.url, tenders(answer.notices, plan.legal_names, plan.tax_ids))

    def post_body(self, plan, url):
        """TED's v3 search is a POST of the query, fields and limit the source's URL carries as parameters."""
        return ted_search_body(url) if plan.fmt == "ted" and url == plan.url else None

    def prepare(self, plan):
        pass  # nothing to warm up: json and lxml build nothing on first use that a crawl would wait for


class SocialKind(SourceKind):
    """A public social channel (a Telegram channel's web preview, a YouTube channel's feed, a VK community's wall
    through the VK API): its audience and posts. A page that is no such channel (an unknown channel, another page,
    an API error) is Unreadable: nothing stored. A YouTube feed shows no subscriber count: its channel page is read
    beside it for that (a page that cannot be read leaves the count unknown, with a warning)."""

    html = False

    def extract(self, plan, document, headers):
        body = document.body if document.body is not None else document.text.encode("utf-8")
        page = read_channel(plan.network or "", body, document.url)
        if page.error or page.snapshot is None:
            raise Unreadable(_without_secrets(page.error or f"{document.url}: no channel read"))
        yield SocialRead(plan, document.url, page.snapshot, page.posts)

    def asides(self, plan, observations):
        """A YouTube channel's page, beside its feed on the feed's host, for its subscriber count."""
        if plan.network != "youtube":
            return []
        return [youtube_channel_address(o.url, o.snapshot.channel) for o in observations
                if isinstance(o, SocialRead) and o.snapshot.subscribers is None]

    def read_aside(self, plan, document, headers):
        """A YouTube channel's page: its subscriber count, stored into the snapshot its feed's reading made."""
        body = document.body if document.body is not None else document.text.encode("utf-8")
        page = youtube_channel(body, document.url)
        if page.error or page.snapshot is None:
            raise NotRead(page.error or f"{document.url}: no channel read")
        if page.snapshot.subscribers is None:
            raise NotRead(f"{document.url} shows no subscriber count (the channel hides it, or its page is in a "
                          "layout Dossier does not read): the channel's audience is unknown tonight")
        yield SocialRead(plan, document.url, page.snapshot, [])

    def request_headers(self, plan):
        """A VK community is read through the VK API, its access token sent as `Authorization: Bearer`."""
        if plan.network != "vk":
            return {}
        return {"Authorization": f"Bearer {_vk_token()}"}

    def prepare(self, plan):
        pass  # nothing to warm up: lxml builds nothing on first use that a crawl would wait for


def _vk_token() -> str:
    token = os.environ.get(VK_TOKEN_ENV, "").strip()
    if not token:
        raise MissingSecret(f"{VK_TOKEN_ENV} is not set: a VK community is read through the VK API, which needs an "
                            "access token; create a VK app (https://dev.vk.com), copy its service key (Settings, "
                            f"\"Service token\") and set {VK_TOKEN_ENV} to it in the environment of the run")
    return token


def _without_secrets(line: str) -> str:
    """A line for the fetch row, the log and the report, with no secret of the environment in it (an API could
    echo the token it was given)."""
    token = os.environ.get(VK_TOKEN_ENV, "").strip()
    return line.replace(token, f"${VK_TOKEN_ENV}") if token else line


def request_options(plan: SourcePlan, url: str) -> dict[str, Any]:
    """The method, body and headers of a request for `url` of the source, as scrapy.Request takes them: a GET with
    the kind's headers (an API's token, read from the environment now), or the POST its kind asks for (TED's
    search). MissingSecret when a secret the source needs is unset."""
    kind = SOURCE_KINDS.get(plan.kind)
    if kind is None:  # a newsletter is read from its mailbox, not requested
        return {}
    headers = kind.request_headers(plan)
    body = kind.post_body(plan, url)
    if body is None:
        return {"headers": headers or None}
    return {"method": "POST", "body": body, "headers": {**headers, "Content-Type": "application/json"}}


# Adding a source kind is one class above and one line here.
SOURCE_KINDS: dict[str, SourceKind] = {
    "site": SiteKind(),
    "catalog": CatalogKind(),
    "marketplace": CatalogKind(),
    "reviews": ReviewsKind(),
    "ads": AdsKind(),
    "jobs": JobsKind(),
    "mentions": MentionsKind(),
    "tenders": TendersKind(),
    "social": SocialKind(),
}
AUDITED_KINDS = frozenset(name for name, kind in SOURCE_KINDS.items() if kind.audits)


def build_plans(sources: list[Any], defaults: Any) -> list[SourcePlan]:
    """SourcePlans from ordered sources (crawler.order.OrderedSource: the stored ids and the validated Source),
    each setting the source's own or, where it has none, the config's default (dossier.config.Source.setting)."""
    plans = []
    for ordered in sources:
        source = ordered.source
        if source.kind not in SOURCE_KINDS:  # a newsletter is read from its mailbox (crawler/newsletters.py)
            continue
        plans.append(SourcePlan(
            source_id=ordered.source_id, competitor_id=ordered.competitor_id,
            competitor_slug=ordered.competitor_slug, kind=source.kind, url=source.url,
            max_pages=source.setting("max_pages", defaults), max_depth=source.setting("max_depth", defaults),
            render=source.setting("render", defaults), wait_for=source.wait_for, sitemap=source.sitemap,
            follow=source.follow, deny=source.deny, paginate=source.paginate, page_param=source.page_param,
            selectors=dict(source.selectors or {}), currency=source.currency,
            decimal_separator=source.decimal_separator, fmt=source.format,
            obey_robots=source.setting("obey_robots", defaults),
            allow_private=source.allow_private, allow_domains=tuple(source.allow_domains),
            names=tuple(source.names or ()), domains=tuple(source.domains),
            legal_names=tuple(source.legal_names), tax_ids=tuple(source.tax_ids), network=source.network,
        ))
    return plans
