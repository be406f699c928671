"""A write the database refuses is one StorageError line from the writer, which stops the crawl; a bug in the
storage pipeline stops it too, told as a bug, not as the database's fault."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from crawler.accounting import FetchInfo
from crawler.pipelines import STORAGE_FAILED, StoragePipeline
from crawler.observations import FetchRecord, Observation
from crawler.sources import SourcePlan
from dossier.errors import StorageError
from dossier.outcomes import FetchOutcome
from storage.db import DatabaseUnavailable, create_db_engine, upgrade
from storage.runs import start_run, sync_sources
from storage.writer import RunWriter

SHOP = "https://shop.example/"
COMPETITORS = [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [{"kind": "site", "url": SHOP}]}]
# the driver's words for a table that is not there
NO_TABLE = {"sqlite": "no such table: fetch", "postgresql": 'relation "fetch" does not exist'}


class Stats:
    """The one call the pipeline makes on Scrapy's stats collector."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def set_value(self, key: str, value: object) -> None:
        self.values[key] = value


class Crawler:
    """A crawler whose engine has stopped: the pipeline records why it fails, and there is nothing to close."""

    engine = None

    def __init__(self) -> None:
        self.stats = Stats()


def _source(engine) -> SourcePlan:
    ref = sync_sources(engine, COMPETITORS)[0]
    return SourcePlan(source_id=ref.source_id, competitor_id=ref.competitor_id, competitor_slug="kranrad",
                      kind="site", url=SHOP, max_pages=10, max_depth=1)


def _drop_fetch(engine) -> None:
    cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""  # the analyst views read it
    with engine.begin() as connection:
        connection.execute(text(f'DROP TABLE "fetch"{cascade}'))  # a keyword in PostgreSQL


def _fetch(plan: SourcePlan, payload=FetchInfo(200, None, 12, 1000, "h", FetchOutcome.OK)) -> Observation:
    return FetchRecord(plan, SHOP, payload)


def test_a_write_the_database_refuses_is_one_storage_error_line(engine):
    plan = _source(engine)
    writer = RunWriter(engine, start_run(engine))
    writer.record_fetch(plan.source_id, SHOP, 200, None, 12, 1000, "h")
    _drop_fetch(engine)
    with pytest.raises(StorageError) as raised:
        writer.close()
    error = raised.value
    assert type(error) is StorageError  # not DatabaseUnavailable: the database is there, the table is not
    assert str(error).startswith("database ") and str(error).endswith(f": {NO_TABLE[engine.dialect.name]}"), error
    assert "\n" not in str(error)
    assert isinstance(error.__cause__, DBAPIError)  # SQLAlchemy's error stays the cause, for a log's traceback


def test_a_read_only_sqlite_database_stays_its_database_unavailable_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'dossier.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    plan = _source(engine)
    run_id = start_run(engine)
    engine.dispose()
    # as root a file mode does not stop a write: query_only refuses it as a read-only file does
    event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA query_only=ON"))
    writer = RunWriter(engine, run_id)
    writer.record_fetch(plan.source_id, SHOP, 200, None, 12, 1000, "h")
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            writer.close()
    finally:
        engine.dispose()
    assert str(raised.value) == (f"database {url}: read-only; check the permissions of the file and its folder")


def test_a_lock_held_past_the_urls_busy_timeout_is_its_database_unavailable_line(tmp_path):
    """SQLAlchemy's pysqlite parameter `timeout` sets how long a write waits for another connection's lock (30 s
    by default), and the line names the wait that ran out."""
    url = f"sqlite:///{tmp_path / 'dossier.db'}?timeout=0.2"
    engine = create_db_engine(url)
    upgrade(engine)
    holder = sqlite3.connect(tmp_path / "dossier.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            start_run(engine)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
    assert str(raised.value) == (f"database {url}: locked by another connection for longer than 0.2 s; "
                                 "try again once it is free")


@pytest.mark.parametrize("timeout", ["abc", "0", "-1", "1e9"])
def test_a_busy_timeout_that_is_not_a_number_of_seconds_is_one_line(tmp_path, timeout):
    url = f"sqlite:///{tmp_path / 'dossier.db'}?timeout={timeout}"
    with pytest.raises(StorageError) as raised:
        create_db_engine(url)
    assert str(raised.value) == (f"database {url}: timeout={timeout!r} is not a number of seconds between 0 and "
                                 "86400 (the wait for another connection's lock; e.g. ?timeout=30)")
    assert not (tmp_path / "dossier.db").exists()


def test_a_refused_write_stops_the_crawl_with_one_line(database_url):
    engine = create_db_engine(database_url)
    upgrade(engine)
    plan = _source(engine)
    crawler = Crawler()
    pipeline = StoragePipeline(database_url, start_run(engine), crawler)
    pipeline.open_spider()
    pipeline.process_item(_fetch(plan))
    _drop_fetch(engine)
    engine.dispose()
    pipeline.close_spider()  # the rows buffered are written now, and refused
    assert pipeline.failure is not None and pipeline.failure.startswith("storing the crawl failed: database ")
    assert pipeline.failure.endswith(NO_TABLE[engine.dialect.name]) and "\n" not in pipeline.failure
    assert crawler.stats.values == {STORAGE_FAILED: pipeline.failure}  # crawler/process.py raises StorageError on it


def test_a_bug_in_the_pipeline_stops_the_crawl_as_a_bug_not_as_the_database(database_url, caplog):
    """A night stored in part must not pass: the crawl stops all the same, but the line says it is a bug (not a
    database to fix) and the log keeps its traceback."""
    engine = create_db_engine(database_url)
    upgrade(engine)
    plan = _source(engine)
    crawler = Crawler()
    pipeline = StoragePipeline(database_url, start_run(engine), crawler)
    pipeline.open_spider()
    pipeline.process_item(_fetch(plan, payload=None))  # a fetch observation without its FetchInfo
    assert pipeline.failure.startswith("storing the crawl failed on a bug (AttributeError: ")
    assert "database" not in pipeline.failure and "\n" not in pipeline.failure
    assert crawler.stats.values == {STORAGE_FAILED: pipeline.failure}
    assert "Traceback" in caplog.text
    pipeline.process_item(_fetch(plan))
    pipeline.close_spider()  # nothing more is written once the crawl has failed
    with engine.connect() as connection:
        assert connection.execute(text('SELECT count(*) FROM "fetch"')).scalar() == 0
    engine.dispose()
