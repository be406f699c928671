"""The typed records extractors return (DESIGN.md, extractor API): frozen, slotted, money as Decimal."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Product:
    name: str | None
    price: Decimal | None = None
    currency: str | None = None  # ISO 4217
    availability: str | None = None  # "in_stock" | "out_of_stock" | "preorder" | None
    sku: str | None = None
    url: str | None = None
    brand: str | None = None
    old_price: Decimal | None = None
    gtin: str | None = None
    mpn: str | None = None
    category: str | None = None
    # Where the price was read: "json-ld" | "microdata" | "rdfa" | "opengraph" | "platform" (a shop platform's
    # stock template, extractors/platforms) | "selector" (the source's own) | "visible" (the page as shown).
    price_source: str | None = None
    price_confidence: float | None = None  # how often a price read that way is right (extractors/products.py)

    @property
    def key(self) -> str | None:
        """The stable identity of the product at its competitor: sku, gtin or mpn, else its URL."""
        return self.sku or self.gtin or self.mpn or self.url


@dataclass(frozen=True, slots=True)
class Review:
    id: str
    author: str | None = None
    rating: float | None = None  # 1-5 scale
    title: str | None = None
    text: str | None = None
    published: date | None = None


@dataclass(frozen=True, slots=True)
class ReviewPage:
    aggregate_rating: float | None = None  # 1-5 scale
    review_count: int | None = None
    reviews: list[Review] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PageFacts:
    title: str | None = None
    description: str | None = None
    h1: str | None = None
    headings: list[str] = field(default_factory=list)
    main_text: str | None = None
    lang: str | None = None
    canonical: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    social_links: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Technology:
    name: str
    categories: list[str] = field(default_factory=list)
    version: str | None = None
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class Ad:
    id: str
    headline: str | None = None
    body: str | None = None
    landing_url: str | None = None
    started: date | None = None
    stopped: date | None = None
    platforms: list[str] = field(default_factory=list)
    snapshot_url: str | None = None
    page_name: str | None = None


@dataclass(frozen=True, slots=True)
class JobPosting:
    title: str
    url: str | None = None
    location: str | None = None
    posted: date | None = None
    employment_type: str | None = None
    department: str | None = None

    @property
    def key(self) -> str:
        """Identity within a competitor's job page: the posting's URL, else its title and location."""
        return self.url or f"{self.title}|{self.location or ''}"


@dataclass(frozen=True, slots=True)
class PageAudit:
    """SEO and mobile basics of one HTML page (extractors.audit): what a site audit reads off the markup."""

    title_length: int = 0
    description_length: int = 0
    h1_count: int = 0
    canonical: str | None = None
    hreflang: list[str] = field(default_factory=list)  # language codes of the alternates, "x-default" included
    open_graph: list[str] = field(default_factory=list)  # og: properties present ("og:title", "og:image", ...)
    viewport: bool = False  # a <meta name="viewport"> with width=device-width
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """A blog post, news item or article a competitor published (extractors.content)."""

    url: str
    title: str
    published: date | None = None
    kind: str = "article"  # "article" | "news" | "blog"


@dataclass(frozen=True, slots=True)
class Newsletter:
    """One e-mail newsletter as received (extractors.newsletter)."""

    message_id: str
    sender: str  # the address only, lower-case
    subject: str
    sent: datetime | None = None  # timezone-aware
    links: list[str] = field(default_factory=list)  # http(s) links of the body, in order, without duplicates
    main_text: str | None = None
    sender_name: str | None = None


@dataclass(frozen=True, slots=True)
class RobotsFacts:
    """What a robots.txt says (extractors.audit.robots_facts): its rules in order and the sitemaps it names."""

    content_hash: str | None = None  # sha256 of the content lines: comment, blank-line and spacing edits keep it
    rules: list[str] = field(default_factory=list)  # "user-agent: *", "disallow: /cart", ... in file order
    sitemaps: list[str] = field(default_factory=list)  # the Sitemap: URLs as written, without duplicates


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One item of an RSS or Atom feed (extractors.mentions): `key` is its canonical link, else its guid (RSS) or
    id (Atom)."""

    key: str
    url: str | None = None
    title: str | None = None
    published: datetime | None = None  # timezone-aware UTC
    snippet: str | None = None  # plain text, bounded (extractors.mentions.MAX_SNIPPET)
    links: tuple[str, ...] = ()  # every absolute http(s) link of the item, its own first


@dataclass(frozen=True, slots=True)
class Tender:
    """A public procurement notice naming the competitor (extractors.tenders): a TED notice or an EIS contract."""

    notice_id: str  # TED's publication number (123456-2026), the EIS contract's registry number (regNum)
    fmt: str  # "ted" | "eis"
    title: str | None = None
    buyer: str | None = None
    value: Decimal | None = None  # the notice's total or the contract's price
    currency: str | None = None  # ISO 4217
    published: date | None = None
    awarded: date | None = None  # TED's winner decision date, the EIS contract's signing date
    url: str | None = None
    role: str = "bidder"  # "winner" when the competitor is awarded (the contract's supplier), else "bidder"


@dataclass(frozen=True, slots=True)
class ChannelSnapshot:
    """A social channel as one read showed it (extractors.social_channels): `network` is telegram, youtube or vk;
    `channel` its stable name there (the Telegram username, the YouTube channel id, the VK community's id)."""

    network: str
    channel: str
    title: str | None = None
    subscribers: int | None = None  # None: the page does not show it (a YouTube feed)
    url: str | None = None  # the channel's public address


@dataclass(frozen=True, slots=True)
class ChannelPost:
    """One post or video of a social channel; counts are None where the network does not show them."""

    network: str
    channel: str
    post_id: str
    url: str | None = None
    published: datetime | None = None  # timezone-aware UTC
    text: str | None = None  # the post's text, or the video's title; plain, bounded (social_channels.MAX_TEXT)
    views: int | None = None
    likes: int | None = None
    reposts: int | None = None
