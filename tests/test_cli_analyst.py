"""`dossier sql`, `dossier export` and `dossier report` through the CLI runner: output, exit codes, one-line errors."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from extractors.records import Product
from schedules.cli import cli
from storage.db import create_db_engine, upgrade
from storage.runs import finish_run, start_run, sync_sources
from storage.writer import RunWriter


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'dossier.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    (ref,) = sync_sources(engine, [{"slug": "k", "name": "Kranrad GmbH",
                                    "sources": [{"kind": "catalog", "url": "https://k.example/"}]}])
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.add_products(ref.source_id, ref.competitor_id, [
        Product(name="=cmd|' /C calc'!A0", price=Decimal("489.00"), currency="EUR", sku="KR-LR-200"),
        Product(name="Laufrad LR 250", price=Decimal("649.00"), currency="EUR", sku="KR-LR-250")], ref.url)
    writer.close()
    finish_run(engine, run_id, "succeeded")
    engine.dispose()
    return url


def invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_sql_json_and_csv(db):
    code, out, _ = invoke("sql", "SELECT sku, price FROM latest_prices ORDER BY sku", "--db", db, "--format", "json")
    assert code == 0
    assert [(r["sku"], Decimal(str(r["price"]))) for r in json.loads(out)] == [
        ("KR-LR-200", Decimal("489")), ("KR-LR-250", Decimal("649"))]
    code, out, _ = invoke("sql", "SELECT product FROM latest_prices ORDER BY sku", "--db", db, "--format", "csv")
    assert out.splitlines()[:2] == ["product", "'=cmd|' /C calc'!A0"]


def test_sql_refuses_writes_in_one_line(db):
    code, _, err = invoke("sql", "DELETE FROM product", "--db", db)
    assert code == 2 and err.startswith("error: sql: ") and err.count("\n") == 1
    assert "2" in invoke("sql", "SELECT COUNT(*) FROM product", "--db", db)[1]


def test_export_and_report(db, tmp_path):
    code, out, _ = invoke("export", "--format", "csv", "--out", str(tmp_path / "p.csv"), "--db", db)
    assert code == 0 and out == f"2 rows of latest_prices written to {tmp_path / 'p.csv'}\n"
    code, _, err = invoke("export", "--format", "csv", "--out", str(tmp_path / "p.csv"), "--table", "nope", "--db", db)
    assert code == 2 and err.startswith("error: --table: no table or view 'nope'; choose one of: ")
    code, out, _ = invoke("report", "--out", str(tmp_path / "report"), "--db", db)
    assert code == 0 and (tmp_path / "report" / "k.html").exists() and (tmp_path / "report" / "index.html").exists()


def test_sql_table_shows_control_characters_instead_of_obeying_them(db):
    """A scraped name holding an ESC sequence would recolour or rewrite the analyst's terminal."""
    code, out, _ = invoke("sql", "SELECT 'Laufrad' || char(27) || '[2J' || char(7) AS name", "--db", db)
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out and "Laufrad\ufffd[2J\ufffd" in out
