"""What every extractor reads on one fetched page, with where each product value came from: the substance of
`dossier try`, and of the verdicts of `dossier check` and the samples of `dossier add`. Pure: a Fetched in, a
PageReading out."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crawler.fetcher import Fetched
from crawler.observations import (
    AdsRead, JobsRead, MentionsRead, PageRead, ProductsRead, ReviewsRead, SocialRead, TendersRead,
)
from crawler.render_auto import incomplete
from dossier.outcomes import FetchOutcome
from extractors import (
    ContactChannels, PageFacts, Product, ReviewPage, Technology, detect_technologies, extract_contacts, extract_jobs,
    extract_page, extract_products, extract_reviews,
)
from extractors.challenge import challenge_page
from extractors.pagination import next_page
from extractors.proposals import propose_selectors, shown_prices
from extractors.provenance import confidence, label, product_origins
from extractors.records import JobPosting


@dataclass(frozen=True, slots=True)
class ProductReading:
    product: Product
    origins: dict[str, str]  # field -> origin (extractors/provenance.py)
    confidence: float | None


@dataclass(frozen=True, slots=True)
class PageReading:
    fetched: Fetched
    products: list[ProductReading] = field(default_factory=list)
    reviews: ReviewPage = field(default_factory=ReviewPage)
    facts: PageFacts = field(default_factory=PageFacts)
    technologies: list[Technology] = field(default_factory=list)
    contacts: ContactChannels = field(default_factory=ContactChannels)
    jobs: list[JobPosting] = field(default_factory=list)
    next_page: str | None = None
    prices_shown: int = 0  # short texts on the page that read as an amount with a currency
    proposal: dict[str, str] | None = None  # selectors reading the shown prices, when no rule read any
    challenge: str | None = None  # a captcha or bot wall answered instead of the page

    @property
    def priced(self) -> list[ProductReading]:
        return [p for p in self.products if p.product.price is not None]

    @property
    def prices_unread(self) -> bool:
        """The page shows prices, and no product price was read."""
        return self.prices_shown > 0 and not self.priced


def read_page(fetched: Fetched, selectors: dict[str, str] | None = None, currency: str | None = None,
              decimal_separator: str | None = None) -> PageReading:
    document = fetched.document()
    if document is None:
        return PageReading(fetched)
    challenge = challenge_page(document, document.url)
    if challenge is not None:
        return PageReading(fetched, challenge=challenge.describe())
    url = document.url
    products = extract_products(document, url, selectors, currency=currency, decimal_separator=decimal_separator)
    technologies = detect_technologies(document, url, document.headers)
    readings = [ProductReading(p, product_origins(document, url, p, selectors), confidence(p)) for p in products]
    shown = len(shown_prices(document))
    priced = any(p.price is not None for p in products)
    return PageReading(
        fetched, products=readings, reviews=extract_reviews(document, url, selectors), facts=extract_page(document, url),
        technologies=technologies, contacts=extract_contacts(document, url, technologies),
        jobs=extract_jobs(document, url), next_page=next_page(document, url), prices_shown=shown,
        proposal=propose_selectors(document, url) if shown and not priced else None)


def rendering_changes(static: PageReading, rendered: PageReading) -> list[str]:
    """What the page read in Chromium has that the static page lacks (or the other way round), one line each;
    empty when rendering changed nothing that was read."""
    lines = []
    static_prices, rendered_prices = _prices(static), _prices(rendered)
    if rendered_prices != static_prices:
        gained = len(rendered_prices - static_prices)
        lost = len(static_prices - rendered_prices)
        parts = ([f"{gained} price{'s' if gained != 1 else ''} only in the rendered page"] if gained else []) + \
                ([f"{lost} only in the static page"] if lost else [])
        lines.append("products: " + ", ".join(parts))
    if len(rendered.reviews.reviews) != len(static.reviews.reviews):
        lines.append(f"reviews: {len(static.reviews.reviews)} static, {len(rendered.reviews.reviews)} rendered")
    if rendered.reviews.aggregate_rating != static.reviews.aggregate_rating:
        lines.append(f"rating: {static.reviews.aggregate_rating} static, {rendered.reviews.aggregate_rating} rendered")
    if len(rendered.jobs) != len(static.jobs):
        lines.append(f"jobs: {len(static.jobs)} static, {len(rendered.jobs)} rendered")
    if (rendered.facts.h1 or "") != (static.facts.h1 or ""):
        lines.append(f"h1: {static.facts.h1!r} static, {rendered.facts.h1!r} rendered")
    static_text, rendered_text = len(static.facts.main_text or ""), len(rendered.facts.main_text or "")
    if rendered_text > 2 * static_text + 200 or static_text > 2 * rendered_text + 200:
        lines.append(f"main text: {static_text} characters static, {rendered_text} rendered")
    return lines


def _prices(reading: PageReading) -> set[tuple[str, Decimal | None]]:
    return {((p.product.name or "").casefold(), p.product.price) for p in reading.priced}


def reading_json(reading: PageReading) -> dict[str, Any]:
    """The reading as `dossier try --json` prints it (docs/cli.md)."""
    fetched = reading.fetched
    return {
        "url": fetched.url, "final_url": fetched.final_url, "status": fetched.status, "error": fetched.error,
        "rendered": fetched.rendered, "seconds": round(fetched.seconds, 3), "challenge": reading.challenge,
        "products": [_product_json(p) for p in reading.products],
        "prices_shown": reading.prices_shown, "prices_unread": reading.prices_unread,
        "proposed_selectors": reading.proposal,
        "reviews": {
            "aggregate_rating": reading.reviews.aggregate_rating, "review_count": reading.reviews.review_count,
            "reviews": [{"id": r.id, "author": r.author, "rating": r.rating, "title": r.title,
                         "published": r.published.isoformat() if r.published else None,
                         "text": (r.text or "")[:300] or None} for r in reading.reviews.reviews]},
        "page": {"title": reading.facts.title, "h1": reading.facts.h1, "description": reading.facts.description,
                 "lang": reading.facts.lang, "canonical": reading.facts.canonical,
                 "headings": reading.facts.headings[:20], "main_text_chars": len(reading.facts.main_text or "")},
        "technologies": [{"name": t.name, "categories": t.categories, "version": t.version}
                         for t in reading.technologies],
        "contacts": [{"kind": kind, "value": value, "label": name} for kind, value, name in reading.contacts.entries()],
        "jobs": [{"title": j.title, "url": j.url, "location": j.location,
                  "posted": j.posted.isoformat() if j.posted else None} for j in reading.jobs],
        "next_page": reading.next_page,
    }


def _product_json(reading: ProductReading) -> dict[str, Any]:
    product = reading.product
    fields = {}
    for name, origin in reading.origins.items():
        value = getattr(product, name)
        fields[name] = {"value": str(value) if isinstance(value, Decimal) else value, "origin": origin,
                        "origin_label": label(origin)}
    return {"name": product.name, "price": str(product.price) if product.price is not None else None,
            "old_price": str(product.old_price) if product.old_price is not None else None,
            "currency": product.currency, "availability": product.availability, "sku": product.sku,
            "gtin": product.gtin, "mpn": product.mpn, "url": product.url, "price_source": product.price_source,
            "confidence": reading.confidence, "fields": fields}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a source's start page reads, as `dossier check` tells it: `status` is one of reads, nothing, blocked,
    needs_js, unreachable."""

    status: str
    line: str
    rendered: bool = False
    proposal: dict[str, str] | None = None

    @property
    def reads(self) -> bool:
        return self.status == "reads"


BLOCKING_STATUSES = frozenset({401, 403, 407, 429, 451})
# the site's robots.txt, or our own rules for private addresses, keep the crawl out
REFUSALS = frozenset({FetchOutcome.ROBOTS_FORBIDDEN, FetchOutcome.ROBOTS_UNREACHABLE, FetchOutcome.PRIVATE_ADDRESS})


def source_verdict(kind: str, render: str, static: tuple[Fetched, list[Any]] | None,
                   rendered: tuple[Fetched, list[Any]] | None, reading: PageReading | None = None) -> Verdict:
    """The verdict on a source (configured with `render`) from its start page: each version fetched as (fetched,
    the source kind's observations). `reading`: the static page's full reading, for the selectors to propose when
    it reads nothing."""
    tried = [pair for pair in (static, rendered) if pair is not None]
    for fetched, observations in tried:
        line = _reads(kind, observations)
        if not line:
            continue
        if fetched.rendered and static is not None:  # the static page read nothing, the rendered one did
            if render == "static":
                return Verdict("needs_js", f"needs JavaScript: only the rendered page {line} (set render: auto "
                               "or js)", rendered=True)
            return Verdict("reads", f"{line} (rendered: the static page reads nothing)", rendered=True)
        return Verdict("reads", line, rendered=fetched.rendered)
    first = tried[0][0]
    if first.error and (first.outcome in REFUSALS or first.status in BLOCKING_STATUSES):
        return Verdict("blocked", f"blocked: {first.error}")
    if first.outcome is FetchOutcome.BLOCKED or (reading is not None and reading.challenge):
        return Verdict("blocked", f"blocked: {reading.challenge if reading else first.error}")
    if first.error:
        return Verdict("unreachable", f"unreachable: {first.error}")
    proposal = reading.proposal if reading is not None else None
    shown = f" (the page shows {reading.prices_shown} prices no rule read)" if reading and reading.prices_unread else ""
    return Verdict("nothing", f"reads nothing{shown}", proposal=proposal)


def _reads(kind: str, observations: list[Any]) -> str | None:
    """What the page reads for its kind, one line, or None when it reads nothing of it: the same judgement as
    render: auto's (crawler/render_auto.py `incomplete`)."""
    if incomplete(kind, observations) and kind != "ads":
        return None
    read = {type(o): o for o in observations}
    if ProductsRead in read:
        products = read[ProductsRead].products
        priced = sum(p.price is not None for p in products)
        return f"reads products: {len(products)}, {priced} priced" if priced else None
    if ReviewsRead in read:
        page = read[ReviewsRead].page
        rating = f", rating {page.aggregate_rating:g}" if page.aggregate_rating is not None else ""
        return f"reads reviews: {len(page.reviews)}{rating}"
    if JobsRead in read:
        return f"reads jobs: {len(read[JobsRead].jobs)}"
    if AdsRead in read and read[AdsRead].ads:
        return f"reads ads: {len(read[AdsRead].ads)}"
    if MentionsRead in read:  # a feed read, even with no item naming the competitor tonight
        return f"reads the feed: {len(read[MentionsRead].items)} items name the competitor"
    if TendersRead in read:  # a search read, even with no notice naming the competitor tonight
        return f"reads the notices: {len(read[TendersRead].tenders)} name the competitor"
    if SocialRead in read:
        social = read[SocialRead]
        audience = f", {social.snapshot.subscribers} subscribers" if social.snapshot.subscribers is not None else ""
        return f"reads the channel {social.snapshot.channel}: {len(social.posts)} posts{audience}"[:100]
    if kind == "site" and PageRead in read:
        facts = read[PageRead].facts
        return f"reads the page: {facts.h1 or facts.title or 'main text'}"[:100]
    return None
