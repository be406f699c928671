"""What runs did, read back from the database: live counts while a run crawls, the run list, one run's detail."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, case, func, or_, select

from dossier.outcomes import FetchOutcome
from storage import models
from storage.runs import ITEM_MODELS



def _is_page():
    return models.Fetch.outcome.in_([outcome for outcome in FetchOutcome if outcome.is_page])


def _is_failure():
    return models.Fetch.outcome.in_([outcome for outcome in FetchOutcome if outcome.is_failure])


def _count(condition) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(slots=True)
class CompetitorCounts:
    """One competitor in one run: live while it crawls, the summary once it ended."""

    slug: str
    name: str
    sources: int = 0  # active sources of the competitor
    sources_started: int = 0  # those with at least one fetch in this run
    fetched: int = 0  # fetch rows: pages, redirects and failures
    pages: int = 0  # pages read (2xx, no error)
    errors: int = 0  # failed fetches (an error, no answer, or status >= 400)
    items: int = 0  # observations of every kind
    products: int = 0  # price observations
    reviews: int = 0  # review observations
    changes: int = 0


def competitor_counts(engine: Engine, run_id: int) -> list[CompetitorCounts]:
    """Counts of a run per competitor, cheap enough to poll every second while the crawl process writes."""
    with engine.connect() as connection:
        counts = {row.id: CompetitorCounts(row.slug, row.name) for row in connection.execute(
            select(models.Competitor.id, models.Competitor.slug, models.Competitor.name)
            .order_by(models.Competitor.slug))}
        for competitor_id, sources in connection.execute(
                select(models.Source.competitor_id, func.count()).where(models.Source.active.is_(True))
                .group_by(models.Source.competitor_id)):
            counts[competitor_id].sources = sources
        fetches = (select(models.Source.competitor_id, func.count(func.distinct(models.Fetch.source_id)),
                          func.count(), _count(_is_page()), _count(_is_failure()))
                   .join(models.Source, models.Source.id == models.Fetch.source_id)
                   .where(models.Fetch.run_id == run_id).group_by(models.Source.competitor_id))
        for competitor_id, started, fetched, pages, errors in connection.execute(fetches):
            entry = counts[competitor_id]
            entry.sources_started, entry.fetched, entry.pages, entry.errors = started, fetched, int(pages), int(errors)
        for model in ITEM_MODELS:
            query = (select(models.Source.competitor_id, func.count()).select_from(model)
                     .join(models.Source, models.Source.id == model.source_id)
                     .where(model.run_id == run_id).group_by(models.Source.competitor_id))
            for competitor_id, number in connection.execute(query):
                counts[competitor_id].items += number
                if model is models.PriceObservation:
                    counts[competitor_id].products = number
                elif model is models.ReviewObservation:
                    counts[competitor_id].reviews = number
        for competitor_id, number in connection.execute(
                select(models.Change.competitor_id, func.count()).where(models.Change.run_id == run_id)
                .group_by(models.Change.competitor_id)):
            counts[competitor_id].changes = number
    return [entry for entry in counts.values() if entry.sources or entry.fetched or entry.changes]


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    status: str
    started: datetime
    finished: datetime | None
    pages: int
    errors: int
    changes: int
    error: str | None
    owner: str | None  # host:pid of the process that ran it
    heartbeat: datetime | None
    period: str | None = None  # an archived run's month or quarter (`dossier backfill`), else None

    @property
    def duration(self) -> float:
        """Seconds from start to finish (to now while it runs)."""
        return ((self.finished or datetime.now(timezone.utc)) - self.started).total_seconds()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "started": self.started.isoformat(),
                "finished": self.finished.isoformat() if self.finished else None,
                "duration_s": round(self.duration, 1), "pages": self.pages, "errors": self.errors,
                "changes": self.changes, "error": self.error, "owner": self.owner,
                "heartbeat": self.heartbeat.isoformat() if self.heartbeat else None, "archived": self.period}


def list_runs(engine: Engine, limit: int = 20, run_id: int | None = None) -> list[RunRow]:
    """The newest runs first, with their page, error and change counts."""
    fetches = (select(models.Fetch.run_id, _count(_is_page()).label("pages"), _count(_is_failure()).label("errors"))
               .group_by(models.Fetch.run_id).subquery())
    changes = (select(models.Change.run_id, func.count().label("changes")).group_by(models.Change.run_id)
               .subquery())
    query = (select(models.CrawlRun, fetches.c.pages, fetches.c.errors, changes.c.changes)
             .outerjoin(fetches, fetches.c.run_id == models.CrawlRun.id)
             .outerjoin(changes, changes.c.run_id == models.CrawlRun.id)
             .order_by(models.CrawlRun.id.desc()).limit(limit))
    if run_id is not None:
        query = query.where(models.CrawlRun.id == run_id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [RunRow(row.id, row.status, _aware(row.started), _aware(row.finished), int(row.pages or 0),
                   int(row.errors or 0), int(row.changes or 0), row.error,
                   f"{row.host}:{row.pid}" if row.host else None, _aware(row.heartbeat),
                   row.period if row.archived else None) for row in rows]


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    competitor: str
    kind: str
    url: str
    status: str  # succeeded | failed | skipped | not judged (the run ended before its sources were judged)
    pages: int
    errors: int
    items: int
    reason: str | None


@dataclass(frozen=True, slots=True)
class FailedUrl:
    competitor: str
    kind: str  # of the source that fetched it (a URL may belong to two sources)
    url: str
    status: int | None
    error: str | None


@dataclass(slots=True)
class RunDetail:
    run: RunRow
    competitors: list[CompetitorCounts]
    sources: list[SourceOutcome]
    failed_urls: list[FailedUrl]
    stats: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {**self.run.as_json(),
                "competitors": [vars_of(c) for c in self.competitors],
                "sources": [vars_of(s) for s in self.sources],
                "failed_urls": [vars_of(f) for f in self.failed_urls],
                "workers": {name: int(counters.get("downloader/response_count", 0))  # a distributed run's
                            for name, counters in (self.stats.get("crawl_workers") or {}).items()}}


def vars_of(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


def run_detail(engine: Engine, run_id: int, failed_limit: int = 500) -> RunDetail | None:
    """One run: its counts, how each source fared and the URLs that failed (None when there is no such run)."""
    rows = list_runs(engine, limit=1, run_id=run_id)
    if not rows:
        return None
    with engine.connect() as connection:
        stats = connection.scalar(select(models.CrawlRun.stats).where(models.CrawlRun.id == run_id)) or {}
        judged = {row.source_id: row for row in connection.execute(
            select(models.SourceCrawl).where(models.SourceCrawl.run_id == run_id))}
        sources = []
        for source_id, kind, url, slug in connection.execute(
                select(models.Source.id, models.Source.kind, models.Source.url, models.Competitor.slug)
                .join(models.Competitor, models.Competitor.id == models.Source.competitor_id)
                .where(or_(models.Source.id.in_(list(judged)), models.Source.id.in_(
                    select(models.Fetch.source_id).where(models.Fetch.run_id == run_id))))
                .order_by(models.Competitor.slug, models.Source.id)):
            crawl = judged.get(source_id)
            sources.append(SourceOutcome(slug, kind, url, crawl.status if crawl else "not judged",
                                         crawl.pages if crawl else 0, crawl.errors if crawl else 0,
                                         crawl.items if crawl else 0, crawl.reason if crawl else None))
        failed = [FailedUrl(*row) for row in connection.execute(
            select(models.Competitor.slug, models.Source.kind, models.Fetch.url, models.Fetch.status,
                   models.Fetch.error)
            .join(models.Source, models.Source.id == models.Fetch.source_id)
            .join(models.Competitor, models.Competitor.id == models.Source.competitor_id)
            .where(models.Fetch.run_id == run_id, _is_failure())
            .order_by(models.Competitor.slug, models.Fetch.url, models.Source.kind).limit(failed_limit))]
    return RunDetail(rows[0], competitor_counts(engine, run_id), sources, failed, stats)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC
