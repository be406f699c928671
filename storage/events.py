"""A run's events: its changes grouped by storage/event_rules.py, titled by storage/event_titles.py, stored in
`event` with each change's `event_id` set. Idempotent: grouping a run again replaces its events."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, select, update
from sqlalchemy.orm import Session

from storage import models
from storage.db import session_scope
from storage.event_rules import ChangeFact, group_changes
from storage.event_titles import event_title

log = logging.getLogger(__name__)

RARITY_RUNS = 30  # how rare an event kind is: its share of the competitor's last this many runs with events


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    run_id: int
    competitor_slug: str
    competitor_name: str
    kind: str
    title: str
    importance: int
    severity: str
    change_ids: tuple[int, ...]
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "run_id": self.run_id, "competitor": self.competitor_slug, "kind": self.kind,
                "title": self.title, "importance": self.importance, "severity": self.severity,
                "changes": list(self.change_ids), "created_at": self.created_at.isoformat()}


def record_events(engine: Engine, run_id: int, language: str = "en") -> int:
    """Group the run's changes into events and store them; returns how many events the run has."""
    with session_scope(engine) as session:
        facts = _change_facts(session, run_id)
        drafts = group_changes(facts, _rarity(session, run_id, {f.competitor_id for f in facts}))
        session.execute(update(models.Change).where(models.Change.run_id == run_id).values(event_id=None)
                        .execution_options(synchronize_session=False))
        session.execute(delete(models.Event).where(models.Event.run_id == run_id))
        for draft in drafts:
            event = models.Event(run_id=run_id, competitor_id=draft.competitor_id, kind=draft.kind, key=draft.key,
                                 title=event_title(draft.kind, draft.facts, language), importance=draft.importance,
                                 severity=draft.severity, facts=draft.facts)
            session.add(event)
            session.flush()
            session.execute(update(models.Change).where(models.Change.id.in_(draft.change_ids))
                            .values(event_id=event.id).execution_options(synchronize_session=False))
        log.info("run %s: %d changes in %d events", run_id, len(facts), len(drafts), extra={"run_id": run_id})
        return len(drafts)


def _change_facts(session: Session, run_id: int) -> list[ChangeFact]:
    product = models.Product
    rows = session.execute(
        select(models.Change, product.category)
        .outerjoin(product, and_(product.competitor_id == models.Change.competitor_id,
                                 models.Change.entity == "product:" + product.key))
        .where(models.Change.run_id == run_id).order_by(models.Change.id))
    return [ChangeFact(c.id, c.competitor_id, c.kind, c.entity, c.title, c.url, c.before, c.after, c.magnitude,
                       c.severity, category, c.evidence) for c, category in rows]


def _rarity(session: Session, run_id: int, competitors: set[int]) -> dict[tuple[int, str], float]:
    """(competitor, event kind) -> the share of the competitor's last RARITY_RUNS earlier runs with events that
    had such an event; a competitor with no such run is missing (its rarity unknown)."""
    rarity: dict[tuple[int, str], float] = {}
    for competitor_id in competitors:
        runs = list(session.scalars(
            select(models.Event.run_id).where(models.Event.competitor_id == competitor_id,
                                              models.Event.run_id < run_id)
            .group_by(models.Event.run_id).order_by(models.Event.run_id.desc()).limit(RARITY_RUNS)))
        if not runs:
            continue
        kinds = Counter(session.scalars(select(models.Event.kind).where(
            models.Event.competitor_id == competitor_id, models.Event.run_id.in_(runs))))
        for kind, count in kinds.items():
            rarity[(competitor_id, kind)] = count / len(runs)
        for kind in ("assortment", "prices", "reviews", "marketing", "hiring", "site"):
            rarity.setdefault((competitor_id, kind), 0.0)
    return rarity


def list_events(engine: Engine, *, run_id: int | None = None, since: datetime | None = None,
                competitor: str | None = None, limit: int | None = None) -> list[EventView]:
    """Events, newest run first, most important first within a run."""
    query = (select(models.Event, models.Competitor.slug, models.Competitor.name)
             .join(models.Competitor, models.Competitor.id == models.Event.competitor_id)
             .order_by(models.Event.run_id.desc(), models.Event.importance.desc(), models.Competitor.slug,
                       models.Event.id))
    if run_id is not None:
        query = query.where(models.Event.run_id == run_id)
    if since is not None:
        query = query.where(models.Event.created_at >= since)
    if competitor:
        query = query.where(models.Competitor.slug == competitor)
    if limit:
        query = query.limit(limit)
    with session_scope(engine) as session:
        events = session.execute(query).all()
        ids = [e.id for e, _, _ in events]
        members: dict[int, list[int]] = {}
        if ids:
            for change_id, event_id in session.execute(
                    select(models.Change.id, models.Change.event_id).where(models.Change.event_id.in_(ids))
                    .order_by(models.Change.id)):
                members.setdefault(event_id, []).append(change_id)
        return [EventView(e.id, e.run_id, slug, name, e.kind, e.title, e.importance, e.severity,
                          tuple(members.get(e.id, ())), e.created_at) for e, slug, name in events]

