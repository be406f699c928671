"""Shared fixtures: real databases (a SQLite file and the PostgreSQL server on 127.0.0.1), free ports."""
from __future__ import annotations

import os
import socket
import uuid

import pytest

from storage.db import create_db_engine, upgrade

POSTGRES_URL = os.environ.get("DOSSIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd's port=0 does not work here, so tests pick one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_admin(*statements: str) -> None:
    """Run SQL statements in one transaction on the test server as its admin; with no server the test is skipped
    locally and fails in CI, where the server must be there."""
    from sqlalchemy import text

    admin = create_db_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    except Exception as exc:  # no server, see above
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} unreachable: {exc}")
    finally:
        admin.dispose()


def _postgres_schema_url() -> tuple[str, str]:
    """A fresh schema in the test database, the URL pointing its search_path there."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    postgres_admin(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str) -> None:
    postgres_admin(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The URL of an empty database, once on SQLite (a file) and once on PostgreSQL (its own schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dossier.db'}"
        return
    url, schema = _postgres_schema_url()
    try:
        yield url
    finally:
        _drop_schema(schema)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request, tmp_path_factory):
    """database_url for a module's expensive set-up (a crawl of both nights), shared by its tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'dossier.db'}"
        return
    url, schema = _postgres_schema_url()
    try:
        yield url
    finally:
        _drop_schema(schema)


@pytest.fixture(scope="module")
def postgres_database_url():
    """A PostgreSQL schema of its own for a module whose subject is PostgreSQL (distributed crawling)."""
    url, schema = _postgres_schema_url()
    try:
        yield url
    finally:
        _drop_schema(schema)


@pytest.fixture
def engine(database_url):
    """A migrated dossier database on each backend."""
    engine = create_db_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pick_port():
    """free_port as a fixture, for tests that start their own servers."""
    return free_port
