"""Per-source selectors: a CSS selector or an XPath (starting with `/`, `(` or `./`) evaluated with parsel.

parsel's `::text` and `::attr(name)` work; an element result gives its whitespace-normalised text.
A broken selector (a config mistake) selects nothing and is logged, it never breaks the page.
"""
from __future__ import annotations

import logging

import parsel
from cssselect import SelectorError
from lxml.etree import XPathError

log = logging.getLogger(__name__)

SelectorErrors = (ValueError, SelectorError, XPathError, TypeError)


def is_xpath(query: str) -> bool:
    return query.lstrip().startswith(("/", "(", "./"))


_EMPTY_PAGE = "<html><body></body></html>"


def option_among_selectors(key: str, value: object) -> str | None:
    """Why a source's option was written among its selectors (None when `key: value` is a selector): the options
    are fields of their own (`currency`, `decimal_separator` beside `selectors:`), validated as what they are."""
    if key == "decimal_separator":
        return (f"{value!r} is the source's decimal separator, not a selector: write `decimal_separator: "
                f"{value!r}` beside `selectors:`")
    from extractors.prices import iso_currency

    if key == "currency" and isinstance(value, str) and iso_currency(value):
        return (f"{value!r} is a currency, not a selector of the page's currency: write `currency: {value}` beside "
                "`selectors:` (the currency assumed when a price shows none)")
    return None


def selector_error(query: object) -> str | None:
    """Why a configured selector cannot select anything on any page (None when it can): it is tried on an empty
    page as the crawl will use it, so that a mistake is found when the config is read, not silently every night."""
    if not isinstance(query, str) or not query.strip():
        return "an empty selector"
    query = query.strip()
    kind = "XPath" if is_xpath(query) else "CSS selector"
    try:
        probe = parsel.Selector(text=_EMPTY_PAGE, type="html")
        probe.xpath(query) if is_xpath(query) else probe.css(query)
    except SelectorErrors as exc:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        return f"{query[:80]!r} is not a valid {kind} ({reason})"
    return None


def root_selector(tree: object) -> parsel.Selector | None:
    if tree is None:
        return None
    try:
        return parsel.Selector(root=tree, type="html")
    except SelectorErrors as exc:
        log.debug("tree unusable by parsel: %r", exc)
        return None


def nodes(scope: parsel.Selector, query: str, relative: bool = False) -> parsel.SelectorList:
    """Elements (or strings) `query` selects in `scope`; an absolute XPath is made relative to a container."""
    query = query.strip()
    if not query:
        return parsel.SelectorList([])
    try:
        if is_xpath(query):
            if relative and query.startswith("/"):
                query = "." + query
            return scope.xpath(query)
        return scope.css(query)
    except SelectorErrors as exc:
        log.debug("selector %r unusable: %r", query, exc)
        return parsel.SelectorList([])


def value_of(item: parsel.Selector) -> str | None:
    """One selected thing as clean text: a string result as is, an element as its text (or `content`/`value`)."""
    root = item.root
    if isinstance(root, str):
        text = root
    else:
        try:
            text = item.xpath("normalize-space(string())").get() or ""
            if not text:
                text = item.attrib.get("content") or item.attrib.get("value") or ""
        except SelectorErrors as exc:
            log.debug("selected node unreadable: %r", exc)
            return None
    text = " ".join(str(text).split())
    return text or None


def texts(scope: parsel.Selector, query: str | None, relative: bool = False) -> list[str]:
    if not query:
        return []
    out = []
    for item in nodes(scope, query, relative):
        value = value_of(item)
        if value:
            out.append(value)
    return out


def first_text(scope: parsel.Selector, query: str | None, relative: bool = False) -> str | None:
    found = texts(scope, query, relative)
    return found[0] if found else None
