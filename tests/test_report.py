"""The HTML dossier: built from a demo database, opened in headless Chromium (tables, charts, no console errors);
its checklist sections (site audit, contacts, content, newsletters, hiring) built from stored runs on both backends."""
from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from extractors.records import Article, JobPosting, Newsletter, PageAudit
from schedules.report import build_report
from storage.audit import record_site_audits
from storage.runs import finish_run, record_crawl_report, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The report of a real demo run (two crawls), with a hostile name smuggled into the data."""
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
    out = tmp_path_factory.mktemp("report")
    pages = build_report(engine, out)
    engine.dispose()
    return out, pages


def test_pages_are_written_offline(report):
    out, pages = report
    assert [p.name for p in pages] == ["index.html", "gruzovoz.html", "kranrad.html", "toolshop.html"]
    assert (out / "static" / "chart.umd.min.js").stat().st_size > 100_000
    for page in pages:
        html = page.read_text()
        assert "http://" not in html.split("<main>")[0] and "https://cdn" not in html  # nothing loaded from outside
    kranrad = (out / "kranrad.html").read_text()
    assert "<script>window.pwned" not in kranrad and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in kranrad
    assert 'href="javascript:' not in kranrad


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
        assert page.locator("#summary tbody tr").count() == 3
        assert page.locator("#site-reach tbody tr").count() == 3
        assert "Kranrad GmbH" in page.locator("#summary").inner_text()
        page.wait_for_function("Chart.getChart(document.querySelector('#timeline canvas')) !== undefined")
        page.screenshot(path=str(ARTIFACTS / "report-overview.png"), full_page=True)
        page.goto((out / "kranrad.html").as_uri())
        for section in ("#prices", "#reviews", "#technologies", "#positioning", "#site-audit", "#contacts",
                        "#content", "#newsletters", "#jobs", "#changes"):
            assert page.locator(section).count() == 1
        assert page.locator("#prices tbody tr").count() == 7  # six products of night 1 (LR 400 gone since) and SR 500
        charts = page.evaluate("[...document.querySelectorAll('canvas')].map(c => !!Chart.getChart(c))")
        assert charts == [True, True, True]
        prices = page.evaluate("Chart.getChart(document.querySelector('#prices canvas')).data.datasets.length")
        assert prices == 7
        moves = page.evaluate("""Object.fromEntries(Chart.getChart(document.querySelector('#prices canvas'))
                                 .data.datasets.map(d => [d.label, d.data]))""")
        assert moves["Laufrad LR 250 (EUR)"] == [649, 689]  # night1 -> night2, as fixtures/README.md says
        assert moves["Spurkranzrad SR 160 (EUR)"] == [379, 359]
        assert moves["Laufrad LR 400 (EUR)"] == [1890, None] and moves["Spurkranzrad SR 500 (EUR)"] == [None, 2150]
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


def stored_run(engine, *, home_ms, sitemap, broken=0, channels=(), articles=(), jobs=(), letters=(),
               status="succeeded"):
    """One run as a crawl stores it (fetches, page audits, channels, articles, jobs, newsletters, site audit)."""
    refs = sync_sources(engine, COMPETITORS)
    site, job_source, mail = refs
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
               articles=[MESSE, TRAP], jobs=[WELDER], letters=[LETTER])
    stored_run(engine, home_ms=9_999, sitemap=7, channels=[("messenger", "viber:+4930555", "Viber", SITE)],
               articles=[Article(BLOG + "kaputt", "Aus dem kaputten Lauf", TODAY)], status="failed")
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
    assert row[start:start + 12] == ["Kranrad GmbH", "345", "47", "✓", "✓", "112", "2", "phone, Telegram", "1", "2",
                                     "1", "1"]


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


def test_scraped_text_is_escaped_and_only_http_links(checklist_report):
    page = checklist_report["kranrad"]
    assert "<script>window.pwned" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;Neues Werk" in section(page, "content")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;Winteraktion" in section(page, "newsletters")
    assert 'href="javascript:' not in page and "javascript:window.pwned=2" not in page  # no link, title shown
