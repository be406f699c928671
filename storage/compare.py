"""Pure comparison of two observations of one source: what changed, as change drafts (no database here)."""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from dossier.urls import canonical_key, canonical_url, is_url_key

# Noise filtered before texts are compared (DESIGN.md, diff rules): dates, times, counters and tokens change on
# every visit of many pages without anything a marketer cares about having changed.
_MONTHS = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
           r"januar|jänner|februar|märz|mai|juni|juli|oktober|dezember|"
           r"января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|"
           r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|okt|nov|dec|dez|янв|фев|мар|апр|июн|июл|авг|сен|окт|ноя|дек)"
           r"\b\.?")
NOISE_PATTERNS = [
    re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b"),  # 03.11.2026, 2026-11-03, 11/03/26
    re.compile(rf"\b\d{{1,2}}\.?\s+{_MONTHS}(\s+\d{{4}})?", re.I),  # 3. November 2026, 3 ноября 2026
    re.compile(rf"\b{_MONTHS}\s+\d{{1,2}}(st|nd|rd|th)?,?(\s+\d{{4}})?", re.I),  # Nov 3, 2026
    re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?(\s*[ap]\.?m\.?)?", re.I),  # 14:05, 14:05:33, 2:05 pm
    re.compile(r"\b\d+\s+(seconds?|minutes?|hours?|days?|weeks?)\s+ago\b", re.I),  # "5 minutes ago"
    re.compile(r"\bvor\s+\d+\s+(sekunden|minuten|stunden|tagen|wochen)\b", re.I),  # "vor 3 Stunden"
    re.compile(r"\b\d+\s+(секунд\w*|минут\w*|час\w*|дн\w*|день|недел\w*)\s+назад", re.I),  # "3 часа назад"
    re.compile(r"\b[\d.,\u00a0 ]*\d\s*(views?|visitors?|(people|users)(\s+(are\s+)?(watching|viewing|online))?|sold|shares?|likes?|comments?|"
               r"aufrufe|besucher|просмотр\w*|посетител\w*)\b", re.I),  # counters: "1,234 views"
    re.compile(r"\b[\w-]*(csrf|xsrf|token|nonce)[\w-]*[\"']?\s*[:=]\s*"
               r"[\"']?[\w+/=-]{8,}[\"']?", re.I),  # CSRF tokens left in page text
    re.compile(r"\b[0-9a-f]{24,}\b", re.I),  # tokens, hashes, session ids
    re.compile(r"\b[A-Za-z0-9+/_-]{32,}={0,2}"),  # base64 tokens
]
TEXT_FIELDS = ("title", "description", "h1", "main_text")
DIFF_LINES = 12


@dataclass(frozen=True, slots=True)
class Rules:
    price_change_pct: Decimal = Decimal(0)
    review_max_rating: float = 2.0
    high_price_drop_pct: Decimal = Decimal(10)
    coverage_floor: float = 0.5  # below this share of the baseline's pages a source counts as unreachable
    removed_after_runs: int = 1  # a product is removed after this many consecutive complete crawls without it
    # A price that moves more than this factor (up or down) in one night is held as a `price_anomaly`, not alerted:
    # far more often a misread (3.350 read as 3350, a price per 1,000 pieces, a placeholder 0) than a real price.
    price_anomaly_factor: Decimal = Decimal(10)
    sitemap_growth_pct: Decimal = Decimal(10)  # a sitemap that grew by at least this much: `sitemap_grew`
    # a matched product's price gap to ours that moved by at least this many percentage points: `price_gap_changed`
    price_gap_points: Decimal = Decimal(5)
    # a social channel's audience that moved by at least this percent: `subscribers_changed` (storage/diff_social.py)
    subscribers_change_pct: Decimal = Decimal(5)
    # posts per week of the last 4 weeks this factor above or below the 4 before: `cadence_changed`
    cadence_factor: Decimal = Decimal(2)


@dataclass(frozen=True, slots=True)
class Draft:
    kind: str
    entity: str
    title: str | None
    url: str | None = None
    before: str | None = None
    after: str | None = None
    magnitude: Decimal | None = None
    severity: str = "low"
    uncertain: bool = False  # read from a less trusted source than the reading it is compared with
    evidence: dict[str, object] | None = None  # the rule and its counters, where one decided (rotation())


@dataclass(frozen=True, slots=True)
class PriceSeen:
    key: str
    name: str | None
    url: str | None
    price: Decimal | None
    currency: str | None
    availability: str | None
    page_url: str | None = None  # the page the product was read on (a listing, or its own page)
    price_source: str | None = None  # where the price was read (extractors.records.Product.price_source)
    price_confidence: float | None = None


def money(price: Decimal | None, currency: str | None) -> str | None:
    if price is None:
        return None
    return f"{Decimal(price).quantize(Decimal('0.01'))} {currency or ''}".strip()


def parse_money(text: str | None) -> tuple[Decimal, str | None] | None:
    """The (price, currency) of a `money()` string ("3350.00 EUR"), as change rows keep them; None if not one."""
    amount, _, currency = (text or "").partition(" ")
    try:
        return Decimal(amount), currency or None
    except ArithmeticError:
        return None


MAX_MAGNITUDE = Decimal("9999999999.99")  # change.magnitude is NUMERIC(12, 2): PostgreSQL refuses more


def percent(old: Decimal, new: Decimal) -> Decimal:
    """The change from `old` to `new` in percent, rounded half up to cents, within what change.magnitude holds
    (0.01 → 1,000,000 is +9,999,999,900 %; a larger jump is stored as the largest magnitude)."""
    change = ((Decimal(new) - Decimal(old)) / Decimal(old) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return min(change, MAX_MAGNITUDE)


def compare_products(before: dict[str, PriceSeen], after: dict[str, PriceSeen], unseen_urls: set[str],
                     rules: Rules, complete: bool = True) -> list[Draft]:
    """Prices, assortment and stock of one source between its baseline and this run (both in memory)."""
    changed = [(before[key], now) for key, now in after.items() if key in before and _differs(before[key], now)]
    added = [now for key, now in after.items() if key not in before]
    missing = [then for key, then in before.items() if key not in after]
    identified = {canonical_url(now.url) for key, now in after.items() if now.url and not is_url_key(key)}
    return product_drafts(changed, added, missing, unseen_urls, complete, rules,
                          identified_urls=lambda: identified)


def _differs(then: PriceSeen, now: PriceSeen) -> bool:
    return (then.price, then.currency, then.availability) != (now.price, now.currency, now.availability)


def product_drafts(changed: list[tuple[PriceSeen, PriceSeen]], added: list[PriceSeen], missing: list[PriceSeen],
                   unseen_urls: set[str], complete: bool, rules: Rules,
                   held: dict[str, tuple[Decimal, str | None]] | None = None,
                   identified_urls: Callable[[], set[str]] | None = None) -> list[Draft]:
    """The drafts of a source's products, given what the database found: pairs that differ, products new to
    the source, and products missing (the removal candidates). `held` gives, per product key, the price its
    baseline's `price_anomaly` held back from (the last price trusted): such a product is compared with it.

    A URL-keyed product whose URL differs only by tracking or session parameters is the same product: an
    added and a missing one with the same canonical key are compared, not reported as added and removed. So is a
    product whose key changed while its URL stayed (an upgrade now reads the SKU its page shows): the only added
    and the only missing product at one URL are the same product.
    A missing product is removed only when the crawl was complete and its page was not among this run's
    failed fetches: a page that answered 500 tells nothing about the product (DESIGN.md: no false removals).
    Nor is a product keyed by its URL (read on a listing whose card showed no SKU) while a product with a SKU was
    read tonight at that URL (`identified_urls`: tonight's products with an identifier, asked only when needed).
    """
    by_canonical = {canonical_key(then.key): then for then in missing}
    by_url = _one_per_url(missing)
    added_urls = _one_per_url(added)
    changed = list(changed)
    paired: set[str] = set()
    pending_added: list[PriceSeen] = []
    for now in added:
        then = by_canonical.get(canonical_key(now.key))
        if then is None and now.url and added_urls.get(canonical_url(now.url)) is now:
            then = by_url.get(canonical_url(now.url))  # its key changed (a SKU read where its URL was the key)
        if then is not None and then.key not in paired:
            paired.add(then.key)
            changed.append((then, now))
        else:
            pending_added.append(now)
    drafts: list[Draft] = []
    held = held or {}
    for then, now in changed:
        trusted = held.get(then.key)
        drafts += _change_drafts(then, now, rules) if trusted is None else _held_drafts(then, now, trusted, rules)
    for now in pending_added:
        drafts.append(Draft("product_added", f"product:{now.key}", now.name, now.url, None,
                            money(now.price, now.currency), severity="medium"))
    if complete:  # a crawl cut by max_pages proves nothing about the products it did not reach
        read_by_sku: set[str] | None = None
        for then in missing:
            if is_url_key(then.key) and identified_urls is not None:
                read_by_sku = identified_urls() if read_by_sku is None else read_by_sku
                if canonical_url(then.key) in read_by_sku:
                    continue  # its page was read tonight and keyed by its SKU: the same product, still listed
            if then.key not in paired and (then.page_url or then.url) not in unseen_urls:
                drafts.append(Draft("product_removed", f"product:{then.key}", then.name, then.url,
                                    money(then.price, then.currency), None, severity="medium"))
    return _one_per_product(drafts)


def _one_per_product(drafts: list[Draft]) -> list[Draft]:
    """One change of a kind per product: a product read on a listing (keyed by its URL: the card shows no SKU)
    and on its own page at that URL (keyed by its SKU) is one product; the SKU-keyed reading's change is kept."""
    identified = {(d.kind, canonical_url(d.url)) for d in drafts if d.url and not _url_keyed(d)}
    return [d for d in drafts if not (_url_keyed(d) and (d.kind, canonical_url(d.entity.removeprefix("product:")))
                                      in identified)]


def _url_keyed(draft: Draft) -> bool:
    return is_url_key(draft.entity.removeprefix("product:"))


def _one_per_url(products: list[PriceSeen]) -> dict[str, PriceSeen]:
    """Products by canonical URL, where the URL is one product's only (not a listing several were read on)."""
    by_url: dict[str, PriceSeen | None] = {}
    for product in products:
        if product.url:
            url = canonical_url(product.url)
            by_url[url] = None if url in by_url else product
    return {url: product for url, product in by_url.items() if product is not None}


def _anomalous(old: Decimal, new: Decimal, rules: Rules) -> bool:
    """More than `price_anomaly_factor` times higher or lower (a price of 0 after a real one included)."""
    factor = rules.price_anomaly_factor
    return new > old * factor or new * factor < old


def _held_drafts(then: PriceSeen, now: PriceSeen, trusted: tuple[Decimal, str | None], rules: Rules) -> list[Draft]:
    """A product whose last price was held back as an anomaly: compared with the price trusted before it.

    Back near the trusted price: an ordinary comparison with it (the same price again is no change at all). Still
    far from it and near the held price, on the same side: the jump held for a second night and is taken as real,
    reported as the price change from the trusted price. Far from both: another anomaly, still held.
    """
    price, currency = trusted
    base = replace(then, price=price, currency=currency or then.currency)
    if (base.price and now.price is not None and then.price is not None and base.currency == now.currency
            and then.currency == now.currency and _anomalous(base.price, now.price, rules)
            and not _anomalous(then.price, now.price, rules) and (now.price > base.price) == (then.price > base.price)):
        return _change_drafts(base, now, rules, confirmed=True)
    return _change_drafts(base, now, rules)


def _change_drafts(then: PriceSeen, now: PriceSeen, rules: Rules, confirmed: bool = False) -> list[Draft]:
    """`confirmed`: a jump past the anomaly factor that held for a second night is a price change, not an anomaly."""
    drafts: list[Draft] = []
    entity = f"product:{now.key}"
    if then.currency and now.currency and then.currency != now.currency and now.price is not None:
        # 100 EUR → 110 USD is not a 10 % rise: the shop switched currency (or showed us another country's)
        drafts.append(Draft("currency_changed", entity, now.name, now.url, money(then.price, then.currency),
                            money(now.price, now.currency), severity="medium"))
    elif then.price and now.price is not None and then.currency == now.currency and now.price != then.price:
        change = percent(then.price, now.price)
        if not confirmed and _anomalous(then.price, now.price, rules):
            # held, not alerted: the next night compares with `then` (the trusted price) again, see _held_drafts
            drafts.append(Draft("price_anomaly", entity, now.name, now.url, money(then.price, then.currency),
                                money(now.price, now.currency), change, severity="low"))
        elif abs(change) >= rules.price_change_pct:
            kind = "price_up" if change > 0 else "price_down"
            uncertain = _weaker(then, now)
            drafts.append(Draft(kind, entity, now.name, now.url, money(then.price, then.currency),
                                money(now.price, now.currency), change,
                                "low" if uncertain else _price_severity(change, rules), uncertain))
    if then.availability == "in_stock" and now.availability == "out_of_stock":
        drafts.append(Draft("out_of_stock", entity, now.name, now.url, "in stock", "out of stock", severity="medium"))
    elif then.availability == "out_of_stock" and now.availability == "in_stock":
        drafts.append(Draft("back_in_stock", entity, now.name, now.url, "out of stock", "in stock", severity="medium"))
    return drafts


def _weaker(then: PriceSeen, now: PriceSeen) -> bool:
    """Tonight's price was read from a less trusted source than the one it is compared with (visible text after
    JSON-LD): the change may be a misreading, not the shop's price moving. Readings without a recorded source
    (stored before sources were) are not doubted."""
    if then.price_confidence is None or now.price_confidence is None:
        return False
    return now.price_confidence < then.price_confidence


def _price_severity(change: Decimal, rules: Rules) -> str:
    if change <= -rules.high_price_drop_pct:
        return "high"
    return "medium" if abs(change) >= 5 else "low"


def clean_text(text: str | None, ignore: list[re.Pattern[str]]) -> str:
    """The text as compared: noise and the source's ignore patterns removed, white space folded."""
    text = text or ""
    for pattern in [*NOISE_PATTERNS, *ignore]:
        text = pattern.sub(" ", text)
    return " ".join(text.split())


def text_diff(before: str, after: str) -> str:
    """A short unified diff of the changed lines (sentences), for the digest and the change row."""
    def lines(text: str) -> list[str]:
        return [line for line in re.split(r"(?<=[.!?])\s+|\n", text) if line.strip()]
    diff = list(difflib.unified_diff(lines(before), lines(after), lineterm="", n=0))[2:]
    diff = [line for line in diff if not line.startswith("@@")]
    if len(diff) > DIFF_LINES:
        diff = diff[:DIFF_LINES] + [f"… {len(diff) - DIFF_LINES} more lines"]
    return "\n".join(diff)


def compare_pages(before: dict[str, dict[str, str | None]], after: dict[str, dict[str, str | None]],
                  unseen_urls: set[str], complete: bool, ignore: list[re.Pattern[str]],
                  item_pages: frozenset[str] = frozenset()) -> list[Draft]:
    """Positioning texts (title, description, h1, main text) and the set of pages of one site.

    The main text of `item_pages` (pages where products or reviews were read) is not compared: what changes
    there is prices, stock, assortment and reviews, which are reported as such, not again as text.
    """
    before, after = _by_canonical_url(before), _by_canonical_url(after)
    unseen_urls = {canonical_url(url) for url in unseen_urls}
    item_pages = frozenset(canonical_url(url) for url in item_pages)
    drafts: list[Draft] = []
    for url, now in after.items():
        then = before.get(url)
        if then is None:
            drafts.append(Draft("page_added", f"page:{url}", now.get("title") or url, url, severity="low"))
            continue
        for field in TEXT_FIELDS:
            if field == "main_text" and url in item_pages:
                continue
            old, new = clean_text(then.get(field), ignore), clean_text(now.get(field), ignore)
            if old == new:
                continue
            if field == "main_text":
                drafts.append(Draft("text_changed", f"text:{url}#{field}", f"main text of {url}", url,
                                    None, text_diff(old, new), severity="low"))
            else:
                drafts.append(Draft("text_changed", f"text:{url}#{field}", f"{field} of {url}", url, old or None,
                                    new or None, severity="medium" if field in ("h1", "title") else "low"))
    if complete:  # a crawl cut by max_pages proves nothing about the pages it did not reach
        for url, then in before.items():
            if url not in after and url not in unseen_urls:
                drafts.append(Draft("page_removed", f"page:{url}", then.get("title") or url, url, severity="low"))
    return drafts


ROTATION_WINDOW = 14  # crawls of a source in which a value that comes back counts as rotating
ROTATION_FLIPS = 2  # flips (value changes between consecutive crawls) before a returning value is called rotating


def rotation(history: list[str], now: str) -> dict[str, object] | None:
    """The evidence that a text rotates between versions (a rotating banner, an A/B headline), or None.

    `history`: the field's compared values in the source's good crawls before tonight, oldest first, the baseline's
    last. Tonight's value rotates when it returns to a value seen before the baseline and the field has flipped
    at least ROTATION_FLIPS times in the window, tonight's flip included: A, B, A is recognised on the third night.
    """
    if not history or now == history[-1] or now not in history[:-1]:
        return None
    values = [*history, now]
    flips = sum(1 for old, new in zip(values, values[1:]) if old != new)
    if flips < ROTATION_FLIPS:
        return None
    return {"rule": "rotating_value", "flips": flips, "values": len(set(values)), "window_runs": len(values),
            "description": f"returns to a value seen in the last {len(values)} crawls after {flips} flips: "
                           "reported once as rotating, then silent while it keeps rotating between known values"}


def _by_canonical_url(pages: dict[str, dict[str, str | None]]) -> dict[str, dict[str, str | None]]:
    """Pages keyed by canonical URL (`?utm_source=…` or a session id is the same page); the first spelling wins."""
    keyed: dict[str, dict[str, str | None]] = {}
    for url in sorted(pages):
        keyed.setdefault(canonical_url(url), pages[url])
    return keyed


def compare_sets(kind_added: str, kind_removed: str, prefix: str, before: dict[str, str | None],
                 after: dict[str, str | None], url: str | None, severity: str = "low") -> list[Draft]:
    """Names present now and not before (added) and the reverse (removed): technologies, active ads."""
    drafts = [Draft(kind_added, f"{prefix}:{name}", label or name, url, None, label or name, severity=severity)
              for name, label in after.items() if name not in before]
    drafts += [Draft(kind_removed, f"{prefix}:{name}", label or name, url, label or name, None, severity=severity)
               for name, label in before.items() if name not in after]
    return drafts


def compare_rating(before: tuple[float | None, int | None] | None, after: tuple[float | None, int | None] | None,
                   entity: str, title: str, url: str | None) -> list[Draft]:
    if not before or not after or before[0] is None or after[0] is None:
        return []
    old, new = round(float(before[0]), 2), round(float(after[0]), 2)
    if abs(new - old) < 0.05:
        return []
    def show(value: float, count: int | None) -> str:
        return f"{value:.1f}" + (f" ({count} reviews)" if count is not None else "")
    return [Draft("rating_changed", entity, title, url, show(old, before[1]), show(new, after[1]),
                  Decimal(str(new - old)).quantize(Decimal("0.01")), "medium" if new < old else "low")]


NEGATIVE_REVIEW_SEVERITY = "high"  # a new review the diff judged negative is recorded with this severity, no other


def negative_review(rating: float | None, rules: Rules) -> bool:
    """Whether a review is negative: rated at most `review_max_rating` (alerts.rules, default 2 stars)."""
    return rating is not None and rating <= rules.review_max_rating


def judged_negative(kind: str, severity: str) -> bool:
    """Whether a stored change is a review the diff judged negative (negative_review() when it was recorded): the
    digest and the events read the verdict from the change, not from a threshold of their own."""
    return kind == "review_new" and severity == NEGATIVE_REVIEW_SEVERITY


def review_draft(external_id: str, author: str | None, rating: float | None, title: str | None, text: str | None,
                 url: str | None, platform: str, rules: Rules, shown_as: str | None = None) -> Draft:
    """`shown_as`: what the title calls the platform (the source's configured name), else the platform itself."""
    negative = negative_review(rating, rules)
    summary = title or (text or "")[:160] or None
    label = f"{shown_as or platform}: {author or 'anonymous'}" + (f", {rating:g}★" if rating is not None else "")
    return Draft("review_new", f"review:{platform}:{external_id}", label, url, None, summary,
                 None if rating is None else Decimal(str(rating)).quantize(Decimal("0.01")),
                 NEGATIVE_REVIEW_SEVERITY if negative else "low")


def compare_audits(before: SiteFacts | None, after: SiteFacts | None, entity: str, url: str | None,
                   rules: Rules = Rules()) -> list[Draft]:
    """robots.txt rewritten, the sitemap grown by rules.sitemap_growth_pct or more, more broken internal links."""
    if before is None or after is None:
        return []
    drafts = []
    if before.robots_hash and after.robots_hash and before.robots_hash != after.robots_hash:
        removed = [rule for rule in before.robots_rules if rule not in after.robots_rules]
        added = [rule for rule in after.robots_rules if rule not in before.robots_rules]
        drafts.append(Draft("robots_changed", f"robots:{entity}", "robots.txt", url,
                            "\n".join(f"- {rule}" for rule in removed) or None,
                            "\n".join(f"+ {rule}" for rule in added) or "(comments or order only)", severity="medium"))
    if before.sitemap_urls and after.sitemap_urls is not None:
        growth = percent(Decimal(before.sitemap_urls), Decimal(after.sitemap_urls))
        if growth >= rules.sitemap_growth_pct:
            drafts.append(Draft("sitemap_grew", f"sitemap:{entity}", "sitemap URLs", url, str(before.sitemap_urls),
                                str(after.sitemap_urls), growth, severity="medium"))
    if after.broken_links > before.broken_links:
        drafts.append(Draft("broken_links_up", f"broken_links:{entity}", "broken internal links", url,
                            str(before.broken_links), str(after.broken_links),
                            Decimal(after.broken_links - before.broken_links), severity="low"))
    return drafts


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """What the site audit compares between two runs of a source."""

    robots_hash: str | None
    robots_rules: tuple[str, ...]
    sitemap_urls: int | None
    broken_links: int
