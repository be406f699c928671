"""The same product across competitors: after each run, the listed products of every competitor are matched with
those of the others (extractors.blocking picks the pairs, extractors.matching scores them), and `product_match` is
written anew: the pairs scoring at least MATCH_THRESHOLD and every pair the analyst confirmed, never one they
rejected (`match_decision`, kept across runs). Pairs are grouped (a group is the products joined by matches), so
that three shops selling one product are one group.

Where the catalogs give enough pairs that shop identifiers decide (the same or two different GTINs, the same part
number) and the analyst decided, at least MIN_CLASS matches and MIN_CLASS non-matches, a similarity is learned from
them on this run (extractors.similarity) and decides the pairs no identifier decides (method `learned` where no
model number is shared either); else the rules' score does. Nothing learned is kept: the next run learns again from
what its catalogs say.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import combinations

from sqlalchemy import Engine, delete, or_, select, text

from dossier.urls import canonical_key
from extractors.blocking import candidate_pairs
from extractors.matching import CODE_SHARED, Offer, identified, match_score
from extractors.similarity import MIN_CLASS, SimilarityModel
from storage import models
from storage.db import session_scope
from storage.price_gaps import GOOD, READINGS

log = logging.getLogger(__name__)

# a pair scoring this or more is taken for one product: a shared model number is, unless the brands or the prices
# say otherwise (extractors.matching; benchmarks/matching.py chose 0.47 to 0.72 on the public sets' valid splits)
MATCH_THRESHOLD = CODE_SHARED
DECISIONS = ("confirmed", "rejected")


# a pair the rules score under this is not worth the learned model's time (no labelled match of the public sets'
# valid splits scores under it, benchmarks/matching.py)
LEARNED_FLOOR = 0.1
MAX_TRAINING = 20_000  # labelled pairs the model learns from at most (evenly spread over them)


@dataclass(frozen=True, slots=True)
class Listed:
    product_id: int
    competitor_id: int
    record: dict  # as extractors.matching and extractors.similarity read an offer
    offer: Offer


# every product listed at run :run: its newest good price reading (the run's own counts while it is compared) and
# not removed since (a `product_removed` of a later good run or of this one)
LISTED = text(f"""
SELECT r.product_id, p.competitor_id, p.name AS product, p.brand, p.category, p.gtin, p.mpn, r.price, r.currency
FROM ({READINGS}) r JOIN product p ON p.id = r.product_id
WHERE NOT EXISTS (
    SELECT 1 FROM change ch JOIN crawl_run rc ON rc.id = ch.run_id
    WHERE ch.kind = 'product_removed' AND ch.competitor_id = p.competitor_id AND ch.entity = 'product:' || p.key
      AND ch.run_id > r.run_id AND (rc.id = :run OR rc.status IN {GOOD}))
""")
LATEST = 2**62  # run :upto when listing now, after every run


def _listed(session, run_id: int | None) -> list[Listed]:
    listed = []
    for row in session.execute(LISTED, {"run": -1 if run_id is None else run_id, "upto": LATEST}):
        record = {"title": row.product, "brand": row.brand, "gtin": row.gtin, "mpn": row.mpn,
                  "category": row.category, "price": row.price, "currency": row.currency}
        listed.append(Listed(row.product_id, row.competitor_id, record, Offer.of(record)))
    return listed


def record_matches(engine: Engine, run_id: int | None, threshold: float = MATCH_THRESHOLD) -> int:
    """Match the listed products of every two competitors and write `product_match` anew; returns its pairs."""
    with session_scope(engine) as session:
        products = _listed(session, run_id)
        by_competitor: dict[int, list[Listed]] = defaultdict(list)
        for product in products:
            by_competitor[product.competitor_id].append(product)
        candidates: list[tuple[Listed, Listed, float, bool | None]] = []  # with what identifiers say of the pair
        for first, second in combinations(sorted(by_competitor), 2):
            left, right = by_competitor[first], by_competitor[second]
            for i, j in candidate_pairs([p.offer for p in left], [p.offer for p in right]):
                a, b = left[i], right[j]
                candidates.append((a, b, match_score(a.offer, b.offer), identified(a.offer, b.offer)))
        model = _learned(session, products, candidates, run_id)
        undecided = [(a, b) for a, b, score, said in candidates
                     if model is not None and said is None and score >= LEARNED_FLOOR]
        learned = dict(zip(((a.product_id, b.product_id) for a, b in undecided),
                           model.predict([(a.record, b.record) for a, b in undecided]) if undecided else []))
        pairs: dict[tuple[int, int], tuple[float, str, int | None]] = {}
        for a, b, score, said in candidates:
            method = method_of(a.offer, b.offer)
            if model is not None and said is None:
                score = learned.get((a.product_id, b.product_id), 0.0)
                matched, method = score >= model.threshold, "learned" if method == "similarity" else method
            else:
                matched = score >= threshold
            if matched:
                pairs[(min(a.product_id, b.product_id), max(a.product_id, b.product_id))] = (score, method, run_id)
        written = _write(session, pairs, {p.product_id for p in products}, run_id)
    log.info("run %s: %d product matches", run_id, written)
    return written


def _learned(session, products: list[Listed], candidates: list[tuple[Listed, Listed, float, bool | None]],
             run_id: int | None) -> SimilarityModel | None:
    """The similarity learned from this run's labelled pairs (identifiers and the analyst's decisions), its
    threshold calibrated on half of them while the other half trains; None when they are too few."""
    labelled: dict[tuple[int, int], tuple[Listed, Listed, bool]] = {}
    for a, b, _, said in candidates:
        if said is not None:
            labelled[(min(a.product_id, b.product_id), max(a.product_id, b.product_id))] = (a, b, said)
    by_id = {p.product_id: p for p in products}
    for row in session.scalars(select(models.MatchDecision)):
        if row.product_id in by_id and row.matched_product_id in by_id:
            labelled[(row.product_id, row.matched_product_id)] = (
                by_id[row.product_id], by_id[row.matched_product_id], row.decision == "confirmed")
    rows = [labelled[key] for key in sorted(labelled)]
    rows = rows[::max(1, -(-len(rows) // MAX_TRAINING))]
    matches = sum(1 for *_, said in rows if said)
    if matches < MIN_CLASS or len(rows) - matches < MIN_CLASS:
        log.info("run %s: matching by rules: %d pairs decided by identifiers or the analyst (%d matches); a "
                 "learned similarity needs %d matches and %d non-matches", run_id, len(rows), matches, MIN_CLASS,
                 MIN_CLASS)
        return None
    pairs, labels = [(a.record, b.record) for a, b, _ in rows], [int(said) for *_, said in rows]
    texts = [p.record for p in products]
    threshold = 0.5
    halves = [[i for i in range(len(rows)) if i % 2 == part] for part in (0, 1)]
    if all(sum(labels[i] for i in half) >= MIN_CLASS and len(half) - sum(labels[i] for i in half) >= MIN_CLASS
           for half in halves):
        trained = SimilarityModel().fit([pairs[i] for i in halves[0]], [labels[i] for i in halves[0]], texts)
        threshold = trained.calibrate([pairs[i] for i in halves[1]], [labels[i] for i in halves[1]])
    model = SimilarityModel().fit(pairs, labels, texts)
    model.threshold = threshold
    log.info("run %s: matching learned from %d pairs decided by identifiers or the analyst (%d matches), "
             "threshold %.3f", run_id, len(rows), matches, threshold)
    return model


def _write(session, pairs: dict[tuple[int, int], tuple[float, str, int | None]], listed: set[int],
           run_id: int | None) -> int:
    """`product_match` anew from scored pairs and the analyst's decisions: a rejected pair is never in, a confirmed
    pair of two listed products always is; grouped. Returns the pairs written."""
    for row in session.scalars(select(models.MatchDecision)):
        key = (row.product_id, row.matched_product_id)
        if row.decision == "rejected":
            pairs.pop(key, None)
        elif key[0] in listed and key[1] in listed:
            pairs[key] = (1.0, "confirmed", run_id)
    groups = _groups(pairs)
    session.execute(delete(models.ProductMatch))
    session.add_all(models.ProductMatch(product_id=a, matched_product_id=b, group_id=groups[a], confidence=score,
                                        method=method, run_id=found_by)
                    for (a, b), (score, method, found_by) in sorted(pairs.items()))
    return len(pairs)


def method_of(a: Offer, b: Offer) -> str:
    """What decided the pair: the identifier or evidence the score rests on."""
    if a.gtin and a.gtin == b.gtin:
        return "gtin"
    if a.mpn and a.mpn == b.mpn:
        return "mpn"
    if a.codes & b.codes:
        return "model_number"
    return "similarity"


def decide(engine: Engine, product_id: int, other_id: int, decision: str) -> None:
    """The analyst's word on a pair, kept across runs and applied to `product_match` at once (no scoring again:
    the pairs stored stay, the decided one joins or leaves them)."""
    with session_scope(engine) as session:
        _store_decision(session, product_id, other_id, decision)
        pairs = {(m.product_id, m.matched_product_id): (m.confidence, m.method, m.run_id)
                 for m in session.scalars(select(models.ProductMatch)) if m.method != "confirmed"}
        listed = session.execute(LISTED, {"run": -1, "upto": LATEST}).scalars()  # ids only: nothing to compare
        _write(session, pairs, set(listed), None)


def _store_decision(session, product_id: int, other_id: int, decision: str) -> None:
    if decision not in DECISIONS:
        raise ValueError(decision)
    key = (min(product_id, other_id), max(product_id, other_id))
    row = session.scalar(select(models.MatchDecision).where(
        models.MatchDecision.product_id == key[0], models.MatchDecision.matched_product_id == key[1]))
    if row is None:
        session.add(models.MatchDecision(product_id=key[0], matched_product_id=key[1], decision=decision))
    elif row.decision != decision:
        row.decision, row.decided_at = decision, datetime.now(timezone.utc)
    session.flush()


def product_by_reference(session, reference: str) -> int | None:
    """The id of the product `SLUG:KEY` names (its key as stored, or its SKU), or None."""
    slug, _, key = reference.partition(":")
    return session.scalar(
        select(models.Product.id).join(models.Competitor, models.Competitor.id == models.Product.competitor_id)
        .where(models.Competitor.slug == slug, or_(models.Product.key == canonical_key(key), models.Product.sku == key))
        .order_by(models.Product.id).limit(1))


def apply_decisions(engine: Engine, decisions: list[tuple[str, str, str]]) -> list[str]:
    """Store the config's decisions (`matches:`, pairs of `SLUG:KEY`) as `dossier match` does; returns the
    references that name no stored product yet (their pair is stored by the first run that lists both)."""
    unknown: list[str] = []
    with session_scope(engine) as session:
        for first, second, decision in decisions:
            ids = [product_by_reference(session, reference) for reference in (first, second)]
            missing = [reference for reference, found in zip((first, second), ids) if found is None]
            if missing:
                unknown += missing
            else:
                _store_decision(session, ids[0], ids[1], decision)
    return unknown


def _groups(pairs) -> dict[int, int]:
    """product id -> its group's id (the smallest product id joined to it by matches)."""
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: root(node) for node in list(parent)}


@dataclass(frozen=True, slots=True)
class MatchView:
    group_id: int
    product_id: int
    competitor: str
    product_key: str
    product: str | None
    price: object
    currency: str | None
    matched_product_id: int
    matched_competitor: str
    matched_product_key: str
    matched_product: str | None
    matched_price: object
    matched_currency: str | None
    confidence: float
    method: str


MATCHES = text("""
SELECT m.group_id, m.product_id, c1.slug AS competitor, p1.key AS product_key, p1.name AS product, l1.price,
       l1.currency, m.matched_product_id, c2.slug AS matched_competitor, p2.key AS matched_product_key,
       p2.name AS matched_product, l2.price AS matched_price,
       l2.currency AS matched_currency, m.confidence, m.method
FROM product_match m
JOIN product p1 ON p1.id = m.product_id JOIN competitor c1 ON c1.id = p1.competitor_id
JOIN product p2 ON p2.id = m.matched_product_id JOIN competitor c2 ON c2.id = p2.competitor_id
LEFT JOIN latest_prices l1 ON l1.product_id = m.product_id
LEFT JOIN latest_prices l2 ON l2.product_id = m.matched_product_id
ORDER BY m.group_id, m.product_id, m.matched_product_id
""")


def list_matches(engine: Engine, competitor: str | None = None) -> list[MatchView]:
    """The matched pairs, by group (`competitor`: pairs with one of its products)."""
    with session_scope(engine) as session:
        rows = [MatchView(**row._mapping) for row in session.execute(MATCHES)]
    return [row for row in rows if competitor in (None, row.competitor, row.matched_competitor)]


def product_competitors(engine: Engine, product_ids: list[int]) -> dict[int, str]:
    """product id -> its competitor's slug, for the products that exist."""
    with session_scope(engine) as session:
        return dict(session.execute(select(models.Product.id, models.Competitor.slug)
                                    .join(models.Competitor, models.Competitor.id == models.Product.competitor_id)
                                    .where(models.Product.id.in_(product_ids))).all())
