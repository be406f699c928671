"""`dossier sql`, `dossier export` and `dossier report` through the CLI runner: output, exit codes, one-line errors."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from extractors.records import Product
from schedules.cli import cli
from schedules.cli_analyst import fits_table, vertical_records
from storage.db import create_db_engine, upgrade
from storage.runs import finish_run, start_run, sync_sources
from storage.writer import RunWriter


ONLY_READS = "the query may only read the dossier database"


def stock(url: str) -> str:
    """A dossier at `url` with one competitor and two products (one named like a spreadsheet formula)."""
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


@pytest.fixture
def db(tmp_path):
    return stock(f"sqlite:///{tmp_path / 'dossier.db'}")


@pytest.fixture
def stocked_url(database_url):
    """stock() on each backend: a SQLite file in tmp_path, a PostgreSQL schema of its own."""
    return stock(database_url)


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


BOX = "┃"  # rich's table edge: a table was printed


def test_sql_output_flags_are_those_of_sqlite_utils_and_format_is_their_alias(db):
    query = "SELECT sku, product, price FROM latest_prices ORDER BY sku"
    outputs = {flag: invoke("sql", query, "--db", db, flag) for flag in ("--csv", "--json", "--nl", "--table")}
    assert all(code == 0 and err == "" for code, _, err in outputs.values())
    for name in ("csv", "json", "table"):
        assert invoke("sql", query, "--db", db, "--format", name)[1] == outputs[f"--{name}"][1]
    assert outputs["--csv"][1].splitlines() == [
        "sku,product,price", "KR-LR-200,'=cmd|' /C calc'!A0,489", "KR-LR-250,Laufrad LR 250,649"]
    assert [(r["sku"], r["product"]) for r in json.loads(outputs["--json"][1])] == [
        ("KR-LR-200", "=cmd|' /C calc'!A0"), ("KR-LR-250", "Laufrad LR 250")]
    assert outputs["--json"][1].startswith("[\n  {")
    lines = outputs["--nl"][1].splitlines()  # one object a line, no array around them
    assert [json.loads(line)["sku"] for line in lines] == ["KR-LR-200", "KR-LR-250"]
    assert BOX in outputs["--table"][1] and "Laufrad LR 250" in outputs["--table"][1]


def test_sql_shows_a_result_that_fits_as_a_table(db):
    code, out, _ = invoke("sql", "SELECT sku, price FROM latest_prices ORDER BY sku", "--db", db)
    assert code == 0 and BOX in out and "RECORD" not in out
    assert [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")] == [
        "KR-LR-200", "KR-LR-250"]


def test_sql_shows_a_wide_result_one_record_per_block(db):
    """competitor_summary has 26 columns: a table would cut each to `com…`; psql's expanded mode reads."""
    code, out, _ = invoke("sql", "SELECT * FROM competitor_summary", "--db", db)
    assert code == 0 and BOX not in out
    lines = out.splitlines()
    assert lines[0] == "-[ RECORD 1 ]".ljust(80, "-")
    assert "competitor       | k" in lines and "competitor_name  | Kranrad GmbH" in lines
    assert "products_tracked | 2" in lines and "changes_30d      | 0" in lines
    assert "mentions_30d     | 0" in lines  # issue 25's mentions in the user's feeds
    assert "tenders_won_365d | 0" in lines  # issue 25's public tenders won
    assert "social_posts_30d | 0" in lines  # issue 25's social channels
    assert len(lines) == 1 + 26 and all(len(line) <= 80 for line in lines)


def test_sql_record_blocks_cut_long_values_and_show_control_characters(db):
    columns = ", ".join(f"{n} AS column_{n}" for n in range(12))
    query = (f"SELECT {columns}, replace(hex(zeroblob(100)), '00', 'word ') AS long, "
             "'Lauf' || char(27) || '[2J' || char(10) || 'rad' AS name FROM latest_prices ORDER BY sku")
    code, out, _ = invoke("sql", query, "--db", db)
    assert code == 0
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("-[")] == [
        "-[ RECORD 1 ]".ljust(80, "-"), "-[ RECORD 2 ]".ljust(80, "-")]
    long = [line for line in lines if line.startswith("long ") or line.startswith("          |")]
    value = " ".join(line.partition("| ")[2] for line in long[: len(long) // 2])
    assert value.endswith("…") and len(value) == 200 and value.startswith("word word")  # cut at 200, wrapped
    assert all(len(line) <= 80 for line in lines)
    assert "name      | Lauf\ufffd[2J rad" in lines and "\x1b" not in out  # folded onto its line, ESC shown


@pytest.mark.parametrize("flags, named", [
    (["--csv", "--json"], "--csv and --json"),
    (["--nl", "--table"], "--nl and --table"),
    (["--format", "json", "--nl"], "--format json and --nl"),
    (["--format", "table", "--csv"], "--format table and --csv"),
])
def test_sql_output_flags_exclude_each_other_in_one_line(db, flags, named):
    code, out, err = invoke("sql", "SELECT 1", "--db", db, *flags)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("error: ") and f": {named}: give one output format" in err


def test_sql_format_and_the_same_flag_agree(db):
    assert invoke("sql", "SELECT 1 AS n", "--db", db, "--format", "nl", "--nl") == (0, '{"n": 1}\n', "")


def test_vertical_records_and_fits_table():
    assert vertical_records(["sku", "product"], [("KR-1", "Laufrad")], 30) == [
        "-[ RECORD 1 ]-----------------", "sku     | KR-1", "product | Laufrad"]
    assert vertical_records(["sku"], [], 30) == ["(0 rows)"]
    assert fits_table(["sku", "description"], [("KR-1", "x " * 300)], 80)  # a long value wraps in its column
    assert not fits_table([f"column_{n}" for n in range(22)], [tuple(range(22))], 80)
    assert not fits_table(["a" * 40, "b" * 40], [], 80)  # headers are never cut


SQLITE_REFUSED = [  # (statement, what the one line names)
    ("ATTACH DATABASE '{tmp}/attached.db' AS x", "ATTACH"),
    ("DETACH DATABASE main", "DETACH"),
    ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode = DELETE"),
    ("PRAGMA query_only = OFF", "PRAGMA query_only = OFF"),
    ("PRAGMA user_version = 7", "PRAGMA user_version = 7"),
    ("PRAGMA wal_checkpoint", "PRAGMA wal_checkpoint"),
    ("VACUUM INTO '{tmp}/copy.db'", "VACUUM"),
    ("VACUUM", "VACUUM"),
    ("SELECT load_extension('{tmp}/evil.so')", "load_extension()"),
    ("DELETE FROM product", "DELETE"),
    ("UPDATE product SET name = 'x'", "UPDATE"),
    ("CREATE TEMP TABLE scratch (x)", "CREATE TABLE"),
    ("DROP VIEW latest_prices", "DROP VIEW"),
    ("BEGIN", "BEGIN"),
]
POSTGRES_REFUSED = [
    ("COPY (SELECT 1) TO PROGRAM 'touch {tmp}/ran'", "COPY"),
    ("COPY product FROM PROGRAM 'true'", "COPY"),
    ("COPY product TO '{tmp}/product.csv'", "COPY"),
    ("/* a /* nested */ comment */ COPY product TO STDOUT", "COPY"),
    ("SELECT pg_read_file('/etc/hostname')", "pg_read_file()"),
    ("SELECT * FROM pg_ls_dir('.')", "pg_ls_dir()"),
    ("SELECT lo_import('/etc/hostname')", "lo_import()"),
    ("SELECT lo_export(1, '{tmp}/large-object')", "lo_export()"),
    ("SELECT * FROM dblink('dbname=test', 'DELETE FROM product') AS t(x text)", "dblink()"),
    ("SET ROLE postgres", "SET"),
    ("SET default_transaction_read_only = off", "SET"),
    ("RESET ROLE", "RESET"),
    ("CALL anything()", "CALL"),
    ("DO $$BEGIN DELETE FROM product; END$$", "DO"),
    ("SELECT set_config('role', 'postgres', true)", "set_config()"),
    ("SELECT query_to_xml('SELECT 1', true, true, '')", "query_to_xml()"),
    ("SELECT \"pg_read_file\"('/etc/hostname')", "pg_read_file()"),
    ("SELECT ('/etc/hostname'::text).pg_read_file", "pg_read_file()"),
    ("SELECT U&\"pg!005fread!005ffile\" UESCAPE '!' ('/etc/hostname')", "pg_read_file()"),
    ("DELETE FROM product", "DELETE"),
    ("ATTACH DATABASE '{tmp}/attached.db' AS x", "ATTACH"),
]


def product_count(url: str) -> int:
    code, out, _ = invoke("sql", "SELECT COUNT(*) AS n FROM product", "--db", url, "--format", "json")
    assert code == 0
    return json.loads(out)[0]["n"]


def files_made(tmp_path) -> set[str]:
    """Files in tmp_path besides the SQLite dossier (and its WAL files)."""
    return {p.name for p in tmp_path.iterdir()} - {"dossier.db", "dossier.db-wal", "dossier.db-shm"}


@pytest.mark.parametrize("database_url, sql, what", [("sqlite", sql, what) for sql, what in SQLITE_REFUSED]
                         + [("postgresql", sql, what) for sql, what in POSTGRES_REFUSED], indirect=["database_url"])
def test_sql_refuses_what_would_write_or_reach_outside_the_dossier(database_url, stocked_url, tmp_path, sql, what):
    code, out, err = invoke("sql", sql.replace("{tmp}", str(tmp_path)), "--db", stocked_url)
    assert (code, out, err) == (2, "", f"error: sql: {what} is refused: {ONLY_READS}\n")
    assert files_made(tmp_path) == set()
    assert product_count(stocked_url) == 2


def test_sql_attach_creates_no_file(db, tmp_path):
    target = tmp_path / "elsewhere" / "attached.db"
    target.parent.mkdir()
    code, _, err = invoke("sql", f"ATTACH DATABASE '{target}' AS elsewhere", "--db", db)
    assert (code, err) == (2, f"error: sql: ATTACH is refused: {ONLY_READS}\n")
    assert list(target.parent.iterdir()) == []


READS = [
    "SELECT sku FROM latest_prices ORDER BY sku",
    "WITH p AS (SELECT sku FROM latest_prices) SELECT COUNT(*) AS n FROM p",
    "EXPLAIN SELECT * FROM latest_prices",
    "SELECT * FROM competitor_summary",
    "SELECT 'pg_read_file(), ATTACH, PRAGMA' AS words -- set_config() in a comment",
]


@pytest.mark.parametrize("sql", READS + ["PRAGMA table_info(product)", "SELECT * FROM pragma_index_list('product')",
                                         "PRAGMA user_version", "SELECT * FROM json_each('[1, 2]')"])
def test_sql_reads_on_sqlite(db, sql):
    code, out, err = invoke("sql", sql, "--db", db, "--format", "json")
    assert (code, err) == (0, "") and json.loads(out)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("sql", READS + ["SHOW search_path", "TABLE latest_prices",
                                         "SELECT $q$pg_read_file('/etc/hostname')$q$ AS text",
                                         "SELECT E'it\\'s pg_read_file()' AS text"])
def test_sql_reads_on_postgresql(database_url, stocked_url, sql):
    code, out, err = invoke("sql", sql, "--db", stocked_url, "--format", "json")
    assert (code, err) == (0, "") and json.loads(out)


def test_sql_runs_one_statement_only(stocked_url):
    code, _, err = invoke("sql", "SELECT 1; DELETE FROM product", "--db", stocked_url)
    assert code == 2 and err.startswith("error: sql: ") and err.count("\n") == 1
    assert product_count(stocked_url) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sql_on_postgresql_holds_no_superuser_power(database_url, stocked_url):
    """What the lists miss the server refuses: a superuser's query runs as pg_read_all_data."""
    code, out, err = invoke("sql", "SELECT pg_reload_conf()", "--db", stocked_url)
    assert (code, out, err) == (2, "", "error: sql: permission denied for function pg_reload_conf\n")
