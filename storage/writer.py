"""The one writer a crawl stores through: buffered bulk upserts of a run's fetches and observations."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

from dossier.outcomes import FetchOutcome, http_outcome
from dossier.urls import canonical_key, canonical_url, is_url_key
from storage import models
from storage.db import refused

log = logging.getLogger(__name__)

FLUSH_EVERY = 500  # rows buffered per table before a bulk insert
# a product's details a listing's card may lack and its own page gives: a reading without one keeps the known one
FILLED_IN = ("sku", "brand", "category", "gtin", "mpn")


def insert_for(engine_or_dialect: Any, table: Any):
    """INSERT … ON CONFLICT for the engine's dialect (SQLite and PostgreSQL speak the same clause)."""
    name = getattr(getattr(engine_or_dialect, "dialect", engine_or_dialect), "name", engine_or_dialect)
    module = postgresql if name == "postgresql" else sqlite
    return module.insert(table)


def seen_span(connection: Any, statement: Any, table: Any) -> dict[str, Any]:
    """first_seen_run_id and last_seen_run_id of an upsert: the earliest and the latest of the stored and the new
    run, so that a run written out of order (an archived run, below every live one: storage/archive.py) widens
    the span instead of moving it."""
    least, greatest = (func.least, func.greatest) if connection.dialect.name == "postgresql" else (func.min, func.max)
    stored_first, stored_last = table.c.first_seen_run_id, table.c.last_seen_run_id
    new_first, new_last = statement.excluded.first_seen_run_id, statement.excluded.last_seen_run_id
    return {"first_seen_run_id": func.coalesce(least(stored_first, new_first), new_first),
            "last_seen_run_id": func.coalesce(greatest(stored_last, new_last), new_last)}


def _not_older(statement: Any, table: Any) -> Any:
    """The new reading comes from a run not older than the stored latest one."""
    return or_(table.c.last_seen_run_id.is_(None),
               statement.excluded.last_seen_run_id >= table.c.last_seen_run_id)


def _as_list(value: Any) -> list[Any]:
    return list(value) if value else []


class RunWriter:
    """Collects a run's rows and writes them in batches; `close()` writes the rest.

    Records come from the extractors (Product, ReviewPage, PageFacts, Technology, Ad): the writer reads their
    attributes and needs no import of them, so storage depends on no other layer.
    """

    def __init__(self, engine: Engine, run_id: int):
        self.engine = engine
        self.run_id = run_id
        self._fetches: list[dict[str, Any]] = []
        self._pages: list[dict[str, Any]] = []
        self._technologies: list[dict[str, Any]] = []
        self._products: list[tuple[int, int, Any, str | None]] = []
        self._reviews: list[tuple[int, int, str, Any, str | None]] = []
        self._ratings: list[dict[str, Any]] = []
        self._ads: list[tuple[int, int, str, Any]] = []
        self._jobs: list[dict[str, Any]] = []
        self._audits: list[dict[str, Any]] = []
        self._channels: list[dict[str, Any]] = []
        self._articles: list[dict[str, Any]] = []
        self._newsletters: list[dict[str, Any]] = []
        self._mentions: list[tuple[int, int, str, Any]] = []
        self._tenders: list[tuple[int, int, Any]] = []
        self._social: list[tuple[int, int, Any, list[Any]]] = []
        self._render_patterns: list[dict[str, Any]] = []

    # -- buffering ---------------------------------------------------------------------------------
    def record_fetch(self, source_id: int, url: str, status: int | None, error: str | None,
                     elapsed_ms: int | None, size: int | None, content_hash: str | None,
                     outcome: FetchOutcome | None = None) -> None:
        """A fetch row; `outcome` says how it ended (without it: what its status says, or `failed` for an error
        without an HTTP error status)."""
        if outcome is None:
            outcome = http_outcome(status) if error is None or (status or 0) >= 400 else FetchOutcome.FAILED
        self._fetches.append({"run_id": self.run_id, "source_id": source_id, "url": url, "status": status,
                              "error": error, "elapsed_ms": elapsed_ms, "bytes": size, "content_hash": content_hash,
                              "outcome": FetchOutcome(outcome).value})
        self._maybe_flush(self._fetches)

    def add_page(self, source_id: int, competitor_id: int, url: str, facts: Any, text_hash: str | None) -> None:
        self._pages.append({
            "run_id": self.run_id, "source_id": source_id, "competitor_id": competitor_id, "url": url,
            "title": facts.title, "description": facts.description, "h1": facts.h1,
            "headings": {"h": _as_list(facts.headings)}, "main_text": facts.main_text, "text_hash": text_hash,
            "lang": facts.lang, "canonical": facts.canonical,
        })
        self._maybe_flush(self._pages)

    def add_technologies(self, source_id: int, competitor_id: int, technologies: Iterable[Any]) -> None:
        for tech in technologies:
            self._technologies.append({
                "run_id": self.run_id, "source_id": source_id, "competitor_id": competitor_id,
                "technology": tech.name, "categories": {"categories": _as_list(tech.categories)},
                "version": tech.version, "evidence": getattr(tech, "evidence", None),
            })
        self._maybe_flush(self._technologies)

    def add_products(self, source_id: int, competitor_id: int, products: Iterable[Any], page_url: str) -> None:
        for product in products:
            if product.key or page_url:
                self._products.append((source_id, competitor_id, product, page_url))
        self._maybe_flush(self._products)

    def add_reviews(self, source_id: int, competitor_id: int, platform: str, page: Any, url: str) -> None:
        for review in page.reviews:
            self._reviews.append((source_id, competitor_id, platform, review, url))
        if page.aggregate_rating is not None or page.review_count is not None:
            self._ratings.append({"run_id": self.run_id, "source_id": source_id, "competitor_id": competitor_id,
                                  "platform": platform, "average": page.aggregate_rating, "count": page.review_count})
        self._maybe_flush(self._reviews)

    def add_ads(self, source_id: int, competitor_id: int, platform: str, ads: Iterable[Any]) -> None:
        for ad in ads:
            self._ads.append((source_id, competitor_id, platform, ad))
        self._maybe_flush(self._ads)

    def add_jobs(self, source_id: int, competitor_id: int, jobs: Iterable[Any]) -> None:
        for job in jobs:
            self._jobs.append({"run_id": self.run_id, "source_id": source_id, "competitor_id": competitor_id,
                               "key": job.key, "title": job.title, "location": job.location, "posted": job.posted,
                               "url": job.url, "department": getattr(job, "department", None)})
        self._maybe_flush(self._jobs)

    def add_page_audit(self, source_id: int, competitor_id: int, url: str, audit: Any,
                       redirected_from: Sequence[str] = ()) -> None:
        """A PageAudit of the page read at `url`, reached through the redirect chain `redirected_from`."""
        self._audits.append({
            "run_id": self.run_id, "source_id": source_id, "competitor_id": competitor_id, "url": url,
            "requested_url": redirected_from[0] if redirected_from else None, "redirects": len(redirected_from),
            "https": url.lower().startswith("https://"), "title_length": audit.title_length,
            "description_length": audit.description_length, "h1_count": audit.h1_count,
            "canonical": audit.canonical, "hreflang": {"langs": _as_list(audit.hreflang)},
            "open_graph": {"properties": _as_list(audit.open_graph)}, "viewport": audit.viewport,
            "lang": audit.lang[:16] if audit.lang else None,
        })
        self._maybe_flush(self._audits)

    def add_contacts(self, source_id: int, competitor_id: int, url: str, channels: Iterable[tuple[str, str, str]]) -> None:
        """Contact channels and promos as (kind, value, label): the first page a channel is seen on is kept."""
        for kind, value, label in channels:
            self._channels.append({"run_id": self.run_id, "source_id": source_id, "competitor_id": competitor_id,
                                   "kind": kind, "value": value[:512], "label": label, "url": url})
        self._maybe_flush(self._channels)

    def add_articles(self, source_id: int, competitor_id: int, articles: Iterable[Any]) -> None:
        for article in articles:
            self._articles.append({"run_id": self.run_id, "source_id": source_id, "competitor_id": competitor_id,
                                   "url": article.url, "title": article.title, "published": article.published,
                                   "kind": article.kind})
        self._maybe_flush(self._articles)

    def add_newsletters(self, source_id: int, competitor_id: int, newsletters: Iterable[Any]) -> None:
        """Newsletters are stored once per source (by Message-ID), in the run that first read them."""
        for letter in newsletters:
            self._newsletters.append({
                "run_id": self.run_id, "source_id": source_id, "competitor_id": competitor_id,
                "message_id": letter.message_id[:512], "sender": letter.sender[:320], "sender_name": letter.sender_name,
                "subject": letter.subject, "sent_at": letter.sent, "links": {"links": _as_list(letter.links)},
                "main_text": letter.main_text})
        self._maybe_flush(self._newsletters)

    def add_mentions(self, source_id: int, competitor_id: int, feed_url: str, items: Iterable[Any]) -> None:
        """Feed items naming the competitor (extractors.FeedItem): each stored once per competitor, by its key,
        and observed in this run by this source."""
        for item in items:
            self._mentions.append((source_id, competitor_id, feed_url, item))
        self._maybe_flush(self._mentions)

    def add_tenders(self, source_id: int, competitor_id: int, tenders: Iterable[Any]) -> None:
        """Procurement notices naming the competitor (extractors.Tender): each stored once per competitor, format
        and notice id, and observed in this run by this source with the competitor's role."""
        for tender in tenders:
            self._tenders.append((source_id, competitor_id, tender))
        self._maybe_flush(self._tenders)

    def add_social(self, source_id: int, competitor_id: int, snapshot: Any, posts: Iterable[Any]) -> None:
        """A social channel read (extractors.ChannelSnapshot and its ChannelPost list): the channel and each post
        stored once, this run's snapshot and each post's counts observed; written in one transaction."""
        self._social.append((source_id, competitor_id, snapshot, list(posts)))
        self._maybe_flush(self._social)

    def add_render_patterns(self, source_id: int, patterns: Mapping[str, Any]) -> None:
        """render: auto, what the source's URL patterns showed up to this run (crawler/render_auto.PatternStats:
        its decision() and counts), replacing what was kept of them."""
        for pattern, stats in patterns.items():
            self._render_patterns.append({
                "source_id": source_id, "pattern": pattern, "decision": stats.decision(),
                "static_complete": stats.static_complete, "render_gained": stats.render_gained,
                "render_no_gain": stats.render_no_gain, "run_id": self.run_id, "updated_at": models.utcnow()})
        self._maybe_flush(self._render_patterns)

    def _maybe_flush(self, buffer: Sequence[Any]) -> None:
        if len(buffer) >= FLUSH_EVERY:
            self.flush()

    # -- writing -----------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write every buffered row in one transaction. A write the database refuses raises StorageError, one line
        (a locked, full or read-only SQLite file: its DatabaseUnavailable); the crawl stops on it
        (crawler/pipelines.py), while any other error is a bug and propagates as it is."""
        try:
            self._write_all()
        except DBAPIError as exc:
            raise refused(self.engine, exc) from exc

    def close(self) -> None:
        self.flush()

    def _write_all(self) -> None:
        with self.engine.begin() as connection:
            self._write_simple(connection, models.Fetch, self._fetches, ["run_id", "source_id", "url"], update=True)
            self._write_simple(connection, models.PageSnapshot, self._pages, ["run_id", "source_id", "url"])
            self._write_simple(connection, models.TechnologyObservation, self._technologies,
                               ["run_id", "source_id", "technology"])
            self._write_simple(connection, models.RatingSnapshot, self._ratings, ["run_id", "source_id"])
            self._write_simple(connection, models.JobPosting, self._jobs, ["run_id", "source_id", "key"])
            self._write_simple(connection, models.PageAudit, self._audits, ["run_id", "source_id", "url"])
            self._write_simple(connection, models.ContactChannel, self._channels,
                               ["run_id", "source_id", "kind", "value"])
            self._write_simple(connection, models.ContentItem, self._articles, ["run_id", "source_id", "url"])
            self._write_newsletters(connection)
            self._write_products(connection)
            self._write_reviews(connection)
            self._write_ads(connection)
            self._write_mentions(connection)
            self._write_tenders(connection)
            self._write_social(connection)
            self._write_simple(connection, models.RenderPattern, self._render_patterns, ["source_id", "pattern"],
                               update=True)

    def _write_simple(self, connection, model, rows: list[dict[str, Any]], keys: list[str], update: bool = False) -> None:
        if not rows:
            return
        unique: dict[tuple[Any, ...], dict[str, Any]] = {}  # one statement may not hit a key twice
        for row in rows:
            key = tuple(row[k] for k in keys)
            if update or key not in unique:  # updates keep the last sighting, the rest the first
                unique[key] = row
        statement = insert_for(connection, model.__table__)
        if update:
            columns = {c: statement.excluded[c] for c in rows[0] if c not in keys}
            statement = statement.on_conflict_do_update(index_elements=keys, set_=columns)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        connection.execute(statement, list(unique.values()))
        rows.clear()

    def _write_newsletters(self, connection) -> None:
        """Each newsletter once per source. One first read by a run that then failed (killed, or its crawl
        crashed) moves to this run: a failed run is never a baseline, and the newsletter is told as new now."""
        if not self._newsletters:
            return
        table = models.Newsletter.__table__
        unique: dict[tuple[int, str], dict[str, Any]] = {}
        for row in self._newsletters:
            unique.setdefault((row["source_id"], row["message_id"]), row)
        failed = select(models.CrawlRun.id).where(models.CrawlRun.status == "failed")
        statement = insert_for(connection, table)
        statement = statement.on_conflict_do_update(
            index_elements=["source_id", "message_id"], set_={"run_id": statement.excluded.run_id},
            where=table.c.run_id.in_(failed))
        connection.execute(statement, list(unique.values()))
        self._newsletters.clear()

    def _write_products(self, connection) -> None:
        if not self._products:
            return
        table = models.Product.__table__
        catalog: dict[tuple[int, str], dict[str, Any]] = {}
        observations: dict[tuple[int, int, str], dict[str, Any]] = {}
        for source_id, competitor_id, product, page_url in self._products:
            key = canonical_key(product.key or page_url)[:512]
            row = {
                "competitor_id": competitor_id, "key": key, "sku": product.sku, "name": product.name,
                "brand": product.brand, "category": getattr(product, "category", None),
                "gtin": (getattr(product, "gtin", None) or None) and str(product.gtin)[:32],
                "mpn": (getattr(product, "mpn", None) or None) and str(product.mpn)[:128],
                "url": product.url or page_url, "first_seen_run_id": self.run_id, "last_seen_run_id": self.run_id,
            }
            held_row = catalog.setdefault((competitor_id, key), row)
            for column in FILLED_IN:  # its listing's card first, its page later in the batch: the page's fill in
                if held_row[column] is None:
                    held_row[column] = row[column]
            seen = {
                "price": product.price, "currency": product.currency, "old_price": product.old_price,
                "availability": product.availability, "url": page_url,  # the page it was read on
                "price_source": getattr(product, "price_source", None),
                "price_confidence": getattr(product, "price_confidence", None),
            }
            held = observations.get((source_id, competitor_id, key))
            if held is None or _more_trusted(seen, held):  # its listing's card and its own page: the surer reading
                observations[(source_id, competitor_id, key)] = seen
        catalog, observations = self._one_product_per_url(connection, catalog, observations)
        statement = insert_for(connection, table)
        newer = _not_older(statement, table)  # an archived run's reading does not rename what a later run read
        statement = statement.on_conflict_do_update(
            index_elements=["competitor_id", "key"],
            set_={**{c: case((newer, statement.excluded[c]), else_=table.c[c]) for c in ("name", "url")},
                  **seen_span(connection, statement, table),
                  **{c: func.coalesce(statement.excluded[c], table.c[c]) for c in FILLED_IN}},
        )
        connection.execute(statement, list(catalog.values()))
        ids = self._ids(connection, table, ["competitor_id", "key"], list(catalog))
        rows = [{"run_id": self.run_id, "source_id": source_id, "product_id": ids[(competitor_id, key)], **values}
                for (source_id, competitor_id, key), values in observations.items()]
        observed = models.PriceObservation.__table__
        statement = insert_for(connection, observed)
        statement = statement.on_conflict_do_update(  # read again by a surer source in a later batch: that reading
            index_elements=["run_id", "source_id", "product_id"],
            set_={c: statement.excluded[c] for c in ("price", "currency", "old_price", "availability", "url",
                                                     "price_source", "price_confidence")},
            where=func.coalesce(statement.excluded.price_confidence, 0) > func.coalesce(observed.c.price_confidence, 0))
        connection.execute(statement, rows)
        self._products.clear()

    def _one_product_per_url(self, connection, catalog: dict[tuple[int, str], dict[str, Any]],
                             observations: dict[tuple[int, int, str], dict[str, Any]]):
        """A listing's card read without an identifier is keyed by its product's URL; the product's own page gives
        its SKU. One product, not two: a URL-keyed reading goes to the identified product at that URL (read in
        this batch, or stored before), and a URL-keyed row stored before (the card, an earlier batch or night)
        becomes the identified product when its page is first read (its history kept). A URL where several
        identified products stand (variants of one page) is left as it is."""
        identified = self._identified_by_url(connection, catalog)
        if not identified:
            return catalog, observations
        merged_catalog: dict[tuple[int, str], dict[str, Any]] = {}
        for (competitor_id, key), row in catalog.items():
            target = identified.get((competitor_id, key)) if is_url_key(key) else None
            if target is None:
                merged_catalog.setdefault((competitor_id, key), row)
            elif (competitor_id, target) not in catalog:  # stored before, not read in this batch: seen tonight
                merged_catalog.setdefault((competitor_id, target), {**row, "key": target, "sku": None, "brand": None,
                                                                    "gtin": None, "mpn": None})
        merged: dict[tuple[int, int, str], dict[str, Any]] = {}
        for (source_id, competitor_id, key), seen in observations.items():
            target = identified.get((competitor_id, key), key) if is_url_key(key) else key
            held = merged.get((source_id, competitor_id, target))
            if held is None or _more_trusted(seen, held):
                merged[(source_id, competitor_id, target)] = seen
        self._adopt_url_rows(connection, merged_catalog)
        return merged_catalog, merged

    def _identified_by_url(self, connection, catalog: dict[tuple[int, str], dict[str, Any]]) -> dict[tuple[int, str], str]:
        """(competitor, canonical URL) -> the key of the one identified product there, in the batch or stored."""
        table = models.Product.__table__
        at: dict[tuple[int, str], set[str]] = {}
        urls: dict[int, set[str]] = {}
        for (competitor_id, key), row in catalog.items():
            if not is_url_key(key) and row["url"]:
                at.setdefault((competitor_id, canonical_url(row["url"])), set()).add(key)
            urls.setdefault(competitor_id, set()).update(u for u in (row["url"], key if is_url_key(key) else None) if u)
        if not any(is_url_key(key) for _competitor, key in catalog) and not at:
            return {}
        for competitor_id, wanted in urls.items():
            for key, url in connection.execute(select(table.c.key, table.c.url).where(
                    table.c.competitor_id == competitor_id, table.c.url.in_(sorted(wanted)))):
                if not is_url_key(key) and url:
                    at.setdefault((competitor_id, canonical_url(url)), set()).add(key)
        return {place: next(iter(keys)) for place, keys in at.items() if len(keys) == 1}

    def _adopt_url_rows(self, connection, catalog: dict[tuple[int, str], dict[str, Any]]) -> None:
        """An identified product read for the first time whose URL-keyed row was stored before (its card, in an
        earlier batch or night): that row is re-keyed, so that the product keeps one id and its history."""
        table = models.Product.__table__
        for (competitor_id, key), row in catalog.items():
            if is_url_key(key) or not row["url"]:
                continue
            url_key = canonical_url(row["url"])[:512]
            stored = dict(connection.execute(select(table.c.key, table.c.id).where(
                table.c.competitor_id == competitor_id, table.c.key.in_([key, url_key]))).all())
            if url_key not in stored or key in stored:
                continue
            savepoint = connection.begin_nested()  # another worker of the run may insert the key meanwhile
            try:
                connection.execute(table.update().where(table.c.id == stored[url_key]).values(key=key))
                savepoint.commit()
            except IntegrityError:
                savepoint.rollback()

    def _write_reviews(self, connection) -> None:
        if not self._reviews:
            return
        table = models.Review.__table__
        rows: dict[tuple[int, str, str], dict[str, Any]] = {}
        sources: dict[tuple[int, str, str], int] = {}
        for source_id, competitor_id, platform, review, url in self._reviews:
            key = (competitor_id, platform, str(review.id)[:256])
            sources.setdefault(key, source_id)
            rows.setdefault(key, {
                "competitor_id": competitor_id, "source_id": source_id, "platform": platform, "external_id": key[2],
                "author": review.author, "rating": review.rating, "title": review.title, "text": review.text,
                "published": review.published, "url": url,
                "first_seen_run_id": self.run_id, "last_seen_run_id": self.run_id,
            })
        statement = insert_for(connection, table)
        statement = statement.on_conflict_do_update(
            index_elements=["competitor_id", "platform", "external_id"], set_=seen_span(connection, statement, table))
        connection.execute(statement, list(rows.values()))
        ids = self._ids(connection, table, ["competitor_id", "platform", "external_id"], list(rows))
        connection.execute(
            insert_for(connection, models.ReviewObservation.__table__)
            .on_conflict_do_nothing(index_elements=["run_id", "source_id", "review_id"]),
            [{"run_id": self.run_id, "source_id": sources[k], "review_id": ids[k]} for k in rows])
        self._reviews.clear()

    def _write_ads(self, connection) -> None:
        if not self._ads:
            return
        table = models.Ad.__table__
        rows: dict[tuple[int, str, str], dict[str, Any]] = {}
        sources: dict[tuple[int, str, str], int] = {}
        for source_id, competitor_id, platform, ad in self._ads:
            key = (competitor_id, platform, str(ad.id)[:128])
            sources.setdefault(key, source_id)
            rows.setdefault(key, {
                "competitor_id": competitor_id, "source_id": source_id, "platform": platform, "external_id": key[2],
                "headline": ad.headline, "body": ad.body, "landing_url": ad.landing_url,
                "snapshot_url": getattr(ad, "snapshot_url", None), "started": ad.started,
                "stopped": getattr(ad, "stopped", None), "platforms": {"platforms": _as_list(ad.platforms)},
                "active": getattr(ad, "stopped", None) is None,
                "first_seen_run_id": self.run_id, "last_seen_run_id": self.run_id,
            })
        statement = insert_for(connection, table)
        statement = statement.on_conflict_do_update(
            index_elements=["competitor_id", "platform", "external_id"],
            set_={c: statement.excluded[c] for c in ("headline", "body", "landing_url", "snapshot_url", "stopped",
                                                      "platforms", "active", "last_seen_run_id")})
        connection.execute(statement, list(rows.values()))
        ids = self._ids(connection, table, ["competitor_id", "platform", "external_id"], list(rows))
        connection.execute(
            insert_for(connection, models.AdObservation.__table__)
            .on_conflict_do_nothing(index_elements=["run_id", "source_id", "ad_id"]),
            [{"run_id": self.run_id, "source_id": sources[k], "ad_id": ids[k], "active": rows[k]["active"]}
             for k in rows])
        self._ads.clear()

    def _write_mentions(self, connection) -> None:
        """A mention keeps what the feed said when it was first read (a later edit of the item is not a new one)."""
        if not self._mentions:
            return
        table = models.Mention.__table__
        rows: dict[tuple[int, str], dict[str, Any]] = {}
        sources: dict[tuple[int, int, str], int] = {}  # one observation per (source, mention)
        for source_id, competitor_id, feed_url, item in self._mentions:
            key = (competitor_id, str(item.key)[:512])
            sources.setdefault((source_id, *key), source_id)
            rows.setdefault(key, {
                "competitor_id": competitor_id, "source_id": source_id, "key": key[1], "url": item.url,
                "title": item.title, "published": item.published, "snippet": item.snippet, "feed_url": feed_url,
                "first_seen_run_id": self.run_id, "last_seen_run_id": self.run_id,
            })
        statement = insert_for(connection, table)
        statement = statement.on_conflict_do_update(
            index_elements=["competitor_id", "key"], set_=seen_span(connection, statement, table))
        connection.execute(statement, list(rows.values()))
        ids = self._ids(connection, table, ["competitor_id", "key"], list(rows))
        connection.execute(
            insert_for(connection, models.MentionObservation.__table__)
            .on_conflict_do_nothing(index_elements=["run_id", "source_id", "mention_id"]),
            [{"run_id": self.run_id, "source_id": source_id, "mention_id": ids[(competitor_id, key)]}
             for (source_id, competitor_id, key) in sources])
        self._mentions.clear()

    def _write_tenders(self, connection) -> None:
        """A tender's role only rises (bidder, then winner); a value, currency or award date an answer adds later is
        kept, one already known is not blanked by an answer without it."""
        if not self._tenders:
            return
        table = models.Tender.__table__
        rows: dict[tuple[int, str, str], dict[str, Any]] = {}
        observed: dict[tuple[int, int, str, str], str] = {}  # (source, competitor, format, notice) -> role tonight
        for source_id, competitor_id, tender in self._tenders:
            key = (competitor_id, str(tender.fmt), str(tender.notice_id)[:64])
            row = rows.setdefault(key, {
                "competitor_id": competitor_id, "source_id": source_id, "format": key[1], "notice_id": key[2],
                "title": tender.title, "buyer": tender.buyer, "value": tender.value, "currency": tender.currency,
                "published": tender.published, "awarded": tender.awarded, "role": tender.role, "url": tender.url,
                "first_seen_run_id": self.run_id, "last_seen_run_id": self.run_id,
            })
            if tender.role == "winner":
                row["role"] = "winner"
            seen = (source_id, *key)
            observed[seen] = "winner" if tender.role == "winner" else observed.get(seen, tender.role)
        statement = insert_for(connection, table)
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["competitor_id", "format", "notice_id"],
            set_={"last_seen_run_id": new.last_seen_run_id,
                  "role": case((new.role == "winner", "winner"), else_=table.c.role),
                  "currency": case((new.value.is_not(None), new.currency), else_=table.c.currency),
                  "value": func.coalesce(new.value, table.c.value),
                  "awarded": func.coalesce(new.awarded, table.c.awarded)})
        connection.execute(statement, list(rows.values()))
        ids = self._ids(connection, table, ["competitor_id", "format", "notice_id"], list(rows))
        connection.execute(
            insert_for(connection, models.TenderObservation.__table__)
            .on_conflict_do_nothing(index_elements=["run_id", "source_id", "tender_id"]),
            [{"run_id": self.run_id, "source_id": source_id, "tender_id": ids[(competitor_id, fmt, notice)],
              "role": role} for (source_id, competitor_id, fmt, notice), role in observed.items()])
        self._tenders.clear()

    def _write_social(self, connection) -> None:
        """A channel keeps its latest title; a post its text as first read and its counts as last read."""
        if not self._social:
            return
        channels: dict[tuple[int, str, str], dict[str, Any]] = {}
        for source_id, competitor_id, snapshot, _posts in self._social:
            key = (competitor_id, snapshot.network, snapshot.channel[:200])
            channels[key] = _merged(channels.get(key), {
                "competitor_id": competitor_id, "source_id": source_id, "network": snapshot.network,
                "channel": snapshot.channel[:200], "title": snapshot.title, "url": snapshot.url,
                "first_seen_run_id": self.run_id, "last_seen_run_id": self.run_id})
        table = models.SocialChannel.__table__
        statement = insert_for(connection, table)
        statement = statement.on_conflict_do_update(
            index_elements=["competitor_id", "network", "channel"],
            set_={"title": func.coalesce(statement.excluded.title, table.c.title),
                  "url": func.coalesce(statement.excluded.url, table.c.url),
                  "last_seen_run_id": statement.excluded.last_seen_run_id})
        connection.execute(statement, list(channels.values()))
        channel_ids = self._ids(connection, table, ["competitor_id", "network", "channel"], list(channels))
        snapshots: dict[tuple[int, int], dict[str, Any]] = {}
        posts: dict[tuple[int, str], dict[str, Any]] = {}
        seen: dict[tuple[int, int, str], dict[str, Any]] = {}  # one observation per (source, post)
        for source_id, competitor_id, snapshot, read in self._social:
            channel_id = channel_ids[(competitor_id, snapshot.network, snapshot.channel[:200])]
            # a channel read twice in a run (a YouTube feed, then its channel page for the subscribers): what either
            # read showed, never a None or an empty list over what the other did
            snapshots[(source_id, channel_id)] = _merged(snapshots.get((source_id, channel_id)), {
                "run_id": self.run_id, "source_id": source_id, "social_channel_id": channel_id,
                "subscribers": snapshot.subscribers, "posts_shown": len(read)})
            for post in read:
                key = (channel_id, str(post.post_id)[:200])
                counts = {"views": post.views, "likes": post.likes, "reposts": post.reposts}
                posts[key] = {"social_channel_id": channel_id, "post_id": key[1], "url": post.url,
                              "published": post.published, "text": post.text, **counts,
                              "first_seen_run_id": self.run_id, "last_seen_run_id": self.run_id}
                seen[(source_id, *key)] = counts
        held = models.ChannelSnapshot.__table__.c
        snapshot_rows = insert_for(connection, models.ChannelSnapshot.__table__)
        connection.execute(snapshot_rows.on_conflict_do_update(
            index_elements=["run_id", "source_id", "social_channel_id"],
            set_={"subscribers": func.coalesce(snapshot_rows.excluded.subscribers, held.subscribers),
                  "posts_shown": case((snapshot_rows.excluded.posts_shown > held.posts_shown,
                                       snapshot_rows.excluded.posts_shown), else_=held.posts_shown)}),
            list(snapshots.values()))
        if posts:
            table = models.SocialPost.__table__
            statement = insert_for(connection, table)
            statement = statement.on_conflict_do_update(
                index_elements=["social_channel_id", "post_id"],
                set_={name: statement.excluded[name] for name in ("views", "likes", "reposts", "last_seen_run_id")})
            connection.execute(statement, list(posts.values()))
            ids = self._ids(connection, table, ["social_channel_id", "post_id"], list(posts))
            observation = insert_for(connection, models.SocialPostObservation.__table__)
            connection.execute(observation.on_conflict_do_update(
                index_elements=["run_id", "source_id", "social_post_id"],
                set_={name: observation.excluded[name] for name in ("views", "likes", "reposts")}),
                [{"run_id": self.run_id, "source_id": source_id, "social_post_id": ids[(channel_id, post_id)],
                  **counts} for (source_id, channel_id, post_id), counts in seen.items()])
        self._social.clear()

    @staticmethod
    def _ids(connection, table, columns: list[str], keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
        """Ids of the rows with these keys. Looked up per value of the leading columns, with `IN` on the last one:
        an index search on both databases, where a row-value `(a, b) IN (...)` list makes SQLite scan the whole
        index and PostgreSQL plan 500 OR branches (benchmarks/diff.py, docs/performance.md)."""
        cols = [table.c[name] for name in columns]
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for key in keys:
            groups.setdefault(tuple(key[:-1]), []).append(key[-1])
        found: dict[tuple[Any, ...], int] = {}
        for prefix, lasts in groups.items():
            query = select(table.c.id, *cols).where(*(col == value for col, value in zip(cols, prefix)),
                                                    cols[-1].in_(lasts))
            found.update((tuple(row[1:]), row[0]) for row in connection.execute(query))
        return found


def _merged(held: dict[str, Any] | None, seen: dict[str, Any]) -> dict[str, Any]:
    """Two reads of one channel in a run as one row: each value the later read showed, else the earlier one's (a
    None is not shown); `posts_shown` the larger."""
    if held is None:
        return seen
    merged = {name: held.get(name) if value is None else value for name, value in seen.items()}
    if "posts_shown" in merged:
        merged["posts_shown"] = max(held["posts_shown"], seen["posts_shown"])
    return merged


def _more_trusted(seen: dict[str, Any], held: dict[str, Any]) -> bool:
    """A reading of the product from a more trusted source than the one kept (its page's JSON-LD after its card)."""
    return (seen["price_confidence"] or 0) > (held["price_confidence"] or 0)
