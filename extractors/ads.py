"""Ads from ad-transparency sources, one parser per format in FORMATS (the config layer validates `fmt`).

- `meta_ad_library`: Meta Ad Library API `ads_archive` JSON (`{"data": [...], "paging": ...}`).
- `html`: ad cards in HTML, one element per ad carrying `data-ad-id`, with `.ad-headline` (else the first h2-h4),
  `.ad-body` (else the first p), `a.ad-link` (else the first external link) as the landing URL,
  `time.ad-start`/`time.ad-stop` (`datetime` attribute or text), `.ad-platform` items (or `.ad-platforms`
  as a comma list), `.ad-page-name` and `a.ad-snapshot`. This is the shape of the ad-library pages we save
  and of the card lists of LinkedIn's and TikTok's libraries once selectors are mapped to these classes.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import html

from extractors.dates import parse_date
from extractors.document import Document, as_document
from extractors.records import Ad

log = logging.getLogger(__name__)

MAX_ADS = 10_000
SECRET_PARAMS = frozenset({"access_token", "token", "key", "api_key", "apikey", "signature", "sig"})
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_HOST_LIKE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?$", re.IGNORECASE)


def extract_ads(body: str | bytes | Document | None, url: str, fmt: str) -> list[Ad]:
    """The ads in `body` read as `fmt` (a key of FORMATS); unknown format or bad input -> empty list."""
    parser = FORMATS.get(fmt or "")
    if parser is None:
        log.debug("unknown ad format %r for %s: nothing extracted", fmt, url)
        return []
    try:
        ads: dict[str, Ad] = {}
        for ad in parser(as_document(body, url), url):
            ads.setdefault(ad.id, ad)
            if len(ads) >= MAX_ADS:
                break
        return list(ads.values())
    except Exception as exc:  # the contract: a hostile feed gives an empty list, the crawl goes on
        log.debug("ads unreadable on %s (%s): %r", url, fmt, exc)
        return []


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, (str, int, float)) and str(v).strip()), None)
    if value is None or isinstance(value, (dict, bool)):
        return None
    cleaned = " ".join(str(value).split())
    return cleaned or None


def _date(value: Any) -> date | None:
    raw = _text(value)
    match = _DATE.search(raw or "")
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _without_secrets(link: str | None) -> str | None:
    """Snapshot URLs of the Meta API carry the caller's access token: never store it."""
    if not link:
        return None
    try:
        parts = urlsplit(link)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SECRET_PARAMS]
        return urlunsplit(parts._replace(query=urlencode(query)))
    except ValueError:
        return None


def _landing(item: dict[str, Any]) -> str | None:
    for key in ("landing_url", "link_url", "ad_creative_link_url", "ad_creative_link_urls", "destination_url"):
        link = _text(item.get(key))
        if link:
            return link
    caption = _text(item.get("ad_creative_link_captions") or item.get("ad_creative_link_caption"))
    if caption and _HOST_LIKE.match(caption):  # a display URL such as "NORTHWIND.EXAMPLE/deals"
        return "https://" + caption.lower()
    return None


def _platforms(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[,;|]", value) if isinstance(value, str) else []
    out: list[str] = []
    for item in items:
        name = _text(item)
        if name and name.lower() not in out:
            out.append(name.lower())
    return out


def _meta_ads(document: Document, url: str) -> list[Ad]:
    text = document.text.strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        log.debug("ad library response is not JSON: %s: %r", url, exc)
        return []
    items = (data.get("data") or data.get("ads") or []) if isinstance(data, dict) else data
    ads = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        ad_id = _text(item.get("id") or item.get("ad_archive_id"))
        if not ad_id:
            continue
        ads.append(Ad(
            id=ad_id,
            headline=_text(item.get("ad_creative_link_titles") or item.get("ad_creative_link_title")),
            body=_text(item.get("ad_creative_bodies") or item.get("ad_creative_body")),
            landing_url=_landing(item),
            started=_date(item.get("ad_delivery_start_time") or item.get("ad_creation_time")),
            stopped=_date(item.get("ad_delivery_stop_time")),
            platforms=_platforms(item.get("publisher_platforms") or item.get("publisher_platform")),
            snapshot_url=_without_secrets(_text(item.get("ad_snapshot_url"))),
            page_name=_text(item.get("page_name")),
        ))
    return ads


def _first(el: html.HtmlElement, *xpaths: str) -> Any:
    """The first match of the first XPath that matches (an element or an attribute string), else None."""
    for xpath in xpaths:
        found = el.xpath(xpath)
        if found:
            return found[0]
    return None


def _el_text(el: html.HtmlElement | None) -> str | None:
    return _text(el.text_content()) if el is not None else None


def _card_date(el: html.HtmlElement | None, lang: str | None) -> date | None:
    if el is None:
        return None
    return _date(el.get("datetime")) or parse_date(_el_text(el), lang)


def _cls(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _html_ads(document: Document, url: str) -> list[Ad]:
    tree = document.tree
    if tree is None:
        return []
    lang = tree.get("lang")
    ads = []
    for card in tree.xpath("descendant-or-self::*[@data-ad-id]")[:MAX_ADS]:
        headline = _first(card, f".//*[{_cls('ad-headline')}]", ".//h2|.//h3|.//h4")
        body = _first(card, f".//*[{_cls('ad-body')}]", ".//p")
        link = _first(card, f".//a[{_cls('ad-link')}]/@href", ".//a[starts-with(@href, 'http')]/@href")
        snapshot = _first(card, f".//a[{_cls('ad-snapshot')}]/@href")
        start, stop = (_first(card, f".//*[{_cls(c)}]") for c in ("ad-start", "ad-stop"))
        platforms = [_el_text(p) for p in card.xpath(f".//*[{_cls('ad-platform')}]")]
        if not platforms:
            platforms = _platforms(_el_text(_first(card, f".//*[{_cls('ad-platforms')}]")))
        ads.append(Ad(
            id=str(card.get("data-ad-id")).strip(), headline=_el_text(headline), body=_el_text(body),
            landing_url=urljoin(url, str(link)) if link else None,
            started=_card_date(start, lang), stopped=_card_date(stop, lang),
            platforms=[p.lower() for p in platforms if p],
            snapshot_url=_without_secrets(urljoin(url, str(snapshot))) if snapshot else None,
            page_name=_el_text(_first(card, f".//*[{_cls('ad-page-name')}]")),
        ))
    return [ad for ad in ads if ad.id]


# Adding a format is one parser above and one line here.
FORMATS: dict[str, Callable[[Document, str], list[Ad]]] = {
    "meta_ad_library": _meta_ads,
    "html": _html_ads,
}
