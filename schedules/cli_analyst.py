"""The analyst's commands: `dossier sql`, `dossier export`, `dossier report` (thin wrappers over storage and report)."""
from __future__ import annotations

import csv
import json
import re
import sys
import textwrap
from pathlib import Path

import click
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from schedules.options import database_option

# Control characters but line feed and tab: scraped text holding ESC sequences would drive the analyst's terminal.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(value: object) -> str:
    """A cell as the terminal shows it: control characters as \ufffd, so they are seen and not obeyed."""
    return "" if value is None else _TERMINAL_CONTROL.sub("\ufffd", str(value))


# Output formats of `dossier sql`: each also a flag, named as sqlite-utils' `query` names them.
SQL_FORMATS = ("table", "csv", "json", "nl")
CELL_WRAP = 24  # a table column may wrap its values at this width: a longer value does not make a table too wide
VALUE_MAX = 200  # a value in a record block is cut here (sql's help says 200); --json, --csv print it whole


def output_format(fmt: str | None, flags: dict[str, bool]) -> str:
    """The one output format `--format` and the flags (--csv, --json, --nl, --table) ask for, 'auto' if none;
    a click.UsageError naming both when two of them disagree."""
    chosen = [name for name, given in flags.items() if given]
    if len(chosen) > 1:
        raise click.UsageError(f"--{chosen[0]} and --{chosen[1]}: give one output format")
    if chosen and fmt and fmt != chosen[0]:
        raise click.UsageError(f"--format {fmt} and --{chosen[0]}: give one output format")
    return chosen[0] if chosen else fmt or "auto"


def _lines(value: object) -> list[str]:
    return terminal_safe(value).splitlines() or [""]


def fits_table(columns: list[str], rows: list[tuple], width: int) -> bool:
    """Whether a rich table of the result fits `width` with every header whole and no column squeezed below
    CELL_WRAP (or its longest value, if shorter): rich's box takes 3 characters a column and 1 more."""
    needed = 1
    for index, column in enumerate(columns):
        longest = max((cell_len(line) for row in rows for line in _lines(row[index])), default=0)
        needed += max(cell_len(terminal_safe(column)), min(longest, CELL_WRAP)) + 3
    return needed <= width


def result_table(columns: list[str], rows: list[tuple]) -> Table:
    """The result as a rich table; headers and cells as Text, so scraped '[bold]' is shown, not obeyed."""
    table = Table()
    for column in columns:
        table.add_column(Text(terminal_safe(column)), overflow="fold")
    for row in rows:
        table.add_row(*(Text(terminal_safe(value)) for value in row))
    return table


def vertical_records(columns: list[str], rows: list[tuple], width: int) -> list[str]:
    """The result one record per block, `column | value` lines, as psql's expanded mode prints it: readable
    however many columns. A value is folded onto one line, cut at VALUE_MAX with … and wrapped under itself."""
    if not rows:
        return ["(0 rows)"]
    labels = [" ".join(terminal_safe(column).split()) for column in columns]
    label_width = max(cell_len(label) for label in labels)
    value_width = max(width - label_width - 3, 20)
    lines = []
    for number, row in enumerate(rows, start=1):
        lines.append(f"-[ RECORD {number} ]".ljust(min(width, label_width + 3 + value_width), "-"))
        for label, value in zip(labels, row):
            text = " ".join(terminal_safe(value).split())
            text = text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1] + "…"
            for index, part in enumerate(textwrap.wrap(text, value_width) or [""]):
                shown = label if index == 0 else ""
                lines.append(f"{shown}{' ' * (label_width - cell_len(shown))} | {part}".rstrip())
    return lines


@click.command()
@click.argument("query")
@database_option
@click.option("--format", "fmt", type=click.Choice(SQL_FORMATS), default=None,
              help="Output format, the same as the flags below (default: a table if it fits, else record blocks).")
@click.option("--csv", "as_csv", is_flag=True, help="Output CSV (text that a spreadsheet would run as a formula "
              "is neutralised).")
@click.option("--json", "as_json", is_flag=True, help="Output a JSON array of objects.")
@click.option("--nl", "as_nl", is_flag=True, help="Output newline-delimited JSON: one object per line.")
@click.option("--table", "as_table", is_flag=True, help="Output a table however wide (rich wraps and folds it).")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Print at most this many rows.")
def sql(query: str, database_url: str | None, fmt: str | None, as_csv: bool, as_json: bool, as_nl: bool,
        as_table: bool, limit: int | None) -> None:
    """Run one read-only SQL statement: whatever would write or reach outside the database is refused.

    On SQLite and PostgreSQL alike: writes, ATTACH, PRAGMAs that set, VACUUM, load_extension(), COPY, SET, CALL,
    DO and the functions that read the server's files (docs/schema.md).

    Output: a table when the columns fit the terminal, else one record per block (`column | value` lines, as
    psql's expanded mode shows them; a value cut at 200 characters). --csv, --json, --nl and --table, named as
    sqlite-utils' `query` names them, choose the output instead; one at most."""
    from storage.analyst import neutralise_formulas, run_read_only
    from storage.db import open_database

    mode = output_format(fmt, {"csv": as_csv, "json": as_json, "nl": as_nl, "table": as_table})
    engine = open_database(database_url, migrate=False)
    try:
        result = run_read_only(engine, query, limit)
    finally:
        engine.dispose()
    columns, rows = result.columns, result.rows
    if mode == "json":
        click.echo(json.dumps([dict(zip(columns, row)) for row in rows], default=str, ensure_ascii=False, indent=2))
    elif mode == "nl":
        for row in rows:
            click.echo(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False))
    elif mode == "csv":
        import pandas as pd

        frame = neutralise_formulas(pd.DataFrame(rows, columns=columns))
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(frame.itertuples(index=False, name=None))
    else:
        console = Console()
        if mode == "table" or fits_table(columns, rows, console.width):
            console.print(result_table(columns, rows))
        else:
            click.echo("\n".join(vertical_records(columns, rows, console.width)))


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
