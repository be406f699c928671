"""Alembic's migrations build exactly the schema of storage.models, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dossier.errors import StorageError
from storage.db import current_revision, head_revision, open_database, upgrade
from storage.models import Base

DESIGN_TABLES = {"competitor", "source", "crawl_run", "fetch", "page_snapshot", "product", "price_observation",
                 "review", "rating_snapshot", "ad", "technology_observation", "change", "alert_outbox"}


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert DESIGN_TABLES <= set(inspect(engine).get_table_names())


def test_upgrade_twice_is_harmless(engine):
    assert upgrade(engine) == head_revision() == current_revision(engine)


def test_an_uninitialised_database_is_refused_with_the_fix(database_url):
    if database_url.startswith("sqlite"):  # an empty file, as a stray `touch` or another tool leaves it
        open(database_url.removeprefix("sqlite:///"), "wb").close()
    with pytest.raises(StorageError, match=r"is not initialised or out of date: run `dossier init`$"):
        open_database(database_url, migrate=False)


@pytest.mark.parametrize("url, message", [
    ("not a url", r"^database URL 'not a url' is not a URL: use sqlite:///path/dossier.db or postgresql"),
    ("sqlite:////no/such/folder/dossier.db", r"folder /no/such/folder does not exist \(create it or fix --db\)$"),
    ("postgresql://nobody:secret@127.0.0.1:1/nothing", r"^database postgresql\+psycopg://nobody:\*\*\*@127.0.0.1:1/nothing unreachable"),
    ("mysql+nodriver://x@127.0.0.1/db", r"no driver for mysql\+nodriver"),
])
def test_bad_database_urls_are_one_line_errors(url, message):
    with pytest.raises(StorageError, match=message) as caught:
        open_database(url)
    assert "\n" not in str(caught.value) and "secret" not in str(caught.value)


def test_render_patterns_are_kept_per_source_and_pattern_across_runs(engine):
    from crawler.render_auto import PatternStats
    from storage.render_patterns import load_render_patterns
    from storage.runs import start_run, sync_sources
    from storage.writer import RunWriter

    (ref,) = sync_sources(engine, [{"slug": "k", "name": "K", "sources": [{"kind": "catalog",
                                                                         "url": "https://k.example/"}]}])
    first, second = start_run(engine), start_run(engine)
    writer = RunWriter(engine, first)
    writer.add_render_patterns(ref.source_id, {"/p/*.html": PatternStats(render_gained=3),
                                               "/ask/*": PatternStats(render_no_gain=3)})
    writer.close()
    writer = RunWriter(engine, second)  # the next night: one pattern again, its counts replaced
    writer.add_render_patterns(ref.source_id, {"/p/*.html": PatternStats(static_complete=1)})
    writer.close()
    assert load_render_patterns(engine, [ref.source_id, ref.source_id + 1]) == {ref.source_id: {
        "/p/*.html": {"static_complete": 1, "render_gained": 0, "render_no_gain": 0},
        "/ask/*": {"static_complete": 0, "render_gained": 0, "render_no_gain": 3}}}
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT pattern, decision, run_id FROM render_pattern ORDER BY pattern")
        assert [tuple(row) for row in rows] == [("/ask/*", "static", first), ("/p/*.html", "sample", second)]
    assert load_render_patterns(engine, []) == {}
