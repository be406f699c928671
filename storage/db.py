"""Opening the dossier database: URL checks, engines (SQLite WAL, PostgreSQL) and Alembic migrations."""
from __future__ import annotations

import logging
import os
import sqlite3
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dossier.errors import StorageError
from dossier.secrets import hide_password, unencoded_userinfo

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///dossier.db"
MIGRATIONS = Path(__file__).parent / "migrations"
# how long a SQLite statement waits for another connection's lock before it fails; a URL may say otherwise with
# SQLAlchemy's pysqlite parameter `timeout` (sqlite:///dossier.db?timeout=60), which it hands to sqlite3.connect
BUSY_TIMEOUT_SECONDS = 30
LOCKED = "locked by another connection for longer than {seconds:g} s; try again once it is free"
# SQLite errors that say the database cannot be written now (not that a statement is wrong), each with what to do
SQLITE_FAULTS = {
    "database is locked": LOCKED,
    "database table is locked": LOCKED,
    "database or disk is full": "the database or its disk is full; free space, then run again",
    "disk i/o error": "disk I/O error; check the disk and the database file",
    "attempt to write a readonly database": "read-only; check the permissions of the file and its folder",
    "unable to open database file": "cannot be opened; check the file, its folder and their permissions",
}


class DatabaseUnavailable(StorageError):
    """The database is there but cannot be written now: locked for too long, full, read-only or failing. Not bad
    input: the command failed (exit code 1), and may succeed once the cause is gone."""

    exit_code = 1


def resolve_url(url: str | None) -> str:
    """--db, else DOSSIER_DATABASE_URL, else sqlite:///dossier.db (DESIGN.md, command line)."""
    return url or os.environ.get("DOSSIER_DATABASE_URL") or DEFAULT_URL


def _describe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return hide_password(url)


def libpq_url(url: str) -> str:
    """A PostgreSQL database URL as libpq (psycopg, the job queue of distributed runs) reads it: without
    SQLAlchemy's `+driver`."""
    misread = unencoded_userinfo(url, also="@")
    if misread:
        raise StorageError(f"database URL {hide_password(url)}: {misread} (--db or DOSSIER_DATABASE_URL)")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StorageError(f"database URL {hide_password(url)!r} is not a URL (--db or DOSSIER_DATABASE_URL)") from None
    if parsed.get_backend_name() != "postgresql":
        raise StorageError(f"database {_describe(url)}: distributed runs need PostgreSQL (--db postgresql://...)")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def create_db_engine(url: str | None = None) -> Engine:
    """An engine for the URL; a malformed URL or a missing driver is a one-line StorageError."""
    url = resolve_url(url)
    # SQLAlchemy reads a password up to the first '@', so a second one would make the rest of it the host name
    misread = None if url.startswith("sqlite") else unencoded_userinfo(url, also="@")
    if misread:
        raise StorageError(f"database URL {hide_password(url)}: {misread} (--db or DOSSIER_DATABASE_URL)")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StorageError(
            f"database URL {hide_password(url)!r} is not a URL: use sqlite:///path/dossier.db or "
            "postgresql+psycopg://user@host/db (--db or DOSSIER_DATABASE_URL)") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise StorageError(f"database {_describe(url)}: folder {folder} does not exist (create it or fix --db)")
    busy = busy_timeout(url, parsed.query.get("timeout")) if parsed.get_backend_name() == "sqlite" else None
    try:
        engine = create_engine(parsed, future=True, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"database {_describe(url)}: no driver for {parsed.drivername} ({exc})") from None
    except ArgumentError as exc:  # e.g. a SQLite URL with a host; the message shows the URL without its password
        reason = str(exc).strip().splitlines()[0].rstrip(".")
        raise StorageError(f"database {_describe(url)}: {reason} (use sqlite:///path/dossier.db)") from None
    if busy is not None:
        def sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers (an analyst's query) never block the nightly writer
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={round(busy * 1000)}")
            cursor.close()
        event.listen(engine, "connect", sqlite_pragmas)
        event.listen(engine, "handle_error", partial(_sqlite_fault, busy))
    return engine


def busy_timeout(url: str, given: str | tuple[str, ...] | None) -> float:
    """Seconds a SQLite statement waits for a lock: the URL's `timeout` parameter, else BUSY_TIMEOUT_SECONDS."""
    if given is None:
        return BUSY_TIMEOUT_SECONDS
    try:
        seconds = float(given if isinstance(given, str) else given[-1])
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 86_400:
        raise StorageError(f"database {_describe(url)}: timeout={given!r} is not a number of seconds between 0 and "
                           "86400 (the wait for another connection's lock; e.g. ?timeout=30)")
    return seconds


def _sqlite_fault(busy: float, context) -> None:
    """A locked, full, read-only or failing SQLite database becomes one DatabaseUnavailable line (raised in place
    of SQLAlchemy's error, which a user would see as a traceback); any other error is left as it is."""
    error = context.original_exception
    if not isinstance(error, sqlite3.OperationalError):
        return
    reason = SQLITE_FAULTS.get(str(error).strip().lower())
    if reason is not None:
        where = _describe(str(context.engine.url)) if context.engine is not None else "(SQLite)"
        raise DatabaseUnavailable(f"database {where}: {reason.format(seconds=busy)}") from error


def refused(engine: Engine, error: DBAPIError) -> StorageError:
    """A statement the database refused, as one StorageError line naming the database and the driver's reason
    (its first line: PostgreSQL adds the statement and a caret on the next ones)."""
    reason = (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]
    return StorageError(f"database {_describe(str(engine.url))}: {reason}")


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (OperationalError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise StorageError(f"database {_describe(str(engine.url))} unreachable: {reason}") from None


def _alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()  # type: ignore[arg-type]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Create or migrate the schema to the newest revision; returns that revision."""
    check_connection(engine)
    try:
        command.upgrade(_alembic_config(engine), "head")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise StorageError(f"database {_describe(str(engine.url))}: migration failed: {reason}") from None
    return head_revision()


def open_database(url: str | None = None, migrate: bool = True) -> Engine:
    """The engine of a usable dossier database: reachable and (when migrate) at the newest schema."""
    engine = create_db_engine(url)
    if not migrate and engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:") \
            and not Path(engine.url.database).exists():
        raise StorageError(f"database {_describe(str(engine.url))} does not exist: run `dossier init` (or fix --db)")
    if migrate:
        upgrade(engine)
    else:
        check_connection(engine)
        if current_revision(engine) != head_revision():
            raise StorageError(f"database {_describe(str(engine.url))} is not initialised or out of date: run `dossier init`")
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed at the end of the block and rolled back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
