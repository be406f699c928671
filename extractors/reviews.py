"""Reviews and the aggregate rating of a page: schema.org Review/AggregateRating (JSON-LD, microdata, RDFa, nested
in Product/Organization/LocalBusiness too), then per-source selectors. Ratings on 1-5, one id per review."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from lxml import html

from extractors import platforms, ratings, review_list, selectors as sel, structured
from extractors.dates import parse_date
from extractors.document import Document, as_document
from extractors.records import Review, ReviewPage
from extractors.structured import first, text

log = logging.getLogger(__name__)

REVIEW_TYPES = {"Review", "UserReview", "CriticReview", "EmployerReview"}
AGGREGATE_TYPES = {"AggregateRating"}
ID_ATTRIBUTES = ("data-review-id", "data-reviewid", "data-id", "itemid", "id")
MAX_REVIEWS = 5000
MAX_TEXT = 20000


def extract_reviews(body: str | bytes | Document | None, url: str, selectors: dict | None = None,
                    now: datetime | None = None) -> ReviewPage:
    """The page's reviews (each once) and aggregate rating; never raises on bad input. `now` bounds dates."""
    try:
        document = as_document(body, url)
        if document.tree is None:
            return ReviewPage()
        return _extract(document, dict(selectors or {}), now)
    except Exception as exc:  # the contract: a hostile page gives an empty ReviewPage, the crawl goes on
        log.debug("reviews unreadable on %s: %r", url, exc)
        return ReviewPage()


def _lang(document: Document) -> str | None:
    tree = document.tree
    return (tree.get("lang") or tree.get("xml:lang")) if tree is not None else None


def _extract(document: Document, selectors: dict[str, Any], now: datetime | None) -> ReviewPage:
    lang = _lang(document)
    platform_ids = _platform_ids(document.tree)
    reviews: list[Review] = []
    for node in structured.nodes(document, REVIEW_TYPES):
        review = _review_from_node(node, lang, now, platform_ids)
        if review is not None:
            reviews.append(review)
    if not reviews and selectors.get("review"):
        reviews = _selected_reviews(document, selectors, lang, now)
    aggregate, count = _aggregate(document)
    aggregate = aggregate if aggregate is not None else _page_rating(document, selectors)
    matched_row = False
    # the review list of the page's platform or review widget (extractors/platforms): its stock template's markup
    for platform in platforms.detected(document) if not selectors.get("review") else ():
        if not platform.reviews:
            continue
        shown = _selected_reviews(document, platform.reviews, lang, now)
        matched_row = matched_row or bool(shown)
        if shown and (len(shown) > len(reviews) or not {r.text for r in reviews} & {r.text for r in shown}):
            # the list the page shows, when structured data holds fewer or others (WooCommerce's JSON-LD keeps its
            # five newest reviews on every page of the list)
            reviews = shown
        elif shown:
            reviews = _filled(reviews, shown)
        if aggregate is None:
            aggregate = _page_rating(document, platform.reviews)
        if count is None and platform.reviews.get("review_count"):
            root = sel.root_selector(document.tree)
            count = _count(sel.first_text(root, platform.reviews["review_count"])) if root is not None else None
    if not selectors.get("review") and not matched_row:  # no source, no known platform: the list by its shape
        shown = review_list.generic_reviews(document.tree, lang, now)
        # alone when nothing else read reviews; beside structured ones it only fills what they leave out
        reviews = _filled(reviews, shown) if reviews else shown
    unique: dict[str, Review] = {}
    for review in reviews[:MAX_REVIEWS]:
        unique.setdefault(review.id, review)
    return ReviewPage(aggregate_rating=aggregate, review_count=count, reviews=list(unique.values()))


def _filled(reviews: list[Review], shown: list[Review]) -> list[Review]:
    """Structured reviews with the empty fields the platform's template shows (stars drawn, not in the data),
    matched by their text."""
    by_text = {r.text: r for r in shown if r.text}
    out = []
    for review in reviews:
        match = by_text.get(review.text) if review.text else None
        if match is not None:
            review = replace(review, **{f: getattr(match, f) for f in ("author", "rating", "title", "published")
                                        if getattr(review, f) is None and getattr(match, f) is not None})
        out.append(review)
    return out


def _page_rating(document: Document, selectors: dict[str, Any]) -> float | None:
    """The aggregate rating a selected widget shows: its text, attributes or star width."""
    if not isinstance(selectors.get("aggregate_rating"), str):
        return None
    root = sel.root_selector(document.tree)
    return _selected_rating(root, selectors["aggregate_rating"], relative=False) if root is not None else None


def _clean(value: str | None, limit: int = MAX_TEXT) -> str | None:
    if not value:
        return None
    cleaned = " ".join(value.split())[:limit]
    return cleaned or None


def _platform_ids(tree: html.HtmlElement | None) -> dict[str, str]:
    """Review body text -> platform id, read from the review elements of microdata markup (data-review-id...)."""
    out: dict[str, str] = {}
    if tree is None:
        return out
    for el in tree.xpath("descendant-or-self::*[@itemscope][contains(@itemtype, 'Review')]")[:MAX_REVIEWS]:
        if str(el.get("itemtype", "")).rstrip("/").endswith("AggregateRating"):
            continue
        platform_id = next((el.get(a) for a in ID_ATTRIBUTES if el.get(a)), None)
        body = el.xpath(".//*[@itemprop='reviewBody' or @itemprop='description']")
        if platform_id and body:
            key = _clean(body[0].get("content") or body[0].text_content())
            if key:
                out.setdefault(key, platform_id)
    return out


def _rating(node: Any) -> float | None:
    if isinstance(node, dict):
        return ratings.to_five(first(node.get("ratingValue")) if not isinstance(first(node.get("ratingValue")), dict)
                               else None, text(node.get("bestRating")), text(node.get("worstRating")))
    return ratings.to_five(text(node)) if node is not None else None


def _review_from_node(node: dict[str, Any], lang: str | None, now: datetime | None,
                      platform_ids: dict[str, str]) -> Review | None:
    author = text(node.get("author"))
    body = _clean(text(node.get("reviewBody")) or text(node.get("description")) or text(node.get("text")))
    title = _clean(text(node.get("name")) or text(node.get("headline")), 500)
    rating = _rating(first(node.get("reviewRating")))
    published = parse_date(text(node.get("datePublished")) or text(node.get("dateCreated")), lang, now)
    if not (body or title or rating is not None):
        return None
    review_id = (platform_ids.get(body or "") or text(node.get("identifier")) or text(node.get("@id"))
                 or review_list.content_id(author, published, body, title))
    return Review(id=str(review_id), author=_clean(author, 300), rating=rating, title=title, text=body,
                  published=published)


def _aggregate(document: Document) -> tuple[float | None, int | None]:
    for node in structured.nodes(document, AGGREGATE_TYPES):
        value = _rating(node)
        count = _count(node.get("reviewCount")) or _count(node.get("ratingCount"))
        if value is not None or count is not None:
            return value, count
    return None, None


def _count(value: Any) -> int | None:
    raw = text(value)
    if not raw:
        return None
    digits = "".join(c for c in raw if c.isdigit())
    return int(digits) if digits and len(digits) < 10 else None


def _selected_reviews(document: Document, selectors: dict[str, Any], lang: str | None,
                      now: datetime | None) -> list[Review]:
    root = sel.root_selector(document.tree)
    if root is None:
        return []
    out = []
    for scope in list(sel.nodes(root, str(selectors["review"])))[:MAX_REVIEWS]:
        if isinstance(scope.root, str):
            continue

        def pick(key: str, scope: Any = scope) -> str | None:
            query = selectors.get(key)
            return sel.first_text(scope, query, relative=True) if isinstance(query, str) else None

        author, title, body = _clean(pick("author"), 300), _clean(pick("title"), 500), _clean(pick("text"))
        rating = _selected_rating(scope, selectors.get("rating"))
        published = _selected_date(scope, selectors.get("date"), lang, now)
        if not (body or title or rating is not None):
            continue
        platform_id = pick("id") or next((scope.root.get(a) for a in ID_ATTRIBUTES if scope.root.get(a)), None)
        out.append(Review(id=platform_id or review_list.content_id(author, published, body, title),
                          author=author, rating=rating, title=title, text=body, published=published))
    return out


def _selected_rating(scope: Any, query: Any, relative: bool = True) -> float | None:
    if not isinstance(query, str):
        return None
    for item in sel.nodes(scope, query, relative=relative):
        rating = ratings.to_five(item.root) if isinstance(item.root, str) else ratings.from_element(item.root)
        if rating is not None:
            return rating
    return None


def _selected_date(scope: Any, query: Any, lang: str | None, now: datetime | None) -> Any:
    if not isinstance(query, str):
        return None
    for item in sel.nodes(scope, query, relative=True):
        if isinstance(item.root, str):
            value = item.root
        else:  # an ISO attribute beats the visible text ("vor 2 Tagen" drifts, datetime="2024-03-12" does not)
            value = item.root.get("datetime") or item.root.get("content") or sel.value_of(item)
        published = parse_date(value, lang, now)
        if published is not None:
            return published
    return None
