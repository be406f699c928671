"""`dossier add`: a competitor's sources discovered from its home page. On each fixture site, `dossier add` and a
run of what it wrote read the same products and reviews as a run of the hand-written fixtures/demo.yaml; adding
again updates the block; a site that cannot be read is one line and exit 2. `dossier add` runs in a process of
its own (Scrapy's reactor starts once per process)."""
from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy import select

from crawler.onboarding import default_slug
from crawlsites import Reply, Sites
from dossier.config import load_config
from fixtures.server import FixtureSites
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope

SITES = {"kranrad": "kranrad", "gruzovoz": "gruzovoz", "toolshop": "toolshop"}


def dossier(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schedules", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def without_site_sources(path: Path) -> None:
    """The config with its `site` sources left out: products and reviews are compared, and the site crawls of
    every page would only slow the test."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for competitor in data["competitors"]:
        competitor["sources"] = [s for s in competitor["sources"] if s["kind"] != "site"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def read_products(database_url: str, run_id: int) -> set[tuple[str, str, Decimal, str]]:
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            rows = session.execute(
                select(models.Competitor.slug, models.Product.name, models.PriceObservation.price,
                       models.PriceObservation.currency)
                .join(models.Product, models.Product.id == models.PriceObservation.product_id)
                .join(models.Competitor, models.Competitor.id == models.Product.competitor_id)
                .where(models.PriceObservation.run_id == run_id, models.PriceObservation.price.is_not(None))).all()
    finally:
        engine.dispose()
    return {(slug, name, Decimal(price).quantize(Decimal("0.01")), currency) for slug, name, price, currency in rows}


def read_reviews(database_url: str, run_id: int) -> set[tuple[str, str | None, float | None, str | None]]:
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            rows = session.execute(
                select(models.Competitor.slug, models.Review.author, models.Review.rating, models.Review.published)
                .join(models.ReviewObservation, models.ReviewObservation.review_id == models.Review.id)
                .join(models.Competitor, models.Competitor.id == models.Review.competitor_id)
                .where(models.ReviewObservation.run_id == run_id)).all()
    finally:
        engine.dispose()
    return {(slug, author, rating, str(published)) for slug, author, rating, published in rows}


@pytest.mark.slow
def test_add_then_run_reads_what_the_hand_written_config_reads(tmp_path):
    with FixtureSites(sites=["kranrad", "gruzovoz", "toolshop", "reviewhub", "adlibrary", "liftwerk",
                             "newsfeed", "tenders", "social"]) as sites:
        demo = tmp_path / "demo.yaml"
        text = sites.render_config()
        data = yaml.safe_load(text)
        data["competitors"] = [c for c in data["competitors"] if c["slug"] in SITES]  # not our own shop
        for competitor in data["competitors"]:  # products and reviews only: mailboxes, ads, feeds, procurement
            competitor["sources"] = [s for s in competitor["sources"]  # answers and channels are no web pages
                                     if s["kind"] not in ("newsletter", "ads", "site", "mentions", "tenders",
                                                          "social")]
        data.pop("alerts")
        demo.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        added = tmp_path / "competitors.yaml"
        added.write_text("defaults:\n  download_delay: 0\n", encoding="utf-8")
        for slug in SITES:
            result = dossier("add", sites.base_url(slug) + "/", "--config", str(added), "--slug", slug, "--yes",
                             "--allow-private", cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            assert f"added {slug} in" in result.stdout or f"created {slug} in" in result.stdout
        config = load_config(added)
        kinds = {c.slug: sorted(s.kind for s in c.sources) for c in config.competitors}
        assert kinds == {"kranrad": ["catalog", "jobs", "reviews", "site"],
                         "gruzovoz": ["catalog", "jobs", "reviews", "site"],
                         "toolshop": ["catalog", "catalog", "jobs", "site"]}
        without_site_sources(added)
        demo_db, added_db = f"sqlite:///{tmp_path / 'demo.db'}", f"sqlite:///{tmp_path / 'added.db'}"
        by_hand = run_once(demo, demo_db, tmp_path / "outbox")
        discovered = run_once(added, added_db, tmp_path / "outbox")
    assert by_hand.status == discovered.status == "succeeded", (by_hand.failed_sources, discovered.failed_sources)
    expected = read_products(demo_db, by_hand.run_id)
    assert {slug for slug, *_ in expected} == set(SITES)  # every competitor's products, the JavaScript deal included
    assert ("toolshop", "Pro Tool Kit", Decimal("249.00"), "USD") in expected
    assert read_products(added_db, discovered.run_id) == expected
    reviews = read_reviews(demo_db, by_hand.run_id)
    assert {slug for slug, *_ in reviews} == {"kranrad", "gruzovoz"}
    assert read_reviews(added_db, discovered.run_id) == reviews


@pytest.mark.slow
def test_adding_again_updates_the_block_and_keeps_the_rest_of_the_file(tmp_path):
    with FixtureSites(sites=["gruzovoz"]) as sites:
        config = tmp_path / "competitors.yaml"
        config.write_text("# our watch list\ndefaults:\n  download_delay: 0  # a test site on loopback\n",
                          encoding="utf-8")
        url = sites.base_url("gruzovoz") + "/"
        first = dossier("add", url, "--config", str(config), "--yes", "--allow-private", cwd=tmp_path)
        second = dossier("add", url, "--config", str(config), "--yes", "--allow-private", "--name", "GruzoVoz",
                         cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
    slug = default_slug(url)
    assert f"added {slug}" in first.stdout and f"updated {slug}" in second.stdout
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# our watch list\n") and "# a test site on loopback" in text
    loaded = load_config(config)
    assert [c.slug for c in loaded.competitors] == [slug] and loaded.competitors[0].name == "GruzoVoz"
    assert "# own review page: sample read 3 reviews, rating 4.7" in text
    assert "# careers page: sample read 2 job postings" in text


@pytest.mark.slow
def test_add_then_run_reads_a_shop_no_rule_was_written_for(tmp_path):
    """velo stands for a user's competitor (fixtures/README.md): a hand-made French theme, prices in JSON-LD,
    microdata and visible text only, one price set by JavaScript, paginated categories, a reviews page, and a
    robots.txt whose forbidden pages every page links to."""
    import json

    expected = json.loads((Path(__file__).resolve().parent.parent / "fixtures/velo/expected.json")
                          .read_text(encoding="utf-8"))
    truth = expected["nights"]["night1"]
    config = tmp_path / "competitors.yaml"
    config.write_text("defaults:\n  download_delay: 0\n", encoding="utf-8")
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    with FixtureSites(sites=["velo"]) as sites:
        added = dossier("add", sites.base_url("velo") + "/", "--config", str(config), "--slug", "velo", "--yes",
                        "--allow-private", cwd=tmp_path)
        assert added.returncode == 0, added.stderr
        assert "- kind: site" in config.read_text(encoding="utf-8")
        without_site_sources(config)
        result = run_once(config, database_url, tmp_path / "outbox")
    assert result.status == "succeeded", result.failed_sources
    assert "selectors" not in config.read_text(encoding="utf-8")  # no hand-written, nor proposed, selector
    read = read_products(database_url, result.run_id)
    right = [p for p in truth["products"]
             if ("velo", p["name"], Decimal(p["price"]), p["currency"]) in read]
    assert len(right) >= 0.95 * len(truth["products"]), sorted(
        p["name"] for p in truth["products"] if p not in right)
    javascript = [p for p in truth["products"] if p["price_markup"] == "javascript"]
    assert javascript and all(p in right for p in javascript)
    reviews = read_reviews(database_url, result.run_id)
    assert len(reviews) == truth["reviews"]["count"]
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            forbidden = session.execute(select(models.Fetch.url, models.Fetch.status, models.Fetch.error).where(
                models.Fetch.url.contains("/panier/") | models.Fetch.url.contains("/compte/")
                | models.Fetch.url.contains("/recherche/") | models.Fetch.url.contains("?tri="))).all()
    finally:
        engine.dispose()
    assert forbidden  # the pages link to them …
    assert all(status is None and error == "Forbidden by robots.txt" for _url, status, error in forbidden)  # … unasked


def _shop_page(title: str, body: str, head: str = "") -> Reply:
    return Reply(f"<!doctype html><html lang='en'><head><title>{title} | Gearbox Store</title>{head}</head>"
                 f"<body><h1>{title}</h1>{body}</body></html>")


def _product_page(number: int) -> Reply:
    data = ('{"@context": "https://schema.org", "@type": "Product", "name": "Gear %d", "sku": "G-%d", '
            '"offers": {"@type": "Offer", "price": "%d.50", "priceCurrency": "USD"}}' % (number, number, 10 + number))
    return _shop_page(f"Gear {number}", f"<p class='price'>${10 + number}.50</p>",
                      f"<script type='application/ld+json'>{data}</script>")


def test_add_finds_listings_one_step_past_the_home_page_and_keeps_off_what_robots_txt_forbids(tmp_path):
    """The home page links to the catalog's overview, which links to the categories: the listings are found one step
    further; no page robots.txt forbids is asked for."""
    cards = "".join(f"<div class='card'><a href='/items/gear-{n}.html'><h3>Gear {n}</h3></a>"
                    f"<span class='price'>${10 + n}.50</span></div>" for n in (1, 2, 3))
    routes = {
        "/robots.txt": Reply("User-agent: *\nDisallow: /cart/\n", content_type="text/plain"),
        "/": _shop_page("Welcome", "<p>Gearboxes since 1998.</p><a href='/catalog/'>Our catalog</a>"
                                   "<a href='/cart/'>Cart</a><a href='/about/'>About us</a>"),
        "/catalog/": _shop_page("Catalog", "<a href='/catalog/gears/'>Gears</a><a href='/cart/'>Cart</a>"),
        "/catalog/gears/": _shop_page("Gears", f"<div class='grid'>{cards}</div>"),
        "/about/": _shop_page("About us", "<p>Family business.</p>"),
        **{f"/items/gear-{n}.html": _product_page(n) for n in (1, 2, 3)},
    }
    config = tmp_path / "competitors.yaml"
    with Sites(shop=routes) as sites:
        result = dossier("add", sites.base("shop") + "/", "--config", str(config), "--slug", "gearbox", "--yes",
                         "--allow-private", cwd=tmp_path)
        asked = sites.paths("shop")
    assert result.returncode == 0, result.stderr
    [catalog] = [s for s in load_config(config).competitors[0].sources if s.kind == "catalog"]
    assert urlsplit(catalog.url).path == "/catalog/gears/"
    assert catalog.follow == "/(?:catalog|items)/"
    assert "/items/gear-2.html" in asked and not any(path.startswith("/cart/") for path in asked)
    assert load_config(config).competitors[0].name == "Gearbox Store"


def test_a_site_that_cannot_be_read_is_one_line_and_exit_2(tmp_path, pick_port):
    config = tmp_path / "competitors.yaml"
    result = dossier("add", f"http://127.0.0.1:{pick_port()}/", "--config", str(config), "--yes",
                     "--allow-private", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: http://127.0.0.1:") and "connection refused" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not config.exists()


def test_a_home_page_robots_txt_forbids_is_not_requested(tmp_path):
    with FixtureSites(sites=["kranrad"], night="night2") as sites:  # night2's robots.txt disallows /intern/
        result = dossier("add", sites.base_url("kranrad") + "/intern/", "--config", str(tmp_path / "c.yaml"),
                         "--yes", "--allow-private", cwd=tmp_path)
    assert result.returncode == 2
    assert "Forbidden by robots.txt" in result.stderr


def test_add_refuses_a_bad_slug_before_fetching(tmp_path):
    result = dossier("add", "http://127.0.0.1:9/", "--config", str(tmp_path / "c.yaml"), "--slug", "Bad Slug",
                     "--allow-private", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --slug 'Bad Slug': use lower-case letters, digits, - and _ (e.g. kranrad)"
