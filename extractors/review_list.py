"""A page's review list when neither structured data, the source's selectors nor a known platform row read it.

A review list is a run of sibling blocks of one kind (the same tag and class) that each show a rating widget, and
most of them a date and a text: the shape every review widget and shop template shares (WooCommerce's
`li.review`, Judge.me's `.jdgm-rev`, Shopware's `.product-detail-review-item`, a hand-made list). Inside a block,
the parts are told by the words their class, id or itemprop names (`author`, `date`, `body`...), as the
structured-data vocabularies name them; what no name tells is taken by its shape (a `<time>`, a date-like short
text, the longest paragraph). Product cards of a listing show stars too, but no date: they are not reviews.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from typing import Any

from lxml import etree, html

from extractors import ratings
from extractors.dates import parse_date
from extractors.phrases import AUTHOR_PREFIXES, RATING_LABEL_WORDS, RATING_NAME_WORDS, REVIEW_PART_WORDS
from extractors.records import Review
from extractors.repeats import repeated_ancestor

_TOKENS = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Lower-case without accents ("Étoiles" -> "etoiles", "yıldız" -> "yildiz", "звёзд" -> "звезд")."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ı", "i"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# What an unnamed text needs to be taken for a date: a numeric date (14.11.2026, 11/14/26, 2026-11-14) or a year
# beside a word (a month's name: "3 marca 2026", "March 3, 2026"). Prices ("3,80 €") and counts are not.
_DATE_LIKE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b"
                        r"|[^\W\d_]{3,}.{0,20}\b(?:19|20)\d\d\b|\b(?:19|20)\d\d\b.{0,20}[^\W\d_]{3,}")
# Name words (class, id, itemprop, data-hook tokens) of a review's parts; a rating's in every language of
# phrases.RATING_NAME_WORDS ("stars", "etoiles", "sterne", "gwiazdki"), its label's in RATING_LABEL_WORDS.
RATING_WORDS = frozenset(word for _lang, word in RATING_NAME_WORDS)
_LABEL_STEMS = tuple(sorted({_fold(w) for _lang, w in RATING_LABEL_WORDS if len(_fold(w)) >= 5}))
_LABEL_WORDS = frozenset(_fold(w) for _lang, w in RATING_LABEL_WORDS)
_LABEL_TOKENS = re.compile(r"[^\W\d_]+")
# The other parts' in English, and in the languages of phrases.REVIEW_PART_WORDS ("auteur", "titel", "tarih").
_PART_WORDS = {part: frozenset(_fold(word) for _lang, kind, word in REVIEW_PART_WORDS if kind == part)
               for part in ("author", "title", "text", "date")}
AUTHOR_WORDS = frozenset({"author", "reviewer", "nickname", "customer", "user", "username", "name", "byline"}) | \
    _PART_WORDS["author"]
DATE_WORDS = frozenset({"date", "time", "timestamp", "posted", "published", "created", "datepublished"}) | \
    _PART_WORDS["date"]
TEXT_WORDS = frozenset({"body", "text", "content", "comment", "description", "message", "reviewbody", "opinion",
                        "review"}) | _PART_WORDS["text"]
TITLE_WORDS = frozenset({"title", "headline", "heading", "summary", "subject"}) | _PART_WORDS["title"]
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "nav", "footer", "header", "svg", "form", "button",
                       "select", "option", "textarea"})
MIN_REVIEWS = 2
MIN_TEXT = 15
MAX_RATINGS = 600
MAX_REVIEWS = 5000
MAX_RUNS = 8
MAX_WIDGET_TEXT = 40
MAX_WIDGET_PARTS = 12
_NAMING = ("class", "id", "itemprop", "data-hook", "data-testid")
_PREFIXES = frozenset(prefix for _lang, prefix in AUTHOR_PREFIXES)


def _words(el: html.HtmlElement) -> set[str]:
    raw = " ".join(str(el.get(a) or "") for a in _NAMING)
    return set(_TOKENS.split(_fold(raw))) - {""} if raw.strip() else set()


def _text(el: html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _rating_elements(tree: html.HtmlElement) -> list[html.HtmlElement]:
    """Elements named as a rating (or labelled "4 out of 5 stars") that read as one, in document order."""
    found = []
    walker = etree.iterwalk(tree, events=("start",))
    for _event, el in walker:
        if not isinstance(el.tag, str):
            continue
        if el.tag in SKIP_TAGS:
            walker.skip_subtree()
            continue
        if rating_widget(el) is not None:
            found.append(el)
            walker.skip_subtree()  # its stars are one rating, not several
            if len(found) >= MAX_RATINGS:
                break
    return found


def rating_widget(el: html.HtmlElement) -> float | None:
    """The 1-5 rating `el` shows when it is a rating widget: named as one, labelled as one, or a row of star
    glyphs, in the languages of the phrase tables; else None."""
    if RATING_WORDS & _words(el) or _labelled_rating(el) or _drawn_rating(el):
        return ratings.from_element(el)
    return None


def _small(el: html.HtmlElement) -> bool:
    """A widget's size: a few glyphs or icons and a short text ("4,5", "★★★★☆", "4 out of 5"), not a block."""
    return len(el.text_content()) <= MAX_WIDGET_TEXT and sum(1 for _ in el.iterdescendants()) <= MAX_WIDGET_PARTS


def _labelled_rating(el: html.HtmlElement) -> bool:
    """An element whose label (aria-label, title) says it is a rating: a rating word and a digit ("4 von 5
    Sternen", "Оценка: 4"), or, on a widget-sized element, "N out of 5" in a language of phrases.RATING_OUT_OF
    ("4 sur 5", "4 z 5", "5 üzerinden 4"). A carousel's "1 / 5" labels a whole slide, not a small widget."""
    label = el.get("aria-label") or el.get("title") or ""
    if not label or not any(c.isdigit() for c in label):
        return False
    words = _LABEL_TOKENS.findall(_fold(label))
    if any(w in _LABEL_WORDS or w.startswith(_LABEL_STEMS) for w in words):
        return True
    found = ratings.out_of(label)
    return found is not None and found[1] in (5.0, 10.0) and _small(el)


def _drawn_rating(el: html.HtmlElement) -> bool:
    """A row of star glyphs ("★★★★☆"), the way a hand-made template draws a rating in any language."""
    return _small(el) and ratings.glyph_row(" ".join(el.text_content().split()))


def _signature(el: html.HtmlElement) -> tuple[str, str]:
    return el.tag, " ".join(sorted((el.get("class") or "").split()))


def _block_runs(tree: html.HtmlElement) -> list[list[tuple[html.HtmlElement, html.HtmlElement]]]:
    """Runs of same-kind sibling blocks that each hold a rating, as (block, its rating element), longest first."""
    groups: dict[tuple[Any, ...], dict[html.HtmlElement, html.HtmlElement]] = {}
    for rating in _rating_elements(tree):
        found = repeated_ancestor(rating, _signature)
        if found is not None:
            groups.setdefault(found[0], {}).setdefault(found[1], rating)
    runs = [list(blocks.items()) for blocks in groups.values() if len(blocks) >= MIN_REVIEWS]
    return sorted(runs, key=len, reverse=True)[:MAX_RUNS]


def _named(block: html.HtmlElement, words: frozenset[str], skip: set[html.HtmlElement]) -> list[html.HtmlElement]:
    return [el for el in block.iterdescendants() if isinstance(el.tag, str) and el.tag not in SKIP_TAGS
            and el not in skip and words & _words(el)]


def _inside(el: html.HtmlElement, others: set[html.HtmlElement]) -> bool:
    return any(o is el or o in el.iterancestors() for o in others)


def _date(block: html.HtmlElement, lang: str | None, now: datetime | None) -> tuple[Any, html.HtmlElement | None]:
    candidates = [el for el in block.iter("time")] + _named(block, DATE_WORDS, set())
    for el in candidates:
        for value in (el.get("datetime"), el.get("content"), el.get("data-content"), _text(el)):
            if value and len(value) <= 80:
                published = parse_date(value, lang, now)
                if published is not None:
                    return published, el
    for el in block.iterdescendants():  # an unnamed short text that is or holds a date ("Anna, 14.11.2026")
        if isinstance(el.tag, str) and el.tag not in SKIP_TAGS and len(el) <= 3:
            value = _text(el)
            if 6 <= len(value) <= 60 and _DATE_LIKE.search(value):
                published = parse_date(value, lang, now)
                if published is not None:
                    return published, el
    return None, None


def content_id(author: str | None, published: Any, body: str | None, title: str | None) -> str:
    """A stable id for a review without a platform id: the same review hashes the same on every run, whichever
    reader (structured data, a selector, a platform row, its shape) read it."""
    key = "\x1f".join([author or "", str(published or ""), body or title or ""])
    return "sha1:" + hashlib.sha1(key.encode("utf-8", "replace")).hexdigest()


def _prose(text: str) -> bool:
    """Words, not a row of prices or figures ("3,80 € - 4,09 €", "$259.990 -42%")."""
    letters = sum(1 for c in text if c.isalpha())
    return len(text.split()) >= 3 and letters * 2 >= len(text.replace(" ", ""))


def _priced(block: html.HtmlElement) -> bool:
    """A block that shows a price: a product card of a carousel or listing, not a review."""
    return any(isinstance(el.tag, str) and "price" in (el.get("class") or "").lower() for el in block.iter())


def _short(elements: list[html.HtmlElement], limit: int) -> html.HtmlElement | None:
    for el in elements:
        value = _text(el)
        if value and len(value) <= limit:
            return el
    return None


def _review(block: html.HtmlElement, rating_el: html.HtmlElement, lang: str | None,
            now: datetime | None) -> Review | None:
    rating = ratings.from_element(rating_el)
    published, date_el = _date(block, lang, now)
    used = {rating_el} | ({date_el} if date_el is not None else set())
    author_el = _short([el for el in _named(block, AUTHOR_WORDS, used) if not _inside(el, used)
                        and not (TITLE_WORDS & _words(el))], 80)
    if author_el is not None:
        used.add(author_el)
    title_el = _short([el for el in _named(block, TITLE_WORDS, used) if not _inside(el, used)]
                      + [el for el in block.iter("h2", "h3", "h4", "h5") if not _inside(el, used)], 200)
    if title_el is not None:
        used.add(title_el)
    texts = [el for el in _named(block, TEXT_WORDS, used) if not _inside(el, used)
             and not any(u in el.iterdescendants() for u in used) and len(_text(el)) >= MIN_TEXT]
    if not texts:  # no part named as the text: the longest block of the review that holds none of its other parts
        texts = [el for el in block.iter("p", "div", "span", "blockquote") if el is not block
                 and not _inside(el, used) and not any(u in el.iterdescendants() for u in used)]
    body = max((_text(el) for el in texts), key=len, default="")
    if len(body) < MIN_TEXT or not _prose(body):
        body = ""
    if rating is None or not (body or published):
        return None
    author = _without_prefix(_text(author_el)) if author_el is not None else None
    title = _text(title_el) if title_el is not None else None
    review_id = next((block.get(a) for a in ("data-review-id", "data-reviewid", "data-id", "id") if block.get(a)),
                     None)
    review_id = review_id or content_id(author, published, body or None, title)
    return Review(id=review_id, author=author, rating=rating, title=title, text=body or None, published=published)


def _without_prefix(author: str) -> str:
    """"Od Tereza K." -> "Tereza K.": the "by" a template writes before the name (AUTHOR_PREFIXES)."""
    first, _, rest = author.partition(" ")
    return rest.strip() if rest.strip() and first.lower().rstrip(":") in _PREFIXES else author


def generic_reviews(tree: html.HtmlElement | None, lang: str | None, now: datetime | None) -> list[Review]:
    """The reviews of the page's review list by its shape; [] when it has none (a listing's cards have no date)."""
    if tree is None:
        return []
    best: list[Review] = []
    for run in _block_runs(tree):  # the run that reads as most reviews (a rating histogram's rows read as none)
        if len(run) <= len(best):
            break
        if sum(1 for block, _rating in run if _priced(block)) * 2 > len(run):
            continue  # product cards with their stars
        reviews = [r for block, rating in run[:MAX_REVIEWS] if (r := _review(block, rating, lang, now)) is not None]
        dated = sum(1 for r in reviews if r.published is not None)
        if len(reviews) >= MIN_REVIEWS and dated * 2 >= len(reviews) and len(reviews) > len(best):
            best = reviews
    return best
