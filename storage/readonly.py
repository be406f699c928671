"""What `dossier sql` may run: a connection that cannot write, and per backend the checks that refuse, in one line
naming why, whatever would write or reach outside the dossier database (other files, programs, other sessions)."""
from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

from dossier.errors import StorageError

ONLY_READS = "the query may only read the dossier database"

# SQLite (the authorizer, sqlite3.Connection.set_authorizer): actions a query needs, and those refused by name.
SQLITE_READS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE}
SQLITE_REFUSED_ACTIONS = {
    sqlite3.SQLITE_INSERT: "INSERT", sqlite3.SQLITE_UPDATE: "UPDATE", sqlite3.SQLITE_DELETE: "DELETE",
    sqlite3.SQLITE_CREATE_TABLE: "CREATE TABLE", sqlite3.SQLITE_CREATE_TEMP_TABLE: "CREATE TABLE",
    sqlite3.SQLITE_CREATE_INDEX: "CREATE INDEX", sqlite3.SQLITE_CREATE_TEMP_INDEX: "CREATE INDEX",
    sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW", sqlite3.SQLITE_CREATE_TEMP_VIEW: "CREATE VIEW",
    sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER", sqlite3.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TRIGGER",
    sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE", sqlite3.SQLITE_DROP_TABLE: "DROP TABLE",
    sqlite3.SQLITE_DROP_TEMP_TABLE: "DROP TABLE", sqlite3.SQLITE_DROP_INDEX: "DROP INDEX",
    sqlite3.SQLITE_DROP_TEMP_INDEX: "DROP INDEX", sqlite3.SQLITE_DROP_VIEW: "DROP VIEW",
    sqlite3.SQLITE_DROP_TEMP_VIEW: "DROP VIEW", sqlite3.SQLITE_DROP_TRIGGER: "DROP TRIGGER",
    sqlite3.SQLITE_DROP_TEMP_TRIGGER: "DROP TRIGGER", sqlite3.SQLITE_DROP_VTABLE: "DROP TABLE",
    sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE", sqlite3.SQLITE_REINDEX: "REINDEX", sqlite3.SQLITE_ANALYZE: "ANALYZE",
    sqlite3.SQLITE_ATTACH: "ATTACH", sqlite3.SQLITE_DETACH: "DETACH", sqlite3.SQLITE_SAVEPOINT: "SAVEPOINT",
}
# SQLite asks to write the schema table before a CREATE or DROP asks for itself (refused then, by its own name),
# and when a connection first builds a table-valued function (pragma_table_info, json_each); SQL cannot write that
# table itself (SQLite refuses it, PRAGMA writable_schema is refused here, and the file is opened read-only).
SQLITE_SCHEMA_TABLES = {"sqlite_master", "sqlite_temp_master", "sqlite_schema", "sqlite_temp_schema"}
# Pragmas that only report on the objects they name (their argument is a table, an index or a row limit).
SQLITE_REPORTING_PRAGMAS = {
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "foreign_key_check", "integrity_check", "quick_check", "collation_list", "function_list", "module_list",
    "pragma_list", "database_list", "compile_options",
}
# Pragmas that are settings: read without a value, refused with one (the value would change the connection or file).
SQLITE_SETTING_PRAGMAS = {
    "application_id", "auto_vacuum", "automatic_index", "busy_timeout", "cache_size", "cache_spill",
    "cell_size_check", "data_version", "defer_foreign_keys", "encoding", "foreign_keys", "freelist_count",
    "journal_mode", "journal_size_limit", "legacy_alter_table", "locking_mode", "max_page_count", "mmap_size",
    "page_count", "page_size", "query_only", "read_uncommitted", "recursive_triggers", "schema_version",
    "secure_delete", "synchronous", "temp_store", "trusted_schema", "user_version", "wal_autocheckpoint",
}
# Functions that load code or touch files (the last three are the sqlite3 shell's, refused should they be there).
SQLITE_REFUSED_FUNCTIONS = {"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"}

# PostgreSQL: the statements a query may be (by its first word); a READ ONLY transaction refuses writes within them.
POSTGRES_QUERIES = {"select", "with", "values", "table", "explain", "show"}
# Functions a READ ONLY transaction allows but which reach outside the database (a superuser may call them: the
# server's files and large-object import/export, other servers) or could undo the guard (set_config restores a
# role; the others run SQL given as text, out of sight of these checks).
POSTGRES_REFUSED_FUNCTIONS = {
    "pg_read_file", "pg_read_binary_file", "pg_stat_file", "pg_ls_dir", "pg_ls_logdir", "pg_ls_waldir",
    "pg_ls_tmpdir", "pg_ls_archive_statusdir", "pg_ls_logicalmapdir", "pg_ls_logicalsnapdir", "pg_ls_replslotdir",
    "lo_import", "lo_export", "pg_file_write", "pg_file_sync", "pg_file_rename", "pg_file_unlink", "pg_logdir_ls",
    "set_config", "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml",
    "cursor_to_xmlschema", "ts_stat", "ts_rewrite",
}
POSTGRES_REFUSED_PREFIXES = ("dblink",)  # the dblink extension: dblink(), dblink_exec(), dblink_connect(), …
# A superuser's query runs as this predefined role (PostgreSQL 14+): it reads every table and view but holds none of
# a superuser's powers, so whatever the lists above miss (pg_reload_conf, pg_terminate_backend, COPY … PROGRAM) the
# server refuses itself.
POSTGRES_READER_ROLE = "pg_read_all_data"


def refused(what: str) -> StorageError:
    """The one line of a refusal; `what` may quote the statement (a PRAGMA's value): kept to one short line."""
    what = " ".join(what.split())
    return StorageError(f"sql: {what[:80]} is refused: {ONLY_READS}")


def read_only_engine(engine: Engine) -> Engine:
    """A second engine on the same database whose connections cannot write (SQLite and PostgreSQL alike)."""
    url = engine.url
    if engine.dialect.name == "sqlite":
        if url.database in (None, "", ":memory:"):
            ro = create_engine(url, poolclass=NullPool)
        else:  # the file itself is opened read-only: nothing done through it can change it
            uri = Path(url.database).expanduser().resolve().as_uri() + "?mode=ro"
            ro = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)

        @event.listens_for(ro, "connect")
        def _query_only(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA query_only = ON")  # nor a temporary table
            cursor.close()

        return ro
    if engine.dialect.name == "postgresql":
        # and strings read as _postgres_words reads them (off, a backslash would hide a call from it inside a string)
        options = (f"{url.query.get('options', '')} -c default_transaction_read_only=on"
                   " -c standard_conforming_strings=on").strip()
        return create_engine(url.update_query_dict({"options": options}), poolclass=NullPool)
    raise StorageError(f"read-only queries are supported on SQLite and PostgreSQL, not {engine.dialect.name}")


@contextmanager
def read_only_cursor(ro: Engine, sql: str) -> Iterator[Any]:
    """The DB-API cursor of `sql` run on a read_only_engine, guarded as its backend allows; any refusal or error
    while running or reading it is one StorageError line. The transaction is rolled back at the end."""
    raw = ro.raw_connection()
    try:
        if ro.dialect.name == "sqlite":
            with _sqlite_guarded(raw.driver_connection, sql) as cursor:
                yield cursor
        else:
            with _postgres_guarded(raw.driver_connection, sql) as cursor:
                yield cursor
    finally:
        raw.rollback()
        raw.close()


@contextmanager
def _sqlite_guarded(connection: sqlite3.Connection, sql: str) -> Iterator[sqlite3.Cursor]:
    """SQLite asks the authorizer about every action of the statement while compiling it, before anything runs:
    an ATTACH is refused before its file is created."""
    refusals: list[str] = []

    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _source: str | None) -> int:
        what = _sqlite_refusal(action, arg1, arg2)
        if what is None:
            return sqlite3.SQLITE_OK
        refusals.append(what)
        return sqlite3.SQLITE_DENY

    cursor = connection.cursor()
    connection.set_authorizer(authorize)
    try:
        cursor.execute(sql)
        yield cursor
    except sqlite3.Error as exc:
        if refusals:
            # VACUUM (INTO a file) shows the authorizer only the ATTACH of its target
            raise refused("VACUUM" if _first_word(sql) == "vacuum" else refusals[0]) from None
        raise StorageError(f"sql: {_first_line(exc)}") from None
    finally:
        connection.set_authorizer(None)
        cursor.close()


def _sqlite_refusal(action: int, arg1: str | None, arg2: str | None) -> str | None:
    """What the action is, as refused, or None when a read may do it."""
    if action in SQLITE_READS:
        return None
    if action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE) and arg1 in SQLITE_SCHEMA_TABLES:
        return None
    if action == sqlite3.SQLITE_FUNCTION:
        return f"{arg2}()" if (arg2 or "").lower() in SQLITE_REFUSED_FUNCTIONS else None
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        if name in SQLITE_REPORTING_PRAGMAS or (name in SQLITE_SETTING_PRAGMAS and arg2 is None):
            return None
        return f"PRAGMA {name}" + (f" = {arg2}" if arg2 is not None else "")
    if action == sqlite3.SQLITE_TRANSACTION:
        return arg1 or "BEGIN"  # BEGIN, COMMIT or ROLLBACK
    return SQLITE_REFUSED_ACTIONS.get(action, "the statement")


@contextmanager
def _postgres_guarded(connection, sql: str) -> Iterator[Any]:
    """PostgreSQL runs the statement in a READ ONLY transaction (read_only_engine), as one statement (the extended
    protocol refuses a second), after a check of what it is and which functions it names, and for a superuser
    without a superuser's powers."""
    import psycopg  # the driver, here only: a SQLite dossier does not load it

    words = _postgres_words(sql)
    if words and words[0] not in POSTGRES_QUERIES:
        raise refused(words[0].upper())
    for word in words:
        if word in POSTGRES_REFUSED_FUNCTIONS or word.startswith(POSTGRES_REFUSED_PREFIXES):
            raise refused(f"{word}()")
    cursor = connection.cursor()
    try:
        _drop_superuser(cursor)
        cursor.execute(sql, prepare=True)  # prepared: a Parse message holds exactly one statement
        yield cursor
    except psycopg.Error as exc:
        raise StorageError(f"sql: {exc.diag.message_primary or _first_line(exc)}") from None
    finally:
        cursor.close()


def _drop_superuser(cursor) -> None:
    """For a superuser, the rest of the transaction runs as POSTGRES_READER_ROLE, with the schemas it searched."""
    cursor.execute("SELECT current_setting('is_superuser') = 'on' AND to_regrole(%s) IS NOT NULL, "
                   "(SELECT string_agg(quote_ident(s), ', ') FROM unnest(current_schemas(false)) AS s)",
                   (POSTGRES_READER_ROLE,))
    superuser, schemas = cursor.fetchone()
    if not superuser:
        return
    if schemas:  # "$user" in the search_path would name another schema once the role changes
        cursor.execute("SELECT set_config('search_path', %s, true)", (schemas,))
    cursor.execute(f"SET LOCAL ROLE {POSTGRES_READER_ROLE}")


# PostgreSQL's lexical structure, as far as telling words from literals and comments needs: a function name inside
# a string or a comment is not a call, and a quoted or U&-escaped name is one.
_POSTGRES_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<line_comment>--[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<escape_string>[eE]'(?:[^'\\]|\\.|'')*')
  | (?P<unicode_ident>[uU]&"(?:[^"]|"")*")
  | (?P<string>(?:[bBxXnN]|[uU]&)?'(?:[^']|'')*')
  | (?P<dollar>\$(?P<tag>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$)
  | (?P<ident>"(?:[^"]|"")*")
  | (?P<word>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_UESCAPE = re.compile(r"\s*UESCAPE\s*'(.)'", re.IGNORECASE | re.DOTALL)


def _postgres_words(sql: str) -> list[str]:
    """The statement's keywords and names, lower-cased, in order; literals and comments left out."""
    words: list[str] = []
    at = 0
    while at < len(sql):
        match = _POSTGRES_TOKEN.match(sql, at)
        kind, at = match.lastgroup, match.end()
        if kind == "block_comment":
            at = _end_of_block_comment(sql, at)
        elif kind == "dollar":
            end = sql.find(match.group("dollar"), at)
            at = len(sql) if end < 0 else end + len(match.group("dollar"))
        elif kind == "word":
            words.append(match.group().lower())
        elif kind == "ident":
            words.append(match.group()[1:-1].replace('""', '"').lower())
        elif kind == "unicode_ident":
            escape = _UESCAPE.match(sql, at)
            if escape:
                at = escape.end()
            words.append(_unicode_unescape(match.group()[3:-1].replace('""', '"'),
                                           escape.group(1) if escape else "\\").lower())
    return words


def _end_of_block_comment(sql: str, at: int) -> int:
    """Where a /* comment that began before `at` ends; PostgreSQL's comments nest."""
    depth = 1
    while depth and at < len(sql):
        if sql.startswith("/*", at):
            depth, at = depth + 1, at + 2
        elif sql.startswith("*/", at):
            depth, at = depth - 1, at + 2
        else:
            at += 1
    return at


def _unicode_unescape(text: str, escape: str) -> str:
    e = re.escape(escape)
    pattern = re.compile(rf"{e}{e}|{e}\+([0-9A-Fa-f]{{6}})|{e}([0-9A-Fa-f]{{4}})")

    def replace(match: re.Match) -> str:
        code = match.group(1) or match.group(2)
        if code is None:
            return escape
        return chr(int(code, 16)) if int(code, 16) <= 0x10FFFF else match.group()  # the server refuses it

    return pattern.sub(replace, text)


def _first_word(sql: str) -> str | None:
    words = _postgres_words(sql)  # SQLite's comments and literals lex alike for a statement's first word
    return words[0] if words else None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
