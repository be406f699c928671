"""The writer and the diff on real databases (SQLite file and PostgreSQL): baselines, idempotency, no false alarms."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from extractors.records import Ad, PageFacts, Product, Review, ReviewPage, Technology
from storage import models
from storage.db import session_scope
from storage.diff import diff_run
from storage.queries import list_changes
from storage.compare import Rules
from storage.runs import finish_run, record_crawl_report, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

SHOP = "https://shop.example/"
COMPETITORS = [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
    {"kind": "catalog", "url": SHOP + "produkte/"},
    {"kind": "site", "url": SHOP},
    {"kind": "reviews", "url": "https://reviews.example/kranrad"},
    {"kind": "ads", "url": "https://ads.example/api", "format": "meta_ad_library"},
]}]


def night(engine, products, *, failed=(), start_fails=False, page_h1="Kranräder", tech=("jQuery",), reviews=(),
          rating=None, ads=(), rules=Rules(), cut=False):
    """One stored run as a crawl would leave it; returns the run id after its diff."""
    refs = sync_sources(engine, COMPETITORS)
    catalog, site, review_source, ad_source = refs
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.record_fetch(catalog.source_id, catalog.url, 500 if start_fails else 200, "HTTP 500" if start_fails else None,
                        12, 1000, "h")
    if not start_fails:
        for item in products:  # each read on its own page
            writer.add_products(catalog.source_id, catalog.competitor_id, [item], item.url)
    for url in failed:
        writer.record_fetch(catalog.source_id, url, 500, "HTTP 500", 3, 0, None)
    writer.record_fetch(site.source_id, site.url, 200, None, 5, 100, "x")
    writer.add_page(site.source_id, site.competitor_id, site.url, PageFacts(title="Kranrad", h1=page_h1), None)
    writer.add_technologies(site.source_id, site.competitor_id, [Technology(name) for name in tech])
    writer.record_fetch(review_source.source_id, review_source.url, 200, None, 5, 100, "r")
    writer.add_reviews(review_source.source_id, review_source.competitor_id, "reviews.example",
                       ReviewPage(aggregate_rating=rating, review_count=len(reviews), reviews=list(reviews)),
                       review_source.url)
    writer.record_fetch(ad_source.source_id, ad_source.url, 200, None, 5, 100, "a")
    writer.add_ads(ad_source.source_id, ad_source.competitor_id, "facebook", ads)
    writer.close()
    outcomes = record_source_outcomes(engine, run_id, refs)
    record_crawl_report(engine, run_id, {}, {catalog.source_id: {"cut_by_max_pages": cut}})
    finish_run(engine, run_id, "partial" if any(o.status == "failed" for o in outcomes) else "succeeded")
    diff_run(engine, run_id, rules)
    return run_id


def product(sku, price, availability="in_stock"):
    return Product(name=f"Laufrad {sku}", price=Decimal(price), currency="EUR", availability=availability, sku=sku,
                   url=f"{SHOP}produkte/{sku.lower()}.html")


def changes(engine, run_id):
    return sorted((c.kind, c.entity, c.before, c.after, c.magnitude) for c in list_changes(engine, run_id=run_id))


def test_first_run_is_a_baseline_and_the_second_reports_what_changed(engine):
    first = night(engine, [product("A", "489"), product("B", "1890"), product("C", "100", "in_stock")], rating=4.4,
                  reviews=[Review("r1", "Eva", 5.0, text="gut")], ads=[Ad("101", "Drills"), Ad("102", "Saws")])
    assert changes(engine, first) == []
    second = night(engine, [product("A", "512"), product("C", "100", "out_of_stock"), product("D", "2150")],
                   page_h1="Kranräder in 5 Tagen", tech=("jQuery", "Facebook Pixel"), rating=3.9,
                   reviews=[Review("r1", "Eva", 5.0, text="gut"), Review("r2", "Jens", 1.0, text="zu spät")],
                   ads=[Ad("101", "Drills"), Ad("103", "Ladders")])
    assert changes(engine, second) == sorted([
        ("price_up", "product:A", "489.00 EUR", "512.00 EUR", Decimal("4.70")),
        ("product_removed", "product:B", "1890.00 EUR", None, None),
        ("out_of_stock", "product:C", "in stock", "out of stock", None),
        ("product_added", "product:D", None, "2150.00 EUR", None),
        ("text_changed", f"text:{SHOP}#h1", "Kranräder", "Kranräder in 5 Tagen", None),
        ("technology_added", "technology:Facebook Pixel", None, "Facebook Pixel", None),
        ("review_new", "review:reviews.example:r2", None, "zu spät", Decimal("1.00")),
        ("rating_changed", f"rating:{3}", "4.4 (1 reviews)", "3.9 (2 reviews)", Decimal("-0.50")),
        ("ad_new", "ad:103", None, "Ladders", None),
        ("ad_stopped", "ad:102", "Saws", None, None),
    ])
    severities = {c.kind: c.severity for c in list_changes(engine, run_id=second)}
    assert severities["review_new"] == "high"


def test_diff_is_idempotent(engine):
    night(engine, [product("A", "489")])
    second = night(engine, [product("A", "512")])
    count = len(list_changes(engine, run_id=second))
    assert diff_run(engine, second) == 0
    assert len(list_changes(engine, run_id=second)) == count == 1


def test_a_failed_source_yields_source_unreachable_and_no_removals(engine):
    night(engine, [product("A", "489"), product("B", "10")])
    broken = night(engine, [], start_fails=True)
    assert [(k, b, a) for k, _, b, a, _ in changes(engine, broken)] == [
        ("source_unreachable", None, "start URL failed: HTTP 500")]
    # the next good night compares with the last *successful* crawl of the source, not the broken one
    third = night(engine, [product("A", "499"), product("B", "10")])
    assert [c[:2] for c in changes(engine, third)] == [("price_up", "product:A")]
    with session_scope(engine) as session:
        assert session.scalar(select(models.CrawlRun.status).where(models.CrawlRun.id == broken)) == "partial"


def test_a_product_on_a_failed_page_is_not_removed(engine):
    night(engine, [product("A", "489"), product("B", "10")])
    second = night(engine, [product("A", "489")], failed=[f"{SHOP}produkte/b.html"])
    assert changes(engine, second) == []


def test_rerunning_the_writer_does_not_duplicate_observations(engine):
    refs = sync_sources(engine, COMPETITORS)
    run_id = start_run(engine)
    for _ in range(2):
        writer = RunWriter(engine, run_id)
        writer.add_products(refs[0].source_id, refs[0].competitor_id, [product("A", "1"), product("A", "1")], SHOP)
        writer.record_fetch(refs[0].source_id, SHOP, 200, None, 1, 1, "h")
        writer.close()
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.PriceObservation)) == 1
        assert session.scalar(select(func.count()).select_from(models.Product)) == 1
        assert session.scalar(select(func.count()).select_from(models.Fetch)) == 1


def test_prices_are_stored_exactly(engine):
    refs = sync_sources(engine, COMPETITORS)
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.add_products(refs[0].source_id, refs[0].competitor_id, [product("A", "1299.99")], SHOP)
    writer.close()
    with session_scope(engine) as session:
        assert session.scalar(select(models.PriceObservation.price)) == Decimal("1299.99")


def kinds(engine, run_id):
    return sorted((c.kind, c.entity) for c in list_changes(engine, run_id=run_id))


def test_no_removal_from_a_crawl_cut_by_max_pages_but_from_the_next_complete_one(engine):
    night(engine, [product("A", "489"), product("B", "10")])
    cut = night(engine, [product("A", "489")], cut=True)
    assert kinds(engine, cut) == []
    complete = night(engine, [product("A", "489")])
    assert kinds(engine, complete) == [("product_removed", "product:B")]
    assert kinds(engine, night(engine, [product("A", "489")])) == []  # reported once


def test_removal_after_k_consecutive_complete_runs(engine):
    k2 = Rules(removed_after_runs=2)
    night(engine, [product("A", "489"), product("B", "10"), product("C", "5")], rules=k2)
    first = night(engine, [product("A", "489"), product("C", "5")], rules=k2)
    assert kinds(engine, first) == []  # B absent once: not yet
    blink = night(engine, [product("A", "489"), product("B", "10")], rules=k2)
    assert kinds(engine, blink) == []  # B is back: not "added"; C absent once
    cut = night(engine, [product("A", "489"), product("B", "10")], rules=k2, cut=True)
    assert kinds(engine, cut) == []  # an incomplete crawl does not count
    second = night(engine, [product("A", "489"), product("B", "10")], rules=k2)
    assert kinds(engine, second) == [("product_removed", "product:C")]
    assert kinds(engine, night(engine, [product("A", "489"), product("B", "10")], rules=k2)) == []


def test_currency_change_is_its_own_kind(engine):
    night(engine, [product("A", "100")])
    dollars = Product(name="Laufrad A", price=Decimal("110"), currency="USD", availability="in_stock", sku="A",
                      url=f"{SHOP}produkte/a.html")
    second = night(engine, [dollars])
    assert changes(engine, second) == [("currency_changed", "product:A", "100.00 EUR", "110.00 USD", None)]


def test_a_price_read_from_a_weaker_source_than_last_night_is_stored_as_an_uncertain_change(engine):
    """Last night JSON-LD said 100; tonight only the visible page could be read: the drop is kept, as uncertain."""
    from dataclasses import replace
    night(engine, [replace(product("A", "100"), price_source="json-ld", price_confidence=0.9),
                   replace(product("B", "50"), price_source="json-ld", price_confidence=0.9)])
    second = night(engine, [replace(product("A", "80"), price_source="visible", price_confidence=0.7),
                            replace(product("B", "40"), price_source="json-ld", price_confidence=0.9)])
    stored = {c.entity: (c.kind, c.uncertain, c.severity) for c in list_changes(engine, run_id=second)}
    assert stored == {"product:A": ("price_down", True, "low"), "product:B": ("price_down", False, "high")}


def test_a_product_read_twice_in_a_run_keeps_its_surer_reading(engine):
    """Its listing's card (a platform row) and its own page (JSON-LD), in either order and in separate batches:
    the JSON-LD reading is the one stored, so the next night's comparison is not made uncertain by crawl order."""
    from dataclasses import replace
    refs = sync_sources(engine, COMPETITORS)
    catalog = refs[0]
    for order in (("platform", "json-ld"), ("json-ld", "platform")):
        run_id = start_run(engine)
        writer = RunWriter(engine, run_id)
        for source in order:
            confidence = {"platform": 0.85, "json-ld": 0.9}[source]
            price = {"platform": "99", "json-ld": "100"}[source]
            writer.add_products(catalog.source_id, catalog.competitor_id,
                                [replace(product("A", price), price_source=source, price_confidence=confidence)],
                                f"{SHOP}produkte/")
            writer.flush()
        writer.close()
        with session_scope(engine) as session:
            stored = session.execute(select(models.PriceObservation.price, models.PriceObservation.price_source)
                                     .where(models.PriceObservation.run_id == run_id)).all()
        assert [(str(p), s) for p, s in stored] == [("100.00", "json-ld")], order


def test_url_keyed_products_ignore_tracking_parameters(engine):
    def by_url(url, price):
        return Product(name="Laufrad", price=Decimal(price), currency="EUR", availability="in_stock", url=url)
    night(engine, [by_url(f"{SHOP}p/lr?utm_source=mail&id=7", "100")])
    second = night(engine, [by_url(f"{SHOP}p/lr?id=7&sid=9f8e", "90")])
    assert [(k, m) for k, _, _, _, m in changes(engine, second)] == [("price_down", Decimal("-10.00"))]


def test_a_card_without_sku_and_its_page_with_one_are_one_product(engine):
    """A listing's card gives no SKU (its product is keyed by its URL), the product's page gives one: one product
    row, whichever is read first, in one batch or two, tonight and the nights after; its history is kept."""
    from dataclasses import replace
    refs = sync_sources(engine, COMPETITORS)
    catalog = refs[0]
    page = replace(product("LR-9", "100"), price_source="json-ld", price_confidence=0.9)
    card = replace(page, sku=None, price=Decimal("100"), price_source="visible", price_confidence=0.7)
    for order, batches in ((("card", "page"), True), (("page", "card"), True), (("card", "page"), False)):
        run_id = start_run(engine)
        writer = RunWriter(engine, run_id)
        for which in order:
            writer.add_products(catalog.source_id, catalog.competitor_id, [card if which == "card" else page],
                                f"{SHOP}produkte/" if which == "card" else page.url)
            if batches:
                writer.flush()
        writer.close()
        with session_scope(engine) as session:
            products = session.execute(select(models.Product.key, models.Product.sku)).all()
            seen = session.execute(select(models.PriceObservation.price_source)
                                   .where(models.PriceObservation.run_id == run_id)).scalars().all()
        assert products == [("LR-9", "LR-9")], order
        assert seen == ["json-ld"], order  # the page's reading, the surer one


def test_variants_at_one_url_keep_their_card_apart(engine):
    """Two identified products at one URL (variants of a page): a card keyed by that URL cannot be told which, and
    stays a product of its own."""
    refs = sync_sources(engine, COMPETITORS)
    catalog = refs[0]
    url = f"{SHOP}produkte/lr.html"
    variants = [Product(name="Laufrad", price=Decimal(p), currency="EUR", sku=sku, url=url)
                for sku, p in (("LR-S", "10"), ("LR-L", "12"))]
    card = Product(name="Laufrad", price=Decimal("10"), currency="EUR", url=url)
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.add_products(catalog.source_id, catalog.competitor_id, variants, url)
    writer.flush()
    writer.add_products(catalog.source_id, catalog.competitor_id, [card], f"{SHOP}produkte/")
    writer.close()
    with session_scope(engine) as session:
        keys = sorted(session.execute(select(models.Product.key)).scalars().all())
    assert keys == ["LR-L", "LR-S", url]
