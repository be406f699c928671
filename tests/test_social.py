"""The social channel readers (extractors/social_channels.py), table-driven over fixture files in each format (a
Telegram channel's preview, a YouTube channel's Atom feed and its channel page, the VK API's wall.get answer) with
the expected reading beside each in fixtures/social/expected/, counts as networks print them, and hostile input:
whatever the bytes, a reader returns a ChannelPage (a channel, or one line of error), never raises."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from dossier.config import Source
from extractors.social_channels import (
    READERS, ChannelPage, network_of, parse_count, read_channel, telegram_preview, vk_wall, youtube_channel,
    youtube_channel_address, youtube_feed,
)

SOCIAL = Path(__file__).resolve().parent.parent / "fixtures" / "social"
EXPECTED = SOCIAL / "expected"
# (case name, network, input file under fixtures/social): the expected reading is expected/NAME.json
CASES = [
    *((f"{night}_telegram", "telegram", f"{night}/s/gruzovoz_news/index.html") for night in ("night1", "night2")),
    *((f"{night}_youtube", "youtube", f"{night}/feeds/videos.xml") for night in ("night1", "night2")),
    *((f"{night}_vk", "vk", f"{night}/method/wall.get.json") for night in ("night1", "night2")),
    ("telegram_unknown_channel", "telegram", "cases/telegram_unknown_channel.html"),
    ("telegram_forwarded_and_counts", "telegram", "cases/telegram_forwarded_and_counts.html"),
    ("telegram_given_a_feed", "telegram", "night1/feeds/videos.xml"),
    ("youtube_not_a_feed", "youtube", "cases/youtube_not_a_feed.html"),
    ("youtube_rss_not_atom", "youtube", "cases/youtube_rss_not_atom.xml"),
    ("youtube_entity_bomb", "youtube", "cases/youtube_entity_bomb.xml"),
    ("youtube_given_a_telegram_page", "youtube", "night1/s/gruzovoz_news/index.html"),
    ("vk_error_auth", "vk", "cases/vk_error_auth.json"),
    ("vk_error_closed", "vk", "cases/vk_error_closed.json"),
    ("vk_without_extended", "vk", "cases/vk_without_extended.json"),
    ("vk_given_a_page", "vk", "night1/index.html"),
    *((f"{night}_youtube_channel", "youtube_channel", f"{night}/channel/UCkranradGmbH0demo00000/index.html")
      for night in ("night1", "night2")),
    ("youtube_channel_old_header", "youtube_channel", "cases/youtube_channel_old_header.html"),
    ("youtube_channel_new_header_ru", "youtube_channel", "cases/youtube_channel_new_header_ru.html"),
    ("youtube_channel_hidden_count", "youtube_channel", "cases/youtube_channel_hidden_count.html"),
    ("youtube_channel_consent", "youtube_channel", "cases/youtube_channel_consent.html"),
    ("youtube_channel_truncated", "youtube_channel", "cases/youtube_channel_truncated.html"),
    ("youtube_channel_given_a_feed", "youtube_channel", "night1/feeds/videos.xml"),
    ("youtube_channel_given_a_telegram_page", "youtube_channel", "night1/s/gruzovoz_news/index.html"),
]
# the readers of the cases: the networks' own, and a YouTube channel's page (read beside its feed)
CASE_READERS = {**READERS, "youtube_channel": youtube_channel}


def read_case(network: str, path: str) -> ChannelPage:
    return CASE_READERS[network]((SOCIAL / path).read_bytes(), f"https://fixtures.example/{path}")


def as_json(page: ChannelPage) -> dict:
    def plain(record):
        data = asdict(record)
        if data.get("published") is not None:
            data["published"] = data["published"].isoformat()
        return data

    return {"error": page.error, "snapshot": plain(page.snapshot) if page.snapshot else None,
            "posts": [plain(p) for p in page.posts]}


@pytest.mark.parametrize("name, network, path", CASES, ids=[c[0] for c in CASES])
def test_each_fixture_reads_as_expected(name, network, path):
    expected = json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))
    assert as_json(read_case(network, path)) == expected


def test_every_expected_file_has_its_case():
    assert {p.stem for p in EXPECTED.glob("*.json")} == {c[0] for c in CASES}


def test_night2_has_the_new_post_the_new_video_and_a_grown_audience():
    """What the demo tells between the nights, read off the fixtures themselves."""
    for network, path, grows in (("telegram", "s/gruzovoz_news/index.html", True),
                                 ("youtube", "feeds/videos.xml", False), ("vk", "method/wall.get.json", True)):
        one, two = (read_case(network, f"{night}/{path}") for night in ("night1", "night2"))
        new = {p.post_id for p in two.posts} - {p.post_id for p in one.posts}
        assert len(new) == 1 and not {p.post_id for p in one.posts} - {p.post_id for p in two.posts}
        if grows:
            assert two.snapshot.subscribers > one.snapshot.subscribers
    # YouTube's audience is on its channel page, for the same channel as its feed
    feed = read_case("youtube", "night1/feeds/videos.xml")
    one, two = (read_case("youtube_channel", f"{night}/channel/UCkranradGmbH0demo00000/index.html")
                for night in ("night1", "night2"))
    assert one.snapshot.channel == two.snapshot.channel == feed.snapshot.channel
    assert two.snapshot.subscribers > one.snapshot.subscribers


def test_a_channel_page_of_another_channel_than_asked_is_an_error():
    body = (SOCIAL / "cases/youtube_channel_old_header.html").read_bytes()
    assert youtube_channel(body, "https://www.youtube.com/channel/UColdLayoutChannel00001").snapshot.subscribers \
        == 1234
    page = youtube_channel(body, "https://www.youtube.com/channel/UCkranradGmbH0demo00000/")
    assert page.snapshot is None and page.error == (
        "https://www.youtube.com/channel/UCkranradGmbH0demo00000/ shows the channel UColdLayoutChannel00001, not "
        "UCkranradGmbH0demo00000: its subscriber count is not the feed's channel's")


def test_the_channel_page_is_beside_the_feed_on_its_host():
    assert youtube_channel_address("https://www.youtube.com/feeds/videos.xml?channel_id=UCx1", "UCx1") == \
        "https://www.youtube.com/channel/UCx1"
    assert youtube_channel_address("http://127.0.0.1:8123/feeds/videos.xml?channel_id=UCx1", "UCx1") == \
        "http://127.0.0.1:8123/channel/UCx1"


def test_an_error_is_one_line_naming_the_url_and_the_fix():
    for name, network, path in CASES:
        page = read_case(network, path)
        if page.error:
            assert "\n" not in page.error and len(page.error) < 400, name
            assert page.snapshot is None and page.posts == [], name
            assert path in page.error or "VK API refused" in page.error, name


COUNTS = [  # (as printed, count)
    ("0", 0), ("987", 987), ("1 234", 1234), ("1\u00a0234", 1234), ("1,234", 1234), ("1.234", 1234),
    ("12'345", 12345), ("1.2K", 1200), ("1.2k", 1200), ("12K", 12000), ("3.4M", 3_400_000),
    ("12,3 тыс.", 12300), ("12 тыс", 12000), ("1,5 Mio.", 1_500_000), ("2 Tsd.", 2000), ("1.1B", 1_100_000_000),
    ("2,4 млн", 2_400_000), ("1.2K views", 1200), ("12 345 subscribers", 12345), ("5.8K subscribers", 5800),
    ("", None), ("views", None), ("K", None), (None, None), ("9" * 20, None),
]


@pytest.mark.parametrize("printed, expected", COUNTS)
def test_counts_as_networks_print_them(printed, expected):
    assert parse_count(printed) == expected


NETWORK_URLS = [
    ("https://t.me/s/gruzovoz_news", "telegram"), ("https://telegram.me/s/x_news", "telegram"),
    ("https://www.youtube.com/feeds/videos.xml?channel_id=UC1", "youtube"), ("https://m.youtube.com/x", "youtube"),
    ("https://vk.com/gruzovoz", "vk"), ("https://api.vk.com/method/wall.get?domain=x", "vk"),
    ("https://kranrad.example/s/news", None), ("not a url", None),
]


@pytest.mark.parametrize("url, network", NETWORK_URLS)
def test_the_network_by_host(url, network):
    assert network_of(url) == network


CONFIG_ERRORS = [  # (source, the one line's start)
    ({"kind": "social", "url": "https://t.me/gruzovoz_news"}, "url: a Telegram channel is read from its public "
                                                               "preview, https://t.me/s/NAME"),
    ({"kind": "social", "url": "https://www.youtube.com/@kranrad"}, "url: a YouTube channel is read from its feed"),
    ({"kind": "social", "url": "https://social.example/s/x/"}, "network: the url's host is not t.me, youtube.com or "
                                                                "api.vk.com"),
    ({"kind": "social", "url": "https://t.me/s/gruzovoz_news", "network": "youtube"},
     "network: the url is a telegram address, not youtube"),
    ({"kind": "social", "url": "https://vk.com/gruzovoz"}, "url: a VK community is read through the VK API, as "
                                                           "https://api.vk.com/method/wall.get?"),
    ({"kind": "social", "url": "https://t.me/s/x_news", "network": "mastodon"}, "network\n"),
    ({"kind": "site", "url": "https://kranrad.example/", "network": "telegram"}, "network: only for kind: social"),
]


@pytest.mark.parametrize("source, message", CONFIG_ERRORS)
def test_a_wrong_social_source_is_one_line_naming_the_field(source, message):
    with pytest.raises(ValueError) as raised:
        Source(**source)
    text = str(raised.value)
    assert message in text.replace("Value error, ", ""), text


def test_a_social_source_on_its_networks_host_knows_its_network():
    assert Source(kind="social", url="https://t.me/s/gruzovoz_news").network == "telegram"
    assert Source(kind="social", url="https://www.youtube.com/feeds/videos.xml?channel_id=UCx").network == "youtube"
    assert Source(kind="social", url="http://127.0.0.1:8000/s/x/", network="telegram",
                  allow_private=True).network == "telegram"


# -- hostile input -----------------------------------------------------------------------------------------------
def _checked(page) -> None:
    assert isinstance(page, ChannelPage)
    assert (page.error is None) == (page.snapshot is not None)
    assert page.error is None or "\n" not in page.error
    assert all(p.views is None or 0 <= p.views <= 10 ** 12 for p in page.posts)
    assert len({p.post_id for p in page.posts}) == len(page.posts)


@settings(max_examples=150, deadline=None)
@given(body=st.one_of(st.binary(max_size=2000), st.text(max_size=2000)), network=st.sampled_from(sorted(READERS)))
def test_any_bytes_give_a_page_or_one_line_never_an_exception(body, network):
    _checked(read_channel(network, body, "https://t.me/s/some_channel"))


FIXTURE_BODIES = {network: (SOCIAL / path).read_bytes() for _, network, path in CASES[:6:2]}
FIXTURE_BODIES["youtube_channel"] = (SOCIAL / "night1/channel/UCkranradGmbH0demo00000/index.html").read_bytes()


@settings(max_examples=150, deadline=None)
@given(network=st.sampled_from(sorted(FIXTURE_BODIES)), cut=st.integers(0, 10_000),
       junk=st.binary(max_size=40), at=st.integers(0, 10_000))
def test_a_cut_or_spliced_fixture_never_raises(network, cut, junk, at):
    body = FIXTURE_BODIES[network][:cut]
    body = body[:at] + junk + body[at:]
    _checked(CASE_READERS[network](body, "https://t.me/s/gruzovoz_news"))


@settings(max_examples=150, deadline=None)
@given(body=st.one_of(st.binary(max_size=2000), st.text(max_size=2000)))
def test_any_bytes_give_a_youtube_channel_page_or_one_line(body):
    _checked(youtube_channel(body, "https://www.youtube.com/channel/UCx"))
    _checked(youtube_channel(b"<script>var ytInitialData = " + (body.encode() if isinstance(body, str) else body),
                             "https://www.youtube.com/channel/UCx"))


_YT_KEYS = ["header", "c4TabbedHeaderRenderer", "subscriberCountText", "simpleText", "runs", "text",
            "pageHeaderRenderer", "content", "pageHeaderViewModel", "metadata", "contentMetadataViewModel",
            "metadataRows", "metadataParts", "channelMetadataRenderer", "externalId", "title"]


@settings(max_examples=100, deadline=None)
@given(data=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=24)
                         | st.sampled_from(["UCkranradGmbH0demo00000", "1.2K subscribers", "12,3 тыс. подписчиков"]),
                         lambda children: st.lists(children, max_size=4)
                         | st.dictionaries(st.sampled_from(_YT_KEYS), children, max_size=5), max_leaves=30),
       nesting=st.integers(0, 3000))
def test_any_initial_data_gives_a_channel_or_one_line(data, nesting):
    for blob in (json.dumps(data), "[" * nesting + "]" * nesting, '{"header":' + "[" * nesting):
        _checked(youtube_channel(f"<script>var ytInitialData = {blob};</script>", "https://www.youtube.com/@x"))


@settings(max_examples=100, deadline=None)
@given(data=st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                         lambda children: st.lists(children, max_size=4)
                         | st.dictionaries(st.sampled_from(["response", "items", "groups", "id", "owner_id", "date",
                                                            "text", "likes", "count", "views", "members_count",
                                                            "screen_name", "name", "error", "error_msg"]),
                                           children, max_size=5), max_leaves=30))
def test_any_json_gives_a_vk_page_or_one_line(data):
    _checked(vk_wall(json.dumps(data), "https://api.vk.example/method/wall.get"))


@settings(max_examples=100, deadline=None)
@given(posts=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=30), st.text(max_size=12)), max_size=6),
       counter=st.text(max_size=12))
def test_telegram_markup_with_hostile_values_never_raises(posts, counter):
    from html import escape

    messages = "".join(
        f'<div class="tgme_widget_message" data-post="{escape(owner)}/{escape(number)}">'
        f'<div class="tgme_widget_message_text">{escape(text)}</div>'
        f'<span class="tgme_widget_message_views">{escape(text[:8])}</span>'
        f'<a class="tgme_widget_message_date" href="{escape(text)}">'
        f'<time datetime="{escape(number)}">x</time></a></div>'
        for owner, text, number in posts)
    body = (f'<html><body><div class="tgme_channel_info"><div class="tgme_channel_info_counter">'
            f'<span class="counter_value">{escape(counter)}</span><span class="counter_type">subscribers</span>'
            f'</div></div>{messages}</body></html>')
    _checked(telegram_preview(body, "https://t.me/s/some_channel"))
    _checked(youtube_feed(body, "https://www.youtube.com/feeds/videos.xml?channel_id=UC1"))
