"""SSRF and scope (issue 10, family 4), on loopback only: a source is lured off its site by links, redirects, a
meta refresh, robots.txt and a sitemap, and to private and link-local addresses; every such URL is refused
before any connection.

One crawl, in its own process, of a shop on 127.0.0.1 (`allow_private: true`, as the test sites need) that
allows a CDN on 127.0.0.3 (`allow_domains`). What it is lured to is a `Listener` that counts every connection it
accepts, on 127.0.0.2, on 127.0.0.1 and on ::1, one port (PORT2) for all three: the proof is that it accepted
none. The metadata address (169.254.169.254) is only redirected to, and refused from the URL alone. The crawl
process runs under an audit hook (tests/crawlsites/netguard.py) that logs every connect and name lookup and
refuses, before a packet leaves, any that is not loopback: a defect can fail a test, never reach the network.

What a site is: its scheme-less host *as written* and its port (crawler/safety.py `same_site`). `localhost` is
another host than 127.0.0.1 even though it resolves to it, and another port of the same host is another site:
both are refused as off-site, whatever they resolve to, and without resolving them.
"""
from __future__ import annotations

import asyncio

import pytest
from crawlsites import Reply, Sites, page, redirect, write_config
from crawlsites.netguard import Listener, socket_guard, socket_uses
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from sqlalchemy import select

from crawler.safety import SafetyMiddleware, refusal
from crawler.sources import SourcePlan
from dossier.config import parse_config
from dossier.errors import ConfigError
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope

TIMEOUT = 5  # seconds: nothing here should wait for it; a generous bound on a busy machine
METADATA = "http://169.254.169.254/latest/meta-data/"
REDIRECTS = (301, 302, 303, 307, 308)


def shop(other: str, port2: int, own_port: int, cdn: str) -> dict:
    """The shop's routes: `other` is http://127.0.0.2:PORT2, `cdn` the allowed host's base URL."""
    lures = [f"/r{status}" for status in REDIRECTS] + [
        "/refresh", "/to-ipv6", "/to-other-port", "/to-localhost", "/to-localhost-same-port", "/to-metadata", "/to-userinfo",
        "/to-backslash", "/to-cdn"]
    return {
        "/robots.txt": Reply(f"User-agent: *\nAllow: /\nSitemap: {{base}}/sitemap.xml\nSitemap: {other}/sitemap.xml\n",
                             content_type="text/plain"),
        "/sitemap.xml": Reply(
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{{base}}/from-sitemap.html</loc></url><url><loc>{other}/listed.html</loc></url></urlset>",
            content_type="application/xml"),
        "/": page("Scoped Shop", "/about.html", f"{other}/linked.html", *lures),
        "/about.html": page("About", body="<p>Family business since 1921.</p>"),
        "/from-sitemap.html": page("From the sitemap"),
        **{f"/r{status}": redirect(f"{other}/r{status}", status=status) for status in REDIRECTS},
        "/refresh": Reply(f"<html><head><meta http-equiv='refresh' content='0; url={other}/refreshed'>"
                          "<title>Moving</title></head><body>Moving…</body></html>"),
        "/to-ipv6": redirect(f"http://[::1]:{port2}/v6", status=302),
        "/to-other-port": redirect(f"http://127.0.0.1:{port2}/other-port", status=302),  # the same host
        "/to-localhost": redirect(f"http://localhost:{port2}/elsewhere", status=302),
        # the shop's own server, by another name: the same machine and port, another host
        "/to-localhost-same-port": redirect(f"http://localhost:{own_port}/secret", status=302),
        "/to-metadata": redirect(METADATA, status=302),
        # the shop as user name and password, 127.0.0.2 as the host
        "/to-userinfo": redirect(f"http://127.0.0.1:{own_port}@127.0.0.2:{port2}/userinfo", status=302),
        # the parsers disagree: urlsplit reads host 127.0.0.1 (after the "@"), a browser and Scrapy 127.0.0.2
        # (a backslash ends the authority); the check must see the URL Scrapy would connect to
        "/to-backslash": redirect(f"http://127.0.0.2:{port2}\\@127.0.0.1:{own_port}/backslash", status=302),
        "/to-cdn": redirect(f"{cdn}/ok.html", status=302),
        "/secret": page("Secret", body="<p>Not for the crawl by another name.</p>"),
    }


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults-scope")
    env, socket_log = socket_guard(folder / "guard")
    cdn_routes = {"/ok.html": page("Allowed CDN page"), "/robots.txt": Reply("", content_type="text/plain")}
    with Listener(hosts=("127.0.0.2", "127.0.0.1")) as listener, \
            Sites(hosts={"cdn": "127.0.0.3"}, shop={}, cdn=cdn_routes, moved={}) as sites, pytest.MonkeyPatch.context() as mp:
        base, cdn = sites.base("shop"), sites.base("cdn")
        own_port = int(base.rsplit(":", 1)[1])
        other = f"http://127.0.0.2:{listener.port}"
        sites.routes["shop"] = shop(other, listener.port, own_port, cdn)
        sites.routes["moved"] = {"/robots.txt": redirect(f"{other}/robots.txt", status=301),
                                 "/": page("Moved Rules", "/a.html"), "/a.html": page("A")}
        config = write_config(folder, [
            {"slug": "shop", "name": "Scoped Shop", "sources": [
                {"kind": "site", "url": f"{base}/", "max_depth": 1, "sitemap": True,
                 "allow_domains": ["127.0.0.3"]}]},
            {"slug": "moved", "name": "Moved Rules", "sources": [{"kind": "site", "url": f"{sites.base('moved')}/"}]},
        ], timeout=TIMEOUT)
        for name, value in env.items():
            mp.setenv(name, value)
        database_url = f"sqlite:///{folder / 'dossier.db'}"
        result = run_once(config, database_url, folder / "outbox")
        paths = {name: sites.paths(name, probes=True) for name in sites.routes}
        accepted = dict(listener.accepted)
        has_ipv6 = listener.has_ipv6
    engine = create_db_engine(database_url)
    with session_scope(engine) as session:
        rows = {row.url: row for row in session.scalars(
            select(models.Fetch).where(models.Fetch.run_id == result.run_id))}
        stats = session.get(models.CrawlRun, result.run_id).stats
        sources = {s.url: s.id for s in session.scalars(select(models.Source))}
    engine.dispose()
    crawl = Crawl(result, rows, stats, sources, paths, accepted, has_ipv6, socket_uses(socket_log), base, cdn,
                  other, own_port)
    crawl.moved = sites.base("moved")
    return crawl


class Crawl:
    def __init__(self, result, rows, stats, sources, paths, accepted, has_ipv6, uses, base, cdn, other, own_port):
        self.result, self.rows, self.stats, self.sources = result, rows, stats, sources
        self.paths, self.accepted, self.has_ipv6, self.uses = paths, accepted, has_ipv6, uses
        self.base, self.cdn, self.other, self.own_port = base, cdn, other, own_port
        self.port2 = int(other.rsplit(":", 1)[1])
        self.other_netloc = other.removeprefix("http://")

    def report(self, url: str) -> dict:
        return self.stats["sources"][str(self.sources[url])]

    def off_site(self, hop: str, target: str) -> str:
        """The error of a URL an off-site redirect from `hop` led to."""
        netloc = target.split("://", 1)[1].split("/", 1)[0]
        return (f"off-site redirect from {self.base}{hop} not followed: {netloc} is neither the source's site nor "
                "in its allow_domains")


# -- the proofs: no connection, no lookup, no packet ------------------------------------------------------------
def test_the_host_the_crawl_was_lured_to_accepted_no_connection(crawled):
    assert crawled.accepted == {}  # not on 127.0.0.2, not on 127.0.0.1:PORT2, not on [::1]:PORT2


def test_the_crawl_connected_only_to_the_shop_and_the_allowed_cdn(crawled):
    connected = {(use.host, use.port) for use in crawled.uses if use.event == "connect"}
    shop_port, cdn_port = crawled.own_port, int(crawled.cdn.rsplit(":", 1)[1])
    moved_port = int(crawled.moved.rsplit(":", 1)[1])
    assert connected == {("127.0.0.1", shop_port), ("127.0.0.3", cdn_port), ("127.0.0.1", moved_port)}


def test_the_off_site_hosts_were_not_even_looked_up(crawled):
    """Off-site URLs are refused from the URL alone: `localhost` was never resolved, only the addresses the crawl
    connected to went through the resolver (Twisted passes IP literals through getaddrinfo too)."""
    looked_up = {use.host for use in crawled.uses if use.event == "lookup"}
    assert looked_up <= {"127.0.0.1", "127.0.0.3"}


def test_not_a_single_attempt_to_reach_the_metadata_address(crawled):
    assert not [use for use in crawled.uses if use.host.startswith("169.254.")]


def test_the_shop_was_never_asked_for_a_page_by_another_name(crawled):
    assert "/secret" not in crawled.paths["shop"]


# -- every refused URL is visible, with one line ----------------------------------------------------------------
@pytest.mark.parametrize("status", REDIRECTS)
def test_an_off_site_redirect_is_refused_and_recorded(crawled, status):
    target = f"{crawled.other}/r{status}"
    refused = crawled.off_site(f"/r{status}", target)
    hop, landing = crawled.rows[f"{crawled.base}/r{status}"], crawled.rows[target]
    assert (hop.status, hop.error) == (status, f"redirected to {target}: {refused}")
    assert (landing.status, landing.error) == (None, refused)


# (path on the shop, where it redirects: {other} is http://127.0.0.2:PORT2, {port2} its port, {own} the shop's)
LURES = [
    ("/refresh", "{other}/refreshed", 200),  # a meta refresh is a redirect that answered 200
    ("/to-other-port", "http://127.0.0.1:{port2}/other-port", 302),  # another port is another site
    ("/to-localhost", "http://localhost:{port2}/elsewhere", 302),
    ("/to-localhost-same-port", "http://localhost:{own}/secret", 302),
    ("/to-metadata", METADATA, 302),
    ("/to-userinfo", "http://127.0.0.1:{own}@127.0.0.2:{port2}/userinfo", 302),
    ("/to-backslash", "{other}/@127.0.0.1:{own}/backslash", 302),  # as Scrapy reads it, and would connect
]


@pytest.mark.parametrize(("path", "target", "status"), LURES, ids=[path for path, _, _ in LURES])
def test_every_other_lure_is_refused_and_recorded(crawled, path, target, status):
    target = target.format(other=crawled.other, port2=crawled.port2, own=crawled.own_port)
    refused = crawled.off_site(path, target)
    hop, landing = crawled.rows[f"{crawled.base}{path}"], crawled.rows[target]
    assert (hop.status, hop.error) == (status, f"redirected to {target}: {refused}")
    assert (landing.status, landing.error) == (None, refused)
    assert "\n" not in landing.error


def test_a_redirect_to_ipv6_loopback_is_refused_and_recorded(crawled):
    target = f"http://[::1]:{crawled.port2}/v6"
    landing = crawled.rows[target]
    assert (landing.status, landing.error) == (None, crawled.off_site("/to-ipv6", target))
    if not crawled.has_ipv6:
        pytest.skip("no IPv6 loopback here: refused, but nothing listened on [::1] to prove it")


def test_the_crawl_counts_what_it_refused(crawled):
    # 5 redirects, the meta refresh, 6 other lures, the one to [::1]; the moved robots.txt, asked for once
    assert crawled.stats["crawl"]["dossier/refused/off_site"] == len(REDIRECTS) + len(LURES) + 1 + 1
    assert "dossier/refused/private" not in crawled.stats["crawl"]  # allow_private: the shop is on loopback


@pytest.mark.parametrize("url", [METADATA, "http://localhost:8080/", "http://10.0.0.7/", "http://[::1]/",
                                 "http://[fe80::1]/"])
def test_a_source_on_a_private_address_is_refused_when_the_config_is_read(url):
    """A source's own URL on a private, link-local or loopback address (or `localhost`) is refused before any
    crawl, as one line, unless it says allow_private: true; the crawl's resolver check is the second guard (for
    names that resolve to such addresses, and for allow_domains hosts), tested below without a network."""
    with pytest.raises(ConfigError) as raised:
        parse_config({"competitors": [{"slug": "a", "name": "A", "sources": [{"kind": "site", "url": url}]}]})
    message = str(raised.value)
    assert "\n" not in message and message.startswith("config: competitors[0].sources[0].url: ")
    assert message.endswith("is a private or loopback address; add allow_private: true if you mean it")


def test_an_off_site_sitemap_named_by_robots_txt_is_not_read(crawled):
    discovery = crawled.report(f"{crawled.base}/")["discovery"]
    entry = next(e for e in discovery if e["url"] == f"{crawled.other}/sitemap.xml")
    assert entry["error"] == "neither on the source's site nor in its allow_domains: not read"


def test_an_off_site_url_listed_in_a_sitemap_is_named_in_the_report(crawled):
    listed = f"{crawled.other}/listed.html"
    discovery = crawled.report(f"{crawled.base}/")["discovery"]
    named = [e for e in discovery if e.get("url") == listed and e.get("error")] or \
        ([crawled.rows[listed]] if listed in crawled.rows and crawled.rows[listed].error else [])
    assert named


def test_an_off_site_link_is_not_followed(crawled):
    """A link is not a request: links to other hosts (a payment provider, a social network) are on every page and
    are simply not followed, like links outside `follow`; no row records them (docs/reliability.md)."""
    assert f"{crawled.other}/linked.html" not in crawled.rows


def test_a_robots_txt_redirected_off_site_is_not_followed(crawled):
    """Scrapy's robots.txt request is not a page of a source, but where it is redirected is checked all the same:
    the rules of the site are then unknown, so it is not crawled tonight (RFC 9309's reading of a robots.txt that
    cannot be read, crawler/robots.py), and the reason says where robots.txt tried to lead."""
    row = crawled.rows[f"{crawled.moved}/"]
    assert row.status is None and row.error == (
        f"robots.txt unreachable (off-site redirect from {crawled.moved}/robots.txt not followed: "
        f"{crawled.other_netloc} is neither the site of a source nor in its allow_domains): the site is not crawled "
        "tonight (RFC 9309)")
    # asked once, by the robots.txt middleware for its rules (the spider's request for its sitemaps and the site
    # audit is answered from that: docs/crawling.md), and the redirect not followed
    assert crawled.paths["moved"] == ["/robots.txt"]
    discovery = crawled.report(f"{crawled.moved}/")["discovery"]
    assert [entry["error"] for entry in discovery if entry.get("robots")] == [row.error]


# -- what is allowed stays fine ----------------------------------------------------------------------------------
def test_a_redirect_to_the_allowed_cdn_is_followed(crawled):
    assert (crawled.rows[f"{crawled.base}/to-cdn"].status, crawled.rows[f"{crawled.cdn}/ok.html"].status) == (302, 200)
    assert crawled.paths["cdn"] == ["/robots.txt", "/ok.html"]


def test_the_shops_own_pages_are_read(crawled):
    for path in ("/", "/about.html", "/from-sitemap.html"):
        row = crawled.rows[f"{crawled.base}{path}"]
        assert (row.status, row.error) == (200, None), path
    report = crawled.report(f"{crawled.base}/")
    assert report["status"] == "succeeded"


def test_no_exception_escapes_the_crawl(crawled):
    crawl = crawled.stats["crawl"]
    assert not [key for key in crawl if key.startswith(("spider_exceptions", "log_count/CRITICAL"))], crawl
    assert crawled.result.status == "partial"  # the site whose robots.txt leads off-site is skipped for the night


# -- the resolver check, without a network --------------------------------------------------------------------
def _plan(url: str = "https://shop.example/", **extra) -> SourcePlan:
    return SourcePlan(source_id=1, competitor_id=1, competitor_slug="shop", kind="site", url=url, max_pages=10,
                      max_depth=1, **extra)


def _resolving_to(*addresses: str):
    async def resolve(host: str) -> list[str]:
        return list(addresses)
    return resolve


# A name of the source's own site or of its allow_domains that resolves to a non-public address: DNS rebinding
# and internal names. (Public-only answers and the kinds themselves: tests/test_crawl_safety.py.)
@pytest.mark.parametrize(("answer", "kind"), [
    (("127.0.0.2",), "loopback"), (("10.0.0.7",), "private"), (("169.254.169.254",), "link-local"),
    (("93.184.215.14", "192.168.1.1"), "private"),  # one private address among public ones is enough
    (("::ffff:169.254.169.254",), "link-local"), (("fd12::1",), "private"), (("0.0.0.0",), "unspecified"),
])
def test_a_name_that_resolves_to_a_non_public_address_is_refused(answer, kind):
    why = asyncio.run(refusal(_plan(allow_domains=("cdn.example",)), "https://cdn.example/x", _resolving_to(*answer)))
    assert why is not None and str(why).startswith("refused: cdn.example (") and f"is a {kind} address" in str(why)


class _Stats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key):
        self.values[key] = self.values.get(key, 0) + 1


def test_the_middleware_refuses_a_name_resolving_to_private_before_any_connection():
    plan = _plan()
    crawler = type("Crawler", (), {"spider": type("Spider", (), {"plans": {1: plan}})(), "stats": _Stats()})()
    middleware = SafetyMiddleware(crawler, resolve=_resolving_to("10.1.2.3"))
    with pytest.raises(IgnoreRequest, match=r"^refused: shop\.example \(10\.1\.2\.3\) is a private address"):
        asyncio.run(middleware.process_request(Request("https://shop.example/a", meta={"dossier_source_id": 1})))
    assert crawler.stats.values == {"dossier/refused/private": 1}


def _robots_hop(url: str, origin: str = "https://shop.example/robots.txt") -> Request:
    """Scrapy's robots.txt request (no source), redirected from `origin` to `url`."""
    return Request(url, meta={"dont_obey_robotstxt": True, "redirect_urls": [origin]})


@pytest.mark.parametrize(("url", "answer", "error"), [
    ("https://www.shop.example/robots.txt", "93.184.215.14", None),  # the same site: followed
    ("https://eu.shopcdn.example/robots.txt", "93.184.215.14", None),  # an allowed host: followed
    ("https://shopcdn.example/robots.txt", "10.0.0.9", "refused: shopcdn.example (10.0.0.9) is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "-", ("off-site redirect from https://shop.example/robots.txt not "
                                                       "followed: 169.254.169.254 is neither the site of a source")),
])
def test_a_redirect_of_robots_txt_is_checked_like_a_page(url, answer, error):
    plan = _plan(allow_domains=("shopcdn.example",))
    crawler = type("Crawler", (), {"spider": type("Spider", (), {"plans": {1: plan}})(), "stats": _Stats()})()
    middleware = SafetyMiddleware(crawler, resolve=_resolving_to(answer))
    if error is None:
        assert asyncio.run(middleware.process_request(_robots_hop(url))) is None
        return
    with pytest.raises(IgnoreRequest) as refused:
        asyncio.run(middleware.process_request(_robots_hop(url)))
    assert str(refused.value).startswith(error) and "\n" not in str(refused.value)
