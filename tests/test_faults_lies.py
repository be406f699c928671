"""Lies that look like success (issue 10, family 7), on loopback: answers that say 200 or carry a number but are
not what they seem. Three nights of one config: clean (the baseline), lying, clean again with one real change.

- a captcha or "Access denied" template answered with 200 is a blocked fetch, not a page: nothing extracted, no
  text or price change, no removal; a source whose start page is one fails, as a failed fetch would make it;
- a robots.txt that answers 5xx (or 429) or times out disallows its site for the night (RFC 9309 §2.3.1.4): the
  source is skipped, not emptied; a 4xx robots.txt allows everything, whatever its error page says; a robots.txt
  over 500 KiB is read up to there (§2.5), after its last whole line;
- an ambiguous price (3.350) follows the competitor's or the source's `decimal_separator`;
- a price that moves more than tenfold in a night is held as a `price_anomaly`, not alerted; the next night
  compares with the price trusted before it.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from crawler.robots import ROBOTS_MAX_BYTES, within_parsing_limit
from crawlsites import Reply, Sites, page, write_config
from extractors.challenge import challenge_page
from schedules.digest import DigestItem, render_digest
from schedules.nightly import run_once
from storage import models
from storage.compare import PriceSeen, Rules, compare_products, product_drafts
from storage.db import create_db_engine, session_scope
from storage.queries import list_changes

TIMEOUT = 1  # seconds: the test config's timeout
SELECTORS = {"product": ".product", "name": ".name", "price": ".price", "sku": "::attr(data-sku)"}

# -- the pages a bot wall answers with (status 200) ---------------------------------------------------------------
CLOUDFLARE = Reply(
    "<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title></head><body><div class='main-wrapper'>"
    "<h1>shop.example</h1><h2 id='challenge-running'>Checking if the site connection is secure</h2>"
    "<noscript>Enable JavaScript and cookies to continue</noscript></div><script>window._cf_chl_opt={cvId: '3'};"
    "</script><script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script></body></html>")
ZUGRIFF = Reply("<html lang='de'><head><title>Zugriff verweigert</title></head><body><h1>Zugriff verweigert</h1>"
                "<p>Ihre Anfrage wurde als automatisiert erkannt.</p></body></html>")
DOSTUP = Reply("<html lang='ru'><head><title>Доступ запрещён</title></head><body><h1>Доступ запрещён</h1>"
               "<p>Ваш IP-адрес временно заблокирован.</p></body></html>")
HCAPTCHA = Reply("<html><head><title>Security</title><script src='https://hcaptcha.com/1/api.js'></script></head>"
                 "<body><p>Please verify you are human to continue.</p><form><div class='h-captcha' "
                 "data-sitekey='10000000-ffff'></div></form></body></html>")
SMARTCAPTCHA = Reply("<html lang='ru'><head><title>Ой!</title></head><body><form action='/checkcaptcha'>"
                     "<h1>Вы не робот?</h1><p>Подтвердите, что запросы отправляли вы, а не робот.</p>"
                     "<div class='smart-captcha' data-sitekey='ysc1_x'></div></form></body></html>")
# An ordinary contact form with a reCAPTCHA: a page like any other, on every night.
CONTACT = page("Contact", body="<form><input name='email'><div class='g-recaptcha' data-sitekey='x'></div></form>"
                               "<p>This site is protected by reCAPTCHA and the Google Privacy Policy.</p>")


def product(sku: str, name: str, price: str, extra: str = "") -> Reply:
    return Reply(f"<!doctype html><html><head><title>{name}</title></head><body><div class='product' "
                 f"data-sku='{sku}'><h1 class='name'>{name}</h1><span class='price'>{price}</span></div>{extra}"
                 "</body></html>")


def listing(title: str, *items: tuple[str, str, str]) -> Reply:
    """Products on the listing itself: (sku, name, price as shown)."""
    cards = "".join(f"<div class='product' data-sku='{sku}'><h2 class='name'>{name}</h2>"
                    f"<span class='price'>{price}</span></div>" for sku, name, price in items)
    return page(title, body=cards)


WALL_INFO = ["/about.html", "/news.html", "/team.html", "/contact.html"]
WALL_SHOP = [f"/shop/p{n}" for n in range(1, 5)]


def wall(night: int) -> dict:
    """A shop whose bot wall answers some pages with a 200 challenge on night 2."""
    routes = {
        "/": page("Wall Tools", *WALL_INFO, "/shop/"),
        "/about.html": page("About", body="<p>Family business since 1921.</p>"),
        "/news.html": page("News", body="<p>No news is good news.</p>"),
        "/team.html": page("Team", body="<p>Twelve people.</p>"),
        "/contact.html": CONTACT,
        "/shop/": page("Shop", *WALL_SHOP),
        "/shop/p1": product("W1", "Wheel 1", "12.00 EUR" if night == 3 else "10.00 EUR"),
        "/shop/p2": product("W2", "Wheel 2", "20.00 EUR"),
        "/shop/p3": product("W3", "Wheel 3", "30.00 EUR"),
        # a product page that carries a captcha in its question form and still shows its product: a page
        "/shop/p4": product("W4", "Wheel 4", "40.00 EUR", extra="<form><div class='g-recaptcha'></div><p>Please "
                                                               "confirm you are not a robot to ask a question.</p>"
                                                               "</form>"),
    }
    if night == 2:
        routes.update({"/about.html": ZUGRIFF, "/news.html": CLOUDFLARE, "/shop/p2": DOSTUP, "/shop/p3": HCAPTCHA})
    return routes


def walled(night: int) -> dict:
    """A catalog whose start page is a Yandex SmartCaptcha on night 2."""
    return {"/": SMARTCAPTCHA if night == 2 else listing("Gruz", ("G1", "Truck 1", "4900.00 RUB"),
                                                          ("G2", "Truck 2", "5900.00 RUB"))}


ROBOTS_OK = Reply("User-agent: *\nAllow: /\n", content_type="text/plain")
ROBOTS_FAULTS = {
    "r503": Reply("Service unavailable", status=503, content_type="text/plain"),
    "r429": Reply("Too many requests", status=429, content_type="text/plain"),
    "rslow": Reply("User-agent: *\nAllow: /\n", content_type="text/plain", delay=TIMEOUT + 2),
}


def robots_site(name: str, night: int) -> dict:
    return {"/robots.txt": ROBOTS_FAULTS[name] if night == 2 else ROBOTS_OK,
            "/": listing(name, (f"{name}-1", "Crate", "5.00 USD"), (f"{name}-2", "Box", "7.00 USD"))}


# A robots.txt answering 404 with an error page that reads like "disallow everything": unavailable, so allowed.
ROBOTS_404 = {"/robots.txt": Reply("User-agent: *\nDisallow: /\n", status=404, content_type="text/plain"),
              "/": page("Open Co", "/a.html"), "/a.html": page("A", body="<p>Steady.</p>")}

# A robots.txt of 600 KiB: read up to 500 KiB (RFC 9309 §2.5 lets a crawler stop there), cut after a whole line. The
# rule past the limit is not read; the one before it is obeyed.
HUGE_ROBOTS_TXT = "User-agent: *\nDisallow: /hidden.html\n" + "# a line to pad it\n" * 33_000 + "Disallow: /a.html\n"
ROBOTS_HUGE = {"/robots.txt": Reply(HUGE_ROBOTS_TXT, content_type="text/plain"),
               "/": page("Huge Co", "/a.html", "/hidden.html"), "/a.html": page("A", body="<p>Steady.</p>"),
               "/hidden.html": page("Hidden")}

# (sku, night 1, night 2, night 3)
PRICES = [
    ("A1", "3350.00", "3.35", "3350.00"),  # misread for a night: held, then back: nothing at all
    ("A2", "12.50", "1250.00", "1250.00"),  # a hundredfold that stays: held, then reported from 12.50
    ("A3", "100.00", "1000.00", "1000.00"),  # exactly tenfold: a price rise (the rule is *more than* 10×)
    ("A4", "100.00", "90.00", "90.00"),  # an ordinary drop
]


def prices(night: int) -> dict:
    return {"/": listing("Jumpy", *((sku, f"Item {sku}", f"{values[night - 1]} EUR") for sku, *values in PRICES))}


# The same ambiguous amounts under three competitors: one whose decimal separator is ".", one whose source says
# ",", one that says nothing (read as price-parser reads them, as before the setting existed).
DECIMAL = {f"/{who}/": listing("Preise", ("D1", "Rad", "3.350 €"), ("D2", "Achse", "3,350 €"))
           for who in ("punkt", "komma", "plain")}


def routes(night: int) -> dict[str, dict]:
    return {"wall": wall(night), "walled": walled(night), **{name: robots_site(name, night) for name in ROBOTS_FAULTS},
            "r404": ROBOTS_404, "rbig": ROBOTS_HUGE, "prices": prices(night), "decimal": DECIMAL}


def catalog(url: str, **extra) -> dict:
    return {"kind": "catalog", "url": url, "selectors": SELECTORS, **extra}


@pytest.fixture(scope="module")
def nights(tmp_path_factory, module_database_url):
    folder = tmp_path_factory.mktemp("faults-lies")
    with Sites(**routes(1)) as sites:
        base = {name: sites.base(name) for name in sites.routes}
        config = write_config(folder, [
            {"slug": "wall", "name": "Wall Tools", "sources": [
                {"kind": "site", "url": f"{base['wall']}/", "deny": "/shop/"},
                catalog(f"{base['wall']}/shop/", follow="/shop/p")]},
            {"slug": "walled", "name": "Walled Gruz", "sources": [catalog(f"{base['walled']}/")]},
            *({"slug": name, "name": name, "sources": [catalog(f"{base[name]}/")]} for name in ROBOTS_FAULTS),
            {"slug": "r404", "name": "Open Co", "sources": [{"kind": "site", "url": f"{base['r404']}/"}]},
            {"slug": "rbig", "name": "Huge Co", "sources": [{"kind": "site", "url": f"{base['rbig']}/"}]},
            {"slug": "prices", "name": "Jumpy Prices", "sources": [catalog(f"{base['prices']}/")]},
            {"slug": "punkt", "name": "Punkt", "decimal_separator": ".",
             "sources": [catalog(f"{base['decimal']}/punkt/")]},
            {"slug": "komma", "name": "Komma", "sources": [catalog(f"{base['decimal']}/komma/", decimal_separator=",")]},
            {"slug": "plain", "name": "Plain", "sources": [catalog(f"{base['decimal']}/plain/")]},
        ], timeout=TIMEOUT, concurrency_per_domain=8)
        results, paths = [], []
        for night in (1, 2, 3):
            sites.routes.update(routes(night))
            sites.clear()
            results.append(run_once(config, module_database_url, folder / "outbox"))
            paths.append({name: sites.paths(name, probes=True) for name in sites.routes})
    engine = create_db_engine(module_database_url)
    yield Nights(results, paths, engine, base)
    engine.dispose()


class Nights:
    def __init__(self, results, paths, engine, base):
        self.results, self.paths, self.engine, self.base = results, paths, engine, base
        with session_scope(engine) as session:
            self.sources = {s.url: s.id for s in session.scalars(select(models.Source))}
            self.rows = [{row.url: row for row in session.scalars(select(models.Fetch).where(
                models.Fetch.run_id == result.run_id))} for result in results]
            self.stats = [session.get(models.CrawlRun, result.run_id).stats for result in results]
            self.outcomes = [{row.source_id: row for row in session.scalars(select(models.SourceCrawl).where(
                models.SourceCrawl.run_id == result.run_id))} for result in results]
            self.digests = [session.scalars(select(models.AlertOutbox).where(
                models.AlertOutbox.run_id == result.run_id)).first() for result in results]
            self.prices = [{(slug, key): price for slug, key, price in session.execute(
                select(models.Competitor.slug, models.Product.key, models.PriceObservation.price)
                .join(models.Product, models.Product.id == models.PriceObservation.product_id)
                .join(models.Competitor, models.Competitor.id == models.Product.competitor_id)
                .where(models.PriceObservation.run_id == result.run_id))} for result in results]
            session.expunge_all()

    def url(self, site: str, path: str = "/") -> str:
        return self.base[site] + path

    def row(self, night: int, site: str, path: str) -> models.Fetch:
        return self.rows[night][self.url(site, path)]

    def report(self, night: int, site: str, path: str = "/") -> dict:
        return self.stats[night]["sources"][str(self.sources[self.url(site, path)])]

    def outcome(self, night: int, site: str, path: str = "/") -> models.SourceCrawl:
        return self.outcomes[night][self.sources[self.url(site, path)]]

    def changes(self, night: int, slug: str | None = None) -> list[tuple[str, str]]:
        """(kind, url with the site's base taken off) of a night's changes, of one competitor or all."""
        shown = []
        for change in list_changes(self.engine, run_id=self.results[night].run_id, competitor=slug):
            url = change.url or ""
            for base in self.base.values():
                url = url.removeprefix(base)
            shown.append((change.kind, url))
        return sorted(shown)


def test_the_first_night_is_the_baseline(nights):
    first = nights.results[0]
    assert (first.status, first.changes, first.failed_sources) == ("succeeded", 0, [])


# -- 1. captcha and bot-wall pages answered with 200 --------------------------------------------------------------
BLOCKED = [
    ("/about.html", 'blocked: "Zugriff verweigert" (bot-wall page)'),
    ("/news.html", 'blocked: Cloudflare challenge, "Just a moment..." (captcha page)'),
    ("/shop/p2", 'blocked: "Доступ запрещён" (bot-wall page)'),
    ("/shop/p3", "blocked: hCaptcha (captcha page)"),
]


@pytest.mark.parametrize(("path", "error"), BLOCKED, ids=[path for path, _ in BLOCKED])
def test_a_challenge_page_answered_with_200_is_a_blocked_fetch(nights, path, error):
    row = nights.row(1, "wall", path)
    assert (row.status, row.error) == (200, error)
    clean = nights.row(0, "wall", path)
    assert (clean.status, clean.error) == (200, None)  # the same URL, read as a page on the clean night


def test_blocked_pages_are_counted_and_named_in_the_source_report(nights):
    site, shop = nights.report(1, "wall"), nights.report(1, "wall", "/shop/")
    assert (site["blocked"], shop["blocked"]) == (2, 2)
    named = {entry["url"].removeprefix(nights.base["wall"]): entry["error"]
             for entry in site["failed_urls"] + shop["failed_urls"]}
    assert named == dict(BLOCKED)
    assert (site["status"], shop["status"]) == ("succeeded", "succeeded")  # the rest of each source was read


def test_nothing_is_extracted_from_a_blocked_page(nights):
    with session_scope(nights.engine) as session:
        snapshots = set(session.scalars(select(models.PageSnapshot.url).where(
            models.PageSnapshot.run_id == nights.results[1].run_id)))
    assert nights.url("wall", "/about.html") not in snapshots and nights.url("wall", "/news.html") not in snapshots
    assert nights.url("wall", "/team.html") in snapshots
    assert set(k for slug, k in nights.prices[1] if slug == "wall") == {"W1", "W4"}  # W2, W3 blocked


def test_a_page_with_a_captcha_form_that_still_holds_its_items_is_a_page(nights):
    for night in range(3):  # an ordinary contact form with reCAPTCHA, and a product page asking "not a robot"
        for path in ("/contact.html", "/shop/p4"):
            row = nights.row(night, "wall", path)
            assert (row.status, row.error) == (200, None), (night, path)
    assert nights.prices[1][("wall", "W4")] == Decimal("40.00")


def test_a_blocked_night_brings_no_text_price_or_removal_changes(nights):
    assert nights.changes(1, "wall") == []


def test_a_source_whose_start_page_is_a_captcha_fails_like_a_failed_fetch(nights):
    outcome = nights.outcome(1, "walled")
    assert (outcome.status, outcome.reason) == (
        "failed", "start URL failed: blocked: Yandex SmartCaptcha (captcha page)")
    row = nights.row(1, "walled", "/")
    assert row.status == 200
    assert nights.changes(1, "walled") == [("source_unreachable", "/")]


# -- 2. robots.txt that answers 5xx or 429, or not at all ---------------------------------------------------------
ROBOTS_REASONS = {
    "r503": "robots.txt unreachable (HTTP 503): the site is not crawled tonight (RFC 9309)",
    "r429": "robots.txt unreachable (HTTP 429): the site is not crawled tonight (RFC 9309)",
    "rslow": f"robots.txt unreachable (timed out after {TIMEOUT} s): the site is not crawled tonight (RFC 9309)",
}


@pytest.mark.parametrize("site", list(ROBOTS_REASONS))
def test_an_unreadable_robots_txt_skips_the_source_for_the_night(nights, site):
    outcome = nights.outcome(1, site)
    assert (outcome.status, outcome.reason) == ("skipped", ROBOTS_REASONS[site])
    assert nights.report(1, site)["reason"] == ROBOTS_REASONS[site]
    # robots.txt was asked (and retried: three tries), nothing else: not the page, not the soft-404 probe
    assert nights.paths[1][site] == ["/robots.txt"] * 3
    row = nights.row(1, site, "/")
    assert (row.status, row.error) == (None, ROBOTS_REASONS[site])


@pytest.mark.parametrize("site", list(ROBOTS_REASONS))
def test_a_skipped_source_is_one_notice_and_no_removals(nights, site):
    changes = list_changes(nights.engine, run_id=nights.results[1].run_id, competitor=site)
    assert [(c.kind, c.after, c.severity) for c in changes] == [("source_unreachable", ROBOTS_REASONS[site],
                                                                 "medium")]


def test_a_404_robots_txt_allows_everything_whatever_its_body_says(nights):
    for night in range(3):
        # robots.txt asked once, by the crawl's robots check (the site audit reads that answer); no Sitemap: line,
        # so the audit counts the usual /sitemap.xml
        assert sorted(p for p in nights.paths[night]["r404"] if "dossier-probe" not in p) == [
            "/", "/a.html", "/robots.txt", "/sitemap.xml"]
        robots = [entry for entry in nights.report(night, "r404")["discovery"] if entry["url"].endswith("/robots.txt")]
        assert [entry["status"] for entry in robots] == [404]  # the audit's robots.txt: the answer the rules came from
        assert nights.outcome(night, "r404").status == "succeeded"
        assert nights.row(night, "r404", "/a.html").error is None


def test_a_huge_robots_txt_is_read_up_to_500_kib_after_a_whole_line(nights):
    assert len(HUGE_ROBOTS_TXT) > 600 * 1024 > ROBOTS_MAX_BYTES
    for night in range(3):
        # /hidden.html is disallowed before the limit, /a.html only past it; robots.txt asked once a night
        assert sorted(p for p in nights.paths[night]["rbig"] if "dossier-probe" not in p) == [
            "/", "/a.html", "/robots.txt", "/sitemap.xml"]
        assert nights.outcome(night, "rbig").status == "succeeded"
        assert nights.row(night, "rbig", "/a.html").error is None
        assert nights.row(night, "rbig", "/hidden.html").error == "Forbidden by robots.txt"


@pytest.mark.parametrize(("body", "read"), [
    (b"Disallow: /a\nDisallow: /b\n", b"Disallow: /a\nDisallow: /b\n"),  # within the limit: all of it
    (b"Disallow: /a\nDisallow: /private\n", b"Disallow: /a\n"),  # not read as "Disallow: /"
    (b"Disallow: /a\nDisallow: /b\n" + b"x" * 40, b"Disallow: /a\nDisallow: /b\n"),
    (b"Disallow: /private-area-of-the-site", b""),  # no whole line within the limit: no rule
])
def test_robots_txt_is_cut_after_the_last_whole_line_within_the_limit(body, read):
    assert within_parsing_limit(body, limit=26) == read


def test_the_lying_night_is_partial_because_of_the_failed_and_skipped_sources(nights):
    second = nights.results[1]
    assert second.status == "partial" and second.error is None
    assert sorted(f.split(" ", 1)[0] for f in second.failed_sources) == ["r429", "r503", "rslow", "walled"]


# -- 3. the decimal separator ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("slug", "d1", "d2"), [
    ("punkt", "3.35", "3350.00"),  # the competitor says "."
    ("komma", "3350.00", "3.35"),  # the source says ","
    ("plain", "3350.00", "3350.00"),  # nothing said: as before the setting existed
])
def test_an_ambiguous_price_follows_the_configured_decimal_separator(nights, slug, d1, d2):
    for night in range(3):
        assert (nights.prices[night][(slug, "D1")], nights.prices[night][(slug, "D2")]) == (Decimal(d1), Decimal(d2))


# -- 4. price anomalies ---------------------------------------------------------------------------------------------
def test_a_more_than_tenfold_price_jump_is_held_as_an_anomaly(nights):
    changes = {c.entity: c for c in list_changes(nights.engine, run_id=nights.results[1].run_id,
                                                 competitor="prices")}
    assert {entity: (c.kind, c.before, c.after, c.severity) for entity, c in changes.items()} == {
        "product:A1": ("price_anomaly", "3350.00 EUR", "3.35 EUR", "low"),
        "product:A2": ("price_anomaly", "12.50 EUR", "1250.00 EUR", "low"),
        "product:A3": ("price_up", "100.00 EUR", "1000.00 EUR", "medium"),  # tenfold exactly: a real rise
        "product:A4": ("price_down", "100.00 EUR", "90.00 EUR", "high"),
    }


def test_the_digest_shows_anomalies_apart_from_price_drops_and_rises(nights):
    digest = nights.digests[1]
    # the prices event leads: its rise and its drop, and the anomalies apart from them, not counted as moves
    assert digest.subject.startswith("Dossier: Item A4 down 10%: €100.00 → €90.00; Item A3 up 900%")
    assert ("Item A4 down 10%: €100.00 → €90.00; Item A3 up 900%: €100.00 → €1,000.00; 2 implausible prices held "
            "back") in digest.body_text
    assert "[LOW] Price anomaly held back: Item A1\n    3350.00 EUR → 3.35 EUR (÷1000)" in digest.body_text
    assert "[LOW] Price anomaly held back: Item A2\n    12.50 EUR → 1250.00 EUR (×100)" in digest.body_text


def test_the_next_night_compares_with_the_price_trusted_before_the_anomaly(nights):
    changes = list_changes(nights.engine, run_id=nights.results[2].run_id, competitor="prices")
    # A1 is back at 3350.00: nothing; A2 stayed at 1250.00: the jump is real, reported once from 12.50
    assert [(c.kind, c.entity, c.before, c.after, c.magnitude) for c in changes] == [
        ("price_up", "product:A2", "12.50 EUR", "1250.00 EUR", Decimal("9900.00"))]


# -- the night after ---------------------------------------------------------------------------------------------------
def test_the_night_after_is_clean_and_reports_only_the_real_changes(nights):
    third = nights.results[2]
    assert (third.status, third.failed_sources) == ("succeeded", [])
    forbidden = nights.url("rbig", "/hidden.html")  # by the huge robots.txt, on every night
    assert not [url for url, row in nights.rows[2].items() if row.error and url != forbidden]
    # what the lying night could not read is compared with its last sighting: not added again, not changed
    assert nights.changes(2) == [("price_up", "/"), ("price_up", "/shop/p1")]


def test_no_exception_escapes_the_crawl(nights):
    for stats in nights.stats:
        crawl = stats["crawl"]
        assert not [key for key in crawl if key.startswith(("spider_exceptions", "log_count/CRITICAL"))], crawl


# -- without a crawl ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "seen"), [
    ("<html><head><title>Attention Required! | Cloudflare</title></head><body><div id='cf-error-details'>"
     "<h1>Sorry, you have been blocked</h1></div></body></html>", 'Cloudflare block page, "Attention Required! | '
                                                                  'Cloudflare"'),
    ("<html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>You don't have permission to "
     "access this server.<p>Reference #18.6e2c</p></body></html>", '"Access Denied"'),
    ("<html><body><script src='https://ct.captcha-delivery.com/c.js'></script></body></html>", "DataDome captcha"),
    ("<html><head><title>Just a moment…</title></head><body>Checking your browser.</body></html>",
     '"Just a moment..."'),
], ids=["cloudflare-1020", "akamai", "datadome", "ellipsis"])
def test_challenge_templates_are_recognised(body, seen):
    challenge = challenge_page(body, "https://shop.example/")
    assert challenge is not None and challenge.evidence == seen


@pytest.mark.parametrize("body", [
    CONTACT.body,
    "<html><head><title>Catalog</title></head><body>" + "<p>Wheels, axles and rails for cranes.</p>" * 80
    + "<h2>Access denied?</h2><p>Log in to see your prices.</p><div class='g-recaptcha'></div></body></html>",
    "<html><head><title>Captcha solving service reviews</title></head><body>" + "<p>A long review.</p>" * 200
    + "</body></html>",
    "", b"\x00\xff\xfe", "<html><head><title>About us</title></head><body><p>Hello.</p></body></html>",
], ids=["contact-form", "long-page-with-widget", "long-page-about-captchas", "empty", "binary", "plain"])
def test_ordinary_pages_are_not_challenges(body):
    assert challenge_page(body, "https://shop.example/") is None


def _seen(price: str) -> dict[str, PriceSeen]:
    return {"A": PriceSeen("A", "A", None, Decimal(price), "EUR", "in_stock")}


@pytest.mark.parametrize(("before", "after", "kind"), [
    ("100.00", "1000.01", "price_anomaly"), ("100.00", "9.99", "price_anomaly"), ("100.00", "0.00", "price_anomaly"),
    ("100.00", "1000.00", "price_up"), ("100.00", "10.00", "price_down"),
])
def test_the_anomaly_rule_is_more_than_tenfold_either_way(before, after, kind):
    assert [d.kind for d in compare_products(_seen(before), _seen(after), set(), Rules())] == [kind]


def test_a_huge_jump_fits_the_change_magnitude_column():
    drafts = compare_products(_seen("0.01"), _seen("999999999999.00"), set(), Rules())
    assert drafts[0].magnitude == Decimal("9999999999.99")  # NUMERIC(12, 2): PostgreSQL would refuse more


def test_an_anomaly_in_a_digest_is_low_and_apart_from_price_changes():
    from datetime import datetime, timezone

    item = DigestItem("x", "X", "price_anomaly", "Rad", "3350.00 EUR", "3.35 EUR", Decimal("-99.90"), "low", None)
    digest = render_digest([item], run_id=1, run_started=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert digest.subject == "Dossier: 1 price anomaly held back at X"
    assert "[LOW] Price anomaly held back: Rad" in digest.text and "÷1000" in digest.text


@pytest.mark.parametrize(("tonight", "expected"), [
    ("3350.00", []),  # back at the trusted price: nothing
    ("3400.00", [("price_up", "3350.00 EUR", "3400.00 EUR")]),  # back, and moved a little: compared with 3350
    ("3.36", [("price_down", "3350.00 EUR", "3.36 EUR")]),  # the held level stays a second night: real
    ("99999.00", [("price_anomaly", "3350.00 EUR", "99999.00 EUR")]),  # wild again, the other way: still held
], ids=["back", "back-and-moved", "held-level-stays", "wild-again"])
def test_a_held_product_is_compared_with_the_price_trusted_before_its_anomaly(tonight, expected):
    drafts = product_drafts([(_seen("3.35")["A"], _seen(tonight)["A"])], [], [], set(), True, Rules(),
                            held={"A": (Decimal("3350.00"), "EUR")})
    assert [(d.kind, d.before, d.after) for d in drafts] == expected
