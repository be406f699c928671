"""A VK community crawled through the VK API (kind: social, network vk): the fixture `/method/wall.get` of
fixtures/social over two nights, each a `dossier run` of its own with a canary DOSSIER_VK_TOKEN in its environment
only. The token goes to the API as `Authorization: Bearer`, and nowhere else: not in the database, the output, the
log. Without the variable the VK source fails alone, in one line naming it; the config refuses a wrong address."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, inspect, select, text

from crawler.sources import SOURCE_KINDS, MissingSecret, SourcePlan, Unreadable
from dossier.config import Source
from extractors import Document
from fixtures.server import FixtureSites
from storage import models
from storage.db import create_db_engine, session_scope
from storage.queries import list_changes

ROOT = Path(__file__).resolve().parent.parent
CANARY = f"vkCanary{secrets.token_hex(8)}"  # random per session: found, it can only come from these runs
WALL = "/method/wall.get?domain=gruzovoz&extended=1&fields=members_count&count=20&v=5.199"
VK = "VK ГрузоВоз — грузоперевозки"  # how changes call the community: its network and title


def vk_config(sites: FixtureSites) -> dict:
    base = sites.base_url("social")
    return {"defaults": {"render": "static", "download_delay": 0}, "competitors": [
        {"slug": "gruzovoz", "name": "ГрузоВоз", "sources": [
            {"kind": "social", "network": "vk", "url": f"{base}{WALL}", "allow_private": True},
            {"kind": "social", "network": "telegram", "url": f"{base}/s/gruzovoz_news/", "allow_private": True}]},
    ]}


def dossier(folder: Path, config: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """One `dossier run` in a process of its own, logging (-v) to stderr and to dossier.log."""
    return subprocess.run([sys.executable, "-m", "schedules.cli", "-v", "--log-file", str(folder / "dossier.log"),
                           "run", "--config", str(config), "--outbox", str(folder / "outbox"), "--json"],
                          env=env, cwd=folder, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)


def environment(database_url: str, token: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DOSSIER_VK_TOKEN"}
    env.update(PYTHONPATH=str(ROOT), DOSSIER_DATABASE_URL=database_url)
    if token is not None:
        env["DOSSIER_VK_TOKEN"] = token
    return env


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vk")
    database_url = f"sqlite:///{folder / 'dossier.db'}"
    env = environment(database_url, CANARY)
    with FixtureSites(sites=["social"]) as sites:
        config = folder / "competitors.yaml"
        config.write_text(yaml.safe_dump(vk_config(sites), allow_unicode=True), encoding="utf-8")
        first = dossier(folder, config, env)
        sites.night = "night2"
        second = dossier(folder, config, env)
        seen = list(sites.requests)
    engine = create_db_engine(database_url)
    yield {"engine": engine, "runs": (first, second), "seen": seen, "folder": folder}
    engine.dispose()


def run_id(result: subprocess.CompletedProcess) -> int:
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)["run_id"]


def test_night1_stores_the_community_its_members_and_posts(two_nights):
    engine = two_nights["engine"]
    first = run_id(two_nights["runs"][0])
    with session_scope(engine) as session:
        channel = session.scalar(select(models.SocialChannel).where(models.SocialChannel.network == "vk"))
        members = session.scalar(select(models.ChannelSnapshot.subscribers).where(
            models.ChannelSnapshot.social_channel_id == channel.id, models.ChannelSnapshot.run_id == first))
        posts = session.scalars(select(models.SocialPost.post_id).where(
            models.SocialPost.social_channel_id == channel.id, models.SocialPost.first_seen_run_id == first)).all()
        liked = session.scalar(select(models.SocialPost).where(models.SocialPost.social_channel_id == channel.id,
                                                               models.SocialPost.post_id == "88"))
    assert (channel.channel, channel.title) == ("gruzovoz", "ГрузоВоз — грузоперевозки")
    assert members == 5412
    assert sorted(posts) == ["87", "88"]  # item 5 is another wall's (owner_id -190000002): not the community's
    assert liked.url == "https://vk.com/wall-190000001_88" and liked.likes is not None and liked.views is not None
    assert list_changes(engine, run_id=first) == []  # the first night is the baseline


def test_night2_tells_the_new_post_and_the_members(two_nights):
    engine = two_nights["engine"]
    second = run_id(two_nights["runs"][1])
    told = sorted((c.kind, c.title, c.before, c.after) for c in list_changes(engine, run_id=second)
                  if c.title.startswith(VK) or c.url and "vk.com" in c.url)
    assert told == [
        ("post_new", "Постоянным клиентам — скидка 10 % до конца декабря.", None,
         "Постоянным клиентам — скидка 10 % до конца декабря."),
        ("subscribers_changed", VK, "5412", "5890"),
    ]


def test_the_api_was_asked_with_the_token_as_a_bearer_header_and_nothing_else_with_it(two_nights):
    walls = [seen for seen in two_nights["seen"] if seen.path.startswith("/method/wall.get")]
    assert len(walls) == 2  # one call a night
    assert all(seen.path == WALL for seen in walls)  # the token is not in the address
    assert all(seen.headers.get("Authorization") == f"Bearer {CANARY}" for seen in walls)
    others = [seen for seen in two_nights["seen"] if not seen.path.startswith("/method/wall.get")]
    assert others and all(CANARY not in json.dumps(seen.headers) for seen in others)  # robots.txt, Telegram


def test_the_token_is_in_no_table(two_nights):
    """Every text of every row of every table: fetch rows, run stats, source reports, changes, events."""
    engine = two_nights["engine"]
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        dump = {table: "\n".join(repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{table}"')))
                for table in tables}
    assert {"crawl_run", "fetch", "source_crawl", "social_channel"} <= set(tables)
    assert "wall.get" in dump["fetch"]  # the dump holds what the crawl stored
    assert [table for table, rows in dump.items() if CANARY in rows] == []


def test_the_token_is_in_no_output_or_log(two_nights):
    log = (two_nights["folder"] / "dossier.log").read_text(encoding="utf-8")
    assert "run 2 succeeded" in log  # both runs logged here
    for result in two_nights["runs"]:
        assert CANARY not in result.stdout and CANARY not in result.stderr
    assert CANARY not in log


def test_without_the_token_the_vk_source_fails_alone_in_one_line(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    with FixtureSites(sites=["social"]) as sites:
        config = tmp_path / "competitors.yaml"
        config.write_text(yaml.safe_dump(vk_config(sites), allow_unicode=True), encoding="utf-8")
        result = dossier(tmp_path, config, environment(database_url, None))
        seen = list(sites.requests)
    assert result.returncode == 1, result.stderr[-3000:]
    assert json.loads(result.stdout)["status"] == "partial"
    assert not [s for s in seen if s.path.startswith("/method/")]  # nothing asked of the API
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            crawls = {source.url.split("/", 3)[-1]: crawl for crawl, source in session.execute(
                select(models.SourceCrawl, models.Source).join(models.Source,
                                                               models.Source.id == models.SourceCrawl.source_id))}
            networks = set(session.scalars(select(models.SocialChannel.network)))
            fetches = session.scalar(select(func.count()).select_from(models.Fetch).where(
                models.Fetch.url.contains("wall.get")))
        vk = crawls[WALL.lstrip("/")]
        assert vk.status == "failed" and "\n" not in vk.reason
        assert vk.reason.startswith("start URL failed: DOSSIER_VK_TOKEN is not set: ")
        assert "service key" in vk.reason
        assert crawls["s/gruzovoz_news/"].status == "succeeded"
        assert networks == {"telegram"}  # the Telegram channel stored, nothing of the VK community
        assert fetches == 1  # the start URL's failed fetch row, saying why
    finally:
        engine.dispose()


# -- the kind's headers and lines, without a crawl ------------------------------------------------------------------
def plan(network: str, url: str = f"https://api.vk.com{WALL}") -> SourcePlan:
    return SourcePlan(source_id=1, competitor_id=1, competitor_slug="gruzovoz", kind="social", url=url,
                      max_pages=1, max_depth=0, network=network)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_vk_plan_without_a_token_is_a_missing_secret_naming_the_variable(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("DOSSIER_VK_TOKEN", raising=False)
    else:
        monkeypatch.setenv("DOSSIER_VK_TOKEN", value)
    with pytest.raises(MissingSecret, match="^DOSSIER_VK_TOKEN is not set: .*service key"):
        SOURCE_KINDS["social"].request_headers(plan("vk"))


def test_only_vk_plans_carry_the_token(monkeypatch):
    monkeypatch.setenv("DOSSIER_VK_TOKEN", " abc123def456 ")
    assert SOURCE_KINDS["social"].request_headers(plan("vk")) == {"Authorization": "Bearer abc123def456"}
    assert SOURCE_KINDS["social"].request_headers(plan("telegram", "https://t.me/s/gruzovoz_news")) == {}
    assert all(kind.request_headers(plan("vk")) == {} for name, kind in SOURCE_KINDS.items() if name != "social")


@pytest.mark.parametrize("code, says", [
    (5, "the VK API refused the access token: "), (15, "the VK API refused: "), (27, "refused the access token")])
def test_an_api_error_is_one_line_without_the_token_even_when_echoed(monkeypatch, code, says):
    monkeypatch.setenv("DOSSIER_VK_TOKEN", CANARY)
    body = json.dumps({"error": {"error_code": code, "error_msg": f"bad access_token {CANARY}"}}).encode()
    url = f"https://api.vk.com{WALL}"
    with pytest.raises(Unreadable) as raised:
        list(SOURCE_KINDS["social"].extract(plan("vk"), Document.from_body(body, url), {}))
    line = str(raised.value)
    assert says in line and "\n" not in line and CANARY not in line
    assert ("set DOSSIER_VK_TOKEN to a valid service token" in line) == (code != 15)


# -- the config ------------------------------------------------------------------------------------------------------
API = "https://api.vk.com/method/wall.get"
VK_ERRORS = [  # (url, the one line's start)
    ("https://vk.com/gruzovoz", "url: a VK community is read through the VK API, as https://api.vk.com/method/"
                                "wall.get?domain=NAME&extended=1"),
    (f"{API}?domain=gruzovoz&v=5.199", "url: a VK community is read through the VK API"),  # no extended=1
    (f"{API}?domain=gruzovoz&extended=0&v=5.199", "url: a VK community is read through the VK API"),
    (f"{API}?extended=1&v=5.199", "url: a VK community is read through the VK API"),  # which community?
    (f"{API}?domain=gruzovoz&extended=1", "url: a VK community is read through the VK API"),  # no version
    ("https://api.vk.com/method/groups.getById?group_id=1&extended=1&v=5.199",
     "url: a VK community is read through the VK API"),
    (f"{API}?domain=gruzovoz&extended=1&v=5.199&access_token=SECRET123", "url: the VK token never goes in the url"),
]


@pytest.mark.parametrize("url, message", VK_ERRORS)
def test_a_wrong_vk_address_is_one_line_naming_the_url(url, message):
    with pytest.raises(ValueError) as raised:
        Source(kind="social", url=url)
    line = str(raised.value).splitlines()[1].replace("Value error, ", "").strip()
    assert line.startswith(message), line


def test_a_vk_address_in_a_config_file_is_refused_without_the_token_echoed(tmp_path):
    config = tmp_path / "competitors.yaml"
    config.write_text(yaml.safe_dump({"competitors": [{"slug": "g", "name": "G", "sources": [
        {"kind": "social", "url": f"{API}?domain=g&extended=1&v=5.199&access_token=SECRET123"}]}]}),
        encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "schedules.cli", "run", "--config", str(config)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120, stdin=subprocess.DEVNULL,
                            env=environment(f"sqlite:///{tmp_path / 'dossier.db'}", None))
    assert result.returncode == 2 and "url: the VK token never goes in the url" in result.stderr
    assert "SECRET123" not in result.stdout + result.stderr


@pytest.mark.parametrize("source, network", [
    ({"url": f"{API}?domain=gruzovoz&extended=1&fields=members_count&count=20&v=5.199"}, "vk"),
    ({"url": f"{API}?owner_id=-190000001&extended=1&v=5.199"}, "vk"),
    ({"url": f"http://127.0.0.1:8000{WALL}", "network": "vk", "allow_private": True}, "vk"),
])
def test_a_vk_address_through_the_api_is_a_vk_source(source, network):
    assert Source(kind="social", **source).network == network


# -- dossier check ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("token", [CANARY, None], ids=["token", "no-token"])  # ids: the canary differs per process
def test_check_reads_the_community_with_the_token_and_names_the_variable_without(tmp_path, token):
    with FixtureSites(sites=["social"]) as sites:
        config = tmp_path / "competitors.yaml"
        config.write_text(yaml.safe_dump(vk_config(sites), allow_unicode=True), encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "schedules", "check", "--config", str(config), "--json"],
                                capture_output=True, text=True, cwd=tmp_path, timeout=300, stdin=subprocess.DEVNULL,
                                env=environment(f"sqlite:///{tmp_path / 'dossier.db'}", token))
        walls = [seen for seen in sites.requests if seen.path.startswith("/method/")]
    verdicts = {row["url"].split("/", 3)[-1]: (row["verdict"], row["detail"]) for row in json.loads(result.stdout)}
    assert verdicts["s/gruzovoz_news/"][0] == "reads"
    verdict, detail = verdicts[WALL.lstrip("/")]
    assert CANARY not in result.stdout + result.stderr
    if token:
        assert result.returncode == 0, result.stderr
        assert (verdict, detail) == ("reads", "reads the channel gruzovoz: 2 posts, 5412 subscribers")
        assert [seen.headers.get("Authorization") for seen in walls] == [f"Bearer {CANARY}"]
    else:
        assert result.returncode == 1 and walls == []  # nothing asked of the API without a token
        assert verdict != "reads" and "DOSSIER_VK_TOKEN is not set" in detail, detail
