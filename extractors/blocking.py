"""Which offers of two catalogs are worth comparing: candidate pairs for extractors.matching, without comparing
every offer with every other. Pure, offline, no I/O.

Token blocking with a top-k cut (meta-blocking, Papadakis et al., "Blocking and Filtering Techniques for Entity
Resolution: A Survey", ACM Computing Surveys 2020): offers sharing a GTIN or a model number are always candidates;
beyond them, each offer keeps the `per_offer` offers of the other catalog with which it shares the rarest title
words (IDF-weighted), in both directions. Words in more than `max_share` of a catalog's offers (`set`, `black`,
`pro`) index nothing.
"""
from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from extractors.matching import Offer, code_stems

PER_OFFER = 12  # candidates each offer keeps beyond its identifier matches
MAX_SHARE = 0.05  # a word in more than this share of a catalog's offers blocks nothing
MIN_POSTINGS_CAP = 50  # ... unless the catalog is small: a word in up to this many offers always blocks
MAX_KEY_OFFERS = 20  # a GTIN or model number in more offers of a catalog than this is no identifier there


def candidate_pairs(left: Sequence[Any], right: Sequence[Any], per_offer: int = PER_OFFER,
                    max_share: float = MAX_SHARE) -> set[tuple[int, int]]:
    """(i, j) index pairs of `left` and `right` offers (dicts, or extractors.matching.Offer) worth scoring."""
    a, b = [Offer.of(item) for item in left], [Offer.of(item) for item in right]
    pairs = _shared_keys(a, b)
    pairs |= _top_k(a, b, per_offer, max_share)
    pairs |= {(i, j) for j, i in _top_k(b, a, per_offer, max_share)}
    return pairs


def _shared_keys(a: list[Offer], b: list[Offer]) -> set[tuple[int, int]]:
    """Pairs sharing a GTIN or a model number (one that more than MAX_KEY_OFFERS offers name identifies nothing)."""
    index: dict[str, list[int]] = defaultdict(list)
    for j, offer in enumerate(b):
        for key in _keys(offer):
            index[key].append(j)
    return {(i, j) for i, offer in enumerate(a) for key in _keys(offer)
            if len(index.get(key, ())) <= MAX_KEY_OFFERS for j in index.get(key, ())}


def _keys(offer: Offer) -> set[str]:
    keys = {f"code:{code}" for code in offer.codes | code_stems(offer.codes)}
    if offer.gtin:
        keys.add(f"gtin:{offer.gtin}")
    return keys


def _top_k(a: list[Offer], b: list[Offer], per_offer: int, max_share: float) -> set[tuple[int, int]]:
    """For each offer of `a`, the `per_offer` offers of `b` sharing the most IDF weight of title words."""
    postings: dict[str, list[int]] = defaultdict(list)
    for j, offer in enumerate(b):
        for word in offer.words | ({offer.brand} - {""}):
            postings[word].append(j)
    cap = max(MIN_POSTINGS_CAP, int(max_share * len(b)))
    idf = {word: math.log(1 + len(b) / len(found)) for word, found in postings.items() if len(found) <= cap}
    pairs = set()
    for i, offer in enumerate(a):
        weights: dict[int, float] = defaultdict(float)
        for word in offer.words:
            weight = idf.get(word)
            if weight is None:
                continue
            for j in postings[word]:
                weights[j] += weight
        for j in heapq.nlargest(per_offer, weights, key=weights.__getitem__):
            pairs.add((i, j))
    return pairs
