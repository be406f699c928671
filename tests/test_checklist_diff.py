"""The checklist's sections stored and diffed on real databases (SQLite file and PostgreSQL): site audit, contact
channels and promos, content, job postings, newsletters; the summary view's new columns and monthly_activity."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from extractors.records import Article, JobPosting, Newsletter, PageAudit, PageFacts
from storage import models
from storage.audit import record_site_audits
from storage.compare import SiteFacts, compare_audits
from storage.db import session_scope
from storage.diff import diff_run
from storage.diff_checklist import channel_title
from storage.queries import list_changes
from storage.runs import finish_run, record_crawl_report, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

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


def job(title, location="Berlin"):
    return JobPosting(title=title, url=f"{JOBS}{title.lower().replace(' ', '-')}", location=location,
                      posted=TODAY - timedelta(days=3), department="Engineering")


def letter(number, days_ago=1):
    return Newsletter(message_id=f"{number}@kranrad.example", sender="news@kranrad.example",
                      subject=f"Newsletter {number}", sent=datetime.now(timezone.utc) - timedelta(days=days_ago),
                      links=[f"{SITE}angebot-{number}"], main_text=f"Angebot Nummer {number}")


def night(engine, *, robots="user-agent: *", sitemap=100, broken=0, channels=(), contact_fails=False, articles=(),
          jobs=(), jobs_page_fails=False, letters=(), status="succeeded"):
    """One stored run as a crawl would leave it; returns the run id after its site audits and diff."""
    refs = sync_sources(engine, COMPETITORS)
    site, job_source, mail = refs
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    for url in (SITE, BLOG):
        writer.record_fetch(site.source_id, url, 200, None, 120, 48_000, url)
        writer.add_page(site.source_id, site.competitor_id, url, PageFacts(title="Kranrad"), None)
        writer.add_page_audit(site.source_id, site.competitor_id, url,
                              PageAudit(title_length=7, h1_count=1, viewport=True, lang="de", hreflang=["de", "en"]))
    writer.record_fetch(site.source_id, CONTACT, 500 if contact_fails else 200, "HTTP 500" if contact_fails else None,
                        80, 1000, None)
    if not contact_fails:
        writer.add_page(site.source_id, site.competitor_id, CONTACT, PageFacts(title="Kontakt"), None)
    for number in range(broken):
        writer.record_fetch(site.source_id, f"{SITE}fehlt-{number}", 404, "HTTP 404", 5, 100, None)
    for kind, value, label, url in channels:
        if url == CONTACT and contact_fails:
            continue
        writer.add_contacts(site.source_id, site.competitor_id, url, [(kind, value, label)])
    writer.add_articles(site.source_id, site.competitor_id, articles)
    writer.record_fetch(job_source.source_id, JOBS, 200, None, 50, 1000, None)
    if jobs_page_fails:
        writer.record_fetch(job_source.source_id, JOBS + "seite-2", 503, "HTTP 503", 50, 0, None)
    writer.add_jobs(job_source.source_id, job_source.competitor_id, jobs)
    writer.record_fetch(mail.source_id, mail.url, 200, None, 10, 5000, None)
    writer.add_newsletters(mail.source_id, mail.competitor_id, letters)
    writer.close()
    discovery = [{"url": SITE + "robots.txt", "status": 200, "robots": True, "robots_hash": str(hash(robots)),
                  "rules": robots.splitlines()},
                 {"url": SITE + "sitemap.xml", "status": 200, "error": None, "pages": sitemap, "sitemaps": 0}]
    record_crawl_report(engine, run_id, {}, {site.source_id: {"discovery": discovery, "cut_by_max_pages": False}})
    record_source_outcomes(engine, run_id, refs)
    record_site_audits(engine, run_id, [site.source_id])
    finish_run(engine, run_id, status)
    if status != "failed":
        diff_run(engine, run_id)
    return run_id


def found(engine, run_id, kind):
    return sorted((c.entity, c.before, c.after) for c in list_changes(engine, run_id=run_id, kind=kind))


WHATSAPP = ("messenger", "whatsapp:+4930123456", "WhatsApp", SITE)
TELEGRAM = ("messenger", "telegram:@kranrad", "Telegram", SITE)
PHONE_ON_CONTACT = ("phone", "+4930987654", "phone", CONTACT)
PROMO = ("promo", "Black Friday: 20 % auf Laufräder", "2026-11-30 23:59", SITE)


def test_first_night_is_a_baseline(engine):
    run_id = night(engine, channels=[WHATSAPP], articles=[Article(BLOG + "a", "A")], jobs=[job("Schweißer")],
                   letters=[letter(1)])
    assert list_changes(engine, run_id=run_id) == []


def test_second_night_reports_each_checklist_change_once(engine):
    night(engine, robots="user-agent: *\ndisallow: /cart", sitemap=100, channels=[WHATSAPP, PHONE_ON_CONTACT],
          articles=[Article(BLOG + "a", "Messe 2026", date(2026, 10, 1), "news")],
          jobs=[job("Schweißer"), job("Vertrieb")], letters=[letter(1)])
    run_id = night(engine, robots="user-agent: *\ndisallow: /cart\ndisallow: /intern/", sitemap=112, broken=2,
                   channels=[TELEGRAM, PHONE_ON_CONTACT, PROMO],
                   articles=[Article(BLOG + "a", "Messe 2026", date(2026, 10, 1), "news"),
                             Article(BLOG + "b", "Neues Werk", date(2026, 11, 20), "news")],
                   jobs=[job("Schweißer"), job("Konstrukteur")], letters=[letter(1), letter(2)])
    assert found(engine, run_id, "robots_changed") == [(f"robots:{1}", None, "+ disallow: /intern/")]
    assert found(engine, run_id, "sitemap_grew") == [("sitemap:1", "100", "112")]
    assert found(engine, run_id, "broken_links_up") == [("broken_links:1", "0", "2")]
    assert found(engine, run_id, "channel_added") == [("messenger:telegram:@kranrad", None, "telegram:@kranrad")]
    assert found(engine, run_id, "channel_removed") == [("messenger:whatsapp:+4930123456", "whatsapp:+4930123456",
                                                         None)]
    assert found(engine, run_id, "promo_new") == [(f"promo:{PROMO[1]}", None, PROMO[2])]
    assert found(engine, run_id, "content_new") == [(f"content:{BLOG}b", None, "2026-11-20")]
    assert [c.title for c in list_changes(engine, run_id=run_id, kind="job_posted")] == ["Konstrukteur (Berlin)"]
    assert [c.title for c in list_changes(engine, run_id=run_id, kind="job_closed")] == ["Vertrieb (Berlin)"]
    assert [(c.title, c.after) for c in list_changes(engine, run_id=run_id, kind="newsletter_new")] == [
        ("news@kranrad.example: Newsletter 2", "Angebot Nummer 2")]
    assert diff_run(engine, run_id) == 0  # idempotent


def test_a_channel_on_a_page_that_failed_tonight_is_not_removed(engine):
    night(engine, channels=[WHATSAPP, PHONE_ON_CONTACT])
    run_id = night(engine, channels=[WHATSAPP, PHONE_ON_CONTACT], contact_fails=True)
    assert found(engine, run_id, "channel_removed") == []


def test_no_job_closed_when_the_jobs_source_missed_a_page(engine):
    night(engine, jobs=[job("Schweißer"), job("Vertrieb")])
    run_id = night(engine, jobs=[job("Schweißer")], jobs_page_fails=True)
    assert found(engine, run_id, "job_closed") == []


def test_a_newsletter_is_stored_once_and_one_first_read_by_a_failed_run_is_still_told(engine):
    night(engine, letters=[letter(1)])
    night(engine, letters=[letter(1), letter(2)], status="failed")
    run_id = night(engine, letters=[letter(1), letter(2), letter(3)])
    told = sorted(c.entity for c in list_changes(engine, run_id=run_id, kind="newsletter_new"))
    assert told == ["newsletter:2@kranrad.example", "newsletter:3@kranrad.example"]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.Newsletter)) == 3
    later = night(engine, letters=[letter(3)])
    assert found(engine, later, "newsletter_new") == []


def test_site_audit_row_sums_up_the_run(engine):
    run_id = night(engine, sitemap=40, broken=3)
    with session_scope(engine) as session:
        audit = session.scalar(select(models.SiteAudit).where(models.SiteAudit.run_id == run_id))
        assert (audit.home_url, audit.home_status, audit.home_elapsed_ms, audit.home_bytes) == (SITE, 200, 120, 48_000)
        assert (audit.https, audit.viewport, audit.pages, audit.sitemap_urls, audit.broken_links) == (
            True, True, 2, 40, 3)
        assert audit.languages == {"langs": ["de", "en"]}
        assert audit.seo_issues == {"no_description": 2, "no_canonical": 2, "no_open_graph": 2}
    assert record_site_audits(engine, run_id, [audit.source_id]) == 1  # rewritten, not duplicated
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.SiteAudit)) == 1


def test_summary_view_and_monthly_activity(engine):
    night(engine, channels=[WHATSAPP, PHONE_ON_CONTACT, PROMO],
          articles=[Article(BLOG + "a", "A", TODAY - timedelta(days=2))], jobs=[job("Schweißer"), job("Vertrieb")],
          letters=[letter(1, days_ago=3), letter(2, days_ago=90)], sitemap=55, broken=1)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM competitor_summary WHERE competitor = 'kranrad'")).mappings().one()
        months = connection.execute(text("SELECT month, articles, newsletters, jobs_posted FROM monthly_activity "
                                         "ORDER BY month")).all()
    assert (row["home_response_ms"], row["home_bytes"], row["https"], row["mobile_viewport"]) == (120, 48_000, 1, 1)
    assert (row["sitemap_urls"], row["broken_links"], row["active_promos"]) == (55, 1, 1)
    assert sorted(part.strip() for part in row["contact_channels"].split(",")) == ["WhatsApp", "phone"]
    assert (row["content_30d"], row["newsletters_30d"], row["jobs_posted_30d"], row["job_postings"]) == (1, 1, 2, 2)
    by_month = {m.month: (m.articles, m.newsletters, m.jobs_posted) for m in months}
    assert sum(a for a, _, _ in by_month.values()) == 1 and sum(n for _, n, _ in by_month.values()) == 2
    assert by_month[(TODAY - timedelta(days=3)).strftime("%Y-%m")][2] == 2  # both postings, counted once each


@pytest.mark.parametrize("before, after, kinds", [
    (SiteFacts("a", ("x",), 100, 0), SiteFacts("a", ("x",), 109, 0), []),  # +9 %: below the 10 % rule
    (SiteFacts("a", ("x",), 100, 0), SiteFacts("a", ("x",), 110, 0), ["sitemap_grew"]),
    (SiteFacts("a", ("x",), None, 0), SiteFacts("a", ("x",), 500, 0), []),  # no sitemap before: nothing to grow from
    (SiteFacts(None, (), 10, 0), SiteFacts("b", ("y",), 10, 0), []),  # robots.txt unread before: no change known
    (SiteFacts("a", ("x",), 10, 4), SiteFacts("b", ("x",), 10, 3), ["robots_changed"]),  # fewer broken: no alert
    (SiteFacts("a", ("x",), 10, 0), SiteFacts("a", ("x",), 10, 1), ["broken_links_up"]),
])
def test_compare_audits(before, after, kinds):
    assert [d.kind for d in compare_audits(before, after, "7", SITE)] == kinds


def test_channel_titles():
    assert channel_title("messenger", "telegram:@kranrad", "Telegram") == "Telegram @kranrad"
    assert channel_title("phone", "+4930987654", "phone") == "phone +4930987654"
    assert channel_title("form", "callback form:3 fields", "callback form") == "callback form (3 fields)"
    assert channel_title("widget", "JivoChat", "JivoChat") == "JivoChat"
