"""Runs and the things they belong to: competitors and sources from the config, a run's life and its outcome."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from storage import models
from storage.compare import Rules
from storage.db import session_scope

log = logging.getLogger(__name__)

# A fetch row with such a status and no error was answered (a page or a redirect); the diff trusts those URLs.
OK_STATUS = range(200, 400)
GOOD_RUNS = ("succeeded", "partial")  # runs whose succeeded source crawls are baselines
COVERAGE_FLOOR = Rules().coverage_floor  # the diff's floor: below it a source is unreachable, here and there
MAX_FAILED_LISTED = 200  # failed URLs named per source in crawl_run.stats (the fetch table holds all of them)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A configured source as stored: the ids the crawl and the diff address it by."""

    source_id: int
    competitor_id: int
    competitor_slug: str
    competitor_name: str
    kind: str
    url: str
    config: dict[str, Any]


def sync_sources(engine: Engine, competitors: list[dict[str, Any]]) -> list[SourceRef]:
    """Upsert competitors and sources from the config (plain dicts), deactivating sources no longer listed.

    Nothing is deleted: a source removed from the config keeps its history, it is only no longer crawled.
    """
    refs: list[SourceRef] = []
    with session_scope(engine) as session:
        for competitor in competitors:
            row = session.scalar(select(models.Competitor).where(models.Competitor.slug == competitor["slug"]))
            if row is None:
                row = models.Competitor(slug=competitor["slug"], name=competitor["name"])
                session.add(row)
                session.flush()
            row.name = competitor["name"]
            listed: set[int] = set()
            for source in competitor["sources"]:
                stored = session.scalar(select(models.Source).where(
                    models.Source.competitor_id == row.id, models.Source.kind == source["kind"],
                    models.Source.url == source["url"]))
                if stored is None:
                    stored = models.Source(competitor_id=row.id, kind=source["kind"], url=source["url"])
                    session.add(stored)
                stored.config = source
                stored.active = True
                session.flush()
                listed.add(stored.id)
                refs.append(SourceRef(stored.id, row.id, row.slug, row.name, stored.kind, stored.url, source))
            session.execute(update(models.Source)
                            .where(models.Source.competitor_id == row.id, models.Source.id.not_in(listed))
                            .values(active=False))
    return refs


def start_run(engine: Engine) -> int:
    with session_scope(engine) as session:
        run = models.CrawlRun(status="running", stats={})
        session.add(run)
        session.flush()
        return run.id


def finish_run(engine: Engine, run_id: int, status: str, stats: dict[str, Any] | None = None,
               error: str | None = None) -> None:
    with session_scope(engine) as session:
        run = session.get(models.CrawlRun, run_id)
        run.status = status
        run.finished = datetime.now(timezone.utc)
        run.stats = {**(run.stats or {}), **(stats or {})}
        run.error = error


def record_crawl_report(engine: Engine, run_id: int, counters: dict[str, float],
                        sources: dict[int, dict[str, Any]]) -> None:
    """Keep what the crawl process counted (Scrapy's counters) and knew of each source (budget, sitemaps read,
    warnings) in crawl_run.stats, beside the coverage report record_source_outcomes adds to each source."""
    with session_scope(engine) as session:
        run = session.get(models.CrawlRun, run_id)
        stats = dict(run.stats or {})
        merged = dict(stats.get("sources") or {})
        for source_id, report in sources.items():
            merged[str(source_id)] = {**merged.get(str(source_id), {}), **report}
        run.stats = {**stats, "crawl": counters, "sources": merged}


def last_good_crawl(session: Session, source_id: int, run_id: int) -> models.SourceCrawl | None:
    """The source's newest succeeded crawl in an earlier succeeded or partial run: its baseline (as the diff's)."""
    return session.scalar(
        select(models.SourceCrawl)
        .join(models.CrawlRun, models.CrawlRun.id == models.SourceCrawl.run_id)
        .where(models.SourceCrawl.source_id == source_id, models.SourceCrawl.status == "succeeded",
               models.SourceCrawl.run_id < run_id, models.CrawlRun.status.in_(GOOD_RUNS))
        .order_by(models.SourceCrawl.run_id.desc()).limit(1))


def record_source_outcomes(engine: Engine, run_id: int, sources: list[SourceRef],
                           coverage_floor: float = COVERAGE_FLOOR) -> list[models.SourceCrawl]:
    """Judge each source from its fetch rows and write its coverage report to crawl_run.stats["sources"].

    A source failed when nothing was fetched, its start URL failed, no page could be read, or it read fewer
    pages than `coverage_floor` of its last good crawl (the diff then reports it as unreachable).
    """
    outcomes = []
    with session_scope(engine) as session:
        reports: dict[str, dict[str, Any]] = {}
        for ref in sources:
            fetches = session.execute(select(models.Fetch.url, models.Fetch.status, models.Fetch.error).where(
                models.Fetch.run_id == run_id, models.Fetch.source_id == ref.source_id)).all()
            pages = [f for f in fetches if _is_page(f)]
            failed = [f for f in fetches if _is_failure(f)]
            baseline = last_good_crawl(session, ref.source_id, run_id)
            coverage = round(len(pages) / baseline.pages, 3) if baseline is not None and baseline.pages else None
            reason = _failure_reason(ref, fetches, pages, failed, baseline, coverage, coverage_floor)
            outcome = models.SourceCrawl(run_id=run_id, source_id=ref.source_id,
                                         status="failed" if reason else "succeeded", pages=len(pages),
                                         errors=len(failed), items=_count_items(session, run_id, ref.source_id),
                                         reason=reason)
            session.merge(_existing(session, run_id, ref.source_id, outcome))
            outcomes.append(outcome)
            reports[str(ref.source_id)] = {
                "competitor": ref.competitor_slug, "kind": ref.kind, "url": ref.url, "status": outcome.status,
                "reason": reason, "pages": len(pages), "errors": len(failed),
                "redirects": len(fetches) - len(pages) - len(failed), "items": outcome.items,
                "baseline_run": baseline.run_id if baseline is not None else None,
                "baseline_pages": baseline.pages if baseline is not None else None, "coverage": coverage,
                "failed_urls": [{"url": f.url, "status": f.status, "error": f.error}
                                for f in failed[:MAX_FAILED_LISTED]],
                "failed_urls_not_listed": max(0, len(failed) - MAX_FAILED_LISTED),
            }
        run = session.get(models.CrawlRun, run_id)
        stats = dict(run.stats or {})
        merged = dict(stats.get("sources") or {})
        for key, report in reports.items():
            merged[key] = {**merged.get(key, {}), **report}
        run.stats = {**stats, "sources": merged}
    return outcomes


def _is_page(fetch) -> bool:
    """A page read: 2xx and no error (a redirect is neither a page nor a failure)."""
    return fetch.status is not None and 200 <= fetch.status < 300 and not fetch.error


def _is_failure(fetch) -> bool:
    return bool(fetch.error) or fetch.status is None or fetch.status >= 400


def _failure_reason(ref: SourceRef, fetches, pages, failed, baseline: models.SourceCrawl | None,
                    coverage: float | None, coverage_floor: float) -> str | None:
    if not fetches:
        return "nothing was fetched"
    start = next((f for f in fetches if f.url == ref.url), None)
    if start is not None and _is_failure(start):
        return f"start URL failed: {start.error or f'HTTP {start.status}'}"
    if not pages:
        return f"no page could be read ({len(failed)} failed)"
    if coverage is not None and coverage < coverage_floor:
        return (f"coverage fell to {len(pages)} of the {baseline.pages} pages of run {baseline.run_id} "
                f"({coverage:.0%}, below {coverage_floor:.0%})")
    return None


def _existing(session, run_id: int, source_id: int, outcome: models.SourceCrawl) -> models.SourceCrawl:
    stored = session.scalar(select(models.SourceCrawl).where(
        models.SourceCrawl.run_id == run_id, models.SourceCrawl.source_id == source_id))
    if stored is not None:
        outcome.id = stored.id
    return outcome


def _count_items(session, run_id: int, source_id: int) -> int:
    total = 0
    for model in (models.PriceObservation, models.ReviewObservation, models.AdObservation, models.PageSnapshot,
                  models.JobPosting):
        total += session.scalar(select(func.count()).select_from(model).where(
            model.run_id == run_id, model.source_id == source_id)) or 0
    return total

