"""The analyst's SQL views (migration 0003) on SQLite and PostgreSQL: latest prices, history, medians, summaries."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from extractors.records import Ad, Product, Review, ReviewPage, Technology
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

COMPETITORS = [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
    {"kind": "catalog", "url": "https://k.example/produkte/"},
    {"kind": "site", "url": "https://k.example/"},
    {"kind": "reviews", "url": "https://reviews.example/kranrad"},
    {"kind": "ads", "url": "https://ads.example/api", "format": "meta_ad_library"},
]}]


def stored_run(engine, prices: dict[str, str], status="succeeded", stock=None, rating=None, tech=()):
    catalog, site, reviews, ads = sync_sources(engine, COMPETITORS)
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.record_fetch(catalog.source_id, catalog.url, 200, None, 1, 1, "h")
    writer.add_products(catalog.source_id, catalog.competitor_id, [
        Product(name=f"Laufrad {sku}", price=Decimal(price), currency="EUR", sku=sku, category="Laufräder",
                availability=(stock or {}).get(sku, "in_stock")) for sku, price in prices.items()], catalog.url)
    writer.add_technologies(site.source_id, site.competitor_id, [Technology(name) for name in tech])
    if rating:
        writer.add_reviews(reviews.source_id, reviews.competitor_id, "reviews.example",
                           ReviewPage(rating, 2, [Review("r1", rating=5.0), Review("r2", rating=1.0)]), reviews.url)
    writer.add_ads(ads.source_id, ads.competitor_id, "facebook", [Ad("101", "Drills")])
    writer.close()
    record_source_outcomes(engine, run_id, [catalog, site, reviews, ads])
    finish_run(engine, run_id, status)
    return run_id


def rows(engine, sql):
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(text(sql)).mappings()]


def test_latest_prices_and_history_skip_failed_runs(engine):
    stored_run(engine, {"A": "100", "B": "200"})
    second = stored_run(engine, {"A": "110", "B": "200"})
    stored_run(engine, {"A": "1", "B": "1"}, status="failed")  # a crashed run's numbers never show
    latest = {r["sku"]: (Decimal(str(r["price"])), r["run_id"]) for r in rows(engine, "SELECT * FROM latest_prices")}
    assert latest == {"A": (Decimal("110"), second), "B": (Decimal("200"), second)}
    history = rows(engine, "SELECT sku, price FROM price_history WHERE sku = 'A' ORDER BY run_id")
    assert [Decimal(str(r["price"])) for r in history] == [Decimal("100"), Decimal("110")]


def test_category_median_min_max(engine):
    stored_run(engine, {"A": "10", "B": "20", "C": "40", "D": "1000"})
    (row,) = rows(engine, "SELECT * FROM category_prices")
    assert (row["category"], row["currency"], row["products"]) == ("Laufräder", "EUR", 4)
    assert [Decimal(str(row[k])) for k in ("min_price", "median_price", "max_price")] == [
        Decimal("10"), Decimal("30"), Decimal("1000")]


def test_competitor_summary(engine):
    stored_run(engine, {"A": "10", "B": "20"}, stock={"B": "out_of_stock"}, rating=4.5, tech=("jQuery", "1C-Bitrix"))
    (row,) = rows(engine, "SELECT * FROM competitor_summary")
    assert (row["competitor"], row["products_tracked"], float(row["share_in_stock"])) == ("kranrad", 2, 0.5)
    assert float(row["average_rating"]) == 4.5 and row["review_count"] == 2
    assert sorted(t.strip() for t in row["technologies"].split(",")) == ["1C-Bitrix", "jQuery"]
    assert row["active_ads"] == 1 and row["changes_7d"] == 0
    (stats,) = rows(engine, "SELECT * FROM review_stats")
    assert (stats["reviews_stored"], stats["negative_reviews"]) == (2, 1)
