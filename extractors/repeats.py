"""Repeated blocks: the sibling elements of one kind a template renders for each item of a list (a product card,
a review). Shared by the listing and review-list readers that find a list by its shape."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import html

MAX_LEVELS = 8


def repeated_ancestor(el: html.HtmlElement, signature: Callable[[html.HtmlElement], tuple[str, str]],
                      accept: Callable[[html.HtmlElement], bool] = lambda node: True,
                      min_siblings: int = 2) -> tuple[tuple[Any, ...], html.HtmlElement] | None:
    """The lowest block around `el` (itself included, up to MAX_LEVELS up) that `accept`s and has at least
    `min_siblings` siblings of its signature (itself counted), with its run's key (parent, *signature)."""
    node = el
    for _level in range(MAX_LEVELS):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            return None
        kind = signature(node)
        if accept(node) and sum(1 for s in parent if isinstance(s.tag, str) and signature(s) == kind) >= min_siblings:
            return (parent, *kind), node
        node = parent
    return None
