"""What a crawl has seen and spent per source.

The spider asks its frontier before it requests a page (`claim`), so a page is fetched once per source and run and
a source never exceeds `max_pages`. A source is always crawled whole by one process (a distributed run hands
whole hosts to its workers: crawler/worker.py), so the frontier lives in that process.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import Enum

BODY_KEY = "body:"  # a listing page's key when it holds no items we read: its content hash


class Claim(Enum):
    NEW = "new"  # fetch it: marked seen and charged to the source's budget
    SEEN = "seen"  # this source has it already (or has it queued)
    OVER_BUDGET = "over_budget"  # the source's max_pages is spent


class Frontier:
    """What the crawl process has seen and spent, per source."""

    def __init__(self) -> None:
        self._seen: dict[int, set[str]] = {}
        self._budget: Counter[int] = Counter()
        self._items: dict[int, set[str]] = {}
        self._verdicts: dict[int, dict[str, bool]] = {}
        self._readers: dict[int, dict[str, str]] = {}
        self._not_found: dict[int, str] = {}

    def claim(self, source_id: int, key: str, max_pages: int) -> Claim:
        seen = self._seen.setdefault(source_id, set())
        if key in seen:
            return Claim.SEEN
        if self._budget[source_id] >= max_pages:
            return Claim.OVER_BUDGET
        seen.add(key)
        self._budget[source_id] += 1
        return Claim.NEW

    def mark_seen(self, source_id: int, key: str) -> None:
        self._seen.setdefault(source_id, set()).add(key)

    def is_seen(self, source_id: int, key: str) -> bool:
        return key in self._seen.get(source_id, ())

    def mark_read(self, source_id: int, key: str, by: str) -> None:
        """`key`, the final URL of a redirect from `by`, is a page of the source read now."""
        self._seen.setdefault(source_id, set()).add(key)
        self._readers.setdefault(source_id, {}).setdefault(key, by)

    def read_elsewhere(self, source_id: int, key: str, by: str) -> bool:
        """The source has `key` already, asked for (or redirected to) from another URL than `by`."""
        return key in self._seen.get(source_id, ()) and self._readers.get(source_id, {}).get(key) != by

    def brings_new_items(self, source_id: int, page: str, keys: Iterable[str]) -> bool:
        """Listing page `page` shows keys not seen on this source's listing pages before (all are remembered
        now); a page asked again gets the verdict of its first reading."""
        verdicts = self._verdicts.setdefault(source_id, {})
        if page not in verdicts:
            keys = set(keys)
            seen = self._items.setdefault(source_id, set())
            verdicts[page] = bool(keys - seen)
            seen |= keys
        return verdicts[page]

    def had_items(self, source_id: int) -> bool:
        """This source's listing pages have shown items we read (not only page bodies)."""
        return any(not key.startswith(BODY_KEY) for key in self._items.get(source_id, ()))

    def not_found_page(self, source_id: int) -> str | None:
        """The fingerprint of the source's answer to a URL that cannot exist (crawler/soft404.py); "" when the
        check is off for the source, None when its probe has not answered with a page."""
        return self._not_found.get(source_id)

    def set_not_found_page(self, source_id: int, fingerprint: str) -> None:
        self._not_found[source_id] = fingerprint
