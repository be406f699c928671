"""The diff job: compare each source of a run with its own last successful crawl and record the changes."""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, and_, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from storage import models
from storage.compare import (
    ROTATION_WINDOW, TEXT_FIELDS, Draft, PriceSeen, Rules, clean_text, compare_pages, compare_rating, compare_sets,
    parse_money, product_drafts, review_draft, rotation,
)
from dossier.outcomes import FetchOutcome
from dossier.urls import canonical_url, is_url_key
from storage.db import session_scope
from storage.diff_checklist import checklist_drafts
from storage.runs import GOOD_RUNS, good_crawls
from storage.writer import insert_for

log = logging.getLogger(__name__)


def baseline_run(session: Session, source_id: int, run_id: int) -> int | None:
    """The newest earlier run in which this source was crawled successfully (never a failed or running run)."""
    return session.scalar(good_crawls(source_id, run_id, func.max(models.SourceCrawl.run_id)))


def diff_run(engine: Engine, run_id: int, rules: Rules = Rules()) -> int:
    """Record the changes of `run_id`; returns how many were new. Idempotent: a second call adds nothing."""
    with session_scope(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            # the night's rows were just written: without fresh statistics the planner takes the anti-joins
            # below for one-row loops, and a diff of 10,000 products takes a minute instead of a second
            session.execute(text("ANALYZE price_observation, product, page_snapshot"))
        drafts: list[tuple[models.Source, Draft]] = []
        crawls = session.execute(select(models.SourceCrawl, models.Source)
                                 .join(models.Source, models.Source.id == models.SourceCrawl.source_id)
                                 .where(models.SourceCrawl.run_id == run_id)).all()
        for crawl, source in crawls:
            drafts += [(source, d) for d in _diff_source(session, run_id, crawl, source, rules)]
        if not drafts:
            return 0
        rows = [{"run_id": run_id, "competitor_id": source.competitor_id, "source_id": source.id,
                 "kind": d.kind, "entity": d.entity[:700], "title": d.title, "url": d.url, "before": d.before,
                 "after": d.after, "magnitude": d.magnitude, "severity": d.severity, "uncertain": d.uncertain,
                 "evidence": d.evidence}
                for source, d in drafts]
        # two sources of a competitor may see the same product change
        unique = {(r["competitor_id"], r["kind"], r["entity"]): r for r in rows}
        before = session.scalar(select(func.count()).select_from(models.Change).where(models.Change.run_id == run_id))
        session.execute(insert_for(session.get_bind(), models.Change.__table__)
                        .on_conflict_do_nothing(index_elements=["run_id", "competitor_id", "kind", "entity"]),
                        list(unique.values()))
        after = session.scalar(select(func.count()).select_from(models.Change).where(models.Change.run_id == run_id))
        return after - before


def _diff_source(session: Session, run_id: int, crawl: models.SourceCrawl, source: models.Source,
                 rules: Rules) -> list[Draft]:
    entity = f"source:{source.id}"
    # failed (coverage below the floor included: storage.runs.record_source_outcomes judged it), or skipped
    # (robots.txt unreachable: not asked, RFC 9309)
    if crawl.status != "succeeded":
        severity = "medium" if crawl.status == "skipped" else "high"
        return [Draft("source_unreachable", entity, source.url, source.url, None, crawl.reason, severity=severity)]
    base = baseline_run(session, source.id, run_id)
    if base is None:
        return []  # the first good crawl of a source is its baseline, not a wave of additions
    unseen = _failed_urls(session, run_id, source.id)
    ignore = [re.compile(p) for p in (source.config or {}).get("ignore", [])]
    complete = _complete(session, run_id, source, crawl.pages)
    drafts = _product_drafts(session, run_id, source, complete, unseen, rules)
    before_pages, after_pages = _pages(session, base, source.id), _pages(session, run_id, source.id)
    before_pages.update(_pages_back(session, run_id, source, before_pages, after_pages))
    drafts += _rotations(session, run_id, source, ignore, after_pages,
                         compare_pages(before_pages, after_pages, unseen, complete, ignore,
                                       _item_pages(session, run_id, source)))
    drafts += compare_sets("technology_added", "technology_removed", "technology",
                           _technologies(session, base, source.id), _technologies(session, run_id, source.id),
                           source.url)
    drafts += compare_sets("ad_new", "ad_stopped", "ad", _active_ads(session, base, source.id),
                           _active_ads(session, run_id, source.id), source.url, severity="medium")
    drafts += _review_drafts(session, run_id, source, rules)
    drafts += compare_rating(_rating(session, base, source.id), _rating(session, run_id, source.id),
                             f"rating:{source.id}", f"rating on {source_name(source)}", source.url)
    drafts += checklist_drafts(session, run_id, base, source, complete, unseen, rules)
    return drafts


def _failed_urls(session: Session, run_id: int, source_id: int) -> set[str]:
    rows = session.execute(select(models.Fetch.url, models.Fetch.outcome).where(
        models.Fetch.run_id == run_id, models.Fetch.source_id == source_id))
    return {url for url, outcome in rows if FetchOutcome(outcome).is_failure}


def _complete(session: Session, run_id: int, source: models.Source, pages: int) -> bool:
    """Whether the source's crawl in this run reached every page it found (not cut by max_pages).

    The crawl says so in crawl_run.stats (`cut_by_max_pages`); without that report, a crawl that read
    max_pages pages counts as cut."""
    stats = session.scalar(select(models.CrawlRun.stats).where(models.CrawlRun.id == run_id)) or {}
    report = (stats.get("sources") or {}).get(str(source.id)) or {}
    if "cut_by_max_pages" in report:
        return not report["cut_by_max_pages"]
    max_pages = (source.config or {}).get("max_pages")
    return not max_pages or pages < max_pages


def _history(session: Session, run_id: int, source: models.Source, wanted: int) -> tuple[list[int], list[int]]:
    """The source's good crawls before `run_id`, newest first, back to its `wanted`-th complete one (or all):
    (the runs, the complete ones among them)."""
    rows = session.execute(good_crawls(source.id, run_id, models.SourceCrawl.run_id, models.SourceCrawl.pages)
                           .order_by(models.SourceCrawl.run_id.desc()))
    runs: list[int] = []
    complete: list[int] = []
    for earlier, pages in rows:
        runs.append(earlier)
        if _complete(session, earlier, source, pages):
            complete.append(earlier)
            if len(complete) == wanted:
                break
    return runs, complete


def _product_drafts(session: Session, run_id: int, source: models.Source, complete: bool, unseen: set[str],
                    rules: Rules) -> list[Draft]:
    """Prices, stock and assortment, compared in the database: three set-based queries per source, whose
    (few) rows Python then turns into drafts.

    - changed: this run's observations joined to the baseline's where price, currency or stock differ;
    - added: observed now and in none of the source's good crawls back to its K-th complete one
      (K = rules.removed_after_runs), so a product that blinked out of one crawl is not "added" again;
    - missing: last seen before the (K-1)-th previous complete crawl and not since, when this crawl is
      complete too: K consecutive complete crawls without it, reported once.
    """
    wanted = max(1, rules.removed_after_runs)
    runs, complete_runs = _history(session, run_id, source, wanted)
    if not runs:
        return []
    cur, old = aliased(models.PriceObservation), aliased(models.PriceObservation)
    product = models.Product
    label = (product.key, product.name, product.url)
    changed_rows = session.execute(
        select(*label, *_seen_columns(old), *_seen_columns(cur))
        .select_from(cur).join(product, product.id == cur.product_id)
        .join(old, and_(old.product_id == cur.product_id, old.run_id == runs[0], old.source_id == source.id))
        .where(cur.run_id == run_id, cur.source_id == source.id,
               or_(old.price.is_distinct_from(cur.price), old.currency.is_distinct_from(cur.currency),
                   old.availability.is_distinct_from(cur.availability))))
    changed = [_seen_pair(row) for row in changed_rows]
    held = _held_prices(session, runs[0], source)
    if held:  # compared with the price trusted before the anomaly, even when unchanged since the baseline
        changed = [pair for pair in changed if pair[0].key not in held]
        held_rows = session.execute(
            select(*label, *_seen_columns(old), *_seen_columns(cur))
            .select_from(cur).join(product, product.id == cur.product_id)
            .join(old, and_(old.product_id == cur.product_id, old.run_id == runs[0], old.source_id == source.id))
            .where(cur.run_id == run_id, cur.source_id == source.id, product.key.in_(list(held))))
        changed += [_seen_pair(row) for row in held_rows]
    window = runs if len(complete_runs) < wanted else [r for r in runs if r >= complete_runs[-1]]
    added_rows = session.execute(
        select(cur.product_id, *label, *_seen_columns(cur))
        .select_from(cur).join(product, product.id == cur.product_id)
        .where(cur.run_id == run_id, cur.source_id == source.id,
               ~exists().where(old.product_id == cur.product_id, old.source_id == source.id,
                               old.run_id.in_(window)))).all()
    back = _products_back(session, run_id, source, {row[0]: row[1] for row in added_rows})
    added = []
    for product_id, *row in added_rows:
        now = PriceSeen(*row)
        if product_id in back:  # missed by a crawl or two (a failed page, a cut crawl), never reported removed
            changed.append((back[product_id], now))
        else:
            added.append(now)
    missing: dict[str, PriceSeen] = {}
    if complete and len(complete_runs) >= wanted:
        since = run_id if wanted == 1 else complete_runs[wanted - 2]  # the first of the K crawls without it
        presence = [r for r in runs if complete_runs[wanted - 1] <= r < since]
        # the runs since, as a list: a range on run_id would make SQLite scan the source's whole history per row
        recent = list(session.scalars(select(models.CrawlRun.id).where(models.CrawlRun.id >= since,
                                                                       models.CrawlRun.id <= run_id)))
        missing_rows = session.execute(
            select(*label, *_seen_columns(old))
            .select_from(old).join(product, product.id == old.product_id)
            .where(old.source_id == source.id, old.run_id.in_(presence),
                   ~exists().where(cur.product_id == old.product_id, cur.source_id == source.id,
                                   cur.run_id.in_(recent)))
            .order_by(old.run_id.desc()))
        for row in missing_rows:
            missing.setdefault(row.key, PriceSeen(*row))  # its last sighting
    def identified_urls() -> set[str]:
        """The canonical URLs of the products with an identifier (not keyed by URL) this source read tonight."""
        rows = session.execute(select(product.key, product.url).select_from(cur)
                               .join(product, product.id == cur.product_id)
                               .where(cur.run_id == run_id, cur.source_id == source.id))
        return {canonical_url(url) for key, url in rows if url and not is_url_key(key)}

    return product_drafts(changed, added, list(missing.values()), unseen, complete, rules, held, identified_urls)


def _seen_columns(observation: Any) -> tuple[Any, ...]:
    """A price observation's columns in PriceSeen's order after (key, name, url)."""
    return (observation.price, observation.currency, observation.availability, observation.url,
            observation.price_source, observation.price_confidence)


def _seen_pair(row: Any) -> tuple[PriceSeen, PriceSeen]:
    """(baseline, tonight) of a row `select(*label, *_seen_columns(old), *_seen_columns(cur))`."""
    width = 6
    return PriceSeen(*row[:3], *row[3:3 + width]), PriceSeen(*row[:3], *row[3 + width:3 + 2 * width])


def _held_prices(session: Session, baseline: int, source: models.Source) -> dict[str, tuple[Decimal, str | None]]:
    """Products whose price the baseline run held back as a `price_anomaly` (product key -> the price trusted
    before it, from the change row): tonight they are compared with that price, not with the held one."""
    rows = session.execute(select(models.Change.entity, models.Change.before).where(
        models.Change.run_id == baseline, models.Change.source_id == source.id,
        models.Change.kind == "price_anomaly"))
    held = {}
    for entity, before in rows:
        trusted = parse_money(before)
        if trusted is not None:
            held[entity.removeprefix("product:")] = trusted
    return held


def _removed_since(session: Session, run_id: int, source_id: int, kind: str,
                   last_seen: dict[str, int]) -> set[str]:
    """The entities among `last_seen` (entity -> the run it was last seen in) reported `kind` (product_removed,
    page_removed) by this source after that run: those that come back are new again."""
    if not last_seen:
        return set()
    rows = session.execute(select(models.Change.entity, models.Change.run_id).where(
        models.Change.source_id == source_id, models.Change.kind == kind, models.Change.run_id < run_id,
        models.Change.entity.in_(list(last_seen))))
    return {entity for entity, removed_in in rows if removed_in > last_seen[entity]}


def _products_back(session: Session, run_id: int, source: models.Source,
                   candidates: dict[int, str]) -> dict[int, PriceSeen]:
    """Products seemingly new (`candidates`: product id -> key) that the source did see in an earlier good crawl
    and never reported removed: a faulty night missed their page (a timeout, a reset, a cut crawl), so they
    are not added when they come back, but compared with their last sighting (product id -> it)."""
    if not candidates:
        return {}
    old = aliased(models.PriceObservation)
    product = models.Product
    rows = session.execute(
        select(old.product_id, old.run_id, product.key, product.name, product.url, *_seen_columns(old))
        .join(product, product.id == old.product_id)
        .where(old.source_id == source.id, old.product_id.in_(list(candidates)),
               old.run_id.in_(good_crawls(source.id, run_id)))
        .order_by(old.run_id.desc()))
    last: dict[int, tuple[int, PriceSeen]] = {}
    for product_id, seen_in, *seen in rows:
        last.setdefault(product_id, (seen_in, PriceSeen(*seen)))
    removed = _removed_since(session, run_id, source.id, "product_removed",
                             {f"product:{candidates[pid]}": seen_in for pid, (seen_in, _) in last.items()})
    return {pid: seen for pid, (_, seen) in last.items() if f"product:{candidates[pid]}" not in removed}


def _pages_back(session: Session, run_id: int, source: models.Source, before: dict[str, dict[str, str | None]],
                after: dict[str, dict[str, str | None]]) -> dict[str, dict[str, str | None]]:
    """Pages of this crawl missing from the baseline that an earlier good crawl read and that were never reported
    removed (the baseline's fetch of them failed): their last snapshot, so they are compared, not added."""
    known = {canonical_url(url) for url in before}
    missing = [url for url in after if canonical_url(url) not in known]
    if not missing:
        return {}
    rows = session.execute(
        select(models.PageSnapshot.run_id, models.PageSnapshot.url, models.PageSnapshot.title,
               models.PageSnapshot.description, models.PageSnapshot.h1, models.PageSnapshot.main_text)
        .where(models.PageSnapshot.source_id == source.id, models.PageSnapshot.url.in_(missing),
               models.PageSnapshot.run_id.in_(good_crawls(source.id, run_id)))
        .order_by(models.PageSnapshot.run_id.desc()))
    last: dict[str, tuple[int, dict[str, str | None]]] = {}
    for seen_in, url, title, description, h1, main_text in rows:
        last.setdefault(url, (seen_in, {"title": title, "description": description, "h1": h1,
                                        "main_text": main_text}))
    removed = _removed_since(session, run_id, source.id, "page_removed",
                             {f"page:{canonical_url(url)}": seen_in for url, (seen_in, _) in last.items()})
    return {url: page for url, (_, page) in last.items() if f"page:{canonical_url(url)}" not in removed}


def _pages(session: Session, run_id: int, source_id: int) -> dict[str, dict[str, str | None]]:
    rows = session.execute(select(models.PageSnapshot).where(
        models.PageSnapshot.run_id == run_id, models.PageSnapshot.source_id == source_id)).scalars()
    return {p.url: {"title": p.title, "description": p.description, "h1": p.h1, "main_text": p.main_text} for p in rows}


def _item_pages(session: Session, run_id: int, source: models.Source) -> frozenset[str]:
    """This source's pages on which the competitor's products or reviews were read in this run (listings, or
    the items' own pages); found in the database, so a catalog of 100,000 products does not come to Python."""
    pages = select(models.PageSnapshot.url).where(models.PageSnapshot.run_id == run_id,
                                                  models.PageSnapshot.source_id == source.id)
    def observed(column):
        return (select(column).distinct().select_from(models.PriceObservation)
                .join(models.Product, models.Product.id == models.PriceObservation.product_id)
                .where(models.PriceObservation.run_id == run_id,
                       models.Product.competitor_id == source.competitor_id, column.in_(pages)))
    urls = set(session.scalars(observed(models.PriceObservation.url)))
    urls.update(session.scalars(observed(models.Product.url)))
    reviews = select(models.Review.url).join(
        models.ReviewObservation, models.ReviewObservation.review_id == models.Review.id).where(
        models.ReviewObservation.run_id == run_id, models.Review.competitor_id == source.competitor_id,
        models.Review.url.in_(pages))
    urls.update(url for (url,) in session.execute(reviews) if url)
    return frozenset(urls)


def _technologies(session: Session, run_id: int, source_id: int) -> dict[str, str | None]:
    rows = session.execute(select(models.TechnologyObservation.technology).where(
        models.TechnologyObservation.run_id == run_id, models.TechnologyObservation.source_id == source_id))
    return {name: name for (name,) in rows}


def _active_ads(session: Session, run_id: int, source_id: int) -> dict[str, str | None]:
    rows = session.execute(
        select(models.Ad.external_id, models.Ad.headline)
        .join(models.AdObservation, models.AdObservation.ad_id == models.Ad.id)
        .where(models.AdObservation.run_id == run_id, models.AdObservation.source_id == source_id,
               models.AdObservation.active.is_(True)))
    return {external_id: headline for external_id, headline in rows}


def _rating(session: Session, run_id: int, source_id: int) -> tuple[float | None, int | None] | None:
    row = session.execute(select(models.RatingSnapshot.average, models.RatingSnapshot.count).where(
        models.RatingSnapshot.run_id == run_id, models.RatingSnapshot.source_id == source_id)).first()
    return None if row is None else (row.average, row.count)


def _review_drafts(session: Session, run_id: int, source: models.Source, rules: Rules) -> list[Draft]:
    """Reviews this source shows now that no earlier good run saw (by any source). Not `first_seen_run_id`: a failed
    or killed run may have seen a review first, and its observations are never a baseline."""
    earlier = aliased(models.ReviewObservation)
    seen_before = (select(earlier.id).join(models.CrawlRun, models.CrawlRun.id == earlier.run_id)
                   .where(earlier.review_id == models.Review.id,
                          earlier.run_id < run_id, models.CrawlRun.status.in_(GOOD_RUNS)))
    rows = session.execute(
        select(models.Review)
        .join(models.ReviewObservation, and_(models.ReviewObservation.review_id == models.Review.id,
                                             models.ReviewObservation.run_id == run_id,
                                             models.ReviewObservation.source_id == source.id))
        .where(~exists(seen_before))).scalars()
    return [review_draft(r.external_id, r.author, r.rating, r.title, r.text, r.url, r.platform, rules,
                         source_name(source)) for r in rows]


def source_name(source: models.Source) -> str:
    """What changes call a source: its configured `name`, else its host."""
    return (source.config or {}).get("name") or urlsplit(source.url).hostname or source.url


def _rotations(session: Session, run_id: int, source: models.Source, ignore: list[re.Pattern[str]],
               after: dict[str, dict[str, str | None]], drafts: list[Draft]) -> list[Draft]:
    """Text changes checked for rotation (storage/compare.py, rotation()): a text that returns to an earlier
    version after flipping twice becomes one `text_rotating` change with the rule and its counters as evidence;
    while it keeps rotating between known versions within the window, once reported, it is not reported again."""
    texts = [d for d in drafts if d.kind == "text_changed"]
    if not texts:
        return drafts
    runs = list(session.scalars(good_crawls(source.id, run_id).order_by(models.SourceCrawl.run_id.desc())
                                .limit(ROTATION_WINDOW - 1)))
    if len(runs) < 2:
        return drafts
    urls = {d.entity.removeprefix("text:").rpartition("#")[0] for d in texts}
    # only the pages whose text changed tonight, as tonight spelled their URLs: not the site's every snapshot
    spelled = [url for url in after if canonical_url(url) in urls]
    snapshot = models.PageSnapshot
    history: dict[tuple[str, str], dict[int, str]] = {}
    rows = session.execute(select(snapshot.run_id, snapshot.url, *(getattr(snapshot, f) for f in TEXT_FIELDS))
                           .where(snapshot.source_id == source.id, snapshot.run_id.in_(runs),
                                  snapshot.url.in_(spelled)))
    for run, url, *texts_seen in rows:
        for field, value in zip(TEXT_FIELDS, texts_seen):
            history.setdefault((canonical_url(url), field), {}).setdefault(run, clean_text(value, ignore))
    now_by_url = {canonical_url(url): page for url, page in after.items()}
    reported = set(session.scalars(select(models.Change.entity).where(
        models.Change.source_id == source.id, models.Change.kind == "text_rotating",
        models.Change.run_id.in_(runs))))
    out = []
    for draft in drafts:
        if draft.kind != "text_changed":
            out.append(draft)
            continue
        url, _, field = draft.entity.removeprefix("text:").rpartition("#")
        seen = history.get((url, field), {})
        evidence = rotation([seen[r] for r in sorted(seen)],
                            clean_text((now_by_url.get(url) or {}).get(field), ignore))
        if evidence is None:
            out.append(draft)
        elif draft.entity not in reported:
            out.append(replace(draft, kind="text_rotating", severity="low", evidence=evidence))
    return out
