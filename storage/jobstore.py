"""The scheduler's job store in the dossier database (table `scheduler_job`, migration 0004)."""
from __future__ import annotations

from datetime import datetime, timezone

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import Engine, select

from storage import models

JOB_TABLE = models.SchedulerJob.__tablename__


def job_store(engine: Engine) -> SQLAlchemyJobStore:
    """APScheduler's SQLAlchemy job store on the dossier database: jobs and their next fire times survive restarts."""
    return SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)


def stored_next_run_time(engine: Engine, job_id: str) -> datetime | None:
    """When the stored job was due next (UTC), read without unpickling it; None for no such job or a paused one.

    A scheduler that re-adds its job at start keeps this time when it still fits the trigger, so that a fire time
    missed while it was down is run (once) instead of silently replaced by the next one."""
    with engine.connect() as connection:
        stamp = connection.scalar(select(models.SchedulerJob.next_run_time).where(models.SchedulerJob.id == job_id))
    return datetime.fromtimestamp(stamp, timezone.utc) if stamp is not None else None
