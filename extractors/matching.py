"""Are two offers the same product? Pure, offline, no I/O: identifiers first, then model numbers in titles, then
the similarity of title, brand and price.

`match_score(left, right)` is the DESIGN.md API. An offer is a dict with any of: `name` or `title`, `brand` or
`manufacturer`, `modelno`, `gtin`, `sku`, `mpn`, `price`, `currency`, `category`, `description`; values may be
missing, empty or of the wrong type (they are then ignored). The rules, in order:
1. **GTIN** (EAN/UPC, compared as GTIN-14): equal is the same product, different is another product (a GTIN is
   one trade item, GS1 General Specifications §4).
2. **MPN with brand**: the same manufacturer part number of the same brand is the same product.
3. **Model numbers in titles** (`modelno`, or tokens mixing letters and digits such as `LDS4821WW`, `R85WH1`,
   `LR-250`, compared without separators): one shared is strong evidence of the same product; both sides naming
   model numbers and none shared is strong evidence of different products (a shop's title names the model it sells).
4. Otherwise the **title similarity** (character trigrams and words, both sides lower-cased, whatever their
   language), lowered when the brands differ or the prices are far apart.
`pair_features` gives the same evidence as named numbers, for a learned model (benchmarks/matching.py).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from extractors.identifiers import is_gtin
from extractors.prices import to_decimal

_SEPARATORS = re.compile(r"[\s\-_/.·]+")
_TOKEN = re.compile(r"[^\W_]+(?:[-/.][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
# a quantity with its unit (230v, 500w, 16gb, 1080p, 2.4ghz, 250mm) is a property many products share, no model
_MEASURE = re.compile(r"^\d+(?:[.,]\d+)?(?:v|w|kw|wh|mah|a|mm|cm|m|km|in|ft|gb|mb|tb|kb|hz|khz|mhz|ghz|kg|g|mg|"
                      r"lbs?|oz|l|ml|p|k|x|mp|dpi|rpm|bar|psi|db|pcs|pc|st|tlg)$")
MIN_CODE = 4  # characters of a model number at least (LR25 yes, A4 no)
PART_DIGITS = 7  # digits of a part number without letters at least (0100071520; not a year, a size or a price)
FAR_PRICES = 2.5  # a price this many times the other's is another product more often than the same one
CODE_SHARED = 0.55  # the least score of offers sharing a model number
CODE_CONFLICT = 0.45  # the factor on the score of offers naming different model numbers and none in common
NUMBER_CONFLICT = 0.75  # the factor when both titles hold numbers and none in common


@dataclass(frozen=True, slots=True)
class Offer:
    """The parts of an offer the rules read, normalised once (an offer is compared with many)."""

    title: str
    brand: str
    codes: frozenset[str]
    gtin: str | None
    mpn: str | None
    price: Decimal | None
    currency: str | None
    words: frozenset[str]
    numbers: frozenset[str]
    trigrams: Counter[str]
    norm: float  # the trigram vector's length
    compact: str  # the title without separators

    @classmethod
    def of(cls, record: Any) -> Offer:
        """The offer of a record (a dict as match_score takes it; an Offer is returned as it is)."""
        if isinstance(record, Offer):
            return record
        record = record if isinstance(record, dict) else {}
        title = _text(record.get("title")) or _text(record.get("name"))
        tokens = words(title)
        grams = _trigrams(tokens)
        return cls(title=title, brand=_text(record.get("brand")) or _text(record.get("manufacturer")),
                   codes=model_codes(title, _text(record.get("modelno"))), gtin=_gtin(record.get("gtin")),
                   mpn=_compact(_text(record.get("mpn"))) or None, price=_price(record.get("price")),
                   currency=_text(record.get("currency")).upper() or None, words=frozenset(tokens),
                   numbers=frozenset(w for w in tokens if _NUMBER.match(w)), trigrams=grams,
                   norm=math.sqrt(sum(c * c for c in grams.values())), compact=_compact(title))


def match_score(left: dict, right: dict) -> float:
    """0..1, higher = the same product (see the module's rules). Offers (Offer.of) are taken too, so that a record
    compared with many is read once."""
    try:
        return _score(Offer.of(left), Offer.of(right))
    except Exception:  # the contract: bad input gives a score, never an exception
        return 0.0


def identified(a: Offer | dict, b: Offer | dict) -> bool | None:
    """What shop identifiers alone say of a pair (rules 1 and 2): the same product (True), two products (False:
    two different GTINs), or nothing (None)."""
    a, b = Offer.of(a), Offer.of(b)
    if a.gtin and b.gtin:
        return a.gtin == b.gtin
    if a.mpn and b.mpn and a.mpn == b.mpn and _same_brand(a.brand, b.brand) is not False:
        return True
    return None


def _score(a: Offer, b: Offer) -> float:
    said = identified(a, b)
    if said is not None:
        if a.gtin and b.gtin:
            return 0.99 if said else 0.01
        return 0.97  # the same part number of the same brand
    features = pair_features(a, b)
    score = 0.6 * features["trigram_cosine"] + 0.4 * features["word_jaccard"]
    if features["code_shared"]:
        score = CODE_SHARED + (1 - CODE_SHARED) * score
    elif features["code_conflict"]:
        score *= CODE_CONFLICT
    elif features["number_jaccard"] == 0.0:
        score *= NUMBER_CONFLICT  # sizes, capacities, versions (24 vs 30 inch, 2007 vs 2008): another variant
    if features["brand_same"] == 0.0:
        score *= 0.8
    if features["price_log_ratio"] > math.log(FAR_PRICES):
        score *= 0.85
    return round(min(max(score, 0.0), 1.0), 6)


def pair_features(a: Offer | dict, b: Offer | dict) -> dict[str, float]:
    """The evidence of one pair, as named numbers (-1 where a side lacks what a feature compares)."""
    a, b = Offer.of(a), Offer.of(b)
    shared = _codes_shared(a, b)
    same_brand = _same_brand(a.brand, b.brand)
    return {
        "trigram_cosine": _cosine(a, b),
        "word_jaccard": _jaccard(a.words, b.words),
        "code_shared": float(shared),
        "code_conflict": float(bool(a.codes and b.codes and not shared)),
        "brand_same": -1.0 if same_brand is None else float(same_brand),
        "price_log_ratio": _log_ratio(a, b),
        "number_jaccard": _jaccard(a.numbers, b.numbers) if a.numbers or b.numbers else -1.0,
        "length_difference": float(abs(len(a.words) - len(b.words))),
    }


def model_codes(title: str, modelno: str = "") -> frozenset[str]:
    """Model numbers named in a title (and the offer's own `modelno`), without separators: tokens of at least
    MIN_CODE characters mixing letters and digits (not a quantity with its unit: `230v`, `16gb`), part numbers of
    at least PART_DIGITS digits, and a short letter prefix joined to the number after it (`LR 250` → `lr250`)."""
    found = set()
    tokens = words(title)
    for token in tokens:
        for part in token.split("/"):
            code = _compact(part)
            if len(code) >= MIN_CODE and _mixed(code) and not _MEASURE.match(code):
                found.add(code)
            elif code.isdigit() and len(code) >= PART_DIGITS:
                found.add(code)
    for first, second in zip(tokens, tokens[1:]):
        joined = _compact(first) + _compact(second)
        if first.isalpha() and len(first) <= 4 and second.isdigit() and len(joined) >= MIN_CODE + 1:
            found.add(joined)
    own = _compact(modelno)
    if len(own) >= MIN_CODE - 1 and any(ch.isdigit() for ch in own):
        found.add(own)
    return frozenset(found)


def code_stems(codes: frozenset[str]) -> frozenset[str]:
    """Each code's stem without the letters after its last digit, which shops add for a colour or a region
    (`dvpns700hb` and `dvpns700h` are both `dvpns700`): a key for blocking, too loose to decide a match."""
    return frozenset(stem for stem in map(_stem, codes) if stem)


def _stem(code: str) -> str | None:
    """The code without the letters after its last digit, when what is left is still a model number."""
    stem = code.rstrip("abcdefghijklmnopqrstuvwxyz")
    return stem if stem != code and len(stem) >= MIN_CODE + 1 and _mixed(stem) else None


def _codes_shared(a: Offer, b: Offer) -> bool:
    """A model number of one offer among the other's, or inside its title written without separators."""
    if a.codes & b.codes:
        return True
    return any(code in b.compact for code in a.codes if len(code) > MIN_CODE) or \
        any(code in a.compact for code in b.codes if len(code) > MIN_CODE)


def _same_brand(a: str, b: str) -> bool | None:
    if not a or not b:
        return None
    a, b = _compact(a), _compact(b)
    return a in b or b in a


def _log_ratio(a: Offer, b: Offer) -> float:
    if a.price is None or b.price is None or a.price <= 0 or b.price <= 0:
        return -1.0
    if a.currency and b.currency and a.currency != b.currency:
        return -1.0  # no exchange rates here: prices in two currencies say nothing
    return abs(math.log(float(a.price) / float(b.price)))


def words(text: str) -> list[str]:
    """The words of a text (letters and digits, joined by - / . inside a word: `lr-250`, `2.0`), any script."""
    return _TOKEN.findall(text)


def _trigrams(tokens: list[str]) -> Counter[str]:
    padded = f" {' '.join(tokens)} "
    return Counter(padded[i:i + 3] for i in range(len(padded) - 2))


def _cosine(a: Offer, b: Offer) -> float:
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a.trigrams, b.trigrams) if len(a.trigrams) <= len(b.trigrams) else (b.trigrams, a.trigrams)
    return sum(count * large[gram] for gram, count in small.items() if gram in large) / (a.norm * b.norm)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _mixed(code: str) -> bool:
    return any(ch.isdigit() for ch in code) and any(ch.isalpha() for ch in code)


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text.lower())


def _text(value: Any) -> str:
    return " ".join(value.split()).lower() if isinstance(value, str) else ""


def _gtin(value: Any) -> str | None:
    """A GTIN-8/12/13/14 (extractors.identifiers.is_gtin: its GS1 check digit right) as GTIN-14, else None."""
    digits = str(value).replace(" ", "").replace("-", "") if isinstance(value, (str, int)) else ""
    return digits.zfill(14) if not isinstance(value, bool) and is_gtin(digits) else None


def _price(value: Any) -> Decimal | None:
    price = to_decimal(value)
    return price if price is not None and price.is_finite() and price >= 0 else None
