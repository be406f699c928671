"""Read-only SQL and exports, on SQLite and PostgreSQL: no write gets through, no formula reaches a spreadsheet."""
from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from dossier.errors import ConfigError, StorageError
from extractors.records import Product
from storage import models
from storage.analyst import export_table, neutralise_formulas, run_read_only
from storage.db import session_scope
from storage.runs import finish_run, start_run, sync_sources
from storage.writer import RunWriter

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "Laufrad 200"]


@pytest.fixture
def stocked(engine):
    (ref,) = sync_sources(engine, [{"slug": "k", "name": "K", "sources": [{"kind": "catalog", "url": "https://k.example/"}]}])
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.add_products(ref.source_id, ref.competitor_id, [
        Product(name=name, price=Decimal("10.50") + i, currency="EUR", sku=f"S{i}") for i, name in enumerate(HOSTILE)],
        ref.url)
    writer.close()
    finish_run(engine, run_id, "succeeded")
    return engine


def product_count(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(models.Product))


def test_select_works(stocked):
    result = run_read_only(stocked, "SELECT sku, price FROM latest_prices ORDER BY sku")
    assert result.columns == ["sku", "price"]
    assert [(sku, Decimal(str(price))) for sku, price in result.rows][:2] == [("S0", Decimal("10.50")), ("S1", Decimal("11.50"))]


@pytest.mark.parametrize("sql", [
    "DELETE FROM product", "UPDATE product SET name = 'x'", "DROP TABLE product", "INSERT INTO competitor (slug, name, created_at) VALUES ('x', 'x', '2026-01-01')",
    "CREATE TABLE evil (id INTEGER)",
])
def test_writes_are_refused(stocked, sql):
    with pytest.raises(StorageError, match=r"^sql: ") as caught:
        run_read_only(stocked, sql)
    assert "\n" not in str(caught.value)
    assert product_count(stocked) == len(HOSTILE)
    assert run_read_only(stocked, "SELECT COUNT(*) FROM competitor").rows == [(1,)]


def test_a_broken_query_is_one_line(stocked):
    with pytest.raises(StorageError, match=r"^sql: .*no_such_table"):
        run_read_only(stocked, "SELECT * FROM no_such_table")
    with pytest.raises(ConfigError):
        run_read_only(stocked, "   ")


def test_csv_export_neutralises_formulas(stocked, tmp_path):
    out = tmp_path / "prices.csv"
    assert export_table(stocked, "latest_prices", "csv", out) == len(HOSTILE)
    names = pd.read_csv(out)["product"].tolist()
    assert sorted(names) == sorted(["'" + h if h[0] in "=+-@" else h for h in HOSTILE])


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_xlsx_and_parquet_round_trip(stocked, tmp_path, fmt):
    out = tmp_path / f"products.{fmt}"
    assert export_table(stocked, "product", fmt, out) == len(HOSTILE)
    frame = pd.read_excel(out) if fmt == "xlsx" else pd.read_parquet(out)
    assert sorted(frame["sku"]) == [f"S{i}" for i in range(len(HOSTILE))]
    if fmt == "xlsx":
        assert not any(str(v).startswith("=") for v in frame["name"])


def test_export_names_the_bad_input(stocked, tmp_path):
    with pytest.raises(ConfigError, match=r"^--table: no table or view 'prices'; choose one of: .*latest_prices"):
        export_table(stocked, "prices", "csv", tmp_path / "x.csv")
    with pytest.raises(ConfigError, match=r"^--format: 'json' is not one of csv, xlsx, parquet$"):
        export_table(stocked, "product", "json", tmp_path / "x.json")


def test_neutralise_leaves_numbers_alone():
    frame = neutralise_formulas(pd.DataFrame({"a": ["=1", "x"], "b": [-1, 2]}))
    assert frame["a"].tolist() == ["'=1", "x"] and frame["b"].tolist() == [-1, 2]


def test_csv_export_round_trips_to_the_view(engine, tmp_path):
    (ref,) = sync_sources(engine, [{"slug": "k", "name": "K", "sources": [{"kind": "catalog", "url": "https://k.example/"}]}])
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.add_products(ref.source_id, ref.competitor_id, [
        Product(name=f"Laufrad {i}", price=Decimal("10.25") * i, currency="EUR", sku=f"S{i}", availability="in_stock")
        for i in range(1, 6)], ref.url)
    writer.close()
    finish_run(engine, run_id, "succeeded")
    out = tmp_path / "latest.csv"
    export_table(engine, "latest_prices", "csv", out)
    with engine.connect() as connection:
        view = pd.read_sql_query("SELECT * FROM latest_prices", connection)
    exported = pd.read_csv(out)
    assert list(exported.columns) == list(view.columns)
    assert exported["sku"].tolist() == view["sku"].tolist()
    assert [Decimal(str(v)) for v in exported["price"]] == [Decimal(str(v)) for v in view["price"]]
    assert exported[["product", "currency", "availability"]].equals(view[["product", "currency", "availability"]])
