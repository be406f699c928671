"""SQLAlchemy 2.x models of the dossier database (DESIGN.md, data model); Alembic migrations mirror them."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, Enum, Float, ForeignKey, Index, Integer, LargeBinary, MetaData,
    Numeric, String, Text, Unicode, UniqueConstraint, false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dossier.outcomes import FetchOutcome

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
MONEY = Numeric(14, 2)
# BigInteger ids on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY auto-increments).
ID = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, Decimal: MONEY, datetime: DateTime(timezone=True), float: Float()}


class RunSourceRow:
    """The first columns of a table of what one run found of one source: its id, the run and the source.

    `sort_order` keeps them first, in this order, as the migrations create them: declarative would otherwise put
    a mixin's columns after those of the class."""

    id: Mapped[int] = mapped_column(ID, primary_key=True, sort_order=-4)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True, sort_order=-3)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True, sort_order=-2)


class RunSourceCompetitorRow(RunSourceRow):
    """RunSourceRow and the source's competitor, kept on the row so that a competitor's rows need no join."""

    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"), index=True,
                                               sort_order=-1)


class Competitor(Base):
    __tablename__ = "competitor"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    own: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # our own shop (`own: true`)


class Source(Base):
    __tablename__ = "source"
    __table_args__ = (UniqueConstraint("competitor_id", "kind", "url"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CrawlRun(Base):
    __tablename__ = "crawl_run"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    started: Mapped[datetime] = mapped_column(default=utcnow)
    finished: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)  # running|succeeded|partial|failed
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)  # the process running it, to tell a crashed run from a live one
    host: Mapped[str | None] = mapped_column(String(255))
    heartbeat: Mapped[datetime | None]
    # read from the Internet Archive by `dossier backfill`, dated by its captures (storage/archive.py: its id is
    # below every live run's); `period` is the month (2024-05) or quarter (2024-Q2) it holds
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    period: Mapped[str | None] = mapped_column(String(16))


class SourceCrawl(RunSourceRow, Base):
    """How one source fared in one run: the diff takes a source's baseline only from a succeeded crawl of it."""

    __tablename__ = "source_crawl"
    __table_args__ = (UniqueConstraint("run_id", "source_id"),)
    status: Mapped[str] = mapped_column(String(16))  # succeeded | failed | skipped (robots.txt unreachable)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    coverage: Mapped[float | None]  # pages read / pages of the source's last good crawl; None on its first
    reason: Mapped[str | None] = mapped_column(Text)


class Fetch(RunSourceRow, Base):
    __tablename__ = "fetch"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "url"),)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    # how it ended (dossier.outcomes.FetchOutcome), for code to rely on; `error` is the same said for people
    outcome: Mapped[FetchOutcome] = mapped_column(Enum(
        FetchOutcome, native_enum=False, create_constraint=True, length=24, name="ck_fetch_outcome",
        values_callable=lambda outcomes: [outcome.value for outcome in outcomes]))


class PageSnapshot(RunSourceCompetitorRow, Base):
    __tablename__ = "page_snapshot"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "url"),)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    h1: Mapped[str | None] = mapped_column(Text)
    headings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"h": [...]} keeps JSON portable
    main_text: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str | None] = mapped_column(String(64))
    lang: Mapped[str | None] = mapped_column(String(16))
    canonical: Mapped[str | None] = mapped_column(Text)


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("competitor_id", "key"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(512))
    sku: Mapped[str | None] = mapped_column(String(256))
    name: Mapped[str | None] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(String(256))
    category: Mapped[str | None] = mapped_column(String(256))
    url: Mapped[str | None] = mapped_column(Text)
    first_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    last_seen_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    gtin: Mapped[str | None] = mapped_column(String(32))  # as the shop gives it (GTIN-8/12/13/14, EAN, UPC)
    mpn: Mapped[str | None] = mapped_column(String(128))  # the manufacturer's part number


class PriceObservation(RunSourceRow, Base):
    __tablename__ = "price_observation"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "product_id"),)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    price: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    old_price: Mapped[Decimal | None]
    availability: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    price_source: Mapped[str | None] = mapped_column(String(16))  # json-ld, microdata, ..., visible (Product)
    price_confidence: Mapped[float | None]


class Review(Base):
    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("competitor_id", "platform", "external_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(256))
    external_id: Mapped[str] = mapped_column(String(256))  # platform id or content hash
    author: Mapped[str | None] = mapped_column(String(300))
    rating: Mapped[float | None] = mapped_column(Numeric(3, 2, asdecimal=False))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(Text)
    first_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    last_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"))


class RatingSnapshot(RunSourceCompetitorRow, Base):
    __tablename__ = "rating_snapshot"
    __table_args__ = (UniqueConstraint("run_id", "source_id"),)
    platform: Mapped[str] = mapped_column(String(256))
    average: Mapped[float | None] = mapped_column(Numeric(3, 2, asdecimal=False))
    count: Mapped[int | None] = mapped_column(Integer)


class Ad(Base):
    __tablename__ = "ad"
    __table_args__ = (UniqueConstraint("competitor_id", "platform", "external_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    headline: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    landing_url: Mapped[str | None] = mapped_column(Text)
    snapshot_url: Mapped[str | None] = mapped_column(Text)
    started: Mapped[date | None] = mapped_column(Date)
    stopped: Mapped[date | None] = mapped_column(Date)
    platforms: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"platforms": [...]}
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    last_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"))


class AdObservation(RunSourceRow, Base):
    """An ad as one run saw it: the diff compares these sets (ad_new, ad_stopped) per source."""

    __tablename__ = "ad_observation"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "ad_id"),)
    ad_id: Mapped[int] = mapped_column(ForeignKey("ad.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean)


class ReviewObservation(RunSourceRow, Base):
    """A review as one run saw it, so that a source's reviews per run are known (review_new per source)."""

    __tablename__ = "review_observation"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "review_id"),)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)


class TechnologyObservation(RunSourceCompetitorRow, Base):
    __tablename__ = "technology_observation"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "technology"),)
    technology: Mapped[str] = mapped_column(String(256))
    categories: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"categories": [...]}
    version: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[str | None] = mapped_column(Text)


class JobPosting(RunSourceCompetitorRow, Base):
    __tablename__ = "job_posting"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "key"),)
    key: Mapped[str] = mapped_column(String(512))
    title: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    posted: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)


class PageAudit(RunSourceCompetitorRow, Base):
    """SEO and mobile basics of one page of a site source in one run; timing and weight are in its fetch row."""

    __tablename__ = "page_audit"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "url"),)
    url: Mapped[str] = mapped_column(Text)  # where the page was read (after redirects)
    requested_url: Mapped[str | None] = mapped_column(Text)  # the first URL of a redirect chain, else NULL
    redirects: Mapped[int] = mapped_column(Integer, default=0)
    https: Mapped[bool] = mapped_column(Boolean, default=False)
    title_length: Mapped[int] = mapped_column(Integer, default=0)
    description_length: Mapped[int] = mapped_column(Integer, default=0)
    h1_count: Mapped[int] = mapped_column(Integer, default=0)
    canonical: Mapped[str | None] = mapped_column(Text)
    hreflang: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"langs": [...]}
    open_graph: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"properties": [...]}
    viewport: Mapped[bool] = mapped_column(Boolean, default=False)
    lang: Mapped[str | None] = mapped_column(String(16))


class SiteAudit(RunSourceCompetitorRow, Base):
    """One site source in one run, audited: home page speed and weight, robots.txt, sitemap, broken links."""

    __tablename__ = "site_audit"
    __table_args__ = (UniqueConstraint("run_id", "source_id"),)
    home_url: Mapped[str | None] = mapped_column(Text)
    home_status: Mapped[int | None] = mapped_column(Integer)
    home_elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    home_bytes: Mapped[int | None] = mapped_column(Integer)
    https: Mapped[bool | None] = mapped_column(Boolean)
    home_redirects: Mapped[int | None] = mapped_column(Integer)
    viewport: Mapped[bool | None] = mapped_column(Boolean)
    pages: Mapped[int] = mapped_column(Integer, default=0)  # pages audited
    median_elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    median_bytes: Mapped[int | None] = mapped_column(Integer)
    broken_links: Mapped[int] = mapped_column(Integer, default=0)  # internal URLs that answered 4xx/5xx
    robots_status: Mapped[int | None] = mapped_column(Integer)
    robots_hash: Mapped[str | None] = mapped_column(String(64))
    robots_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"rules": [...], "sitemaps": [...]}
    sitemap_urls: Mapped[int | None] = mapped_column(Integer)
    languages: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"langs": [...]}: html lang and hreflang
    seo_issues: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"no_title": n, "no_h1": n, ...}


class ContactChannel(RunSourceCompetitorRow, Base):
    """A way to reach a competitor (phone, e-mail, messenger, widget, form) or a promo, as seen in one run."""

    __tablename__ = "contact_channel"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "kind", "value"),)
    kind: Mapped[str] = mapped_column(String(16))  # phone | email | messenger | widget | form | promo
    value: Mapped[str] = mapped_column(String(512))  # "+4930…", "whatsapp:+7…", "JivoChat", "callback:3"
    label: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)  # the first page it was seen on


class ContentItem(RunSourceCompetitorRow, Base):
    """A blog post, news item or article a competitor published, as seen in one run."""

    __tablename__ = "content_item"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "url"),)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="article")  # article | news | blog


class Newsletter(RunSourceCompetitorRow, Base):
    """One e-mail newsletter of a competitor, stored once (by Message-ID) in the run that first read it."""

    __tablename__ = "newsletter"
    __table_args__ = (UniqueConstraint("source_id", "message_id"),)
    message_id: Mapped[str] = mapped_column(String(512))
    sender: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    links: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"links": [...]}
    main_text: Mapped[str | None] = mapped_column(Text)


class Mention(Base):
    """An item of a feed the user subscribes to that names the competitor (kind: mentions), stored once per
    competitor: its key is the item's canonical link, else its guid."""

    __tablename__ = "mention"
    __table_args__ = (UniqueConstraint("competitor_id", "key"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)  # first read by
    key: Mapped[str] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime | None] = mapped_column(index=True)
    snippet: Mapped[str | None] = mapped_column(Text)
    feed_url: Mapped[str] = mapped_column(Text)  # the feed it was read in
    first_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    last_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"))


class MentionObservation(RunSourceRow, Base):
    """A mention as one run's feed showed it: mention_new is a mention no earlier good run saw."""

    __tablename__ = "mention_observation"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "mention_id"),)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mention.id", ondelete="CASCADE"), index=True)


class Tender(Base):
    """A procurement notice naming the competitor (kind: tenders), once per competitor, format and notice id. Its
    role only rises: bidder, then winner when a later answer shows the award (tender_won)."""

    __tablename__ = "tender"
    __table_args__ = (UniqueConstraint("competitor_id", "format", "notice_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)  # first read by
    format: Mapped[str] = mapped_column(String(8))  # ted | eis
    notice_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    buyer: Mapped[str | None] = mapped_column(Text)
    value: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(3))
    published: Mapped[date | None] = mapped_column(Date, index=True)
    awarded: Mapped[date | None] = mapped_column(Date)
    role: Mapped[str] = mapped_column(String(8))  # bidder | winner
    url: Mapped[str | None] = mapped_column(Text)
    first_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    last_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"))


class SocialChannel(Base):
    """A public social channel of a competitor (kind: social): Telegram, YouTube; one row per competitor, network
    and the channel's name there (the Telegram username, the YouTube channel id)."""

    __tablename__ = "social_channel"
    __table_args__ = (UniqueConstraint("competitor_id", "network", "channel"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)  # first read by
    network: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    first_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    last_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"))


class TenderObservation(RunSourceRow, Base):
    """A notice as one run's answer showed it, with the competitor's role in it that night."""

    __tablename__ = "tender_observation"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "tender_id"),)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))


class ChannelSnapshot(RunSourceRow, Base):
    """A social channel as one run read it: its audience (None where the network does not show it)."""

    __tablename__ = "channel_snapshot"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "social_channel_id"),)
    social_channel_id: Mapped[int] = mapped_column(ForeignKey("social_channel.id", ondelete="CASCADE"), index=True)
    subscribers: Mapped[int | None] = mapped_column(BigInteger)
    posts_shown: Mapped[int] = mapped_column(Integer, default=0)  # posts the page listed


class SocialPost(Base):
    """A post or video of a social channel, stored once: its text as first read, its counts as last read."""

    __tablename__ = "social_post"
    __table_args__ = (UniqueConstraint("social_channel_id", "post_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    social_channel_id: Mapped[int] = mapped_column(ForeignKey("social_channel.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime | None] = mapped_column(index=True)
    text: Mapped[str | None] = mapped_column(Text)
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    first_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    last_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"))


class SocialPostObservation(RunSourceRow, Base):
    """A post as one run's read showed it, with its counts then: post_new is a post no earlier good run saw."""

    __tablename__ = "social_post_observation"
    __table_args__ = (UniqueConstraint("run_id", "source_id", "social_post_id"),)
    social_post_id: Mapped[int] = mapped_column(ForeignKey("social_post.id", ondelete="CASCADE"), index=True)
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)


class Change(Base):
    __tablename__ = "change"
    # per competitor: two competitors' products may share a key (a GTIN, a maker's part number) and change together
    __table_args__ = (UniqueConstraint("run_id", "competitor_id", "kind", "entity"),
                      Index("ix_change_competitor_run", "competitor_id", "run_id"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    entity: Mapped[str] = mapped_column(String(700))  # e.g. "product:KR-LR-200", "page:<url>"
    title: Mapped[str | None] = mapped_column(Text)  # human label: product name, page URL, technology
    url: Mapped[str | None] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    magnitude: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    severity: Mapped[str] = mapped_column(String(8), default="low")
    # A price change read from a less trusted source than the night before (visible text after JSON-LD): reported
    # as uncertain, not alerted as a certainty.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The event the change is evidence of (storage/events.py): every change of a diffed run belongs to one.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    # Why the diff decided as it did, where a rule with a counter did (a value flipping between nights:
    # {"rule": "rotating_value", "flips": 3, "values": 2, "window_runs": 14}).
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Event(Base):
    """What a person would name of one competitor's night ("New product SR 500 at 2,150 EUR, announced in the
    news"), grouping the typed changes that are its evidence; written by storage/events.py after the diff."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("run_id", "competitor_id", "key"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitor.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # assortment | prices | reviews | marketing | hiring | site
    key: Mapped[str] = mapped_column(String(300))  # what grouped it, unique in the run per competitor
    title: Mapped[str] = mapped_column(Text)  # in the configured language (alerts.language)
    importance: Mapped[int] = mapped_column(Integer)  # 0–100, docs/alerts.md "Events"
    severity: Mapped[str] = mapped_column(String(8))  # the highest of its changes'
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the typed data the title was written from
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertOutbox(Base):
    __tablename__ = "alert_outbox"
    __table_args__ = (UniqueConstraint("run_id", "recipients"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    eml_path: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # a digest is sent at most once
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed | stored
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class RunLock(Base):
    """One row per lock name while a run holds it: a second run (or scheduler) sees it and stops or waits."""

    __tablename__ = "run_lock"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    owner: Mapped[str] = mapped_column(String(255))  # host:pid
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


class SchedulerJob(Base):
    """APScheduler's job store (SQLAlchemyJobStore with this table name and its columns): the nightly job and its
    next fire time, kept across restarts so that a night missed while the scheduler was down still runs once."""

    __tablename__ = "scheduler_job"
    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)  # UTC timestamp
    job_state: Mapped[bytes] = mapped_column(LargeBinary)  # the pickled job: a textual function reference and kwargs


class RenderPattern(Base):
    """render: auto, per source and URL pattern (crawler/render_auto.py): what its pages showed over the nights, and
    so whether they are rendered directly (`js`), left static (`static`) or rendered when read incomplete
    (`sample`). Read when a crawl starts, written when it ends."""

    __tablename__ = "render_pattern"
    __table_args__ = (UniqueConstraint("source_id", "pattern"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    pattern: Mapped[str] = mapped_column(String(300))  # /products/*.html?page
    decision: Mapped[str] = mapped_column(String(8))  # sample | js | static
    static_complete: Mapped[int] = mapped_column(Integer, default=0)  # pages read complete without the browser
    render_gained: Mapped[int] = mapped_column(Integer, default=0)  # incomplete pages the browser read more of
    render_no_gain: Mapped[int] = mapped_column(Integer, default=0)  # incomplete pages it read no more of
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))  # updated by
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelOutbox(Base):
    """A run's message to one chat or webhook channel (alerts.channels), stored before it is sent and claimed
    (`sending`) right before the send, as a digest in alert_outbox: a failed send is retried, none is sent twice."""

    __tablename__ = "channel_outbox"
    __table_args__ = (UniqueConstraint("run_id", "channel"),)  # its leading run_id serves the look-ups by run
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))  # alerts.channels[].name; the URL (a secret) is not stored
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class ProductMatch(Base):
    """Two products of different competitors taken for the same one (storage/matching.py): recomputed after each
    run from the current products and the analyst's decisions. `group_id` is the smallest product id of the
    group the pair belongs to (its products joined by matches)."""

    __tablename__ = "product_match"
    __table_args__ = (UniqueConstraint("product_id", "matched_product_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    matched_product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(Integer, index=True)
    confidence: Mapped[float]
    method: Mapped[str] = mapped_column(String(16))  # gtin | mpn | model_number | similarity | confirmed
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))


class MatchDecision(Base):
    """An analyst's word on a pair (`dossier match confirm|reject`): kept across every rerun of the matching."""

    __tablename__ = "match_decision"
    __table_args__ = (UniqueConstraint("product_id", "matched_product_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    matched_product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(16))  # confirmed | rejected
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
