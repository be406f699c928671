"""What the spider's callbacks share: yielding a request or none, and the URL a response was asked for."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy


def some(request: scrapy.Request | None) -> Iterator[scrapy.Request]:
    """The request, if any: the spider's request makers return None for a URL they will not ask for."""
    if request is not None:
        yield request


def asked_url(response: Any) -> str:
    """The URL the spider asked for: the first of the redirect chain that ended at `response`, if any."""
    return (response.meta.get("redirect_urls") or [response.request.url])[0]
