"""Articles a competitor publishes (blog posts, news, reports): schema.org data first, then OpenGraph, then the markup.

A page that is not an article (a product, a job posting, a home page, a plain listing without structured data)
gives []: the OpenGraph and markup fallbacks are not tried on a page whose structured data makes it a job posting or
a product page.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import html

from extractors import structured
from extractors.dates import parse_date
from extractors.document import Document, as_document
from extractors.jobs import has_job_postings
from extractors.page import canonical, language
from extractors.records import Article
from extractors.schema_products import presents_products

log = logging.getLogger(__name__)

# schema.org types that are articles, and the kind each one is; a node with several types takes the first kind
# of KIND_ORDER it has.
ARTICLE_KINDS = {
    "NewsArticle": "news", "ReportageNewsArticle": "news", "AnalysisNewsArticle": "news",
    "BackgroundNewsArticle": "news", "OpinionNewsArticle": "news", "ReviewNewsArticle": "news",
    "BlogPosting": "blog", "LiveBlogPosting": "blog",
    "Article": "article", "TechArticle": "article", "Report": "article", "ScholarlyArticle": "article",
}
KIND_ORDER = ("news", "blog", "article")
# A generic article in one of these sections (a URL path segment, article:section or articleSection) is news.
NEWS_SECTIONS = frozenset({
    "news", "press", "press-releases", "pressreleases", "newsroom",
    "novosti", "новости", "press-relizy", "пресс-релизы", "press-centr", "пресс-центр",
    "nachrichten", "neuigkeiten", "aktuelles", "presse", "pressemitteilungen", "pressemeldungen",
})
DATE_PROPERTIES = ("datePublished", "dateCreated", "uploadDate")
MAX_TITLE_CHARS = 500
MAX_ARTICLES = 500


def extract_articles(body: str | bytes | Document | None, url: str) -> list[Article]:
    """The page's articles, in page order, one per URL; never raises on bad input ([] instead)."""
    try:
        document = as_document(body, url)
        if document.tree is None:
            return []
        return _extract(document, url)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        log.debug("articles unreadable on %s: %r", url, exc)
        return []


def _extract(document: Document, url: str) -> list[Article]:
    tree = document.tree
    og = structured.opengraph(document)
    lang = language(tree, og)
    page_url = canonical(tree, url) or url
    found = list(_structured_articles(document, url, page_url, lang))
    if any(a.published is None for a in found):
        visible = _microdata_dates(tree, url, lang)
        found = [Article(a.url, a.title, visible.get(a.url), a.kind) if a.published is None else a for a in found]
    if found:
        og_date = _og_date(og, lang)
        # a page's own article without a date in its schema.org data often has one in its OpenGraph tags
        found = [Article(a.url, a.title, og_date, a.kind) if a.published is None and a.url == page_url and og_date
                 else a for a in found]
    else:
        guessed = [a for a in (_og_article(og, page_url, url, lang, tree), _html_article(tree, page_url, lang)) if a]
        found = guessed[:1] if guessed and not _not_an_article(document) else []
    unique: dict[str, Article] = {}
    for article in found:
        unique.setdefault(article.url, article)
    return list(unique.values())[:MAX_ARTICLES]


def _not_an_article(document: Document) -> bool:
    """A job posting or a product page: themes wrap those in `<article>` with an h1 and a date (posted, released)
    and CMSes tag every page `og:type=article`, so the fallbacks would take them for posts. What the job and product
    extractors recognise decides, so the three agree on what a page is; a schema.org Article node is still read."""
    return has_job_postings(document) or presents_products(document)


def _structured_articles(document: Document, url: str, page_url: str, lang: str | None) -> Iterator[Article]:
    for node in structured.nodes(document, set(ARTICLE_KINDS)):
        title = _title(node.get("headline") or node.get("name") or node.get("alternativeHeadline"))
        link = _link(url, node.get("url"), node.get("mainEntityOfPage"), _defragged(node.get("@id")), page_url)
        if not title or not link:
            continue
        raw = next((node[p] for p in DATE_PROPERTIES if structured.text(node.get(p))), None)
        kinds = {ARTICLE_KINDS[t] for t in structured.types(node) if t in ARTICLE_KINDS}
        kind = next(k for k in KIND_ORDER if k in kinds)
        if kind == "article" and _news_section(link, node.get("articleSection")):
            kind = "news"
        yield Article(url=link, title=title, published=_date(raw, lang), kind=kind)


def _microdata_dates(tree: html.HtmlElement, url: str, lang: str | None) -> dict[str, date]:
    """Article URL -> date from the markup, for `<time itemprop="datePublished">March 3, 2024</time>`.

    extruct reads a `<time>` without `datetime` as "" where HTML gives its text, so a theme that prints only the
    human date loses it; the article's own element still has it.
    """
    out: dict[str, date] = {}
    for item in tree.xpath("//*[@itemscope][@itemtype]"):
        if not {structured.short_type(t) for t in item.get("itemtype", "").split()} & set(ARTICLE_KINDS):
            continue
        links = item.xpath(".//*[@itemprop='url']/@href | .//*[@itemprop='mainEntityOfPage']/@href | @itemid")
        stamps = [s for s in item.xpath(".//*[@itemprop='datePublished']")
                  if _owner(s) is item]
        link = _link(url, *links) if links else None
        if link and stamps:
            stamp = stamps[0]
            published = _date(stamp.get("content"), lang) or _time(stamp, lang)
            if published:
                out.setdefault(link, published)
    return out


def _owner(element: html.HtmlElement) -> html.HtmlElement | None:
    """The microdata item a property belongs to: its nearest ancestor with `itemscope`."""
    return next((a for a in element.iterancestors() if a.get("itemscope") is not None), None)


def _og_article(og: dict[str, str], page_url: str, url: str, lang: str | None,
                tree: html.HtmlElement) -> Article | None:
    """OpenGraph `og:type=article` with a publication time (CMSes tag plain pages as articles, but undated)."""
    published = _og_date(og, lang)
    if og.get("og:type", "").strip().lower() != "article" or published is None:
        return None
    title_el = tree.find(".//title")
    title = _title(og.get("og:title")) or _title(title_el.text_content() if title_el is not None else None)
    link = _link(url, og.get("og:url")) or page_url
    if not title:
        return None
    kind = "news" if _news_section(link, og.get("article:section")) else "article"
    return Article(url=link, title=title, published=published, kind=kind)


def _og_date(og: dict[str, str], lang: str | None) -> date | None:
    return _date(og.get("article:published_time"), lang)


def _html_article(tree: html.HtmlElement, page_url: str, lang: str | None) -> Article | None:
    """One `<article>` with a heading and a readable `<time>`: a post page without structured data.

    Several such elements make a listing, which without structured data gives no reliable URLs: none is taken.
    """
    candidates: list[Article] = []
    for element in tree.iter("article"):
        heading = next((h for h in element.iter("h1", "h2") if _title(h.text_content())), None)
        if heading is None:
            continue
        published = next((d for d in (_time(t, lang) for t in element.iter("time")) if d), None)
        if published is None:
            continue
        kind = "news" if _news_section(page_url, None) else "article"
        candidates.append(Article(url=page_url, title=_title(heading.text_content()) or "", published=published,
                                  kind=kind))
        if len(candidates) > 1:
            return None
    return candidates[0] if candidates else None


def _time(element: html.HtmlElement, lang: str | None) -> date | None:
    return _date(element.get("datetime"), lang) or _date(element.text_content(), lang)


def _title(value: Any) -> str | None:
    text = structured.text(value)
    return text[:MAX_TITLE_CHARS] if text else None


def _date(value: Any, lang: str | None) -> date | None:
    """A publication date; one in the future (past tomorrow anywhere on earth) is a wrong year, not a plan."""
    text = structured.text(value)
    published = parse_date(text, lang) if text else None
    if published is None or published > datetime.now(timezone.utc).date() + timedelta(days=1):
        return None
    return published


def _defragged(value: Any) -> str | None:
    """A node's `@id` as a page address: Yoast's `https://x/post/#article` is the post `https://x/post/`."""
    text = structured.text(value)
    return urldefrag(text).url if text and not text.startswith("_:") else None


def _link(base: str, *candidates: Any) -> str | None:
    """The first candidate that makes an absolute http(s) URL."""
    for candidate in candidates:
        if isinstance(candidate, dict):
            candidate = candidate.get("url") or candidate.get("@id")
        text = structured.text(candidate)
        if not text:
            continue
        try:
            absolute = urljoin(base, text)
            parts = urlsplit(absolute)
        except ValueError:  # `http://[::1`: not an address, try the next candidate
            continue
        if parts.scheme in ("http", "https") and parts.netloc:
            return absolute
    return None


def _news_section(link: str, section: Any) -> bool:
    try:
        segments = {s.lower() for s in urlsplit(link).path.split("/") if s}
    except ValueError:
        segments = set()
    labels = {s.lower() for s in (section if isinstance(section, list) else [section]) if isinstance(s, str)}
    return bool((segments | {" ".join(label.split()) for label in labels}) & NEWS_SECTIONS)
