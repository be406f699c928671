"""Mentions (extractors.mentions): RSS 2.0 and Atom 1.0 feeds parsed from bytes, table-driven over the fixture feeds
(fixtures/newsfeed), hostile bytes, and the filter that keeps the items naming a competitor or linking to it; the
config of kind: mentions."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.config import parse_config
from dossier.errors import ConfigError
from extractors import FeedItem, mentions, parse_feed

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "newsfeed"
BASE = "http://127.0.0.1:8400"
KRANRAD_SITE = "http://127.0.0.1:8401"


def served(night: str, path: str) -> bytes:
    """A fixture file as the server answers it: {base} and {site:kranrad} filled in."""
    body = (FEEDS / night / path).read_bytes()
    return body.replace(b"{base}", BASE.encode()).replace(b"{site:kranrad}", KRANRAD_SITE.encode())


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# (night, file, the items' keys in feed order, the first item's title, published and snippet)
CASES = [
    ("night1", "rss.xml", [f"{BASE}/news/2026/11/{slug}.html" for slug in (
        "gruzovoz-kazan-sklad", "kranradlager-schmieren", "stahlpreise-oktober", "kranrad-hafen-duisburg")],
     "ГрузоВоз открывает распределительный склад в Казани", utc(2026, 11, 18, 6, 30),
     "Сервис грузоперевозок ГрузоВоз открыл склад площадью 6 000 м² на трассе М-7."),
    ("night2", "rss.xml", [f"{BASE}/news/2026/11/logimat-2027-aussteller.html",
                           f"{KRANRAD_SITE}/aktuelles/neues-werk-dortmund/"]
     + [f"{BASE}/news/2026/11/{slug}.html" for slug in (
         "gruzovoz-telegram-tracking", "kranrad-service-48h", "gruzovoz-kazan-sklad", "kranradlager-schmieren",
         "stahlpreise-oktober", "kranrad-hafen-duisburg")],
     "Messe LogiMAT 2027: Ausstellerliste steht fest", utc(2026, 11, 27, 7, 0),
     "Mehr als 1 600 Aussteller haben sich für die Messe in Stuttgart angemeldet."),
    ("night1", "forum/atom.xml", [f"{BASE}/forum/t/{topic}" for topic in (
        "1204-otzyv-gruzovoz", "1198-tarif-mebel", "1187-kranrad-wheels")],
     "Отзыв о ГрузоВоз: доставили за два дня", utc(2026, 11, 17, 16, 4),
     "Заказывал перевозку дивана Москва — Тверь, всё пришло целым."),
    ("night2", "forum/atom.xml", [f"{BASE}/forum/t/{topic}" for topic in (
        "1233-kranrad-gruzovoz", "1229-gazovye-gruzovozy", "1221-gruzovoz-tarif-gorod", "1219-moskva-tver",
        "1204-otzyv-gruzovoz", "1198-tarif-mebel", "1187-kranrad-wheels")],
     "Сравнение: колёса Kranrad и доставка через ГрузоВоз", utc(2026, 11, 26, 18, 10),
     "Заказали крановые колёса из Германии, довезли до Казани за неделю."),
]


@pytest.mark.parametrize("night, path, keys, title, published, snippet", CASES,
                         ids=[f"{c[0]}/{c[1]}" for c in CASES])
def test_fixture_feeds_are_read_item_by_item(night, path, keys, title, published, snippet):
    feed = parse_feed(served(night, path), f"{BASE}/{path}")
    assert feed.error is None
    assert [item.key for item in feed.items] == keys
    first = feed.items[0]
    assert (first.title, first.published, first.snippet) == (title, published, snippet)
    assert all(item.published is None or item.published.tzinfo is timezone.utc for item in feed.items)


def test_tracking_parameters_are_not_part_of_an_items_key_and_atom_links_are_made_absolute():
    rss = parse_feed(served("night1", "rss.xml"), f"{BASE}/rss.xml")
    assert rss.items[0].url.endswith("?utm_source=rss&utm_medium=feed")
    assert "utm_" not in rss.items[0].key
    atom = parse_feed(served("night1", "forum/atom.xml"), f"{BASE}/forum/atom.xml")
    assert atom.items[2].links == (f"{BASE}/forum/t/1187-kranrad-wheels",)
    assert atom.items[2].snippet.startswith("We replace four wheels a year.")  # Atom xhtml content, no summary


def test_an_item_without_a_link_is_keyed_by_its_guid_and_one_without_either_is_skipped():
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://n.example/</link>'
            b'<description>d</description><item><title>Kranrad A</title><guid isPermaLink="false">g-1</guid></item>'
            b'<item><description>Kranrad B, no link, no guid</description></item></channel></rss>')
    assert [item.key for item in parse_feed(body, "https://n.example/rss").items] == ["g-1"]


def test_a_long_summary_becomes_a_bounded_plain_snippet():
    body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://n.example/</link>'
            '<description>d</description><item><title>x</title><link>https://n.example/x</link><description>'
            + "&lt;p&gt;Kranrad &amp;amp; " + "Laufrad " * 200 + "&lt;/p&gt;</description></item></channel></rss>")
    snippet = parse_feed(body.encode(), "https://n.example/rss").items[0].snippet
    assert snippet.startswith("Kranrad & Laufrad") and len(snippet) <= 400 and "<" not in snippet


@pytest.mark.parametrize("body, said", [
    (b"<!doctype html><html><head><title>Branchenticker</title></head><body><h1>News</h1></body></html>",
     "is not an RSS 2.0 or Atom 1.0 feed (it answered an HTML page): give the feed's own address"),
    (b'{"items": []}', "is not an RSS 2.0 or Atom 1.0 feed (it answered JSON)"),
    (b"", "answered nothing"),
    (b"\x00\xff\xfe binary", "is not an RSS 2.0 or Atom 1.0 feed"),
    # cut short in the middle of an item: recognised as RSS, but what it holds may be half of it
    (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Kranrad',
     "is a feed that is not well-formed XML"),
], ids=["html", "json", "empty", "binary", "cut-short"])
def test_what_is_not_a_feed_is_one_line_naming_the_url_and_no_items(body, said):
    feed = parse_feed(body, "https://n.example/feed")
    assert feed.items == []
    assert said in feed.error and feed.error.startswith("https://n.example/feed ") and "\n" not in feed.error


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_items_or_one_line(body):
    feed = parse_feed(body, "https://n.example/feed")
    assert isinstance(feed.items, list) and all(isinstance(item, FeedItem) for item in feed.items)
    assert feed.error is None or (feed.items == [] and "\n" not in feed.error)


ITEM_TAGS = st.sampled_from(["title", "link", "description", "guid", "pubDate", "category", "author"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(ITEM_TAGS, st.text(max_size=60)), max_size=8))
def test_items_of_any_text_never_raise(fields):
    from xml.sax.saxutils import escape
    item = "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in fields)
    body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"<item>{item}</item></channel></rss>").encode("utf-8", "surrogatepass")
    feed = parse_feed(body, "https://n.example/feed")
    assert isinstance(feed.items, list)
    found = mentions(feed.items, ["Kranrad"], ["kranrad.example"])
    assert set(found) <= set(feed.items)


def item(title=None, snippet=None, links=()):
    return FeedItem(key=(links or ("k",))[0], url=(links or (None,))[0], title=title, snippet=snippet,
                    links=tuple(links))


@pytest.mark.parametrize("found, title, snippet, links", [
    (True, "Kranrad liefert Laufräder", None, ()),
    (True, None, "neue Halle von KRANRAD in Dortmund", ()),  # any case, in the snippet
    (True, "«Kranrad»: ein Rückblick", None, ()),  # punctuation around it
    (True, "Kranrad GmbH baut aus", None, ()),  # a name of several words
    (True, "Kranrad\u00a0GmbH baut aus", None, ()),  # with a no-break space
    (False, "Kranradlager richtig schmieren", None, ()),  # a longer word is not the name
    (False, "Laufrad-Kranradsatz", None, ()),
    (True, "Отзыв о ГрузоВоз: доставили за два дня", None, ()),  # Cyrillic, as spelled
    (True, "отзыв о грузовоз", None, ()),  # Cyrillic, another case
    (True, "Gruzovoz подняли тариф", None, ()),  # another spelling from `names`
    (False, "Грузовозы на газу", None, ()),  # a Cyrillic word containing it
    (False, "Грузовоза нет", None, ()),
    (True, "Press release", None, ("https://kranrad.example/presse/1",)),  # links to its domain
    (True, "Press release", None, ("https://news.example/a", "https://shop.kranrad.example/x")),  # a subdomain
    (False, "Press release", None, ("https://notkranrad.example/x",)),
    (True, "Fixture", None, ("http://127.0.0.1:8401/aktuelles/",)),  # a loopback site by its address and port
    (False, "Fixture", None, ("http://127.0.0.1:8400/aktuelles/",)),
    (False, "Stahlpreise im Oktober", "Warmbreitband kostete weniger", ("https://news.example/stahl",)),
])
def test_an_item_mentions_the_competitor_by_a_whole_name_or_its_domain(found, title, snippet, links):
    names = ["Kranrad GmbH", "Kranrad", "ГрузоВоз", "Gruzovoz"]
    domains = ["kranrad.example", "127.0.0.1:8401"]
    assert (mentions([item(title, snippet, links)], names, domains) != []) is found


@pytest.mark.parametrize("found, title", [
    (True, "Neu auf acme-werk.example: der Konfigurator"),  # names the domain in its text
    (True, "Neu auf WWW.ACME-WERK.EXAMPLE"),
    (False, "Neu auf acme-werk.example.org"),
    (False, "Neu auf my-acme-werk.example"),
])
def test_an_item_naming_a_domain_in_its_text_mentions_the_competitor(found, title):
    assert (mentions([item(title)], [], ["acme-werk.example"]) != []) is found


def test_fixture_night2_names_each_competitor_in_new_items():
    rss = parse_feed(served("night2", "rss.xml"), f"{BASE}/rss.xml").items
    atom = parse_feed(served("night2", "forum/atom.xml"), f"{BASE}/forum/atom.xml").items
    kranrad = [i.title for i in mentions(rss + atom, ["Kranrad GmbH", "Kranrad"], ["127.0.0.1:8401"])]
    gruzovoz = [i.title for i in mentions(rss + atom, ["ГрузоВоз", "Gruzovoz"], ["127.0.0.1:8402"])]
    assert kranrad == ["Neues Werk für Kranlaufräder in Dortmund eröffnet",
                       "KRANRAD erweitert Service: Laufrad-Tausch in 48 Stunden",
                       "Kranrad GmbH liefert Laufräder für Hafenkräne in Duisburg",
                       "Сравнение: колёса Kranrad и доставка через ГрузоВоз",
                       "Kranrad wheels on a gantry crane: worth the price?"]
    assert gruzovoz == ["ГрузоВоз запустил отслеживание грузов в Telegram",
                        "ГрузоВоз открывает распределительный склад в Казани",
                        "Сравнение: колёса Kranrad и доставка через ГрузоВоз",
                        "Gruzovoz подняли тариф «Город»?", "Отзыв о ГрузоВоз: доставили за два дня"]


def test_no_names_nor_domains_match_nothing():
    assert mentions([item("Kranrad")], [], []) == []


# -- the config of kind: mentions ------------------------------------------------------------------------------
def config(competitor_extra=None, **source):
    return {"competitors": [{"slug": "kranrad", "name": "Kranrad GmbH", **(competitor_extra or {}), "sources": [
        {"kind": "site", "url": "https://www.kranrad.example/"},
        {"kind": "catalog", "url": "https://shop.kranrad.example/produkte/"},
        {"kind": "reviews", "url": "https://reviews.example/kranrad"},
        {"kind": "mentions", "url": "https://news.example/rss.xml", **source}]}]}


def test_a_mentions_source_gets_the_competitors_names_and_its_sites_domains():
    source = parse_config(config({"names": ["Kranrad"]}, names=["KR GmbH"])).competitors[0].sources[3]
    assert source.names == ["Kranrad GmbH", "Kranrad", "KR GmbH"]
    # the hosts of its site and catalog (www. dropped: every subdomain counts), not the review platform's
    assert source.domains == ["kranrad.example", "shop.kranrad.example"]


@pytest.mark.parametrize("source, competitor, said", [
    ({"names": []}, None, "competitors[0].sources[3].names: an empty list"),
    ({}, {"names": []}, "competitors[0].names: an empty list"),
    ({"names": [" "]}, None, "competitors[0].sources[3].names: ' ' is not a name"),
    ({"url": "feed://news.example/rss"}, None, "competitors[0].sources[3].url: not an http(s) URL"),
    ({"domains": ["https://kranrad.example/"]}, None, "is not a domain such as competitor.example"),
], ids=["empty-names", "empty-competitor-names", "blank-name", "bad-url", "bad-domain"])
def test_a_bad_mentions_source_is_one_line(source, competitor, said):
    with pytest.raises(ConfigError) as error:
        parse_config(config(competitor, **source))
    assert said in str(error.value) and "\n" not in str(error.value)


def test_names_belong_to_mentions_sources_only():
    data = config()
    data["competitors"][0]["sources"][0]["names"] = ["Kranrad"]
    with pytest.raises(ConfigError, match="names: only for kind: mentions"):
        parse_config(data)
