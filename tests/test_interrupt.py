"""Ctrl-C during a run: the run is closed as interrupted by the user, the command says so in one line and exits
130, and the next run runs as after any other stop, against the last good run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

import schedules.nightly
from dossier.errors import EXIT_INTERRUPTED, INTERRUPTED
from fixtures.server import FixtureSites
from schedules.cli import cli
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope
from tests.conftest import wait_until
from tests.crawlsites import Reply, Sites, page

ROOT = Path(__file__).resolve().parent.parent
# Kranrad's catalog (fixtures/README.md), and one page of a test site that the interrupted run's crawl is held on.
CONFIG = """
defaults: {{download_delay: 0}}
competitors:
  - slug: kranrad
    name: Kranrad GmbH
    sources:
      - {{kind: catalog, url: "{kranrad}/produkte/", follow: "/produkte/", paginate: "a.next", allow_private: true}}
      - {{kind: site, url: "{held}/", max_pages: 1, allow_private: true}}
"""
NIGHT2_CHANGES = {  # fixtures/README.md: what the catalog shows from night1 to night2
    ("price_up", "Laufrad LR 200", Decimal("4.70")),
    ("price_up", "Laufrad LR 250", Decimal("6.16")),
    ("price_down", "Spurkranzrad SR 160", Decimal("-5.28")),
    ("product_removed", "Laufrad LR 400", None),
    ("product_added", "Spurkranzrad SR 500", None),
    ("out_of_stock", "Antriebsblock AB 80", None),
}
HOME = page("Held")
HELD = Reply(HOME.body, delay=120)  # answered only when the test's sites stop: the crawl is fetching meanwhile


def processes_using(marker: str) -> list[int]:
    """Pids of this host's live processes whose command line mentions `marker` (the test's own folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                alive = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
                if alive and marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found


def test_ctrl_c_mid_crawl_is_one_line_exit_130_and_the_next_run_diffs_against_the_last_good_run(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    config, outbox = tmp_path / "competitors.yaml", tmp_path / "outbox"
    with FixtureSites(sites=["kranrad"]) as fixtures, Sites(held={"/": HOME}) as held:
        config.write_text(CONFIG.format(kranrad=fixtures.base_url("kranrad"), held=held.base("held")),
                          encoding="utf-8")
        first = run_once(config, database_url, outbox)
        assert first.status == "succeeded", first.failed_sources
        fixtures.night, held.routes["held"]["/"] = "night2", HELD
        held.clear()
        process = subprocess.Popen([sys.executable, "-m", "schedules", "run", "--config", str(config), "--db",
                                    database_url, "--outbox", str(outbox)], cwd=ROOT, start_new_session=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: "/" in held.paths("held") or process.poll() is not None,
                       "the run's crawl to fetch the held page", timeout=60)
            assert process.poll() is None, process.communicate()
            os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the run and its crawl process
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        interrupted = first.run_id + 1
        assert (process.returncode, stdout, stderr) == (
            EXIT_INTERRUPTED, "", f"interrupted by the user (Ctrl-C): run {interrupted} marked failed\n")
        assert processes_using(str(tmp_path)) == []  # its crawl process ended with it
        engine = create_db_engine(database_url)
        with session_scope(engine) as session:
            run = session.get(models.CrawlRun, interrupted)
            assert (run.status, run.error) == ("failed", INTERRUPTED) and run.finished is not None
            assert session.scalar(select(func.count()).select_from(models.RunLock)) == 0
        engine.dispose()

        held.routes["held"]["/"] = HOME
        result = CliRunner().invoke(cli, ["run", "--config", str(config), "--db", database_url, "--outbox",
                                          str(outbox), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["run_id"], report["status"], report["abandoned_runs"]) == (interrupted + 1, "succeeded", [])
    # compared with night1's run, not with the interrupted one: each change of the night once, nothing else
    assert {(c["kind"], c["title"], Decimal(c["magnitude"]) if c["magnitude"] else None)
            for c in report["changes"]} == NIGHT2_CHANGES


def test_ctrl_c_in_a_run_outside_dossier_run_is_recorded_and_said_the_same(tmp_path, monkeypatch):
    """`dossier demo` calls run_once with Python's own SIGINT handling: Ctrl-C is a KeyboardInterrupt there."""
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(schedules.nightly, "crawl_in_subprocess", interrupted)
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "demo")])
    assert (result.exit_code, result.stderr.strip()) == (EXIT_INTERRUPTED, INTERRUPTED)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'demo' / 'dossier.db'}")
    with session_scope(engine) as session:
        [run] = session.scalars(select(models.CrawlRun)).all()
        assert (run.status, run.error) == ("failed", INTERRUPTED) and run.finished is not None
        assert session.scalar(select(func.count()).select_from(models.RunLock)) == 0
    engine.dispose()
