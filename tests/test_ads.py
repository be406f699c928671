"""Ad extraction over tests/samples/ads: `<case>.json|.html` beside `<case>.expected.json` (which names the format)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from extractors import Ad, extract_ads
from extractors.ads import FORMATS

SAMPLES = Path(__file__).parent / "samples" / "ads"
CASES = sorted(p.name.removesuffix(".expected.json") for p in SAMPLES.glob("*.expected.json"))
DATES = ("started", "stopped")


def _input(case: str) -> Path:
    return next(p for p in SAMPLES.glob(f"{case}.*") if not p.name.endswith(".expected.json"))


@pytest.mark.parametrize("case", CASES)
def test_sample(case: str) -> None:
    spec = json.loads((SAMPLES / f"{case}.expected.json").read_text(encoding="utf-8"))
    ads = extract_ads(_input(case).read_bytes(), spec["url"], spec["fmt"])
    assert all(isinstance(ad, Ad) for ad in ads)
    assert len(ads) == len(spec["ads"])
    for expected, got in zip(spec["ads"], ads):
        for field, value in expected.items():
            value = date.fromisoformat(value) if field in DATES and value else value
            assert getattr(got, field) == value, (field, got)


def test_text_body_works_like_bytes() -> None:
    path = SAMPLES / "meta_ads_archive.json"
    url = "https://adlibrary.example/ads_archive"
    assert extract_ads(path.read_text(encoding="utf-8"), url, "meta_ad_library") == extract_ads(
        path.read_bytes(), url, "meta_ad_library")


@pytest.mark.parametrize("fmt", ["", "google_ads_transparency", "META_AD_LIBRARY"])
def test_unknown_format_gives_nothing(fmt: str) -> None:
    assert extract_ads((SAMPLES / "meta_ads_archive.json").read_bytes(), "https://a.example/", fmt) == []


@pytest.mark.parametrize("body", ["", "{", "[]", "null", '{"data": {"id": 1}}', '{"data": [{"id": {"x": 1}}]}',
                                  "<html><body>not json</body></html>"])
def test_bad_feeds_give_nothing(body: str) -> None:
    assert extract_ads(body, "https://a.example/", "meta_ad_library") == []


def test_registry_lists_the_documented_formats() -> None:
    assert set(FORMATS) == {"meta_ad_library", "html"}
