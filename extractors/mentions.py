"""Mentions of a competitor in the feeds a user subscribes to: RSS 2.0 and Atom 1.0 items (news, web alerts,
forums) read with feedparser from the fetched bytes, and the pure filter that keeps the items naming the competitor
or linking to its domains. No I/O here: feedparser is handed bytes, never a URL or a file name.
"""
from __future__ import annotations

import html
import logging
import re
import xml.sax
from calendar import timegm
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import urlsplit

import feedparser

from dossier.urls import canonical_url, web_link
from extractors.answers import what_it_is
from extractors.records import FeedItem

log = logging.getLogger(__name__)

MAX_SNIPPET = 400  # characters of an item's summary kept, as plain text
MAX_TITLE = 500
MAX_KEY = 512
FEED_VERSIONS_READ = "RSS 2.0 or Atom 1.0"  # said in errors; feedparser also reads RSS 0.9x/1.0, which we accept


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed read: its items, or `error` (one line) when the bytes are no RSS or Atom feed, with no items."""

    items: list[FeedItem] = field(default_factory=list)
    error: str | None = None


def parse_feed(body: bytes | str | None, url: str) -> Feed:
    """The items of an RSS or Atom feed, in feed order, without duplicate keys. Bytes that are not a feed (an HTML
    page, JSON, an error page, a feed cut short) give no items and a one-line `error`; never raises."""
    if body is None or not body:
        return Feed(error=f"{url} answered nothing, not an {FEED_VERSIONS_READ} feed")
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    try:
        parsed = feedparser.parse(data, response_headers={"content-location": url},
                                  resolve_relative_uris=True, sanitize_html=True)
    except Exception as exc:  # feedparser's own bug on hostile bytes: the feed is unreadable, not the run
        log.debug("feedparser failed on %s: %s", url, exc)
        return Feed(error=f"{url} could not be read as a feed ({type(exc).__name__})")
    version = parsed.get("version") or ""
    problem = parsed.get("bozo_exception")
    if not version:
        return Feed(error=f"{url} is not an {FEED_VERSIONS_READ} feed (it answered {what_it_is(data)}): give the "
                          "feed's own address, e.g. the page's <link rel=\"alternate\" type=\"application/rss+xml\">")
    if isinstance(problem, xml.sax.SAXException):  # recognised, but broken: what it holds may be half of it
        return Feed(error=f"{url} is a feed that is not well-formed XML ({_one_line(str(problem))}): nothing of it "
                          "was stored; its publisher must fix it")
    items: dict[str, FeedItem] = {}
    for entry in parsed.get("entries") or []:
        item = _item(entry, url)
        if item is not None:
            items.setdefault(item.key, item)
    return Feed(items=list(items.values()))


def _item(entry: dict, feed_url: str) -> FeedItem | None:
    links = []
    for candidate in [entry.get("link")] + [link.get("href") for link in entry.get("links") or []
                                            if isinstance(link, dict)]:
        absolute = web_link(candidate, feed_url) if isinstance(candidate, str) else None
        if absolute and absolute not in links:
            links.append(absolute)
    guid = entry.get("id") if isinstance(entry.get("id"), str) else None
    key = canonical_url(links[0]) if links else (guid or "").strip()
    if not key:
        return None
    title = _plain(entry.get("title"), MAX_TITLE)
    snippet = _plain(entry.get("summary") or _content(entry), MAX_SNIPPET)
    return FeedItem(key=key[:MAX_KEY], url=links[0] if links else None, title=title,
                    # dict.get: feedparser's own get maps a missing published to updated, with a warning
                    published=_utc(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")),
                    snippet=snippet, links=tuple(links))


def _content(entry: dict) -> str | None:
    for content in entry.get("content") or []:
        if isinstance(content, dict) and isinstance(content.get("value"), str):
            return content["value"]
    return None


def _utc(parsed: object) -> datetime | None:
    """feedparser's struct_time (already in UTC) as an aware datetime."""
    try:
        return datetime.fromtimestamp(timegm(parsed), tz=timezone.utc) if parsed else None  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


_TAG = re.compile(r"<[^>]*>")
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?…»)])")


def _plain(value: object, limit: int) -> str | None:
    """Plain text of a title or summary feedparser sanitised (markup dropped, entities decoded, blanks folded)."""
    if not isinstance(value, str):
        return None
    text = _SPACE_BEFORE_STOP.sub(r"\1", " ".join(html.unescape(_TAG.sub(" ", value)).split()))
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return text or None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:160]


# -- which items are mentions of a competitor ------------------------------------------------------------------
def mentions(items: Iterable[FeedItem], names: Sequence[str], domains: Sequence[str] = ()) -> list[FeedItem]:
    """The items naming one of `names` as a whole word (any case, any script) in their title or snippet, or linking
    to one of `domains` (subdomains included) or naming it in their text. A domain given with a port
    (`127.0.0.1:8001`, a site on a loopback address) matches links to that address only."""
    pattern = _names_pattern(tuple(sorted({n.strip() for n in names if n and n.strip()})))
    hosts = tuple(sorted({d.strip().lower().rstrip(".") for d in domains if d and d.strip()}))
    written = _domains_pattern(tuple(d for d in hosts if ":" not in d))
    found = []
    for item in items:
        text = " ".join(t for t in (item.title, item.snippet) if t)
        if (pattern is not None and pattern.search(text)) or (written is not None and written.search(text)) \
                or any(_links_to(link, hosts) for link in item.links):
            found.append(item)
    return found


@lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    spelled = [r"\s+".join(re.escape(word) for word in name.split()) for name in names]
    return re.compile(r"(?<!\w)(?:" + "|".join(spelled) + r")(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=256)
def _domains_pattern(domains: tuple[str, ...]) -> re.Pattern[str] | None:
    if not domains:
        return None
    return re.compile(r"(?<![\w.-])(?:[\w-]+\.)*(?:" + "|".join(re.escape(d) for d in domains) + r")(?![\w-]|\.\w)",
                      re.IGNORECASE)


def _links_to(link: str, hosts: Sequence[str]) -> bool:
    try:
        parts = urlsplit(link)
        host = (parts.hostname or "").rstrip(".")
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return False
    return any(netloc == d if ":" in d else (host == d or host.endswith("." + d)) for d in hosts)
