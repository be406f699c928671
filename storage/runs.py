"""Runs and the things they belong to: competitors and sources from the config, a run's life and its outcome."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select, update

from storage import models
from storage.db import session_scope

log = logging.getLogger(__name__)

# A source whose start URL failed, or that fetched nothing, failed this run (DESIGN.md, diff rules).
OK_STATUS = range(200, 400)


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


def record_source_outcomes(engine: Engine, run_id: int, sources: list[SourceRef]) -> list[models.SourceCrawl]:
    """Judge each source from its fetch rows: failed when its start URL or every page failed."""
    outcomes = []
    with session_scope(engine) as session:
        for ref in sources:
            fetches = session.execute(select(models.Fetch.url, models.Fetch.status, models.Fetch.error).where(
                models.Fetch.run_id == run_id, models.Fetch.source_id == ref.source_id)).all()
            ok = [f for f in fetches if f.status in OK_STATUS and not f.error]
            failed = [f for f in fetches if f not in ok]
            start = next((f for f in fetches if f.url == ref.url), None)
            reason = None
            if not fetches:
                reason = "nothing was fetched"
            elif start is not None and start in failed:
                reason = f"start URL failed: {start.error or f'HTTP {start.status}'}"
            elif not ok:
                reason = "every page failed"
            items = _count_items(session, run_id, ref.source_id)
            outcome = models.SourceCrawl(run_id=run_id, source_id=ref.source_id,
                                         status="failed" if reason else "succeeded", pages=len(ok),
                                         errors=len(failed), items=items, reason=reason)
            session.merge(_existing(session, run_id, ref.source_id, outcome))
            outcomes.append(outcome)
    return outcomes


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

