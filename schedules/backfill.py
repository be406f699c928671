"""`dossier backfill`: a competitor's past, read from the Internet Archive's captures of its pages and stored as
runs of their own, one per month or quarter, dated by the captures and marked archived; the same source kinds'
extractors, the same writer, the same diff and events, so past prices, headlines, technologies and assortment sit
in the same tables and views as the nightly crawls'.

Idempotent and resumable: a period whose archived run is complete is skipped; one a killed or failed backfill left
is emptied and read again (storage/archive.py). The archive's index is asked for every page before anything is
stored, so an index that answers an error page stops the backfill with one line and nothing stored.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crawler import settings
from crawler.archive import ArchiveClient, ArchiveError
from crawler.order import order_for
from crawler.sources import SOURCE_KINDS, SourcePlan, Unreadable, build_plans
from dossier.config import DossierConfig, load_config
from dossier.errors import ConfigError
from dossier.outcomes import FetchOutcome
from extractors import Document
from extractors.archive import FIRST_YEAR, PERIODS, Capture, PeriodPlan, plan_periods
from schedules.alerts import diff_rules
from storage.archive import (
    archived_run_id, archived_run_status, archived_runs, close_archived_run, fail_archived_run, is_done, known_pages,
    open_archived_run, touch_archived_run,
)
from storage.db import open_database, resolve_url
from storage.diff import diff_run
from storage.events import record_events
from storage.lock import RUN_LOCK, DatabaseLock
from storage.runs import SourceRef, fail_abandoned_runs, record_source_outcomes, sync_sources
from storage.writer import RunWriter

log = logging.getLogger(__name__)

# the kinds whose pages are HTML the archive keeps: a feed or an ad library's JSON is not read from it
BACKFILL_KINDS = frozenset(name for name, kind in SOURCE_KINDS.items() if kind.html)


@dataclass(frozen=True, slots=True)
class ArchiveSettings:
    """Where the archive is and how politely it is asked."""

    url: str = settings.ARCHIVE_URL
    delay: float = settings.ARCHIVE_DELAY  # seconds between two requests
    cache_dir: Path | None = Path(settings.ARCHIVE_CACHE)  # captures read before are taken from here; None: none


@dataclass(frozen=True, slots=True)
class PeriodDone:
    period: str
    run_id: int
    status: str  # succeeded | partial | failed | skipped (complete before)
    captured: datetime | None = None  # the newest capture of the period
    pages: int = 0
    changes: int = 0
    error: str | None = None


@dataclass(slots=True)
class BackfillResult:
    competitor: str
    pages_asked: int = 0  # URLs whose captures the index was asked for
    periods: list[PeriodDone] = field(default_factory=list)
    fetched: int = 0  # captures read from the archive
    cached: int = 0  # captures read from the cache

    @property
    def added(self) -> list[PeriodDone]:
        return [p for p in self.periods if p.status in ("succeeded", "partial")]

    @property
    def skipped(self) -> list[PeriodDone]:
        return [p for p in self.periods if p.status == "skipped"]

    @property
    def failed(self) -> list[PeriodDone]:
        return [p for p in self.periods if p.status == "failed"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


ProgressCallback = Callable[[PeriodDone, int, int], None]  # (the period done, how many so far, of how many)


def check_since(since: int | None, now: datetime | None = None) -> None:
    year = (now or datetime.now(timezone.utc)).year
    if since is not None and not FIRST_YEAR <= since <= year:
        raise ConfigError(f"--since: {since} is not a year from {FIRST_YEAR} (the archive's first) to {year}")


def run_backfill(config_path: str | Path, competitor: str, *, database_url: str | None = None,
                 since: int | None = None, per: str = "month", archive: ArchiveSettings = ArchiveSettings(),
                 max_pages: int = settings.BACKFILL_MAX_PAGES, config: DossierConfig | None = None,
                 on_progress: ProgressCallback | None = None) -> BackfillResult:
    """Fill `competitor`'s past from the archive: one archived run per `per` (month or quarter) since the year
    `since` (all the archive has, without). Bad input raises a DossierError before anything is stored; an archive
    that cannot be reached or answers no index raises ArchiveError before any run is stored (the config's
    competitors and sources are synced, as a run syncs them); another run holding the run lock raises
    RunLockedError. A period that fails ends the backfill there (PeriodDone.status): the next one resumes."""
    config = config or load_config(config_path)
    if not any(c.slug == competitor for c in config.competitors):
        raise ConfigError(f"--competitor: no competitor {competitor!r} in the config (its slugs: "
                          f"{', '.join(c.slug for c in config.competitors)})")
    if per not in PERIODS:
        raise ConfigError(f"--per: {per!r} is not one of {', '.join(PERIODS)}")
    check_since(since)
    if max_pages < 1:
        raise ConfigError(f"--max-pages: {max_pages} must be 1 or more")
    cache = archive.cache_dir.expanduser() if archive.cache_dir is not None else None
    client = ArchiveClient(archive.url, config.defaults.user_agent, archive.delay, cache,
                           max_bytes=config.defaults.max_bytes)
    engine = open_database(resolve_url(database_url))
    try:
        lock = DatabaseLock(engine, RUN_LOCK, stale_after=timedelta(minutes=config.schedule.stale_after_minutes))
        lock.acquire(hint="wait for the run to end, then backfill")
        try:
            fail_abandoned_runs(engine, {holder.run_id: reason for holder, reason in lock.taken_over
                                         if holder.run_id is not None})
            refs = sync_sources(engine, [c.model_dump(mode="json", by_alias=True) for c in config.competitors])
            refs = [ref for ref in refs if ref.competitor_slug == competitor and ref.kind in BACKFILL_KINDS]
            if not refs:
                raise ConfigError(f"--competitor: {competitor} has no source the archive keeps (kinds "
                                  f"{', '.join(sorted(BACKFILL_KINDS))})")
            _check_granularity(engine, refs[0].competitor_id, competitor, per)
            plans = {plan.source_id: plan for plan in build_plans(list(order_for(config, 0, refs).sources),
                                                                  config.defaults)}
            result = BackfillResult(competitor)
            captures = _ask_index(client, refs, known_pages(engine, [ref.source_id for ref in refs]), since,
                                  max_pages, result, lock.heartbeat)
            since_moment = datetime(since, 1, 1, tzinfo=timezone.utc) if since else None
            periods = plan_periods({url: seen for (_, url), seen in captures.items()}, per, since_moment)
            sources_of = {url: source_id for (source_id, url) in captures}
            rules = diff_rules(config)
            for number, plan in enumerate(periods, 1):
                done = _backfill_period(engine, client, plan, refs, plans, sources_of, rules,
                                        config.alerts.language, result)
                result.periods.append(done)
                lock.heartbeat()
                if on_progress is not None:
                    on_progress(done, number, len(periods))
                if done.status == "failed":  # the later periods wait for it: each is compared with the one before
                    break
            return result
        finally:
            lock.release()
    finally:
        engine.dispose()


def _check_granularity(engine, competitor_id: int, competitor: str, per: str) -> None:
    """A competitor's archived runs are all per month or all per quarter: runs of both would interleave, each
    compared with the other's neighbour, and one capture stored twice."""
    periods = [period for _, period, _ in archived_runs(engine, competitor_id) if period]
    other = [period for period in periods if ("-Q" in period) != (per == "quarter")]
    if other:
        stored = "quarter" if "-Q" in other[0] else "month"
        raise ConfigError(f"--per: {competitor}'s archived runs are per {stored} ({other[0]} to {other[-1]}): "
                          f"backfill it --per {stored}")


def _ask_index(client: ArchiveClient, refs: list[SourceRef], known: dict[int, list[str]], since: int | None,
               max_pages: int, result: BackfillResult,
               beat: Callable[[], object]) -> dict[tuple[int, str], list[Capture]]:
    """Every page's captures, keyed (source id, URL): each source's start URL, then the pages the dossier knows
    of it, up to `max_pages` a source. Asked before anything is stored: an index that fails fails the backfill."""
    captures: dict[tuple[int, str], list[Capture]] = {}
    asked: set[str] = set()
    for ref in refs:
        urls = list(dict.fromkeys([ref.url, *known.get(ref.source_id, [])]))[:max_pages]
        for url in urls:
            if url in asked:  # one page of two sources is read for the first
                continue
            asked.add(url)
            captures[(ref.source_id, url)] = client.captures(url, since)
            result.pages_asked += 1
            beat()  # the run lock's heartbeat: asking a thousand pages' index politely takes a quarter of an hour
    return captures


def _backfill_period(engine, client: ArchiveClient, plan: PeriodPlan, refs: list[SourceRef],
                     plans: dict[int, SourcePlan], sources_of: dict[str, int], rules, language: str,
                     result: BackfillResult) -> PeriodDone:
    competitor_id = refs[0].competitor_id
    run_id = archived_run_id(plan.period.index, competitor_id)
    if is_done(archived_run_status(engine, run_id)):
        return PeriodDone(plan.period.label, run_id, "skipped", plan.last)
    open_archived_run(engine, run_id, plan.period.label, plan.first, plan.last)
    try:
        writer = RunWriter(engine, run_id)
        read: set[int] = set()
        missing: list[str] = []
        for url, capture in plan.captures:
            source_id = sources_of[url]
            try:
                _store_capture(writer, client, plans[source_id], url, capture, result)
            except ArchiveError as exc:
                if not exc.gone:
                    raise
                # listed by the index, gone from the archive: as if not captured (the site is not at fault)
                log.warning("archived run %s (%s): %s", run_id, plan.period.label, exc)
                missing.append(f"{capture.stamp} {url}")
                continue
            # stored as read, as a crawl stores: a killed backfill leaves this run running, and the next one
            # empties it and reads its period again (open_archived_run)
            writer.flush()
            read.add(source_id)
            touch_archived_run(engine, run_id)
        writer.close()
        # only the sources with a capture this period are judged: the archive's silence is no failure of the site
        judged = [ref for ref in refs if ref.source_id in read]
        outcomes = record_source_outcomes(engine, run_id, judged)
        changes = diff_run(engine, run_id, rules)
        record_events(engine, run_id, language)
        status = "succeeded" if all(o.status == "succeeded" for o in outcomes) else "partial"
        close_archived_run(engine, run_id, status, {"pages": sum(o.pages for o in outcomes), "changes": changes,
                                                    "captures": [c.stamp for _, c in plan.captures],
                                                    "captures_missing": missing})
        return PeriodDone(plan.period.label, run_id, status, plan.last, sum(o.pages for o in outcomes), changes)
    except ArchiveError as exc:
        fail_archived_run(engine, run_id, str(exc))
        log.error("archived run %s (%s) failed: %s", run_id, plan.period.label, exc)
        return PeriodDone(plan.period.label, run_id, "failed", plan.last, error=str(exc))
    except BaseException as exc:  # never left `running` by this process: failed, read again by the next backfill
        fail_archived_run(engine, run_id, f"{type(exc).__name__}: {exc}")
        raise


def _store_capture(writer: RunWriter, client: ArchiveClient, plan: SourcePlan, url: str, capture: Capture,
                   result: BackfillResult) -> None:
    """One capture read as its source kind reads a page, stored through the run's writer with its fetch row (the
    page's own URL, its capture's digest as its content hash)."""
    page = client.page(capture)
    if page.cached:
        result.cached += 1
    else:
        result.fetched += 1
    document = Document.from_body(page.body, url, page.headers)
    kind = SOURCE_KINDS[plan.kind]
    try:
        observations = list(kind.extract(plan, document, page.headers))
    except Unreadable as exc:  # not what the source reads: its fetch fails with why, nothing of it is stored
        writer.record_fetch(plan.source_id, url, 200, str(exc)[:500], None, len(page.body), capture.digest,
                            outcome=FetchOutcome.FAILED)
        return
    writer.record_fetch(plan.source_id, url, 200, None, round(page.seconds * 1000), len(page.body), capture.digest,
                        outcome=FetchOutcome.OK)
    for observation in observations:
        observation.store(writer)
