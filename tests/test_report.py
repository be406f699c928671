"""The HTML dossier: built from a demo database, opened in headless Chromium (events first, prices indexed per
category, the event timeline, tables, no console errors); its checklist sections (site audit, contacts, content,
newsletters, hiring) and its events, gone products and price charts built from stored runs on both backends."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from extractors.records import Article, FeedItem, JobPosting, Newsletter, PageAudit, Tender
from schedules.report import FAMILY_STYLE, build_report
from storage.audit import record_site_audits
from storage.event_rules import FAMILIES
from storage.events import record_events
from storage.reporting import event_timeline, price_charts, week_runs
from storage.runs import finish_run, record_crawl_report, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The report of a real demo run (two crawls), with a hostile name smuggled into the data and categories given
to Kranrad's products (the demo's shops name none) so that its prices are drawn per category."""
    from schedules.demo import run_demo
    from sqlalchemy import update
    from storage import models
    from storage.db import create_db_engine, session_scope

    result = run_demo(tmp_path_factory.mktemp("demo") / "dossier-demo", smtp_url="")
    engine = create_db_engine(result.database_url)
    with session_scope(engine) as session:
        session.execute(update(models.Product).where(models.Product.sku == "KR-LR-200").values(
            name='<script>window.pwned=1</script><img src=x onerror="window.pwned=2">',
            url="javascript:window.pwned=3"))
        for prefix, category in (("KR-LR-", "Laufräder"), ("KR-SR-", "Spurkranzräder")):
            session.execute(update(models.Product).where(models.Product.sku.startswith(prefix))
                            .values(category=category))
    out = tmp_path_factory.mktemp("report")
    pages = build_report(engine, out)
    engine.dispose()
    return out, pages


def test_pages_are_written_offline(report):
    out, pages = report
    assert [p.name for p in pages] == ["index.html", "gruzovoz.html", "kranrad.html", "liftwerk.html", "toolshop.html"]
    assert (out / "static" / "chart.umd.min.js").stat().st_size > 100_000
    for page in pages:
        html = page.read_text()
        assert "http://" not in html.split("<main>")[0] and "https://cdn" not in html  # nothing loaded from outside
    kranrad = (out / "kranrad.html").read_text()
    assert "<script>window.pwned" not in kranrad and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in kranrad
    assert 'href="javascript:' not in kranrad


def test_our_prices_stand_against_the_competitors_in_the_overview_and_on_their_pages(report):
    """The demo's own shop (fixtures/liftwerk): where each of our matched products stands, and on Kranrad's page
    its products against ours."""
    from bs4 import BeautifulSoup

    out, _ = report
    overview = BeautifulSoup((out / "index.html").read_text(), "html.parser")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in overview.select("#price-position table")[0].select("tbody tr")]
    assert ["Flanged crane wheel SR-160", "369.00 EUR", "359.00", "359.00", "359.00", "1", "2 of 2", "+2.79 %"] in rows
    assert len(rows) == 4
    index = [[td.get_text(strip=True) for td in tr.find_all("td")]
             for tr in overview.select("#price-position table")[1].select("tbody tr")]
    assert index == [["kranrad", "Uncategorised", "4", "101.8"]]  # by our products' categories: ours has none
    kranrad = BeautifulSoup((out / "kranrad.html").read_text(), "html.parser")
    theirs = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in kranrad.select("#price-position tbody tr")]
    assert theirs[0] == ["Spurkranzrad SR 160", "359.00 EUR", "Flanged crane wheel SR-160", "369.00 EUR", "−2.71 %",
                         "model number"]  # the most undercutting first
    assert len(theirs) == 4  # LR 200 among them, under the hostile name given above (escaped: see the test before)


@pytest.mark.browser
def test_report_renders_in_chromium(report):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    out, _ = report
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto((out / "index.html").as_uri())
        assert page.locator("#summary tbody tr").count() == 4  # our own shop too
        assert page.locator("#site-reach tbody tr").count() == 4
        assert "Kranrad GmbH" in page.locator("#summary").inner_text()
        page.wait_for_function("Chart.getChart(document.querySelector('#timeline canvas')) !== undefined")
        assert page.locator("#summary tbody tr", has_text="Kranrad GmbH").locator("td").nth(1).inner_text() == "6"
        timeline = page.evaluate("""Chart.getChart(document.querySelector('#timeline canvas')).data.datasets
                                    .map(d => ({label: d.label, data: d.data}))""")
        # night 2 has events of every family: one dataset each, in the stacking order, with the legend's labels
        assert [d["label"] for d in timeline] == [label for label, _ in FAMILY_STYLE.values()]
        assert [sum(d["data"][i] for d in timeline) for i in range(2)] == [0, 16]  # night 1 is the baseline
        assert page.evaluate("Chart.getChart(document.querySelector('#timeline canvas')).options.plugins.legend"
                             ".display") is True
        assert page.locator("#week-events tbody tr").count() == 16
        sections = page.locator("main section").evaluate_all("s => s.map(e => e.id)")
        assert sections.index("timeline") < sections.index("week-events") < sections.index("latest-changes")
        page.screenshot(path=str(ARTIFACTS / "report-overview.png"), full_page=True)

        page.goto((out / "kranrad.html").as_uri())
        sections = page.locator("main section").evaluate_all("s => s.map(e => e.id)")
        assert sections[:3] == ["events", "prices", "positioning"]  # what changed leads
        for section in ("#prices", "#reviews", "#technologies", "#positioning", "#site-audit", "#contacts",
                        "#content", "#newsletters", "#mentions", "#tenders", "#jobs", "#changes"):
            assert page.locator(section).count() == 1
        events = page.locator("#events ol.events > li")
        importance = [int(v) for v in events.evaluate_all("li => li.map(e => e.dataset.importance)")]
        assert len(importance) == 6 and importance == sorted(importance, reverse=True)
        assert events.first.locator(".tag").inner_text() == "Prices"  # undercutting our own shop leads
        assert "undercuts our Flanged crane wheel SR-160" in events.first.inner_text()
        launch = events.nth(1)
        assert launch.locator(".tag").inner_text() == "Assortment"
        assert "Laufrad LR 400 discontinued" in launch.inner_text()
        launch.locator("summary").click()
        changes = launch.locator("details table").inner_text()
        assert "product removed" in changes and "Laufrad LR 400" in changes and "product added" in changes

        charts = page.evaluate("[...document.querySelectorAll('canvas')].map(c => !!Chart.getChart(c))")
        assert charts == [True] * 5  # three categories, the category index, the rating trend
        prices = page.evaluate("""[...document.querySelectorAll('#prices canvas[data-part]')].map(c => ({
            category: c.dataset.category,
            series: Object.fromEntries(Chart.getChart(c).data.datasets.map(d => [d.label, d.data]))}))""")
        assert [chart["category"] for chart in prices] == ["Laufräder", "Spurkranzräder", "Uncategorised"]
        for chart in prices:  # indexed: every product's first price is 100
            assert {label: next(v for v in data if v is not None) for label, data in chart["series"].items()} == \
                dict.fromkeys(chart["series"], 100)
        wheels, flanged, other = (chart["series"] for chart in prices)
        assert wheels["Laufrad LR 250"] == [100, 106.16]  # 649 -> 689 EUR, as fixtures/README.md says
        assert wheels["Laufrad LR 400 (gone)"] == [100, None]
        assert flanged == {"Spurkranzrad SR 160": [100, 94.72], "Spurkranzrad SR 500": [None, 100]}
        assert list(other) == ["Antriebsblock AB 80"]

        assert page.locator("#listed-products tbody tr").count() == 6  # night 2's listed products, SR 500 too
        assert "Laufrad LR 400" not in page.locator("#listed-products").inner_text()
        gone = page.locator("#gone-products tbody tr")
        assert gone.count() == 1 and gone.locator("td").all_inner_texts()[:3] == [
            "Laufrad LR 400", "KR-LR-400", "1,890.00 EUR"]
        assert page.evaluate("window.pwned") is None
        page.screenshot(path=str(ARTIFACTS / "report-kranrad.png"), full_page=True)
        browser.close()
    assert problems == []


# --- the checklist's sections, from runs stored as a crawl leaves them ------------------------------------------

SITE = "https://kranrad.example/"
CONTACT = SITE + "kontakt/"
BLOG = SITE + "aktuelles/"
JOBS = SITE + "karriere/"
COMPETITORS = [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
    {"kind": "site", "url": SITE},
    {"kind": "jobs", "url": JOBS},
    {"kind": "newsletter", "url": "mbox:/srv/mail/team.mbox", "senders": ["@kranrad.example"]},
    {"kind": "mentions", "url": "https://news.example/rss.xml", "name": "Branchenticker", "names": ["Kranrad"]},
    {"kind": "tenders", "url": "https://api.ted.europa.eu/v3/notices/search?query=x", "name": "TED",
     "tax_ids": ["DE811234567"]},
]}]
TODAY = date.today()
HOSTILE = "<script>window.pwned=1</script>"
TELEGRAM = ("messenger", "telegram:@kranrad_service", "Telegram", SITE)
PHONE = ("phone", "+4930987654", "phone", CONTACT)
PROMO = ("promo", "Black Friday: 20 % auf Laufräder", "2026-11-30 23:59", SITE)
WELDER = JobPosting(title="Schweißer", url=JOBS + "schweisser", location="Berlin", posted=TODAY - timedelta(days=3),
                    department="Stahlbau & Montage")
MESSE = Article(BLOG + "messe", "Messe Hannover 2026", TODAY - timedelta(days=5), "news")
TRAP = Article("javascript:window.pwned=2", HOSTILE + "Neues Werk", TODAY - timedelta(days=1), "blog")
LETTER = Newsletter(message_id="7@kranrad.example", sender="news@kranrad.example", sender_name="Kranrad Team",
                    subject=HOSTILE + "Winteraktion Laufräder", sent=datetime.now(timezone.utc) - timedelta(days=2),
                    links=[SITE + "winter", SITE + "shop"], main_text="Liebe Kunden, " + "Laufrad " * 60)


NOW = datetime.now(timezone.utc).replace(microsecond=0)
FAIR = FeedItem(key="https://news.example/messe", url="https://news.example/messe?utm_source=rss",
                title="Kranrad auf der Messe", published=NOW - timedelta(days=4), snippet="Stand B12, Halle 3")
HOSTILE_MENTION = FeedItem(key="https://news.example/werk", url="javascript:window.pwned=3",
                           title=HOSTILE + "Kranrad baut", published=NOW - timedelta(days=1), snippet=HOSTILE)
FAILED_MENTION = FeedItem(key="https://news.example/kaputt", url="https://news.example/kaputt",
                          title="Kranrad aus dem kaputten Lauf", published=NOW)


WON = Tender(notice_id="702215-2026", fmt="ted", title="Laufradsätze für Containerbrücken", buyer="Hafen Rheinau",
             value=Decimal("184000.00"), currency="EUR", published=TODAY - timedelta(days=6),
             awarded=TODAY - timedelta(days=9), url="https://ted.example/702215-2026", role="winner")
BID = Tender(notice_id="705530-2026", fmt="ted", title=HOSTILE + "Fahrwerke", buyer=HOSTILE + "Landesbetrieb",
             published=TODAY - timedelta(days=2), url="javascript:window.pwned=4", role="bidder")
FAILED_TENDER = Tender(notice_id="709999-2026", fmt="ted", title="Aus dem kaputten Lauf", role="winner",
                       published=TODAY)


def stored_run(engine, *, home_ms, sitemap, broken=0, channels=(), articles=(), jobs=(), letters=(), mentions=(),
               tenders=(), status="succeeded"):
    """One run as a crawl stores it (fetches, page audits, channels, articles, jobs, newsletters, mentions, tenders,
    site audit)."""
    refs = sync_sources(engine, COMPETITORS)
    site, job_source, mail, feed, procurement = refs
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    for url, elapsed in ((SITE, home_ms), (BLOG, 90)):
        writer.record_fetch(site.source_id, url, 200, None, elapsed, 48_000, url)
        writer.add_page_audit(site.source_id, site.competitor_id, url,
                              PageAudit(title_length=7, h1_count=1, viewport=True, lang="de", hreflang=["de", "en"]))
    writer.record_fetch(site.source_id, CONTACT, 200, None, 80, 1000, None)
    for number in range(broken):
        writer.record_fetch(site.source_id, f"{SITE}fehlt-{number}", 404, "HTTP 404", 5, 100, None)
    for kind, value, label, url in channels:
        writer.add_contacts(site.source_id, site.competitor_id, url, [(kind, value, label)])
    writer.add_articles(site.source_id, site.competitor_id, articles)
    writer.record_fetch(job_source.source_id, JOBS, 200, None, 50, 1000, None)
    writer.add_jobs(job_source.source_id, job_source.competitor_id, jobs)
    writer.record_fetch(mail.source_id, mail.url, 200, None, 10, 5000, None)
    writer.add_newsletters(mail.source_id, mail.competitor_id, letters)
    writer.record_fetch(feed.source_id, feed.url, 200, None, 10, 3000, None)
    writer.add_mentions(feed.source_id, feed.competitor_id, feed.url, mentions)
    writer.record_fetch(procurement.source_id, procurement.url, 200, None, 10, 3000, None)
    writer.add_tenders(procurement.source_id, procurement.competitor_id, tenders)
    writer.close()
    discovery = [{"url": SITE + "robots.txt", "status": 200, "robots": True, "robots_hash": "h",
                  "rules": ["user-agent: *", "disallow: /warenkorb"]},
                 {"url": SITE + "sitemap.xml", "status": 200, "error": None, "pages": sitemap, "sitemaps": 0}]
    record_crawl_report(engine, run_id, {}, {site.source_id: {"discovery": discovery, "cut_by_max_pages": False}})
    record_source_outcomes(engine, run_id, refs)
    record_site_audits(engine, run_id, [site.source_id])
    finish_run(engine, run_id, status)
    return run_id


@pytest.fixture
def checklist_report(engine, tmp_path):
    """Two good nights and a failed third one (whose site audit, channels and articles must not show)."""
    stored_run(engine, home_ms=180, sitemap=100, channels=[("messenger", "whatsapp:+4930123456", "WhatsApp", SITE)],
               articles=[MESSE])
    stored_run(engine, home_ms=345, sitemap=112, broken=2, channels=[TELEGRAM, PHONE, PROMO],
               articles=[MESSE, TRAP], jobs=[WELDER], letters=[LETTER], mentions=[FAIR, HOSTILE_MENTION],
               tenders=[WON, BID])
    stored_run(engine, home_ms=9_999, sitemap=7, channels=[("messenger", "viber:+4930555", "Viber", SITE)],
               articles=[Article(BLOG + "kaputt", "Aus dem kaputten Lauf", TODAY)], mentions=[FAILED_MENTION],
               tenders=[FAILED_TENDER], status="failed")
    pages = build_report(engine, tmp_path / "report")
    return {page.stem: page.read_text(encoding="utf-8") for page in pages}


def section(html: str, name: str) -> str:
    found = re.search(rf'<section id="{name}">(.*?)</section>', html, re.S)
    assert found, f"no #{name} section"
    return found.group(1)


def cells(html: str) -> list[str]:
    """The table cells' text, tags stripped and blanks squeezed, to compare rows as a reader sees them."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, re.S)]


def test_overview_shows_site_and_reach(checklist_report):
    row = cells(section(checklist_report["index"], "site-reach"))
    start = row.index("Kranrad GmbH")
    assert row[start:start + 14] == ["Kranrad GmbH", "345", "47", "✓", "✓", "112", "2", "phone, Telegram", "1", "2",
                                     "1", "1", "2", "1"]  # 2 mentions in 30 days, 1 tender won: not the failed run's


def test_site_audit_shows_the_latest_good_run_and_a_trend(checklist_report):
    audit = section(checklist_report["kranrad"], "site-audit")
    assert "345 ms · 47 KB · HTTPS ✓ · 0 redirects · mobile viewport ✓" in re.sub(r"\s+", " ", audit)
    assert f'href="{SITE}fehlt-0"' in audit and f'href="{SITE}fehlt-1"' in audit
    assert "disallow: /warenkorb" in audit and "de, en" in audit
    assert "no description: 2 of 2 pages" in audit
    assert "9,999" not in audit and "9999" not in audit  # the failed run is neither latest nor in the trend
    trend = cells(audit.split("<h3>Trend</h3>")[1])
    assert [trend[i + 1:i + 3] for i in range(5, len(trend), 5)] == [["180", "47"], ["345", "47"]]
    assert [trend[i + 3] for i in range(5, len(trend), 5)] == ["100", "112"]


def test_contacts_and_promotions_of_the_latest_good_run(checklist_report):
    contacts = cells(section(checklist_report["kranrad"], "contacts"))
    assert ["Phone", "phone", "+4930987654", CONTACT] == contacts[contacts.index("Phone"):contacts.index("Phone") + 4]
    assert ["Messenger", "Telegram", "@kranrad_service", SITE] == contacts[
        contacts.index("Messenger"):contacts.index("Messenger") + 4]
    assert [PROMO[1], PROMO[2], SITE] == contacts[contacts.index(PROMO[1]):contacts.index(PROMO[1]) + 3]
    assert "WhatsApp" not in contacts and "Viber" not in contacts  # an older run's, a failed run's


def test_content_newest_first_with_months(checklist_report):
    content = section(checklist_report["kranrad"], "content")
    assert content.index("Neues Werk") < content.index("Messe Hannover 2026")
    assert f'<a href="{MESSE.url}">Messe Hannover 2026</a>' in content
    assert "Aus dem kaputten Lauf" not in content
    months = Counter(a.published.strftime("%Y-%m") for a in (MESSE, TRAP))
    per_month = cells(content.split('<table class="narrow">')[1])
    assert per_month == ["Month", "Articles"] + [str(v) for m in sorted(months, reverse=True) for v in (m, months[m])]


def test_newsletters_with_links_and_text(checklist_report):
    letters = section(checklist_report["kranrad"], "newsletters")
    row = cells(letters)
    assert "Winteraktion Laufräder" in letters and "Kranrad Team news@kranrad.example" in row
    assert "2" in row  # links
    assert "<details><summary>text</summary><pre>Liebe Kunden, Laufrad" in letters
    assert "Laufrad " * 60 not in letters and "…</pre>" in letters  # 300 characters, not the whole text
    month = LETTER.sent.strftime("%Y-%m")
    assert row[-2:] == [month, "1"]


def test_hiring_shows_department_and_months(checklist_report):
    jobs = cells(section(checklist_report["kranrad"], "jobs"))
    assert ["Schweißer", "Stahlbau &amp; Montage", "Berlin", str(WELDER.posted)] == jobs[4:8]
    assert jobs[-2:] == [WELDER.posted.strftime("%Y-%m"), "1"]


def test_mentions_newest_first_with_their_feed_and_months(checklist_report):
    mentions = section(checklist_report["kranrad"], "mentions")
    row = cells(mentions)
    assert mentions.index("Kranrad baut") < mentions.index("Kranrad auf der Messe")
    assert f'<a href="{FAIR.url}">Kranrad auf der Messe</a>' in mentions
    assert "Stand B12, Halle 3" in row and "Branchenticker" in row
    assert "kaputten Lauf" not in mentions  # read by the failed run only
    months = Counter(m.published.strftime("%Y-%m") for m in (FAIR, HOSTILE_MENTION))
    per_month = cells(mentions.split('<table class="narrow">')[1])
    assert per_month == ["Month", "Mentions"] + [str(v) for m in sorted(months, reverse=True) for v in (m, months[m])]


def test_tenders_newest_first_with_role_buyer_value_and_quarters(checklist_report):
    tenders = section(checklist_report["kranrad"], "tenders")
    rows = [cells(row) for row in re.findall(r"<tr>.*?</tr>", tenders.split('<table class="narrow">')[0], re.S)]
    assert rows[1][0] == BID.published.isoformat() and rows[1][-2:] == ["bidder", "TED"]
    assert rows[2] == [WON.published.isoformat(), "Laufradsätze für Containerbrücken 702215-2026", "Hafen Rheinau",
                       "184,000.00 EUR", f"won {WON.awarded.isoformat()}", "TED"]
    assert f'<a href="{WON.url}">Laufradsätze für Containerbrücken</a>' in tenders
    assert "kaputten Lauf" not in tenders  # read by the failed run only
    def quarter(day: date) -> str:
        return f"{day.year}-Q{(day.month + 2) // 3}"
    per_quarter = [cells(row) for row in re.findall(r"<tr>.*?</tr>", tenders.split('<table class="narrow">')[1], re.S)]
    assert per_quarter[0] == ["Quarter", "Notices", "Won", "Value won"]
    # one row per quarter and currency: the won notice's in EUR, the bid's without a value
    assert sorted(per_quarter[1:]) == sorted([[quarter(WON.published), "1", "1", "184,000.00 EUR"],
                                              [quarter(BID.published), "1", "0", ""]])


def test_scraped_text_is_escaped_and_only_http_links(checklist_report):
    page = checklist_report["kranrad"]
    assert "<script>window.pwned" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;Neues Werk" in section(page, "content")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;Winteraktion" in section(page, "newsletters")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;Kranrad baut" in section(page, "mentions")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;Fahrwerke" in section(page, "tenders")
    assert 'href="javascript:' not in page and "javascript:window.pwned=2" not in page  # no link, title shown
    assert "javascript:window.pwned=3" not in page and "javascript:window.pwned=4" not in page


# --- events, gone products and prices per category, from diffed runs -----------------------------------------

def test_every_event_family_has_one_label_and_colour():
    assert list(FAMILY_STYLE) == list(FAMILIES)
    assert len({colour for _, colour in FAMILY_STYLE.values()}) == len(FAMILIES)


UTC = timezone.utc


@pytest.mark.parametrize("started, week", [
    (["2024-02-20 03:00:00", "2024-03-01 03:00:00.250000", "2024-03-10 03:00:00"], [3]),  # SQLite's strings
    ([datetime(2024, 3, 3, 3, tzinfo=UTC), datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 10, 3, tzinfo=UTC)],
     [1, 2, 3]),  # PostgreSQL's datetimes; exactly 7 days before is in the week
    ([], []),
])
def test_the_week_is_the_seven_days_before_the_newest_run_not_the_clock(started, week):
    runs = [{"id": i, "started": moment} for i, moment in enumerate(started, 1)]
    assert week_runs(runs)[0] == week


def test_the_timeline_counts_events_per_run_and_family_and_an_unknown_kind_as_site():
    runs = [{"id": 4, "started": "2024-03-01 03:00"}, {"id": 7, "started": "2024-03-02 03:00"}]
    counts = [{"run_id": 7, "kind": "site", "events": 1}, {"run_id": 7, "kind": "drones", "events": 1},
              {"run_id": 7, "kind": "prices", "events": 2}, {"run_id": 5, "kind": "prices", "events": 9}]
    assert event_timeline(runs, counts) == {
        "labels": ["run 4 · 2024-03-01 03:00", "run 7 · 2024-03-02 03:00"],
        "series": [{"family": "prices", "data": [0, 2]}, {"family": "site", "data": [0, 2]}]}


def test_prices_are_indexed_to_their_first_price_per_category():
    def row(product_id, run_id, price, category=None, currency="EUR"):
        return {"product_id": product_id, "product": f"P{product_id}", "product_key": str(product_id),
                "category": category, "run_id": run_id, "price": price, "currency": currency}

    history = [row(1, 1, "200", "Räder"), row(2, 1, "50"), row(1, 2, "214", "Räder"), row(2, 2, "50", currency="USD"),
               row(3, 2, "10", "Räder"), row(3, 3, "9.5", "Räder")]
    charts = price_charts(history, ["r1", "r2", "r3"], {1: 0, 2: 1, 3: 2}, gone={1})
    assert [(c["category"], [(s["label"], s["data"]) for s in c["series"]]) for c in charts] == [
        ("Räder", [("P1 (gone)", [100, 107.0, None]), ("P3", [None, 100, 95.0])]),
        ("Uncategorised", [("P2", [100, None, None])]),  # another currency is no index against the first
    ]
    assert charts[0]["series"][0]["prices"] == ["200.00 EUR", "214.00 EUR", None]
    assert [c["category"] for c in price_charts(history[1:2], ["r1"], {1: 0})] == ["All products"]


WHEELS, FLANGED = "Laufräder", "Spurkranzräder"
NIGHTS = [datetime(2024, 2, 20, 3, tzinfo=UTC), datetime(2024, 3, 1, 3, tzinfo=UTC), datetime(2024, 3, 10, 3, tzinfo=UTC)]


@pytest.fixture
def events_report(engine, tmp_path):
    """Three diffed nights of an old database (2024): A's price rises on night 2; on night 3 B goes, D comes, C's
    price rises and the home page's headline turns hostile. Only night 3 is in the week before the newest run."""
    from sqlalchemy import update
    from storage import models
    from storage.db import session_scope
    from tests.test_storage import night, product

    def item(sku, price, category=None):
        return dataclasses.replace(product(sku, price), category=category)

    first = night(engine, [item("A", "489", WHEELS), item("B", "1890", WHEELS), item("C", "100")])
    second = night(engine, [item("A", "512", WHEELS), item("B", "1890", WHEELS), item("C", "100")])
    third = night(engine, [item("A", "512", WHEELS), item("C", "107"), item("D", "2150", FLANGED)],
                  page_h1=HOSTILE + "Kranräder")
    events = {run_id: record_events(engine, run_id) for run_id in (second, third)}
    with session_scope(engine) as session:
        for run_id, started in zip((first, second, third), NIGHTS):
            session.execute(update(models.CrawlRun).where(models.CrawlRun.id == run_id).values(started=started))
    pages = build_report(engine, tmp_path / "report")
    return {page.stem: page.read_text(encoding="utf-8") for page in pages}, events, third


def chart_data(html: str, name: str):
    found = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html, re.S)
    assert found, f"no chart data {name}"
    return json.loads(found.group(1))


def test_the_competitor_page_leads_with_this_weeks_events(events_report):
    pages, events, third = events_report
    page = pages["kranrad"]
    assert re.findall(r'<section id="([\w-]+)">', page)[:3] == ["events", "prices", "positioning"]
    shown = re.findall(r'<li data-importance="(\d+)" data-family="(\w+)">(.*?)</div></li>', section(page, "events"),
                       re.S)
    assert len(shown) == events[third] and {"assortment", "prices", "marketing"} <= {f for _, f, _ in shown}
    assert [int(i) for i, _, _ in shown] == sorted((int(i) for i, _, _ in shown), reverse=True)
    assert all(f"run {third} ·" in body for _, _, body in shown)  # night 2's price event is older than a week
    assert "Laufrad A" not in section(page, "events")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;Kranräder" in section(page, "events")  # in the details
    assert "<script>window.pwned" not in page


def test_gone_products_have_their_own_table_and_are_not_counted(events_report):
    pages, _, _ = events_report
    prices = section(pages["kranrad"], "prices")
    listed = cells(prices.split('id="listed-products"')[1].split("</table>")[0])
    gone = cells(prices.split('id="gone-products"')[1].split("</table>")[0])
    assert [c for c in listed if c.startswith("Laufrad")] == ["Laufrad A", "Laufrad C", "Laufrad D"]
    assert gone[5:8] == ["Laufrad B", "B", "1,890.00 EUR"]
    assert gone[8].startswith("2024-03-01") and gone[9].startswith("2024-03-10")
    assert "3 products tracked · 1 gone" in re.sub(r"\s+", " ", pages["kranrad"])


def test_prices_are_drawn_per_category_relative_to_the_first_price(events_report):
    pages, _, _ = events_report
    charts = chart_data(pages["kranrad"], "price-data")
    assert [(c["category"], {s["label"]: s["data"] for s in c["series"]}) for c in charts] == [
        (WHEELS, {"Laufrad A": [100, 104.7, 104.7], "Laufrad B (gone)": [100, 100, None]}),
        (FLANGED, {"Laufrad D": [None, None, 100]}),
        ("Uncategorised", {"Laufrad C": [100, 100, 107]}),
    ]
    assert len(re.findall(r'<canvas data-chart="price-data" data-part="\d"', pages["kranrad"])) == 3


def test_the_overview_stacks_events_per_run_by_family_and_lists_the_weeks(events_report):
    pages, events, third = events_report
    timeline = chart_data(pages["index"], "timeline-data")
    labels = {label: family for family, (label, _) in FAMILY_STYLE.items()}
    assert len(timeline["labels"]) == 3 and 0 < len(timeline["datasets"]) <= 6
    assert all(d["label"] in labels and d["backgroundColor"] == FAMILY_STYLE[labels[d["label"]]][1]
               for d in timeline["datasets"])
    second = min(events)
    assert [sum(d["data"][i] for d in timeline["datasets"]) for i in range(3)] == [0, events[second], events[third]]
    week = section(pages["index"], "week-events")
    assert len(re.findall(r'<tr><td class="num">', week)) == events[third]
    assert f"run {third} ·" in week and f"run {second} ·" not in week
