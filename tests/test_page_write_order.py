"""A page's fetch row reaches the database only with the page's observations or after them.

A fetch row in the database says its page was read and stored, wherever a crawl is killed (the writer flushes
whenever a buffer is full, in the middle of a page): were it written before the page's products, a reader of the
run's fetch rows would take a page for stored whose products are missing.
"""
from __future__ import annotations

import json

import pytest
import scrapy
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from sqlalchemy import text

from crawler.pipelines import StoragePipeline
from crawler.observations import FetchRecord, Observation, PageRead, ProductsRead
from crawler.sources import SOURCE_KINDS, SourcePlan
from crawler.spider import CompetitorSpider
from storage import writer
from storage.db import create_db_engine, upgrade
from storage.runs import start_run, sync_sources

SHOP = "http://127.0.0.1:8000/catalog/"
PRODUCTS = [{"@context": "https://schema.org", "@type": "Product", "name": f"Drill {n}", "sku": f"D-{n}",
             "offers": {"@type": "Offer", "price": f"{n}9.90", "priceCurrency": "EUR"}} for n in (1, 2, 3)]
PAGE = ("<html><head><title>Drills</title>"
        + "".join(f'<script type="application/ld+json">{json.dumps(p)}</script>' for p in PRODUCTS)
        + "</head><body><h1>Drills</h1><a href='/catalog/?page=2'>next</a></body></html>").encode()


def _outputs(plan: SourcePlan) -> list[Observation]:
    spider = CompetitorSpider([plan])
    spider.settings = Settings({"DOWNLOAD_MAXSIZE": 10_000_000})
    request = scrapy.Request(SHOP, meta={"dossier_source_id": plan.source_id, "dossier_depth": 0,
                                         "dossier_page": None})
    response = HtmlResponse(SHOP, status=200, body=PAGE, encoding="utf-8", request=request)
    return [output for output in spider.parse_page(response) if isinstance(output, Observation)]


@pytest.mark.parametrize("kind", ["catalog", "site"])
def test_wherever_a_crawl_is_killed_a_stored_fetch_row_has_its_page_s_observations_stored(tmp_path, monkeypatch, kind):
    monkeypatch.setattr(writer, "FLUSH_EVERY", 1)  # every observation written at once: a death between any two
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    engine = create_db_engine(database_url)
    upgrade(engine)
    ref = sync_sources(engine, [{"slug": "kranrad", "name": "Kranrad", "sources": [{"kind": kind, "url": SHOP}]}])[0]
    plan = SourcePlan(source_id=ref.source_id, competitor_id=ref.competitor_id, competitor_slug="kranrad",
                      kind=kind, url=SHOP, max_pages=10, max_depth=1)
    outputs = _outputs(plan)
    observed = {"catalog": ProductsRead, "site": PageRead}[kind]
    kinds = [type(o) for o in outputs]
    assert kinds.count(FetchRecord) == 1 and observed in kinds
    pipeline = StoragePipeline(database_url, start_run(engine))
    pipeline.open_spider()
    stored_at_the_fetch_row = None
    for item in outputs:
        pipeline.process_item(item)  # what a kill -9 right after this item leaves in the database
        with engine.connect() as connection:
            fetched = connection.execute(text('SELECT count(*) FROM "fetch"')).scalar()
            prices = connection.execute(text("SELECT count(*) FROM price_observation")).scalar()
            pages = connection.execute(text("SELECT count(*) FROM page_snapshot")).scalar()
        if fetched and stored_at_the_fetch_row is None:
            stored_at_the_fetch_row = {ProductsRead: prices, PageRead: pages}[observed]
    assert stored_at_the_fetch_row == (3 if kind == "catalog" else 1)
    pipeline.writer.engine.dispose()
    engine.dispose()


@pytest.mark.parametrize("kind", ["catalog", "site"])
def test_a_page_an_extractor_fails_on_is_a_failed_fetch_told_as_a_bug(kind, monkeypatch, caplog):
    """The page then has a fetch row (nothing is lost) with an error (so the diff removes none of its products),
    and the crawl's log keeps the traceback."""
    def broken(self, plan, document, headers):
        raise KeyError("offers")

    monkeypatch.setattr(SOURCE_KINDS[kind].__class__, "extract", broken)
    plan = SourcePlan(source_id=1, competitor_id=1, competitor_slug="kranrad", kind=kind, url=SHOP, max_pages=10,
                      max_depth=1)
    outputs = _outputs(plan)
    assert [type(o) for o in outputs] == [FetchRecord]
    assert outputs[0].info.status == 200 and outputs[0].info.outcome == "extraction_failed"
    assert outputs[0].info.error == ("extracting the page failed on a bug (KeyError: 'offers'); its traceback "
                                     "is in the crawl's log: please report it")
    assert "Traceback" in caplog.text and "raise KeyError" in caplog.text
