"""Crawler traps: URLs that a site can generate without end (calendars, growing query strings, session ids).

Two defences: URLs are compared after canonicalisation (`dossier.urls.canonical_url`: session ids, tracking and
cache-busting parameters dropped, the query sorted), so one page under a thousand session ids is one page; and a
URL whose shape only a generator makes (too long, too many parameters, a path segment repeated) is not followed.
What is left, an endless calendar of distinct pages, is bounded by `max_depth` and `max_pages`.
"""
from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from crawler import settings as defaults


def trap_reason(url: str) -> str | None:
    """Why a discovered URL looks generated rather than linked (one line), or None."""
    if len(url) > defaults.TRAP_MAX_URL_LENGTH:
        return f"URL longer than {defaults.TRAP_MAX_URL_LENGTH} characters"
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    if len(params) > defaults.TRAP_MAX_QUERY_PARAMS:
        return f"more than {defaults.TRAP_MAX_QUERY_PARAMS} query parameters"
    if params and max(Counter(name for name, _ in params).values()) > defaults.TRAP_MAX_REPEATS:
        return f"a query parameter repeated more than {defaults.TRAP_MAX_REPEATS} times"
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments and max(Counter(segments).values()) > defaults.TRAP_MAX_REPEATS:
        return f"a path segment repeated more than {defaults.TRAP_MAX_REPEATS} times"
    return None
