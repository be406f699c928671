"""`dossier backfill` over the fixture archive (fixtures/archive: a CDX index and captures of Kranrad's home page and
catalog from 2022 to 2026, served on 127.0.0.1): archived runs dated by their captures, their changes in
`dossier changes --since`, the old prices in the report's price history; a second backfill adds nothing; a killed
backfill resumes to what an uninterrupted one stores; an index answering an error page stores nothing; archived
runs never become a live run's baseline."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from dossier.config import load_config
from fixtures.server import FixtureSites
from schedules.cli import cli
from storage import models
from storage.db import create_db_engine, session_scope, upgrade
from storage.diff import baseline_run
from storage.lock import RUN_LOCK, DatabaseLock
from storage.reporting import competitor_dossier
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter
from extractors.records import Product
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """
competitors:
  - slug: kranrad
    name: Kranrad GmbH
    sources:
      - {kind: site, url: "https://kranrad.example/"}
      - {kind: catalog, url: "https://kranrad.example/produkte/", follow: "/produkte/"}
      - {kind: ads, url: "https://ads.example/api?page=kranrad", format: meta_ad_library}
  - slug: other
    name: Other
    sources:
      - {kind: site, url: "https://other.example/"}
"""
# the archived runs of --since 2024, per month: (period, newest capture)
MONTHS = [("2024-03", "2024-03-12T10:10:05"), ("2024-10", "2024-10-08T14:30:10"), ("2025-05", "2025-05-20T09:15:20"),
          ("2026-02", "2026-02-17T11:00:00")]
EXPECTED_CHANGES = {  # period -> (kind, entity) of its changes
    "2024-03": set(),  # the first: the baseline
    "2024-10": {("price_up", "product:KR-LR-200")},
    "2025-05": {("price_up", "product:KR-LR-200"), ("price_up", "product:KR-LR-250"),
                ("product_added", "product:KR-LR-315"), ("technology_added", "technology:Matomo Analytics"),
                ("text_changed", "text:https://kranrad.example/#h1"),
                ("text_changed", "text:https://kranrad.example/#main_text")},
    "2026-02": {("price_down", "product:KR-LR-250")},
}


@pytest.fixture(scope="module")
def archive():
    with FixtureSites(sites=["archive"]) as sites:
        yield sites


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "competitors.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def backfill(config: Path, url: str, archive_url: str, *extra: str, cache: Path | None = None):
    runner = CliRunner()
    result = runner.invoke(cli, ["backfill", "--config", str(config), "--competitor", "kranrad", "--archive",
                                 archive_url, "--delay", "0", "--cache", str(cache or config.parent / "cache"),
                                 "--db", url, *extra], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def counts(url: str) -> dict[str, int]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return {table.name: connection.scalar(select(func.count()).select_from(table))
                    for table in models.Base.metadata.sorted_tables if table.name != "run_lock"}
    finally:
        engine.dispose()


def archived(url: str) -> list[tuple]:
    engine = create_db_engine(url)
    try:
        with session_scope(engine) as session:
            return [(run.id, run.period, run.status, run.archived, _utc(run.started), _utc(run.finished))
                    for run in session.scalars(select(models.CrawlRun).where(models.CrawlRun.archived.is_(True))
                                               .order_by(models.CrawlRun.id))]
    finally:
        engine.dispose()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def years_back() -> str:
    """--since of `dossier changes` reaching back to March 2024 (3y while the fixture's captures are that recent)."""
    return f"{max(3, datetime.now(timezone.utc).year - 2024 + 1)}y"


def test_backfill_fills_past_runs_that_changes_and_the_price_history_show(archive, config, database_url):
    code, out, err = backfill(config, database_url, archive.base_url("archive"), "--since", "2024")
    assert code == 0, err
    assert "kranrad: 4 archived runs added, 0 already stored, 0 failed; 2 pages asked of the archive, 6 captures " \
           "fetched, 2 from the cache, 8 changes" in " ".join(out.split())
    runs = archived(database_url)
    assert [(period, status, flag) for _, period, status, flag, _, _ in runs] == [
        (period, "succeeded", True) for period, _ in MONTHS]
    assert [finished.isoformat() for *_, finished in runs] == [f"{moment}+00:00" for _, moment in MONTHS]
    assert all(run_id < 0 for run_id, *_ in runs)  # below every live run's id
    # the ads source is not read from the archive, the other competitor is not touched
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        kinds = set(connection.execute(text(
            "SELECT DISTINCT s.kind FROM source_crawl sc JOIN source s ON s.id = sc.source_id")).scalars())
    assert kinds == {"site", "catalog"}

    result = CliRunner().invoke(cli, ["changes", "--since", years_back(), "--json", "--db", database_url],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    by_run = {period: {(c["kind"], c["entity"]) for c in listed if c["run_id"] == run_id}
              for run_id, period, *_ in runs}
    assert by_run == EXPECTED_CHANGES
    finished = {run_id: end for run_id, _, _, _, _, end in runs}
    assert all(datetime.fromisoformat(c["created_at"]).replace(tzinfo=timezone.utc) == finished[c["run_id"]]
               for c in listed)  # dated by the capture
    assert all(c["event_id"] is not None for c in listed)
    # a window that ends before the newest period leaves the later ones out
    result = CliRunner().invoke(cli, ["changes", "--since", "2025-06-01", "--json", "--db", database_url],
                                catch_exceptions=False)
    assert {c["kind"] for c in json.loads(result.stdout)} == {"price_down"}

    result = CliRunner().invoke(cli, ["runs", "--json", "--db", database_url], catch_exceptions=False)
    assert [(r["archived"], r["status"], r["changes"]) for r in json.loads(result.stdout)] == [
        (period, "succeeded", len(EXPECTED_CHANGES[period])) for period, _ in reversed(MONTHS)]

    chart = competitor_dossier(engine, "kranrad")
    engine.dispose()
    series = {s["label"]: s["prices"] for c in chart.price_charts for s in c["series"]}
    assert series["Laufrad LR 200"] == ["449.00 EUR", "479.00 EUR", "489.00 EUR", "489.00 EUR"]
    assert series["Laufrad LR 250"] == ["599.00 EUR", "599.00 EUR", "649.00 EUR", "629.00 EUR"]
    assert series["Laufrad LR 315"] == [None, None, "829.00 EUR", "829.00 EUR"]
    assert chart.price_charts[0]["labels"][0].startswith("archive 2024-03 · 2024-03-12")


def test_a_second_backfill_adds_nothing_and_fetches_nothing(archive, config, tmp_path):
    url = f"sqlite:///{tmp_path}/d.db"
    assert backfill(config, url, archive.base_url("archive"), "--since", "2024")[0] == 0
    before = counts(url)
    code, out, _ = backfill(config, url, archive.base_url("archive"), "--since", "2024")
    assert code == 0
    assert "0 archived runs added, 4 already stored, 0 failed; 2 pages asked of the archive, 0 captures fetched, " \
           "0 from the cache, 0 changes" in " ".join(out.split())
    assert counts(url) == before
    # another database, the same cache: every capture comes from it
    other = f"sqlite:///{tmp_path}/other.db"
    code, out, _ = backfill(config, other, archive.base_url("archive"), "--since", "2024")
    assert code == 0 and "0 captures fetched, 8 from the cache" in " ".join(out.split())
    assert counts(other) == before


def test_quarters_and_everything_the_archive_has(archive, config, tmp_path):
    url = f"sqlite:///{tmp_path}/d.db"
    code, _, err = backfill(config, url, archive.base_url("archive"), "--per", "quarter")
    assert code == 0, err
    assert [period for _, period, *_ in archived(url)] == ["2022-Q2", "2024-Q1", "2024-Q4", "2025-Q2", "2026-Q1"]
    before = counts(url)
    # runs per month beside them would interleave with them: refused, nothing stored
    code, out, err = backfill(config, url, archive.base_url("archive"), "--per", "month")
    assert (code, out) == (2, "")
    assert err == "error: --per: kranrad's archived runs are per quarter (2022-Q2 to 2026-Q1): backfill it --per " \
                  "quarter\n"
    assert counts(url) == before


def test_a_killed_backfill_resumes_to_what_an_uninterrupted_one_stores(archive, config, tmp_path):
    whole = f"sqlite:///{tmp_path}/whole.db"
    assert backfill(config, whole, archive.base_url("archive"), "--since", "2024",
                    cache=tmp_path / "whole-cache")[0] == 0
    killed = f"sqlite:///{tmp_path}/killed.db"
    command = [sys.executable, "-m", "schedules", "backfill", "--config", str(config), "--competitor", "kranrad",
               "--since", "2024", "--archive", archive.base_url("archive"), "--delay", "0.4",
               "--cache", str(tmp_path / "cache"), "--db", killed]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        def midway() -> bool:  # a period done, the next one begun: some of its fetch rows stored
            if not Path(f"{tmp_path}/killed.db").exists():
                return False
            try:
                runs = archived(killed)
            except Exception:  # the database is still being created
                return False
            return (any(status == "succeeded" for _, _, status, *_ in runs)
                    and any(status == "running" for _, _, status, *_ in runs)
                    and counts(killed)["fetch"] > 2)
        wait_until(midway, "a backfill half-way through a period", timeout=120, poll=0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    statuses = [status for _, _, status, *_ in archived(killed)]
    assert "running" in statuses and len(statuses) < 5
    code, out, err = backfill(config, killed, archive.base_url("archive"), "--since", "2024", cache=tmp_path / "cache")
    assert code == 0, err
    assert "0 failed" in out and "already stored" in out
    assert counts(killed) == counts(whole)
    assert contents(killed) == contents(whole)


def contents(url: str) -> dict[str, set]:
    """What a backfill stored, without the row ids and clocks that differ between two databases."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return {
                "runs": set(connection.execute(text(
                    "SELECT id, period, status, started, finished FROM crawl_run"))),
                "prices": set(connection.execute(text(
                    "SELECT po.run_id, p.key, po.price, po.currency FROM price_observation po "
                    "JOIN product p ON p.id = po.product_id"))),
                "products": set(connection.execute(text(
                    "SELECT key, name, first_seen_run_id, last_seen_run_id FROM product"))),
                "pages": set(connection.execute(text("SELECT run_id, url, h1, text_hash FROM page_snapshot"))),
                "changes": set(connection.execute(text(
                    "SELECT run_id, kind, entity, before, after, created_at FROM change"))),
                "events": set(connection.execute(text("SELECT run_id, kind, title, created_at FROM event"))),
            }
    finally:
        engine.dispose()


def test_an_index_answering_an_error_page_stores_nothing_and_says_one_line(config, tmp_path):
    url = f"sqlite:///{tmp_path}/d.db"
    with FixtureSites(sites=["archive"], night="errorpage") as sites:
        base = sites.base_url("archive")
        code, out, err = backfill(config, url, base, "--since", "2024")
    assert code == 2 and out == ""
    assert err == (f"error: archive {base}: CDX query for https://kranrad.example/: the archive answered an HTML "
                   "page (Wayback Machine is temporarily offline), not a CDX index\n")
    stored = counts(url)
    assert stored["crawl_run"] == stored["fetch"] == stored["page_snapshot"] == stored["change"] == 0


@pytest.mark.parametrize("args, message", [
    (["--competitor", "nobody"], "error: --competitor: no competitor 'nobody' in the config (its slugs: kranrad, "
                                 "other)\n"),
    (["--per", "week"], "error: --per: 'week' is not one of month, quarter\n"),
    (["--since", "1990"], "error: --since: 1990 is not a year from 1996 (the archive's first) to {year}\n"),
    (["--since", "3000"], "error: --since: 3000 is not a year from 1996 (the archive's first) to {year}\n"),
    (["--archive", "http://127.0.0.1:9"], "error: archive http://127.0.0.1:9 unreachable ([Errno 111] Connection "
                                          "refused): check --archive, or try later\n"),
])
def test_bad_input_is_one_line(config, tmp_path, args, message):
    command = ["backfill", "--config", str(config), "--competitor", "kranrad", "--delay", "0",
               "--cache", str(tmp_path / "cache"), "--db", f"sqlite:///{tmp_path}/d.db", *args]
    result = CliRunner().invoke(cli, command, catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (2, message.format(year=datetime.now(timezone.utc).year))


def test_archived_runs_are_never_a_live_runs_baseline(archive, config, engine, database_url):
    """A live night stored before the backfill keeps its place: the next live run compares with it, the views
    show its prices, and the products' first sighting moves back to the archive's."""
    loaded = load_config(config)
    refs = sync_sources(engine, [c.model_dump(mode="json", by_alias=True) for c in loaded.competitors])
    catalog = next(ref for ref in refs if ref.kind == "catalog")
    live = start_run(engine)
    writer = RunWriter(engine, live)
    writer.record_fetch(catalog.source_id, catalog.url, 200, None, 5, 100, "h")
    writer.add_products(catalog.source_id, catalog.competitor_id, [
        Product(name="Laufrad LR 200 (neu)", price=Decimal("999.00"), currency="EUR", sku="KR-LR-200",
                url="https://kranrad.example/produkte/lr-200.html")], catalog.url)
    writer.close()
    record_source_outcomes(engine, live, [catalog])
    finish_run(engine, live, "succeeded")

    code, _, err = backfill(config, database_url, archive.base_url("archive"), "--since", "2024")
    assert code == 0, err
    runs = archived(database_url)
    nightly = start_run(engine)
    with session_scope(engine) as session:
        assert baseline_run(session, catalog.source_id, nightly) == live
        product = session.scalar(select(models.Product).where(models.Product.key == "KR-LR-200"))
        assert (product.first_seen_run_id, product.last_seen_run_id) == (runs[0][0], live)
        assert product.name == "Laufrad LR 200 (neu)"  # the live reading's, not the archive's
    with engine.connect() as connection:
        assert connection.execute(text("SELECT price FROM latest_prices WHERE product_key = 'KR-LR-200'")
                                  ).scalar_one() == Decimal("999.00")
    # the backfill diffed its own runs only: the live run has no changes recomputed
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT COUNT(*) FROM change WHERE run_id = :run"), {"run": live}) == 0
    finish_run(engine, nightly, "failed", error="test")


@pytest.fixture
def own_archive(tmp_path):
    """The fixture archive from a copy, so that a test may make its captures answer errors (_status.json)."""
    root = tmp_path / "sites"
    shutil.copytree(ROOT / "fixtures" / "archive" / "night1", root / "archive" / "night1")
    with FixtureSites(root, sites=["archive"]) as sites:
        yield sites, root / "archive" / "night1" / "_status.json"


def test_a_failing_capture_fails_its_period_and_the_next_backfill_resumes_there(own_archive, config, tmp_path):
    sites, status = own_archive
    status.write_text(json.dumps({"/web/20250520091520id_/https://kranrad.example/produkte/": 500}))
    url = f"sqlite:///{tmp_path}/d.db"
    code, out, err = backfill(config, url, sites.base_url("archive"), "--since", "2024", "--json")
    assert code == 1, err
    done = json.loads(out)
    assert [(p["period"], p["status"]) for p in done["periods"]] == [
        ("2024-03", "succeeded"), ("2024-10", "succeeded"), ("2025-05", "failed")]  # 2026-02 waits for it
    assert done["periods"][2]["error"] == (
        f"archive {sites.base_url('archive')}: HTTP 500 for {sites.base_url('archive')}/web/20250520091520id_/"
        "https://kranrad.example/produkte/")
    assert [status for _, _, status, *_ in archived(url)] == ["succeeded", "succeeded", "failed"]
    status.unlink()
    code, out, err = backfill(config, url, sites.base_url("archive"), "--since", "2024")
    assert code == 0, err
    assert "2 archived runs added, 2 already stored, 0 failed" in " ".join(out.split())
    whole = f"sqlite:///{tmp_path}/whole.db"
    assert backfill(config, whole, sites.base_url("archive"), "--since", "2024", cache=tmp_path / "other")[0] == 0
    assert contents(url) == contents(whole)


def test_a_capture_gone_from_the_archive_is_passed_over(own_archive, config, tmp_path):
    sites, status = own_archive
    status.write_text(json.dumps({"/web/20260217110000id_/https://kranrad.example/produkte/": 404}))
    url = f"sqlite:///{tmp_path}/d.db"
    code, out, err = backfill(config, url, sites.base_url("archive"), "--since", "2024")
    assert code == 0, err
    engine = create_db_engine(url)
    with engine.connect() as connection:
        last = connection.execute(text("SELECT id, stats FROM crawl_run ORDER BY id DESC LIMIT 1")).one()
        judged = set(connection.execute(text(
            "SELECT s.kind FROM source_crawl sc JOIN source s ON s.id = sc.source_id WHERE sc.run_id = :run"),
            {"run": last.id}).scalars())
        kinds = set(connection.execute(text("SELECT kind FROM change WHERE run_id = :run"), {"run": last.id}).scalars())
    engine.dispose()
    stats = json.loads(last.stats) if isinstance(last.stats, str) else last.stats
    assert stats["captures_missing"] == ["20260217110000 https://kranrad.example/produkte/"]
    # the catalog was not read that month: neither failed nor compared (no source_unreachable, no price_down)
    assert judged == {"site"} and kinds == set()


def test_a_first_live_run_after_a_backfill_has_no_baseline(archive, config, tmp_path):
    """The archive's last capture is no nightly crawl: the first live run compares with nothing, as without a
    backfill, instead of reporting as tonight's news what changed since that capture."""
    url = f"sqlite:///{tmp_path}/d.db"
    assert backfill(config, url, archive.base_url("archive"), "--since", "2024")[0] == 0
    engine = create_db_engine(url)
    live = start_run(engine)
    with session_scope(engine) as session:
        catalog = session.scalar(select(models.Source).where(models.Source.kind == "catalog"))
        assert baseline_run(session, catalog.id, live) is None
        # while an archived run's baseline is the archived run before it
        runs = [run_id for run_id, *_ in archived(url)]
        assert baseline_run(session, catalog.id, runs[-1]) == runs[-2]
    finish_run(engine, live, "failed", error="test")
    engine.dispose()


def test_a_backfill_during_a_run_refuses_with_one_line(archive, config, tmp_path):
    url = f"sqlite:///{tmp_path}/d.db"
    engine = create_db_engine(url)
    upgrade(engine)
    lock = DatabaseLock(engine, RUN_LOCK, owner="nightly-box:4711")
    lock.acquire()
    try:
        code, out, err = backfill(config, url, archive.base_url("archive"), "--since", "2024")
    finally:
        lock.release()
        engine.dispose()
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and err.endswith(
        "holds the database's run lock; wait for the run to end, then backfill\n") and err.count("\n") == 1
    assert counts(url)["crawl_run"] == 0
