"""Archived runs: the runs `dossier backfill` stores from the Internet Archive's captures, one per competitor and
month (or quarter), dated by their captures.

An archived run's id is derived from its period and competitor, below every live run's id (live ids count up from
1): every rule that orders runs by id (the diff's baseline, the latest run of a view, the report's axis, first and
last seen) then places it before the live runs, and in date order among the archived ones, so a backfill never
becomes the "previous run" of a nightly crawl. The id is also what makes a backfill idempotent and resumable: a
period whose run succeeded is skipped; one left running or failed (a killed backfill) is emptied and done again.
"""
from __future__ import annotations

import os
import socket
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, delete, select, update

from dossier.errors import StorageError
from storage import models
from storage.db import session_scope
from storage.runs import GOOD_RUNS, RUN_SOURCE_MODELS

MONTHS_BOUND = 30_000  # months since year 0 of the year 2500: every archived period lies below
COMPETITORS_BOUND = 100_000  # competitor ids an archived run's id has room for


def archived_run_id(period_index: int, competitor_id: int) -> int:
    """The id of a competitor's archived run of a period (`period_index`: months since year 0 of its first month):
    negative, increasing with the period."""
    if not 0 < competitor_id < COMPETITORS_BOUND or not 0 <= period_index < MONTHS_BOUND:
        raise StorageError(f"no archived run id for competitor {competitor_id}, period {period_index}: "
                           f"competitor ids up to {COMPETITORS_BOUND - 1} and years up to 2499 only")
    return (period_index - MONTHS_BOUND) * COMPETITORS_BOUND + competitor_id


def archived_run_status(engine: Engine, run_id: int) -> str | None:
    """The status of the archived run with this id (None when there is none yet)."""
    with session_scope(engine) as session:
        return session.scalar(select(models.CrawlRun.status).where(models.CrawlRun.id == run_id))


def is_done(status: str | None) -> bool:
    """An archived run that needs no new attempt."""
    return status in GOOD_RUNS


def open_archived_run(engine: Engine, run_id: int, period: str, started: datetime, finished: datetime) -> None:
    """The archived run `run_id`, `running` and empty: created, or (left by a killed or failed backfill) emptied
    of everything it held, in one transaction, so that its period is read again whole."""
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        run = session.get(models.CrawlRun, run_id)
        if run is not None:
            if is_done(run.status):
                raise StorageError(f"archived run {run_id} ({period}) is complete: it is not read again")
            for model in (*RUN_SOURCE_MODELS, models.Change, models.Event):
                session.execute(delete(model).where(model.run_id == run_id))
        else:
            run = models.CrawlRun(id=run_id)
            session.add(run)
        run.status, run.stats, run.error = "running", {}, None
        run.started, run.finished = started, finished
        run.archived, run.period = True, period
        run.pid, run.host, run.heartbeat = os.getpid(), socket.gethostname(), now


def close_archived_run(engine: Engine, run_id: int, status: str, stats: dict[str, Any]) -> None:
    """Close an archived run: its changes and events are dated by its newest capture (`dossier changes --since`
    reads them in their time), and its finish stays that capture's time, not now."""
    with session_scope(engine) as session:
        run = session.get(models.CrawlRun, run_id)
        for model in (models.Change, models.Event):
            session.execute(update(model).where(model.run_id == run_id).values(created_at=run.finished)
                            .execution_options(synchronize_session=False))
        run.status = status
        run.stats = {**(run.stats or {}), **stats}


def fail_archived_run(engine: Engine, run_id: int, error: str) -> None:
    """An archived run that could not be completed: failed (never a baseline), read again by the next backfill."""
    with session_scope(engine) as session:
        session.execute(update(models.CrawlRun).where(models.CrawlRun.id == run_id)
                        .values(status="failed", error=error[:1000]))


def touch_archived_run(engine: Engine, run_id: int) -> None:
    """The heartbeat of a running archived run (its process is alive)."""
    with session_scope(engine) as session:
        session.execute(update(models.CrawlRun).where(models.CrawlRun.id == run_id)
                        .values(heartbeat=datetime.now(timezone.utc)))


def known_pages(engine: Engine, source_ids: list[int]) -> dict[int, list[str]]:
    """Per source, the page and product URLs the live runs read of it, sorted: what a backfill asks the archive for
    beside the sources' start URLs (not what archived runs read: a resumed backfill asks for what a whole one
    would have)."""
    pages: dict[int, set[str]] = {source_id: set() for source_id in source_ids}
    if not source_ids:
        return {}
    live = select(models.CrawlRun.id).where(models.CrawlRun.archived.is_(False))
    with session_scope(engine) as session:
        for source_id, url in session.execute(
                select(models.PageSnapshot.source_id, models.PageSnapshot.url).distinct()
                .where(models.PageSnapshot.source_id.in_(source_ids), models.PageSnapshot.run_id.in_(live))):
            pages[source_id].add(url)
        for source_id, url in session.execute(
                select(models.PriceObservation.source_id, models.Product.url).distinct()
                .join(models.Product, models.Product.id == models.PriceObservation.product_id)
                .where(models.PriceObservation.source_id.in_(source_ids), models.PriceObservation.run_id.in_(live),
                       models.Product.url.is_not(None))):
            pages[source_id].add(url)
    return {source_id: sorted(urls) for source_id, urls in pages.items()}


def archived_runs(engine: Engine, competitor_id: int | None = None) -> list[tuple[int, str | None, str]]:
    """(id, period, status) of the archived runs, oldest period first (of one competitor's, when given)."""
    query = select(models.CrawlRun.id, models.CrawlRun.period, models.CrawlRun.status).where(
        models.CrawlRun.archived.is_(True)).order_by(models.CrawlRun.id)
    with session_scope(engine) as session:
        rows = session.execute(query).all()
    if competitor_id is None:
        return [tuple(row) for row in rows]
    return [tuple(row) for row in rows if (row.id - competitor_id) % COMPETITORS_BOUND == 0]
