"""Site-audit facts read off markup: SEO and mobile basics of a page and the rules of a robots.txt.

Pure functions; none fetches anything, and bad input gives the empty record rather than an error. A sitemap's
size is counted by the crawl, which reads sitemaps anyway (crawler/discovery.py, with Scrapy's Sitemap).
"""
from __future__ import annotations

import hashlib
import logging
import re
from urllib.parse import urljoin

import lxml.etree
from lxml import html
from protego import Protego

from extractors.document import Document, as_document
from extractors.records import PageAudit, RobotsFacts

log = logging.getLogger(__name__)

MAX_ROBOTS_CHARS = 2 * 1024 * 1024  # Google reads the first 500 KiB; this only bounds the work on hostile input
MAX_HREFLANG = 500
_DEVICE_WIDTH = re.compile(r"\bwidth\s*=\s*device-width\b")


def audit_page(body: str | bytes | Document | None, url: str) -> PageAudit:
    """Title and description lengths, h1 count, canonical, hreflang, OpenGraph, viewport and lang of one page."""
    try:
        document = as_document(body, url)
        if document.tree is None:
            return PageAudit()
        return _audit(document.tree, url)
    except (ValueError, TypeError, AttributeError, lxml.etree.LxmlError) as exc:
        log.debug("page audit unreadable on %s: %r", url, exc)
        return PageAudit()


def _norm(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _lower(attr: str) -> str:
    """An XPath expression for an attribute, lower-cased (the HTML parser keeps attribute values as written)."""
    return f"translate({attr}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"


def language_tag(value: object) -> str | None:
    """A BCP 47 tag in its usual case: `DE-at` -> `de-AT`, `zh-hant-tw` -> `zh-Hant-TW`; `x-default` kept."""
    parts = _norm(value).replace("_", "-").split("-")
    if not parts[0] or not all(part.isascii() and part.isalnum() for part in parts) or len(parts) > 8:
        return None
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha() or len(part) == 3 and part.isdigit():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def _audit(tree: html.HtmlElement, url: str) -> PageAudit:
    title = tree.find(".//title")
    descriptions = tree.xpath(f"//meta[{_lower('@name')}='description']/@content")
    viewports = tree.xpath(f"//meta[{_lower('@name')}='viewport']/@content")
    return PageAudit(
        title_length=len(_norm(title.text_content())) if title is not None else 0,
        description_length=len(_norm(descriptions[0])) if descriptions else 0,
        h1_count=sum(1 for _ in tree.iter("h1")),
        canonical=_canonical(tree, url),
        hreflang=_hreflang(tree),
        open_graph=_open_graph(tree),
        viewport=any(_DEVICE_WIDTH.search(_norm(v).lower()) for v in viewports),
        lang=language_tag(tree.get("lang") or tree.get("xml:lang")),
    )


def _canonical(tree: html.HtmlElement, url: str) -> str | None:
    for href in tree.xpath(f"//link[contains(concat(' ', {_lower('@rel')}, ' '), ' canonical ')]/@href"):
        href = _norm(href)
        if href:
            try:
                return urljoin(url, href)
            except ValueError:  # an unparseable href (`http://[::1`): the page has no usable canonical
                return None
    return None


def _hreflang(tree: html.HtmlElement) -> list[str]:
    seen: dict[str, None] = {}
    for code in tree.xpath(f"//link[@hreflang][contains(concat(' ', {_lower('@rel')}, ' '), ' alternate ')]"
                           "/@hreflang"):
        tag = language_tag(code)
        if tag:
            seen.setdefault(tag, None)
            if len(seen) >= MAX_HREFLANG:
                break
    return list(seen)


def _open_graph(tree: html.HtmlElement) -> list[str]:
    found: set[str] = set()
    for meta in tree.iter("meta"):
        prop = _norm(meta.get("property") or meta.get("name")).lower()
        if prop.startswith("og:") and len(prop) > 3 and _norm(meta.get("content")):
            found.add(prop)
    return sorted(found)


def robots_facts(text: str | bytes | None) -> RobotsFacts:
    """The rules and sitemaps of a robots.txt, and a hash that ignores comments, blank lines and spacing."""
    try:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text[:MAX_ROBOTS_CHARS]).decode("utf-8", errors="replace")
        lines = _robots_lines((text or "")[:MAX_ROBOTS_CHARS].replace("\x00", ""))
        if not lines:
            return RobotsFacts()
        rules = [line for line in lines if ":" in line]
        sitemaps = list(dict.fromkeys(s for s in Protego.parse("\n".join(rules)).sitemaps if s))
        digest = hashlib.sha256("\n".join(lines).encode("utf-8", errors="replace")).hexdigest()
        return RobotsFacts(content_hash=digest, rules=rules, sitemaps=sitemaps)
    except (ValueError, TypeError, AttributeError, UnicodeError) as exc:
        log.debug("robots.txt unreadable: %r", exc)
        return RobotsFacts()


def _robots_lines(text: str) -> list[str]:
    """Content lines without comments; `Disallow :  /cart` -> `disallow: /cart`, a line without a colon as it is."""
    out: list[str] = []
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if ":" in line:
            directive, value = line.split(":", 1)
            line = f"{_norm(directive).lower()}: {value.strip()}"
        out.append(_norm(line))
    return out
