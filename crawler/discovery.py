"""Reading robots.txt and sitemaps (plain, gzip, nested indexes) for the URLs they list."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots


@dataclass(frozen=True, slots=True)
class SitemapRead:
    """A sitemap's entries: `pages` from a urlset, `sitemaps` from an index; `error` when it was unreadable."""

    pages: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    error: str | None = None


def sitemaps_in_robots(response: Response) -> list[str]:
    """The Sitemap: lines of a robots.txt, as absolute URLs."""
    return list(sitemap_urls_from_robots(response.body, base_url=response.url))


def read_sitemap(response: Response, max_bytes: int) -> SitemapRead:
    """The URLs of a sitemap response; a gzip body (sitemap.xml.gz) is unpacked up to max_bytes."""
    body = response.body
    if gzip_magic_number(response):
        try:
            body = gunzip(body, max_size=max_bytes)
        except ValueError:  # Scrapy's "decompressed size exceeds max_size"
            return SitemapRead(error=f"unpacked sitemap larger than max_bytes ({max_bytes} bytes)")
        except (OSError, EOFError, struct.error) as exc:
            return SitemapRead(error=f"broken gzip: {exc}")
    try:
        sitemap = Sitemap(body)
    except (SyntaxError, ValueError, StopIteration, AttributeError) as exc:  # lxml's XMLSyntaxError is a SyntaxError
        return SitemapRead(error=f"not XML: {exc or type(exc).__name__}")
    if sitemap.type not in ("urlset", "sitemapindex"):
        return SitemapRead(error=f"not a sitemap (root element <{sitemap.type}>)")
    locations = [entry["loc"] for entry in sitemap if entry.get("loc")]
    if sitemap.type == "sitemapindex":
        return SitemapRead(sitemaps=locations)
    return SitemapRead(pages=locations)
