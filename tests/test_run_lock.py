"""One run at a time: the run lock on SQLite and PostgreSQL, stale holders, abandoned runs, `dossier run` refused."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from dossier.errors import RunLockedError
from schedules.cli import cli
from storage import models
from storage.db import session_scope
from storage.lock import RUN_LOCK, SCHEDULER_LOCK, DatabaseLock, process_alive
from storage.runs import fail_abandoned_runs, finish_run, start_run

CONFIG = """
competitors:
  - slug: kranrad
    name: Kranrad GmbH
    sources:
      - kind: site
        url: "http://127.0.0.1:9/"
        allow_private: true
"""


def dead_pid() -> int:
    """The pid of a process of this host that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def hold(engine, owner: str, run_id: int | None = None, heartbeat_age: timedelta = timedelta(0),
         name: str = RUN_LOCK) -> None:
    """A lock row as another process would leave it."""
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(insert(models.RunLock).values(name=name, owner=owner, run_id=run_id, acquired_at=now,
                                                         heartbeat_at=now - heartbeat_age))


def test_a_second_lock_is_refused_naming_the_run_and_then_free_again(engine):
    first = DatabaseLock(engine, owner="host-a:101")
    first.acquire()
    run_id = start_run(engine)
    first.attach_run(run_id)
    second = DatabaseLock(engine, owner="host-b:202")
    with pytest.raises(RunLockedError) as refused:
        second.acquire()
    message = str(refused.value)
    assert message.startswith(f"run {run_id} (process host-a:101, since ")
    assert message.endswith("holds the database's run lock; wait for it, or pass --wait")
    assert refused.value.exit_code == 1
    first.release()
    second.acquire()
    assert second.holder().owner == "host-b:202"
    second.release()
    assert second.holder() is None


def test_the_run_and_scheduler_locks_are_independent(engine):
    with DatabaseLock(engine, RUN_LOCK, owner="h:1"), DatabaseLock(engine, SCHEDULER_LOCK, owner="h:1"):
        with pytest.raises(RunLockedError, match="^another scheduler"):
            DatabaseLock(engine, SCHEDULER_LOCK, owner="h:2").acquire()


def test_a_dead_process_on_this_host_is_taken_over_at_once(engine):
    pid = dead_pid()
    assert not process_alive(pid)
    run_id = start_run(engine)
    hold(engine, f"{socket.gethostname()}:{pid}", run_id)
    lock = DatabaseLock(engine)
    lock.acquire()  # no wait: the holder's heartbeat is fresh, but its process is gone
    [(holder, reason)] = lock.taken_over
    assert holder.run_id == run_id and reason == f"its process {socket.gethostname()}:{pid} is gone"
    lock.release()


def test_a_silent_holder_on_another_host_is_stale_only_after_stale_after(engine):
    hold(engine, "elsewhere:4242", heartbeat_age=timedelta(minutes=3))
    with pytest.raises(RunLockedError, match=r"process elsewhere:4242.*last heartbeat 18\d s ago"):
        DatabaseLock(engine, stale_after=timedelta(minutes=10)).acquire()
    lock = DatabaseLock(engine, stale_after=timedelta(minutes=2))
    lock.acquire()
    assert lock.taken_over[0][1] == "its process elsewhere:4242 sent no heartbeat for 3 min (limit 2 min)"
    lock.release()


def test_a_live_process_on_this_host_is_respected(engine):
    hold(engine, f"{socket.gethostname()}:{1}")  # pid 1 is alive
    with pytest.raises(RunLockedError, match="^a run that is starting"):
        DatabaseLock(engine).acquire()


def test_wait_takes_the_lock_once_the_holder_releases_it(engine):
    holder = DatabaseLock(engine, owner="h:1")
    holder.acquire()
    releaser = threading.Timer(0.6, holder.release)
    releaser.start()
    waiter = DatabaseLock(engine, owner="h:2")
    started = time.monotonic()
    waiter.acquire(wait=True, poll=0.1)
    assert 0.5 < time.monotonic() - started < 5
    assert waiter.holder().owner == "h:2"
    releaser.join()


def test_a_holder_taken_over_learns_it_from_its_heartbeat(engine):
    old = DatabaseLock(engine, owner="elsewhere:1")
    old.acquire()
    with engine.begin() as connection:  # its heartbeats stopped 20 minutes ago
        connection.execute(models.RunLock.__table__.update().values(
            heartbeat_at=datetime.now(timezone.utc) - timedelta(minutes=20)))
    new = DatabaseLock(engine, owner="here:2")
    new.acquire()
    assert old.heartbeat() is False
    old.release()  # releases nothing of the new holder's
    assert new.holder().owner == "here:2" and new.heartbeat() is True


def test_abandoned_runs_are_failed_with_the_reason_and_never_finished_late(engine):
    crashed = start_run(engine)
    unexplained = start_run(engine)
    abandoned = fail_abandoned_runs(engine, {crashed: "its process box:77 is gone"})
    assert [a.run_id for a in abandoned] == [crashed, unexplained]
    with session_scope(engine) as session:
        runs = {r.id: r for r in session.scalars(select(models.CrawlRun))}
    assert runs[crashed].status == "failed" and runs[crashed].error.startswith("abandoned: its process box:77 is gone")
    assert runs[unexplained].error.startswith(f"abandoned: its process {socket.gethostname()}:")
    assert all(run.finished is not None for run in runs.values())
    assert finish_run(engine, crashed, "succeeded") is False  # a late finisher does not overwrite the verdict
    with session_scope(engine) as session:
        assert session.get(models.CrawlRun, crashed).status == "failed"


def test_dossier_run_is_refused_with_exit_code_1_while_another_run_holds_the_lock(engine, database_url, tmp_path):
    config = tmp_path / "competitors.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    run_id = start_run(engine)
    hold(engine, "nightly-box:4711", run_id)
    result = CliRunner().invoke(cli, ["run", "--config", str(config), "--db", database_url, "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: run {run_id} (process nightly-box:4711, since ")
    assert result.stderr.endswith("holds the database's run lock; wait for it, or pass --wait\n")
    assert result.stderr.count("\n") == 1
    with session_scope(engine) as session:  # the refused run started nothing
        assert session.scalar(select(models.CrawlRun.id).order_by(models.CrawlRun.id.desc())) == run_id
