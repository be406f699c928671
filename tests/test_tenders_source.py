"""The `tenders` source kind over real crawls of the fixture answers (fixtures/tenders, two nights: a TED API v3
search answer and an EIS 44-FZ contract export): each notice stored once per competitor, night2's told as
tender_won and tender_new, an answer that is an error page failing its source in one line with nothing stored, a
rerun adding nothing; the writer and the diff on SQLite and PostgreSQL (the `engine` fixture)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, text

from extractors.records import Tender
from fixtures.server import FixtureSites
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope
from storage.diff import diff_run
from storage.queries import list_changes
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

ROOT = Path(__file__).resolve().parent.parent  # this checkout, whichever one is installed


def tenders_config(sites: FixtureSites, extra_source: dict | None = None) -> dict:
    base = sites.base_url("tenders")
    return {"defaults": {"render": "static", "download_delay": 0}, "competitors": [
        {"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
            {"kind": "tenders", "name": "TED", "url": f"{base}/v3/notices/search?query=kranrad", "format": "ted",
             "legal_names": ["Kranrad GmbH"], "tax_ids": ["DE 811 234 567"], "allow_private": True},
            *([extra_source] if extra_source else [])]},
        {"slug": "gruzovoz", "name": "ГрузоВоз", "sources": [
            {"kind": "tenders", "name": "ЕИС", "url": f"{base}/eis/contracts.xml", "format": "eis",
             "legal_names": ["ООО «ГрузоВоз»"], "tax_ids": ["7709876543"], "allow_private": True}]},
    ]}


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tenders")
    database_url = f"sqlite:///{folder / 'dossier.db'}"
    with FixtureSites(sites=["tenders"]) as sites:
        config = folder / "competitors.yaml"
        config.write_text(yaml.safe_dump(tenders_config(sites), allow_unicode=True), encoding="utf-8")
        first = run_once(config, database_url, folder / "outbox")
        sites.night = "night2"
        second = run_once(config, database_url, folder / "outbox")
        third = run_once(config, database_url, folder / "outbox")  # night2 again: nothing new
        seen = list(sites.requests)
    engine = create_db_engine(database_url)
    yield engine, first, second, third, seen
    engine.dispose()


def stored(engine, slug):
    with session_scope(engine) as session:
        return {t.notice_id: (t.role, t.value, t.currency) for t in session.scalars(
            select(models.Tender).join(models.Competitor, models.Competitor.id == models.Tender.competitor_id)
            .where(models.Competitor.slug == slug))}


def test_night1_stores_each_notice_naming_the_competitor_and_tells_none(two_nights):
    engine, first, *_ = two_nights
    assert first.status == "succeeded", first.failed_sources
    assert list_changes(engine, run_id=first.run_id) == []  # the first night is the baseline
    with session_scope(engine) as session:
        observed = session.scalar(select(func.count()).select_from(models.TenderObservation)
                                  .where(models.TenderObservation.run_id == first.run_id))
    assert observed == 4  # Kranrad in three TED notices, ГрузоВоз in one EIS contract


def test_night2_tells_the_tender_won_and_the_one_bid_for(two_nights):
    engine, _, second, *_ = two_nights
    assert second.status == "succeeded", second.failed_sources
    told = sorted((c.competitor_slug, c.kind, c.title, c.after, c.severity)
                  for c in list_changes(engine, run_id=second.run_id))
    assert told == [
        ("gruzovoz", "tender_won", "Перевозка грузов Москва — Казань автомобильным транспортом (фура 20 т)",
         "2750000.00 RUB", "high"),
        ("kranrad", "tender_new", "Deutschland – Fahrwerke – Fahrwerkskomponenten für Werkstattkrane", "58900.00 EUR",
         "low"),
    ]
    assert stored(engine, "kranrad") == {
        "604311-2026": ("bidder", Decimal("212400.00"), "EUR"),  # a bidder by its VAT number, another won
        "611872-2026": ("winner", Decimal("96500.00"), "EUR"),  # "Kranrad Gesellschaft mit beschränkter Haftung"
        "702215-2026": ("winner", Decimal("184000.00"), "EUR"),  # "Kranrad G.m.b.H.", won by night1 already
        "705530-2026": ("bidder", Decimal("58900.00"), "EUR"),  # named without an id
    }
    assert stored(engine, "gruzovoz") == {"2770123456726000118": ("winner", Decimal("1480000.00"), "RUB"),
                                          "1690212345626000203": ("winner", Decimal("2750000.00"), "RUB")}


def test_the_ted_search_is_a_post_of_its_query_fields_and_limit_and_the_eis_export_a_get(two_nights):
    """TED's v3 search takes its query by POST (docs.ted.europa.eu): the source's URL parameters become the JSON
    body, with the fields the reader needs; the EIS export is a file, asked for with GET."""
    *_, seen = two_nights
    searches = [s for s in seen if s.path.startswith("/v3/notices/search")]
    exports = [s for s in seen if s.path == "/eis/contracts.xml"]
    assert len(searches) == 3 and len(exports) == 3  # once a night, three nights
    assert {(s.method, s.headers.get("Content-Type")) for s in searches} == {("POST", "application/json")}
    body = json.loads(searches[0].body)
    assert (body["query"], body["limit"], body["page"], body["paginationMode"]) == ("kranrad", 250, 1, "PAGE_NUMBER")
    assert {"publication-number", "winner-name", "organisation-identifier-tenderer", "total-value"} <= set(body["fields"])
    assert {s.method for s in exports} == {"GET"}


def test_a_rerun_adds_nothing(two_nights):
    engine, _, second, third, _ = two_nights
    assert third.status == "succeeded"
    assert list_changes(engine, run_id=third.run_id) == []
    assert diff_run(engine, second.run_id) == 0  # idempotent
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.Tender)) == 6


def test_a_won_tender_is_a_high_importance_event_and_a_bid_a_low_one(two_nights):
    engine, _, second, *_ = two_nights
    with session_scope(engine) as session:
        slugs = dict(session.execute(select(models.Competitor.id, models.Competitor.slug)).all())
        titles = {slugs[e.competitor_id]: (e.kind, e.title, e.importance) for e in session.scalars(
            select(models.Event).where(models.Event.run_id == second.run_id))}
    kind, title, importance = titles["gruzovoz"]
    assert kind == "assortment" and importance >= 80
    assert title == ("Won a tender: “Перевозка грузов Москва — Казань автомобильным транспортом (фура 20 т)” – "
                     "ГОСУДАРСТВЕННОЕ КАЗЁННОЕ УЧРЕЖДЕНИЕ «ЦЕНТР ЛОГИСТИКИ РЕСПУБ…, 2,750,000.00\xa0RUB")
    kind, title, importance = titles["kranrad"]
    assert kind == "assortment" and importance < titles["gruzovoz"][2]
    assert title == ("Bidder in a tender: “Deutschland – Fahrwerke – Fahrwerkskomponenten für Werkstattkrane” – "
                     "Landesbetrieb Straßenbau Beispielland, €58,900.00")


def test_the_quarterly_view_and_the_summary_count_tenders(two_nights):
    engine, *_ = two_nights
    with session_scope(engine) as session:
        quarters = sorted(tuple(row) for row in session.execute(text(
            "SELECT competitor, quarter, currency, notices, won, value_won FROM tender_quarterly")))
        summary = {row.competitor: row.tenders_won_365d for row in session.execute(text(
            "SELECT competitor, tenders_won_365d FROM competitor_summary"))}
    assert [(c, q, cur, n, w, Decimal(str(v))) for c, q, cur, n, w, v in quarters] == [
        ("gruzovoz", "2026-Q4", "RUB", 2, 2, Decimal("4230000.00")),
        ("kranrad", "2026-Q4", "EUR", 4, 2, Decimal("280500.00")),  # 184,000 and 96,500 won
    ]
    assert set(summary) == {"kranrad", "gruzovoz"} and all(isinstance(n, int) for n in summary.values())


def test_an_answer_that_is_an_error_page_fails_its_source_in_one_line_and_stores_nothing(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    with FixtureSites(sites=["tenders"]) as sites:
        page = f"{sites.base_url('tenders')}/"
        config = tmp_path / "competitors.yaml"
        config.write_text(yaml.safe_dump(tenders_config(sites, {
            "kind": "tenders", "url": page, "name": "Maintenance", "format": "ted", "tax_ids": ["DE811234567"],
            "allow_private": True}), allow_unicode=True), encoding="utf-8")
        result = run_once(config, database_url, tmp_path / "outbox")
    engine = create_db_engine(database_url)
    try:
        assert result.status == "partial"
        with session_scope(engine) as session:
            source = session.scalar(select(models.Source).where(models.Source.url == page))
            crawl = session.scalar(select(models.SourceCrawl).where(models.SourceCrawl.source_id == source.id))
            observed = session.scalar(select(func.count()).select_from(models.TenderObservation)
                                      .where(models.TenderObservation.source_id == source.id))
            tenders = session.scalar(select(func.count()).select_from(models.Tender)
                                     .where(models.Tender.source_id == source.id))
        assert crawl.status == "failed" and observed == 0 and tenders == 0
        assert crawl.reason == (f"start URL failed: {page}: not a TED API v3 search answer (JSON) (it answered an "
                                "HTML page)")
    finally:
        engine.dispose()


def test_check_reads_an_answer_and_says_why_a_page_is_none(tmp_path):
    """`dossier check`: an answer reads (its notices naming the competitor counted); an error page reads nothing,
    with the line the crawl would store; neither is rendered."""
    with FixtureSites(sites=["tenders"]) as sites:
        config = tmp_path / "competitors.yaml"
        page = f"{sites.base_url('tenders')}/"
        config.write_text(yaml.safe_dump(tenders_config(sites, {
            "kind": "tenders", "url": page, "name": "Maintenance", "format": "ted", "tax_ids": ["DE811234567"],
            "allow_private": True}), allow_unicode=True), encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "schedules", "check", "--config", str(config), "--json"],
                                capture_output=True, text=True, cwd=tmp_path, timeout=300, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1, result.stderr  # a source reads nothing
    verdicts = {row["url"].rsplit("/", 1)[-1] or "/": (row["verdict"], row["detail"], row["rendered"])
                for row in json.loads(result.stdout) if row["kind"] == "tenders"}
    assert verdicts["search?query=kranrad"] == ("reads", "reads the notices: 3 name the competitor", False)
    assert verdicts["contracts.xml"] == ("reads", "reads the notices: 1 name the competitor", False)
    assert verdicts["/"] == ("nothing", f"reads nothing: {page}: not a TED API v3 search answer (JSON) (it answered "
                                        "an HTML page)", False)


# -- the writer and the diff on both databases -----------------------------------------------------------------
API = "https://api.ted.europa.eu/v3/notices/search?query=x"
COMPETITORS = [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
    {"kind": "tenders", "url": API, "tax_ids": ["DE811234567"]}]}]


def notice(number: int, role: str, value: str | None = "1000.00") -> Tender:
    return Tender(notice_id=f"{number}-2026", fmt="ted", title=f"Notice {number}", buyer="Stadt Beispiel",
                  value=None if value is None else Decimal(value), currency=None if value is None else "EUR",
                  published=date(2026, 11, number), role=role)


def night(engine, tenders, status="succeeded", twice=False):
    refs = sync_sources(engine, COMPETITORS)
    (source,) = refs
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.record_fetch(source.source_id, API, 200, None, 10, 1000, None)
    for _ in range(2 if twice else 1):  # an answer read twice in a run (a retried job) stores nothing twice
        writer.add_tenders(source.source_id, source.competitor_id, tenders)
        writer.flush()
    writer.close()
    record_source_outcomes(engine, run_id, refs)
    finish_run(engine, run_id, status)
    if status != "failed":
        diff_run(engine, run_id)
    return run_id


def test_a_bidder_later_awarded_is_told_won_once_and_its_role_never_falls(engine):
    night(engine, [notice(1, "bidder", None), notice(2, "winner")], twice=True)
    run_id = night(engine, [notice(1, "winner", "5000.00"), notice(2, "winner"), notice(3, "bidder")])
    told = [(c.kind, c.title, c.before, c.after) for c in list_changes(engine, run_id=run_id)]
    assert sorted(told) == [("tender_new", "Notice 3", None, "1000.00 EUR"),
                            ("tender_won", "Notice 1", "bidder", "5000.00 EUR")]
    later = night(engine, [notice(1, "bidder", None), notice(2, "winner"), notice(3, "bidder")])
    assert list_changes(engine, run_id=later) == []  # an answer showing it as a bidder again tells nothing
    with session_scope(engine) as session:
        first = session.scalar(select(models.Tender).where(models.Tender.notice_id == "1-2026"))
        assert (first.role, first.value, first.currency) == ("winner", Decimal("5000.00"), "EUR")
        assert session.scalar(select(func.count()).select_from(models.Tender)) == 3
        assert session.scalar(select(func.count()).select_from(models.TenderObservation)) == 8


def test_a_tender_first_read_by_a_failed_run_is_still_new_to_the_next_good_one(engine):
    night(engine, [notice(1, "bidder")])
    night(engine, [notice(1, "bidder"), notice(2, "winner")], status="failed")
    run_id = night(engine, [notice(1, "bidder"), notice(2, "winner")])
    assert [(c.kind, c.title) for c in list_changes(engine, run_id=run_id)] == [("tender_won", "Notice 2")]
