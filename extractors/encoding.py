"""Decoding a page's bytes when its declared charset lies: a UTF-8 body declared windows-1251 (or any other
single-byte charset), or a windows-1251 body declared UTF-8. Browsers show such pages as mojibake; the people
who built them saw them right, through an editor or a CMS that ignored the declaration, so we read what they
wrote rather than what the header says.
"""
from __future__ import annotations

import codecs
import logging

from charset_normalizer import from_bytes
from w3lib.encoding import html_to_unicode, read_bom

log = logging.getLogger(__name__)

_ASCII = bytes(range(128))
GUESS_BYTES = 64 * 1024  # enough text to tell one charset from another, cheap enough for every misdeclared page
MOSTLY_BROKEN = 0.25  # replacement characters per non-ASCII byte above which "UTF-8" is taken for a lie


def decode_html(body: bytes, content_type: str | None = None, decoded: tuple[str, str] | None = None) -> str:
    """The text of a page: as declared (Content-Type, BOM, <meta charset>: w3lib's order, as Scrapy's), unless
    the declaration is plainly wrong. `decoded`: (encoding, text) already decoded that way, to spare the work."""
    encoding, text = decoded if decoded is not None else html_to_unicode(content_type, body)
    if body.isascii() or read_bom(body)[0] is not None:
        return text
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = encoding
    if name != "utf-8":
        try:
            return body.decode("utf-8")  # valid multi-byte UTF-8 in a single-byte text is all but impossible
        except UnicodeDecodeError:
            return text
    broken = text.count("\ufffd")
    high = len(body) - len(body.translate(None, _ASCII))
    if not broken or broken < high * MOSTLY_BROKEN:
        return text  # UTF-8 with a few bad bytes: the page is UTF-8, the bad bytes replaced
    match = from_bytes(body[:GUESS_BYTES]).best()
    if match is None or codecs.lookup(match.encoding).name == "utf-8":
        return text
    log.debug("declared UTF-8 but reads as %s", match.encoding)
    return body.decode(match.encoding, "replace")
