"""Events: a run's changes grouped into what a person would name (pure rules, titles in three languages), stored
with every change in exactly one; the state of products (listed or gone); texts that rotate between versions."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from extractors.records import PageFacts
from storage.compare import rotation
from storage.event_rules import FAMILIES, ChangeFact, group_changes, headline_change
from storage.event_titles import LANGUAGES, MESSAGES, event_title
from storage.events import list_events, record_events
from storage.queries import list_changes
from storage.runs import finish_run, record_crawl_report, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter
from storage.diff import diff_run
from tests.test_storage import COMPETITORS, SHOP, night, product

NEWS = "https://shop.example/news/sr-500/"


def fact(id, kind, title=None, *, entity=None, url=None, before=None, after=None, magnitude=None, severity="low",
         competitor=1, category=None):
    return ChangeFact(id, competitor, kind, entity or f"{kind}:{id}", title, url, before, after,
                      None if magnitude is None else Decimal(magnitude), severity, category)


LAUNCH_NIGHT = [
    fact(1, "product_added", "Spurkranzrad SR 500", entity="product:KR-SR-500", url=SHOP + "sr-500.html",
         after="2150.00 EUR", severity="medium"),
    fact(2, "page_added", "Spurkranzrad SR 500 (KR-SR-500)", entity=f"page:{SHOP}sr-500.html",
         url=SHOP + "sr-500.html"),
    fact(3, "content_new", "Neu im Programm: Spurkranzrad SR 500", entity=f"content:{NEWS}", url=NEWS,
         after="2026-11-19"),
    fact(4, "page_added", "Neu im Programm", entity=f"page:{NEWS}", url=NEWS),
    fact(5, "text_changed", f"main text of {SHOP}", entity=f"text:{SHOP}#main_text", url=SHOP,
         after="-Alte Meldung.\n+Das Spurkranzrad SR 500 ist ab sofort lieferbar."),
    fact(6, "price_up", "Laufrad LR 200", entity="product:KR-LR-200", before="489.00 EUR", after="512.00 EUR",
         magnitude="4.70", category="Laufräder"),
    fact(7, "price_up", "Laufrad LR 250", entity="product:KR-LR-250", before="649.00 EUR", after="689.00 EUR",
         magnitude="6.16", severity="medium", category="Laufräder"),
    fact(8, "text_changed", f"h1 of {SHOP}", entity=f"text:{SHOP}#h1", url=SHOP,
         before="Kranlaufräder nach Maß – Lieferung in 10 Tagen",
         after="Kranlaufräder nach Maß – Lieferung in 5 Tagen", severity="medium"),
    fact(9, "review_new", "reviews.example: Frank, 1★", after="Lieferung drei Wochen zu spät", magnitude="1",
         severity="high"),
    fact(10, "review_new", "reviews.example: Katrin, 5★", after="Top", magnitude="5"),
    fact(11, "job_posted", "Schweißer (m/w/d)", entity=f"job:{SHOP}karriere/#kr-12", url=SHOP + "karriere/"),
    fact(12, "text_changed", f"main text of {SHOP}karriere/", entity=f"text:{SHOP}karriere/#main_text",
         url=SHOP + "karriere/", after="+Schweißer gesucht"),
    fact(13, "robots_changed", "robots.txt", after="+ disallow: /intern/", severity="medium"),
    fact(14, "sitemap_grew", "sitemap URLs", before="8", after="9", magnitude="12.50"),
    fact(15, "price_down", "Фура 10 т", entity="product:GV-10T", before="4900.00 RUB", after="4690.00 RUB",
         magnitude="-4.29", competitor=2),
    fact(16, "newsletter_new", "info@gruzovoz.example: Новый тариф «Фура 10 т»", after="…", competitor=2),
]


def by_kind(events):
    return {(e.competitor_id, e.kind): e for e in events}


def test_every_change_is_in_exactly_one_event_and_announcements_join_what_they_announce():
    events = group_changes(LAUNCH_NIGHT)
    placed = [change_id for event in events for change_id in event.change_ids]
    assert sorted(placed) == [c.id for c in LAUNCH_NIGHT]  # each once
    groups = {key: set(event.change_ids) for key, event in by_kind(events).items()}
    # the new product, its page, the article announcing it (and that article's page), and the home text naming it
    assert groups[(1, "assortment")] == {1, 2, 3, 4, 5}
    assert groups[(1, "prices")] == {6, 7}
    assert groups[(1, "marketing")] == {8}  # the headline's delivery promise
    assert groups[(1, "reviews")] == {9, 10}
    assert groups[(1, "hiring")] == {11, 12}  # the careers page's text is the job's evidence
    assert groups[(1, "site")] == {13, 14}
    assert groups[(2, "prices")] == {15, 16}  # a newsletter naming a product whose price moved: its evidence
    assert by_kind(events)[(1, "assortment")].facts["announced"] == ["news", "site"]


def test_events_are_sorted_by_importance_and_a_launch_outranks_site_housekeeping():
    events = group_changes(LAUNCH_NIGHT)
    assert [e.importance for e in events] == sorted((e.importance for e in events), reverse=True)
    kinds = [(e.competitor_id, e.kind) for e in events]
    assert kinds.index((1, "assortment")) < kinds.index((1, "marketing")) < kinds.index((1, "site"))
    assert all(0 <= e.importance <= 100 for e in events)


def test_rarity_raises_an_event_the_competitor_seldom_has():
    common = group_changes(LAUNCH_NIGHT, rarity={(1, "hiring"): 1.0})
    rare = group_changes(LAUNCH_NIGHT, rarity={(1, "hiring"): 0.0})
    assert by_kind(rare)[(1, "hiring")].importance - by_kind(common)[(1, "hiring")].importance == 15


@pytest.mark.parametrize("language, launch, prices, headline, reviews", [
    ("en", "New product Spurkranzrad SR 500 at €2,150.00, announced in the news and the site's text",
     "2 prices in Laufräder up 5.4% on average", "Headline on the home page: “… Lieferung in 10 Tagen” → "
     "“… Lieferung in 5 Tagen”", "2 new reviews, one 1-star: “Lieferung drei Wochen zu spät”"),
    ("de", "Neues Produkt Spurkranzrad SR 500 für 2.150,00 €, angekündigt in den News und den Texten der Website",
     "2 Preise in Laufräder um durchschnittlich 5,4 % gestiegen", "Überschrift auf der Startseite: „… Lieferung in "
     "10 Tagen“ → „… Lieferung in 5 Tagen“", "2 neue Bewertungen, eine mit 1 Stern: „Lieferung drei Wochen zu spät“"),
    ("ru", "Новый товар Spurkranzrad SR 500 за 2 150,00 €, объявлено в новостях и тексте сайта",
     "2 цены в категории «Laufräder» выросли в среднем на 5,4 %", "Заголовок на главной странице: «… Lieferung in "
     "10 Tagen» → «… Lieferung in 5 Tagen»", "2 новых отзыва, один на 1 ★: «Lieferung drei Wochen zu spät»"),
])
def test_titles_are_written_from_the_facts_in_the_configured_language(language, launch, prices, headline, reviews):
    events = by_kind(group_changes(LAUNCH_NIGHT))
    def title(kind):
        event = events[(1, kind)]
        return event_title(event.kind, event.facts, language).replace("\u00a0", " ")
    assert title("assortment") == launch
    assert title("prices") == prices
    assert title("marketing") == headline
    assert title("reviews") == reviews


def test_every_message_has_every_language_and_every_plural_form_it_needs():
    from babel import Locale

    for msgid, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), msgid
        for language, message in texts.items():
            if isinstance(message, dict):
                forms = {Locale.parse(language).plural_form(n) for n in range(0, 200)}
                assert forms <= set(message) | {"other"} and "other" in message, (msgid, language)


def test_a_title_of_hostile_or_huge_facts_stays_one_bounded_line():
    changes = [fact(i, "product_added", "X" * 500 + str(i), entity=f"product:{i}", after="1.00 EUR")
               for i in range(50)]
    (event,) = group_changes(changes)
    title = event_title(event.kind, event.facts)
    assert len(title) <= 300 and title.startswith("50 new products") and "+47 more" in title


def test_headline_change_shows_the_words_that_changed_with_context():
    assert headline_change("Kranlaufräder nach Maß – Lieferung in 10 Tagen",
                           "Kranlaufräder nach Maß – Lieferung in 5 Tagen") == {
        "before": "… Lieferung in 10 Tagen", "after": "… Lieferung in 5 Tagen"}
    assert headline_change("Old", "New") == {"before": "Old", "after": "New"}


def test_timeline_families_are_at_most_six():
    assert len(FAMILIES) <= 6


# --- stored: events of a diffed run ------------------------------------------------------------------------

def test_a_runs_events_hold_every_change_once_and_regrouping_replaces_them(engine):
    night(engine, [product("A", "489"), product("B", "1890")])
    second = night(engine, [product("A", "512"), product("D", "2150")], page_h1="Kranräder in 5 Tagen",
                   tech=("jQuery", "Facebook Pixel"))
    assert record_events(engine, second, "de") == record_events(engine, second, "de") == 4
    events = list_events(engine, run_id=second)
    changes = list_changes(engine, run_id=second)
    assert sorted(i for e in events for i in e.change_ids) == sorted(c.id for c in changes)
    assert {e.kind for e in events} == {"assortment", "prices", "marketing", "site"}
    assert any(e.title.startswith("Neues Produkt Laufrad D für 2.150,00") for e in events)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM event")).scalar() == 4
        assert connection.execute(text("SELECT SUM(changes) FROM recent_events")).scalar() == len(changes)


# --- the state of products ----------------------------------------------------------------------------------

def status(engine):
    with engine.connect() as connection:
        return {r["sku"]: (r["status"], r["gone_since_run_id"]) for r in connection.execute(text(
            "SELECT sku, status, gone_since_run_id FROM product_status")).mappings()}


def listed(engine):
    with engine.connect() as connection:
        return sorted(r[0] for r in connection.execute(text("SELECT sku FROM latest_prices")))


def test_a_product_that_goes_is_gone_since_that_crawl_and_not_listed_or_counted(engine):
    night(engine, [product("A", "489"), product("B", "1890")])
    second = night(engine, [product("A", "489")])
    assert status(engine) == {"A": ("listed", None), "B": ("gone", second)}
    assert listed(engine) == ["A"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT products_tracked FROM competitor_summary")).scalar() == 1
        assert connection.execute(text("SELECT products FROM category_prices")).scalar() == 1


def test_a_product_that_comes_back_is_listed_again(engine):
    night(engine, [product("A", "489"), product("B", "1890")])
    night(engine, [product("A", "489")])
    night(engine, [product("A", "489"), product("B", "1850")])
    assert status(engine) == {"A": ("listed", None), "B": ("listed", None)}
    assert listed(engine) == ["A", "B"]


def test_a_product_whose_source_failed_tonight_is_still_listed(engine):
    night(engine, [product("A", "489"), product("B", "1890")])
    night(engine, [], start_fails=True)
    assert status(engine) == {"A": ("listed", None), "B": ("listed", None)}
    assert listed(engine) == ["A", "B"]


# --- texts rotating between versions ------------------------------------------------------------------------

@pytest.mark.parametrize("history, now, flips", [
    (["A", "B"], "A", 2),  # the second flip returns to a value seen before: recognised
    (["A", "B", "A"], "B", 3),
    (["A", "A", "B"], "A", 2),
])
def test_a_value_returning_after_two_flips_is_rotating(history, now, flips):
    evidence = rotation(history, now)
    assert evidence is not None and evidence["flips"] == flips and evidence["rule"] == "rotating_value"


@pytest.mark.parametrize("history, now", [
    (["A"], "B"),  # a first change
    (["A", "B"], "C"),  # a new version, not a return
    (["A", "B"], "B"),  # no change
    ([], "A"),
])
def test_a_value_that_does_not_return_is_no_rotation(history, now):
    assert rotation(history, now) is None


def site_night(engine, h1: str) -> int:
    """One run of the site source only, its home page's headline `h1`; returns the run id after its diff."""
    refs = sync_sources(engine, COMPETITORS)
    site = refs[1]
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.record_fetch(site.source_id, site.url, 200, None, 5, 100, "x")
    writer.add_page(site.source_id, site.competitor_id, site.url, PageFacts(title="Kranrad", h1=h1), None)
    writer.close()
    record_source_outcomes(engine, run_id, [site])
    record_crawl_report(engine, run_id, {}, {})
    finish_run(engine, run_id, "succeeded")
    diff_run(engine, run_id)
    return run_id


def test_an_ab_headline_is_reported_once_as_rotating_with_its_counter_then_silent(engine):
    kinds = []
    for h1 in ("Lieferung in 10 Tagen", "Jetzt 5 % Rabatt", "Lieferung in 10 Tagen", "Jetzt 5 % Rabatt",
               "Lieferung in 10 Tagen", "Neu: Lieferung in 3 Tagen"):
        run_id = site_night(engine, h1)
        kinds.append([(c.kind, c.after) for c in list_changes(engine, run_id=run_id)
                      if c.entity.endswith("#h1")])
    assert kinds == [
        [], [("text_changed", "Jetzt 5 % Rabatt")],
        [("text_rotating", "Lieferung in 10 Tagen")],  # the second flip: recognised, reported once
        [], [],  # still rotating between the two known versions: silent
        [("text_changed", "Neu: Lieferung in 3 Tagen")],  # a new version is a change again
    ]
    with engine.connect() as connection:
        evidence = connection.execute(text("SELECT evidence FROM change WHERE kind = 'text_rotating'")).scalar()
    import json
    evidence = json.loads(evidence) if isinstance(evidence, str) else evidence
    assert evidence["rule"] == "rotating_value" and evidence["flips"] == 2 and evidence["values"] == 2


def test_review_changes_call_the_source_by_its_configured_name(engine, monkeypatch):
    import tests.test_storage as stored
    from extractors.records import Review

    named = [{**c, "sources": [{**s, "name": "ReviewHub"} if s["kind"] == "reviews" else s for s in c["sources"]]}
             for c in stored.COMPETITORS]
    monkeypatch.setattr(stored, "COMPETITORS", named)
    night(engine, [product("A", "489")], rating=4.4, reviews=[Review("r1", "Eva", 5.0, text="gut")])
    second = night(engine, [product("A", "489")], rating=3.9,
                   reviews=[Review("r1", "Eva", 5.0, text="gut"), Review("r2", "Jens", 1.0, text="zu spät")])
    titles = {c.kind: c.title for c in list_changes(engine, run_id=second)}
    assert titles == {"review_new": "ReviewHub: Jens, 1★", "rating_changed": "rating on ReviewHub"}


GAP_NIGHT = [
    fact(1, "price_down", "Spurkranzrad SR 160", entity="product:KR-SR-160", before="379.00 EUR", after="359.00 EUR",
         magnitude="-5.28"),
    ChangeFact(2, 1, "undercut", "price_gap:kranrad:KR-SR-160", "Spurkranzrad SR 160", None, "379.00 EUR", "359.00 EUR",
               Decimal("-2.71"), "high", None, {"our_product": "Flanged crane wheel SR-160", "our_price": "369.00 EUR",
                                                 "gap_pct": "-2.71", "gap_pct_before": "2.71"}),
    ChangeFact(3, 1, "price_gap_changed", "price_gap:kranrad:KR-LR-250", "Laufrad LR 250", None, "649.00 EUR", "689.00 EUR",
               Decimal("6.07"), "low", None, {"our_product": "Crane wheel LR-250", "our_price": "659.00 EUR",
                                               "gap_pct": "4.55", "gap_pct_before": "-1.52"}),
]


@pytest.mark.parametrize("language, title", [
    ("en", "Spurkranzrad SR 160 undercuts our Flanged crane wheel SR-160: down 5.3% to €359.00, against our "
           "€369.00; Laufrad LR 250: price against ours -1.5% → +4.6%"),
    ("de", "Spurkranzrad SR 160 unterbietet unser Flanged crane wheel SR-160: um 5,3 % gesenkt auf 359,00 €, "
           "gegenüber unseren 369,00 €; Laufrad LR 250: Preis gegenüber unserem -1,5 % → +4,6 %"),
    ("ru", "Spurkranzrad SR 160 дешевле нашего Flanged crane wheel SR-160: цена снизилась на 5,3 % до 359,00 € "
           "против нашей 369,00 €; Laufrad LR 250: цена относительно нашей -1,5 % → +4,6 %"),
])
def test_an_undercut_leads_the_prices_event_and_tells_the_drop_that_did_it_once(language, title):
    (event,) = group_changes(GAP_NIGHT)
    assert event.kind == "prices" and event.severity == "high"
    assert event_title(event.kind, event.facts, language).replace("\u00a0", " ") == title
    alone = group_changes(GAP_NIGHT[1:2])[0]  # no drop of theirs tonight: we raised ours above theirs
    assert event_title(alone.kind, alone.facts) == ("Spurkranzrad SR 160 undercuts our Flanged crane wheel SR-160: "
                                                    "€359.00 against our €369.00 (2.7% cheaper)")
    # an undercut outranks the same night's price moves without one
    assert event.importance > group_changes([GAP_NIGHT[0], GAP_NIGHT[2]])[0].importance
