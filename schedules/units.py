"""What a change's magnitude measures, kind by kind, and how it is written with its unit (the Δ of `dossier
changes` and the measure of the digest): '+7.70 %', '−0.90 ★', '+3 links'."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MINUS = "\u2212"  # a true minus sign: a hyphen reads as a dash in a table and a mail

# The unit of each kind that sets change.magnitude (storage/compare.py); every other kind leaves it empty.
PERCENT_KINDS = frozenset({"price_up", "price_down", "price_anomaly",  # percent(old price, new price)
                           "sitemap_grew",                              # percent(URLs before, URLs after)
                           "undercut"})                                 # percent(our price, their price)
POINT_KINDS = frozenset({"price_gap_changed"})  # the gap to our price now minus before, in percentage points
GAP_KINDS = frozenset({"undercut", "price_gap_changed"})
STAR_KINDS = frozenset({"review_new", "review_negative"})  # the review's own stars (review_negative: the digest's)
STAR_CHANGE_KINDS = frozenset({"rating_changed"})  # new aggregate rating minus the old one, in stars
COUNT_KINDS = {"broken_links_up": ("link", "links")}  # broken internal links after minus before
MEASURED_KINDS = PERCENT_KINDS | POINT_KINDS | STAR_KINDS | STAR_CHANGE_KINDS | frozenset(COUNT_KINDS)


def _cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def signed(value: Decimal) -> str:
    """A number with two decimals, its sign always shown, a true minus: '+0.30', '−0.40', '0.00'."""
    value = _cents(value)
    return f"+{value}" if value > 0 else f"{MINUS}{-value}" if value < 0 else "0.00"


def format_percent(value: Decimal) -> str:
    """A signed percent with two decimals and a true minus sign: '+4.70 %', '−5.28 %', '0.00 %'."""
    return f"{signed(value)} %"


def _plain(value: Decimal) -> str:
    """A number without trailing zeros or exponent: Decimal('4.50') → '4.5', Decimal('3.00') → '3'."""
    return f"{Decimal(value).normalize():f}"


def format_delta(kind: str, magnitude: Decimal | None) -> str:
    """A change's magnitude with the unit its kind gives it: '+7.70 %' (a price or a sitemap), '4.5 ★' (a new
    review's stars), '−0.90 ★' (a rating moved), '+3 links' (more broken links); '' without a magnitude.

    A kind this version does not know (stored by a newer one) shows the bare signed number: its unit is unknown."""
    if magnitude is None:
        return ""
    value = Decimal(magnitude)
    if kind in GAP_KINDS:  # their price against ours, not a move of their price
        return f"{format_percent(value)} vs ours" if kind in PERCENT_KINDS else f"{signed(value)} pp vs ours"
    if kind in PERCENT_KINDS:
        return format_percent(value)
    if kind in STAR_KINDS:
        return f"{_plain(value)} ★"
    if kind in STAR_CHANGE_KINDS:
        return f"{signed(value)} ★"
    if kind in COUNT_KINDS:
        one, many = COUNT_KINDS[kind]
        sign = "+" if value > 0 else MINUS if value < 0 else ""
        return f"{sign}{_plain(abs(value))} {one if abs(value) == 1 else many}"
    return signed(value)
