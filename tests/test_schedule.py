"""`dossier schedule`: a cron trigger firing the stored job, a missed night run once after a restart, one scheduler
per database, and SIGTERM stopping a real scheduler process in the middle of a real run."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from click.testing import CliRunner
from sqlalchemy import func, select

from fixtures.server import FixtureSites
from schedules.cli import cli
from schedules.scheduler import JOB_ID, NightlyScheduler
from storage import models
from storage.db import create_db_engine, session_scope
from storage.jobstore import job_store
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """
defaults:
  download_delay: {delay}
competitors:
  - slug: kranrad
    name: Kranrad GmbH
    sources:
      - {{kind: site, url: "{kranrad}/", sitemap: true, allow_private: true}}
      - {{kind: catalog, url: "{kranrad}/produkte/", follow: "/produkte/", paginate: "a.next", allow_private: true}}
schedule:
  cron: "{cron}"
  timezone: Europe/Berlin
  misfire_grace_hours: {grace}
"""

FIRED: list[dict] = []  # what record_fire saw, in this process (the scheduler runs its jobs in threads)
RUNNING = {"now": 0, "most": 0}
_guard = threading.Lock()


def record_fire(config_path: str, outbox_dir: str, log_file: str | None = None, verbose: bool = False,
                seconds: float = 0.0) -> None:
    """A stand-in for schedules.scheduler:nightly_job, found by the same kind of textual reference."""
    with _guard:
        RUNNING["now"] += 1
        RUNNING["most"] = max(RUNNING["most"], RUNNING["now"])
        FIRED.append({"at": time.monotonic(), "config_path": config_path, "outbox_dir": outbox_dir})
    time.sleep(seconds)
    with _guard:
        RUNNING["now"] -= 1


@pytest.fixture(autouse=True)
def _clean_record():
    FIRED.clear()
    RUNNING.update(now=0, most=0)
    yield
    wait_until(lambda: RUNNING["now"] == 0, "the last job to end", timeout=5)  # a stopped scheduler does not cut a job


def write_config(folder: Path, cron: str = "0 2 * * *", grace: float = 6, delay: float = 0,
                 urls: dict[str, str] | None = None) -> Path:
    path = folder / "competitors.yaml"
    urls = urls or {"kranrad": "http://127.0.0.1:9"}
    path.write_text(CONFIG.format(cron=cron, grace=grace, delay=delay, **urls), encoding="utf-8")
    return path


class Running:
    """A NightlyScheduler started in a thread, stopped at the end of the block."""

    def __init__(self, scheduler: NightlyScheduler) -> None:
        self.scheduler = scheduler
        self.thread = threading.Thread(target=scheduler.start, kwargs={"install_signals": False}, daemon=True)

    def __enter__(self) -> NightlyScheduler:
        self.thread.start()
        wait_until(lambda: self.scheduler.scheduler.running, "the scheduler to start")
        return self.scheduler

    def __exit__(self, *exc_info) -> None:
        self.scheduler.stop("test over")
        self.thread.join(10)
        assert not self.thread.is_alive()


def test_a_cron_trigger_fires_the_stored_job_one_instance_at_a_time(engine, database_url, tmp_path):
    config = write_config(tmp_path)
    scheduler = NightlyScheduler(config, database_url, tmp_path / "outbox", trigger=CronTrigger(second="*"),
                                 job="test_schedule:record_fire")
    scheduler.scheduler.modify_job(JOB_ID, kwargs={**scheduler.scheduler.get_job(JOB_ID).kwargs, "seconds": 1.5})
    with Running(scheduler):
        wait_until(lambda: len(FIRED) >= 2, "two firings", timeout=8)
        with session_scope(engine) as session:  # the job lives in the dossier database, as does the lock
            assert session.scalar(select(models.SchedulerJob.id)) == JOB_ID
            assert session.scalar(select(models.RunLock.name)) == "scheduler"
    assert RUNNING["most"] == 1  # every second, but a firing during the 1.5 s job waits: max_instances=1
    assert FIRED[1]["at"] - FIRED[0]["at"] >= 1.4
    assert FIRED[0]["config_path"] == str(config.resolve())
    assert FIRED[0]["outbox_dir"] == str((tmp_path / "outbox").resolve())
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.RunLock)) == 0  # released on stop


def _missed_fire_time() -> tuple[str, datetime]:
    """A daily cron whose last fire time was 2 to 3 hours ago, and that time."""
    berlin = ZoneInfo("Europe/Berlin")
    due = (datetime.now(berlin) - timedelta(hours=3)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return f"{due.minute} {due.hour} * * *", due


@pytest.mark.parametrize("grace, fires", [(6, 1), (1, 0)])
def test_a_night_missed_while_the_scheduler_was_down_runs_once_within_the_grace_time(
        engine, database_url, tmp_path, caplog, grace, fires):
    cron, due = _missed_fire_time()
    config = write_config(tmp_path, cron=cron, grace=grace)
    first = NightlyScheduler(config, database_url, job="test_schedule:record_fire")
    with Running(first):
        assert first.next_run_time() > datetime.now(timezone.utc)  # the next one; then the scheduler goes down
    store = job_store(engine)  # the stored job as a scheduler stopped two days earlier would have left it
    store.start(BlockingScheduler(), "default")
    job = store.lookup_job(JOB_ID)
    job._modify(next_run_time=due - timedelta(days=2))
    store.update_job(job)
    assert FIRED == []
    caplog.set_level("INFO", logger="schedules.scheduler")
    second = NightlyScheduler(config, database_url, job="test_schedule:record_fire")  # back up 2-3 h after `due`
    outcomes = []  # APScheduler reports a submitted job's outcome once every fire time it was given is done
    second.scheduler.add_listener(outcomes.append, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    with Running(second):
        wait_until(lambda: any(event.job_id == JOB_ID for event in outcomes), "the missed night to run or be skipped")
        assert len(FIRED) == fires  # three missed fire times, coalesced into one run (or none, past the grace)
        assert second.next_run_time() == due + timedelta(days=1)  # then back on the cron
    verdict = "runs now, once" if fires else "missed by more than the grace time: skipped"
    assert f"was missed while it was down: {verdict}" in caplog.text


def test_a_restart_keeps_a_future_fire_time_and_a_new_cron_replaces_it(engine, database_url, tmp_path):
    config = write_config(tmp_path, cron="30 3 * * *")
    with Running(NightlyScheduler(config, database_url, job="test_schedule:record_fire")) as first:
        planned = first.next_run_time()
    with Running(NightlyScheduler(config, database_url, job="test_schedule:record_fire")) as again:
        assert again.next_run_time() == planned
    config = write_config(tmp_path, cron="45 4 * * *")
    with Running(NightlyScheduler(config, database_url, job="test_schedule:record_fire")) as changed:
        assert (changed.next_run_time().hour, changed.next_run_time().minute) == (4, 45)
    assert FIRED == []


def test_a_second_scheduler_on_the_same_database_is_refused(engine, database_url, tmp_path):
    config = write_config(tmp_path)
    with Running(NightlyScheduler(config, database_url, job="test_schedule:record_fire")):
        second = subprocess.run([sys.executable, "-m", "schedules", "schedule", "--config", str(config), "--db",
                                 database_url], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert re.fullmatch(r"error: another scheduler \(process [^)]+\) holds the database's scheduler lock; "
                        r"stop it first: one scheduler per database\n", second.stderr.splitlines(keepends=True)[-1])


@pytest.mark.parametrize("schedule, message", [
    ("cron: '0 2 * *'", "schedule.cron: not a crontab expression such as '0 2 * * *' (Wrong number of fields; "
                        "got 4, expected 5)"),
    ("timezone: Berlin/Mitte", "schedule.timezone: not an IANA time zone such as Europe/Berlin or UTC"),
    ("misfire_grace_hours: 0", "schedule.misfire_grace_hours: Input should be greater than 0"),
])
def test_a_bad_schedule_is_one_line_and_exit_2(tmp_path, schedule, message):
    config = tmp_path / "competitors.yaml"
    config.write_text("competitors:\n  - {slug: k, name: K, sources: [{kind: site, url: 'https://k.example/'}]}\n"
                      f"schedule:\n  {schedule}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["schedule", "--config", str(config), "--db", f"sqlite:///{tmp_path}/d.db"])
    assert (result.exit_code, result.stderr) == (2, f"error: competitors.yaml: {message}\n")


def _processes_using(marker: str) -> list[int]:
    """Pids of this host's processes whose command line mentions `marker` (the test's own folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.slow  # a real scheduler, its run and its crawl process: ~15 s
def test_sigterm_stops_the_scheduler_and_marks_the_run_in_progress_failed(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    with FixtureSites(sites=["kranrad"]) as sites:
        config = write_config(tmp_path, delay=0.3, urls=sites.urls())
        log = (tmp_path / "schedule.log").open("w")
        process = subprocess.Popen([sys.executable, "-m", "schedules", "schedule", "--config", str(config),
                                    "--db", database_url, "--outbox", str(tmp_path / "outbox"), "--now"],
                                   cwd=ROOT, stderr=log, start_new_session=True)
        engine = create_db_engine(database_url)
        try:
            def crawling() -> bool:
                try:
                    with session_scope(engine) as session:
                        return (session.scalar(select(func.count()).select_from(models.Fetch)) or 0) > 2
                except Exception:  # the database is being created by the scheduler
                    return False
            wait_until(crawling, "the scheduled run to fetch pages", timeout=60)
            signalled = time.monotonic()
            os.kill(process.pid, signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            assert time.monotonic() - signalled < 15  # the run is cut short, not waited for
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
        with session_scope(engine) as session:
            [run] = session.scalars(select(models.CrawlRun)).all()
            assert (run.status, run.error) == ("failed", "RunStopped: stopped by SIGTERM")
            assert run.finished is not None
            assert session.scalar(select(func.count()).select_from(models.RunLock)) == 0
            assert session.scalar(select(models.SchedulerJob.id)) == JOB_ID  # kept for the next start
        engine.dispose()
    assert _processes_using(str(tmp_path)) == []  # neither the run nor its crawl process outlived the scheduler
    text = (tmp_path / "schedule.log").read_text()
    assert "a run starts now (--now), the next by the cron at" in text
    assert "scheduler stopping: SIGTERM received" in text and "scheduler stopped" in text
    assert "error: stopped by SIGTERM: run 1 marked failed" in text  # the run process's own last word ...
    assert "nightly run ended partial, failed or stopped (exit code 1)" in text  # ... and its exit code
