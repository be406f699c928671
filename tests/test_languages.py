"""Prices, availability phrases, review dates and rating widgets in pl/uk/fr/es/it/nl/pt/tr/cs (issue 20, item 3), with ru/de/en
controls: the labelled rows of fixtures/labelled/languages.json, one test per row; and the shape of the phrase
tables they are read with (extractors/phrases.py: one row per phrase with its language)."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import html as lxml_html

from extractors import availability
from extractors.currencies import LANG_DECIMAL, TLD_DECIMAL
from extractors.dates import parse_date
from extractors.phrases import (AVAILABILITY_PHRASES, AVAILABILITY_STATES, IDENTIFIER_LABELS, NEXT_PAGE_PHRASES,
                                RATING_LABEL_WORDS, RATING_NAME_WORDS, RATING_OUT_OF, REVIEW_PART_WORDS)
from extractors.prices import Context, parse_price
from extractors.review_list import rating_widget

LANGUAGES = ("pl", "uk", "fr", "es", "it", "nl", "pt", "tr", "cs")
CONTROLS = ("ru", "de", "en")
KINDS = ("price", "availability", "date")
SET = Path(__file__).resolve().parents[1] / "fixtures" / "labelled" / "languages.json"
ROWS: list[dict] = json.loads(SET.read_text(encoding="utf-8"))["rows"]


def _id(row: dict) -> str:
    unknown = "-nolang" if row["kind"] == "date" and row.get("page_lang", row["lang"]) is None else ""
    via = "-" + row["url"].split("/")[2] if row.get("url") else ""
    return f"{row['lang']}-{row['kind']}{unknown}{via}-{row['text']}"


def test_the_set_has_six_of_each_kind_per_language() -> None:
    counts = Counter((row["lang"], row["kind"]) for row in ROWS)
    short = {(lang, kind): counts[(lang, kind)] for lang in LANGUAGES for kind in KINDS if counts[(lang, kind)] < 6}
    assert not short
    assert all(counts[(lang, kind)] >= 1 for lang in CONTROLS for kind in KINDS)
    assert len({_id(row) for row in ROWS}) == len(ROWS), "one test id per row"
    unknown = {row["lang"] for row in ROWS if row["kind"] == "date" and row.get("page_lang", row["lang"]) is None}
    assert set(LANGUAGES) <= unknown, "each language has a date read with no page language"


@pytest.mark.parametrize("row", ROWS, ids=[_id(row) for row in ROWS])
def test_row(row: dict) -> None:
    kind, text, expected = row["kind"], row["text"], row["expected"]
    if kind == "price":
        parsed = parse_price(text, context=Context.of(row.get("url", ""), lang=row["lang"]))
        assert (parsed.amount, parsed.currency) == (Decimal(expected["amount"]), expected["currency"])
    elif kind == "rating":
        assert rating_widget(lxml_html.fragment_fromstring(text)) == expected
    elif kind == "availability":
        assert availability.from_text(text) == expected
        assert availability.states_in(text) == {expected}
    else:
        now = datetime.fromisoformat(row["now"])
        got = parse_date(text, row.get("page_lang", row["lang"]), now)
        assert got == (date.fromisoformat(expected) if expected else None)


def test_availability_rows_one_phrase_one_state() -> None:
    states: dict[str, set[str]] = {}
    for lang, phrase, state in AVAILABILITY_PHRASES:
        assert phrase == phrase.lower().strip() and state in AVAILABILITY_STATES and len(lang) == 2
        states.setdefault(phrase, set()).add(state)
    assert {p: s for p, s in states.items() if len(s) > 1} == {}
    assert len(AVAILABILITY_PHRASES) == len(set(AVAILABILITY_PHRASES))
    for lang in LANGUAGES + CONTROLS:
        assert {s for lg, _p, s in AVAILABILITY_PHRASES if lg == lang} == set(AVAILABILITY_STATES), lang


def test_availability_phrases_kept_from_before() -> None:
    """A sample of the phrases of the former flat tables, each with its state."""
    for phrase, state in (("out of stock", "out_of_stock"), ("под заказ нет", "out_of_stock"),
                          ("nicht lieferbar", "out_of_stock"), ("loppuunmyyty", "out_of_stock"),
                          ("backorder", "preorder"), ("demnächst verfügbar", "preorder"), ("reserva", "preorder"),
                          ("in den warenkorb", "in_stock"), ("varastossa", "in_stock"), ("stokta", "in_stock")):
        assert phrase in availability.phrases_of(state)


def test_a_weaker_phrase_inside_a_stronger_one_does_not_count() -> None:
    assert availability.states_in("Není skladem") == {"out_of_stock"}
    assert availability.states_in("Not in stock") == {"out_of_stock"}
    assert availability.states_in("Dostępny wkrótce") == {"preorder"}
    assert availability.states_in("Add to cart Sold out") == {"in_stock", "out_of_stock"}
    assert availability.from_text("Dostępny wkrótce", allow_in_stock=False) == "preorder"
    assert availability.from_text("Skladem", allow_in_stock=False) is None


def test_next_page_and_identifier_tables_cover_the_languages() -> None:
    assert set(LANGUAGES) <= {lang for lang, _phrase in NEXT_PAGE_PHRASES}
    kinds: dict[str, set[str]] = {}
    for lang, phrase, kind in IDENTIFIER_LABELS:
        assert kind in ("sku", "gtin", "mpn") and phrase == phrase.lower().strip()
        kinds.setdefault(phrase, set()).add(kind)
    assert {p: k for p, k in kinds.items() if len(k) > 1} == {}, "a label names the same thing in every language"
    for lang in LANGUAGES:
        assert {"sku", "gtin", "mpn"} <= {k for lg, _p, k in IDENTIFIER_LABELS if lg == lang}, lang


def test_decimal_separators_are_cldr() -> None:
    import babel.core as babel_core  # a test extra: the check always runs
    import babel.numbers as babel_numbers
    for lang, separator in LANG_DECIMAL.items():
        assert babel_numbers.get_decimal_symbol(lang.replace("-", "_")) == separator, lang
    for tld, separator in TLD_DECIMAL.items():
        region = {"uk": "GB", "su": "RU", "рф": "RU"}.get(tld, tld.upper())
        assert babel_numbers.get_decimal_symbol(babel_core.Locale.parse("und_" + region)) == separator, tld


@pytest.mark.parametrize(("text", "lang", "url", "amount"), [
    ("1,299 €", "fr", "", "1.299"),  # the locale's decimal comma
    ("1,299 €", "en", "", "1299"),  # English: a thousands comma
    ("1,299 €", None, "https://shop.example.de/p", "1.299"),  # the domain's locale when the page names none
    ("1.299 TL", "tr", "", "1299"),  # a dot is never the decimal in a comma locale
    ("1.299 €", "es", "", "1299"),
    ("0,299 €", None, "", "0.299"),  # no thousands group starts with 0
    ("1,299.00 €", "fr", "", "1299.00"),  # both separators: unambiguous whatever the locale
])
def test_one_separator_three_digits_by_locale(text: str, lang: str | None, url: str, amount: str) -> None:
    assert parse_price(text, context=Context.of(url, lang=lang)).amount == Decimal(amount)


def test_unknown_language_dates_keep_slashes_month_first() -> None:
    now = datetime(2026, 3, 10, 12)
    assert parse_date("03/02/2026", None, now) == date(2026, 3, 2)  # en-US, as before
    assert parse_date("13/02/2026", None, now) == date(2026, 2, 13)  # no 13th month
    assert parse_date("5 out of 5 stars", None, now) is None  # "5 out" is Portuguese for 5 October
    assert parse_date("2 people found this helpful", "en", now) is None


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("12/11/2026", "en-GB", "2026-11-12"),  # day first in British English (CLDR en_GB short date)
    ("12/11/2026", "en-AU", "2026-11-12"),
    ("11/12/2026", "en-US", "2026-11-12"),  # month first in American English
    ("11/12/2026", "en", "2026-11-12"),
])
def test_english_numeric_dates_follow_the_pages_region(text: str, lang: str, expected: str) -> None:
    from datetime import date, datetime, timezone

    from extractors.dates import parse_date
    assert parse_date(text, lang, now=datetime(2026, 11, 20, tzinfo=timezone.utc)) == date.fromisoformat(expected)


def test_rating_rows_cover_the_languages() -> None:
    """Each language has labelled rating widgets and rows in the three rating tables."""
    counts = Counter(row["lang"] for row in ROWS if row["kind"] == "rating" and row["expected"] is not None)
    assert {lang: counts[lang] for lang in LANGUAGES + CONTROLS if counts[lang] < 2} == {}
    for table in (RATING_NAME_WORDS, RATING_LABEL_WORDS):
        assert set(LANGUAGES + CONTROLS) <= {lang for lang, _word in table}
        assert all(word == word.lower().strip() for _lang, word in table)
    assert all(word.isascii() or lang in ("ru", "uk") for lang, word in RATING_NAME_WORDS), "classes as written"
    assert set(LANGUAGES + CONTROLS) <= {lang for lang, _w, _o in RATING_OUT_OF}
    assert {order for _lang, _w, order in RATING_OUT_OF} == {"value-first", "best-first"}


def test_review_part_words_cover_the_languages() -> None:
    """Each language names a review's author, title, text and date (tests/test_review_list.py reads them)."""
    parts = {(lang, part) for lang, part, _word in REVIEW_PART_WORDS}
    missing = [(lang, part) for lang in ("de", "ru", "fr", "pl", "tr", "es", "it", "nl", "pt")
               for part in ("author", "title", "text", "date") if (lang, part) not in parts]
    assert missing == []
    assert all(word == word.lower().strip() for _lang, _part, word in REVIEW_PART_WORDS)
