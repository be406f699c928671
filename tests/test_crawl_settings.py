"""The crawl's settings from the config (politeness, limits, Chromium) and the sitemap reader, without crawling."""
from __future__ import annotations

import asyncio
import gzip
import sys

import pytest
from scrapy.exceptions import (
    CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError, IgnoreRequest,
)
from scrapy.http import Request, Response, XmlResponse

from crawler import settings as defaults
from crawler.accounting import describe_failure, redirect_trouble
from crawler.browser import ENV
from crawler.discovery import read_sitemap
from crawler.process import PAGES_PER_CONTEXT_ENV, crawl_settings
from crawler.safety import BrowserGuard
from crawler.order import order_for
from crawler.sources import SourcePlan
from dossier.config import load_config, parse_config
from dossier.errors import CrawlError
from storage.db import create_db_engine, upgrade
from storage.runs import sync_sources

URLSET = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          b"<url><loc>https://a.example/1</loc></url><url><loc>https://a.example/2</loc></url></urlset>")
INDEX = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
         b"<sitemap><loc>https://a.example/more.xml.gz</loc></sitemap></sitemapindex>")


def _plan(render: str) -> SourcePlan:
    return SourcePlan(source_id=1, competitor_id=1, competitor_slug="a", kind="catalog", url="https://a.example/",
                      max_pages=10, max_depth=1, render=render)


def test_politeness_and_limits_come_from_the_config(monkeypatch):
    monkeypatch.setenv(ENV, sys.executable)  # any executable: the browser is only configured here, not started
    config = parse_config({
        "defaults": {"user_agent": "ExampleBot/2.0 (+https://example.org/bot)", "download_delay": 2.5,
                     "concurrency_per_domain": 3, "timeout": 7, "max_bytes": 5000},
        "competitors": [{"slug": "a", "name": "A", "sources": [{"kind": "site", "url": "https://a.example/"}]}],
    })
    settings = crawl_settings(config.defaults, [_plan("static"), _plan("js")], "sqlite://", 1)
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings["USER_AGENT"] == "ExampleBot/2.0 (+https://example.org/bot)"
    assert (settings.getfloat("DOWNLOAD_DELAY"), settings.getfloat("AUTOTHROTTLE_START_DELAY")) == (2.5, 2.5)
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 3
    assert settings.getfloat("DOWNLOAD_TIMEOUT") == 7
    assert settings.getfloat("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") == 7000  # milliseconds
    assert (settings.getint("DOWNLOAD_MAXSIZE"), settings.getint("DOWNLOAD_WARNSIZE")) == (5000, 5000)
    assert settings.getint("REDIRECT_MAX_TIMES") == 5 and not settings.getbool("COOKIES_ENABLED")
    launch = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    rules = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE a.example, EXCLUDE www.a.example"
    assert launch == {"executable_path": sys.executable, "headless": True, "args": [*defaults.CHROMIUM_ARGS, rules]}
    assert isinstance(settings["PLAYWRIGHT_ABORT_REQUEST"], BrowserGuard)


@pytest.mark.parametrize(("given", "pages"), [(None, 200), ("", 200), ("50", 50), (" 7 ", 7)])
def test_browser_contexts_are_recycled_every_so_many_pages(monkeypatch, given, pages):
    monkeypatch.setenv(ENV, sys.executable)
    if given is None:
        monkeypatch.delenv(PAGES_PER_CONTEXT_ENV, raising=False)
    else:
        monkeypatch.setenv(PAGES_PER_CONTEXT_ENV, given)
    config = parse_config({"competitors": [{"slug": "a", "name": "A", "sources": [
        {"kind": "site", "url": "https://a.example/"}]}]})
    settings = crawl_settings(config.defaults, [_plan("js")], "sqlite://", 1)
    assert settings.getint("DOSSIER_BROWSER_PAGES_PER_CONTEXT") == pages


@pytest.mark.parametrize("given", ["abc", "0", "-3", "2.5"])
def test_a_pages_per_context_that_is_not_a_whole_number_is_one_line(monkeypatch, given):
    monkeypatch.setenv(ENV, sys.executable)
    monkeypatch.setenv(PAGES_PER_CONTEXT_ENV, given)
    config = parse_config({"competitors": [{"slug": "a", "name": "A", "sources": [
        {"kind": "site", "url": "https://a.example/"}]}]})
    with pytest.raises(CrawlError) as raised:
        crawl_settings(config.defaults, [_plan("js")], "sqlite://", 1)
    assert str(raised.value) == (f"DOSSIER_BROWSER_PAGES_PER_CONTEXT={given}: must be a whole number of pages from 1 "
                                 "(unset it for the default, 200)")


def test_a_static_only_crawl_never_looks_for_a_browser(monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv(ENV, raising=False)
    config = parse_config({"competitors": [{"slug": "a", "name": "A", "sources": [
        {"kind": "site", "url": "https://a.example/"}]}]})
    settings = crawl_settings(config.defaults, [_plan("static")], "sqlite://", 1)
    assert "PLAYWRIGHT_LAUNCH_OPTIONS" not in settings and settings.getint("DOWNLOAD_MAXSIZE") == 16 * 1024 * 1024


def test_no_control_server_listens_in_a_crawl():
    """Scrapy's telnet console and 2.19's remote-control HTTP server would run code sent to them: both are off."""
    config = parse_config({"competitors": [{"slug": "a", "name": "A", "sources": [
        {"kind": "site", "url": "https://a.example/"}]}]})
    settings = crawl_settings(config.defaults, [_plan("static")], "sqlite://", 1)
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False


class _Request:
    def __init__(self, resource_type: str, url: str = "https://a.example/page"):
        self.resource_type = resource_type
        self.url = url


@pytest.mark.parametrize(("resource_type", "blocked"), [
    ("image", True), ("font", True), ("media", True),
    ("document", False), ("script", False), ("xhr", False), ("fetch", False), ("stylesheet", False),
])
def test_the_browser_skips_only_heavy_resources(resource_type, blocked):
    async def public(host):  # no DNS in tests: a.example stands for a public site
        return ["93.184.215.14"]

    guard = BrowserGuard([_plan("js")], defaults.PLAYWRIGHT_BLOCKED_RESOURCES, resolve=public)
    assert asyncio.run(guard(_Request(resource_type))) is blocked


def _response(body: bytes, url: str = "https://a.example/sitemap.xml") -> Response:
    cls = XmlResponse if body.lstrip().startswith(b"<?xml") else Response
    return cls(url=url, body=body, request=Request(url))


@pytest.mark.parametrize(("body", "pages", "sitemaps", "error"), [
    (URLSET, ["https://a.example/1", "https://a.example/2"], [], None),
    (gzip.compress(URLSET, mtime=0), ["https://a.example/1", "https://a.example/2"], [], None),
    (INDEX, [], ["https://a.example/more.xml.gz"], None),
    (gzip.compress(INDEX, mtime=0), [], ["https://a.example/more.xml.gz"], None),
    (b"<html><body>Not found</body></html>", [], [], "not a sitemap (root element <html>)"),
    (b"", [], [], "not XML"),
    (b"garbage", [], [], "not XML"),
    (b"\x1f\x8b\x08broken", [], [], "broken gzip"),
    (gzip.compress(URLSET * 40, mtime=0), [], [], "unpacked sitemap larger than max_bytes (2000 bytes)"),
])
def test_sitemaps_plain_gzipped_nested_or_broken(body, pages, sitemaps, error):
    read = read_sitemap(_response(body), max_bytes=2000)
    assert (read.pages, read.sitemaps) == (pages, sitemaps)
    assert (read.error or "").startswith(error or "") and bool(read.error) == bool(error)


def test_a_redirect_chain_is_named_a_loop_only_when_it_comes_back():
    loop = Request("https://a.example/b", meta={"redirect_urls": ["https://a.example/a", "https://a.example/b",
                                                                   "https://a.example/a"]})
    assert redirect_trouble(loop) == ("redirect loop: https://a.example/a -> https://a.example/b -> "
                                      "https://a.example/a")
    long_chain = Request("https://a.example/6", meta={"redirect_urls": [f"https://a.example/{n}" for n in range(6)]})
    assert redirect_trouble(long_chain) == "too many redirects (6)"


def _failure(exc: Exception):
    from twisted.python.failure import Failure

    try:
        raise exc
    except type(exc):
        return Failure()


@pytest.mark.parametrize(("exc", "error"), [
    # a DNS failure is only simulated: no test sends a query beyond loopback
    (CannotResolveHostError("competitor.example"), "DNS lookup failed: competitor.example"),
    (DownloadTimeoutError("Getting https://a.example/ took longer than 7.0 seconds."), "timed out after 7 s"),
    (DownloadConnectionRefusedError("Connection was refused by other side"), "connection refused"),
    (IgnoreRequest("Forbidden by robots.txt"), "Forbidden by robots.txt"),
    (IgnoreRequest("refused: 10.0.0.7 is a private address; set allow_private: true on the source if it is "
                   "really meant to be crawled"), "refused: 10.0.0.7 is a private address"),
])
def test_failures_are_one_line_naming_the_cause(exc, error):
    info = describe_failure(_failure(exc), timeout=7)
    assert info.status is None and info.error.startswith(error) and "\n" not in info.error


def test_the_extractors_are_built_before_the_crawl_starts(tmp_path, monkeypatch):
    """What the site extractors build on first use (the technology fingerprints, trafilatura's stop lists: about a
    second) is built before Scrapy's event loop runs, not on the first page, where it would hold back the download
    timeouts of every request in flight."""
    import trafilatura.external

    from crawler import process as crawl_process
    from extractors.fingerprints import load_fingerprints

    load_fingerprints.cache_clear()
    monkeypatch.setattr(trafilatura.external, "JT_STOPLIST", None)
    built_when_started: list[bool] = []

    class NoCrawl:  # stands in for CrawlerProcess: the test looks at the moment the reactor would start
        def __init__(self, settings):
            pass

        def create_crawler(self, spider):
            return type("Crawler", (), {"stats": type("Stats", (), {"get_value": staticmethod(lambda key: None)})})

        def crawl(self, crawler, **kwargs):
            pass

        def start(self):
            built_when_started.append(load_fingerprints.cache_info().currsize == 1
                                      and trafilatura.external.JT_STOPLIST is not None)

    monkeypatch.setattr(crawl_process, "CrawlerProcess", NoCrawl)
    config = tmp_path / "competitors.yaml"
    config.write_text("competitors:\n  - slug: a\n    name: A\n    sources:\n      - kind: site\n"
                      "        url: http://127.0.0.1:9/\n        allow_private: true\n", encoding="utf-8")
    database_url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = create_db_engine(database_url)
    upgrade(engine)
    loaded = load_config(config)
    refs = sync_sources(engine, [c.model_dump(mode="json") for c in loaded.competitors])
    engine.dispose()
    crawl_process.crawl(order_for(loaded, 1, refs), database_url)
    assert built_when_started == [True]
