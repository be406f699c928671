"""What a crawl observed, on its way to the storage pipeline: one record type per kind of observation.

Each record stores itself through the one writer method of its kind (`store`), so the pipeline dispatches on the
record's type and knows no kinds. Adding a kind of observation is a record here, a method of storage.writer.RunWriter
and, for its table, a model and a migration. No Scrapy here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.accounting import FetchInfo
    from crawler.sources import SourcePlan
    from storage.writer import RunWriter


@dataclass(frozen=True, slots=True)
class Observation:
    plan: SourcePlan
    url: str

    def store(self, writer: RunWriter) -> None:
        raise NotImplementedError(type(self).__name__)

    def item_keys(self) -> set[str]:
        """The identities of the items it holds (products, reviews, ads, jobs): a listing page that brings none
        beyond those of the pages before it is the end of the listing (page_param)."""
        return set()


@dataclass(frozen=True, slots=True)
class FetchRecord(Observation):
    """A URL asked for, good or failed: its fetch row."""

    info: FetchInfo

    def store(self, writer: RunWriter) -> None:
        info = self.info
        writer.record_fetch(self.plan.source_id, self.url, info.status, info.error, info.elapsed_ms, info.size,
                            info.content_hash, outcome=info.outcome)


@dataclass(frozen=True, slots=True)
class PageRead(Observation):
    facts: Any  # extractors.PageFacts
    text_hash: str | None

    def store(self, writer: RunWriter) -> None:
        writer.add_page(self.plan.source_id, self.plan.competitor_id, self.url, self.facts, self.text_hash)


@dataclass(frozen=True, slots=True)
class PageAudited(Observation):
    audit: Any  # extractors.PageAudit
    redirected_from: tuple[str, ...] = ()

    def store(self, writer: RunWriter) -> None:
        writer.add_page_audit(self.plan.source_id, self.plan.competitor_id, self.url, self.audit,
                              self.redirected_from)


@dataclass(frozen=True, slots=True)
class TechnologiesSeen(Observation):
    technologies: list[Any]

    def store(self, writer: RunWriter) -> None:
        writer.add_technologies(self.plan.source_id, self.plan.competitor_id, self.technologies)


@dataclass(frozen=True, slots=True)
class ContactsSeen(Observation):
    channels: list[Any]

    def store(self, writer: RunWriter) -> None:
        writer.add_contacts(self.plan.source_id, self.plan.competitor_id, self.url, self.channels)


@dataclass(frozen=True, slots=True)
class ArticlesRead(Observation):
    articles: list[Any]

    def store(self, writer: RunWriter) -> None:
        writer.add_articles(self.plan.source_id, self.plan.competitor_id, self.articles)


@dataclass(frozen=True, slots=True)
class ProductsRead(Observation):
    products: list[Any]

    def store(self, writer: RunWriter) -> None:
        writer.add_products(self.plan.source_id, self.plan.competitor_id, self.products, self.url)

    def item_keys(self) -> set[str]:
        return {f"product:{p.key or p.name}" for p in self.products}


@dataclass(frozen=True, slots=True)
class ReviewsRead(Observation):
    page: Any  # extractors.ReviewPage

    def store(self, writer: RunWriter) -> None:
        writer.add_reviews(self.plan.source_id, self.plan.competitor_id, self.plan.platform, self.page, self.url)

    def item_keys(self) -> set[str]:
        return {f"review:{r.id}" for r in self.page.reviews}


@dataclass(frozen=True, slots=True)
class AdsRead(Observation):
    ads: list[Any]

    def store(self, writer: RunWriter) -> None:
        writer.add_ads(self.plan.source_id, self.plan.competitor_id, self.plan.platform, self.ads)

    def item_keys(self) -> set[str]:
        return {f"ad:{a.id}" for a in self.ads}


@dataclass(frozen=True, slots=True)
class JobsRead(Observation):
    jobs: list[Any]

    def store(self, writer: RunWriter) -> None:
        writer.add_jobs(self.plan.source_id, self.plan.competitor_id, self.jobs)

    def item_keys(self) -> set[str]:
        return {f"job:{j.key}" for j in self.jobs}


@dataclass(frozen=True, slots=True)
class MentionsRead(Observation):
    """A feed read (kind: mentions): its items that mention the competitor (extractors.FeedItem), maybe none."""

    items: list[Any]

    def store(self, writer: RunWriter) -> None:
        writer.add_mentions(self.plan.source_id, self.plan.competitor_id, self.url, self.items)

    def item_keys(self) -> set[str]:
        return {f"mention:{i.key}" for i in self.items}


@dataclass(frozen=True, slots=True)
class TendersRead(Observation):
    """A procurement search read (kind: tenders): its notices naming the competitor (extractors.Tender), maybe none."""

    tenders: list[Any]

    def store(self, writer: RunWriter) -> None:
        writer.add_tenders(self.plan.source_id, self.plan.competitor_id, self.tenders)

    def item_keys(self) -> set[str]:
        return {f"tender:{t.fmt}:{t.notice_id}" for t in self.tenders}


@dataclass(frozen=True, slots=True)
class SocialRead(Observation):
    """A social channel read (kind: social): its snapshot (extractors.ChannelSnapshot) and posts (ChannelPost)."""

    snapshot: Any
    posts: list[Any]

    def store(self, writer: RunWriter) -> None:
        writer.add_social(self.plan.source_id, self.plan.competitor_id, self.snapshot, self.posts)

    def item_keys(self) -> set[str]:
        return {f"post:{p.network}:{p.channel}:{p.post_id}" for p in self.posts}


def of_type(observations: Any, kind: type[Observation]) -> list[Any]:
    """The observations of one record type."""
    return [o for o in observations if isinstance(o, kind)]
