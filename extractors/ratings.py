"""Rating values to the 1-5 scale: schema ratingValue/bestRating/worstRating, "8/10", "4,5 out of 5", "80%",
star widths (`style="width:80%"`), rating classes (`stars-45`) and counted star icons."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from lxml import html

from extractors.phrases import RATING_OUT_OF, STAR_GLYPHS

_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,2})?)(?![\d])")


def _connectors(order: str) -> str:
    words = sorted({re.escape(w) for _lang, w, o in RATING_OUT_OF if o == order}, key=len, reverse=True)
    return "|".join(words)


# "4,5 out of 5" in the languages of phrases.RATING_OUT_OF: the value first ("4 sur 5", "4 из 5"), or the scale
# first with at most one word between ("5 üzerinden 4", "5 yıldız üzerinden 4,5", "5つ星のうち4.5")
_OUT_OF = re.compile(r"(\d{1,3}(?:[.,]\d{1,2})?)\s*(?:" + _connectors("value-first")
                     + r")\s*(\d{1,3}(?:[.,]\d)?)(?!\d)", re.IGNORECASE)
_BEST_FIRST = re.compile(r"(?<![\d.,])(\d{1,3})\s*(?:\w+\s*)?(?:" + _connectors("best-first")
                         + r")\s*(\d{1,3}(?:[.,]\d{1,2})?)(?!\d)", re.IGNORECASE)
_GLYPHS = "".join(STAR_GLYPHS)
_GLYPH_ROW = re.compile(f"^[{_GLYPHS}\\s]+$")
_PERCENT = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s*%")
_WIDTH = re.compile(r"width\s*:\s*(\d{1,3}(?:\.\d+)?)\s*%")
_CLASS_RATING = re.compile(r"(?:star|rating|rate|score)s?[-_]?(?:v\d+-)?(\d{1,3})(?:[-_](\d))?(?!\d)", re.IGNORECASE)
# "star-rating--filled-4,5", "rating-value-4_5": a value after a filled/value word, decimal part by . , or _
_CLASS_VALUE = re.compile(r"(?:filled|value|rated|score)[-_]{1,2}(\d)(?:[.,_](\d))?(?![\d])", re.IGNORECASE)
_FILLED = re.compile(r"(?:^|[-_ ])(?:full|filled|fill|on|active|selected|checked|star-?full|fas)(?:$|[-_ ])")
_HALF = re.compile(r"half")
_EMPTY = re.compile(r"(?:^|[-_ ])(?:empty|off|o|outline|regular|far|inactive|0-filled|unfilled|blank)(?:$|[-_ ])")


def _num(text: str) -> float | None:
    try:
        return float(Decimal(text.replace(",", ".")))
    except (InvalidOperation, ValueError):
        return None


def to_five(value: object, best: object = None, worst: object = None) -> float | None:
    """A rating on its own scale (best/worst when given, else guessed: <=5, <=10, <=100) as 1-5, 2 decimals."""
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if number is None:
        if value is None:
            return None
        raw = str(value).strip()
        parsed = parse_rating_text(raw)
        if parsed is None:
            return None
        number, text_best = parsed
        best = best if best not in (None, "") else text_best
    top = number_or_none(best)
    bottom = number_or_none(worst) or 0.0
    if top is None or top <= bottom:
        top = 5.0 if number <= 5 else 10.0 if number <= 10 else 100.0 if number <= 100 else None
    if top is None or number < 0 or number > top:
        return None
    scaled = number / top * 5 if bottom <= 1 else 1 + (number - bottom) / (top - bottom) * 4
    if scaled <= 0:
        return None
    return round(min(5.0, max(1.0, scaled)), 2)


def number_or_none(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = _NUMBER.search(str(value))
    return _num(match.group(1)) if match else None


def parse_rating_text(text: str) -> tuple[float, float | None] | None:
    """(value, best or None) as written: "4,5" -> (4.5, None), "8/10" -> (8, 10), "80%" -> (80, 100)."""
    text = text.strip()[:200]
    if not text:
        return None
    found = out_of(text)
    if found is not None:
        return found
    match = _PERCENT.search(text)
    if match:
        value = _num(match.group(1))
        return (value, 100.0) if value is not None else None
    match = _NUMBER.search(text)
    if match:
        value = _num(match.group(1))
        return (value, None) if value is not None else None
    return None


def out_of(text: str) -> tuple[float, float] | None:
    """(value, scale) of a rating written "N out of M" in any language of phrases.RATING_OUT_OF, else None."""
    match = _OUT_OF.search(text)
    if match:
        value, best = _num(match.group(1)), _num(match.group(2))
        if value is not None and best and value <= best:
            return value, best
    match = _BEST_FIRST.search(text)
    if match:
        best, value = _num(match.group(1)), _num(match.group(2))
        if value is not None and best and value <= best:
            return value, best
    return None


def glyph_row(text: str) -> bool:
    """A text that is only a row of star glyphs ("★★★★☆", "⭐⭐⭐")."""
    return bool(text) and len(text) <= 40 and _GLYPH_ROW.match(text) is not None


def count_glyphs(text: str) -> float | None:
    """A row of star glyphs as 1-5: filled ones count 1, half ones 0.5, empty ones 0 ("★★★★☆" -> 4.0); a row of
    ten counts on a scale of 10."""
    text = "".join(text.split())
    if not glyph_row(text) or len(text) > 10:
        return None
    total = sum(STAR_GLYPHS[c] for c in text)
    return to_five(total, 10 if len(text) == 10 else 5) if total > 0 else None


def star_width(style: str | None) -> float | None:
    """`width: 80%` on a star bar -> 4.0."""
    match = _WIDTH.search(style or "")
    if not match:
        return None
    return to_five(_num(match.group(1)), 100)


def from_element(el: html.HtmlElement) -> float | None:
    """The 1-5 rating an element shows: content/data attributes, aria-label/title, width, class, icons, a read-only
    rating `<select>`'s selected option, text."""
    for attr in ("content", "data-rating", "data-score", "data-value", "data-rating-value", "data-grade", "value"):
        value = el.get(attr)
        if value:
            rating = to_five(value, el.get("data-best") or el.get("data-max") or el.get("max"))
            if rating is not None:
                return rating
    for attr in ("aria-label", "title", "alt"):
        value = el.get(attr)
        if value and any(c.isdigit() for c in value):
            rating = to_five(value)
            if rating is not None:
                return rating
    for node in [el, *el.iterdescendants()][:20]:
        if not isinstance(node.tag, str):
            continue
        rating = star_width(node.get("style"))
        if rating is not None:
            return rating
    rating = _from_class(el.get("class") or "") or _from_src(el)
    if rating is not None:
        return rating
    selected = el.xpath("descendant-or-self::select[1]//option[@selected][1]/@value")
    if selected:
        return to_five(str(selected[0]), max((o.get("value") for o in el.iter("option") if (o.get("value") or "")
                                              .isdigit()), key=int, default=None))
    text = " ".join(el.text_content().split())
    if text and any(c.isdigit() for c in text):
        return to_five(text)
    return count_stars(el) or count_glyphs(text)


def _from_class(classes: str) -> float | None:
    match = _CLASS_VALUE.search(classes)
    if match:
        number = float(match.group(1)) + (float(match.group(2)) / 10 if match.group(2) else 0.0)
        return to_five(number, 5)
    match = _CLASS_RATING.search(classes)
    if not match:
        return None
    whole, frac = match.group(1), match.group(2)
    number = float(whole)
    if frac is not None:
        number += float(frac) / 10
    elif number > 5 and number <= 50 and number % 5 == 0 and len(whole) == 2:
        number = number / 10  # "stars-45" means 4.5
    return to_five(number)


_SRC_RATING = re.compile(r"(\d(?:[._]\d)?)[^/\d]*\.(?:png|gif|svg|jpe?g|webp)(?:[?#]|$)", re.IGNORECASE)


def _from_src(el: html.HtmlElement) -> float | None:
    """A rating image whose file name carries the value (`icon-rating-large4.png`, `stars-4_5.gif`); the digit must
    be in the file name itself (`images5/stars.gif` says nothing)."""
    images = [el] if el.tag == "img" else [i for i in el.iter("img")][:2]
    for image in images:
        name = (image.get("src") or "").rsplit("/", 1)[-1]
        match = _SRC_RATING.search(name)
        if match:
            return to_five(match.group(1).replace("_", "."), 5)
    return None


def count_stars(el: html.HtmlElement) -> float | None:
    """A row of star icons: filled ones count 1, half ones 0.5, empty ones 0."""
    icons = [n for n in el.iterdescendants() if isinstance(n.tag, str) and "star" in (n.get("class") or "").lower()
             and len(n) == 0]
    if not icons or len(icons) > 10:
        return None
    total = 0.0
    for icon in icons:
        classes = (icon.get("class") or "").lower()
        if _HALF.search(classes):
            total += 0.5
        elif _EMPTY.search(classes):
            continue
        elif _FILLED.search(classes) or not any(_EMPTY.search((i.get("class") or "").lower()) for i in icons):
            total += 1
        else:
            total += 1 if "star" in classes.split() or classes.endswith("star") else 0
    return round(total, 2) if 0 < total <= 5 else None  # more: two layers of icons (the empty row under the full)
