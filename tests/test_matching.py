"""Product matching (extractors/matching.py, extractors/blocking.py): identifiers first, model numbers across
languages, quantities that are no model numbers, a score for any input; and candidate pairs that keep every offer
sharing an identifier while comparing far fewer than all pairs. The scores on public labelled pairs are
benchmarks/matching.py's."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from extractors.blocking import candidate_pairs
from extractors.matching import Offer, code_stems, match_score, model_codes, pair_features


def test_the_same_gtin_is_the_same_product_whatever_the_titles_say():
    assert match_score({"title": "Laufrad", "gtin": "4006381333931"},
                       {"title": "Kranlaufrad Ø250", "gtin": "04006381333931"}) >= 0.99  # GTIN-13 as GTIN-14


def test_two_gtins_are_two_products_even_with_one_title():
    assert match_score({"title": "Laufrad LR 250", "gtin": "4006381333931"},
                       {"title": "Laufrad LR 250", "gtin": "4006381333948"}) <= 0.01


def test_a_gtin_with_a_wrong_check_digit_is_no_gtin():
    assert Offer.of({"gtin": "4006381333932"}).gtin is None
    assert match_score({"title": "Laufrad LR 250", "gtin": "4006381333932"},
                       {"title": "Laufrad LR 250", "gtin": "4006381333948"}) > 0.5  # the titles decide


def test_the_same_part_number_of_the_same_brand_is_the_same_product():
    assert match_score({"title": "Wheel", "brand": "Kranrad", "mpn": "KR-250-A"},
                       {"title": "Laufrad", "brand": "Kranrad GmbH", "mpn": "kr 250 a"}) >= 0.97
    assert match_score({"title": "Wheel", "brand": "Kranrad", "mpn": "KR-250-A"},
                       {"title": "Laufrad", "brand": "Demag", "mpn": "KR-250-A"}) < 0.97


def test_a_model_number_matches_across_languages_and_spellings():
    german = {"title": "Laufrad LR 250 mit Spurkranz", "brand": "Kranrad"}
    for other in ({"title": "Kranlaufrad Ø250 mm LR-250", "brand": "Kranrad GmbH"},
                  {"title": "Колесо крановое LR250 с ребордой"},
                  {"title": "Crane wheel lr-250 flanged"}):
        assert match_score(german, other) > 0.55, other


def test_different_model_numbers_are_different_products():
    assert match_score({"title": "Laufrad LR 250 mit Spurkranz"}, {"title": "Laufrad LR 315 mit Spurkranz"}) < 0.5


def test_a_quantity_with_its_unit_is_no_model_number():
    assert model_codes("bosch drill 230v 500w 16gb 1080p 2.4 ghz") == frozenset()
    assert model_codes("lg dishwasher lds4821ww") == {"lds4821ww"}
    assert model_codes("garmin auto nav 010-00715-20") == {"0100071520"}  # a part number, no letters


def test_a_colour_suffix_leaves_the_same_stem_for_blocking():
    assert code_stems(frozenset({"dvpns700hb", "srsa212blk"})) == {"dvpns700", "srsa212"}


def test_far_apart_prices_and_other_brands_lower_the_score():
    base = {"title": "Akku-Bohrschrauber BS 18 Kompakt", "brand": "Bosch", "price": "99.00"}
    same = match_score(base, {**base})
    assert match_score(base, {**base, "price": "990.00"}) < same
    assert match_score(base, {**base, "brand": "Makita"}) < same
    # prices in two currencies say nothing without exchange rates
    assert pair_features({**base, "currency": "EUR"}, {**base, "price": "990.00", "currency": "RUB"})[
        "price_log_ratio"] == -1.0


values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=60),
                   st.lists(st.text(max_size=5), max_size=3))
records = st.dictionaries(st.sampled_from(["title", "name", "brand", "manufacturer", "modelno", "gtin", "sku", "mpn",
                                           "price", "currency", "category", "description", "other"]), values)


@settings(max_examples=300, deadline=None)
@given(records, records)
def test_any_input_gets_a_score_in_0_1_the_same_both_ways(left, right):
    score = match_score(left, right)
    assert 0.0 <= score <= 1.0
    assert score == match_score(right, left)


def test_not_a_record_is_no_match_and_no_error():
    assert match_score(None, {"title": "x"}) == 0.0 and match_score("a", 5) == 0.0


def test_blocking_keeps_identifier_pairs_and_compares_far_fewer_than_all():
    left = [{"title": f"{kind} model kr{n:04d} steel", "brand": "kranrad"} for n, kind in
            enumerate(["wheel", "drill", "pump", "saw"] * 50)]
    right = [{"title": f"Laufrad KR-{n:04d}"} for n in range(0, 200, 7)] + \
        [{"title": "unrelated garden hose", "gtin": "4006381333931"}]
    right.append({"title": "another hose", "gtin": "4006381333931"})
    left.append({"title": "hose", "gtin": "04006381333931"})
    pairs = candidate_pairs(left, right, per_offer=3)
    assert {(n, k) for k, n in enumerate(range(0, 200, 7))} <= pairs  # every shared model number
    assert {(200, len(right) - 2), (200, len(right) - 1)} <= pairs  # the shared GTIN
    assert len(pairs) < len(left) * len(right) / 4
