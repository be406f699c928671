"""Pure grouping of one run's typed changes into the events a person would name (no database here).

A competitor's night gives at most one event per family (assortment, prices, reviews, marketing, hiring, site).
A change joins its kind's family, unless it is evidence of another family's change:
- an announcement (an article, a newsletter, an ad, a promotion, a changed page text or headline) that names a
  product whose assortment or price changed tonight joins that product's event ("announced in the news");
- a page added, removed or changed at the URL of a product, an article or a job that changed tonight joins the
  event of that item (the new product's page joins its launch).
The importance of an event (0–100) is documented in docs/alerts.md, "Events".
"""
from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urldefrag

from dossier.severity import strongest
from dossier.urls import canonical_url
from storage.compare import judged_negative

FAMILIES: dict[str, tuple[str, ...]] = {  # the order is the timeline's stacking order
    # what the competitor sells, and to whom: a public contract won or bid for is told with its launches
    "assortment": ("product_added", "product_removed", "tender_won", "tender_new"),
    "prices": ("price_up", "price_down", "price_anomaly", "currency_changed", "out_of_stock", "back_in_stock",
               "undercut", "price_gap_changed"),
    "reviews": ("review_new", "rating_changed"),
    "marketing": ("text_changed", "text_rotating", "promo_new", "promo_ended", "content_new", "newsletter_new",
                  "ad_new", "ad_stopped", "mention_new", "post_new", "subscribers_changed", "cadence_changed"),
    "hiring": ("job_posted", "job_closed"),
    "site": ("source_unreachable", "page_added", "page_removed", "technology_added", "technology_removed",
             "channel_added", "channel_removed", "robots_changed", "sitemap_grew", "broken_links_up"),
}
FAMILY_OF = {kind: family for family, kinds in FAMILIES.items() for kind in kinds}
OTHER_FAMILY = "site"  # a kind this version does not know (stored by a newer one)


def event_family(kind: str) -> str:
    """A stored event's family: its kind, or OTHER_FAMILY for one this version does not know (at most six)."""
    return kind if kind in FAMILIES else OTHER_FAMILY

# Importance = family base + the strongest change's severity + the size of what happened + how rare such an
# event is for this competitor; capped at 100 (docs/alerts.md, "Events").
BASE_IMPORTANCE = {"assortment": 50, "prices": 50, "reviews": 35, "marketing": 35, "hiring": 25, "site": 20}
SEVERITY_BONUS = {"high": 20, "medium": 10, "low": 0}
SIZE_BONUS_MAX = 15
RARITY_BONUS_MAX = 15
RARITY_UNKNOWN = 0.5  # no earlier run with events: half the rarity bonus

ANNOUNCING = {"content_new": "news", "newsletter_new": "newsletter", "ad_new": "ad", "ad_stopped": "ad",
              "promo_new": "promotion", "text_changed": "site", "text_rotating": "site"}
PAGE_KINDS = frozenset({"page_added", "page_removed", "text_changed", "text_rotating"})
ITEM_KINDS = frozenset({"product_added", "product_removed", *FAMILIES["prices"], "content_new", "job_posted",
                        "job_closed"})
MIN_NAME = 6  # a product name shorter than this ("Kit") is too common a word to count as a mention


@dataclass(frozen=True, slots=True)
class ChangeFact:
    """One stored change as the grouping reads it."""

    id: int
    competitor_id: int
    kind: str
    entity: str
    title: str | None
    url: str | None = None
    before: str | None = None
    after: str | None = None
    magnitude: Decimal | None = None
    severity: str = "low"
    category: str | None = None  # the product's category, for assortment and price changes
    evidence: Mapping[str, Any] | None = None  # what decided the change, where the diff kept it (our price of a gap)


@dataclass(slots=True)
class EventDraft:
    competitor_id: int
    kind: str
    key: str
    change_ids: list[int]
    facts: dict[str, Any]
    severity: str
    importance: int = 0


def family(kind: str) -> str:
    return FAMILY_OF.get(kind, OTHER_FAMILY)


def group_changes(changes: Iterable[ChangeFact], rarity: Mapping[tuple[int, str], float] | None = None
                  ) -> list[EventDraft]:
    """The events of one run's changes, most important first; every change is in exactly one.
    `rarity`: (competitor id, event kind) -> the share of the competitor's earlier runs with such an event."""
    by_competitor: dict[int, list[ChangeFact]] = {}
    for change in changes:
        by_competitor.setdefault(change.competitor_id, []).append(change)
    events: list[EventDraft] = []
    for competitor_id, members in by_competitor.items():
        placed, mentions = place_with_mentions(members)
        grouped: dict[str, list[ChangeFact]] = {}
        for change in members:
            grouped.setdefault(placed[change.id], []).append(change)
        for kind, group in grouped.items():
            share = (rarity or {}).get((competitor_id, kind))
            events.append(_event(competitor_id, kind, group, mentions, share))
    events.sort(key=lambda e: (-e.importance, e.competitor_id, list(FAMILIES).index(e.kind)
                               if e.kind in FAMILIES else len(FAMILIES)))
    return events


def place(changes: list[ChangeFact]) -> dict[int, str]:
    """Change id -> the event kind (family) it belongs to, for one competitor's changes of one run."""
    placed, _ = place_with_mentions(changes)
    return placed


def place_with_mentions(changes: list[ChangeFact]) -> tuple[dict[int, str], dict[int, str]]:
    """place(), and the product name each announcing change was placed by (change id -> name)."""
    placed = {c.id: family(c.kind) for c in changes}
    needles = _product_needles(changes)
    mentions: dict[int, str] = {}
    for change in changes:
        if change.kind in ANNOUNCING:
            found = _mentioned(announced_text(change), needles)
            if found is not None:
                placed[change.id], mentions[change.id] = found
    anchors: dict[str, str] = {}
    for change in changes:
        if change.kind in ITEM_KINDS:
            for url in _item_urls(change):
                anchors.setdefault(url, placed[change.id])
    for change in changes:
        if change.kind in PAGE_KINDS and placed[change.id] == family(change.kind):  # not placed by a mention
            url = _page_url(change)
            if url and url in anchors:
                placed[change.id] = anchors[url]
    return placed, mentions


def _product_needles(changes: list[ChangeFact]) -> list[tuple[re.Pattern[str], tuple[str, str]]]:
    """Names of tonight's changed products as patterns -> (family, name), assortment first (a launch outranks a
    price change)."""
    needles: list[tuple[int, re.Pattern[str], tuple[str, str]]] = []
    for change in changes:
        kind = family(change.kind)
        if kind in ("assortment", "prices") and change.entity.startswith("product:"):
            name = fold(change.title)
            if len(name) >= MIN_NAME:
                needles.append((0 if kind == "assortment" else 1,
                                re.compile(rf"(?<!\w){re.escape(name)}(?!\w)"), (kind, change.title or name)))
    needles.sort(key=lambda n: n[0])
    return [(pattern, kind) for _, pattern, kind in needles]


def _mentioned(text: str, needles: list[tuple[re.Pattern[str], tuple[str, str]]]) -> tuple[str, str] | None:
    folded = fold(text)
    return next((kind for pattern, kind in needles if pattern.search(folded)), None)


def fold(text: str | None) -> str:
    """A name as mentions are matched: case and quotes folded, white space (no-break spaces too) collapsed, so
    «Газель до 1,5 т» finds Газель до 1,5 т."""
    return " ".join(re.sub(r"[«»„“”\"'‘’]", " ", text or "").casefold().split())


def announced_text(change: ChangeFact) -> str:
    """What an announcing change says: its title and new text; of a text diff, only the lines it added."""
    if change.kind in ("text_changed", "text_rotating"):
        after = change.after or ""
        if change.before is None and "\n" in after or after.startswith(("+", "-")):
            return "\n".join(line[1:] for line in after.splitlines() if line.startswith("+"))
        return after
    return f"{change.title or ''}\n{change.after or ''}"


def _item_urls(change: ChangeFact) -> set[str]:
    urls = {change.url} if change.url else set()
    if change.kind.startswith("job_"):
        urls.add(change.entity.removeprefix("job:"))  # a job keyed by its own page
    return {_canonical_page(url) for url in urls if url.startswith(("http://", "https://"))}


def _page_url(change: ChangeFact) -> str | None:
    url = change.url
    if not url and change.entity.startswith(("page:", "text:")):
        url = change.entity.split(":", 1)[1]
    return _canonical_page(url) if url else None


def _canonical_page(url: str) -> str:
    return canonical_url(urldefrag(url)[0])


def _event(competitor_id: int, kind: str, group: list[ChangeFact], mentions: dict[int, str],
           rarity: float | None) -> EventDraft:
    facts = FACTS.get(kind, _site_facts)(group)
    announcing = [c for c in group if c.id in mentions]
    if announcing and kind in ("assortment", "prices"):
        facts["announced"] = sorted({ANNOUNCING[c.kind] for c in announcing})
        facts["announced_names"] = sorted({mentions[c.id] for c in announcing})
    severity = strongest(c.severity for c in group)
    importance = (BASE_IMPORTANCE.get(kind, BASE_IMPORTANCE[OTHER_FAMILY]) + SEVERITY_BONUS[severity]
                  + min(SIZE_BONUS_MAX, _size(kind, facts, group))
                  + round(RARITY_BONUS_MAX * (1 - (RARITY_UNKNOWN if rarity is None else rarity))))
    return EventDraft(competitor_id, kind, kind, sorted(c.id for c in group), facts, severity, min(100, importance))


def _size(kind: str, facts: dict[str, Any], group: list[ChangeFact]) -> int:
    """How big the event is, in importance points: the mean price move in percent, 5 per product launched or
    dropped, 5 per negative review, else 3 per change after the first (logarithmic: a hundred changes is big,
    not a hundred times as big)."""
    if kind == "prices":
        moves = [abs(float(p["pct"])) for p in facts["up"] + facts["down"]]
        return (round(sum(moves) / len(moves)) if moves else 5) + 5 * len(facts["undercut"])
    if kind == "assortment":
        return 5 * (len(facts["added"]) + len(facts["removed"]) + len(facts["tenders_won"]))
    if kind == "reviews":
        return 5 * len(facts["negative"]) + (5 if facts.get("rating_drop") else 0)
    return round(3 * math.log2(len(group))) if group else 0


# --- facts: the typed data each event's title is written from ---------------------------------------------

def _product(change: ChangeFact) -> dict[str, Any]:
    return {"name": change.title or change.entity.removeprefix("product:"), "before": change.before,
            "after": change.after, "pct": None if change.magnitude is None else str(change.magnitude)}


def _assortment_facts(group: list[ChangeFact]) -> dict[str, Any]:
    return {"added": [_product(c) for c in group if c.kind == "product_added"],
            "removed": [_product(c) for c in group if c.kind == "product_removed"],
            "category": _common_category(c for c in group if c.kind in ("product_added", "product_removed")),
            "tenders_won": [_tender(c) for c in group if c.kind == "tender_won"],
            "tenders_new": [_tender(c) for c in group if c.kind == "tender_new"]}


def _tender(change: ChangeFact) -> dict[str, Any]:
    """A procurement notice (storage/diff_tenders.py): its title, buyer and value ('184000.00 EUR')."""
    return {"title": change.title or change.entity, "buyer": (change.evidence or {}).get("buyer"),
            "value": change.after}


def _price_facts(group: list[ChangeFact]) -> dict[str, Any]:
    of = {kind: [_product(c) for c in group if c.kind == kind] for kind in FAMILIES["prices"]}
    return {"undercut": [_gap(c) for c in group if c.kind == "undercut"],
            "gap_moved": [_gap(c) for c in group if c.kind == "price_gap_changed"],
            "up": of["price_up"], "down": of["price_down"], "anomalies": len(of["price_anomaly"]),
            "currency": len(of["currency_changed"]), "out_of_stock": [p["name"] for p in of["out_of_stock"]],
            "back_in_stock": [p["name"] for p in of["back_in_stock"]],
            "category": _common_category(c for c in group if c.kind in ("price_up", "price_down"))}


def _gap(change: ChangeFact) -> dict[str, Any]:
    """A matched product's price against ours (storage/price_gaps.py): theirs, ours, the gap before and now."""
    evidence = change.evidence or {}
    return {"name": change.title or change.entity, "price": change.after, "our_product": evidence.get("our_product"),
            "our_price": evidence.get("our_price"), "gap": evidence.get("gap_pct"),
            "gap_before": evidence.get("gap_pct_before")}


def _common_category(changes: Iterable[ChangeFact]) -> str | None:
    categories = {c.category for c in changes}
    return categories.pop() if len(categories) == 1 else None


def _review_facts(group: list[ChangeFact]) -> dict[str, Any]:
    reviews = [c for c in group if c.kind == "review_new"]
    # negative as the diff judged it (review_max_rating made it high severity): one rule, storage/compare.py
    negative = [{"stars": None if c.magnitude is None else float(c.magnitude), "text": c.after}
                for c in reviews if judged_negative(c.kind, c.severity)]
    rating = next((c for c in group if c.kind == "rating_changed"), None)
    facts: dict[str, Any] = {"new": len(reviews), "negative": negative}
    if rating is not None:
        facts["rating"] = {"before": _rating_value(rating.before), "after": _rating_value(rating.after)}
        facts["rating_drop"] = rating.magnitude is not None and rating.magnitude < 0
    return facts


def _rating_value(text: str | None) -> str | None:
    """'4.4' of the change's '4.4 (5 reviews)'."""
    return (text or "").split(" ", 1)[0] or None


def _marketing_facts(group: list[ChangeFact]) -> dict[str, Any]:
    headlines, pages = [], []
    for change in group:
        if change.kind == "text_changed":
            field_name = change.entity.rpartition("#")[2]
            if field_name in ("h1", "title") and change.before and change.after:
                headlines.append({"field": field_name, "page": _page_url(change) or "",
                                  **headline_change(change.before, change.after)})
            else:
                added = announced_text(change).strip().splitlines()
                pages.append({"page": _page_url(change) or "", "added": added[0] if added else None})
    return {"headlines": headlines, "texts": len(pages), "text_pages": pages,
            "rotating": sum(1 for c in group if c.kind == "text_rotating"),
            "promos": [c.title for c in group if c.kind == "promo_new"],
            "promos_ended": sum(1 for c in group if c.kind == "promo_ended"),
            "ads_new": [c.title for c in group if c.kind == "ad_new"],
            "ads_stopped": sum(1 for c in group if c.kind == "ad_stopped"),
            "content": [c.title for c in group if c.kind == "content_new"],
            "newsletters": [(c.title or "").partition(": ")[2] or c.title for c in group
                            if c.kind == "newsletter_new"],
            "mentions": [c.title for c in group if c.kind == "mention_new"],
            "social": _social_facts(group)}


SOCIAL_KINDS = ("post_new", "subscribers_changed", "cadence_changed")


def _social_facts(group: list[ChangeFact]) -> list[dict[str, Any]]:
    """The night's social changes per channel (storage/diff_social.py): its new posts, its audience, its rhythm;
    a channel's posts of one night are told together, as one part of the competitor's marketing event."""
    channels: dict[str, dict[str, Any]] = {}
    for change in group:
        if change.kind not in SOCIAL_KINDS:
            continue
        label = str((change.evidence or {}).get("label") or change.title or change.entity)
        channel = channels.setdefault(label, {"channel": label, "posts": [], "subscribers": None, "cadence": None})
        if change.kind == "post_new":
            channel["posts"].append(change.title)
        elif change.kind == "subscribers_changed":
            channel["subscribers"] = {"before": change.before, "after": change.after,
                                      "pct": None if change.magnitude is None else str(change.magnitude)}
        else:
            channel["cadence"] = {"before": change.before, "after": change.after,
                                  "direction": (change.evidence or {}).get("direction")}
    return [channels[label] for label in sorted(channels)]


def headline_change(before: str, after: str, context: int = 2) -> dict[str, str]:
    """The words of a headline that changed, with `context` words around them: 'Lieferung in 10 Tagen' →
    'Lieferung in 5 Tagen' of two long headlines that differ in one number."""
    old, new = before.split(), after.split()
    blocks = [op for op in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not blocks:
        return {"before": before, "after": after}
    a0, b0 = max(0, blocks[0][1] - context), max(0, blocks[0][3] - context)
    a1, b1 = min(len(old), blocks[-1][2] + context), min(len(new), blocks[-1][4] + context)
    return {"before": ("… " if a0 else "") + " ".join(old[a0:a1]) + (" …" if a1 < len(old) else ""),
            "after": ("… " if b0 else "") + " ".join(new[b0:b1]) + (" …" if b1 < len(new) else "")}


def _hiring_facts(group: list[ChangeFact]) -> dict[str, Any]:
    return {"posted": [c.title for c in group if c.kind == "job_posted"],
            "closed": [c.title for c in group if c.kind == "job_closed"],
            "pages": sum(1 for c in group if c.kind in PAGE_KINDS)}


def _site_facts(group: list[ChangeFact]) -> dict[str, Any]:
    def titles(kind: str) -> list[str]:
        return [c.title or c.entity for c in group if c.kind == kind]

    sitemap = next((c for c in group if c.kind == "sitemap_grew"), None)
    broken = sum(int(c.magnitude or 0) for c in group if c.kind == "broken_links_up")
    return {"unreachable": [c.url or c.title for c in group if c.kind == "source_unreachable"],
            "channels_added": titles("channel_added"), "channels_removed": titles("channel_removed"),
            "tech_added": titles("technology_added"), "tech_removed": titles("technology_removed"),
            "robots": any(c.kind == "robots_changed" for c in group),
            "sitemap_pct": None if sitemap is None or sitemap.magnitude is None else str(sitemap.magnitude),
            "broken": broken, "pages_added": len(titles("page_added")), "pages_removed": len(titles("page_removed")),
            "texts": sum(1 for c in group if c.kind in ("text_changed", "text_rotating")),
            "other": sorted({c.kind for c in group if c.kind not in FAMILY_OF})}


FACTS = {"assortment": _assortment_facts, "prices": _price_facts, "reviews": _review_facts,
         "marketing": _marketing_facts, "hiring": _hiring_facts, "site": _site_facts}
