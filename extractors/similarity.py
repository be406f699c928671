"""A learned similarity of two offers, trained at run time. Pure, offline, CPU only, no I/O; nothing is shipped.

extractors.matching's rules decide the pairs that shop identifiers decide (GTIN, MPN with brand) and score the rest
by hand-set weights. `SimilarityModel` scores the rest by weights learned from the labelled pairs the caller has:
the pairs identifiers already decided and the pairs an analyst confirmed or rejected. It is trained when needed
(`fit`: seconds for thousands of pairs), its threshold is chosen on other labelled pairs (`calibrate`), and it is
never stored or shipped: no data file, no pretrained weights, no download. The features never read `gtin` or `mpn`,
since the labels come from them; the word statistics (IDF) are fitted on the catalogs' texts given to `fit`.

The features of a pair (`FEATURES`, `pair_vector`; the title is `title` or `name`, the text is the title, brand,
model number and description):
- **TF-IDF cosines** of words and of character 2-5-grams, of the titles and of the texts; of the categories' words;
- **rules**: extractors.matching.pair_features (trigram cosine, word and number Jaccard, a model code shared or
  conflicting, the same brand, price log ratio, length difference) and match_score, identifiers left out;
- **word weight** (IDF): the share of each side's title weight that the other side holds, the heaviest title word
  of each side the other lacks, and the weight of all it lacks;
- **quantities** (`92`, `2.0`, `16gb`, `750w`: sizes, capacities, versions): shared, and those of each side that
  the other's text lacks;
- **model codes** (extractors.matching.model_codes): how many each side names, shared stems (code_stems), a code of
  one side inside the other's text, the closeness of the two most alike codes; a side's own `modelno` inside the
  other's text, and the two equal;
- **brand**: one side's brand inside the other's title, the same first title word; **length**: title words.
A feature is -1 where a side lacks what it compares. A gradient-boosted tree model (scikit-learn
HistGradientBoostingClassifier, deterministic: no sampling, one thread) maps them to a probability.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # scikit-learn takes a second or two to import: only a run that learns pays for it
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer

from extractors.matching import Offer, code_stems, match_score, pair_features, words

MIN_CLASS = 10  # labelled matches and non-matches each, at least, to train
_QUANTITY = re.compile(r"^\d+(?:[.,]\d+)?[a-z]{0,3}$")  # 92, 2.0, 16gb, 750w: a size, a capacity, a version
_SEPARATORS = re.compile(r"[\s\-_/.·]+")
FEATURES = (
    "title_word_cosine", "title_char_cosine", "text_word_cosine", "text_char_cosine", "category_word_cosine",
    *pair_features({}, {}), "rule_score",
    "weight_share_a", "weight_share_b", "heaviest_missing_a", "heaviest_missing_b", "weight_missing_a",
    "weight_missing_b",
    "quantities_shared", "quantities_missing_a", "quantities_missing_b",
    "codes_a", "codes_b", "code_stem_shared", "code_a_in_text_b", "code_b_in_text_a", "code_closeness",
    "modelno_a_in_text_b", "modelno_b_in_text_a", "modelno_same",
    "brand_a_in_title_b", "brand_b_in_title_a", "first_word_same", "words_a", "words_b",
)


@dataclass(frozen=True, slots=True)
class _Side:
    """One record as the features read it."""

    offer: Offer  # without gtin and mpn
    text: str  # title, brand, model number and description
    category: str
    tokens: frozenset[str]  # title words, with their parts and their compact spellings (_tokens)
    quantities: frozenset[str]
    compact_text: str  # the text without separators
    modelno: str  # the record's own model number, without separators

    @classmethod
    def of(cls, record: Any) -> _Side:
        """The side of a record (a dict as match_score takes it, or an Offer); wrong types read as missing."""
        offer = replace(Offer.of(record), gtin=None, mpn=None)
        fields = record if isinstance(record, dict) else {}
        category, description, modelno = (_text(fields.get(key)) for key in ("category", "description", "modelno"))
        text = " ".join(part for part in (offer.title, offer.brand, modelno, description) if part)
        tokens = _tokens(offer.title)
        return cls(offer=offer, text=text, category=category, tokens=frozenset(tokens),
                   quantities=frozenset(token for token in tokens if _QUANTITY.match(token)),
                   compact_text=_compact(text), modelno=_compact(modelno))


class SimilarityModel:
    """P(same product) of two offers, learned. `fit` on labelled pairs, `calibrate` the threshold on others,
    `predict` probabilities; `threshold` is the decision (0.5 until calibrated)."""

    def __init__(self, max_iter: int = 300, learning_rate: float = 0.05):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.threshold = 0.5
        self._classifier: HistGradientBoostingClassifier | None = None
        self._words: TfidfVectorizer | None = None
        self._chars: TfidfVectorizer | None = None
        self._idf: dict[str, float] = {}
        self._unseen_idf = 1.0

    def fit(self, pairs: Sequence[tuple[Any, Any]], labels: Sequence[int],
            texts: Iterable[Any] | None = None) -> SimilarityModel:
        """Train on pairs of records (dicts as match_score takes them, or Offers) and their labels (1 = the same
        product). `texts`: the catalogs, as strings or records, for the word statistics; the pairs' own records
        are always among them."""
        labels = _labels(pairs, labels)
        matches = sum(labels)
        if matches < MIN_CLASS or len(labels) - matches < MIN_CLASS:
            raise ValueError(f"too few labelled pairs to learn from: {matches} matches and "
                             f"{len(labels) - matches} non-matches, at least {MIN_CLASS} of each needed")
        sides, left, right = _sides(pairs)
        corpus = {side.text for side in sides}
        corpus.update(_text(item) if isinstance(item, str) else _Side.of(item).text for item in texts or ())
        corpus.discard("")
        if not corpus:
            raise ValueError("no text to learn from: every record lacks a title, brand and description")
        self._fit_texts(sorted(corpus))
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits

        self._classifier = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=31, min_samples_leaf=20,
            l2_regularization=1.0, early_stopping=False, random_state=0)  # no sampling: the same data, the same model
        with threadpool_limits(limits=1):  # thousands of rows: threads only contend with the crawl's processes
            self._classifier.fit(self._matrix(sides, left, right), np.array(labels))
        return self

    def predict(self, pairs: Sequence[tuple[Any, Any]]) -> list[float]:
        """P(same product) of each pair, 0..1."""
        if self._classifier is None:
            raise ValueError("the model is not trained: call fit first")
        if not pairs:
            return []
        matrix = self._matrix(*_sides(pairs))
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return [float(p) for p in self._classifier.predict_proba(matrix)[:, 1]]

    def calibrate(self, pairs: Sequence[tuple[Any, Any]], labels: Sequence[int]) -> float:
        """Set and return the threshold maximising the match class's F1 on these labelled pairs (not those trained
        on)."""
        labels = _labels(pairs, labels)
        if not any(labels):
            raise ValueError("no labelled match to calibrate the threshold on")
        self.threshold = best_threshold(self.predict(pairs), labels)
        return self.threshold

    def pair_vector(self, a: Any, b: Any) -> dict[str, float]:
        """The features of one pair by name (FEATURES), as the trained model reads them."""
        if self._words is None:
            raise ValueError("the model is not trained: call fit first")
        return dict(zip(FEATURES, self._matrix(*_sides([(a, b)]))[0].tolist()))

    def _fit_texts(self, corpus: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._words = TfidfVectorizer(token_pattern=r"[^\W_]+(?:[-/.][^\W_]+)*", sublinear_tf=True).fit(corpus)
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                      min_df=min(2, len(corpus))).fit(corpus)
        frequency: dict[str, int] = {}
        for text in corpus:
            for token in set(_tokens(text)):
                frequency[token] = frequency.get(token, 0) + 1
        self._idf = {token: math.log((1 + len(corpus)) / (1 + count)) + 1 for token, count in frequency.items()}
        self._unseen_idf = math.log(1 + len(corpus)) + 1

    def _matrix(self, sides: list[_Side], left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """The features of each pair (the sides at `left` and `right`), one row each."""
        cosines = [self._cosines(sides, left, right, lambda side: side.offer.title, self._words, self._chars),
                   self._cosines(sides, left, right, lambda side: side.text, self._words, self._chars),
                   self._cosines(sides, left, right, lambda side: side.category, self._words)]
        rows = np.array([self._row(sides[i], sides[j]) for i, j in zip(left, right)], dtype=float)
        return np.hstack(cosines + [rows])

    @staticmethod
    def _cosines(sides: list[_Side], left: np.ndarray, right: np.ndarray, field: Callable[[_Side], str],
                 *vectorizers: TfidfVectorizer) -> np.ndarray:
        """The TF-IDF cosines (one column per vectorizer) of one field of each pair; -1 where a side lacks it."""
        present = np.array([bool(field(side)) for side in sides])
        missing = ~(present[left] & present[right])
        columns = []
        for vectorizer in vectorizers:
            vectors = vectorizer.transform([field(side) for side in sides])
            products = vectors[left].multiply(vectors[right]).sum(axis=1)
            columns.append(np.where(missing, -1.0, np.asarray(products).ravel()))
        return np.column_stack(columns)

    def _row(self, a: _Side, b: _Side) -> list[float]:
        """The features after the cosines, in FEATURES order."""
        weight_a, weight_b, shared = self._weight(a.tokens), self._weight(b.tokens), self._weight(a.tokens & b.tokens)
        missing_a, missing_b = a.tokens - b.tokens, b.tokens - a.tokens
        codes_a, codes_b = a.offer.codes, b.offer.codes
        brand_a, brand_b = _compact(a.offer.brand), _compact(b.offer.brand)
        first_a, first_b = words(a.offer.title)[:1], words(b.offer.title)[:1]
        return [
            *pair_features(a.offer, b.offer).values(),
            match_score(a.offer, b.offer),
            shared / weight_a if weight_a else -1.0,
            shared / weight_b if weight_b else -1.0,
            max(map(self._token_weight, missing_a), default=0.0),
            max(map(self._token_weight, missing_b), default=0.0),
            self._weight(missing_a),
            self._weight(missing_b),
            float(len(a.quantities & b.quantities)),
            float(sum(1 for q in a.quantities - b.quantities if _compact(q) not in b.compact_text)),
            float(sum(1 for q in b.quantities - a.quantities if _compact(q) not in a.compact_text)),
            float(len(codes_a)),
            float(len(codes_b)),
            float(bool(code_stems(codes_a) & code_stems(codes_b))) if codes_a and codes_b else -1.0,
            float(any(code in b.compact_text for code in codes_a)) if codes_a else -1.0,
            float(any(code in a.compact_text for code in codes_b)) if codes_b else -1.0,
            max((SequenceMatcher(None, x, y).ratio() for x in codes_a for y in codes_b), default=-1.0),
            float(a.modelno in b.compact_text) if a.modelno else -1.0,
            float(b.modelno in a.compact_text) if b.modelno else -1.0,
            float(a.modelno == b.modelno) if a.modelno and b.modelno else -1.0,
            float(brand_a in _compact(b.offer.title)) if brand_a else -1.0,
            float(brand_b in _compact(a.offer.title)) if brand_b else -1.0,
            float(first_a == first_b) if first_a and first_b else -1.0,
            float(len(a.tokens)),
            float(len(b.tokens)),
        ]

    def _token_weight(self, token: str) -> float:
        return self._idf.get(token, self._unseen_idf)

    def _weight(self, tokens: Iterable[str]) -> float:
        return math.fsum(map(self._token_weight, tokens))  # exact, so the same whatever the set's order


def _labels(pairs: Sequence[Any], labels: Sequence[Any]) -> list[int]:
    if len(labels) != len(pairs):
        raise ValueError(f"{len(pairs)} pairs but {len(labels)} labels")
    return [int(bool(label)) for label in labels]


def _sides(pairs: Sequence[tuple[Any, Any]]) -> tuple[list[_Side], np.ndarray, np.ndarray]:
    """Each distinct record of the pairs read once (a record is compared with many), and the index of each pair's
    left and right side."""
    index: dict[int, int] = {}
    records: list[Any] = []  # held, so that no id is reused while indexing
    for pair in pairs:
        for record in pair:
            if id(record) not in index:
                index[id(record)] = len(records)
                records.append(record)
    left = np.array([index[id(a)] for a, _ in pairs], dtype=int)
    right = np.array([index[id(b)] for _, b in pairs], dtype=int)
    return [_Side.of(record) for record in records], left, right


def best_threshold(scores: Sequence[float], labels: Sequence[int]) -> float:
    """The score threshold maximising the match class's F1 (a pair at or above it is a match)."""
    ranked = sorted(zip(scores, labels), key=lambda pair: -pair[0])
    matches = sum(labels)
    best, threshold, found = -1.0, 0.5, 0
    for index, (score, label) in enumerate(ranked):
        found += label
        if index + 1 < len(ranked) and ranked[index + 1][0] == score:
            continue  # a threshold takes every pair of its score
        f1 = 2 * found / (index + 1 + matches) if matches else 0.0
        if f1 > best:
            best, threshold = f1, score
    return threshold


def _tokens(text: str) -> list[str]:
    """The words of a text, each also split at - / . and written without them (`str-dg520`: `str`, `dg520`,
    `strdg520`)."""
    found = []
    for word in words(text.lower()):
        found.append(word)
        parts = [part for part in _SEPARATORS.split(word) if part]
        if len(parts) > 1:
            found.extend(parts)
            found.append("".join(parts))
    return found


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text.lower())


def _text(value: Any) -> str:
    return " ".join(value.split()).lower() if isinstance(value, str) else ""
