"""A fetched page parsed once: decoded text, the lxml tree and the structured data, shared by every extractor."""
from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

import extruct
import lxml.etree
import lxml.html
from extruct.jsonld import JsonLdExtractor

from extractors.encoding import decode_html

log = logging.getLogger(__name__)

# Pages beyond this size are cut before parsing: a crawl's DOWNLOAD_MAXSIZE is the real limit,
# this keeps a direct caller of the API from feeding lxml hundreds of megabytes.
MAX_BODY_BYTES = 8 * 1024 * 1024
STRUCTURED_SYNTAXES = ["json-ld", "microdata", "rdfa", "opengraph"]
JSON_LD_SCRIPTS = lxml.etree.XPath('descendant-or-self::script[@type="application/ld+json"]')
# Whether a syntax is on the page at all: the parser lower-cases attribute names, and `[1]` stops at the first hit
# (a case-insensitive regex over the text costs ten times more; `boolean(//*[@x])` builds the whole node set,
# seconds on a 5 MB listing).
_FIRST_RDFA = lxml.etree.XPath("count(descendant-or-self::*[@typeof][1])")
_FIRST_MICRODATA = lxml.etree.XPath("count(descendant-or-self::*[@itemscope][1])")
# The text nodes a reader sees: the body's, outside scripts, styles, noscript fallbacks and templates.
VISIBLE_TEXT_NODES = lxml.etree.XPath("//body//text()[not(ancestor::script) and not(ancestor::style) and "
                                      "not(ancestor::noscript) and not(ancestor::template)]")


def has_rdfa(tree: lxml.html.HtmlElement) -> bool:
    return bool(_FIRST_RDFA(tree))


def has_microdata(tree: lxml.html.HtmlElement) -> bool:
    return bool(_FIRST_MICRODATA(tree))


class Document:
    """One page: `text` (decoded), `tree` (lxml, or None when the body is not HTML), `structured` (extruct) and
    `visible_text`; the last three are computed on first use and kept, so extractors sharing a page share the work."""

    def __init__(self, text: str, url: str, headers: dict[str, str] | None = None, body: bytes | None = None):
        self.text = text
        self.url = url
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.body = body  # the bytes as fetched, for readers that decode by their format's rules (feeds)

    @classmethod
    def from_body(cls, body: str | bytes | None, url: str, headers: dict[str, str] | None = None) -> Document:
        if body is None:
            return cls("", url, headers)
        if isinstance(body, str):
            return cls(body[:MAX_BODY_BYTES], url, headers)
        content_type = {k.lower(): v for k, v in (headers or {}).items()}.get("content-type")
        return cls(decode_html(bytes(body[:MAX_BODY_BYTES]), content_type), url, headers, bytes(body[:MAX_BODY_BYTES]))

    @cached_property
    def tree(self) -> lxml.html.HtmlElement | None:
        text = self.text.replace("\x00", "")
        if not text.strip():
            return None
        try:
            return lxml.html.document_fromstring(text, base_url=self.url)
        except (lxml.etree.ParserError, ValueError) as exc:  # empty after cleaning, or unparseable
            log.debug("not HTML: %s: %s", self.url, exc)
            return None

    @cached_property
    def structured(self) -> dict[str, list[dict[str, Any]]]:
        """The page's json-ld, microdata, rdfa and opengraph: from the shared tree (parsed once), RDFa from the text.

        A syntax the page's tree shows no sign of (no `itemscope`, no `typeof`) is not looked for: walking a
        large tree for nothing is most of the cost of a page without it.
        """
        empty: dict[str, list[dict[str, Any]]] = {s: [] for s in STRUCTURED_SYNTAXES}
        if self.tree is None:
            return empty
        tree_syntaxes = ["opengraph"] + (["microdata"] if has_microdata(self.tree) else [])
        try:
            data = extruct.extract(self.tree, base_url=self.url, syntaxes=tree_syntaxes, errors="ignore")
        except Exception as exc:  # extruct raises many types on hostile markup; the page then has no structured data
            log.debug("structured data unreadable on %s: %r", self.url, exc)
            data = {}
        # JSON-LD is read script by script: one broken block must not hide the page's other blocks.
        data["json-ld"] = self._json_ld()
        if has_rdfa(self.tree):
            # pyRdfa cannot read an lxml.html tree (extruct re-parses the text for it); it is the slowest syntax
            # and the rarest, so it runs only on pages that have RDFa attributes at all.
            try:
                data.update(extruct.extract(self.text, base_url=self.url, syntaxes=["rdfa"], errors="ignore"))
            except Exception as exc:  # pyRdfa, as above: a page with broken RDFa still has its other syntaxes
                log.debug("RDFa unreadable on %s: %r", self.url, exc)
        return {s: data.get(s) or [] for s in STRUCTURED_SYNTAXES}

    @cached_property
    def visible_text(self) -> str:
        """The body's visible words, single-spaced ("" when the page is not HTML). Page facts, contact channels and
        the challenge check all read it: walking every text node of a large page is worth doing once."""
        if self.tree is None:
            return ""
        return " ".join(" ".join(VISIBLE_TEXT_NODES(self.tree)).split())

    def _json_ld(self) -> list[Any]:
        return _json_ld_blocks(self)


def _json_ld_blocks(document: Document) -> list[Any]:
    items: list[Any] = []
    extractor = JsonLdExtractor()
    for node in JSON_LD_SCRIPTS(document.tree):
        try:
            items.extend(item for item in extractor._extract_items(node) if item)
        except (ValueError, TypeError, RecursionError, IndexError) as exc:  # a broken block: skip it, keep the rest
            log.debug("JSON-LD block unreadable on %s: %r", document.url, exc)
    return items


def as_document(body: str | bytes | Document | None, url: str, headers: dict[str, str] | None = None) -> Document:
    """Accept what the public API accepts (a body or an already parsed Document) and return a Document."""
    if isinstance(body, Document):
        return body
    return Document.from_body(body, url, headers)
