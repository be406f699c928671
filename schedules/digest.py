"""The change digest of a run as subject, plain text and HTML: pure, no I/O beyond reading its templates.
Item fields are scraped and hostile: escaped in HTML, stripped of control characters, linked only if http(s)."""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from dossier.errors import AlertError
from dossier.severity import SEVERITIES, known, rank
from storage.compare import judged_negative
from schedules import units

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
SUBJECT_PREFIX = "Dossier: "
SUBJECT_MAX = 120
VALUE_MAX = 500      # a before/after value longer than this is cut: a digest is a pointer, not an archive
DIFF_LINES_MAX = 20


# Kind order: most important first; it orders the subject and, within a severity, the items.
# Each kind: (label in the digest, subject phrase singular, plural).
KINDS: dict[str, tuple[str, str, str]] = {
    "undercut": ("Undercut: cheaper than ours", "undercut", "undercuts"),
    "price_up": ("Price rise", "price rise", "price rises"),
    "price_down": ("Price drop", "price drop", "price drops"),
    "currency_changed": ("Currency changed", "currency change", "currency changes"),
    "price_gap_changed": ("Price gap to ours moved", "moved price gap", "moved price gaps"),
    "review_negative": ("Negative review", "negative review", "negative reviews"),
    "product_removed": ("Product removed", "removed product", "removed products"),
    "product_added": ("Product added", "new product", "new products"),
    "tender_won": ("Tender won", "tender won", "tenders won"),
    "source_unreachable": ("Source unreachable", "unreachable source", "unreachable sources"),
    "out_of_stock": ("Out of stock", "product out of stock", "products out of stock"),
    "back_in_stock": ("Back in stock", "product back in stock", "products back in stock"),
    "rating_changed": ("Rating changed", "rating change", "rating changes"),
    "ad_new": ("New ad", "new ad", "new ads"),
    "ad_stopped": ("Ad stopped", "stopped ad", "stopped ads"),
    "review_new": ("New review", "new review", "new reviews"),
    "text_changed": ("Text changed", "text change", "text changes"),
    # a text flipping between versions (a rotating banner, an A/B headline): reported once, with its counter
    "text_rotating": ("Text rotating between versions", "rotating text", "rotating texts"),
    "page_added": ("Page added", "new page", "new pages"),
    "page_removed": ("Page removed", "removed page", "removed pages"),
    "technology_added": ("Technology added", "new technology", "new technologies"),
    "technology_removed": ("Technology removed", "removed technology", "removed technologies"),
    "channel_added": ("Contact channel added", "new contact channel", "new contact channels"),
    "channel_removed": ("Contact channel removed", "removed contact channel", "removed contact channels"),
    "promo_new": ("New promotion", "new promotion", "new promotions"),
    "promo_ended": ("Promotion ended", "ended promotion", "ended promotions"),
    "job_posted": ("Job posted", "new job posting", "new job postings"),
    "job_closed": ("Job closed", "closed job posting", "closed job postings"),
    "content_new": ("New content", "new article", "new articles"),
    "newsletter_new": ("New newsletter", "new newsletter", "new newsletters"),
    "mention_new": ("Mentioned in a feed", "new mention", "new mentions"),
    "tender_new": ("Bidder in a tender", "new tender", "new tenders"),
    "post_new": ("New social post", "new post", "new posts"),
    "subscribers_changed": ("Audience moved", "audience change", "audience changes"),
    "cadence_changed": ("Posting rhythm changed", "rhythm change", "rhythm changes"),
    "robots_changed": ("robots.txt changed", "robots.txt change", "robots.txt changes"),
    "sitemap_grew": ("Sitemap grew", "grown sitemap", "grown sitemaps"),
    "broken_links_up": ("More broken links", "rise in broken links", "rises in broken links"),
    # a price that moved more than tenfold in a night: held back (most likely misread), not a drop or a rise
    "price_anomaly": ("Price anomaly held back", "price anomaly held back", "price anomalies held back"),
}
# The word before a lone value: an added product shows its price, an unreachable source its reason.
AFTER_WORD = {"product_added": "price", "source_unreachable": "reason", "review_new": "says",
              "review_negative": "says", "ad_new": "text", "content_new": "published", "newsletter_new": "says",
              "promo_new": "until", "mention_new": "says",
              "tender_won": "value", "tender_new": "value", "post_new": "says"}
BEFORE_WORD = {"product_removed": "last price"}
KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
SEVERITY_STYLE = {  # inline CSS only: mail clients drop <style> blocks and external sheets
    "high": "background:#b42318;color:#ffffff;",
    "medium": "background:#b54708;color:#ffffff;",
    "low": "background:#667085;color:#ffffff;",
}

# C0 and C1 controls, DEL, line/paragraph separators and bidi overrides (which can disguise a name or URL).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One change as the digest shows it; every text field may hold scraped, hostile text."""

    competitor_slug: str
    competitor_name: str
    kind: str
    title: str
    before: str | None
    after: str | None
    magnitude: Decimal | None
    severity: str
    url: str | None
    uncertain: bool = False  # read from a less trusted source than the night before: maybe a misreading
    event_id: int | None = None  # the event the change is evidence of (storage/events.py)
    event_title: str | None = None  # in the configured language
    event_importance: int | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    subject: str
    text: str
    html: str
    item_count: int


def clean_line(value: object, limit: int | None = None) -> str:
    """One line of display text: control characters become spaces, runs of white space fold, cut at limit."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", "" if value is None else str(value))).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def safe_url(url: str | None) -> str | None:
    """The URL when it may become a link (absolute http or https, no controls or spaces), else None."""
    if not url:
        return None
    url = url.strip()
    if _CONTROL.search(url) or _SPACES.search(url) or len(url) > 2000:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _magnitude(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        log.debug("digest: magnitude %r is not a number; left out", value)
        return None
    return number if number.is_finite() else None


def _kind(item: DigestItem) -> str:
    """The kind as the digest groups it: a review_new the diff judged negative (alerts.rules.review_max_rating)
    is a negative review of its own."""
    return "review_negative" if judged_negative(item.kind, item.severity) else item.kind


def _severity(item: DigestItem) -> str:
    return known(item.severity)


def _sort_key(item: DigestItem) -> tuple[int, int, str]:
    return rank(item.severity), KIND_RANK.get(_kind(item), len(KINDS)), clean_line(item.title).casefold()


format_percent = units.format_percent  # the digest's percent style, defined once in schedules.units


def _measure(kind: str, magnitude: Decimal | None) -> str | None:
    """The magnitude with its unit (schedules.units), a review's stars out of 5; None without a magnitude."""
    if magnitude is None:
        return None
    return units.format_delta(kind, magnitude) + (" of 5" if kind in ("review_new", "review_negative") else "")


def _factor(before: str | None, after: str | None) -> str | None:
    """How many times a held price anomaly moved: '×1000', '÷1000' (from the amounts of '3.35 EUR' → '3350.00 EUR')."""
    try:
        old, new = (Decimal((value or "").split(" ", 1)[0]) for value in (before, after))
    except (InvalidOperation, ValueError):
        return None
    if not (old.is_finite() and new.is_finite()) or old <= 0 or new < 0:
        return None
    if new == 0:
        return "to 0"
    ratio = new / old if new >= old else old / new
    shown = ratio.quantize(Decimal(1), rounding=ROUND_HALF_UP) if ratio >= 100 else ratio.quantize(Decimal("0.1"))
    return f"{'×' if new >= old else '÷'}{shown.normalize():f}"


def _diff_lines(text: str) -> list[dict[str, str]]:
    lines = [clean_line(line, VALUE_MAX) for line in text.splitlines() if line.strip()]
    if len(lines) > DIFF_LINES_MAX:
        lines = lines[:DIFF_LINES_MAX] + [f"… {len(lines) - DIFF_LINES_MAX} more lines"]
    sign = {"+": "added", "-": "removed"}
    return [{"text": line, "sign": sign.get(line[:1], "context")} for line in lines]


def _view(item: DigestItem) -> dict[str, Any]:
    """What a template may show of an item: every string cleaned, the link only when safe."""
    kind = _kind(item)
    is_diff = item.kind == "text_changed" and item.before is None and bool(item.after) and "\n" in item.after
    link = safe_url(item.url)
    title = clean_line(item.title, 300) or "(untitled)"
    # a value that only repeats the title or the URL (a technology's name, a source's address) adds nothing
    same = {title, clean_line(item.url, 300)}
    before = None if is_diff else clean_line(item.before, VALUE_MAX) or None
    after = None if is_diff else clean_line(item.after, VALUE_MAX) or None
    return {
        "kind": kind,
        "label": KINDS.get(kind, (clean_line(item.kind, 40) or "Change",))[0],
        "severity": _severity(item),
        "style": SEVERITY_STYLE[_severity(item)],
        "title": title,
        "before": None if before in same else before,
        "after": None if after in same else after,
        "before_word": BEFORE_WORD.get(kind, "was"),
        "after_word": AFTER_WORD.get(kind, "now"),
        "diff": _diff_lines(item.after) if is_diff and item.after else [],
        "measure": (_factor(item.before, item.after) if kind == "price_anomaly"
                    else _measure(kind, _magnitude(item.magnitude))),
        "link": link,
        "url_text": None if link or not item.url else clean_line(item.url, 300),
        "uncertain": item.uncertain,
    }


def _groups(items: Sequence[DigestItem]) -> list[dict[str, Any]]:
    """Items by competitor, and within it by event, most important first, each event's items most severe first.
    The competitor with the most important event leads (without events: the one with the most severe change).
    Changes of a run diffed before events existed form one untitled group of their own."""
    by_slug: dict[str, list[DigestItem]] = {}
    for item in items:
        by_slug.setdefault(item.competitor_slug, []).append(item)
    groups = []
    for slug, members in by_slug.items():
        members.sort(key=_sort_key)
        name = clean_line(members[0].competitor_name, 120) or clean_line(slug, 120)
        counts = {s: sum(1 for m in members if _severity(m) == s) for s in SEVERITIES}
        events = _events(members)
        top = max((e["importance"] for e in events if e["title"]), default=-1)
        groups.append({"slug": clean_line(slug, 120), "name": name, "items": [_view(m) for m in members],
                       "events": events, "counts": counts,
                       "key": (-top, _sort_key(members[0])[:2], name.casefold(), slug)})
    groups.sort(key=lambda g: g["key"])
    return groups


def _events(members: list[DigestItem]) -> list[dict[str, Any]]:
    """One competitor's items (sorted) by event: [{"title", "importance", "items"}], most important first."""
    by_event: dict[int | None, list[DigestItem]] = {}
    for member in members:
        by_event.setdefault(member.event_id, []).append(member)
    events = [{"title": clean_line(group[0].event_title, 300) or None if event_id is not None else None,
               "importance": int(group[0].event_importance or 0), "items": [_view(m) for m in group]}
              for event_id, group in by_event.items()]
    events.sort(key=lambda e: (e["title"] is None, -e["importance"]))
    return events


def top_events(items: Sequence[DigestItem], limit: int = 10) -> list[dict[str, Any]]:
    """The run's most important events across competitors: [{"importance", "name", "title"}]."""
    seen: dict[int, DigestItem] = {}
    for item in items:
        if item.event_id is not None and item.event_title:
            seen.setdefault(item.event_id, item)
    ranked = sorted(seen.values(), key=lambda i: (-(i.event_importance or 0), i.competitor_slug, i.event_id))
    return [{"importance": int(i.event_importance or 0),
             "name": clean_line(i.competitor_name, 120) or clean_line(i.competitor_slug, 120),
             "title": clean_line(i.event_title, 300)} for i in ranked[:limit]]


def _count_phrases(items: Sequence[DigestItem]) -> list[tuple[int, str]]:
    """(count, phrase) per kind, most important kind first; unknown kinds together as 'other changes'."""
    counts: dict[str, int] = {}
    for item in items:
        kind = _kind(item) if _kind(item) in KINDS else "other"
        counts[kind] = counts.get(kind, 0) + 1
    phrases = []
    for kind in sorted(counts, key=lambda k: KIND_RANK.get(k, len(KINDS))):
        singular, plural = KINDS[kind][1:] if kind in KINDS else ("other change", "other changes")
        phrases.append((counts[kind], f"{counts[kind]} {singular if counts[kind] == 1 else plural}"))
    return phrases


def digest_subject(items: Sequence[DigestItem]) -> str:
    """The most important event and how many more, or (changes without events) counts by kind in plain words,
    most important first; and where: 'at Kranrad GmbH' or '— 3 competitors'."""
    if not items:
        return f"{SUBJECT_PREFIX}no changes"
    slugs = {item.competitor_slug for item in items}
    if len(slugs) == 1:
        where = f" at {clean_line(items[0].competitor_name, 40) or clean_line(items[0].competitor_slug, 40)}"
    else:
        where = f" — {len(slugs)} competitors"
    events = top_events(items, limit=len(items))
    if events:
        more = len(events) - 1
        tail = f" (+{more} more event{'' if more == 1 else 's'})" if more else ""
        budget = SUBJECT_MAX - len(SUBJECT_PREFIX) - len(tail) - len(where)
        return clean_line(f"{SUBJECT_PREFIX}{clean_line(events[0]['title'], budget)}{tail}{where}")
    phrases = _count_phrases(items)
    budget = SUBJECT_MAX - len(SUBJECT_PREFIX) - len(where)
    shown: list[str] = []
    hidden = len(items)
    for index, (count, phrase) in enumerate(phrases):
        rest = hidden - count
        tail = len(f", {rest} more changes") if rest else 0  # room for the tail, if one follows
        if shown and len(", ".join([*shown, phrase])) + tail > budget:
            break
        shown.append(phrase)
        hidden -= count
    if hidden:
        shown.append(f"{hidden} more change{'' if hidden == 1 else 's'}")
    return clean_line(f"{SUBJECT_PREFIX}{', '.join(shown)}{where}")


def _finalize(value: Any) -> Any:
    """Every printed expression: None shows as nothing, control characters never reach the output."""
    if value is None:
        return ""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return _CONTROL.sub(" ", value)
    return value


@lru_cache(maxsize=2)
def _environment(html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_digest(items: Sequence[DigestItem], *, run_id: int, run_started: datetime,
                  dashboard_note: str | None = None) -> Digest:
    """The digest of a run's changes; no items gives item_count 0 (the caller decides whether to send it)."""
    started = run_started if run_started.tzinfo else run_started.replace(tzinfo=timezone.utc)
    subject = digest_subject(items)
    severity_counts = {s: sum(1 for i in items if _severity(i) == s) for s in SEVERITIES}
    context = {
        "subject": subject,
        "run_id": int(run_id),
        "started": started.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "groups": _groups(items),
        "top_events": top_events(items),
        "event_count": len({i.event_id for i in items if i.event_id is not None and i.event_title}),
        "item_count": len(items),
        "severity_counts": severity_counts,
        "note": clean_line(dashboard_note, 500) or None,
        "severity_style": SEVERITY_STYLE,
    }
    try:
        text = _environment(False).get_template("digest.txt.j2").render(context)
        html = _environment(True).get_template("digest.html.j2").render(context)
    except jinja2.TemplateError as exc:
        raise AlertError(f"digest template {TEMPLATES}: {exc}") from exc
    return Digest(subject=subject, text=text, html=html, item_count=len(items))
