"""The learned similarity (extractors/similarity.py) on synthetic offers built here: it learns that a shared model
number is the same product and another model number of the same brand and words is not, on brands and words it
never saw; it refuses too few labels, is deterministic, never reads identifiers and scores any input. Its scores
on public labelled pairs are benchmarks/matching.py's."""
from __future__ import annotations

import random

import pytest

from extractors.matching import Offer
from extractors.similarity import FEATURES, MIN_CLASS, SimilarityModel, best_threshold

KINDS = ("dishwasher", "receiver", "camera", "router", "blender", "monitor", "printer", "speaker")
COLOURS = ("white", "black", "silver", "red")


def catalog_pairs(seed: int, brands: tuple[str, ...], count: int) -> tuple[list[tuple[dict, dict]], list[int]]:
    """`count` labelled pairs, half matches: a match is one product as two shops list it (words reordered, the model
    number spelt with a dash, another price); a non-match is another model of the same brand, kind and colour."""
    rng = random.Random(seed)
    pairs, labels = [], []
    for index in range(count):
        brand, kind, colour = rng.choice(brands), rng.choice(KINDS), rng.choice(COLOURS)
        letters = "".join(rng.choice("abcdefghkmnprstwx") for _ in range(3))
        code = f"{letters}{rng.randrange(100, 999)}"
        price = rng.uniform(50, 900)
        left = {"title": f"{brand} {colour} {kind} {code}", "brand": brand, "price": f"{price:.2f}"}
        if index % 2:
            right = {"title": f"{brand} {code[:3]}-{code[3:]} {kind} {colour}", "brand": brand,
                     "price": f"{price * rng.uniform(0.85, 1.15):.2f}"}
        else:
            other = f"{letters}{(int(code[3:]) + rng.randrange(1, 400)) % 900 + 100}"
            right = {"title": f"{brand} {other[:3]}-{other[3:]} {kind} {colour}", "brand": brand,
                     "price": f"{price * rng.uniform(0.85, 1.15):.2f}"}
        pairs.append((left, right))
        labels.append(index % 2)
    return pairs, labels


TRAIN = catalog_pairs(1, ("lg", "sony", "bosch", "canon"), 240)
UNSEEN = catalog_pairs(2, ("denon", "panasonic", "netgear"), 80)


@pytest.fixture(scope="module")
def model() -> SimilarityModel:
    return SimilarityModel().fit(*TRAIN)


def test_it_learns_that_a_shared_model_number_is_the_same_product_on_unseen_brands(model):
    pairs, labels = UNSEEN
    scores = model.predict(pairs)
    right = sum((score >= 0.5) == bool(label) for score, label in zip(scores, labels))
    assert right >= 0.95 * len(pairs)
    assert min(s for s, label in zip(scores, labels) if label) > max(s for s, label in zip(scores, labels) if not label)


def test_the_threshold_is_calibrated_on_other_pairs(model):
    threshold = model.calibrate(*UNSEEN)
    assert model.threshold == threshold
    pairs, labels = UNSEEN
    decided = [score >= threshold for score in model.predict(pairs)]
    assert decided == [bool(label) for label in labels]


def test_the_best_threshold_maximises_the_match_class_f1():
    assert best_threshold([0.9, 0.8, 0.7, 0.6, 0.1], [1, 1, 0, 1, 0]) == 0.6  # F1 6/7 beats 0.8's 4/5
    assert best_threshold([0.9, 0.5, 0.5, 0.5, 0.5], [1, 1, 0, 0, 0]) == 0.9  # 0.5 takes all four of its pairs


def test_too_few_matches_or_non_matches_are_refused():
    pairs, labels = TRAIN
    matches = [i for i, label in enumerate(labels) if label][:MIN_CLASS - 1]
    others = [i for i, label in enumerate(labels) if not label]
    with pytest.raises(ValueError, match="too few labelled pairs") as refused:
        SimilarityModel().fit([pairs[i] for i in matches + others], [labels[i] for i in matches + others])
    assert "\n" not in str(refused.value)
    with pytest.raises(ValueError, match="too few labelled pairs"):
        SimilarityModel().fit(pairs[:2 * MIN_CLASS - 2], labels[:2 * MIN_CLASS - 2])  # 9 of each
    with pytest.raises(ValueError, match="not trained"):
        SimilarityModel().predict(UNSEEN[0])
    with pytest.raises(ValueError, match="no labelled match"):
        SimilarityModel().fit(*TRAIN).calibrate(UNSEEN[0][:4], [0, 0, 0, 0])


def test_training_and_scoring_are_deterministic(model):
    pairs, labels = TRAIN
    again = SimilarityModel().fit(list(reversed(pairs)), list(reversed(labels)),
                                  texts=[pair[0]["title"] for pair in UNSEEN[0]])
    other = SimilarityModel().fit(pairs, labels, texts=[pair[0]["title"] for pair in UNSEEN[0]])
    assert again.predict(UNSEEN[0]) == other.predict(UNSEEN[0])
    assert model.predict(UNSEEN[0]) == SimilarityModel().fit(*TRAIN).predict(UNSEEN[0])


def test_identifiers_are_no_feature_since_the_labels_come_from_them(model):
    left, right = UNSEEN[0][0]
    plain = model.pair_vector(left, right)
    assert list(plain) == list(FEATURES)
    assert model.pair_vector({**left, "gtin": "4006381333931", "mpn": "A-1"},
                             {**right, "gtin": "4006381333948", "mpn": "B-2"}) == plain


@pytest.mark.parametrize("record", [None, 7, "lg dishwasher", [], {}, {"title": None, "price": "n/a"},
                                    {"title": 42, "brand": ["lg"], "price": float("nan"), "category": {}},
                                    {"name": "LG LDS-4821 dishwasher", "price": -3, "modelno": 4821,
                                     "description": b"bytes"},
                                    Offer.of({"title": "lg lds4821 white dishwasher", "price": "499"})])
def test_bad_or_missing_fields_give_a_score_not_an_exception(model, record):
    good = {"title": "lg white dishwasher lds4821", "brand": "lg", "price": "499.00"}
    for score in model.predict([(record, good), (good, record), (record, record)]):
        assert 0.0 <= score <= 1.0
    assert model.predict([]) == []
