"""Soft 404s: sites that answer 200 and a "page not found" page for any path. Without a check such pages are
stored as pages, extracted, and their links (often to more pages that do not exist) followed without end.

Before a source's start page, the spider asks for a sibling of it that cannot exist (`probe_url`). When the site
answers that with a page (2xx), the page's fingerprint is kept: any later page of the source with the same
fingerprint is a soft 404 — recorded as a failed fetch, not extracted, its links not followed. A fingerprint is the
body with the URL it was asked under taken out (not-found pages often name the path they were asked for).
"""
from __future__ import annotations

import hashlib
import html
import re
import secrets
from urllib.parse import unquote, urljoin, urlsplit

PROBE_PREFIX = "dossier-probe-"
SOFT_404_ERROR = "soft 404: the site answers this URL with its page for URLs that do not exist"
_SPACE = re.compile(rb"\s+")
_MARK = b"\x00"  # where the URL asked for was named


def probe_url(start_url: str) -> str:
    """A URL beside the source's start URL that no site has: random, so no cache or route can know it."""
    return urljoin(start_url, f"{PROBE_PREFIX}{secrets.token_hex(8)}")


def fingerprint(body: bytes, *urls: str) -> str:
    """The body with every spelling of `urls` (absolute, path with query, path; raw, unquoted, HTML-escaped)
    replaced by one mark (a slash after it dropped: /gone/ and /probe are both the path asked for) and white
    space folded, hashed."""
    spellings: set[str] = set()
    for url in urls:
        parts = urlsplit(url)
        path_query = parts.path + (f"?{parts.query}" if parts.query else "")
        for spelling in (url, path_query, parts.path, parts.path.rstrip("/")):
            if len(spelling) > 1:
                spellings |= {spelling, unquote(spelling), html.escape(spelling), html.escape(unquote(spelling))}
    text = body.replace(_MARK, b"")
    for spelling in sorted(spellings, key=len, reverse=True):
        text = text.replace(spelling.encode("utf-8", "replace"), _MARK)
    text = text.replace(_MARK + b"/", _MARK)
    return hashlib.sha256(_SPACE.sub(b" ", text).strip()).hexdigest()
