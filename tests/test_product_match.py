"""The same product across competitors (storage/matching.py, `dossier match`): matched by GTIN and by a model
number across languages, grouped across three shops, another model (LR 315) kept apart; an analyst's confirm and reject
survive every rerun; wrong ids are one line. On SQLite and PostgreSQL."""
from __future__ import annotations

import re
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


def _night(engine, prices: dict[str, dict[str, tuple[str, str]]], finish: bool = True) -> int:
    """A run in which each competitor lists products: {slug: {sku: (name, price)}}, all in EUR."""
    refs = {ref.competitor_slug: ref for ref in sync_sources(engine, COMPETITORS)}
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    for slug, listed in prices.items():
        ref = refs[slug]
        writer.record_fetch(ref.source_id, ref.url, 200, None, 5, 100, "h")
        writer.add_products(ref.source_id, ref.competitor_id, [
            Product(name, Decimal(price), "EUR", sku=sku) for sku, (name, price) in listed.items()], ref.url)
    writer.close()
    if finish:
        finish_run(engine, run_id, "succeeded")
    return run_id


WHEELS = {"we": {"W-1": ("Laufrad LR 250 mit Spurkranz", "1249.00"), "W-2": ("Laufrad LR 315", "1490.00")},
          "kranrad": {"K-1": ("Kranlaufrad LR-250", "1299.00"), "K-2": ("Kranlaufrad LR-315", "1400.00")},
          "gruz": {"G-1": ("Колесо крановое LR-250", "1150.00")}}


def test_a_run_matches_the_products_it_lists_before_it_is_finished(engine):
    """The nightly run matches right after its diff, while it is still running: its own prices count."""
    run_id = _night(engine, WHEELS, finish=False)
    assert record_matches(engine, run_id) == 4
    assert {m.method for m in list_matches(engine)} == {"model_number"}


def test_an_undercut_and_a_moved_gap_are_changes_of_the_competitor_once_per_night(engine):
    from storage.price_gaps import record_price_gaps
    from storage.queries import list_changes

    record_matches(engine, _night(engine, WHEELS))
    night2 = _night(engine, {**WHEELS, "kranrad": {"K-1": ("Kranlaufrad LR-250", "1199.00"),  # below our 1,249
                                                   "K-2": ("Kranlaufrad LR-315", "1400.00")},
                             "gruz": {"G-1": ("Колесо крановое LR-250", "1000.00")}}, finish=False)
    record_matches(engine, night2)
    assert record_price_gaps(engine, night2) == 2
    assert record_price_gaps(engine, night2) == 2  # again: replaced, not doubled
    changes = {(c.competitor_slug, c.kind, c.title, c.before, c.after, c.magnitude, c.severity)
               for c in list_changes(engine, run_id=night2)}
    assert changes == {
        ("kranrad", "undercut", "Kranlaufrad LR-250", "1299.00 EUR", "1199.00 EUR", Decimal("-4.00"), "high"),
        # Gruz was already cheaper (−7.93 %) and is now far cheaper (−19.94 %): 12 points, no undercut
        ("gruz", "price_gap_changed", "Колесо крановое LR-250", "1150.00 EUR", "1000.00 EUR", Decimal("-12.01"),
         "medium")}
    # LR 315 is 1,400 against our 1,490 both nights: its gap did not move, nothing to say


@pytest.mark.parametrize("ours_before, ours, theirs_before, theirs, expected", [
    ("100", "100", "100", "99", ("undercut", Decimal("-1.00"))),  # equal, then below: undercut
    ("100", "110", "105", "105", ("undercut", Decimal("-4.55"))),  # we raised ours above theirs
    ("100", "100", "99", "90", ("price_gap_changed", Decimal("-9.00"))),  # already below: the gap moved
    ("100", "100", "101", "104", None),  # 3 points: under the 5-point rule
    ("100", "100", "120", "100", ("price_gap_changed", Decimal("-20.00"))),  # equal is no undercut
])
def test_the_gap_rules(ours_before, ours, theirs_before, theirs, expected):
    from storage.price_gaps import MatchedPrices, Quote, gap_drafts

    def quote(value):
        return Quote(Decimal(value), "EUR")

    drafts = gap_drafts(MatchedPrices("price_gap:k:1", "theirs", None, "ours", quote(ours), quote(ours_before), quote(theirs),
                                      quote(theirs_before)))
    assert [(d.kind, d.magnitude) for d in drafts] == ([expected] if expected else [])


def test_no_gap_without_both_prices_on_both_nights_in_one_currency():
    from storage.price_gaps import MatchedPrices, Quote, gap_drafts

    eur, usd = Quote(Decimal("100"), "EUR"), Quote(Decimal("50"), "USD")
    assert gap_drafts(MatchedPrices("price_gap:k:1", "t", None, "o", eur, None, Quote(Decimal("90"), "EUR"), eur)) == []
    assert gap_drafts(MatchedPrices("price_gap:k:1", "t", None, "o", eur, eur, usd, usd)) == []
    assert gap_drafts(MatchedPrices("price_gap:k:1", "t", None, "o", Quote(Decimal("0"), "EUR"), eur, eur, eur)) == []


def test_the_configs_decisions_name_products_by_slug_and_key_and_are_kept(engine, stocked, database_url):
    from storage.matching import apply_decisions

    unknown = apply_decisions(engine, [("we:W-1", "kranrad:K-1", "rejected"), ("we:W-3", "gruz:G-2", "confirmed"),
                                       ("we:W-9", "gruz:G-1", "confirmed")])
    assert unknown == ["we:W-9"]  # not listed yet: the first run that lists it applies the pair
    record_matches(engine, stocked)
    pairs = _pairs(engine)
    assert frozenset(("Laufrad LR 250 mit Spurkranz", "Kranlaufrad Ø250 mm")) not in pairs
    assert pairs[frozenset(("Gartenschlauch 20 m", "Тент для Газели 3 м"))][0] == "confirmed"
    # the command line takes the same references
    done = CliRunner().invoke(cli, ["match", "confirm", "we:W-1", "kranrad:K-1", "--db", database_url])
    assert done.exit_code == 0, done.output
    assert _pairs(engine)[frozenset(("Laufrad LR 250 mit Spurkranz", "Kranlaufrad Ø250 mm"))][0] == "confirmed"
    refused = CliRunner().invoke(cli, ["match", "reject", "we:NOPE", "kranrad:K-1", "--db", database_url])
    assert refused.exit_code == 2 and "no product we:NOPE" in refused.output and refused.output.count("\n") == 1


@pytest.mark.parametrize("pair, message", [
    (["we:W-1", "nobody:X"], "matches.confirm[0]: no competitor 'nobody'"),
    (["we:W-1", "we:W-2"], "matches.confirm[0]: both products are we's"),
    (["W-1", "kranrad:K-1"], "matches.confirm[0][0]: 'W-1': write SLUG:KEY"),
])
def test_a_wrong_decision_in_the_config_is_one_line_naming_it(pair, message):
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        parse_config({"competitors": COMPETITORS, "matches": {"confirm": [pair]}})
    assert "\n" not in str(raised.value)


def test_a_gtin_its_own_page_gives_is_kept_when_its_listing_card_came_first_in_the_batch(engine):
    """A catalog crawl reads the listing's card (name, price) before the product's page (its GTIN, brand): one
    product, with what the page gave (the matching by GTIN rests on it)."""
    from sqlalchemy import select

    from storage import models
    from storage.db import session_scope

    ref = next(r for r in sync_sources(engine, COMPETITORS) if r.competitor_slug == "kranrad")
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.add_products(ref.source_id, ref.competitor_id, [Product("Antriebsblock AB 80", Decimal("3480"), "EUR",
                                                                   sku="KR-AB-80")], ref.url)
    writer.add_products(ref.source_id, ref.competitor_id, [Product(
        "Antriebsblock AB 80", Decimal("3480"), "EUR", sku="KR-AB-80", brand="Kranrad", gtin="4006381333931")],
        ref.url + "ab-80.html")
    writer.close()
    with session_scope(engine) as session:
        rows = session.execute(select(models.Product.gtin, models.Product.brand)).all()
    assert rows == [("4006381333931", "Kranrad")]


def _gtin(number: int) -> str:
    """A valid GTIN-13 (its check digit computed as GS1 specifies)."""
    body = f"400638{number:06d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


NOUNS = ["Akkuschrauber", "Winkelschleifer", "Stichsäge", "Bohrhammer", "Kreissäge", "Exzenterschleifer",
         "Heißluftpistole", "Tauchsäge", "Bandschleifer", "Kapp-Säge", "Multitool", "Oberfräse", "Hobel",
         "Nagler", "Tacker", "Rührwerk", "Fliesenschneider", "Kettensäge", "Laubbläser", "Rasentrimmer",
         "Hochdruckreiniger", "Kompressor", "Schweißgerät", "Werkstattlampe", "Baustrahler", "Nass-Sauger",
         "Schlagschrauber", "Mauernutfräse", "Betonmischer", "Fugenschneider", "Gehrungssäge", "Trennschleifer",
         "Stemmhammer", "Elektrohobel", "Flachdübelfräse", "Tellerschleifer", "Poliermaschine", "Farbsprühsystem"]
BRANDS = ["Ostwerk", "Brevik", "Kaltmann", "Norrland"]


def _catalogs() -> dict[str, dict[str, tuple[str, str, str | None]]]:
    """Two tool shops: 30 products both give one GTIN for, 30 look-alikes in another size with two GTINs, and 8
    pairs without any identifier (4 the same product, 4 another size) for the learned similarity to decide."""
    we, theirs = {}, {}
    for n, noun in enumerate(NOUNS):
        brand, size = BRANDS[n % 4], 500 + 50 * n
        same = n < 30
        we[f"W-{n}"] = (f"{brand} {noun} {size} Watt", f"{100 + n}.00", _gtin(n) if n < 34 else None)
        if same:
            theirs[f"T-{n}"] = (f"{noun} {size}W von {brand}, im Koffer", f"{104 + n}.00", _gtin(n))
        else:
            theirs[f"T-{n}"] = (f"{noun} {size}W von {brand}, im Koffer", f"{104 + n}.00", None)
        theirs[f"V-{n}"] = (f"{noun} {size + 25}W von {brand}", f"{130 + n}.00", _gtin(500 + n) if n < 34 else None)
    return {"we": we, "kranrad": theirs}


def test_with_enough_identified_pairs_a_learned_similarity_decides_the_rest(engine, caplog):
    """Shops that give GTINs teach the run what their titles look like when they name one product: pairs without
    any identifier are then matched by the learned similarity (method `learned`)."""
    import logging

    refs = {ref.competitor_slug: ref for ref in sync_sources(engine, COMPETITORS)}
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    for slug, listed in _catalogs().items():
        ref = refs[slug]
        writer.add_products(ref.source_id, ref.competitor_id, [
            Product(name, Decimal(price), "EUR", sku=sku, gtin=gtin) for sku, (name, price, gtin) in listed.items()],
            ref.url)
    writer.close()
    with caplog.at_level(logging.INFO, logger="storage.matching"):
        record_matches(engine, run_id)
    assert "matching learned from" in caplog.text
    pairs = {frozenset((m.product, m.matched_product)): m.method for m in list_matches(engine)}
    unidentified = [(f"{BRANDS[n % 4]} {NOUNS[n]} {500 + 50 * n} Watt", f"{NOUNS[n]} {500 + 50 * n}W von "
                     f"{BRANDS[n % 4]}, im Koffer") for n in range(34, 38)]
    assert all(pairs.get(frozenset(pair)) == "learned" for pair in unidentified), pairs
    variants = [frozenset((f"{BRANDS[n % 4]} {NOUNS[n]} {500 + 50 * n} Watt",
                           f"{NOUNS[n]} {525 + 50 * n}W von {BRANDS[n % 4]}")) for n in range(34, 38)]
    assert not any(pair in pairs for pair in variants)
    assert sum(1 for method in pairs.values() if method == "gtin") == 30


def test_with_few_identified_pairs_the_rules_decide(engine, stocked, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="storage.matching"):
        record_matches(engine, stocked)
    assert "matching by rules: 1 pairs decided by identifiers" in caplog.text
    assert "learned" not in {m.method for m in list_matches(engine)}


def test_two_competitors_whose_products_share_a_key_both_have_their_price_change(engine):
    """Shops that use the GTIN as their SKU give their products one key: the same night's drop at each is a change
    of each (the second was dropped while a change was unique per run, kind and entity)."""
    from storage.diff import diff_run
    from storage.queries import list_changes
    from storage.runs import record_crawl_report, record_source_outcomes

    def night(price: str) -> int:
        refs = sync_sources(engine, COMPETITORS[1:])
        run_id = start_run(engine)
        writer = RunWriter(engine, run_id)
        for ref in refs:
            writer.record_fetch(ref.source_id, ref.url, 200, None, 5, 100, "h")
            writer.add_products(ref.source_id, ref.competitor_id, [
                Product("Laufrad LR 250", Decimal(price), "EUR", sku="4006381333931")], ref.url)
        writer.close()
        record_source_outcomes(engine, run_id, refs)
        record_crawl_report(engine, run_id, {}, {})
        finish_run(engine, run_id, "succeeded")
        diff_run(engine, run_id)
        return run_id

    night("1249.00")
    second = night("1199.00")
    assert sorted((c.competitor_slug, c.kind, c.entity) for c in list_changes(engine, run_id=second)) == [
        ("gruz", "price_down", "product:4006381333931"), ("kranrad", "price_down", "product:4006381333931")]
