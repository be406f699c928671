"""Crash safety: a real `dossier run` killed with SIGKILL mid-crawl; the next run fails it and diffs as if it never
was."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from fixtures.server import FixtureSites
from schedules.cli import cli
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parent.parent
# The static part of fixtures/demo.yaml (the render: js source is left out: no browser needed here).
CONFIG = """
defaults:
  download_delay: {delay}
competitors:
  - slug: kranrad
    name: Kranrad GmbH
    sources:
      - {{kind: site, url: "{kranrad}/", sitemap: true, max_pages: 50, allow_private: true}}
      - {{kind: catalog, url: "{kranrad}/produkte/", follow: "/produkte/", paginate: "a.next", allow_private: true}}
      - {{kind: reviews, url: "{reviewhub}/firma/kranrad/", paginate: "a.next", allow_private: true}}
  - slug: gruzovoz
    name: ГрузоВоз
    sources:
      - kind: catalog
        url: "{gruzovoz}/tarify/"
        selectors: {{product: ".tariff-card", name: ".tariff-card__title", price: ".tariff-card__price",
                     sku: "::attr(data-tariff-id)"}}
        currency: RUB
        allow_private: true
      - {{kind: reviews, url: "{gruzovoz}/otzyvy/", allow_private: true}}
"""
EXPECTED_NIGHT2 = {  # fixtures/README.md, for the sources above
    ("kranrad", "price_up", "Laufrad LR 200", Decimal("4.70")),
    ("kranrad", "price_up", "Laufrad LR 250", Decimal("6.16")),
    ("kranrad", "price_down", "Spurkranzrad SR 160", Decimal("-5.28")),
    ("kranrad", "product_removed", "Laufrad LR 400", None),
    ("kranrad", "product_added", "Spurkranzrad SR 500", None),
    ("kranrad", "out_of_stock", "Antriebsblock AB 80", None),
    ("gruzovoz", "price_up", "Газель до 1,5 т", Decimal("7.70")),
    ("gruzovoz", "price_down", "Фура 10 т", Decimal("-4.29")),
}
NEW_REVIEWS = {("kranrad", 2), ("gruzovoz", 1)}


def count(engine, model, run_id: int) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(model.run_id == run_id))


@pytest.fixture
def crashed(tmp_path, database_url):
    """night1 complete; night2 killed (SIGKILL to the run and its crawl process) once it has stored prices and
    reviews; the sites still serving night2 for the next run."""
    config = tmp_path / "competitors.yaml"
    with FixtureSites(sites=["kranrad", "gruzovoz", "reviewhub"]) as sites:
        config.write_text(CONFIG.format(delay=0, **sites.urls()), encoding="utf-8")
        first = run_once(config, database_url, tmp_path / "outbox")
        assert first.status == "succeeded"
        sites.night = "night2"
        config.write_text(CONFIG.format(delay=0.3, **sites.urls()), encoding="utf-8")  # slow enough to be caught
        engine = create_db_engine(database_url)
        process = subprocess.Popen([sys.executable, "-m", "schedules", "run", "--config", str(config), "--db",
                                    database_url, "--outbox", str(tmp_path / "outbox"), "--quiet"],
                                   cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE)
        try:
            crashed_id = first.run_id + 1
            wait_until(lambda: count(engine, models.PriceObservation, crashed_id) > 0
                       and count(engine, models.ReviewObservation, crashed_id) > 0,
                       "night2 to store prices and reviews", timeout=60)
        finally:
            os.killpg(process.pid, signal.SIGKILL)  # the run and its crawl process, as an OOM killer or a power cut
            process.wait()
        config.write_text(CONFIG.format(delay=0, **sites.urls()), encoding="utf-8")
        yield config, engine, first.run_id, crashed_id, process.pid
    engine.dispose()


def test_the_next_run_fails_the_killed_one_and_diffs_against_the_last_good_run(crashed, database_url, tmp_path):
    config, engine, good_id, crashed_id, killed_pid = crashed
    with session_scope(engine) as session:
        killed = session.get(models.CrawlRun, crashed_id)
        assert (killed.status, killed.pid, killed.host) == ("running", killed_pid, socket.gethostname())
    partial_prices = count(engine, models.PriceObservation, crashed_id)
    assert partial_prices > 0  # the killed run left observations behind

    result = CliRunner().invoke(cli, ["run", "--config", str(config), "--db", database_url, "--outbox",
                                      str(tmp_path / "outbox"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "succeeded" and report["run_id"] == crashed_id + 1
    [abandoned] = report["abandoned_runs"]
    reason = f"abandoned: its process {socket.gethostname()}:{killed_pid} is gone; found by "
    assert abandoned["run_id"] == crashed_id and abandoned["reason"].startswith(reason)

    with session_scope(engine) as session:
        killed = session.get(models.CrawlRun, crashed_id)
        assert killed.status == "failed" and killed.error.startswith(reason) and killed.finished is not None
        assert session.scalar(select(func.count()).select_from(models.RunLock)) == 0
        assert session.scalar(select(func.count()).select_from(models.CrawlRun)
                              .where(models.CrawlRun.status == "running")) == 0
    # the killed run's partial prices are no baseline: every night1 -> night2 change is found, once
    changes = report["changes"]
    found = {(c["competitor_slug"], c["kind"], c["title"], Decimal(c["magnitude"]) if c["magnitude"] else None)
             for c in changes if c["kind"] in {k for _, k, _, _ in EXPECTED_NIGHT2}}
    assert found == EXPECTED_NIGHT2
    # nor are its reviews: the new ones of night2 are new to this run, though the killed run saw some first
    reviews = {(slug, sum(1 for c in changes if c["kind"] == "review_new" and c["competitor_slug"] == slug))
               for slug, _ in NEW_REVIEWS}
    assert reviews == NEW_REVIEWS
    assert {c["competitor_slug"] for c in changes if c["kind"] == "source_unreachable"} == set()
    assert count(engine, models.PriceObservation, crashed_id) == partial_prices  # kept for the record, unused
