"""Articles over tests/samples/content (`<case>.html` beside `<case>.expected.json`) and hostile input."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.content import extract_articles
from extractors.document import as_document
from extractors.records import Article

SAMPLES = Path(__file__).parent / "samples" / "content"
CASES = sorted(p.name.removesuffix(".expected.json") for p in SAMPLES.glob("*.expected.json"))
URL = "https://hostile.example/blog/post"


def _articles(spec: dict) -> list[Article]:
    return [Article(url=a["url"], title=a["title"], kind=a["kind"],
                    published=date.fromisoformat(a["published"]) if a["published"] else None)
            for a in spec["articles"]]


def test_the_samples_cover_three_languages_and_pages_without_articles() -> None:
    specs = {case: json.loads((SAMPLES / f"{case}.expected.json").read_text(encoding="utf-8")) for case in CASES}
    assert {case.rsplit("_", 1)[-1] for case in CASES} >= {"ru", "de", "en"}
    assert {a["kind"] for spec in specs.values() for a in spec["articles"]} == {"news", "blog", "article"}
    assert sum(not spec["articles"] for spec in specs.values()) >= 3
    assert any(len(spec["articles"]) > 1 for spec in specs.values())


@pytest.mark.parametrize("case", CASES)
def test_sample(case: str) -> None:
    spec = json.loads((SAMPLES / f"{case}.expected.json").read_text(encoding="utf-8"))
    body = (SAMPLES / f"{case}.html").read_bytes()
    assert extract_articles(body, spec["url"]) == _articles(spec)
    assert extract_articles(as_document(body, spec["url"]), spec["url"]) == _articles(spec)


@pytest.mark.parametrize(("markup", "expected"), [
    pytest.param('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Rates up", '
                 '"datePublished": "March 3, 2024"}</script>',
                 [Article(URL, "Rates up", date(2024, 3, 3), "news")], id="en-human-date-in-json-ld"),
    pytest.param('<script type="application/ld+json">{"@type": "TechArticle", "name": "Montage", "url": "/doku/m",'
                 ' "dateCreated": "3. März 2024"}</script>',
                 [Article("https://hostile.example/doku/m", "Montage", date(2024, 3, 3), "article")], id="de-tech"),
    pytest.param('<script type="application/ld+json">{"@graph": [{"@type": "Report", "headline": "Отчёт", '
                 '"datePublished": "3 марта 2024", "mainEntityOfPage": {"@id": "https://hostile.example/r"}}]}</script>',
                 [Article("https://hostile.example/r", "Отчёт", date(2024, 3, 3), "article")], id="ru-report-graph"),
    pytest.param('<script type="application/ld+json">{"@type": "Article", "headline": "x", "url": "javascript:0",'
                 ' "datePublished": "2999-01-01"}</script>',
                 [Article(URL, "x", None, "article")], id="bad-url-and-future-date"),
    pytest.param('<script type="application/ld+json">{"@type": "Article", "datePublished": "2024-03-03"}</script>',
                 [], id="no-title"),
    pytest.param('<meta property="og:type" content="article"><meta property="og:title" content="Pricing">',
                 [], id="og-article-without-date"),
    pytest.param('<body><article><h2>One</h2><time datetime="2024-03-03"></time></article>'
                 '<article><h2>Two</h2><time datetime="2024-03-04"></time></article></body>',
                 [], id="html-listing"),
    pytest.param('<body><article><h3>Only h3</h3><time datetime="2024-03-03"></time></article></body>', [],
                 id="html-without-h1-h2"),
    pytest.param('<body><article><h1>No date</h1><time>soon</time></article></body>', [], id="html-without-date"),
])
def test_rules(markup: str, expected: list[Article]) -> None:
    assert extract_articles(f"<html><head></head>{markup}</html>", URL) == expected


POST = ('<body><article><h1>{title}</h1><time datetime="2024-03-03">3. März 2024</time>'
        '<p>Wir suchen Verstärkung für unser Team in Mannheim.</p></article>{data}</body>')
JOB_JSON_LD = ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "JobPosting", '
               '"title": "Disponent (m/w/d)", "datePosted": "2024-03-03", "hiringOrganization": "Laufrad-Werk"}'
               '</script>')
JOB_MICRODATA = ('<div itemscope itemtype="https://schema.org/JobPosting"><meta itemprop="title" '
                 'content="Disponent (m/w/d)"><meta itemprop="datePosted" content="2024-03-03"></div>')
PRODUCT_JSON_LD = ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product", '
                   '"name": "Laufrad LR-200", "offers": {"@type": "Offer", "price": "489.00", '
                   '"priceCurrency": "EUR"}}</script>')
REVIEW_JSON_LD = ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Review", '
                  '"itemReviewed": {"@type": "Product", "name": "Laufrad LR-200", "offers": {"@type": "Offer", '
                  '"price": "489.00", "priceCurrency": "EUR"}}, "reviewRating": {"@type": "Rating", "ratingValue": 4}}'
                  '</script>')
PAYWALL_JSON_LD = ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "WebPage", '
                   '"isAccessibleForFree": false, "isPartOf": {"@type": ["CreativeWork", "Product"], '
                   '"name": "Kranrad Magazin", "productID": "kranrad.example:plus"}}</script>')
OG_ARTICLE = '<meta property="og:type" content="article"><meta property="article:published_time" content="2024-03-03">'


@pytest.mark.parametrize(("title", "data", "head", "expected"), [
    pytest.param("Disponent (m/w/d)", JOB_JSON_LD, "", [], id="job-posting-json-ld"),
    pytest.param("Disponent (m/w/d)", JOB_MICRODATA, "", [], id="job-posting-microdata"),
    pytest.param("Disponent (m/w/d)", JOB_JSON_LD, OG_ARTICLE, [], id="job-posting-tagged-og-article"),
    pytest.param("Laufrad LR-200", PRODUCT_JSON_LD, "", [], id="product-json-ld"),
    pytest.param("Laufrad LR-200", PRODUCT_JSON_LD, OG_ARTICLE, [], id="product-tagged-og-article"),
    pytest.param("Wir stellen ein: Disponent", "", "",
                 [Article(URL, "Wir stellen ein: Disponent", date(2024, 3, 3), "article")], id="post-same-markup"),
    pytest.param("Laufrad LR-200 im Test", REVIEW_JSON_LD, "",
                 [Article(URL, "Laufrad LR-200 im Test", date(2024, 3, 3), "article")], id="review-post-of-a-product"),
    pytest.param("Neue Laufräder", PAYWALL_JSON_LD, "",
                 [Article(URL, "Neue Laufräder", date(2024, 3, 3), "article")], id="paywalled-post-of-a-subscription"),
])
def test_markup_fallback_refuses_job_and_product_pages(title: str, data: str, head: str,
                                                       expected: list[Article]) -> None:
    """`<article>` with an h1 and a `<time>` is how themes lay out job postings and products too: the page's
    JobPosting or Product data says it is no post (a product the page only refers to does not)."""
    body = f"<html><head><title>{title}</title>{head}</head>{POST.format(title=title, data=data)}</html>"
    assert extract_articles(body, URL) == expected
    assert extract_articles(as_document(body, URL), URL) == expected


def test_schema_org_article_on_a_page_with_a_job_posting_is_still_read() -> None:
    article = ('<script type="application/ld+json">{"@type": "BlogPosting", "headline": "Wir wachsen", '
               '"datePublished": "2024-03-03"}</script>')
    body = f"<html><head></head>{POST.format(title='Wir wachsen', data=article + JOB_JSON_LD)}</html>"
    assert extract_articles(body, URL) == [Article(URL, "Wir wachsen", date(2024, 3, 3), "blog")]


@pytest.mark.parametrize("body", [
    pytest.param(None, id="none"), pytest.param(b"", id="empty"), pytest.param("  \n", id="whitespace"),
    pytest.param(bytes(range(256)) * 64, id="binary"), pytest.param(b"\x00" * 100, id="nul"),
    pytest.param('<script type="application/ld+json">{"@type": "Article", "headline": ', id="broken-json-ld"),
    pytest.param("<html><article><h1>Half<time datetime='2024-99-99'", id="broken-html"),
    pytest.param("<p>" + "Новости " * 700_000 + "</p>", id="5mb-line"),
])
def test_hostile_input_gives_no_articles(body) -> None:
    assert extract_articles(body, URL) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.none(), st.binary(max_size=2000), st.text(max_size=2000),
                 st.lists(st.sampled_from([
                     "<html>", "<body>", "<article>", "</article>", "<h1>", "</h1>", "<time datetime='", "'>", "</time>",
                     '<script type="application/ld+json">', "</script>", '{"@type": "BlogPosting", "headline": ',
                     '"x"', "[", "]", "{", "}", ",", '"url": "http://[::1"', '"datePublished": "3 марта 2024"',
                     '"itemListElement": [', '<meta property="og:type" content="article">', "\x00", "&#0;",
                     '<div itemscope itemtype="https://schema.org/NewsArticle">', '<span itemprop="headline">',
                     '<time itemprop="datePublished">', '<a itemprop="url" href="//[">', "</div>", "</span>",
                 ]), max_size=40).map("".join)))
def test_extract_articles_never_raises(body) -> None:
    articles = extract_articles(body, URL)
    assert isinstance(articles, list) and all(isinstance(a, Article) for a in articles)
    assert len({a.url for a in articles}) == len(articles)
