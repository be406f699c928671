"""Shared fixtures: real databases (a SQLite file and the PostgreSQL server on 127.0.0.1), free ports, a bounded
wait for what happens in another thread or process."""
from __future__ import annotations

import os
import socket
import time
import uuid

import pytest

from storage.db import create_db_engine, upgrade

POSTGRES_URL = os.environ.get("DOSSIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# Modules whose scenarios take 30 s or more (crawls of whole demo nights, kills, a distributed run, many rendered
# pages): marked `slow`, so that `python -m pytest -m "not slow"` is a developer's quick loop of a few minutes.
# `python -m pytest` (the README's command, CI) runs them too, first and longest first: two test processes each
# take the next module in collection order, and a long module started last would leave the other one idle.
SLOW_MODULES = (  # longest first, as measured (docs/performance.md, "The test suite")
    "test_faults_crash", "test_faults_distributed", "test_crash_recovery", "test_faults_browser",
    "test_failed_source_night", "test_end_to_end", "test_add", "test_distributed", "test_faults_lies",
    "test_faults_secrets", "test_faults_network", "test_interrupt", "test_run_scope",
    # issue 25's sources, each several real crawls of its fixture site in subprocesses (50-80 s a module)
    "test_social_source", "test_social_vk", "test_tenders_source", "test_mentions_source", "test_backfill",
)


def pytest_collection_modifyitems(config, items) -> None:
    def rank(item) -> int:
        module = item.module.__name__.rpartition(".")[2]
        return SLOW_MODULES.index(module) if module in SLOW_MODULES else len(SLOW_MODULES)

    for item in items:
        if rank(item) < len(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)
    items.sort(key=rank)  # stable: each module's own order is kept


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd's port=0 does not work here, so tests pick one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, what: str, timeout: float = 10.0, poll: float = 0.05) -> None:
    """Poll `condition` until it is true; past `timeout` seconds fail naming `what` was awaited. For something
    that happens in another thread or process: a fixed sleep before the assertion hopes instead of waiting."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


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
