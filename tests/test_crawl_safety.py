"""Safety: a source requests only its own site and the hosts it allows; off-site redirects are not followed and
private addresses are refused before any connection. Real crawls use loopback only: the source lives on
127.0.0.1, the "elsewhere" it is lured to on 127.0.0.2, an allowed host on 127.0.0.3."""
from __future__ import annotations

import asyncio
import os
import shutil

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from sqlalchemy import select

from crawler.browser import ENV
from crawler.safety import SafetyMiddleware, address_kind, allowed_url, host_resolver_rules, refusal
from crawler.sources import SourcePlan
from crawlsites import Reply, Sites, page, redirect, write_config
from dossier.config import parse_config
from dossier.errors import ConfigError
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope

HAS_BROWSER = bool(os.environ.get(ENV) or any(shutil.which(name) for name in ("chromium", "chromium-browser")))
needs_browser = pytest.mark.skipif(not HAS_BROWSER and not os.environ.get("CI"),
                                   reason="Chromium not installed (apt-get install chromium); CI always has it")


def _plan(url: str = "https://shop.example/", **extra) -> SourcePlan:
    return SourcePlan(source_id=1, competitor_id=1, competitor_slug="shop", kind="site", url=url, max_pages=10,
                      max_depth=2, **extra)


def _resolving_to(address: str):
    async def resolve(host: str) -> list[str]:
        return [address]
    return resolve


async def _no_dns(host: str) -> list[str]:
    raise AssertionError(f"{host} was looked up: the check should not have needed DNS")


# --- the rules, without a network ---------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.0.0.2", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"),
    ("100.64.0.1", "non-public"), ("224.0.0.1", "multicast"),
    ("93.184.215.14", None), ("2606:4700::1111", None),
])
def test_address_kinds(address, kind):
    assert address_kind(address) == kind


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://shop.example/a", True), ("http://shop.example/a", True), ("https://www.shop.example/a", True),
    ("https://shop.example:8443/a", False),  # another port is another site
    ("https://cdn.shop.example/p.json", False),  # a subdomain is not the site ...
    ("https://evil.example/", False), ("ftp://shop.example/", False), ("file:///etc/passwd", False),
])
def test_only_the_sources_site(url, allowed):
    assert allowed_url(_plan(), url) is allowed


def test_allow_domains_admit_those_hosts_and_their_subdomains():
    plan = _plan(allow_domains=("shopcdn.example",))
    assert allowed_url(plan, "https://shopcdn.example/x") and allowed_url(plan, "https://eu.shopcdn.example/x")
    assert not allowed_url(plan, "https://notshopcdn.example/x")


def test_the_cloud_metadata_address_is_refused_without_a_dns_lookup_or_a_connection():
    why = asyncio.run(refusal(_plan("http://169.254.169.254/"), "http://169.254.169.254/latest/meta-data/", _no_dns))
    assert str(why) == ("refused: 169.254.169.254 is a link-local address; set allow_private: true on the source if "
                        "it is really meant to be crawled") and why.outcome == "private_address"


def test_an_allowed_host_that_resolves_to_a_private_address_is_refused():
    plan = _plan(allow_domains=("internal.shop.example",))
    why = asyncio.run(refusal(plan, "https://internal.shop.example/admin", _resolving_to("10.0.0.7")))
    assert str(why).startswith("refused: internal.shop.example (10.0.0.7) is a private address; set allow_private")
    assert asyncio.run(refusal(plan, "https://internal.shop.example/", _resolving_to("93.184.215.14"))) is None


def test_allow_private_admits_private_addresses_of_the_sources_hosts_only():
    plan = _plan("http://127.0.0.1:8080/", allow_private=True)
    assert asyncio.run(refusal(plan, "http://127.0.0.1:8080/a", _no_dns)) is None
    off_site = asyncio.run(refusal(plan, "http://127.0.0.2:8080/a", _no_dns))
    assert str(off_site).startswith("off-site: 127.0.0.2:8080 ") and off_site.outcome == "off_site"
    assert str(asyncio.run(refusal(plan, "http://169.254.169.254/", _no_dns))).startswith("off-site: ")


class _Stats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key):
        self.values[key] = self.values.get(key, 0) + 1


class _Crawler:
    def __init__(self, plan):
        self.spider = type("Spider", (), {"plans": {plan.source_id: plan}})()
        self.stats = _Stats()


def test_the_middleware_refuses_an_off_site_redirect_naming_where_it_came_from():
    crawler = _Crawler(_plan())
    middleware = SafetyMiddleware(crawler, resolve=_no_dns)
    hop = Request("http://169.254.169.254/latest/meta-data/",
                  meta={"dossier_source_id": 1, "redirect_urls": ["https://shop.example/go"]})
    with pytest.raises(IgnoreRequest) as refused:
        asyncio.run(middleware.process_request(hop))
    assert str(refused.value) == ("off-site redirect from https://shop.example/go not followed: 169.254.169.254 is "
                                  "neither the source's site nor in its allow_domains")
    assert crawler.stats.values == {"dossier/refused/off_site": 1}
    robots = Request("https://shop.example/robots.txt", meta={"dont_obey_robotstxt": True})
    assert asyncio.run(middleware.process_request(robots)) is None  # not a page of a source: passed on


def test_chromium_resolves_only_the_js_sources_hosts():
    plans = [_plan("https://shop.example/deals", render="js", allow_domains=("shopcdn.example",)),
             _plan("https://static-only.example/")]
    assert host_resolver_rules(plans) == ("MAP * ~NOTFOUND, EXCLUDE *.shopcdn.example, EXCLUDE shop.example, "
                                          "EXCLUDE shopcdn.example, EXCLUDE www.shop.example")


@pytest.mark.parametrize("value", ["https://cdn.example", "cdn.example/path", "", "cdn example"])
def test_allow_domains_takes_host_names_only(value):
    with pytest.raises(ConfigError) as raised:
        parse_config({"competitors": [{"slug": "a", "name": "A", "sources": [
            {"kind": "site", "url": "https://a.example/", "allow_domains": [value]}]}]})
    message = str(raised.value)
    assert "\n" not in message and message.startswith("config: competitors[0].sources[0].allow_domains")
    assert "not a host name such as cdn.competitor.example" in message


# --- real crawls on loopback ----------------------------------------------------------------------------------

def _home(elsewhere: str) -> Reply:
    return page("Shop", "/about.html", f"{elsewhere}/linked.html", "/away", "/to-cdn", "/chain")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("safety")
    hosts = {"elsewhere": "127.0.0.2", "cdn": "127.0.0.3"}
    routes = {"elsewhere": {"/linked.html": page("Elsewhere"), "/landing": page("Landing"),
                            "/robots.txt": Reply("", content_type="text/plain")},
              "cdn": {"/ok.html": page("Allowed CDN page"), "/robots.txt": Reply("", content_type="text/plain")}}
    with Sites(hosts=hosts, shop={}, **routes) as sites:
        elsewhere, cdn = sites.base("elsewhere"), sites.base("cdn")
        sites.routes["shop"] = {
            "/": _home(elsewhere),
            "/about.html": page("About"),
            "/away": redirect(f"{elsewhere}/landing", status=302),
            "/to-cdn": redirect(f"{cdn}/ok.html", status=302),
            "/chain": redirect("/chain-2"),
            "/chain-2": redirect(f"{elsewhere}/landing", status=307),
        }
        shop = sites.base("shop")
        config = write_config(folder, [{"slug": "shop", "name": "Shop", "sources": [
            {"kind": "site", "url": f"{shop}/", "max_depth": 2, "allow_domains": ["127.0.0.3"]}]}])
        database_url = f"sqlite:///{folder / 'dossier.db'}"
        result = run_once(config, database_url, folder / "outbox")
    engine = create_db_engine(database_url)
    with session_scope(engine) as session:
        rows = {row.url: row for row in session.scalars(
            select(models.Fetch).where(models.Fetch.run_id == result.run_id))}
        stats = session.get(models.CrawlRun, result.run_id).stats
    engine.dispose()
    return result, sites, shop, elsewhere, cdn, rows, stats


def test_nothing_reached_the_host_the_source_was_lured_to(crawled):
    result, sites, shop, elsewhere, cdn, rows, stats = crawled
    assert sites.paths("elsewhere") == []  # not the link, not the redirects, not even its robots.txt
    assert f"{elsewhere}/linked.html" not in rows  # an off-site link is not followed: nothing asked, nothing to record


def test_an_off_site_redirect_is_recorded_as_not_followed(crawled):
    result, sites, shop, elsewhere, cdn, rows, stats = crawled
    refused = (f"off-site redirect from {shop}/away not followed: {elsewhere.removeprefix('http://')} is neither "
               "the source's site nor in its allow_domains")
    landing = rows[f"{elsewhere}/landing"]  # one row per URL: whichever of the two redirects came last names it
    assert landing.status is None and landing.error in {refused, refused.replace("/away", "/chain-2")}
    assert (rows[f"{shop}/away"].status, rows[f"{shop}/away"].error) == (
        302, f"redirected to {elsewhere}/landing: {refused}")
    assert rows[f"{shop}/chain"].error.startswith(f"redirected to {elsewhere}/landing: off-site redirect from "
                                                  f"{shop}/chain-2 not followed")
    assert stats["crawl"]["dossier/refused/off_site"] == 2
    assert result.status == "succeeded"  # the start page was read: refused links are not a failed source


def test_a_redirect_to_an_allowed_host_is_followed(crawled):
    result, sites, shop, elsewhere, cdn, rows, stats = crawled
    assert sites.paths("cdn") == ["/robots.txt", "/ok.html"]
    assert (rows[f"{shop}/to-cdn"].status, rows[f"{cdn}/ok.html"].status) == (302, 200)


JS_TRAP = """<!doctype html><html><head><title>Deals</title>
<script src="{elsewhere}/tracker.js"></script></head>
<body><iframe src="{elsewhere}/frame.html"></iframe><span class="price">$5.00</span></body></html>"""


@needs_browser
@pytest.mark.browser
def test_the_browser_follows_no_redirect_and_loads_nothing_off_site(tmp_path):
    elsewhere_routes = {"/landing": page("Landing"), "/frame.html": page("Frame"),
                        "/tracker.js": Reply("", content_type="text/javascript")}
    with Sites(hosts={"elsewhere": "127.0.0.2"}, shop={}, elsewhere=elsewhere_routes) as sites:
        elsewhere = sites.base("elsewhere")
        sites.routes["shop"] = {"/deals": Reply(JS_TRAP.replace("{elsewhere}", elsewhere)),
                                "/away": redirect(f"{elsewhere}/landing", status=302)}
        shop = sites.base("shop")
        config = write_config(tmp_path, [{"slug": "js", "name": "JS", "sources": [
            {"kind": "site", "url": f"{shop}/deals", "render": "js", "max_depth": 0},
            {"kind": "site", "url": f"{shop}/away", "render": "js", "max_depth": 0}]}], timeout=5)
        database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
        result = run_once(config, database_url, tmp_path / "outbox")
        assert sites.paths("elsewhere") == []  # Chromium could not even resolve it
    engine = create_db_engine(database_url)
    with session_scope(engine) as session:
        rows = {row.url: row for row in session.scalars(
            select(models.Fetch).where(models.Fetch.run_id == result.run_id))}
        crawl = session.get(models.CrawlRun, result.run_id).stats["crawl"]
    engine.dispose()
    assert rows[f"{shop}/deals"].status == 200  # read, without the tracker and the frame ...
    assert crawl["playwright/request_count/aborted"] == 2  # ... which the browser aborted before asking
    away = rows[f"{shop}/away"]
    assert away.status is None and "ERR_NAME_NOT_RESOLVED" in away.error
