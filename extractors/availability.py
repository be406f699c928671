"""Availability normalised to "in_stock" | "out_of_stock" | "preorder" | None, from schema.org values or visible text."""
from __future__ import annotations

import re

from extractors.phrases import IN_STOCK_PHRASES, OUT_OF_STOCK_PHRASES, PREORDER_PHRASES, SCHEMA_AVAILABILITY


def _phrase_re(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
                      + r")(?!\w)", re.IGNORECASE)


_OUT = _phrase_re(OUT_OF_STOCK_PHRASES)
_PRE = _phrase_re(PREORDER_PHRASES)
_IN = _phrase_re(IN_STOCK_PHRASES)


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
    """The state a visible label states ("Sold out", "нет в наличии", "auf Lager"); negative wording wins."""
    if not text:
        return None
    text = text[:2000]
    if _OUT.search(text):
        return "out_of_stock"
    if _PRE.search(text):
        return "preorder"
    if allow_in_stock and _IN.search(text):
        return "in_stock"
    return None


def states_in(text: str | None) -> set[str]:
    """Every state some phrase of `text` states (a button may hold both "Add to cart" and a hidden "Sold out")."""
    if not text:
        return set()
    text = text[:2000]
    found = {state for state, pattern in (("out_of_stock", _OUT), ("preorder", _PRE), ("in_stock", _IN))
             if pattern.search(text)}
    return found
