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


# fetch rows as earlier versions stored them (status, error, url) and the outcome migration 0010 gives each
EARLIER_FETCHES = [
    (200, None, "https://s.example/", "ok"),
    (301, None, "https://s.example/old", "redirect"),
    (404, "HTTP 404", "https://s.example/gone", "http_error"),
    (None, "timed out after 30 s", "https://s.example/slow", "timeout"),
    (None, "connection refused", "https://s.example/down", "connection_refused"),
    (None, "connection reset", "https://s.example/reset", "connection_error"),
    (None, "DNS lookup failed: no such host", "https://nx.example/", "dns_error"),
    (None, "Forbidden by robots.txt", "https://s.example/private", "robots_forbidden"),
    (None, "robots.txt unreachable (HTTP 503): the site is not crawled tonight (RFC 9309)", "https://r.example/",
     "robots_unreachable"),
    (200, "blocked: Cloudflare challenge", "https://s.example/wall", "blocked"),
    (200, "soft 404: the site answers this URL with its page for URLs that do not exist", "https://s.example/x",
     "soft_404"),
    (None, "response larger than max_bytes (1024 bytes): not read", "https://s.example/big", "too_large"),
    (None, "off-site: cdn.example is neither the source's site nor in its allow_domains: not requested",
     "https://cdn.example/", "off_site"),
    (None, "not fetched: worker vm:1 died and no worker was left", "https://s.example/p/9", "not_crawled"),
    (None, "mailbox unreachable", "imaps://mail.example/INBOX", "mailbox_error"),
    (None, "ValueError: something new", "https://s.example/odd", "failed"),
]


def test_the_fetch_outcome_migration_fills_the_rows_stored_before_it(database_url):
    """Migration 0010 adds fetch.outcome and gives every earlier row its outcome, read once from its status and
    message (the crawl sets it from then on); the column then refuses a value that is no outcome."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from storage.db import _alembic_config, create_db_engine

    engine = create_db_engine(database_url)
    command.upgrade(_alembic_config(engine), "0009")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO competitor (id, slug, name, created_at) VALUES (1, 'c', 'C', :now)"),
                           {"now": "2026-01-01 00:00:00"})
        connection.execute(text("INSERT INTO source (id, competitor_id, kind, url, config, active) "
                                "VALUES (1, 1, 'site', 'https://s.example/', '{}', true)"))
        connection.execute(text("INSERT INTO crawl_run (id, status, started, stats) "
                                "VALUES (1, 'succeeded', :now, '{}')"), {"now": "2026-01-01 00:00:00"})
        for number, (status, error, url, _) in enumerate(EARLIER_FETCHES, start=1):
            connection.execute(text('INSERT INTO "fetch" (id, run_id, source_id, url, status, error, fetched_at) '
                                    "VALUES (:id, 1, 1, :url, :status, :error, :now)"),
                               {"id": number, "url": url, "status": status, "error": error,
                                "now": "2026-01-01 00:00:00"})
    upgrade(engine)
    with engine.connect() as connection:
        got = dict(connection.execute(text('SELECT url, outcome FROM "fetch"')).all())
    assert got == {url: outcome for _, _, url, outcome in EARLIER_FETCHES}
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text('UPDATE "fetch" SET outcome = \'fine\' WHERE id = 1'))
    engine.dispose()


def test_a_change_is_unique_per_competitor_and_the_migration_keeps_the_rows_and_views(database_url):
    """Migration 0014: two competitors whose products share a key (a GTIN used as SKU) may both change in one run;
    the changes stored before it stay, and the views reading `change` still read (SQLite copies the table)."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from storage.db import _alembic_config, create_db_engine

    engine = create_db_engine(database_url)
    command.upgrade(_alembic_config(engine), "0013")
    now = {"now": "2026-01-01 00:00:00"}
    insert = text("INSERT INTO change (run_id, competitor_id, kind, entity, severity, uncertain, created_at) "
                  "VALUES (1, :competitor, 'price_down', 'product:4006381333931', 'low', false, :now)")
    with engine.begin() as connection:
        for number in (1, 2):
            connection.execute(text("INSERT INTO competitor (id, slug, name, created_at) "
                                    "VALUES (:id, :slug, :slug, :now)"), {"id": number, "slug": f"c{number}", **now})
        connection.execute(text("INSERT INTO crawl_run (id, status, started, stats) "
                                "VALUES (1, 'succeeded', :now, '{}')"), now)
        connection.execute(insert, {"competitor": 1, **now})
    with pytest.raises(IntegrityError), engine.begin() as connection:  # before: the second competitor's is refused
        connection.execute(insert, {"competitor": 2, **now})
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(insert, {"competitor": 2, **now})
    with pytest.raises(IntegrityError), engine.begin() as connection:  # still once per competitor
        connection.execute(insert, {"competitor": 2, **now})
    with engine.connect() as connection:
        assert connection.execute(text("SELECT competitor, kind FROM recent_changes ORDER BY competitor")).all() == [
            ("c1", "price_down"), ("c2", "price_down")]
        assert connection.execute(text("SELECT COUNT(*) FROM product_status")).scalar() == 0
    engine.dispose()
