"""The `marketplace` and `jobs` source kinds over real crawls: a seller's listing on a marketplace followed by its
"next" link to the last page, and a job page numbered by a page parameter until a page has no postings."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from crawlsites import Sites, write_config
from crawlsites.listings import BAZAAR, CAREERS, JOBS, MARKETPLACE_SELECTORS, OFFERS
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope


@pytest.fixture(scope="module")
def listings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("listings")
    with Sites(bazaar=BAZAAR, kranrad=CAREERS) as sites:
        config = write_config(folder, [
            {"slug": "northwind", "name": "Northwind Tools", "sources": [
                {"kind": "marketplace", "url": f"{sites.base('bazaar')}/seller/northwind/", "paginate": "a.next",
                 "selectors": MARKETPLACE_SELECTORS, "currency": "USD"}]},
            {"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
                {"kind": "jobs", "url": f"{sites.base('kranrad')}/karriere/", "page_param": "seite"}]},
        ])
        database_url = f"sqlite:///{folder / 'dossier.db'}"
        result = run_once(config, database_url, folder / "outbox")
    engine = create_db_engine(database_url)
    with session_scope(engine) as session:
        products = {(p.sku, p.name, o.price, o.currency, o.availability) for p, o in session.execute(
            select(models.Product, models.PriceObservation)
            .join(models.PriceObservation, models.PriceObservation.product_id == models.Product.id)
            .where(models.PriceObservation.run_id == result.run_id))}
        jobs = {(j.title, j.location, j.posted) for j in session.scalars(
            select(models.JobPosting).where(models.JobPosting.run_id == result.run_id))}
        fetched = {f.url for f in session.scalars(select(models.Fetch).where(models.Fetch.run_id == result.run_id))}
    engine.dispose()
    return result, sites, products, jobs, fetched


def test_the_marketplace_listing_is_followed_to_its_last_page_and_stops(listings):
    result, sites, products, jobs, fetched = listings
    assert result.status == "succeeded", result.failed_sources
    assert sites.paths("bazaar") == ["/robots.txt", "/seller/northwind/", "/seller/northwind/?page=2",
                                     "/seller/northwind/?page=3"]  # not the nav, not page 1 again, no page 4


def test_every_offer_of_the_seller_and_no_sponsored_one(listings):
    result, sites, products, jobs, fetched = listings
    assert {sku for sku, *_ in products} == {offer_id for offer_id, *_ in OFFERS}  # no X-9001 from the carousel
    drill = next(p for p in products if p[0] == "B-1001")
    assert drill[1:4] == ("Northwind Cordless Drill 18V", Decimal("124.99"), "USD")
    kit = next(p for p in products if p[0] == "B-1005")
    assert kit[4] == "out_of_stock"


def test_job_postings_with_title_location_and_date_until_a_page_has_none(listings):
    result, sites, products, jobs, fetched = listings
    assert jobs == {(title, f"{city}, DE", date.fromisoformat(posted)) for title, city, posted in JOBS}
    assert sites.paths("kranrad") == ["/robots.txt", "/karriere/", "/karriere/?seite=2", "/karriere/?seite=3"]


def test_a_listing_without_a_paginate_selector_follows_the_pages_own_next_link(tmp_path):
    """No `paginate` configured: the marketplace listing's rel=next link is followed to the last page all the same."""
    with Sites(bazaar=BAZAAR) as sites:
        config = write_config(tmp_path, [{"slug": "northwind", "name": "Northwind Tools", "sources": [
            {"kind": "marketplace", "url": f"{sites.base('bazaar')}/seller/northwind/",
             "selectors": MARKETPLACE_SELECTORS, "currency": "USD"}]}])
        result = run_once(config, f"sqlite:///{tmp_path / 'dossier.db'}", tmp_path / "outbox")
        assert result.status == "succeeded", result.failed_sources
        assert sites.paths("bazaar") == ["/robots.txt", "/seller/northwind/", "/seller/northwind/?page=2",
                                         "/seller/northwind/?page=3"]
