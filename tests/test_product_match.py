"""The same product across competitors (storage/matching.py, `dossier match`): matched by GTIN and by a model
number across languages, grouped across three shops, another model (LR 315) kept apart; an analyst's confirm and reject
survive every rerun; wrong ids are one line. On SQLite and PostgreSQL."""
from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from dossier.config import parse_config
from dossier.errors import ConfigError
from extractors.records import Product
from schedules.cli import cli
from storage.matching import decide, list_matches, record_matches
from storage.runs import finish_run, start_run, sync_sources
from storage.writer import RunWriter

COMPETITORS = [
    {"slug": "we", "name": "Our shop", "own": True, "sources": [{"kind": "catalog", "url": "https://we.example/"}]},
    {"slug": "kranrad", "name": "Kranrad", "sources": [{"kind": "catalog", "url": "https://kranrad.example/"}]},
    {"slug": "gruz", "name": "Gruz", "sources": [{"kind": "catalog", "url": "https://gruz.example/"}]},
]
PRODUCTS = {
    "we": [Product("Laufrad LR 250 mit Spurkranz", Decimal("1249.00"), "EUR", sku="W-1", gtin="4006381333931"),
           Product("Laufrad LR 315 mit Spurkranz", Decimal("1490.00"), "EUR", sku="W-2"),
           Product("Gartenschlauch 20 m", Decimal("19.90"), "EUR", sku="W-3")],
    "kranrad": [Product("Kranlaufrad Ø250 mm", Decimal("1199.00"), "EUR", sku="K-1", gtin="04006381333931"),
                Product("Drehkranz DK 900", Decimal("900.00"), "EUR", sku="K-2")],
    "gruz": [Product("Колесо крановое LR-250 с ребордой", Decimal("1150.00"), "EUR", sku="G-1"),
             Product("Тент для Газели 3 м", Decimal("80.00"), "EUR", sku="G-2")],
}


@pytest.fixture
def stocked(engine):
    """One succeeded run in which each competitor lists its products."""
    refs = {ref.competitor_slug: ref for ref in sync_sources(engine, COMPETITORS)}
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    for slug, products in PRODUCTS.items():
        ref = refs[slug]
        writer.record_fetch(ref.source_id, ref.url, 200, None, 5, 100, "h")
        writer.add_products(ref.source_id, ref.competitor_id, products, ref.url)
    writer.close()
    finish_run(engine, run_id, "succeeded")
    return run_id


def _pairs(engine) -> dict[frozenset[str], tuple[str, int]]:
    """{the two products' names: (method, group)}"""
    return {frozenset((m.product, m.matched_product)): (m.method, m.group_id) for m in list_matches(engine)}


def test_products_are_matched_by_gtin_and_by_model_number_across_languages_in_one_group(engine, stocked):
    assert record_matches(engine, stocked) == 2
    pairs = _pairs(engine)
    wheel_we, wheel_k, wheel_g = ("Laufrad LR 250 mit Spurkranz", "Kranlaufrad Ø250 mm",
                                  "Колесо крановое LR-250 с ребордой")
    assert pairs[frozenset((wheel_we, wheel_k))][0] == "gtin"
    assert pairs[frozenset((wheel_we, wheel_g))][0] == "model_number"
    # Kranrad's title names no model number, so its wheel and Gruz's join through ours: one group of three
    assert len({group for _, group in pairs.values()}) == 1
    names = {name for pair in pairs for name in pair}
    assert "Laufrad LR 315 mit Spurkranz" not in names and "Gartenschlauch 20 m" not in names


def test_a_rejected_and_a_confirmed_pair_survive_every_rerun(engine, stocked):
    record_matches(engine, stocked)
    by_name = {m.product: m.product_id for m in list_matches(engine)} | \
        {m.matched_product: m.matched_product_id for m in list_matches(engine)}
    gtin_pair = (by_name["Laufrad LR 250 mit Spurkranz"], by_name["Kranlaufrad Ø250 mm"])
    decide(engine, *gtin_pair, "rejected")
    hose, drehkranz = _product_id(engine, "Gartenschlauch 20 m"), _product_id(engine, "Drehkranz DK 900")
    decide(engine, drehkranz, hose, "confirmed")
    for _ in range(2):  # the next nights
        record_matches(engine, stocked)
        pairs = _pairs(engine)
        assert frozenset(("Laufrad LR 250 mit Spurkranz", "Kranlaufrad Ø250 mm")) not in pairs
        assert pairs[frozenset(("Gartenschlauch 20 m", "Drehkranz DK 900"))][0] == "confirmed"


def test_the_command_line_lists_confirms_and_refuses_wrong_ids_in_one_line(engine, stocked, database_url):
    record_matches(engine, stocked)
    listed = CliRunner().invoke(cli, ["match", "list", "--db", database_url])
    assert listed.exit_code == 0 and "[gtin 0.99]" in listed.output and "group " in listed.output
    hose, drehkranz = _product_id(engine, "Gartenschlauch 20 m"), _product_id(engine, "Drehkranz DK 900")
    confirmed = CliRunner().invoke(cli, ["match", "confirm", str(hose), str(drehkranz), "--db", database_url])
    assert confirmed.exit_code == 0, confirmed.output
    assert "Gartenschlauch 20 m" in CliRunner().invoke(cli, ["match", "list", "--db", database_url]).output
    for args in (["999999", str(hose)], [str(hose), str(_product_id(engine, "Laufrad LR 315 mit Spurkranz"))]):
        refused = CliRunner().invoke(cli, ["match", "reject", *args, "--db", database_url])
        assert refused.exit_code == 2 and refused.output.count("\n") == 1, refused.output


def test_only_one_competitor_can_be_our_own_shop():
    with pytest.raises(ConfigError, match="own: true is set on we, kranrad; only one competitor"):
        parse_config({"competitors": [{**COMPETITORS[0]}, {**COMPETITORS[1], "own": True}]})


def _product_id(engine, name: str) -> int:
    from sqlalchemy import select

    from storage import models
    from storage.db import session_scope

    with session_scope(engine) as session:
        return session.scalar(select(models.Product.id).where(models.Product.name == name))


def test_the_price_position_of_our_matched_product_among_the_competitors(engine, stocked):
    """Our wheel at 1,249 €, Kranrad's at 1,199 €, Gruz's at 1,150 €: the cheapest of the others, their median
    and dearest, our rank (3rd of 3) and how far we are above the cheapest; and each competitor's price index."""
    from sqlalchemy import text

    record_matches(engine, stocked)
    with engine.connect() as connection:
        position = connection.execute(text("SELECT * FROM price_position")).mappings().all()
        index = connection.execute(text("SELECT competitor, category, products, price_index "
                                        "FROM category_price_index ORDER BY competitor")).all()
    assert len(position) == 1
    row = position[0]
    assert row["product"] == "Laufrad LR 250 mit Spurkranz" and row["currency"] == "EUR"
    assert [Decimal(str(row[key])).quantize(Decimal("0.01")) for key in
            ("our_price", "min_price", "median_price", "max_price", "gap_pct")] == \
        [Decimal("1249.00"), Decimal("1150.00"), Decimal("1174.50"), Decimal("1199.00"), Decimal("8.61")]
    assert (row["competitors"], row["our_rank"]) == (2, 3)
    assert [(c, cat, n, round(float(i), 1)) for c, cat, n, i in index] == [
        ("gruz", "Uncategorised", 1, 92.1), ("kranrad", "Uncategorised", 1, 96.0)]
