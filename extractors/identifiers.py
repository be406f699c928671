"""A product's identifiers where shops put them besides structured data: labelled rows and the page's URL.

- Labelled rows: "Artikelnummer: 4711", `<dt>Артикул</dt><dd>ZP-800</dd>`, `<li><strong>SKU:</strong> A-1</li>`,
  one label of extractors/phrases.py IDENTIFIER_LABELS at the start of a text node, its value right after it (in
  the same text or the next element). The first such row after the page's h1 is the main product's.
- The URL: product URLs end in the item's id at the shop (eBay `/itm/<id>`, Amazon `/dp/<ASIN>`, Allegro
  `/oferta/<name>-<id>`, Ozon `/product/<name>-<id>/`, AliExpress `/item/<id>.html`, OLX `-ID<id>.html`, and most
  shop engines' `<name>-<id>.html`), or carry it in an id parameter (`?pid=`, `?product_id=`).
- GTINs (EAN/UPC/ISBN) are accepted only with a valid GS1 check digit.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

from extractors.phrases import IDENTIFIER_LABELS

MAX_ID = 40
_VALUE = r"([A-Za-z0-9][A-Za-z0-9\-_./]{0,38}[A-Za-z0-9]|[A-Za-z0-9])"
_KIND: dict[str, str] = {}
for _lang, _phrase, _kind in IDENTIFIER_LABELS:
    _KIND.setdefault(_phrase, _kind)
_LABELS = sorted(_KIND, key=len, reverse=True)
# After a label: an optional "no."/"#" and colon, then the value: in the same text, or after at most six tags
# (`</dt><dd>`, `</strong>`, `</span> <span class="value">`).
_AFTER_LABEL = re.compile(r"(?![\w-])\s*(?:no\.?|nr\.?|#)?\s*[:：#]?\s*(?:&nbsp;\s*)?"
                          r"(?:<(?!/?(?:script|style|a\b)[^>]*>)/?[a-zA-Z][^<>]{0,200}>\s*(?:&nbsp;\s*)?(?:[:：]\s*)?){0,6}"
                          + _VALUE + r"(?=[\s<,;)]|$)", re.IGNORECASE)
_H1 = re.compile(r"<h1[\s>]", re.IGNORECASE)
# Lower case without changing the text's length (str.lower turns some letters into two), so that a position in the
# lowered text is the same position in the page: Latin, Greek and Cyrillic capitals.
_LOWER = {c: ord(chr(c).lower()) for c in range(0x41, 0x530)
          if len(chr(c).lower()) == 1 and chr(c).lower() != chr(c)}
MAX_ROWS = 200
_TEXT_START = re.compile(r">\s*(?=[^\s<])")
_BY_FIRST: dict[str, tuple[str, ...]] = {}
for _label in _LABELS:  # longest first, so that "артикул производителя" wins over "артикул"
    _BY_FIRST[_label[0]] = (*_BY_FIRST.get(_label[0], ()), _label)
# URL id tokens: a run of digits (5+), or an upper-case code of letters and digits (ASIN `B07FW264WL`).
_DIGITS = re.compile(r"^\d{5,20}$")
_CODE = re.compile(r"^(?=(?:[A-Z]*\d){2})(?=(?:\d*[A-Z]){2})[A-Z0-9]{8,20}$")
_SPLIT = re.compile(r"[-_.,~+ ]+")
_EXTENSION = re.compile(r"\.(?:html?|php|aspx?|jsp|htm)$", re.IGNORECASE)
ID_PARAMETERS = frozenset({"pid", "id", "product_id", "productid", "products_id", "item_id", "itemid", "sku",
                           "item", "artikel", "art", "product", "goods_id", "offer_id"})


def labelled(html_text: str) -> dict[str, str]:
    """{"sku"|"gtin"|"mpn": value} of the first labelled rows of each kind, after the h1 when there is one.

    A label counts at the start of a text node (right after a tag): "Промокод" holds "код" but is no row."""
    heading = _H1.search(html_text)
    start = heading.start() if heading else 0
    lowered = html_text.lower()
    if len(lowered) != len(html_text):  # a letter that lowers to two ("İ"): keep positions aligned
        lowered = html_text.translate(_LOWER)
    rows: list[tuple[int, str, str]] = []
    for text_start in _TEXT_START.finditer(lowered):
        at = text_start.end()
        for label in _BY_FIRST.get(lowered[at], ()):
            if lowered.startswith(label, at):
                match = _AFTER_LABEL.match(html_text, at + len(label))
                kind = _KIND[label]
                if match and _plausible(match.group(1).strip(".-/"), kind) and not _in_code(lowered, at):
                    rows.append((at, kind, match.group(1).strip(".-/")))
                break
        if len(rows) >= MAX_ROWS:
            break
    rows.sort()
    out: dict[str, str] = {}
    for after_heading in ((True, False) if start else (False,)):
        for at, kind, value in rows:
            if kind not in out and (at >= start or not after_heading):
                out[kind] = value
        if out:
            break
    return out


def _in_code(html_text: str, at: int) -> bool:
    """The match sits inside a script or style (a label word in a template string is no row)."""
    before = html_text.rfind("<script", max(0, at - 20000), at)
    return before != -1 and html_text.find("</script", before, at) == -1


def _plausible(value: str, kind: str) -> bool:
    if not value or len(value) > MAX_ID or not any(c.isdigit() for c in value):
        return False
    if kind == "gtin":
        return is_gtin(value)
    return True


def is_gtin(value: str) -> bool:
    """A GTIN-8/12/13/14 (EAN, UPC; ISBN-13 is an EAN) whose GS1 check digit is right."""
    digits = value.replace(" ", "").replace("-", "")
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def url_item_id(url: str | None) -> str | None:
    """The item id a product URL carries: an id parameter's value, else the last id token of its path."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    for name, value in parse_qsl(parts.query):
        if name.lower() in ID_PARAMETERS and (_DIGITS.match(value) or _CODE.match(value)):
            return value
    segments = [unquote(s) for s in parts.path.split("/") if s]
    for i, segment in enumerate(reversed(segments)):
        tokens = _SPLIT.split(_EXTENSION.sub("", segment))
        if i == 0:  # the last segment: its last id token (`name-of-product-12345.html`, `/dp/B07FW264WL`)
            for token in reversed(tokens):
                if _DIGITS.match(token) or _CODE.match(token):
                    return token
        elif len(tokens) == 1 and (_DIGITS.match(tokens[0]) or _CODE.match(tokens[0])):
            return tokens[0]  # an id segment before a name slug: `/itm/114532738197/`, `/products_id/66868/slug`
        if i >= 2:
            break
    return None


def clean(value: str | None) -> str | None:
    """An identifier as one token: "TE502955-1293415 Housse de canapé" -> "TE502955-1293415"; a value of several
    words whose first has no digit ("OPTIPLEX 9010 TOWER", a model name) is no identifier."""
    if value is None:
        return None
    words = value.split()
    if len(words) <= 1:
        return words[0] if words and len(words[0]) <= MAX_ID else None
    first = words[0].strip(",;:")
    return first if len(first) >= 4 and any(c.isdigit() for c in first) and len(first) <= MAX_ID else None
