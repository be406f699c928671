"""Where a competitor's price stands against ours on a matched product, night over night: `undercut` (their price
was at or above ours and is now below it) and `price_gap_changed` (the gap, their price against ours in percent,
moved by at least `Rules.price_gap_points` percentage points). Written after the run's matches
(storage/matching.py), as changes of the competitor, so that the digest tells them as events of its prices.

A gap is compared only where both prices are known in the same currency on both nights, and ours is above zero:
a product newly matched, or priced for the first time, has no gap to move.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Engine, delete, text

from storage import models
from storage.compare import Draft, Rules
from storage.db import session_scope
from storage.runs import GOOD_RUNS
from storage.writer import insert_for

KINDS = ("undercut", "price_gap_changed")
GOOD = "(" + ", ".join(f"'{status}'" for status in GOOD_RUNS) + ")"  # as SQL: runs whose readings count
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Quote:
    price: Decimal
    currency: str | None


@dataclass(frozen=True, slots=True)
class MatchedPrices:
    """One of our products and a competitor's matched product, each priced now and on the night before."""

    entity: str  # theirs, as the change names it: "price_gap:SLUG:KEY" (unique across competitors, stable across databases)
    name: str | None
    url: str | None
    our_name: str | None
    ours: Quote | None
    ours_before: Quote | None
    theirs: Quote | None
    theirs_before: Quote | None


def gap_pct(ours: Quote, theirs: Quote) -> Decimal:
    """Their price against ours in percent: −4.00 = 4 % cheaper than ours."""
    return ((theirs.price - ours.price) * 100 / ours.price).quantize(CENT, rounding=ROUND_HALF_UP)


def gap_drafts(pair: MatchedPrices, rules: Rules = Rules()) -> list[Draft]:
    """The change of one matched pair from the night before to now: an undercut, a moved gap, or none."""
    quotes = (pair.ours, pair.ours_before, pair.theirs, pair.theirs_before)
    if any(q is None for q in quotes) or len({q.currency for q in quotes}) != 1:
        return []
    ours, ours_before, theirs, theirs_before = quotes
    if ours.price <= 0 or ours_before.price <= 0:
        return []
    now, before = gap_pct(ours, theirs), gap_pct(ours_before, theirs_before)
    evidence = {"our_product": pair.our_name, "our_price": _money(ours), "our_price_before": _money(ours_before),
                "gap_pct": str(now), "gap_pct_before": str(before)}
    common = {"entity": pair.entity, "title": pair.name, "url": pair.url,
              "before": _money(theirs_before), "after": _money(theirs)}
    if theirs.price < ours.price and theirs_before.price >= ours_before.price:
        return [Draft("undercut", magnitude=now, severity="high", evidence={"rule": "undercut", **evidence},
                      **common)]
    if abs(now - before) >= rules.price_gap_points:
        return [Draft("price_gap_changed", magnitude=now - before, severity="medium" if now < before else "low",
                      evidence={"rule": "price_gap_changed", **evidence}, **common)]
    return []


def _money(quote: Quote) -> str:
    return f"{quote.price} {quote.currency}" if quote.currency else str(quote.price)


# the newest good reading of each product up to run :upto (run :run counts while it is being compared, before it
# has its status); storage/matching.py lists the products to match from it too
READINGS = f"""
SELECT po.product_id, po.price, po.currency, po.run_id FROM price_observation po
WHERE po.id = (
    SELECT po2.id FROM price_observation po2 JOIN crawl_run r2 ON r2.id = po2.run_id
    WHERE po2.product_id = po.product_id AND r2.id <= :upto
      AND (r2.id = :run OR r2.status IN {GOOD})
    ORDER BY po2.run_id DESC, po2.id ASC LIMIT 1)
"""

# each matched pair of one of our products and a competitor's, as `ours` and `theirs` (`c`: their competitor);
# storage/reporting.py reads the report's tables through it too
PAIRS_WITH_OURS = """
FROM product_match m
JOIN product p1 ON p1.id = m.product_id JOIN competitor c1 ON c1.id = p1.competitor_id
JOIN product p2 ON p2.id = m.matched_product_id JOIN competitor c2 ON c2.id = p2.competitor_id
JOIN product ours ON ours.id = CASE WHEN c1.own THEN p1.id ELSE p2.id END
JOIN product theirs ON theirs.id = CASE WHEN c1.own THEN p2.id ELSE p1.id END
JOIN competitor c ON c.id = theirs.competitor_id
"""
OUR_MATCHES = text(f"""
SELECT ours.id AS our_id, ours.name AS our_name, theirs.id AS their_id, theirs.name, theirs.url,
       theirs.competitor_id, theirs.key, c.slug
{PAIRS_WITH_OURS}
WHERE c1.own <> c2.own
ORDER BY ours.id, theirs.id
""")


def record_price_gaps(engine: Engine, run_id: int, rules: Rules = Rules()) -> int:
    """The run's undercuts and moved gaps against our own shop (`own: true`), as changes; returns how many.
    Idempotent: a second call replaces the run's changes of these kinds."""
    with session_scope(engine) as session:
        session.execute(delete(models.Change).where(models.Change.run_id == run_id,
                                                    models.Change.kind.in_(KINDS)))
        matched = session.execute(OUR_MATCHES).all()
        if not matched:
            return 0
        now = prices_at(session, run_id, run_id)
        before = prices_at(session, -1, run_id - 1)
        drafts: dict[int, tuple[int, Draft]] = {}  # their product -> (competitor, its change): one per product
        for row in matched:
            pair = MatchedPrices(f"price_gap:{row.slug}:{row.key}", row.name, row.url, row.our_name,
                                 now.get(row.our_id), before.get(row.our_id), now.get(row.their_id),
                                 before.get(row.their_id))
            for draft in gap_drafts(pair, rules):
                held = drafts.get(row.their_id)
                if held is None or (draft.kind, held[1].kind) == ("undercut", "price_gap_changed"):
                    drafts[row.their_id] = (row.competitor_id, draft)
        rows = [{"run_id": run_id, "competitor_id": competitor_id, "source_id": None, "kind": d.kind,
                 "entity": d.entity, "title": d.title, "url": d.url, "before": d.before, "after": d.after,
                 "magnitude": d.magnitude, "severity": d.severity, "uncertain": False, "evidence": d.evidence}
                for competitor_id, d in drafts.values()]
        if rows:
            session.execute(insert_for(session.get_bind(), models.Change.__table__)
                            .on_conflict_do_nothing(index_elements=["run_id", "competitor_id", "kind", "entity"]),
                            rows)
        return len(rows)


def prices_at(session, run_id: int, upto: int) -> dict[int, Quote]:
    """product id -> its newest good reading's price up to run `upto` (`run_id`: a run counted whatever its
    status); a product whose newest reading has no price has none."""
    return {row.product_id: Quote(Decimal(row.price).quantize(CENT), row.currency)
            for row in session.execute(text(READINGS), {"run": run_id, "upto": upto}) if row.price is not None}
