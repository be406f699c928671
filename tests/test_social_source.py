"""The `social` source kind over real crawls of the fixture channels (fixtures/social, two nights): a Telegram
channel's preview and a YouTube channel's feed (with its channel page, for the subscribers) stored as channels,
snapshots and posts, night2's new post, new video and grown audiences told, a channel page that cannot be read
leaving the videos and an unknown audience, a page that is no channel failing its source in one line with nothing
stored; the writer and the diff on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, text

from extractors.records import ChannelPost, ChannelSnapshot
from fixtures.server import FixtureSites
from schedules.nightly import run_once
from storage import models
from storage.compare import Rules
from storage.db import session_scope
from storage.db import create_db_engine
from storage.diff import diff_run
from storage.queries import list_changes
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM = "Telegram @gruzovoz_news"
YOUTUBE = "YouTube Kranrad GmbH"


def social_config(sites: FixtureSites, extra_source: dict | None = None) -> dict:
    base = sites.base_url("social")
    return {"defaults": {"render": "static", "download_delay": 0}, "competitors": [
        {"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
            {"kind": "social", "network": "youtube", "allow_private": True,
             "url": f"{base}/feeds/videos.xml?channel_id=UCkranradGmbH0demo00000"},
            *([extra_source] if extra_source else [])]},
        {"slug": "gruzovoz", "name": "ГрузоВоз", "sources": [
            {"kind": "social", "network": "telegram", "url": f"{base}/s/gruzovoz_news/", "allow_private": True}]},
    ]}


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("social")
    database_url = f"sqlite:///{folder / 'dossier.db'}"
    with FixtureSites(sites=["social"]) as sites:
        config = folder / "competitors.yaml"
        config.write_text(yaml.safe_dump(social_config(sites), allow_unicode=True), encoding="utf-8")
        first = run_once(config, database_url, folder / "outbox")
        sites.night = "night2"
        second = run_once(config, database_url, folder / "outbox")
        third = run_once(config, database_url, folder / "outbox")  # night2 read again: nothing new
    engine = create_db_engine(database_url)
    yield engine, first, second, third
    engine.dispose()


def count(engine, model, **where) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.scalar(query)


def test_night1_stores_the_channels_snapshots_and_posts_and_tells_nothing(two_nights):
    engine, first, *_ = two_nights
    assert first.status == "succeeded", first.failed_sources
    assert list_changes(engine, run_id=first.run_id) == []  # the first night is the baseline
    with session_scope(engine) as session:
        channels = {(c.network, c.channel, c.title) for c in session.scalars(select(models.SocialChannel))}
        snapshots = {c.channel: s.subscribers for s, c in session.execute(
            select(models.ChannelSnapshot, models.SocialChannel).join(
                models.SocialChannel, models.SocialChannel.id == models.ChannelSnapshot.social_channel_id)
            .where(models.ChannelSnapshot.run_id == first.run_id))}
    assert channels == {("telegram", "gruzovoz_news", "ГрузоВоз"), ("youtube", "UCkranradGmbH0demo00000",
                                                                     "Kranrad GmbH")}
    # a YouTube feed shows no audience: its channel page, read beside it, does, into the same snapshot
    assert snapshots == {"gruzovoz_news": 1200, "UCkranradGmbH0demo00000": 1050}
    with session_scope(engine) as session:
        assert session.scalar(select(models.ChannelSnapshot.posts_shown).join(
            models.SocialChannel, models.SocialChannel.id == models.ChannelSnapshot.social_channel_id).where(
            models.ChannelSnapshot.run_id == first.run_id, models.SocialChannel.network == "youtube")) == 3
    assert count(engine, models.SocialPost, first_seen_run_id=first.run_id) == 7  # 4 posts, 3 videos
    assert count(engine, models.SocialPostObservation, run_id=first.run_id) == 7


def test_night2_tells_the_new_post_the_new_video_and_the_audience(two_nights):
    engine, first, second, _ = two_nights
    assert second.status == "succeeded", second.failed_sources
    changes = list_changes(engine, run_id=second.run_id)
    told = sorted((c.competitor_slug, c.kind, c.title, c.before, c.after) for c in changes)
    assert told == [
        ("gruzovoz", "post_new", "Постоянным клиентам — скидка 10 % на перевозки до конца декабря.", None,
         "Постоянным клиентам — скидка 10 % на перевозки до конца декабря."),
        ("gruzovoz", "subscribers_changed", TELEGRAM, "1200", "1300"),
        ("kranrad", "post_new", "Spurkranzrad SR 500 im Einsatz", None, "Spurkranzrad SR 500 im Einsatz"),
        ("kranrad", "subscribers_changed", YOUTUBE, "1050", "1210"),
    ]
    audience = {c.competitor_slug: c.magnitude for c in changes if c.kind == "subscribers_changed"}
    assert audience == {"gruzovoz": Decimal("8.33"), "kranrad": Decimal("15.24")}
    # night1's posts seen again, not stored twice
    assert count(engine, models.SocialPost, first_seen_run_id=second.run_id) == 2
    with session_scope(engine) as session:
        post = session.scalar(select(models.SocialPost).where(models.SocialPost.post_id == "214"))
        assert post.views == 2000  # its counts as last read; night1's kept in its observation
        assert session.scalar(select(models.SocialPostObservation.views).where(
            models.SocialPostObservation.social_post_id == post.id,
            models.SocialPostObservation.run_id == first.run_id)) == 1900
        assert post.published.replace(tzinfo=timezone.utc) == datetime(2026, 10, 27, 12, 40, tzinfo=timezone.utc)
    events = {e.competitor_slug: e.title for e in _events(engine, second.run_id) if e.kind == "marketing"}
    assert f"{TELEGRAM}: new post “Постоянным клиентам" in events["gruzovoz"]
    assert "subscribers 1,200 → 1,300 (+8.3%)" in events["gruzovoz"]
    assert f"{YOUTUBE}: new post “Spurkranzrad SR 500 im Einsatz”" in events["kranrad"]
    assert "subscribers 1,050 → 1,210 (+15.2%)" in events["kranrad"]
    assert diff_run(engine, second.run_id) == 0  # idempotent


def _events(engine, run_id):
    from storage.events import list_events

    return list_events(engine, run_id=run_id)


def test_the_same_night_read_again_adds_no_post_and_tells_nothing_new(two_nights):
    engine, _, second, third = two_nights
    assert third.status == "succeeded", third.failed_sources
    assert count(engine, models.SocialPost) == 9
    assert list_changes(engine, run_id=third.run_id) == []


def test_the_views_count_posts_per_month_and_the_audience(two_nights):
    engine, *_ = two_nights
    with session_scope(engine) as session:
        monthly = {(row.channel, row.month): row.posts for row in session.execute(text(
            "SELECT channel, month, posts FROM social_monthly"))}
        summary = {row.competitor: row.subscribers for row in session.execute(text(
            "SELECT competitor, subscribers FROM competitor_summary"))}
    assert monthly[("gruzovoz_news", "2026-11")] == 2 and monthly[("gruzovoz_news", "2026-09")] == 1
    assert monthly[("UCkranradGmbH0demo00000", "2026-11")] == 1
    assert monthly[("UCkranradGmbH0demo00000", "2026-09")] == 1
    assert summary == {"gruzovoz": 1300, "kranrad": 1210}


def test_the_report_shows_the_channels_their_months_and_the_most_viewed_posts(two_nights, tmp_path):
    from schedules.report import build_report
    from tests.test_report import cells, section

    engine, *_ = two_nights
    pages = {page.stem: page.read_text(encoding="utf-8") for page in build_report(engine, tmp_path / "report")}
    social = section(pages["gruzovoz"], "social")
    table = cells(social)
    assert table[:8] == ["Channel", "Subscribers", "Posts a week (4 weeks)", "Posts read", TELEGRAM, "1,300",
                         table[6], "5"]
    assert '<a href="https://t.me/s/gruzovoz_news">Telegram @gruzovoz_news</a>' in social
    months = cells(social.split('<table class="narrow">')[1].split("</table>")[0])
    # posts in the month they were published, the audience in the month the runs read it (this month)
    this_month = datetime.now(timezone.utc).strftime("%Y-%m")
    assert months == ["Month", "Posts", "Subscribers", this_month, "0", "1,300", "2026-11", "2", "",
                      "2026-10", "2", "", "2026-09", "1", ""]
    top = social.split("Most viewed posts")[1]
    views = [int(cell.replace(",", "")) for cell in cells(top)[4::4]]
    assert views == sorted(views, reverse=True) and views[0] == 3100  # 213: the most viewed post
    assert "Posts a week" in section(pages["kranrad"], "social") and "YouTube Kranrad GmbH" in pages["kranrad"]
    overview = cells(section(pages["index"], "site-reach"))
    start = overview.index("ГрузоВоз")
    published = [datetime(2026, *when, tzinfo=timezone.utc)  # the Telegram fixture's posts
                 for when in ((9, 15, 7, 30), (10, 6, 9, 5), (10, 27, 12, 40), (11, 19, 8, 15), (11, 24, 10))]
    recent = sum(1 for when in published if when >= datetime.now(timezone.utc) - timedelta(days=30))
    assert overview[start + 14:start + 16] == ["1,300", str(recent)]  # subscribers, posts in 30 days


def test_a_page_that_is_no_channel_fails_its_source_in_one_line_with_nothing_stored(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    with FixtureSites(sites=["social"]) as sites:
        page = f"{sites.base_url('social')}/"
        config = tmp_path / "competitors.yaml"
        config.write_text(yaml.safe_dump(social_config(sites, {
            "kind": "social", "network": "telegram", "url": page, "name": "Not a channel", "allow_private": True}),
            allow_unicode=True), encoding="utf-8")
        result = run_once(config, database_url, tmp_path / "outbox")
    engine = create_db_engine(database_url)
    try:
        assert result.status == "partial"
        with session_scope(engine) as session:
            source = session.scalar(select(models.Source).where(models.Source.url == page))
            crawl = session.scalar(select(models.SourceCrawl).where(models.SourceCrawl.source_id == source.id))
            channels = session.scalar(select(func.count()).select_from(models.SocialChannel)
                                      .where(models.SocialChannel.source_id == source.id))
            snapshots = session.scalar(select(func.count()).select_from(models.ChannelSnapshot)
                                       .where(models.ChannelSnapshot.source_id == source.id))
        assert crawl.status == "failed" and channels == 0 and snapshots == 0
        assert crawl.reason == (f"start URL failed: {page} shows no public channel: not a public Telegram "
                                "channel's preview; give its address as https://t.me/s/NAME (the channel must be "
                                "public)")
    finally:
        engine.dispose()


def test_check_reads_a_channel_and_says_why_a_page_is_none(tmp_path):
    with FixtureSites(sites=["social"]) as sites:
        config = tmp_path / "competitors.yaml"
        page = f"{sites.base_url('social')}/"
        config.write_text(yaml.safe_dump(social_config(sites, {
            "kind": "social", "network": "youtube", "url": page, "name": "Homepage", "allow_private": True}),
            allow_unicode=True), encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "schedules", "check", "--config", str(config), "--json"],
                                capture_output=True, text=True, cwd=tmp_path, timeout=300,
                                stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1, result.stderr
    verdicts = {row["url"].split("/", 3)[-1]: (row["verdict"], row["detail"]) for row in json.loads(result.stdout)}
    assert verdicts["s/gruzovoz_news/"] == ("reads", "reads the channel gruzovoz_news: 4 posts, 1200 subscribers")
    assert verdicts["feeds/videos.xml?channel_id=UCkranradGmbH0demo00000"] == (
        "reads", "reads the channel UCkranradGmbH0demo00000: 3 posts, 1050 subscribers (its channel page)")
    verdict, detail = verdicts[""]
    assert verdict == "nothing" and detail == (
        f"reads nothing: {page} answered an HTML page: not a YouTube channel's feed; give it as "
        "https://www.youtube.com/feeds/videos.xml?channel_id=UC... (the channel id is on its page)")


# -- the writer and the diff on both databases -----------------------------------------------------------------
URL = "https://t.me/s/kranrad_news"
COMPETITORS = [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [{"kind": "social", "url": URL}]}]
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def post(number: int, days_ago: float, views: int = 100) -> ChannelPost:
    return ChannelPost("telegram", "kranrad_news", str(number), f"https://t.me/kranrad_news/{number}",
                       NOW - timedelta(days=days_ago), f"Post {number}\nmore text", views)


def night(engine, subscribers, posts, status="succeeded", twice=False):
    refs = sync_sources(engine, COMPETITORS)
    (source,) = refs
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.record_fetch(source.source_id, URL, 200, None, 10, 1000, None)
    for _ in range(2 if twice else 1):  # a channel read twice in a run (a retried job) stores nothing twice
        writer.add_social(source.source_id, source.competitor_id,
                          ChannelSnapshot("telegram", "kranrad_news", "Kranrad", subscribers, URL), posts)
        writer.flush()
    writer.close()
    record_source_outcomes(engine, run_id, refs)
    finish_run(engine, run_id, status)
    if status != "failed":
        diff_run(engine, run_id, Rules(subscribers_change_pct=Decimal(5), cadence_factor=Decimal(2)))
    return run_id


def test_posts_are_stored_once_and_new_ones_told(engine):
    night(engine, 1000, [post(1, 40), post(2, 30)], twice=True)
    run_id = night(engine, 1040, [post(1, 40, 150), post(2, 30), post(3, 1)])  # +4 %: below the threshold
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.SocialPost)) == 3
        assert session.scalar(select(func.count()).select_from(models.SocialPostObservation)) == 5
        assert session.scalar(select(models.SocialPost.views).where(models.SocialPost.post_id == "1")) == 150
    assert [(c.kind, c.title, c.url) for c in list_changes(engine, run_id=run_id)] == [
        ("post_new", "Post 3", "https://t.me/kranrad_news/3")]
    assert diff_run(engine, run_id) == 0


def test_the_audience_is_told_past_the_threshold_both_ways(engine):
    night(engine, 1000, [])
    up = night(engine, 1050, [])
    down = night(engine, 900, [])
    assert [(c.before, c.after, c.magnitude) for c in list_changes(engine, run_id=up)] == [
        ("1000", "1050", Decimal("5.00"))]
    assert [(c.before, c.after, c.magnitude, c.severity) for c in list_changes(engine, run_id=down)] == [
        ("1050", "900", Decimal("-14.29"), "medium")]


def test_a_post_first_read_by_a_failed_run_is_still_new_to_the_next_good_one(engine):
    night(engine, 1000, [post(1, 20)])
    night(engine, 1000, [post(1, 20), post(2, 2)], status="failed")
    run_id = night(engine, 1000, [post(1, 20), post(2, 2)])
    assert [c.title for c in list_changes(engine, run_id=run_id, kind="post_new")] == ["Post 2"]


def test_a_doubled_rhythm_is_told_once(engine):
    older = [post(n, 30 + n) for n in range(1, 3)]  # 2 posts 4 to 8 weeks ago
    night(engine, 1000, older)
    newer = [post(10 + n, n) for n in range(1, 5)]  # 4 posts in the last 4 weeks: twice the rhythm
    run_id = night(engine, 1000, older + newer)
    (change,) = list_changes(engine, run_id=run_id, kind="cadence_changed")
    assert (change.before, change.after, change.magnitude) == ("0.50", "1.00", Decimal("2.00"))
    again = night(engine, 1000, older + newer)
    assert list_changes(engine, run_id=again, kind="cadence_changed") == []


@pytest.mark.parametrize("audience_first", [False, True], ids=["feed-then-page", "page-then-feed"])
@pytest.mark.parametrize("flush_between", [False, True], ids=["one-flush", "two-flushes"])
def test_two_reads_of_a_channel_in_a_run_fill_one_snapshot(engine, audience_first, flush_between):
    """A YouTube feed (posts, no audience) and its channel page (audience, no posts), in either order, in one flush
    or two: one snapshot with both, neither a None nor an empty list overwriting what the other read."""
    refs = sync_sources(engine, COMPETITORS)
    (source,) = refs
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    feed = (ChannelSnapshot("telegram", "kranrad_news", "Kranrad", None, URL), [post(1, 3), post(2, 9)])
    page = (ChannelSnapshot("telegram", "kranrad_news", None, 1234, URL), [])
    for snapshot, posts in ((page, feed) if audience_first else (feed, page)):
        writer.add_social(source.source_id, source.competitor_id, snapshot, posts)
        if flush_between:
            writer.flush()
    writer.close()
    with session_scope(engine) as session:
        (snapshot,) = session.scalars(select(models.ChannelSnapshot).where(models.ChannelSnapshot.run_id == run_id))
        assert (snapshot.subscribers, snapshot.posts_shown) == (1234, 2)
        assert session.scalar(select(models.SocialChannel.title)) == "Kranrad"


def unreadable_channel_pages(tmp_path) -> Path:
    """The social fixture site with Kranrad's YouTube feed as in the demo, its channel page a consent wall on night1
    and an HTTP 500 on night2 (no Telegram channel: a 404, a failed source of its own)."""
    root = tmp_path / "fixtures"
    for night in ("night1", "night2"):
        folder = root / "social" / night
        folder.mkdir(parents=True)
        (folder / "feeds").mkdir()
        (folder / "feeds" / "videos.xml").write_bytes(
            (ROOT / "fixtures" / "social" / night / "feeds" / "videos.xml").read_bytes())
        (folder / "s").mkdir()  # the config's Telegram channel answers 404: a failed source of its own
    page = root / "social" / "night1" / "channel" / "UCkranradGmbH0demo00000"
    page.mkdir(parents=True)
    (page / "index.html").write_bytes(
        (ROOT / "fixtures" / "social" / "cases" / "youtube_channel_consent.html").read_bytes())
    (root / "social" / "night2" / "_status.json").write_text(
        json.dumps({"/channel/UCkranradGmbH0demo00000": 500}), encoding="utf-8")
    return root


def test_a_channel_page_that_cannot_be_read_keeps_the_videos_and_leaves_the_audience_unknown(tmp_path):
    """Night1 the channel page is a consent wall, night2 it answers 500: each night the feed's videos are read, the
    YouTube audience stays NULL, the source succeeds and its report warns in one line."""
    root = unreadable_channel_pages(tmp_path)
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    results = []
    with FixtureSites(root=root, sites=["social"]) as sites:
        config = tmp_path / "competitors.yaml"
        config.write_text(yaml.safe_dump(social_config(sites), allow_unicode=True), encoding="utf-8")
        results.append(run_once(config, database_url, tmp_path / "outbox"))
        sites.night = "night2"
        results.append(run_once(config, database_url, tmp_path / "outbox"))
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            source = session.scalar(select(models.Source).where(models.Source.url.contains("videos.xml")))
            for result, warning in zip(results, ("answered YouTube's consent page", "failed")):
                crawl = session.scalar(select(models.SourceCrawl).where(
                    models.SourceCrawl.source_id == source.id, models.SourceCrawl.run_id == result.run_id))
                assert crawl.status == "succeeded", crawl.reason
                snapshot = session.scalar(select(models.ChannelSnapshot).where(
                    models.ChannelSnapshot.source_id == source.id, models.ChannelSnapshot.run_id == result.run_id))
                assert snapshot.subscribers is None and snapshot.posts_shown == (3 if result is results[0] else 4)
                assert count(engine, models.SocialPostObservation, run_id=result.run_id) == snapshot.posts_shown
                stats = session.get(models.CrawlRun, result.run_id).stats["sources"][str(source.id)]
                said = [w for w in stats["warnings"] if "/channel/UCkranradGmbH0demo00000" in w]
                assert len(said) == 1 and warning in said[0] and "\n" not in said[0], stats["warnings"]
        assert [c.kind for c in list_changes(engine, run_id=results[1].run_id)
                if c.competitor_slug == "kranrad"] == ["post_new"]  # no audience told from an unknown one
    finally:
        engine.dispose()


def test_check_says_why_a_channel_page_is_not_read(tmp_path):
    root = unreadable_channel_pages(tmp_path)
    with FixtureSites(root=root, sites=["social"]) as sites:
        config = tmp_path / "competitors.yaml"
        config.write_text(yaml.safe_dump(social_config(sites), allow_unicode=True), encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "schedules", "check", "--config", str(config), "--json"],
                                capture_output=True, text=True, cwd=tmp_path, timeout=300,
                                stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    verdicts = {row["url"].split("/", 3)[-1]: (row["verdict"], row["detail"]) for row in json.loads(result.stdout)}
    verdict, detail = verdicts["feeds/videos.xml?channel_id=UCkranradGmbH0demo00000"]
    assert verdict == "reads" and detail.startswith("reads the channel UCkranradGmbH0demo00000: 3 posts; "), detail
    assert "answered YouTube's consent page instead of the channel" in detail and "subscribers (" not in detail
