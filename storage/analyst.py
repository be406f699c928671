"""The analyst's side of the database: read-only SQL and exports of tables and views (through pandas)."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from dossier.errors import ConfigError, StorageError
from storage.readonly import read_only_cursor, read_only_engine

log = logging.getLogger(__name__)

EXPORT_FORMATS = ("csv", "xlsx", "parquet")
# A spreadsheet runs a cell that starts with one of these as a formula: scraped text must never do that.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# C0 controls XML 1.0 cannot hold (tab, LF and CR it can): openpyxl refuses a cell with one, and a scraped name
# may carry one (an escape sequence, a bell), so an XLSX export drops them rather than fail.
XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def run_read_only(engine: Engine, sql: str, limit: int | None = None) -> QueryResult:
    """Run one statement without any power to change the database or reach outside it (storage/readonly.py);
    errors and refusals are one line naming the cause."""
    if not sql.strip():
        raise ConfigError("sql: the query is empty; give a SELECT, e.g. dossier sql \"SELECT * FROM latest_prices\"")
    ro = read_only_engine(engine)
    try:
        with read_only_cursor(ro, sql) as cursor:
            if cursor.description is None:
                return QueryResult([], [])
            rows = cursor.fetchmany(limit) if limit else cursor.fetchall()
            return QueryResult([column[0] for column in cursor.description], [tuple(r) for r in rows])
    except SQLAlchemyError as exc:  # the connection itself
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise StorageError(f"sql: {reason}") from None
    finally:
        ro.dispose()


def exportable(engine: Engine) -> list[str]:
    """The tables and views an export may name (Alembic's bookkeeping table left out)."""
    inspector = inspect(engine)
    names = set(inspector.get_table_names()) | set(inspector.get_view_names())
    return sorted(n for n in names if n != "alembic_version")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP's advice)."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v)
    return frame


def export_table(engine: Engine, name: str, fmt: str, out: Path) -> int:
    """Write a table or view to CSV, XLSX or Parquet; returns the number of rows written."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"--format: {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    names = exportable(engine)
    if name not in names:
        raise ConfigError(f"--table: no table or view {name!r}; choose one of: {', '.join(names)}")
    if out.parent and not out.parent.exists():
        raise ConfigError(f"--out: folder {out.parent} does not exist")
    with engine.connect() as connection:
        frame = pd.read_sql_query(f'SELECT * FROM "{name}"', connection)  # name is one of the listed names
    if fmt == "csv":
        neutralise_formulas(frame).to_csv(out, index=False)
    elif fmt == "xlsx":
        neutralise_formulas(_without_controls(_naive_times(frame))).to_excel(out, index=False, sheet_name=name[:31])
    else:
        frame.to_parquet(out, index=False)
    log.info("exported %d rows of %s to %s", len(frame), name, out)
    return len(frame)


def _without_controls(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells without the control characters XLSX cannot hold (XLSX_ILLEGAL); dropped before the formula
    check, so that a control character cannot hide a formula behind it."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(lambda v: XLSX_ILLEGAL.sub("", v) if isinstance(v, str) else v)
    return frame


def _naive_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones: times are written as UTC without an offset."""
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame
