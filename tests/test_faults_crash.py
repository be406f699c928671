"""Fault injection, family 6: crashes and a broken database (docs/reliability.md). Real `dossier run` processes
over the demo sites (fixtures/demo.yaml), killed with SIGKILL (the run and its crawl process, its whole process
group) at seeded-random moments of the crawl, the storing, the diff and the send; two runs at once; a database
locked for longer than the busy timeout, one that is full, and one whose disk fails under a write. Every outcome is compared with a clean reference
run of the same nights in this module, never with fixed numbers.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from fixtures.server import FixtureSites
from storage import models
from storage.db import create_db_engine, upgrade
from tests.conftest import wait_until as shared_wait_until

ROOT = Path(__file__).resolve().parent.parent
SEED = int(os.environ.get("DOSSIER_FAULT_SEED", "6"))  # the kill moments; a failure message names the seed
RUN_TIMEOUT = 300  # seconds for one run on a busy machine (a run of the demo config takes 15-40 s)
# Where the runs are killed: night2 at each step, each followed by a normal run. DOSSIER_FAULT_FULL=1 adds a night1
# cycle (killed while fetching and sending, then compared with a clean night1 back after night2): two more minutes.
KILLS = (("night2", ("fetch", "store", "diff", "send")),) + (
    (("night1", ("fetch", "send")),) if os.environ.get("DOSSIER_FAULT_FULL") else ())
# The demo's competitors these runs crawl: our own shop (the matching), a shop with every static kind, its reviews,
# newsletters, mentions, tenders and channel, and one with a rendered page (the browser is in the killed process
# group). The demo's other competitors add pages, not kinds of step to be killed in.
DEMO_COMPETITORS = ["liftwerk", "kranrad", "toolshop"]
DEMO_SITES = ["liftwerk", "kranrad", "reviewhub", "newsfeed", "tenders", "social", "toolshop", "adlibrary"]
CLEAN_RUN = {"night2": "night2", "night1": "night1-back"}  # the reference run each cycle is compared with
GOOD = ("succeeded", "partial")
# The broken database's wait for a lock (its URL's timeout; Dossier's default is 30 s, storage/db.py). The lock is
# held for it + 5 s: the run's next write, which starts waiting within 5 s of the lock being taken, fails, and its
# marking the run failed, which waits another BUSY_TIMEOUT, finds the lock gone.
BUSY_TIMEOUT = 10.0
# every table a run writes rows of, found from the schema (a table added later is covered too); not what a run
# derives from its baseline (changes and their events, alerts) nor the matches every run writes anew (the run_id
# of each is the run that wrote the table last): a run after a killed one has another baseline
RUN_TABLES = sorted(t.name for t in models.Base.metadata.sorted_tables
                    if "run_id" in t.c and t.name not in ("run_lock", "change", "event", "alert_outbox",
                                                          "channel_outbox", "product_match"))
REMOVALS = re.compile(r"_removed$")
# Faults of SQLite in the processes a test starts, through a sitecustomize module of its own (test code, not
# Dossier's), set by environment variables:
# - FAULT_SQLITE_MAX_PAGES: a connection of the run process (and of its crawl process) may grow the database by
#   this many pages only: a database that is full (max_page_count is a setting of each connection);
# - FAULT_SQLITE_IO_ERROR_ON: a table whose INSERTs fail with SQLite's "disk I/O error" (a disk failing under the
#   write; only the crawl process writes that table).
SITECUSTOMIZE = '''
import os, sqlite3, sqlite3.dbapi2
_pages = os.environ.get("FAULT_SQLITE_MAX_PAGES")
_failing_table = os.environ.get("FAULT_SQLITE_IO_ERROR_ON")


class _FailingCursor(sqlite3.Cursor):
    def _fail(self, sql):
        if sql.lstrip().upper().startswith("INSERT") and _failing_table in sql:
            raise sqlite3.OperationalError("disk I/O error")

    def execute(self, sql, *args):
        self._fail(sql)
        return super().execute(sql, *args)

    def executemany(self, sql, *args):
        self._fail(sql)
        return super().executemany(sql, *args)


class _FailingConnection(sqlite3.Connection):
    def cursor(self, factory=_FailingCursor):
        return super().cursor(factory)


if _pages or _failing_table:
    _connect = sqlite3.dbapi2.connect
    def connect(*args, **kwargs):
        if _failing_table:
            kwargs["factory"] = _FailingConnection
        connection = _connect(*args, **kwargs)
        if _pages:
            connection.execute("PRAGMA max_page_count=" + str(int(_pages)))
        return connection
    sqlite3.connect = sqlite3.dbapi2.connect = connect  # SQLAlchemy calls sqlite3.dbapi2.connect
'''


# ---------------------------------------------------------------- the SMTP peer


class Peer:
    """An aiosmtpd handler keeping every message it accepted; with `stall` set it sits on RCPT (before DATA) for
    that many seconds and says so with `stalled`, so that a run can be killed in the middle of its send."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []  # (Message-ID, Subject)
        self.stall = 0.0
        self.stalled = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall:
            self.stalled.set()
            await asyncio.sleep(self.stall)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((str(message["Message-ID"]), str(message["Subject"])))
        return "250 Message accepted"

    def count(self, message_id: str) -> int:
        return sum(1 for received, _ in self.received if received == message_id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def peer():
    handler = Peer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def sites():
    with FixtureSites(sites=DEMO_SITES) as served:
        yield served


# ---------------------------------------------------------------- runs


@dataclass
class Night:
    """A database and the config of the demo sites, and how to start `dossier run` on them."""

    sites: FixtureSites
    folder: Path
    smtp_port: int
    name: str = "dossier"
    extra_env: dict[str, str] = field(default_factory=dict)
    busy_timeout: float | None = None  # seconds a write waits for a lock (the URL's timeout); None: Dossier's default

    def __post_init__(self) -> None:
        if not self.path.exists():  # `dossier init`: the polls of the first run find the schema there
            engine = create_db_engine(self.url)
            upgrade(engine)
            engine.dispose()

    @property
    def path(self) -> Path:
        return self.folder / f"{self.name}.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}" + (f"?timeout={self.busy_timeout:g}" if self.busy_timeout else "")

    def command(self, night: str, *options: str) -> list[str]:
        self.sites.night = night
        config = self.folder / "competitors.yaml"
        config.write_text(self.sites.render_config(competitors=DEMO_COMPETITORS), encoding="utf-8")
        return [sys.executable, "-m", "schedules", "run", "--config", str(config), "--db", self.url,
                "--outbox", str(self.folder / "outbox"), *options]

    def env(self) -> dict[str, str]:
        return {**os.environ, "DOSSIER_SMTP_URL": f"smtp://127.0.0.1:{self.smtp_port}?timeout=60",
                **self.extra_env}

    def start(self, night: str, *options: str) -> subprocess.Popen:
        """A run in a process group of its own (its crawl process and browser join it), output to files."""
        log = self.folder / f"run-{time.monotonic_ns()}"
        with open(f"{log}.out", "wb") as out, open(f"{log}.err", "wb") as err:
            process = subprocess.Popen(self.command(night, *options), cwd=ROOT, env=self.env(),
                                       start_new_session=True, stdout=out, stderr=err)
        process.log = log  # type: ignore[attr-defined]
        return process

    def run(self, night: str, *options: str) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(night, *options), cwd=ROOT, env=self.env(), capture_output=True,
                              text=True, timeout=RUN_TIMEOUT, check=False)

    def good_run(self, night: str) -> dict:
        """A normal run to its end: its --json report."""
        done = self.run(night, "--json")
        assert done.returncode in (0, 1) and done.stdout, done.stderr[-3000:]
        report = json.loads(done.stdout)
        assert report["status"] in GOOD, (report["status"], report["error"], report["failed_sources"])
        return report


def output(process: subprocess.Popen, stream: str = "err") -> str:
    """What a run started by Night.start wrote to stderr (or "out")."""
    return Path(f"{process.log}.{stream}").read_text(encoding="utf-8", errors="replace")


def query(url: str, sql: str, **params):
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    finally:
        engine.dispose()


def scalar(url: str, sql: str, **params):
    return query(url, sql, **params)[0][0]


def group(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _ppid, pgrp = (entry / "stat").read_text().rpartition(")")[2].split()[:3]
        except (OSError, ValueError):
            continue
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def wait_until(condition, what: str, timeout: float = RUN_TIMEOUT, poll: float = 0.05) -> None:
    """tests/conftest.py's wait, bounded by a run's time on a busy machine unless told otherwise."""
    shared_wait_until(condition, what, timeout=timeout, poll=poll)


def run_counts(url: str, run_id: int) -> dict[str, int]:
    return {table: scalar(url, f"SELECT count(*) FROM {table} WHERE run_id = :run", run=run_id)
            for table in RUN_TABLES}


def changes(url: str, run_ids) -> Counter:
    rows = query(url, "SELECT c.run_id, p.slug, c.kind, c.entity, c.before, c.after FROM change c "
                      "JOIN competitor p ON p.id = c.competitor_id")
    return Counter(tuple(row[1:]) for row in rows if row[0] in set(run_ids))


def runs(url: str) -> dict[int, tuple[str, str | None, dict]]:
    return {row[0]: (row[1], row[2], json.loads(row[3]) if isinstance(row[3], str) else (row[3] or {}))
            for row in query(url, "SELECT id, status, error, stats FROM crawl_run ORDER BY id")}


def newsletters(url: str, run_ids) -> Counter:
    rows = query(url, "SELECT run_id, source_id, message_id FROM newsletter")
    return Counter((row[1], row[2]) for row in rows if row[0] in set(run_ids))


def digests(url: str) -> list[tuple[int, str, str, str, str]]:
    return [tuple(row) for row in query(url, "SELECT run_id, recipients, status, message_id, subject "
                                             "FROM alert_outbox ORDER BY id")]


# ---------------------------------------------------------------- the clean reference, and two runs at once


@dataclass
class Reference:
    night: Night
    runs: dict[str, int]  # "night1", "night1-again", "night2", "night1-back" -> run id
    overlap: dict
    night1_copy: Path  # the database after the two night1 runs, for the broken-database scenarios


@pytest.fixture(scope="module")
def reference(sites, peer, tmp_path_factory) -> Reference:
    """Clean runs: night1 (during which a second run is refused and a third waits with --wait, then runs night1
    again), night2, night1. One scenario of this family (two overlapping runs) is the first two."""
    _, port = peer
    night = Night(sites, tmp_path_factory.mktemp("reference"), port)
    first = night.start("night1", "--json")
    wait_until(lambda: query(night.url, "SELECT run_id FROM run_lock WHERE run_id IS NOT NULL"),
               "the first run to hold the run lock")
    [(first_id, owner, acquired)] = query(night.url, "SELECT run_id, owner, acquired_at FROM run_lock")
    # the --wait run starts alongside the refused one, not after it: on a loaded machine the first run may end
    # while two processes start one after the other, and then nothing is left to wait for
    waiting = night.start("night1", "--wait", "--json")
    refused = night.run("night1", "--quiet")
    after_refused = (query(night.url, "SELECT run_id, owner, acquired_at FROM run_lock"),
                     scalar(night.url, "SELECT count(*) FROM crawl_run"))
    assert first.poll() is None, "the first run ended before the second was refused: nothing overlapped"
    first_running = [True]  # looked at before the output: once that says "waiting", the first run was still on

    def says_it_waits() -> bool:
        first_running[0] = first.poll() is None
        return "waiting for run " in output(waiting) or not first_running[0]
    wait_until(says_it_waits, "the --wait run to find the lock held and say it waits")
    still_first = first_running[0]
    first.wait(RUN_TIMEOUT)
    waiting.wait(RUN_TIMEOUT)
    reports = [json.loads(output(p, "out")) for p in (first, waiting)]
    assert [r["status"] in GOOD for r in reports] == [True, True], reports
    night1_copy = night.folder / "night1-copy.db"
    with sqlite3.connect(night.path) as source, sqlite3.connect(night1_copy) as copy:
        source.backup(copy)
    again = reports[1]["run_id"]
    second = night.good_run("night2")
    back = night.good_run("night1") if "night1" in dict(KILLS) else {"run_id": None}
    overlap = {"first": reports[0], "waiting": reports[1], "refused": refused, "first_lock": (first_id, owner, acquired),
               "after_refused": after_refused, "waited": still_first, "waiting_stderr": output(waiting),
               "first_finished": scalar(night.url, "SELECT finished FROM crawl_run WHERE id = :id", id=first_id),
               "waiting_started": scalar(night.url, "SELECT started FROM crawl_run WHERE id = :id", id=again)}
    return Reference(night, {"night1": first_id, "night1-again": again, "night2": second["run_id"],
                             "night1-back": back["run_id"]}, overlap, night1_copy)


def test_a_second_run_is_refused_with_one_line_and_exit_1_and_writes_nothing(reference):
    overlap = reference.overlap
    first_id, owner, _ = overlap["first_lock"]
    refused = overlap["refused"]
    assert refused.returncode == 1
    assert re.fullmatch(rf"error: run {first_id} \(process {re.escape(owner)}, since \S+ \S+ UTC, last heartbeat "
                        r"\d+ s ago\) holds the database's run lock; wait for it, or pass --wait\n", refused.stderr), \
        refused.stderr
    assert refused.stdout == ""
    lock_rows, crawl_runs = overlap["after_refused"]
    assert [tuple(row) for row in lock_rows] == [overlap["first_lock"]]  # the lock untouched
    assert crawl_runs == 1  # no run row of its own


def test_a_second_run_with_wait_runs_after_the_first_and_reports_nothing_false(reference):
    overlap = reference.overlap
    assert overlap["waited"], "the first run ended before --wait had to wait"
    assert "waiting for run " in overlap["waiting_stderr"]
    assert overlap["waiting"]["run_id"] == overlap["first"]["run_id"] + 1
    assert overlap["waiting_started"] >= overlap["first_finished"]
    # the same night twice: no removal, and nothing of the first night found again
    assert [c for c in overlap["waiting"]["changes"] if REMOVALS.search(c["kind"])] == []


# ---------------------------------------------------------------- kill -9, again and again


@dataclass
class Kill:
    point: str  # fetch | store | diff | send
    night: str
    run_id: int
    pid: int
    after: float  # seconds after the run started


@dataclass
class Crashed:
    night: Night
    kills: list[Kill]
    good: dict[str, list[int]]  # night -> the runs that ended normally (the normal runs after the kills)
    first: int  # the first night1 run


def kill_run(night: Night, name: str, point: str, rng: random.Random, peer: Peer) -> Kill:
    """Start a run of `name` and SIGKILL its process group at `point`: a seeded-random moment of the crawl; just
    after the crawl's first rows are stored; just after the sources were judged (the diff follows within the
    second); or while the SMTP peer holds the digest's RCPT (the send)."""
    before = scalar(night.url, "SELECT coalesce(max(id), 0) FROM crawl_run")
    if point == "send":
        peer.stall, peer.stalled = 120.0, threading.Event()
    process = night.start(name, "--quiet")
    started = time.monotonic()
    try:
        wait_until(lambda: scalar(night.url, "SELECT coalesce(max(id), 0) FROM crawl_run") > before,
                   "the run to start")
        run_id = before + 1
        if point == "fetch":
            time.sleep(rng.uniform(1.0, 7.0))
        elif point == "store":
            wait_until(lambda: scalar(night.url, "SELECT count(*) FROM fetch WHERE run_id = :r", r=run_id) > 0,
                       "the crawl to store its first rows")
            time.sleep(rng.uniform(0.0, 0.4))
        elif point == "diff":
            wait_until(lambda: scalar(night.url, "SELECT count(*) FROM source_crawl WHERE run_id = :r", r=run_id),
                       "the sources to be judged", poll=0.02)
            time.sleep(rng.uniform(0.0, 0.15))
        else:
            assert peer.stalled.wait(RUN_TIMEOUT), "the run never reached its send"
        after = time.monotonic() - started
        assert process.poll() is None, f"the run ended before the kill at {point} (seed {SEED}): {output(process)}"
        os.killpg(process.pid, signal.SIGKILL)  # as the OOM killer or a power cut: no clean-up of any kind
        process.wait(60)
        wait_until(lambda: not group(process.pid), "the killed run's processes to be gone", timeout=30)
    finally:
        peer.stall = 0.0
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(60)
    status = scalar(night.url, "SELECT status FROM crawl_run WHERE id = :r", r=run_id)
    assert status == "running", f"kill at {point} came after the run ended ({status}; seed {SEED})"
    return Kill(point, name, run_id, process.pid, round(after, 2))


@pytest.fixture(scope="module")
def crashed(sites, peer, tmp_path_factory, reference) -> Crashed:
    """night1 normally; night2 killed while fetching, storing, diffing and sending, then a normal run; night1
    again killed while fetching and sending, then a normal run."""
    handler, port = peer
    night = Night(sites, tmp_path_factory.mktemp("crashed"), port)
    rng = random.Random(SEED)
    first = night.good_run("night1")["run_id"]
    kills, good = [], {name: [] for name, _ in KILLS}
    for name, points in KILLS:
        for point in points:
            kills.append(kill_run(night, name, point, rng, handler))
        good[name].append(night.good_run(name)["run_id"])
    return Crashed(night, kills, good, first)


def _good_runs(crashed: Crashed) -> dict[str, list[int]]:
    """The runs of each night that ended good: the normal runs, and the killed ones closed with their outcome."""
    statuses = runs(crashed.night.url)
    out = {}
    for name in crashed.good:
        ids = {k.run_id for k in crashed.kills if k.night == name} | set(crashed.good[name])
        out[name] = sorted(i for i in ids if statuses[i][0] in GOOD)
    return out


def test_every_killed_run_is_closed_by_the_next_and_none_is_left_running(crashed):
    statuses = runs(crashed.night.url)
    host = socket.gethostname()
    assert [i for i, (status, _, _) in statuses.items() if status == "running"] == []
    assert query(crashed.night.url, "SELECT * FROM run_lock") == []
    for kill in crashed.kills:
        status, error, stats = statuses[kill.run_id]
        if status == "failed":
            assert error.startswith(f"abandoned: its process {host}:{kill.pid} is gone; found by "), (kill, error)
        else:  # died while sending a digest it had stored: its diff was complete, so it keeps its outcome
            assert kill.point == "send" and status in GOOD, (kill, status, error)
            assert stats["closed_after_death"].startswith(f"closed as {status} (its diff and digest were complete)")


def test_no_observation_is_duplicated_and_each_good_run_stored_what_a_clean_run_stores(crashed, reference):
    good = _good_runs(crashed)
    expected = {name: reference.runs[CLEAN_RUN[name]] for name in good}
    url, ref = crashed.night.url, reference.night.url
    assert run_counts(url, crashed.first) == run_counts(ref, reference.runs["night1"])
    for name, ids in good.items():
        for run_id in ids:
            mine, clean = run_counts(url, run_id), run_counts(ref, expected[name])
            mine.pop("newsletter"), clean.pop("newsletter")  # a newsletter is stored once, by the first run to read it
            assert mine == clean, (name, run_id, crashed.kills)
    for table, columns in (("product", "competitor_id, key"), ("review", "competitor_id, platform, external_id"),
                           ("ad", "competitor_id, platform, external_id"), ("mention", "competitor_id, key"),
                           ("tender", "competitor_id, format, notice_id")):
        assert query(url, f"SELECT {columns} FROM {table} GROUP BY {columns} HAVING count(*) > 1") == []
        assert scalar(url, f"SELECT count(*) FROM {table}") == scalar(ref, f"SELECT count(*) FROM {table}"), table


def test_each_newsletter_is_stored_by_a_good_run(crashed, reference):
    good = _good_runs(crashed)
    mine = newsletters(crashed.night.url, [crashed.first, *(i for ids in good.values() for i in ids)])
    clean = newsletters(reference.night.url, [i for i in reference.runs.values() if i is not None])
    assert mine == clean, crashed.kills


def test_each_real_change_is_recorded_once_among_the_good_runs_and_nothing_is_falsely_removed(crashed, reference):
    good = _good_runs(crashed)
    url, ref = crashed.night.url, reference.night.url
    for name, clean_run in ((name, reference.runs[CLEAN_RUN[name]]) for name in good):
        clean = changes(ref, [clean_run])
        assert clean, f"the clean {name} run found no change: nothing to compare"
        mine = changes(url, good[name])
        assert mine == clean, (name, crashed.kills, mine - clean, clean - mine)
        assert {c for c in mine if REMOVALS.search(c[1])} <= {c for c in clean if REMOVALS.search(c[1])}


def test_every_digest_reached_the_peer_exactly_once_and_none_is_stuck_sending(crashed, reference, peer):
    handler, _ = peer
    stored = [d for d in digests(crashed.night.url) if d[1]]
    assert [d for d in stored if d[2] != "sent"] == [], stored
    assert [(d[3], handler.count(d[3])) for d in stored] == [(d[3], 1) for d in stored]
    # and each night's changes in one digest, as the clean runs mailed them
    clean = [d for d in digests(reference.night.url) if d[1]]
    assert clean, "the clean runs mailed no digest: nothing to compare the killed runs' digests with"
    assert sorted(d[4] for d in stored) == sorted(d[4] for d in clean)
    assert all(handler.count(d[3]) == 1 for d in clean)


# ---------------------------------------------------------------- a database locked for too long, or full


@dataclass
class Broken:
    night: Night
    before: dict[int, dict[str, int]]  # the earlier runs' rows, per table
    before_changes: Counter
    locked: subprocess.CompletedProcess
    locked_run: int
    full: subprocess.CompletedProcess
    full_run: int
    failing: subprocess.CompletedProcess  # the disk failing under the crawl's write
    failing_run: int
    after: dict


def _hold_lock_after_the_crawl(night: Night, process: subprocess.Popen, run_id: int) -> float:
    """Once the crawl process is gone (the run goes on to judge, diff and alert), hold an exclusive lock for
    longer than the busy timeout: the run's next write waits for it and fails. Returns how long it was held."""
    wait_until(lambda: process.poll() is not None or (
        scalar(night.url, "SELECT count(*) FROM crawl_run WHERE id = :r", r=run_id) and len(group(process.pid)) == 1
        and scalar(night.url, "SELECT count(*) FROM fetch WHERE run_id = :r", r=run_id)), "the crawl to end")
    assert process.poll() is None, "the run ended before the database could be locked"
    holder = sqlite3.connect(night.path, timeout=60, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        held = time.monotonic()
        time.sleep(night.busy_timeout + 5)
        holder.execute("ROLLBACK")
        return time.monotonic() - held
    finally:
        holder.close()


@pytest.fixture(scope="module")
def broken(sites, peer, tmp_path_factory, reference) -> Broken:
    """The database after night1 (copied from the reference): night2 with the database locked after the crawl,
    night2 with the database full, then night2 normally."""
    _, port = peer
    folder = tmp_path_factory.mktemp("broken")
    shutil.copy(reference.night1_copy, folder / "dossier.db")
    night = Night(sites, folder, port, busy_timeout=BUSY_TIMEOUT)
    earlier = sorted(runs(night.url))
    before = {run_id: run_counts(night.url, run_id) for run_id in earlier}
    before_changes = changes(night.url, earlier)

    process = night.start("night2", "--quiet")
    locked_run = max(earlier) + 1
    _hold_lock_after_the_crawl(night, process, locked_run)
    process.wait(RUN_TIMEOUT)
    locked = subprocess.CompletedProcess(process.args, process.returncode, "", output(process))

    (folder / "sitecustomize").mkdir()
    (folder / "sitecustomize" / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    pages = scalar(night.url, "PRAGMA page_count")
    night.extra_env = {"PYTHONPATH": str(folder / "sitecustomize"), "FAULT_SQLITE_MAX_PAGES": str(pages + 8)}
    full = night.run("night2", "--quiet")
    full_run = max(runs(night.url))
    night.extra_env = {"PYTHONPATH": str(folder / "sitecustomize"), "FAULT_SQLITE_IO_ERROR_ON": "price_observation"}
    failing = night.run("night2", "--quiet")
    night.extra_env = {}
    failing_run = max(runs(night.url))
    after = night.good_run("night2")
    return Broken(night, before, before_changes, locked, locked_run, full, full_run, failing, failing_run, after)


def _fails_with_one_line(done: subprocess.CompletedProcess, run_status, reason: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and reason in errors[0], done.stderr
    status, error, _ = run_status
    assert status == "failed" and reason in error, (status, error)


def test_a_database_locked_longer_than_the_busy_timeout_fails_the_run_with_one_line(broken):
    statuses = runs(broken.night.url)
    _fails_with_one_line(broken.locked, statuses[broken.locked_run],
                         f"locked by another connection for longer than {BUSY_TIMEOUT:g} s")


@pytest.mark.parametrize(("which", "reason"), [
    ("full", "the database or its disk is full; free space, then run again"),
    ("failing", "disk I/O error; check the disk and the database file"),
])
def test_a_full_or_failing_database_fails_the_run_with_one_line(broken, which, reason):
    """The crawl process meets the full database, or the disk failing under its write: it stops, and the run fails
    on its one line (its summary line `run N: failed: …`; the run itself could still write its outcome)."""
    statuses = runs(broken.night.url)
    assert (broken.full_run, broken.failing_run) == (broken.locked_run + 1, broken.locked_run + 2)
    done, run_id = getattr(broken, which), getattr(broken, f"{which}_run")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    failed = [line for line in done.stderr.splitlines() if line.startswith(f"run {run_id}: failed: ")]
    assert len(failed) == 1 and reason in failed[0] and "error: " not in failed[0], done.stderr
    status, error, _ = statuses[run_id]
    assert status == "failed" and error.startswith("storing the crawl failed: database ") and reason in error, error
    assert scalar(broken.night.url, "SELECT count(*) FROM change WHERE run_id = :r", r=run_id) == 0


def test_a_broken_database_leaves_nothing_half_written(broken, reference):
    url = broken.night.url
    assert scalar(url, "SELECT count(*) FROM change WHERE run_id = :r", r=broken.locked_run) == 0  # no partial set
    for run_id in (broken.locked_run, broken.full_run, broken.failing_run):
        assert runs(url)[run_id][0] != "running"
        assert scalar(url, "SELECT count(*) FROM alert_outbox WHERE run_id = :r", r=run_id) == 0
    # the write the disk failed under was the crawl's one transaction: none of its rows is there. What the run
    # process wrote itself stays: each source's outcome, the site audits from the crawl's report, the mailbox read.
    crawled = run_counts(url, broken.failing_run)
    for written_by_the_run in ("source_crawl", "site_audit", "fetch"):
        crawled.pop(written_by_the_run)
    assert set(crawled.values()) == {0}, crawled
    assert scalar(url, "SELECT count(*) FROM fetch WHERE run_id = :r AND url NOT LIKE 'mbox:%'",
                  r=broken.failing_run) == 0
    # and a crawled source says the crawl failed, not that its site gave nothing
    reasons = {row[0] for row in query(url, "SELECT s.reason FROM source_crawl s JOIN source ON source.id = "
                                            "s.source_id WHERE s.run_id = :r AND source.kind <> 'newsletter'",
                                       r=broken.failing_run)}
    assert reasons == {"nothing was stored: the crawl failed (see the run's error)"}
    assert query(url, "SELECT * FROM run_lock") == []
    assert {run_id: run_counts(url, run_id) for run_id in broken.before} == broken.before
    assert changes(url, broken.before) == broken.before_changes
    # the night after: as if the broken runs had never been
    assert runs(url)[broken.full_run][0] == runs(url)[broken.failing_run][0] == "failed"
    ref = reference.night.url
    assert changes(url, [broken.after["run_id"]]) == changes(ref, [reference.runs["night2"]])
    mine, clean = run_counts(url, broken.after["run_id"]), run_counts(ref, reference.runs["night2"])
    mine.pop("newsletter"), clean.pop("newsletter")  # see test_each_newsletter_is_stored_by_a_good_run
    assert mine == clean
