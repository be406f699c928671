"""Review extraction over tests/samples/reviews, plus rating and date normalisation tables."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import lxml.html
import pytest

from extractors import Review, ReviewPage, extract_reviews
from extractors.dates import parse_date
from extractors.ratings import from_element, to_five

SAMPLES = Path(__file__).parent / "samples" / "reviews"
CASES = sorted(p.name.removesuffix(".expected.json") for p in SAMPLES.glob("*.expected.json"))
NOW = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("case", CASES)
def test_sample(case: str) -> None:
    spec = json.loads((SAMPLES / f"{case}.expected.json").read_text(encoding="utf-8"))
    now = datetime.fromisoformat(spec["now"]).replace(hour=12, tzinfo=timezone.utc)
    page = extract_reviews((SAMPLES / f"{case}.html").read_bytes(), spec["url"], spec.get("selectors"), now=now)
    assert isinstance(page, ReviewPage)
    for field in ("aggregate_rating", "review_count"):
        assert getattr(page, field) == spec[field], field
    assert spec["count"] == len(spec["reviews"]), "a sample lists every review it yields"
    assert len(page.reviews) == spec["count"], page.reviews
    for expected, got in zip(spec["reviews"], page.reviews, strict=True):
        assert isinstance(got, Review) and got.id
        for field, value in expected.items():
            value = date.fromisoformat(value) if field == "published" and value else value
            assert getattr(got, field) == value, (field, got)
    assert len({r.id for r in page.reviews}) == len(page.reviews)


def test_content_ids_are_stable_across_runs() -> None:
    body = (SAMPLES / "microdata_ru_dates.html").read_bytes()
    first = extract_reviews(body, "https://gruzovoz.example/otzyvy/", now=NOW)
    again = extract_reviews(body, "https://gruzovoz.example/otzyvy/", now=NOW)
    assert len(first.reviews) == 2 and [r.id for r in first.reviews] == [r.id for r in again.reviews]
    assert all(r.id.startswith("sha1:") for r in first.reviews)


@pytest.mark.parametrize(("value", "best", "worst", "expected"), [
    ("4,5", None, None, 4.5), (4, 5, 1, 4.0), ("8", "10", None, 4.0), (8.6, 10, 1, 4.3), ("80%", None, None, 4.0),
    ("9/10", None, None, 4.5), ("4.5 out of 5", None, None, 4.5), ("4 von 5", None, None, 4.0),
    (92, 100, None, 4.6), ("0", None, None, None), ("abc", None, None, None), (None, None, None, None),
    (7, 5, None, None),
])
def test_ratings_to_five(value, best, worst, expected) -> None:
    assert to_five(value, best, worst) == expected


@pytest.mark.parametrize(("markup", "expected"), [
    ('<span class="stars"><span style="width:80%"></span></span>', 4.0),
    ('<div class="rating" style="width: 90%"></div>', 4.5),
    ('<span class="stars" aria-label="4.5 out of 5 stars"></span>', 4.5),
    ('<span class="rating stars-45"></span>', 4.5),
    ('<span data-rating="3"></span>', 3.0),
    ('<div><i class="fa fa-star"></i><i class="fa fa-star"></i><i class="fa fa-star"></i>'
     '<i class="fa fa-star-o"></i><i class="fa fa-star-o"></i></div>', 3.0),
    ('<ol class="star-rating__list star-rating--filled-4,5"></ol>', 4.5),
    ('<ol class="star-rating__list star-rating--filled-4_5"></ol>', 4.5),
    ('<div class="review-rating"><img src="/img/icon-rating-large4.png?t=1549" alt=""></div>', 4.0),
    ('<img src="images5/stars.gif">', None),
    ('<span>no rating</span>', None),
])
def test_rating_widgets(markup: str, expected: float | None) -> None:
    assert from_element(lxml.html.fragment_fromstring(markup)) == expected


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("3 марта 2024", "ru", date(2024, 3, 3)),
    ("12 ноября 2023 г.", "ru", date(2023, 11, 12)),
    ("вчера", "ru", date(2024, 3, 19)),
    ("2 дня назад", "ru", date(2024, 3, 18)),
    ("12. März 2024", "de", date(2024, 3, 12)),
    ("vor 2 Tagen", "de", date(2024, 3, 18)),
    ("gestern", "de", date(2024, 3, 19)),
    ("05.03.2024", "de", date(2024, 3, 5)),
    ("3 days ago", "en", date(2024, 3, 17)),
    ("March 3, 2024", "en", date(2024, 3, 3)),
    ("2024-03-01T10:00:00+01:00", None, date(2024, 3, 1)),
    ("12 ноября 2030", "ru", None),  # after `now`: a misread, not a review from the future
    ("not a date", "en", None),
    ("", "en", None),
])
def test_dates(text: str, lang: str | None, expected: date | None) -> None:
    assert parse_date(text, lang, NOW) == expected
