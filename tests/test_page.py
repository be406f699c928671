"""Page facts over tests/samples/page: each `<case>.html` beside `<case>.expected.json`."""
from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from extractors import PageFacts, extract_page
from extractors.contacts import normalise_phone

SAMPLES = Path(__file__).parent / "samples" / "page"
CASES = sorted(p.name.removesuffix(".expected.json") for p in SAMPLES.glob("*.expected.json"))


@pytest.mark.parametrize("case", CASES)
def test_sample(case: str) -> None:
    spec = json.loads((SAMPLES / f"{case}.expected.json").read_text(encoding="utf-8"))
    facts = extract_page((SAMPLES / f"{case}.html").read_bytes(), spec["url"])
    assert isinstance(facts, PageFacts)
    assert set(spec["fields"]) == {f.name for f in fields(PageFacts)} - {"main_text"}, "every field is labelled"
    for field, value in spec["fields"].items():
        assert getattr(facts, field) == value, field
    for phrase in spec["main_text_contains"]:
        assert phrase in (facts.main_text or ""), phrase
    for phrase in spec["main_text_excludes"]:
        assert phrase not in (facts.main_text or ""), phrase


def test_whitespace_is_normalised() -> None:
    facts = extract_page("<html><head><title>\n  A \t B  </title></head><body><h1> x\n y </h1></body></html>",
                         "https://a.example/")
    assert (facts.title, facts.h1, facts.headings) == ("A B", "x y", ["x y"])


def test_no_canonical_and_no_lang() -> None:
    facts = extract_page("<html><body><p>hi</p></body></html>", "https://a.example/")
    assert (facts.canonical, facts.lang, facts.h1) == (None, None, None)


@pytest.mark.parametrize(("raw", "expected"), [
    ("+49 (621) 555-0100", "+496215550100"), ("0049 621 5550100", "+496215550100"),
    ("8 (800) 555-35-35", "88005553535"), ("+7%20495%20123-45-67", "+74951234567"), ("12-34", None),
])
def test_phone_normalisation(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected
