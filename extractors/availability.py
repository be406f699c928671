"""Availability normalised to "in_stock" | "out_of_stock" | "preorder" | None, from schema.org values or visible text."""
from __future__ import annotations

import re

from extractors.phrases import AVAILABILITY_PHRASES, AVAILABILITY_STATES, SCHEMA_AVAILABILITY


def phrases_of(state: str, languages: frozenset[str] | None = None) -> tuple[str, ...]:
    """The phrases of AVAILABILITY_PHRASES that state `state` (in `languages`, when given), each once."""
    return tuple(dict.fromkeys(phrase for lang, phrase, said in AVAILABILITY_PHRASES
                               if said == state and (languages is None or lang in languages)))


def _phrase_re(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words, longest first; a space in a phrase stands for any run of white space (a no-break space too)."""
    alternatives = (r"\s+".join(re.escape(word) for word in p.split()) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


# The states in the order their wording wins: negative first, since "not in stock" contains "in stock".
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (state, _phrase_re(phrases_of(state))) for state in AVAILABILITY_STATES)


def from_schema(value: object) -> str | None:
    """`http://schema.org/InStock`, `InStock`, `in_stock`, `OutOfStock`... -> our state; None when unknown."""
    if value is None or isinstance(value, (dict, list)):
        return None
    raw = str(value).strip()
    if not raw:
        return None
    key = raw.rsplit("/", 1)[-1].rsplit(":", 1)[-1].strip().lower()
    if key in SCHEMA_AVAILABILITY:
        return SCHEMA_AVAILABILITY[key]
    compact = key.replace(" ", "").replace("_", "").replace("-", "")
    if compact in SCHEMA_AVAILABILITY:
        return SCHEMA_AVAILABILITY[compact]
    return from_text(raw)


def from_text(text: str | None, allow_in_stock: bool = True) -> str | None:
    """The state a visible label states ("Sold out", "нет в наличии", "auf Lager", "Brak w magazynie");
    negative wording wins, then pre-order wording."""
    if not text:
        return None
    text = text[:2000]
    for state, pattern in _PATTERNS:
        if (allow_in_stock or state != "in_stock") and pattern.search(text):
            return state
    return None


def states_in(text: str | None) -> set[str]:
    """Every state some phrase of `text` states (a button may hold both "Add to cart" and a hidden "Sold out").

    A phrase inside a stronger one does not count: "Není skladem" states out of stock only, not also "skladem"."""
    if not text:
        return set()
    text = text[:2000]
    found: set[str] = set()
    taken: list[tuple[int, int]] = []
    for state, pattern in _PATTERNS:
        spans = [m.span() for m in pattern.finditer(text)]
        if any(not any(start <= s and e <= end for start, end in taken) for s, e in spans):
            found.add(state)
        taken.extend(spans)
    return found
