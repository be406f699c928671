"""The diff job: compare each source of a run with its own last successful crawl and record the changes."""
from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from storage import models
from storage.compare import (
    Draft, PriceSeen, Rules, compare_pages, compare_products, compare_rating, compare_sets, review_draft,
)
from storage.db import session_scope
from storage.runs import OK_STATUS
from storage.writer import insert_for

log = logging.getLogger(__name__)
GOOD_RUNS = ("succeeded", "partial")


def baseline_run(session: Session, source_id: int, run_id: int) -> int | None:
    """The newest earlier run in which this source was crawled successfully (never a failed or running run)."""
    return session.scalar(
        select(func.max(models.SourceCrawl.run_id))
        .join(models.CrawlRun, models.CrawlRun.id == models.SourceCrawl.run_id)
        .where(models.SourceCrawl.source_id == source_id, models.SourceCrawl.status == "succeeded",
               models.SourceCrawl.run_id < run_id, models.CrawlRun.status.in_(GOOD_RUNS)))


def diff_run(engine: Engine, run_id: int, rules: Rules = Rules()) -> int:
    """Record the changes of `run_id`; returns how many were new. Idempotent: a second call adds nothing."""
    with session_scope(engine) as session:
        drafts: list[tuple[models.Source, Draft]] = []
        crawls = session.execute(select(models.SourceCrawl, models.Source)
                                 .join(models.Source, models.Source.id == models.SourceCrawl.source_id)
                                 .where(models.SourceCrawl.run_id == run_id)).all()
        for crawl, source in crawls:
            drafts += [(source, d) for d in _diff_source(session, run_id, crawl, source, rules)]
        if not drafts:
            return 0
        rows = [{"run_id": run_id, "competitor_id": source.competitor_id, "source_id": source.id,
                 "kind": d.kind, "entity": d.entity[:700], "title": d.title, "url": d.url, "before": d.before,
                 "after": d.after, "magnitude": d.magnitude, "severity": d.severity} for source, d in drafts]
        unique = {(r["kind"], r["entity"]): r for r in rows}  # two sources may see the same product change
        before = session.scalar(select(func.count()).select_from(models.Change).where(models.Change.run_id == run_id))
        session.execute(insert_for(session.get_bind(), models.Change.__table__)
                        .on_conflict_do_nothing(index_elements=["run_id", "kind", "entity"]), list(unique.values()))
        after = session.scalar(select(func.count()).select_from(models.Change).where(models.Change.run_id == run_id))
        return after - before


def _diff_source(session: Session, run_id: int, crawl: models.SourceCrawl, source: models.Source,
                 rules: Rules) -> list[Draft]:
    entity = f"source:{source.id}"
    if crawl.status != "succeeded":
        return [Draft("source_unreachable", entity, source.url, source.url, None, crawl.reason, severity="high")]
    base = baseline_run(session, source.id, run_id)
    if base is None:
        return []  # the first good crawl of a source is its baseline, not a wave of additions
    base_crawl = session.scalar(select(models.SourceCrawl).where(
        models.SourceCrawl.run_id == base, models.SourceCrawl.source_id == source.id))
    if base_crawl.pages and crawl.pages < base_crawl.pages * rules.coverage_floor:
        reason = f"coverage fell from {base_crawl.pages} to {crawl.pages} pages"
        return [Draft("source_unreachable", entity, source.url, source.url, None, reason, severity="high")]
    unseen = _failed_urls(session, run_id, source.id)
    ignore = [re.compile(p) for p in (source.config or {}).get("ignore", [])]
    max_pages = (source.config or {}).get("max_pages")
    complete = not max_pages or crawl.pages < max_pages
    drafts = compare_products(_prices(session, base, source.id), _prices(session, run_id, source.id), unseen, rules)
    drafts += compare_pages(_pages(session, base, source.id), _pages(session, run_id, source.id), unseen, complete,
                            ignore, _item_pages(session, run_id, source.competitor_id))
    drafts += compare_sets("technology_added", "technology_removed", "technology",
                           _technologies(session, base, source.id), _technologies(session, run_id, source.id),
                           source.url)
    drafts += compare_sets("ad_new", "ad_stopped", "ad", _active_ads(session, base, source.id),
                           _active_ads(session, run_id, source.id), source.url, severity="medium")
    drafts += _review_drafts(session, run_id, source, rules)
    drafts += compare_rating(_rating(session, base, source.id), _rating(session, run_id, source.id),
                             f"rating:{source.id}", f"rating on {urlsplit(source.url).hostname}", source.url)
    return drafts


def _failed_urls(session: Session, run_id: int, source_id: int) -> set[str]:
    rows = session.execute(select(models.Fetch.url, models.Fetch.status, models.Fetch.error).where(
        models.Fetch.run_id == run_id, models.Fetch.source_id == source_id))
    return {url for url, status, error in rows if error or status not in OK_STATUS}


def _prices(session: Session, run_id: int, source_id: int) -> dict[str, PriceSeen]:
    rows = session.execute(
        select(models.Product.key, models.Product.name, models.Product.url, models.PriceObservation.price,
               models.PriceObservation.currency, models.PriceObservation.availability, models.PriceObservation.url)
        .join(models.Product, models.Product.id == models.PriceObservation.product_id)
        .where(models.PriceObservation.run_id == run_id, models.PriceObservation.source_id == source_id))
    return {row.key: PriceSeen(*row) for row in rows}


def _pages(session: Session, run_id: int, source_id: int) -> dict[str, dict[str, str | None]]:
    rows = session.execute(select(models.PageSnapshot).where(
        models.PageSnapshot.run_id == run_id, models.PageSnapshot.source_id == source_id)).scalars()
    return {p.url: {"title": p.title, "description": p.description, "h1": p.h1, "main_text": p.main_text} for p in rows}


def _item_pages(session: Session, run_id: int, competitor_id: int) -> frozenset[str]:
    """Pages of products and reviews the competitor's sources read in this run (the pages and the items' own URLs)."""
    observed = (select(models.PriceObservation.url, models.Product.url.label("product_url"))
                .join(models.Product, models.Product.id == models.PriceObservation.product_id)
                .where(models.PriceObservation.run_id == run_id, models.Product.competitor_id == competitor_id))
    urls = {url for row in session.execute(observed) for url in row if url}
    reviews = select(models.Review.url).join(
        models.ReviewObservation, models.ReviewObservation.review_id == models.Review.id).where(
        models.ReviewObservation.run_id == run_id, models.Review.competitor_id == competitor_id)
    urls.update(url for (url,) in session.execute(reviews) if url)
    return frozenset(urls)


def _technologies(session: Session, run_id: int, source_id: int) -> dict[str, str | None]:
    rows = session.execute(select(models.TechnologyObservation.technology).where(
        models.TechnologyObservation.run_id == run_id, models.TechnologyObservation.source_id == source_id))
    return {name: name for (name,) in rows}


def _active_ads(session: Session, run_id: int, source_id: int) -> dict[str, str | None]:
    rows = session.execute(
        select(models.Ad.external_id, models.Ad.headline)
        .join(models.AdObservation, models.AdObservation.ad_id == models.Ad.id)
        .where(models.AdObservation.run_id == run_id, models.AdObservation.source_id == source_id,
               models.AdObservation.active.is_(True)))
    return {external_id: headline for external_id, headline in rows}


def _rating(session: Session, run_id: int, source_id: int) -> tuple[float | None, int | None] | None:
    row = session.execute(select(models.RatingSnapshot.average, models.RatingSnapshot.count).where(
        models.RatingSnapshot.run_id == run_id, models.RatingSnapshot.source_id == source_id)).first()
    return None if row is None else (row.average, row.count)


def _review_drafts(session: Session, run_id: int, source: models.Source, rules: Rules) -> list[Draft]:
    rows = session.execute(
        select(models.Review)
        .join(models.ReviewObservation, and_(models.ReviewObservation.review_id == models.Review.id,
                                             models.ReviewObservation.run_id == run_id,
                                             models.ReviewObservation.source_id == source.id))
        .where(models.Review.first_seen_run_id == run_id)).scalars()
    return [review_draft(r.external_id, r.author, r.rating, r.title, r.text, r.url, r.platform, rules) for r in rows]
