"""detect_technologies over real-looking pages (tests/samples/technologies/<case>/page.html + case.json)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import extractors.technologies as technologies
from extractors import Document, Technology, detect_technologies
from extractors.document import as_document
from extractors.fingerprints import DATA, load_fingerprints, translate_js_regex
from extractors.technologies import resolve_version

SAMPLES = Path(__file__).parent / "samples" / "technologies"
CASES = sorted(p.name for p in SAMPLES.iterdir() if (p / "case.json").exists())


def load_case(name: str) -> tuple[bytes, dict]:
    folder = SAMPLES / name
    return (folder / "page.html").read_bytes(), json.loads((folder / "case.json").read_text(encoding="utf-8"))


def detect_case(name: str) -> list[Technology]:
    body, case = load_case(name)
    return detect_technologies(body, case["url"], case["headers"])


@pytest.mark.parametrize("name", CASES)
def test_sample(name):
    _, case = load_case(name)
    found = {t.name: t for t in detect_case(name)}
    missing = set(case["expected"]) - set(found)
    assert not missing, f"{name}: missing {sorted(missing)}; found {sorted(found)}"
    for tech, version in case.get("versions", {}).items():
        assert found[tech].version == version, f"{name}: {tech} version {found[tech].version!r}"
    for tech in case.get("absent", []):
        assert tech not in found, f"{name}: {tech} must not be detected ({found[tech].evidence})"
    if case.get("exact"):
        assert sorted(found) == sorted(case["expected"])


def test_samples_cover_the_technologies_we_promise():
    promised = {"Yandex.Metrika", "Google Analytics", "Google Tag Manager", "Facebook Pixel", "VK Pixel",
                "1C-Bitrix", "Tilda", "WordPress", "Shopify", "jQuery", "Cloudflare", "Top.Mail.Ru"}
    covered = {tech for name in CASES for tech in load_case(name)[1]["expected"]}
    assert promised <= covered


# The common ways each promised technology shows itself in static HTML (snippets as the vendors publish them).
SNIPPETS = [
    ("Yandex.Metrika", '<script src="https://mc.yandex.ru/metrika/tag.js"></script>'),
    ("Yandex.Metrika", '<script>ym(12345678, "init", {clickmap:true, trackLinks:true});</script>'),
    ("Yandex.Metrika", '<noscript><div><img src="https://mc.yandex.ru/watch/12345678" alt=""></div></noscript>'),
    ("Google Analytics", '<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123XYZ"></script>'),
    ("Google Analytics", "<script>ga('create', 'UA-1234567-1', 'auto'); ga('send', 'pageview');</script>"),
    ("Google Analytics", '<script src="https://ssl.google-analytics.com/ga.js"></script>'),
    ("Google Tag Manager", '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-AB12CD"></iframe>'
                           "</noscript>"),
    ("Facebook Pixel", "<script>!function(f,b,e,v,n,t,s){}(window, document,'script',"
                       "'https://connect.facebook.net/en_US/fbevents.js'); fbq('init', '1234');</script>"),
    ("Facebook Pixel", '<noscript><img src="https://www.facebook.com/tr?id=1234&ev=PageView&noscript=1"></noscript>'),
    ("VK Pixel", '<script>VK.Retargeting.Init("VK-RTRG-123456-abcde"); VK.Retargeting.Hit();</script>'),
    ("VK Pixel", '<noscript><img src="https://vk.com/rtrg?p=VK-RTRG-123456-abcde" alt=""></noscript>'),
    ("1C-Bitrix", '<script src="/bitrix/js/main/core/core.min.js?1670000000"></script>'),
    ("1C-Bitrix", '<link href="/bitrix/templates/aspro_max/styles.css" rel="stylesheet">'),
    ("Tilda", '<script src="https://static.tildacdn.com/js/tilda-scripts-3.0.min.js"></script>'),
    ("Tilda", '<meta name="generator" content="Tilda Publishing - tilda.cc">'),
    ("WordPress", '<link rel="stylesheet" href="https://x.example/wp-content/themes/astra/style.css?ver=6.4.2">'),
    ("Shopify", '<script src="https://cdn.shopify.com/s/files/1/0001/t/1/assets/theme.js"></script>'),
    ("Shopify", '<script>window.Shopify = window.Shopify || {}; Shopify.shop = "peak.myshopify.com";</script>'),
    ("Shopify", '<link href="//peak.myshopify.com/cdn/shop/t/1/assets/base.css" rel="stylesheet">'),
    ("jQuery", '<script src="https://ajax.googleapis.com/ajax/libs/jquery/3.5.1/jquery.min.js"></script>'),
    ("Cloudflare", '<script src="/cdn-cgi/scripts/5c5dd728/cloudflare-static/email-decode.min.js"></script>'),
    ("Cloudflare", '<a href="/cdn-cgi/l/email-protection#a1b2">[email protected]</a>'),
]


@pytest.mark.parametrize(("tech", "snippet"), SNIPPETS)
def test_each_promised_technology_in_its_common_forms(tech, snippet):
    body = f"<!DOCTYPE html><html><head><title>x</title></head><body><p>Hello</p>{snippet}</body></html>"
    found = {t.name for t in detect_technologies(body, "https://site.example/", {})}
    assert tech in found, f"{tech} not found in {snippet!r}; found {sorted(found)}"


def test_snippets_of_one_technology_do_not_bring_others():
    body = "<html><body>" + SNIPPETS[0][1] + "</body></html>"
    found = {t.name for t in detect_technologies(body, "https://site.example/", {})}
    assert found == {"Yandex.Metrika"}


def test_records_carry_categories_and_evidence():
    found = {t.name: t for t in detect_case("jquery")}
    assert found["jQuery"] == Technology("jQuery", ["JavaScript libraries"], "3.6.0",
                                         "script: /static/js/jquery-3.6.0.min.js")


def test_implied_technologies_are_added():
    found = {t.name: t for t in detect_case("wordpress")}
    assert found["PHP"].evidence == "implied by WordPress"
    assert found["MySQL"].evidence == "implied by WordPress"
    assert {t.name for t in detect_case("cdnjs")} >= {"cdnjs", "Cloudflare"}


@pytest.mark.parametrize("headers, expected, version", [
    ({"Server": "nginx/1.25.3"}, "Nginx", "1.25.3"),
    ({"X-Powered-By": "PHP/8.2.12"}, "PHP", "8.2.12"),
    ({"server": "cloudflare"}, "Cloudflare", None),
    ({"CF-RAY": "8a1b2c3d4e5f6789-AMS"}, "Cloudflare", None),
    ({"Set-Cookie": "_ga_ABC123XYZ=GS1.1.1700000000.1.0.1700000000.0.0.0; Path=/"}, "Google Analytics", "GA4"),
    ({"Set-Cookie": ["PHPSESSID=abc; path=/", "BITRIX_SM_SALE_UID=42; path=/"]}, "1C-Bitrix", None),
    ({"set-cookie": b"_shopify_y=1; path=/"}, "Shopify", None),
])
def test_headers_and_cookies(headers, expected, version):
    found = {t.name: t for t in detect_technologies(b"<html><body><p>hi</p></body></html>", "https://a.example/",
                                                    headers)}
    assert expected in found
    assert found[expected].version == version


@pytest.mark.parametrize("script, expected, version", [
    ("var _gaq = _gaq || []; _gaq.push(['_setAccount', 'UA-123-1']);", "Google Analytics", "UA"),
    ("var c = new Ya.Metrika2({id: 1, clickmap: true});", "Yandex.Metrika", None),  # a global's name (`js`)
    ("window.VK.Retargeting.Hit();", "VK Pixel", None),
    ("if (!window._fbq) window._fbq = n;", "Facebook Pixel", None),
    ("fbq('init', '1234567890123456'); fbq('track', 'PageView');", "Facebook Pixel", None),
    ('ym(93456781, "init", {webvisor: true});', "Yandex.Metrika", None),
])
def test_inline_scripts(script, expected, version):
    found = {t.name: t for t in detect_technologies(f"<html><head><script>{script}</script></head></html>",
                                                    "https://a.example/", {})}
    assert expected in found
    assert found[expected].version == version


@pytest.mark.parametrize("script", [
    "var List = []; var Vue = 1; function Shopify() {}",  # the page's own variables, not libraries' globals
    "var s = 'window._fbq and VK.Retargeting in a string'; // Ya.Metrika2 in a comment",
    'var state = {"framework": "React", "cms": "WordPress"};',
])
def test_names_in_strings_or_declared_by_the_page_are_not_globals(script):
    assert detect_technologies(f"<html><body><script>{script}</script></body></html>", "https://a.example/", {}) == []


def test_a_shared_document_gives_the_same_result():
    body, case = load_case("bitrix")
    doc = as_document(body, case["url"], case["headers"])
    assert detect_technologies(doc, case["url"], case["headers"]) == detect_case("bitrix")
    bare = Document(doc.text, case["url"])  # parsed without headers: the headers passed in are used
    assert detect_technologies(bare, case["url"], case["headers"]) == detect_case("bitrix")


def test_prefilter_never_hides_a_match(monkeypatch):
    """The word index is only an optimisation: every regex run on every page must find the same."""
    fast = {name: detect_case(name) for name in CASES}
    monkeypatch.setattr(technologies, "candidates", lambda fp, kind, value: fp.text[kind])
    assert {name: detect_case(name) for name in CASES} == fast


@pytest.mark.parametrize("body", [
    b"", "", None, b"   \n\t", b"\x00" * 100,
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64,
    b"%PDF-1.7\n" + bytes(range(255, -1, -1)) * 64,
    "<html><head><script>var x = '</script>",
    b"<" * 50_000,
    "<div>" * 200_000,
])
def test_bad_input_gives_nothing(body):
    assert detect_technologies(body, "https://a.example/", {}) == []


def test_odd_arguments_do_not_raise():
    assert detect_technologies(b"<p>x</p>", None, None) == []  # type: ignore[arg-type]
    odd_headers = {"server": None, 42: ["x"], "set-cookie": [b"a=1", None]}
    assert detect_technologies(b"<p>x</p>", "https://a.example/", odd_headers) == []  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000)),
       st.dictionaries(st.sampled_from(["server", "set-cookie", "x-powered-by", "cf-ray"]), st.text(max_size=80)))
def test_hostile_input_never_raises(body, headers):
    result = detect_technologies(body, "https://a.example/", headers)
    assert all(isinstance(t, Technology) for t in result)


@pytest.mark.parametrize("template, pattern, value, expected", [
    ("\\1", r"jquery-(\d+\.\d+\.\d+)", "jquery-3.6.0.min.js", "3.6.0"),
    ("\\1?UA:", r"gtag\([^)]+'(UA-)", "gtag('config', 'UA-1')", "UA"),
    ("\\1?GA4:old", r"id=(G-)?", "id=UA-1", "old"),
    ("v\\1.\\2", r"(\d+)_(\d+)", "x 4_2", "v4.2"),
    ("GA4", r"", "", "GA4"),
    ("\\2", r"(\d+)", "7", ""),
])
def test_version_templates(template, pattern, value, expected):
    match = re.search(pattern, value) if pattern else True
    assert resolve_version(template, match) == expected


@pytest.mark.parametrize("js, python", [
    (r"jquery(?:-(\d+\.\d+\.\d+))[/.-]", r"jquery(?:-(\d{1,250}\.\d{1,250}\.\d{1,250}))[/.-]"),
    (r"<[^]*>", r"<[\s\S]{0,250}>"),
    (r"(?<v>\d)\k<v>", r"(?P<v>\d)(?P=v)"),
    (r"v([\d\.-\w]+)", r"v([\d\.\-\w]{1,250})"),
    (r"Powered by \i\/", r"powered by i/"),
    (r"a{2}b{", r"a{2}b\{"),
    (r"\x41\u0042", r"ab"),
])
def test_javascript_regexes_are_translated(js, python):
    assert translate_js_regex(js) == python
    re.compile(python)


def test_the_dataset_loads_with_nearly_every_pattern():
    fp = load_fingerprints()
    assert len(fp.technologies) > 3000
    assert fp.skipped["untranslatable"] <= 20
    assert fp.skipped["patterns"] > 6000
    assert "Top.Mail.Ru" in fp.technologies and fp.technologies["Top.Mail.Ru"].categories == ["Analytics"]


def test_the_shipped_license_is_mit():
    license_text = DATA.joinpath("LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in license_text
    assert "GNU" not in license_text
    source = DATA.joinpath("SOURCE.md").read_text(encoding="utf-8")
    assert "wappalyzer" in source and "6.10.47" in source


def test_extra_fingerprints_are_well_formed():
    extra = json.loads(DATA.joinpath("extra.json").read_text(encoding="utf-8"))
    for name, entry in extra.items():
        assert entry.get("cats"), name
