"""Site-audit facts over tests/samples/audit: pages (`<case>.html`) and robots.txt files, each beside
`<case>.expected.json`; then hostile input, which must give the empty record and never raise."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.audit import audit_page, language_tag, robots_facts
from extractors.document import as_document
from extractors.records import PageAudit, RobotsFacts

SAMPLES = Path(__file__).parent / "samples" / "audit"
PAGES = sorted(p.name.removesuffix(".expected.json") for p in (SAMPLES / "pages").glob("*.expected.json"))
ROBOTS = sorted(p.name.removesuffix(".expected.json") for p in (SAMPLES / "robots").glob("*.expected.json"))
URL = "https://hostile.example/page"
FIVE_MB_LINE = "<html><head><title>x</title></head><body>" + "<b>ä" * (5 * 1024 * 1024 // 4) + "</body></html>"
HOSTILE = [
    pytest.param(None, id="none"), pytest.param(b"", id="empty-bytes"), pytest.param("", id="empty-str"),
    pytest.param("   \n\t ", id="whitespace"), pytest.param(b"\x00" * 64, id="nul"),
    pytest.param(bytes(range(256)) * 64, id="binary"), pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png"),
    pytest.param(b"\x1f\x8b\x08\x00broken gzip", id="broken-gzip"),
    pytest.param("<html><head><title>Unclosed<meta name=description content='a", id="broken-html"),
    pytest.param("<?xml version='1.0'?><urlset><url><loc>https://a.example/</loc>", id="broken-xml"),
    pytest.param(FIVE_MB_LINE, id="5mb-line"),
]


def _spec(folder: str, case: str) -> dict:
    return json.loads((SAMPLES / folder / f"{case}.expected.json").read_text(encoding="utf-8"))


def test_the_samples_cover_three_languages() -> None:
    for cases in (PAGES, ROBOTS):
        assert {case.rsplit("_", 1)[-1].split(".")[0] for case in cases} >= {"ru", "de", "en"}, cases


@pytest.mark.parametrize("case", PAGES)
def test_page(case: str) -> None:
    spec = _spec("pages", case)
    audit = audit_page((SAMPLES / "pages" / f"{case}.html").read_bytes(), spec["url"])
    assert isinstance(audit, PageAudit)
    assert set(spec["fields"]) == {f for f in PageAudit.__slots__}, "every field is labelled"
    for field, value in spec["fields"].items():
        assert getattr(audit, field) == value, field


@pytest.mark.parametrize("case", PAGES)
def test_page_from_a_parsed_document_is_the_same(case: str) -> None:
    spec = _spec("pages", case)
    body = (SAMPLES / "pages" / f"{case}.html").read_bytes()
    assert audit_page(as_document(body, spec["url"]), spec["url"]) == audit_page(body, spec["url"])


def test_whitespace_normalised_lengths_and_og_without_content() -> None:
    page = ("<html lang=' EN-gb '><head><title>\n  A \t B  </title><meta name=DESCRIPTION content='  x\n\ny '>"
            "<meta property='og:title' content='  '><meta property='OG:Image' content='/i.png'>"
            "<meta name=viewport content='initial-scale=1'></head><body><h1>1</h1><div><h1>2</h1></div></body></html>")
    assert audit_page(page, URL) == PageAudit(title_length=3, description_length=3, h1_count=2,
                                              open_graph=["og:image"], viewport=False, lang="en-GB")


@pytest.mark.parametrize(("raw", "expected"), [
    ("de-at", "de-AT"), ("x-default", "x-default"), ("X-Default", "x-default"), ("zh-hant-tw", "zh-Hant-TW"),
    ("es-419", "es-419"), ("en_US", "en-US"), ("", None), ("de at", None), ("дe", None),
])
def test_language_tags(raw: str, expected: str | None) -> None:
    assert language_tag(raw) == expected


@pytest.mark.parametrize("case", ROBOTS)
def test_robots(case: str) -> None:
    spec = _spec("robots", case)
    facts = robots_facts((SAMPLES / "robots" / f"{case}.txt").read_bytes())
    assert isinstance(facts, RobotsFacts)
    assert (facts.rules, facts.sitemaps) == (spec["rules"], spec["sitemaps"])
    if spec.get("hash_of_rules"):
        assert facts.content_hash == hashlib.sha256("\n".join(spec["rules"]).encode()).hexdigest()
    else:
        assert facts.content_hash == spec["content_hash"]


def test_robots_comment_and_spacing_edits_keep_the_hash_and_a_rule_edit_changes_it() -> None:
    original = (SAMPLES / "robots" / "bitrix_ru.txt").read_text(encoding="utf-8")
    edited = (SAMPLES / "robots" / "bitrix_comment_edit_ru.txt").read_text(encoding="utf-8")
    assert original != edited
    assert robots_facts(original).content_hash == robots_facts(edited).content_hash
    assert robots_facts(original.encode()).content_hash == robots_facts(original).content_hash
    changed = original.replace("Disallow: /search/", "Disallow: /search")
    assert robots_facts(changed).content_hash != robots_facts(original).content_hash


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_input_gives_empty_records(body) -> None:
    audit = audit_page(body, URL)
    assert isinstance(audit, PageAudit) and audit.canonical is None and audit.hreflang == []
    facts = robots_facts(body)
    assert isinstance(facts, RobotsFacts) and facts.sitemaps == []


def test_hostile_robots_without_rules_is_empty() -> None:
    for body in (None, b"", "", "\n\n# only a comment\n", b"\x00" * 64):
        assert robots_facts(body) == RobotsFacts()


def test_a_5mb_single_line_page_is_still_audited() -> None:
    audit = audit_page(FIVE_MB_LINE, URL)
    assert (audit.title_length, audit.h1_count) == (1, 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.none(), st.binary(max_size=2000), st.text(max_size=2000),
                 st.lists(st.sampled_from([
                     "<html>", "<head>", "<title>", "</title>", "<h1>", "</h1>", "<body>", "\x00", "&#0;", "\ud7ff",
                     '<link rel="canonical" href="http://[::1">', '<link rel=alternate hreflang="">',
                     '<link rel="ALTERNATE canonical" hreflang="de-DE" href="//x">', "<meta name=viewport content>",
                     '<meta property="og:" content="x">', '<meta name=description content="\u2028\u00a0">',
                     "<html lang='\U0001f600'>", "<svg><title>t</title></svg>", "<!--", "-->", "<![CDATA[",
                 ]), max_size=40).map("".join)),
       st.sampled_from([URL, "", "not a url", "http://[::1", "https://ü.example/ä?ö#"]))
def test_audit_page_never_raises(body, url) -> None:
    audit = audit_page(body, url)
    assert isinstance(audit, PageAudit)
    assert audit.title_length >= 0 and audit.description_length >= 0 and audit.h1_count >= 0
    assert audit.open_graph == sorted(set(audit.open_graph))
    assert len(audit.hreflang) == len(set(audit.hreflang))


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.binary(max_size=2000), st.text(max_size=2000)))
def test_robots_never_raises(body) -> None:
    assert isinstance(robots_facts(body), RobotsFacts)
