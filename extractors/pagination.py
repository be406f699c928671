"""The "next page" of a listing or review list, with no configuration.

In order: a source's own `paginate` selector; `<link rel="next">` and `<a rel="next">` (HTML's `next` link type,
which WordPress, Shopify, Magento and most SEO plugins emit); the page platform's stock pagination link
(extractors/platforms); a link inside a pagination block whose class names `next` or whose words are a "next page"
phrase of extractors/phrases.py ("Next ›", "Weiter", "Далее", "Następna").
"""
from __future__ import annotations

import logging
import re

from lxml import etree

from dossier.urls import web_link
from extractors import platforms
from extractors import selectors as sel
from extractors.document import Document, as_document
from extractors.phrases import NEXT_PAGE_PHRASES

log = logging.getLogger(__name__)

_REL_NEXT = etree.XPath("//link[@href and contains(concat(' ', normalize-space(translate(@rel, 'NEXT', 'next')), ' '),"
                        " ' next ')] | //a[@href and contains(concat(' ', normalize-space(translate(@rel, 'NEXT',"
                        " 'next')), ' '), ' next ')]")
_LINKS = etree.XPath("//a[@href]")
_TOKENS = re.compile(r"[^a-z0-9]+")
_ARROWS = re.compile(r"[\s›»→>▶⟩❯.…]+")
NEXT_WORDS = frozenset(phrase for _lang, phrase in NEXT_PAGE_PHRASES)
# Class tokens of a "next" link or its list item (`next`, `page-numbers next`, `pagination__next`, `pages-item-next`).
NEXT_TOKENS = frozenset({"next", "pagenext", "nextpage", "paginationnext", "nextlink"})
PAGINATION_HINTS = ("pagina", "pager", "pages", "page-numbers", "paging", "seiten", "navigation")
MAX_LINKS = 3000


def next_page(body: str | bytes | Document | None, url: str, paginate: str | None = None) -> str | None:
    """The absolute URL of the next page, or None (the last page, or no pagination); never raises."""
    try:
        document = as_document(body, url)
        if document.tree is None:
            return None
        return _next(document, url, paginate)
    except Exception as exc:  # the contract: a hostile page gives no next page, the crawl goes on
        log.debug("pagination unreadable on %s: %r", url, exc)
        return None


def _usable(href: str | None, url: str) -> str | None:
    if not href or href.strip().startswith(("#", "javascript:")):
        return None
    link = web_link(href.strip(), url)
    if link is None or link.split("#")[0] == url.split("#")[0]:
        return None
    return link


def _next(document: Document, url: str, paginate: str | None) -> str | None:
    tree = document.tree
    if paginate:
        root = sel.root_selector(tree)
        for href in _hrefs(root, paginate) if root is not None else ():
            link = _usable(href, url)
            if link:
                return link
        return None
    for el in _REL_NEXT(tree):
        link = _usable(el.get("href"), url)
        if link:
            return link
    for platform in platforms.detected(document):
        if platform.next_page:
            root = sel.root_selector(tree)
            for href in _hrefs(root, platform.next_page) if root is not None else ():
                link = _usable(href, url)
                if link:
                    return link
    for el in _LINKS(tree)[:MAX_LINKS]:
        if _says_next(el) and _in_pagination(el):
            link = _usable(el.get("href"), url)
            if link:
                return link
    return None


def _hrefs(root: object, query: str) -> list[str]:
    found = sel.nodes(root, query)
    hrefs = found.xpath("@href").getall() if not sel.is_xpath(query) else (
        found.xpath("@href").getall() or [h for h in found.getall() if isinstance(h, str)])
    return [h for h in hrefs if h]


def _class_tokens(el: etree._Element) -> set[str]:
    classes = (el.get("class") or "").lower()
    return set(_TOKENS.split(classes)) | {c.replace("-", "").replace("_", "") for c in classes.split()}


def _says_next(el: etree._Element) -> bool:
    """The link's class, or its parent's, names `next`; or its words (text, aria-label, title) are a next phrase."""
    if NEXT_TOKENS & _class_tokens(el):
        return True
    parent = el.getparent()
    if parent is not None and parent.tag == "li" and NEXT_TOKENS & _class_tokens(parent):
        return True
    for words in (el.get("aria-label"), el.get("title"), el.text_content()):
        if words and len(words) < 40 and _ARROWS.sub(" ", words).strip().lower() in NEXT_WORDS:
            return True
    return False


def _in_pagination(el: etree._Element) -> bool:
    """A pagination block around the link: a `nav`, or a container whose class names pages or a pager."""
    node = el.getparent()
    for _ in range(5):
        if node is None:
            return False
        if node.tag == "nav":
            return True
        attrs = f"{node.get('class') or ''} {node.get('id') or ''} {node.get('aria-label') or ''}".lower()
        if any(hint in attrs for hint in PAGINATION_HINTS):
            return True
        node = node.getparent()
    return False
