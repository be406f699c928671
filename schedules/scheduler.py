"""`dossier schedule`: APScheduler's BlockingScheduler firing the nightly run on the config's cron.

The job lives in the dossier database (SQLAlchemyJobStore, table `scheduler_job`) with `coalesce`,
`max_instances=1` and a misfire grace of hours, so a night missed while the scheduler was down runs once when it
is back. One scheduler per database: it holds the `scheduler` row of `run_lock`. Each run is `dossier run` in a
process of its own (the crawl is a grandchild): a run's memory goes with it, and SIGTERM reaches it as it would
from a terminal, so that it marks itself failed before it exits.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, EVENT_SCHEDULER_STARTED, JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from dossier.config import load_config
from dossier.errors import EXIT_INTERRUPTED, INTERRUPTED
from storage.db import open_database, resolve_url
from storage.jobstore import job_store, stored_next_run_time
from storage.lock import SCHEDULER_LOCK, DatabaseLock

log = logging.getLogger(__name__)

JOB_ID = "nightly"
NIGHTLY_JOB = "schedules.scheduler:nightly_job"  # a textual reference: the job store pickles it, not the function
SCHEDULER_HEARTBEAT_SECONDS = 30
STOP_GRACE_SECONDS = 60  # how long a stopping scheduler waits for its run to mark itself failed and exit


class _Runs:
    """The run processes this scheduler started, so that stopping it stops them (and starts no new one)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.children: set[subprocess.Popen] = set()
        self.stopping = threading.Event()
        self.database_url: str | None = None  # the scheduler's database, handed to each run (never pickled)

    def reset(self, database_url: str) -> None:
        with self.lock:
            self.stopping.clear()
            self.database_url = database_url

    def start(self, command: list[str]) -> subprocess.Popen | None:
        env = dict(os.environ)
        if self.database_url:
            env["DOSSIER_DATABASE_URL"] = self.database_url  # not on the command line, where `ps` shows it
        with self.lock:
            if self.stopping.is_set():
                return None
            child = subprocess.Popen(command, env=env)
            self.children.add(child)
            return child

    def finished(self, child: subprocess.Popen) -> None:
        with self.lock:
            self.children.discard(child)

    def stop_all(self, number: int = signal.SIGTERM) -> None:
        with self.lock:
            self.stopping.set()
            for child in self.children:
                if child.poll() is None:
                    log.warning("stopping run process %s", child.pid)
                    child.send_signal(number)

    def wait_all(self, timeout: float) -> None:
        with self.lock:
            children = list(self.children)
        for child in children:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                log.error("run process %s did not stop within %.0f s: killed (the next run marks its run failed)",
                          child.pid, timeout)
                child.kill()
                child.wait()


_RUNS = _Runs()


def nightly_job(config_path: str, outbox_dir: str, log_file: str | None = None, verbose: bool = False,
                distributed: bool = False) -> int | None:
    """The scheduled job: `dossier run --wait --quiet` (`--distributed`) in its own process; returns its exit code.

    `--wait`: a manual run still going at fire time delays the nightly one instead of cancelling it."""
    command = [sys.executable, "-m", "schedules", *(["--verbose"] if verbose else []),
               *(["--log-file", log_file] if log_file else []),
               "run", "--config", config_path, "--outbox", outbox_dir, "--wait", "--quiet",
               *(["--distributed"] if distributed else [])]
    child = _RUNS.start(command)
    if child is None:
        log.warning("the scheduler is stopping: the run due now is not started")
        return None
    log.info("nightly run started (process %s)", child.pid)
    try:
        code = child.wait()
    finally:
        _RUNS.finished(child)
    if code == 0:
        log.info("nightly run succeeded")
    elif code == 1:
        log.warning("nightly run ended partial, failed or stopped (exit code 1): see `dossier runs`")
    elif code == EXIT_INTERRUPTED:  # Ctrl-C at the scheduler's terminal reaches its run too
        log.warning("nightly run ended, %s: marked failed (exit code %s)", INTERRUPTED, code)
    else:
        log.error("nightly run could not run (exit code %s): see the error above", code)
    return code


class NightlyScheduler:
    """The scheduler of one config and database; `start` blocks until `stop` (or SIGTERM/SIGINT)."""

    def __init__(self, config_path: str | Path, database_url: str | None = None, outbox_dir: str | Path = "outbox",
                 *, trigger: BaseTrigger | None = None, job: str = NIGHTLY_JOB, run_now: bool = False,
                 log_file: str | None = None, verbose: bool = False, distributed: bool = False) -> None:
        config = load_config(config_path)
        self.schedule = config.schedule
        self.database_url = resolve_url(database_url)
        self.engine = open_database(self.database_url)
        self.timezone = ZoneInfo(self.schedule.timezone)
        self.trigger = trigger or CronTrigger.from_crontab(self.schedule.cron, timezone=self.timezone)
        self.lock = DatabaseLock(self.engine, SCHEDULER_LOCK,
                                 stale_after=timedelta(minutes=self.schedule.stale_after_minutes))
        self.grace = timedelta(hours=self.schedule.misfire_grace_hours)
        self.run_now = run_now
        self.scheduler = BlockingScheduler(
            jobstores={"default": job_store(self.engine), "local": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.grace.total_seconds())},
            timezone=self.timezone)
        self.scheduler.add_listener(self._started, EVENT_SCHEDULER_STARTED)
        self.scheduler.add_listener(self._job_done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        kwargs = {"config_path": str(Path(config_path).resolve()), "outbox_dir": str(Path(outbox_dir).resolve()),
                  "log_file": str(Path(log_file).resolve()) if log_file else None, "verbose": verbose,
                  **({"distributed": True} if distributed else {})}
        self.scheduler.add_job(job, self.trigger, id=JOB_ID, name="nightly run", kwargs=kwargs,
                               replace_existing=True, **self._first_run_time(run_now))
        self.scheduler.add_job(self._heartbeat, "interval", seconds=SCHEDULER_HEARTBEAT_SECONDS, id="heartbeat",
                               name="scheduler heartbeat", jobstore="local")

    def _first_run_time(self, run_now: bool) -> dict[str, Any]:
        """Re-adding the job at start would compute its next fire time afresh and drop one missed while the
        scheduler was down; the stored time is kept when it is a fire time of the (unchanged) trigger."""
        if run_now:
            return {"next_run_time": datetime.now(self.timezone)}
        stored = stored_next_run_time(self.engine, JOB_ID)
        if stored is not None and self.trigger.get_next_fire_time(None, stored) == stored:
            return {"next_run_time": stored}
        return {}

    def start(self, install_signals: bool = True) -> None:
        """Take the scheduler lock (RunLockedError when another scheduler holds it) and schedule until stopped."""
        self.lock.acquire(hint="stop it first: one scheduler per database")
        _RUNS.reset(self.database_url)
        previous: dict[int, Any] = {}
        try:
            if install_signals and threading.current_thread() is threading.main_thread():
                for number in (signal.SIGTERM, signal.SIGINT):
                    previous[number] = signal.signal(number, self._on_signal)
            self.scheduler.start()
        finally:
            _RUNS.wait_all(STOP_GRACE_SECONDS)
            for number, handler in previous.items():
                signal.signal(number, handler)
            self.lock.release()
            self.engine.dispose()
            log.info("scheduler stopped")

    def stop(self, reason: str = "stop requested") -> None:
        """Stop the running run (it marks itself failed) and the scheduler; `start` then returns."""
        log.warning("scheduler stopping: %s", reason)
        _RUNS.stop_all()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _on_signal(self, number: int, _frame) -> None:
        self.stop(f"{signal.Signals(number).name} received")

    def next_run_time(self) -> datetime | None:
        job = self.scheduler.get_job(JOB_ID)
        return job.next_run_time if job else None

    def _started(self, _event) -> None:
        due = self.next_run_time()
        where = f"cron {self.schedule.cron!r} in {self.schedule.timezone}"
        if due is None:
            log.warning("scheduler started (%s), but the nightly job has no next fire time", where)
        elif self.run_now:
            log.info("scheduler started (%s); a run starts now (--now), the next by the cron at %s", where,
                     self.trigger.get_next_fire_time(None, datetime.now(self.timezone)).isoformat())
        elif due <= datetime.now(timezone.utc):
            latest = self._latest_fire_time(due)  # coalesce: only the newest missed fire time runs
            late = datetime.now(timezone.utc) - latest
            verdict = "runs now, once" if late <= self.grace else "missed by more than the grace time: skipped"
            log.warning("scheduler started (%s); the run due %s was missed while it was down: %s",
                        where, latest.isoformat(), verdict)
        else:
            log.info("scheduler started (%s); next run at %s", where, due.isoformat())

    def _latest_fire_time(self, due: datetime, most: int = 10_000) -> datetime:
        now = datetime.now(timezone.utc)
        for _ in range(most):
            following = self.trigger.get_next_fire_time(due, due)
            if following is None or following > now:
                break
            due = following
        return due

    def _job_done(self, event: JobExecutionEvent) -> None:
        if event.job_id != JOB_ID:
            if event.exception is not None:
                log.error("scheduler job %s failed: %s", event.job_id, event.exception)
            return
        if event.code == EVENT_JOB_MISSED:
            log.warning("the run due %s was missed by more than %s: skipped", event.scheduled_run_time.isoformat(),
                        self.grace)
        elif event.exception is not None:
            log.error("the nightly job failed: %s: %s", type(event.exception).__name__, event.exception)
        due = self.next_run_time() if self.scheduler.running else None
        if due is not None:
            log.info("next run at %s", due.isoformat())

    def _heartbeat(self) -> None:
        if not self.lock.heartbeat():
            self.stop("another process took the scheduler lock over (this one was taken for dead)")
