"""Public social channels (kind: social): a Telegram channel's web preview (`t.me/s/NAME`), a YouTube channel's
Atom feed (`youtube.com/feeds/videos.xml?channel_id=...`) and its channel page (`youtube.com/channel/UC...`, for the
subscriber count the feed does not show), and the VK API's `wall.get` answer. Pure: bytes and a URL in, a
`ChannelPage` out (a snapshot of the channel and its posts, or a one-line `error`); never raises.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

import lxml.etree

from dossier.urls import web_link
from extractors.document import as_document
from extractors.records import ChannelPost, ChannelSnapshot
from extractors.social_counts import AUDIENCE_COUNTERS, MULTIPLIERS

log = logging.getLogger(__name__)

NETWORKS = ("telegram", "youtube", "vk")
# the hosts whose address says the network (without www. and m.); other hosts need `network:` in the config
NETWORK_HOSTS: dict[str, str] = {"t.me": "telegram", "telegram.me": "telegram", "youtube.com": "youtube",
                                 "vk.com": "vk", "vk.ru": "vk", "api.vk.com": "vk"}
# the VK API's error codes that say the access token is missing, wrong or not allowed the method
VK_TOKEN_ERRORS = frozenset({5, 27, 28})
MAX_TEXT = 1000  # characters of a post's text kept
MAX_TITLE = 300
MAX_ID = 200
MAX_COUNT = 10 ** 12  # larger is no audience: a misread
ATOM = "{http://www.w3.org/2005/Atom}"
YT = "{http://www.youtube.com/xml/schemas/2015}"
MEDIA = "{http://search.yahoo.com/mrss/}"
# no DTDs, no entities, no network: a feed is data, and a hostile one must not expand or fetch anything
_XML_PARSER = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                   remove_comments=True, remove_pis=True)
# a channel page's data: `var ytInitialData = {...};` (or `window["ytInitialData"] = {...};`)
_INITIAL_DATA = re.compile(r"""(?:\bvar\s+ytInitialData|window\[["']ytInitialData["']\])\s*=\s*""")
_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{10,40}")
_RSS_LINK = re.compile(r"""<link\b[^>]*?href=["'][^"'<>]*/feeds/videos\.xml\?channel_id=(UC[A-Za-z0-9_-]{10,40})["']""",
                       re.I)
_CONSENT = re.compile(r"""<form\b[^>]*\baction=["']https://consent\.(?:youtube|google)\.com/""", re.I)
_NUMBER = re.compile(r"(\d[\d\s.,'\u00a0\u202f]*)\s*([^\W\d_]+)?\.?", re.UNICODE)


@dataclass(frozen=True, slots=True)
class ChannelPage:
    """A channel read: its snapshot and posts (newest first as the page lists them, no duplicates), or `error`
    (one line, naming the URL and the fix) with nothing else."""

    snapshot: ChannelSnapshot | None = None
    posts: list[ChannelPost] = field(default_factory=list)
    error: str | None = None


def network_of(url: str) -> str | None:
    """The network a channel's address belongs to, by its host; None for another host."""
    host = (urlsplit(url).hostname or "").lower()
    for prefix in ("www.", "m."):
        host = host.removeprefix(prefix)
    return NETWORK_HOSTS.get(host)


def parse_count(text: str | None) -> int | None:
    """A count as networks print it: "1 234", "1,234", "1.2K", "12,3 тыс.", "1,5 Mio." -> int; None if none.
    With a multiplier word the separator is a decimal one; without, counts are whole and separators group
    thousands."""
    if not text:
        return None
    match = _NUMBER.search(text)
    if match is None:
        return None
    digits, word = match.group(1).strip(), (match.group(2) or "").casefold()
    multiplier = MULTIPLIERS.get(word, 1)
    compact = re.sub(r"[\s'\u00a0\u202f]", "", digits).rstrip(".,")
    try:
        if multiplier > 1:
            parts = re.split(r"[.,]", compact)
            whole, fraction = parts[0], "".join(parts[1:2])
            value = int(whole or 0) * multiplier + (int(fraction) * multiplier // 10 ** len(fraction)
                                                    if fraction else 0)
        else:
            value = int(re.sub(r"[.,]", "", compact))
    except ValueError:
        return None
    return value if 0 <= value <= MAX_COUNT else None


def telegram_preview(body: bytes | str | None, url: str) -> ChannelPage:
    """A public Telegram channel's web preview (https://t.me/s/NAME): title, subscribers, and each post's id
    (`data-post` NAME/ID), link, date (`<time datetime>`), text and views. A page without the channel header and
    without posts (t.me/NAME of an unknown or private channel, any other page) is an error."""
    try:
        tree = as_document(body, url).tree
    except Exception as exc:  # lxml on hostile bytes: the page is unreadable, never the run
        log.debug("telegram preview unreadable: %s: %r", url, exc)
        tree = None
    if tree is None:
        return ChannelPage(error=_not_telegram(url, "answered no HTML page"))
    try:
        return _telegram(tree, url)
    except (ValueError, TypeError, lxml.etree.LxmlError) as exc:
        log.debug("telegram preview unreadable: %s: %r", url, exc)
        return ChannelPage(error=_not_telegram(url, "could not be read"))


def _telegram(tree, url: str) -> ChannelPage:
    info = _first(tree, "tgme_channel_info")
    messages = tree.xpath("//div[contains(concat(' ', normalize-space(@class), ' '), ' tgme_widget_message ')]"
                          "[@data-post]")
    if info is None and not messages:
        return ChannelPage(error=_not_telegram(url, "shows no public channel"))
    name = _telegram_name(tree, url, messages)
    if name is None:
        return ChannelPage(error=_not_telegram(url, "names no channel"))
    title = _text(_first(info, "tgme_channel_info_header_title"), MAX_TITLE) if info is not None else None
    subscribers = None
    for counter in (info.xpath(".//*[contains(@class, 'tgme_channel_info_counter')]") if info is not None else []):
        kind = _text(_first(counter, "counter_type"), 40)
        if kind and kind.casefold() in AUDIENCE_COUNTERS:
            subscribers = parse_count(_text(_first(counter, "counter_value"), 40))
            break
    posts: dict[str, ChannelPost] = {}
    for message in messages:
        owner, _, post_id = (message.get("data-post") or "").strip().partition("/")
        if not post_id.isdigit() or owner.casefold() != name.casefold():
            continue  # a forwarded post keeps its origin's data-post: not this channel's
        time = message.xpath(".//a[contains(@class, 'tgme_widget_message_date')]//time[@datetime]")
        link = message.xpath(".//a[contains(@class, 'tgme_widget_message_date')]/@href")
        posts.setdefault(post_id, ChannelPost(
            "telegram", name, post_id[:MAX_ID],
            url=web_link(link[0], url) if link else f"https://t.me/{name}/{post_id}",
            published=_datetime(time[0].get("datetime")) if time else None,
            text=_text(_first(message, "tgme_widget_message_text"), MAX_TEXT),
            views=parse_count(_text(_first(message, "tgme_widget_message_views"), 40))))
    snapshot = ChannelSnapshot("telegram", name, title, subscribers, f"https://t.me/s/{name}")
    # the preview lists the oldest first; newest first as the other readers give them
    return ChannelPage(snapshot, sorted(posts.values(), key=lambda p: -int(p.post_id)))


def _telegram_name(tree, url: str, messages) -> str | None:
    """The channel's username: the header's @name, else the preview address's /s/NAME, else its posts' owner."""
    for text in tree.xpath("//*[contains(@class, 'tgme_channel_info_header_username')]//text()"):
        name = text.strip().lstrip("@")
        if re.fullmatch(r"[A-Za-z0-9_]{3,64}", name):
            return name
    match = re.match(r"^/(?:s/)?([A-Za-z0-9_]{3,64})/?$", urlsplit(url).path)
    if match and match.group(1) != "s":
        return match.group(1)
    owners = {(m.get("data-post") or "").partition("/")[0] for m in messages}
    return owners.pop() if len(owners) == 1 and re.fullmatch(r"[A-Za-z0-9_]{3,64}", next(iter(owners), "")) \
        else None


def _not_telegram(url: str, what: str) -> str:
    return (f"{url} {what}: not a public Telegram channel's preview; give its address as https://t.me/s/NAME "
            "(the channel must be public)")


def youtube_feed(body: bytes | str | None, url: str) -> ChannelPage:
    """A YouTube channel's Atom feed: the channel's id and title, and each video's id (`yt:videoId`), link,
    `published`, title and, where the feed shows them, views (`media:statistics`) and likes (`media:starRating`
    count). The feed has no subscriber count: the snapshot's is None."""
    if not body:
        return ChannelPage(error=_not_youtube(url, "answered nothing"))
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    try:
        root = lxml.etree.fromstring(data, _XML_PARSER)
    except (lxml.etree.XMLSyntaxError, ValueError) as exc:
        if re.match(rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)", data[:2000], re.I | re.S):
            return ChannelPage(error=_not_youtube(url, "answered an HTML page"))
        line = getattr(exc, "lineno", None)
        return ChannelPage(error=_not_youtube(url, f"is not well-formed XML{f' (line {line})' if line else ''}"))
    if root is None or root.tag != f"{ATOM}feed":
        return ChannelPage(error=_not_youtube(url, "is no Atom feed"))
    channel = _child_text(root, f"{YT}channelId") or (_child_text(root, f"{ATOM}id") or "").removeprefix(
        "yt:channel:")
    if not channel or not re.fullmatch(r"[A-Za-z0-9_-]{2,64}", channel):
        return ChannelPage(error=_not_youtube(url, "names no channel (no yt:channelId)"))
    posts: dict[str, ChannelPost] = {}
    for entry in root.iterfind(f"{ATOM}entry"):
        video = _child_text(entry, f"{YT}videoId")
        if not video or len(video) > MAX_ID:
            continue
        link = next((web_link(a.get("href"), url) for a in entry.iterfind(f"{ATOM}link")
                     if a.get("rel", "alternate") == "alternate" and a.get("href")), None)
        community = entry.find(f"{MEDIA}group/{MEDIA}community")
        statistics = community.find(f"{MEDIA}statistics") if community is not None else None
        rating = community.find(f"{MEDIA}starRating") if community is not None else None
        posts.setdefault(video, ChannelPost(
            "youtube", channel, video, url=link or f"https://www.youtube.com/watch?v={video}",
            published=_datetime(_child_text(entry, f"{ATOM}published")),
            text=_clip(_child_text(entry, f"{ATOM}title"), MAX_TEXT),
            views=parse_count(statistics.get("views")) if statistics is not None else None,
            likes=parse_count(rating.get("count")) if rating is not None else None))
    title = _clip(_child_text(root, f"{ATOM}title"), MAX_TITLE)
    snapshot = ChannelSnapshot("youtube", channel, title, None, f"https://www.youtube.com/channel/{channel}")
    return ChannelPage(snapshot, sorted(posts.values(), key=_newest_first))


def youtube_channel_address(feed_url: str, channel: str) -> str:
    """The channel page beside a YouTube channel's feed: /channel/ID on the feed's own host (www.youtube.com; the
    fixture server's address in the demo). Never the feed's <author><uri>: a remote's text picks no address."""
    parts = urlsplit(feed_url)
    return f"{parts.scheme}://{parts.netloc}/channel/{channel}"


def youtube_channel(body: bytes | str | None, url: str) -> ChannelPage:
    """A YouTube channel page (`youtube.com/channel/UC...` or `/@handle`): the `var ytInitialData = {...};` it embeds
    gives the channel's id (`metadata.channelMetadataRenderer.externalId`, else the page's RSS `<link
    rel="alternate">`), title and subscriber count: the older header's `c4TabbedHeaderRenderer.subscriberCountText`
    ("1.23K subscribers"), or the newer `pageHeaderRenderer`'s metadata row part that names subscribers ("12.3K
    subscribers"). Posts: none (the feed lists the videos). A channel that hides its count reads with subscribers
    None; a consent wall, another page or a layout without ytInitialData is an error."""
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else (body or "")
    if not text.strip():
        return ChannelPage(error=_not_channel_page(url, "answered nothing"))
    if (urlsplit(url).hostname or "").startswith("consent.") or _CONSENT.search(text):
        return ChannelPage(error=f"{url} answered YouTube's consent page instead of the channel: the subscriber "
                                 "count cannot be read from here (a crawl from the EU is asked to consent first)")
    data = _initial_data(text)
    if data is None:
        return ChannelPage(error=_not_channel_page(url, "embeds no readable ytInitialData"))
    metadata = _path(data, "metadata", "channelMetadataRenderer")
    channel = _path(metadata, "externalId")
    if not (isinstance(channel, str) and _CHANNEL_ID.fullmatch(channel)):
        match = _RSS_LINK.search(text)
        channel = match.group(1) if match else None
    if not channel:
        return ChannelPage(error=_not_channel_page(url, "names no channel (no externalId, no feed link)"))
    asked = re.search(r"/channel/(UC[A-Za-z0-9_-]{10,40})(?:/|$)", urlsplit(url).path)
    if asked and asked.group(1) != channel:
        return ChannelPage(error=f"{url} shows the channel {channel}, not {asked.group(1)}: its subscriber count "
                                 "is not the feed's channel's")
    title = _path(metadata, "title")
    subscribers = parse_count(_subscriber_text(_path(data, "header")))
    return ChannelPage(ChannelSnapshot("youtube", channel, _clip(title if isinstance(title, str) else None,
                                                                   MAX_TITLE),
                                       subscribers, f"https://www.youtube.com/channel/{channel}"))


def _initial_data(text: str) -> dict | None:
    """The object assigned to ytInitialData, decoded with json (never evaluated); None when there is none."""
    for match in _INITIAL_DATA.finditer(text):
        try:
            data, _end = json.JSONDecoder().raw_decode(text, match.end())
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict):
            return data
    return None


def _subscriber_text(header) -> str | None:
    """The subscriber count's text in a channel page's header, in the older or the newer layout."""
    old = _path(header, "c4TabbedHeaderRenderer", "subscriberCountText")
    if isinstance(_path(old, "simpleText"), str):
        return _path(old, "simpleText")
    runs = _path(old, "runs")
    if isinstance(runs, list):
        joined = "".join(r["text"] for r in runs if isinstance(r, dict) and isinstance(r.get("text"), str))
        if joined:
            return joined
    rows = _path(header, "pageHeaderRenderer", "content", "pageHeaderViewModel", "metadata",
                 "contentMetadataViewModel", "metadataRows")
    for row in rows if isinstance(rows, list) else []:
        parts = _path(row, "metadataParts")
        for part in parts if isinstance(parts, list) else []:
            content = _path(part, "text", "content")
            if isinstance(content, str) and _names_audience(content):
                return content
    return None


def _names_audience(text: str) -> bool:
    return any(word.casefold() in AUDIENCE_COUNTERS for word in re.findall(r"[^\W\d_]+", text))


def _path(node, *keys):
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _not_channel_page(url: str, what: str) -> str:
    return (f"{url} {what}: not a YouTube channel page in a layout Dossier reads (its subscriber count is not "
            "read; the videos come from the feed)")


def _not_youtube(url: str, what: str) -> str:
    return (f"{url} {what}: not a YouTube channel's feed; give it as "
            "https://www.youtube.com/feeds/videos.xml?channel_id=UC... (the channel id is on its page)")


def vk_wall(body: bytes | str | None, url: str) -> ChannelPage:
    """The VK API's answer to `wall.get` with `extended=1&fields=members_count` (JSON): the community (`groups[0]`:
    id, name, screen_name, members_count) and its posts (id, date, text, likes, reposts and views counts). An API
    error (`{"error": {...}}`: a bad token, an unknown or closed community) is a one-line error."""
    try:
        data = json.loads(body or b"")
    except (ValueError, TypeError, RecursionError):
        return ChannelPage(error=_not_vk(url, "is not JSON"))
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        error = data["error"]
        said = f"{_one_line(str(error.get('error_msg') or '?'))[:200]} (error {error.get('error_code')!s:.10})"
        if _int(error.get("error_code")) in VK_TOKEN_ERRORS:
            return ChannelPage(error=f"{url}: the VK API refused the access token: {said}; set DOSSIER_VK_TOKEN to "
                                     "a valid service token (the service key in your VK app's settings)")
        return ChannelPage(error=f"{url}: the VK API refused: {said}; check the community's name and the token")
    response = data.get("response") if isinstance(data, dict) else None
    if not isinstance(response, dict) or not isinstance(response.get("items"), list):
        return ChannelPage(error=_not_vk(url, "is no wall.get answer"))
    groups = [g for g in response.get("groups") or [] if isinstance(g, dict) and _int(g.get("id")) is not None]
    if not groups:
        return ChannelPage(error=_not_vk(url, "names no community (ask with extended=1)"))
    group = groups[0]
    channel = str(group.get("screen_name") or f"club{group['id']}")[:MAX_ID]
    owner = -abs(_int(group["id"]) or 0)
    posts: dict[str, ChannelPost] = {}
    for item in response["items"]:
        if not isinstance(item, dict) or _int(item.get("id")) is None or _int(item.get("owner_id")) != owner:
            continue
        post_id = str(_int(item["id"]))
        stamp = _int(item.get("date"))
        posts.setdefault(post_id, ChannelPost(
            "vk", channel, post_id, url=f"https://vk.com/wall{owner}_{post_id}",
            published=_from_timestamp(stamp),
            text=_clip(item.get("text") if isinstance(item.get("text"), str) else None, MAX_TEXT),
            views=_count_of(item.get("views")), likes=_count_of(item.get("likes")),
            reposts=_count_of(item.get("reposts"))))
    members = _int(group.get("members_count"))
    snapshot = ChannelSnapshot("vk", channel, _clip(group.get("name") if isinstance(group.get("name"), str)
                                                    else None, MAX_TITLE),
                               members if members is not None and 0 <= members <= MAX_COUNT else None,
                               f"https://vk.com/{channel}")
    return ChannelPage(snapshot, sorted(posts.values(), key=_newest_first))


def _not_vk(url: str, what: str) -> str:
    return f"{url} {what}: not the VK API's answer to wall.get with extended=1 and fields=members_count"


# Adding a network is one reader above and one line here.
READERS = {"telegram": telegram_preview, "youtube": youtube_feed, "vk": vk_wall}


def read_channel(network: str, body: bytes | str | None, url: str) -> ChannelPage:
    """The channel page of `network` read by its reader."""
    return READERS[network](body, url)


# -- small helpers ---------------------------------------------------------------------------------------------

def _first(node, css_class: str):
    if node is None:
        return None
    found = node.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]")
    return found[0] if found else None


def _text(node, limit: int) -> str | None:
    if node is None:
        return None
    for br in node.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return _clip(node.text_content(), limit)


def _clip(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    lines = [" ".join(line.split()) for line in text.replace("\x00", "").splitlines()]
    cleaned = "\n".join(line for line in lines if line)
    return cleaned[:limit] or None


def _child_text(node, tag: str) -> str | None:
    child = node.find(tag)
    return child.text.strip() if child is not None and isinstance(child.text, str) and child.text.strip() else None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _from_timestamp(value: int | None) -> datetime | None:
    if value is None or not 0 < value < 10 ** 11:
        return None
    return datetime.fromtimestamp(value, timezone.utc)


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
        return int(value)
    return None


def _count_of(value) -> int | None:
    count = _int(value.get("count")) if isinstance(value, dict) else None
    return count if count is not None and 0 <= count <= MAX_COUNT else None


def _newest_first(post: ChannelPost) -> tuple[int, float, str]:
    return (0 if post.published else 1, -(post.published.timestamp() if post.published else 0), post.post_id)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:160]
