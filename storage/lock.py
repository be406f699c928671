"""Database locks that keep runs (and schedulers) from overlapping: one `run_lock` row per held lock.

Taking a lock is inserting its row; the primary key makes that atomic on SQLite and PostgreSQL alike, across
processes and hosts. The holder refreshes `heartbeat_at` while it works. A row left behind by a dead holder is
stale: its process is gone (same host), or its heartbeat is older than `stale_after` (any host). A stale row is
taken over, and the caller learns whose it was so that it can mark that holder's run failed.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from dossier.errors import RunLockedError
from storage import models

log = logging.getLogger(__name__)

RUN_LOCK = "run"  # held by `dossier run` (and each scheduled run) from before its crawl_run row until its end
SCHEDULER_LOCK = "scheduler"  # held by `dossier schedule`: one scheduler per database and job store
HEARTBEAT_SECONDS = 15.0  # how often a holder refreshes its row; far below any sensible stale_after
STALE_AFTER = timedelta(minutes=10)


def this_process() -> str:
    """The owner string of this process: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(pid: int) -> bool:
    """Whether a process of this host has this pid (a zombie, killed but not yet reaped, counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc (not Linux): os.kill said it exists
        return True


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a lock: its row."""

    name: str
    owner: str  # host:pid
    run_id: int | None
    acquired_at: datetime
    heartbeat_at: datetime

    @property
    def host(self) -> str:
        return self.owner.rpartition(":")[0]

    @property
    def pid(self) -> int | None:
        pid = self.owner.rpartition(":")[2]
        return int(pid) if pid.isdigit() else None

    def stale_reason(self, stale_after: timedelta, now: datetime | None = None) -> str | None:
        """Why this holder is taken for dead, or None while it looks alive."""
        now = now or datetime.now(timezone.utc)
        if self.host == socket.gethostname() and self.pid is not None and not process_alive(self.pid):
            return f"its process {self.owner} is gone"
        silent = now - self.heartbeat_at
        if silent > stale_after:
            return f"its process {self.owner} sent no heartbeat for {_minutes(silent)} (limit {_minutes(stale_after)})"
        return None

    def describe(self, now: datetime | None = None) -> str:
        now = now or datetime.now(timezone.utc)
        what = f"run {self.run_id}" if self.run_id is not None else "a run that is starting"
        if self.name == SCHEDULER_LOCK:
            what = "another scheduler"
        return (f"{what} (process {self.owner}, since {self.acquired_at:%Y-%m-%d %H:%M:%S} UTC, "
                f"last heartbeat {int((now - self.heartbeat_at).total_seconds())} s ago)")


def _minutes(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{delta.total_seconds():.0f} s"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC


class DatabaseLock:
    """A named lock in the `run_lock` table, held by this process (see the module docstring)."""

    def __init__(self, engine: Engine, name: str = RUN_LOCK, stale_after: timedelta = STALE_AFTER,
                 owner: str | None = None) -> None:
        self.engine = engine
        self.name = name
        self.stale_after = stale_after
        self.owner = owner or this_process()
        self.held = False
        self.taken_over: list[tuple[Holder, str]] = []  # stale holders this lock replaced, with the reason

    def holder(self) -> Holder | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(models.RunLock).where(models.RunLock.name == self.name)).first()
        if row is None:
            return None
        return Holder(row.name, row.owner, row.run_id, _aware(row.acquired_at), _aware(row.heartbeat_at))

    def try_acquire(self) -> Holder | None:
        """Take the lock: None when taken, else the live holder. A stale holder's row is replaced."""
        for _ in range(5):  # a few rounds: another process may release or take over in between
            now = datetime.now(timezone.utc)
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(models.RunLock).values(
                        name=self.name, owner=self.owner, run_id=None, acquired_at=now, heartbeat_at=now))
            except IntegrityError:
                holder = self.holder()
                if holder is None:
                    continue  # released meanwhile
                if holder.owner == self.owner:
                    raise RunLockedError(f"lock {self.name!r} is already held by this process ({self.owner})") \
                        from None
                reason = holder.stale_reason(self.stale_after, now)
                if reason is None:
                    return holder
                with self.engine.begin() as connection:  # only that very row: not one a third process just took
                    gone = connection.execute(delete(models.RunLock).where(
                        models.RunLock.name == self.name, models.RunLock.owner == holder.owner,
                        models.RunLock.acquired_at == holder.acquired_at)).rowcount
                if gone:
                    log.warning("lock %r: taking over from %s: %s", self.name, holder.describe(now), reason)
                    self.taken_over.append((holder, reason))
                continue
            self.held = True
            return None
        holder = self.holder()
        if holder is None:
            raise RunLockedError(f"lock {self.name!r}: could not be taken (held and released in turn); try again")
        return holder

    def acquire(self, wait: bool = False, poll: float = 2.0, timeout: float | None = None,
                hint: str = "wait for it, or pass --wait") -> None:
        """Take the lock, or raise RunLockedError naming the holder; with `wait`, poll until it is free."""
        deadline = None if timeout is None else time.monotonic() + timeout
        announced = False
        while True:
            holder = self.try_acquire()
            if holder is None:
                return
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                raise RunLockedError(f"{holder.describe()} holds the database's {self.name} lock; {hint}")
            if not announced:
                log.warning("waiting for %s to finish", holder.describe())
                announced = True
            time.sleep(poll)

    def attach_run(self, run_id: int) -> None:
        """Name the run this lock guards, for whoever finds the lock taken."""
        with self.engine.begin() as connection:
            connection.execute(update(models.RunLock).where(
                models.RunLock.name == self.name, models.RunLock.owner == self.owner).values(run_id=run_id))

    def heartbeat(self) -> bool:
        """Refresh the row; False when the lock was lost (taken over as stale by another process)."""
        with self.engine.begin() as connection:
            kept = connection.execute(update(models.RunLock).where(
                models.RunLock.name == self.name, models.RunLock.owner == self.owner)
                .values(heartbeat_at=datetime.now(timezone.utc))).rowcount
        if not kept and self.held:
            log.error("lock %r was taken over by another process: this process was taken for dead", self.name)
        self.held = bool(kept)
        return self.held

    def release(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(models.RunLock).where(
                models.RunLock.name == self.name, models.RunLock.owner == self.owner))
        self.held = False

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
