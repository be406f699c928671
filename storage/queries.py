"""Read-side queries the command line and the alerts use: changes and runs as plain records."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, case, func, select

from dossier.severity import SEVERITIES, rank
from storage import models
from storage.db import session_scope



@dataclass(frozen=True, slots=True)
class ChangeView:
    id: int
    run_id: int
    competitor_slug: str
    competitor_name: str
    kind: str
    entity: str
    title: str | None
    url: str | None
    before: str | None
    after: str | None
    magnitude: Decimal | None
    severity: str
    created_at: datetime
    uncertain: bool = False  # a price change read from a less trusted source than the night before
    event_id: int | None = None  # the event it is evidence of (storage/events.py); None before events existed
    event_kind: str | None = None
    event_title: str | None = None
    event_importance: int | None = None
    evidence: dict[str, Any] | None = None  # the rule and its counters, where one decided (text_rotating)

    def as_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["magnitude"] = None if self.magnitude is None else str(self.magnitude)
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass(frozen=True, slots=True)
class RunView:
    id: int
    started: datetime
    finished: datetime | None
    status: str
    stats: dict[str, Any]
    error: str | None


def list_changes(engine: Engine, *, run_id: int | None = None, since: datetime | None = None,
                 competitor: str | None = None, kind: str | None = None, severity: str | None = None,
                 limit: int | None = None) -> list[ChangeView]:
    """Changes, newest run first; within a run by their event, most important first, and most severe first
    within an event."""
    severity_rank = case({s: rank(s) for s in SEVERITIES}, value=models.Change.severity, else_=rank(None))
    event = models.Event
    query = (select(models.Change, models.Competitor.slug, models.Competitor.name, event.kind, event.title,
                    event.importance)
             .join(models.Competitor, models.Competitor.id == models.Change.competitor_id)
             .outerjoin(event, event.id == models.Change.event_id)
             .order_by(models.Change.run_id.desc(), func.coalesce(event.importance, -1).desc(),
                       models.Competitor.slug, models.Change.event_id, severity_rank, models.Change.kind,
                       models.Change.title, models.Change.id))
    if run_id is not None:
        query = query.where(models.Change.run_id == run_id)
    if since is not None:
        query = query.where(models.Change.created_at >= since)
    if competitor:
        query = query.where(models.Competitor.slug == competitor)
    if kind:
        query = query.where(models.Change.kind == kind)
    if severity:
        query = query.where(models.Change.severity == severity)
    if limit:
        query = query.limit(limit)
    with session_scope(engine) as session:
        return [ChangeView(c.id, c.run_id, slug, name, c.kind, c.entity, c.title, c.url, c.before, c.after,
                           c.magnitude, c.severity, c.created_at, bool(c.uncertain), c.event_id, event_kind,
                           event_title, importance, c.evidence)
                for c, slug, name, event_kind, event_title, importance in session.execute(query)]


def get_run(engine: Engine, run_id: int) -> RunView | None:
    with session_scope(engine) as session:
        run = session.get(models.CrawlRun, run_id)
        return None if run is None else RunView(run.id, run.started, run.finished, run.status, run.stats, run.error)


def change_kinds_stored(engine: Engine) -> list[str]:
    """The change kinds the database holds rows of, sorted: a newer version may have stored kinds this one lacks."""
    with session_scope(engine) as session:
        return list(session.scalars(select(models.Change.kind).distinct().order_by(models.Change.kind)))
