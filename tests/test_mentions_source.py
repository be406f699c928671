"""The `mentions` source kind over real crawls of the fixture feeds (fixtures/newsfeed, two nights): each mention
stored once per competitor, night2's new ones told as mention_new, and a feed URL that answers an HTML page failing
its source in one line with nothing stored; the writer and the diff on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, text

from extractors.records import FeedItem
from fixtures.server import FixtureSites
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope
from storage.diff import diff_run
from storage.queries import list_changes
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

ROOT = Path(__file__).resolve().parent.parent  # this checkout, whichever one is installed


def feeds_config(sites: FixtureSites, extra_source: dict | None = None) -> dict:
    feeds = [{"kind": "mentions", "url": f"{sites.base_url('newsfeed')}/rss.xml", "allow_private": True},
             {"kind": "mentions", "url": f"{sites.base_url('newsfeed')}/forum/atom.xml", "allow_private": True}]
    return {"defaults": {"render": "static", "download_delay": 0}, "competitors": [
        {"slug": "kranrad", "name": "Kranrad GmbH", "names": ["Kranrad"], "sources": [
            {"kind": "site", "url": f"{sites.base_url('kranrad')}/", "max_pages": 1, "allow_private": True},
            *feeds, *([extra_source] if extra_source else [])]},
        {"slug": "gruzovoz", "name": "ГрузоВоз", "names": ["Gruzovoz"], "sources": feeds},
    ]}


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mentions")
    database_url = f"sqlite:///{folder / 'dossier.db'}"
    with FixtureSites(sites=["newsfeed", "kranrad"]) as sites:
        config = folder / "competitors.yaml"
        config.write_text(yaml.safe_dump(feeds_config(sites), allow_unicode=True), encoding="utf-8")
        first = run_once(config, database_url, folder / "outbox")
        sites.night = "night2"
        second = run_once(config, database_url, folder / "outbox")
    engine = create_db_engine(database_url)
    yield engine, first, second
    engine.dispose()


def mentions_of(engine, slug):
    with session_scope(engine) as session:
        return sorted(m.title for m in session.scalars(
            select(models.Mention).join(models.Competitor, models.Competitor.id == models.Mention.competitor_id)
            .where(models.Competitor.slug == slug)))


def test_night1_stores_each_competitors_mentions_once_and_tells_none(two_nights):
    engine, first, second = two_nights
    assert first.status == "succeeded", first.failed_sources
    assert list_changes(engine, run_id=first.run_id, kind="mention_new") == []  # the first night is the baseline
    with session_scope(engine) as session:
        observed = session.scalar(select(func.count()).select_from(models.MentionObservation)
                                  .where(models.MentionObservation.run_id == first.run_id))
    assert observed == 4  # Kranrad in the news and the forum, ГрузоВоз in the news and the forum


def test_night2_tells_exactly_the_new_mentions(two_nights):
    engine, first, second = two_nights
    assert second.status == "succeeded", second.failed_sources
    told = {(c.competitor_slug, c.title) for c in list_changes(engine, run_id=second.run_id, kind="mention_new")}
    assert told == {
        ("kranrad", "Neues Werk für Kranlaufräder in Dortmund eröffnet"),  # links to Kranrad's site only
        ("kranrad", "KRANRAD erweitert Service: Laufrad-Tausch in 48 Stunden"),
        ("kranrad", "Сравнение: колёса Kranrad и доставка через ГрузоВоз"),
        ("gruzovoz", "ГрузоВоз запустил отслеживание грузов в Telegram"),
        ("gruzovoz", "Сравнение: колёса Kranrad и доставка через ГрузоВоз"),  # one item, both competitors
        ("gruzovoz", "Gruzovoz подняли тариф «Город»?"),
    }
    # stored once: night1's mentions were seen again (topic 1204 even updated), not stored twice
    assert len(mentions_of(engine, "kranrad")) == 5 and len(mentions_of(engine, "gruzovoz")) == 5
    assert "Kranradlager richtig schmieren: fünf Tipps aus der Praxis" not in mentions_of(engine, "kranrad")
    assert "Грузовозы на газу: опыт эксплуатации зимой" not in mentions_of(engine, "gruzovoz")
    assert diff_run(engine, second.run_id) == 0  # idempotent


def test_a_mention_keeps_its_url_date_snippet_and_feed(two_nights):
    engine, *_ = two_nights
    with session_scope(engine) as session:
        mention = session.scalar(select(models.Mention).where(models.Mention.title.like("KRANRAD erweitert%")))
        assert mention.url.endswith("/news/2026/11/kranrad-service-48h.html") and mention.feed_url.endswith("/rss.xml")
        assert mention.published.replace(tzinfo=timezone.utc) == datetime(2026, 11, 24, 15, 20, tzinfo=timezone.utc)
        assert mention.snippet.startswith("Der Hersteller verspricht")


def test_the_summary_and_monthly_activity_count_mentions(two_nights):
    engine, *_ = two_nights
    with session_scope(engine) as session:
        monthly = {row.competitor: row.mentions for row in session.execute(text(
            "SELECT competitor, mentions FROM monthly_activity WHERE month = '2026-11'"))}
        summary = {row.competitor: row.mentions_30d for row in session.execute(text(
            "SELECT competitor, mentions_30d FROM competitor_summary"))}
    assert monthly == {"kranrad": 5, "gruzovoz": 5}  # every mention dated November 2026
    assert set(summary) == {"kranrad", "gruzovoz"} and all(isinstance(n, int) for n in summary.values())


def test_a_feed_url_answering_an_html_page_fails_its_source_in_one_line(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    with FixtureSites(sites=["newsfeed", "kranrad"]) as sites:
        page = f"{sites.base_url('newsfeed')}/"
        config = tmp_path / "competitors.yaml"
        config.write_text(yaml.safe_dump(feeds_config(sites, {"kind": "mentions", "url": page, "name": "Homepage",
                                                                "allow_private": True}), allow_unicode=True),
                          encoding="utf-8")
        result = run_once(config, database_url, tmp_path / "outbox")
    engine = create_db_engine(database_url)
    try:
        assert result.status == "partial"
        with session_scope(engine) as session:
            source = session.scalar(select(models.Source).where(models.Source.url == page))
            crawl = session.scalar(select(models.SourceCrawl).where(models.SourceCrawl.source_id == source.id))
            stored = session.scalar(select(func.count()).select_from(models.MentionObservation)
                                    .where(models.MentionObservation.source_id == source.id))
        assert crawl.status == "failed" and stored == 0
        assert crawl.reason.startswith(f"start URL failed: {page} is not an RSS 2.0 or Atom 1.0 feed (it answered an "
                                       "HTML page): give the feed's own address")
        assert "\n" not in crawl.reason
    finally:
        engine.dispose()


# -- the writer and the diff on both databases -----------------------------------------------------------------
FEED = "https://news.example/rss.xml"
COMPETITORS = [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [{"kind": "mentions", "url": FEED,
                                                                        "names": ["Kranrad GmbH"]}]}]


def feed_item(number: int) -> FeedItem:
    return FeedItem(key=f"https://news.example/{number}", url=f"https://news.example/{number}?utm_source=rss",
                    title=f"Kranrad news {number}", published=datetime(2026, 11, number, tzinfo=timezone.utc),
                    snippet=f"Snippet {number}")


def night(engine, items, status="succeeded", twice=False):
    refs = sync_sources(engine, COMPETITORS)
    (source,) = refs
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.record_fetch(source.source_id, FEED, 200, None, 10, 1000, None)
    for _ in range(2 if twice else 1):  # a feed read twice in a run (a retried job) stores nothing twice
        writer.add_mentions(source.source_id, source.competitor_id, FEED, items)
        writer.flush()
    writer.close()
    record_source_outcomes(engine, run_id, refs)
    finish_run(engine, run_id, status)
    if status != "failed":
        diff_run(engine, run_id)
    return run_id


def test_mentions_are_stored_once_and_new_ones_told(engine):
    night(engine, [feed_item(1), feed_item(2)], twice=True)
    run_id = night(engine, [feed_item(1), feed_item(2), feed_item(3)])
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.Mention)) == 3
        assert session.scalar(select(func.count()).select_from(models.MentionObservation)) == 5
    assert [(c.title, c.after) for c in list_changes(engine, run_id=run_id, kind="mention_new")] == [
        ("Kranrad news 3", "Snippet 3")]
    assert diff_run(engine, run_id) == 0


def test_a_mention_first_read_by_a_failed_run_is_still_new_to_the_next_good_one(engine):
    night(engine, [feed_item(1)])
    night(engine, [feed_item(1), feed_item(2)], status="failed")
    run_id = night(engine, [feed_item(1), feed_item(2)])
    assert [c.title for c in list_changes(engine, run_id=run_id, kind="mention_new")] == ["Kranrad news 2"]


def test_check_reads_a_feed_and_says_why_a_page_is_none(tmp_path):
    """`dossier check`: a feed reads (its items naming the competitor counted), a page given as a feed reads nothing,
    with the line the crawl would store; neither is rendered."""
    with FixtureSites(sites=["newsfeed", "kranrad"]) as sites:
        config = tmp_path / "competitors.yaml"
        page = f"{sites.base_url('newsfeed')}/"
        config.write_text(yaml.safe_dump(feeds_config(sites, {"kind": "mentions", "url": page, "name": "Homepage",
                                                                "allow_private": True}), allow_unicode=True),
                          encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "schedules", "check", "--config", str(config), "--json",
                                 "--competitor", "kranrad"], capture_output=True, text=True, cwd=tmp_path,
                                timeout=300, stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1, result.stderr  # a source reads nothing
    verdicts = {row["url"].rsplit("/", 1)[-1] or "/": (row["verdict"], row["detail"], row["rendered"])
                for row in json.loads(result.stdout) if row["kind"] == "mentions"}
    assert verdicts["rss.xml"] == ("reads", "reads the feed: 1 items name the competitor", False)
    assert verdicts["atom.xml"] == ("reads", "reads the feed: 1 items name the competitor", False)
    verdict, detail, rendered = verdicts["/"]
    assert verdict == "nothing" and not rendered
    assert detail == (f"reads nothing: {page} is not an RSS 2.0 or Atom 1.0 feed (it answered an HTML page): give "
                      "the feed's own address, e.g. the page's <link rel=\"alternate\" type=\"application/rss+xml\">")
