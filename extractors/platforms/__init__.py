"""Shop platforms and review widgets by their stock markup: one module per platform, each a `PLATFORM` row.

A platform is recognised by markers its pages carry (asset paths, generator tags, its CSS prefix), found in the
page's HTML. Its row then says where the stock template puts what structured data may leave out: the product
page's fields, the product cards of a category listing, the review list and the next-page link. Every selector
follows the platform's public stock template (theme) as a fact, named in the row's `ground`; no row is keyed to
one shop. Selector keys are the per-source config's (docs/config.md): a source's own selectors come first, a
platform row only fills what structured data and the source left empty.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractors.document import Document

PRODUCT_KEYS = frozenset({"name", "price", "old_price", "currency", "sku", "gtin", "mpn", "availability"})
LISTING_KEYS = PRODUCT_KEYS | {"product", "url"}
REVIEW_KEYS = frozenset({"review", "author", "rating", "date", "text", "title", "id", "aggregate_rating",
                         "review_count"})
MARKER_WINDOW = 400_000  # markers sit in the head and the stock markup: a 5 MB listing is not searched whole


@dataclass(frozen=True)
class Platform:
    name: str
    # Where the selectors come from: the stock template files (theme, widget) whose markup they follow.
    ground: str
    # Lower-case substrings of the HTML that only this platform's pages carry; any one is enough.
    markers: tuple[str, ...]
    product: dict[str, str] = field(default_factory=dict)
    listing: dict[str, str] = field(default_factory=dict)  # "product" selects one card, the others are inside it
    reviews: dict[str, str] = field(default_factory=dict)  # "review" selects one review, the others are inside it
    next_page: str | None = None  # the "next page" link of a listing or review list (CSS or XPath)

    def __post_init__(self) -> None:
        for part, keys in (("product", PRODUCT_KEYS), ("listing", LISTING_KEYS), ("reviews", REVIEW_KEYS)):
            unknown = set(getattr(self, part)) - keys
            if unknown:
                raise ValueError(f"platform {self.name}: unknown {part} keys {sorted(unknown)}")
        if self.listing and "product" not in self.listing:
            raise ValueError(f"platform {self.name}: a listing needs a 'product' card selector")
        if self.reviews and "review" not in self.reviews:
            raise ValueError(f"platform {self.name}: reviews need a 'review' selector")


@lru_cache(maxsize=1)
def all_platforms() -> tuple[Platform, ...]:
    """Every platform row of this package, in module-name order."""
    found = []
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
        row = getattr(importlib.import_module(f"{__name__}.{module}"), "PLATFORM", None)
        if isinstance(row, Platform):
            found.append(row)
    return tuple(found)


def detected(document: Document) -> list[Platform]:
    """The platforms whose markers the page carries (a shop platform and a review widget may both be there)."""
    cached = document.__dict__.get("_platforms")
    if cached is not None:
        return cached
    haystack = document.text[:MARKER_WINDOW].lower()
    found = [p for p in all_platforms() if any(marker in haystack for marker in p.markers)]
    document.__dict__["_platforms"] = found
    return found
