"""The analyst's commands: `dossier sql`, `dossier export`, `dossier report` (thin wrappers over storage and report)."""
from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from schedules.options import database_option

# Control characters but line feed and tab: scraped text holding ESC sequences would drive the analyst's terminal.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(value: object) -> str:
    """A cell as the terminal shows it: control characters as \ufffd, so they are seen and not obeyed."""
    return "" if value is None else _TERMINAL_CONTROL.sub("\ufffd", str(value))


@click.command()
@click.argument("query")
@database_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="Output format.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Print at most this many rows.")
def sql(query: str, database_url: str | None, fmt: str, limit: int | None) -> None:
    """Run one read-only SQL statement: whatever would write or reach outside the database is refused.

    On SQLite and PostgreSQL alike: writes, ATTACH, PRAGMAs that set, VACUUM, load_extension(), COPY, SET, CALL,
    DO and the functions that read the server's files (docs/schema.md)."""
    from storage.analyst import neutralise_formulas, run_read_only
    from storage.db import open_database

    engine = open_database(database_url, migrate=False)
    try:
        result = run_read_only(engine, query, limit)
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps([dict(zip(result.columns, row)) for row in result.rows], default=str,
                              ensure_ascii=False, indent=2))
    elif fmt == "csv":
        import pandas as pd

        frame = neutralise_formulas(pd.DataFrame(result.rows, columns=result.columns))
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows(frame.itertuples(index=False, name=None))
    else:
        table = Table(*result.columns)
        for row in result.rows:
            table.add_row(*(Text(terminal_safe(v)) for v in row))
        Console().print(table)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "parquet"]), required=True, help="File format.")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="File to write.")
@click.option("--table", "name", default="latest_prices", show_default=True, help="Table or view to export.")
@database_option
def export(fmt: str, out: Path, name: str, database_url: str | None) -> None:
    """Export a table or view (see docs/schema.md) to CSV, XLSX or Parquet; formulas in text are neutralised."""
    from storage.analyst import export_table
    from storage.db import open_database

    engine = open_database(database_url, migrate=False)
    try:
        count = export_table(engine, name, fmt, out)
    finally:
        engine.dispose()
    click.echo(f"{count} rows of {name} written to {out}")


@click.command()
@click.option("--out", "out", type=click.Path(path_type=Path), default="dossier-report", show_default=True,
              help="Folder for the HTML pages.")
@database_option
def report(out: Path, database_url: str | None) -> None:
    """Write the HTML dossier: an overview and one page per competitor, charts included, usable offline."""
    from schedules.report import build_report
    from storage.db import open_database

    engine = open_database(database_url, migrate=False)
    try:
        pages = build_report(engine, out)
    finally:
        engine.dispose()
    click.echo(f"{len(pages)} pages written; open {pages[0]}")


COMMANDS = [sql, export, report]
