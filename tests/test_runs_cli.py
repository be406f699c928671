"""`dossier runs` and `dossier runs show`, the per-competitor counts behind the progress and summary, and the logs."""
from __future__ import annotations

import io
import json
import logging
import re
from decimal import Decimal

import pytest
from click.testing import CliRunner
from rich.console import Console
from sqlalchemy import insert

from extractors.records import Product
from schedules.cli import cli
from schedules.cli_runs import duration
from schedules.logs import configure_logging
from schedules.progress import LiveProgress, summary_table
from storage import models
from storage.db import create_db_engine, upgrade
from storage.history import competitor_counts
from storage.runs import fail_abandoned_runs, finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

COMPETITORS = [
    {"slug": "kranrad", "name": "Kranrad GmbH", "sources": [{"kind": "catalog", "url": "https://k.example/p/"},
                                                            {"kind": "site", "url": "https://k.example/"}]},
    {"slug": "toolshop", "name": "Northwind Tools", "sources": [{"kind": "site", "url": "https://t.example/"}]},
]


@pytest.fixture
def history(tmp_path):
    """Three runs: a good one (2 products, a 500 and a timeout), one left running by a dead process, one running."""
    url = f"sqlite:///{tmp_path / 'dossier.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    catalog, site, shop = sync_sources(engine, COMPETITORS)
    good = start_run(engine)
    writer = RunWriter(engine, good)
    writer.record_fetch(catalog.source_id, catalog.url, 200, None, 12, 900, "a" * 64)
    writer.record_fetch(catalog.source_id, "https://k.example/p/lr-315.html", 500, None, 8, 100, None)
    writer.record_fetch(site.source_id, site.url, 200, None, 10, 800, "b" * 64)
    writer.record_fetch(shop.source_id, "https://t.example/slow", None, "TimeoutError: took longer than 30 s",
                        None, None, None)
    writer.record_fetch(shop.source_id, shop.url, 200, None, 10, 800, "c" * 64)
    writer.add_products(catalog.source_id, catalog.competitor_id, [
        Product(name="Laufrad LR 200", price=Decimal("489.00"), currency="EUR", sku="KR-LR-200"),
        Product(name="Laufrad LR 250", price=Decimal("649.00"), currency="EUR", sku="KR-LR-250")], catalog.url)
    writer.close()
    record_source_outcomes(engine, good, [catalog, site, shop])
    with engine.begin() as connection:
        connection.execute(insert(models.Change).values(run_id=good, competitor_id=catalog.competitor_id,
                                                        source_id=catalog.source_id, kind="price_up",
                                                        entity="product:KR-LR-200", severity="low"))
    finish_run(engine, good, "partial", error=None)
    crashed = start_run(engine)
    fail_abandoned_runs(engine, {crashed: "its process box:77 is gone"})
    running = start_run(engine)
    yield url, engine, (good, crashed, running)
    engine.dispose()


def invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_counts_per_competitor(history):
    _, engine, (good, _, running) = history
    counts = {c.slug: c for c in competitor_counts(engine, good)}
    kranrad, toolshop = counts["kranrad"], counts["toolshop"]
    assert (kranrad.sources, kranrad.sources_started, kranrad.fetched, kranrad.pages, kranrad.errors) == (2, 2, 3, 2, 1)
    assert (kranrad.products, kranrad.reviews, kranrad.items, kranrad.changes) == (2, 0, 2, 1)
    assert (toolshop.sources, toolshop.fetched, toolshop.pages, toolshop.errors, toolshop.items) == (1, 2, 1, 1, 0)
    # a run that has fetched nothing yet: every competitor, each at zero
    assert [(c.slug, c.fetched) for c in competitor_counts(engine, running)] == [("kranrad", 0), ("toolshop", 0)]


def test_runs_lists_newest_first_with_counts(history):
    url, _, (good, crashed, running) = history
    code, out, _ = invoke("runs", "--db", url, "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["id"], r["status"]) for r in rows] == [(running, "running"), (crashed, "failed"), (good, "partial")]
    assert (rows[2]["pages"], rows[2]["errors"], rows[2]["changes"]) == (3, 2, 1)
    assert rows[1]["error"].startswith("abandoned: its process box:77 is gone; found by ")
    code, out, _ = invoke("runs", "--db", url)
    assert code == 0 and "partial" in out and "Duration" in out
    assert f"run {crashed}: abandoned: its process box:77 is gone" in out
    assert f"run {running}: running in process " in out


def test_runs_show_names_the_failed_urls_and_sources(history):
    url, _, (good, _, _) = history
    code, out, _ = invoke("runs", "show", str(good), "--db", url)
    assert code == 0
    assert out.startswith(f"run {good}: partial, started ")
    assert "failed URLs (2):\n" in out
    assert "  kranrad catalog  https://k.example/p/lr-315.html  HTTP 500\n" in out
    assert "  toolshop site  https://t.example/slow  TimeoutError: took longer than 30 s\n" in out
    assert "  succeeded  kranrad catalog  https://k.example/p/  1 pages, 1 errors, 2 items\n" in out
    detail = json.loads(invoke("runs", "show", str(good), "--db", url, "--json")[1])
    assert {(f["competitor"], f["status"]) for f in detail["failed_urls"]} == {("kranrad", 500), ("toolshop", None)}
    assert [c["slug"] for c in detail["competitors"]] == ["kranrad", "toolshop"]


def test_runs_show_of_an_unknown_run_is_exit_2(history):
    url, _, _ = history
    assert invoke("runs", "show", "999", "--db", url) == (
        2, "", "error: runs show 999: no run with this id (`dossier runs` lists them)\n")


def test_runs_of_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    assert invoke("init", "--db", url)[0] == 0
    assert invoke("runs", "--db", url)[1] == "no runs yet: start one with `dossier run --config competitors.yaml`\n"


@pytest.mark.parametrize("seconds, shown", [(0, "0:00"), (59.6, "1:00"), (754, "12:34"), (3725, "1:02:05")])
def test_durations(seconds, shown):
    assert duration(seconds) == shown


def test_the_log_file_holds_json_lines_and_scrapy_stays_at_warning(tmp_path):
    log_file = tmp_path / "logs" / "dossier.log"
    configure_logging(verbose=False, log_file=log_file)
    try:
        logging.getLogger("schedules.nightly").info("run %s started", 7, extra={"run_id": 7})
        logging.getLogger("scrapy.core.engine").info("Spider opened")  # Scrapy's INFO is not wanted here
        logging.getLogger("scrapy.core.engine").warning("Ignoring response <500 http://k.example/>")
        for handler in logging.getLogger().handlers:
            handler.flush()
        lines = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    finally:
        configure_logging()  # no file any more
    assert [(e["logger"], e["level"], e["message"]) for e in lines] == [
        ("schedules.nightly", "INFO", "run 7 started"),
        ("scrapy.core.engine", "WARNING", "Ignoring response <500 http://k.example/>")]
    assert lines[0]["run_id"] == 7 and lines[0]["time"].endswith("Z") and isinstance(lines[0]["pid"], int)


def test_an_unwritable_log_file_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "file").write_text("x")
    code, _, err = invoke("--log-file", str(tmp_path / "file" / "dossier.log"), "runs", "--db",
                          f"sqlite:///{tmp_path}/d.db")
    assert code == 2 and err.startswith(f"error: --log-file {tmp_path / 'file' / 'dossier.log'}: cannot write there")
    assert err.count("\n") == 1


def test_the_live_progress_and_the_summary_table_render_the_counts(history):
    _, engine, (good, _, _) = history
    counts = competitor_counts(engine, good)
    console = Console(file=io.StringIO(), force_terminal=True, width=120, color_system=None)
    with LiveProgress(console) as live:
        live.update(good, counts)
        console.print(live.progress.make_tasks_table(live.progress.tasks))
    shown = console.file.getvalue()
    assert re.search(rf"run {good}\s+3/3 sources\s+5 fetched\s+2 items\s+2 errors", shown)
    assert re.search(r"kranrad\s+2/2 sources\s+3 fetched\s+2 items\s+1 errors", shown)
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(summary_table(counts))
    rows = [line.split() for line in console.file.getvalue().splitlines()]
    assert ["│", "kranrad", "│", "2", "│", "2", "│", "0", "│", "1", "│", "1", "│"] in rows  # pages products reviews
    assert ["│", "total", "│", "3", "│", "2", "│", "0", "│", "1", "│", "2", "│"] in rows  # changes errors
