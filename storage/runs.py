"""Runs and the things they belong to: competitors and sources from the config, a run's life and its outcome."""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, Select, delete, exists, false, func, select, update
from sqlalchemy.orm import Session, aliased

from dossier.outcomes import FetchOutcome
from storage import models
from storage.compare import Rules
from storage.db import session_scope

log = logging.getLogger(__name__)

# A fetch row with such a status and no error was answered (a page or a redirect); the diff trusts those URLs.
GOOD_RUNS = ("succeeded", "partial")  # runs whose succeeded source crawls are baselines
COVERAGE_FLOOR = Rules().coverage_floor  # the diff's floor: below it a source is unreachable, here and there
MAX_FAILED_LISTED = 200  # failed URLs named per source in crawl_run.stats (the fetch table holds all of them)

NOT_STORED = "nothing was stored: the crawl failed (see the run's error)"  # a source of a run whose crawl failed


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A configured source as stored: the ids the crawl and the diff address it by."""

    source_id: int
    competitor_id: int
    competitor_slug: str
    competitor_name: str
    kind: str
    url: str
    config: dict[str, Any]


def sync_sources(engine: Engine, competitors: list[dict[str, Any]]) -> list[SourceRef]:
    """Upsert competitors and sources from the config (plain dicts), deactivating sources no longer listed.

    Nothing is deleted: a source removed from the config keeps its history, it is only no longer crawled.
    """
    refs: list[SourceRef] = []
    with session_scope(engine) as session:
        for competitor in competitors:
            row = session.scalar(select(models.Competitor).where(models.Competitor.slug == competitor["slug"]))
            if row is None:
                row = models.Competitor(slug=competitor["slug"], name=competitor["name"])
                session.add(row)
                session.flush()
            row.name = competitor["name"]
            row.own = bool(competitor.get("own"))
            listed: set[int] = set()
            for source in competitor["sources"]:
                stored = session.scalar(select(models.Source).where(
                    models.Source.competitor_id == row.id, models.Source.kind == source["kind"],
                    models.Source.url == source["url"]))
                if stored is None:
                    stored = models.Source(competitor_id=row.id, kind=source["kind"], url=source["url"])
                    session.add(stored)
                stored.config = source
                stored.active = True
                session.flush()
                listed.add(stored.id)
                refs.append(SourceRef(stored.id, row.id, row.slug, row.name, stored.kind, stored.url, source))
            session.execute(update(models.Source)
                            .where(models.Source.competitor_id == row.id, models.Source.id.not_in(listed))
                            .values(active=False))
    return refs


def start_run(engine: Engine) -> int:
    """A new `running` run owned by this process (host, pid and a first heartbeat, for crash detection)."""
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        run = models.CrawlRun(status="running", stats={}, started=now, pid=os.getpid(), host=socket.gethostname(),
                              heartbeat=now)
        session.add(run)
        session.flush()
        return run.id


def touch_run(engine: Engine, run_id: int) -> None:
    """The run's heartbeat: its process is alive and working."""
    with session_scope(engine) as session:
        session.execute(update(models.CrawlRun).where(models.CrawlRun.id == run_id, models.CrawlRun.status == "running")
                        .values(heartbeat=datetime.now(timezone.utc)))


def finish_run(engine: Engine, run_id: int, status: str, stats: dict[str, Any] | None = None,
               error: str | None = None) -> bool:
    """Close a running run; False (and nothing changed) when it was no longer running, e.g. marked failed as
    abandoned by another process that took this one for dead: a late finisher never overwrites that verdict."""
    with session_scope(engine) as session:
        run = session.get(models.CrawlRun, run_id)
        if run.status != "running":
            log.error("run %s was already closed as %s (%s): its result is not recorded", run_id, run.status,
                      run.error)
            return False
        run.status = status
        run.finished = datetime.now(timezone.utc)
        run.stats = {**(run.stats or {}), **(stats or {})}
        run.error = error
        return True


@dataclass(frozen=True, slots=True)
class AbandonedRun:
    run_id: int
    reason: str
    status: str = "failed"  # or the outcome of a run that had finished its diff and stored its digest


def fail_abandoned_runs(engine: Engine, known: dict[int, str] | None = None) -> list[AbandonedRun]:
    """Mark every run still `running` as failed, with why: call it only while holding the run lock, when no
    other run can be alive. `known` gives the reasons found for some of them (a stale lock's run).

    Their observations stay, for the record, but a failed run is never a diff baseline nor shown in a view.
    A run that died after its diff, once its digest was stored (while sending it), is closed with its outcome
    instead: its changes are complete and already on their way to the team, and failing it would make the next
    run find and mail the same changes again. Its digest, still unsent, goes out with the next run's.
    """
    known = known or {}
    abandoned = []
    finder = f"{socket.gethostname()}:{os.getpid()}"
    with session_scope(engine) as session:
        for run in session.scalars(select(models.CrawlRun).where(models.CrawlRun.status == "running")
                                   .order_by(models.CrawlRun.id)):
            owner = f"{run.host}:{run.pid}" if run.host else "an unknown process"
            reason = known.get(run.id) or f"its process {owner} stopped without finishing it"
            last_fetch = session.scalar(select(func.max(models.Fetch.fetched_at)).where(models.Fetch.run_id == run.id))
            signs = [_aware(moment) for moment in (run.heartbeat, last_fetch, run.started) if moment is not None]
            run.finished = max(signs) if signs else datetime.now(timezone.utc)  # its last sign of life
            if session.scalar(select(func.count()).select_from(models.AlertOutbox)
                              .where(models.AlertOutbox.run_id == run.id)):
                run.status, run.error = _closed_outcome(session, run)
                closed = f"closed as {run.status} (its diff and digest were complete): {reason}; found by {finder}"
                run.stats = {**(run.stats or {}), "closed_after_death": closed[:1000]}
                abandoned.append(AbandonedRun(run.id, closed[:1000], run.status))
                log.warning("run %s %s", run.id, closed)
                continue
            run.status = "failed"
            run.error = f"abandoned: {reason}; found by {finder}"[:1000]
            abandoned.append(AbandonedRun(run.id, run.error))
            log.warning("run %s marked failed: %s", run.id, run.error)
    return abandoned


def _closed_outcome(session: Session, run: models.CrawlRun) -> tuple[str, None]:
    """The status a dead run whose diff was complete would have finished with (as schedules.nightly judges it:
    partial when a source did not succeed), and its closing figures in its stats."""
    crawls = session.execute(select(models.SourceCrawl, models.Source, models.Competitor.slug)
                             .join(models.Source, models.Source.id == models.SourceCrawl.source_id)
                             .join(models.Competitor, models.Competitor.id == models.Source.competitor_id)
                             .where(models.SourceCrawl.run_id == run.id)).all()
    failed = [f"{slug} {source.url}: " + (f"{crawl.reason}" if crawl.status == "failed"
                                          else f"{crawl.status}: {crawl.reason}")
              for crawl, source, slug in crawls if crawl.status != "succeeded"]
    changes = session.scalar(select(func.count()).select_from(models.Change).where(models.Change.run_id == run.id))
    run.stats = {**(run.stats or {}), "pages": sum(crawl.pages for crawl, _, _ in crawls), "changes": changes,
                 "failed_sources": failed}
    return ("partial" if failed else "succeeded"), None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC


def record_crawl_report(engine: Engine, run_id: int, counters: dict[str, float],
                        sources: dict[int, dict[str, Any]], worker: str | None = None) -> None:
    """Keep what a crawl process counted (Scrapy's counters) and knew of each source (budget, sitemaps read,
    warnings) in crawl_run.stats, beside the coverage report record_source_outcomes adds to each source.

    Each crawl of a distributed run (a worker's host) reports its part: the figures are added up, the lists joined
    (the run's row is locked meanwhile, so workers closing together do not overwrite each other).
    """
    with session_scope(engine) as session:
        run = session.get(models.CrawlRun, run_id, with_for_update=True)
        stats = dict(run.stats or {})
        merged = dict(stats.get("sources") or {})
        for source_id, report in sources.items():
            merged[str(source_id)] = merge_reports(merged.get(str(source_id), {}), report)
        workers = dict(stats.get("crawl_workers") or {})
        if worker is not None:  # a worker's crawls of one run follow each other: all its figures add up
            workers[worker] = {key: workers.get(worker, {}).get(key, 0) + value for key, value in counters.items()}
        crawl = merge_counters(list(workers.values())) if workers else counters
        run.stats = {**stats, "crawl": crawl, "sources": merged, **({"crawl_workers": workers} if workers else {})}


def run_is_running(engine: Engine, run_id: int) -> bool:
    """The run is still open (a worker does not crawl for a run that has ended meanwhile)."""
    with session_scope(engine) as session:
        return session.scalar(select(models.CrawlRun.status).where(models.CrawlRun.id == run_id)) == "running"


def record_crawl_error(engine: Engine, run_id: int, part: str, error: str | None) -> None:
    """How the crawl of one part of a distributed run (a host) ended with an error, kept in
    crawl_run.stats["crawl_errors"]; None forgets an earlier attempt's."""
    with session_scope(engine) as session:
        run = session.get(models.CrawlRun, run_id, with_for_update=True)
        errors = dict((run.stats or {}).get("crawl_errors") or {})
        if error is None and part not in errors:
            return
        if error is None:
            errors.pop(part)
        else:
            errors[part] = error[:500]
        run.stats = {**(run.stats or {}), "crawl_errors": errors}


def crawl_report(engine: Engine, run_id: int) -> dict[str, Any]:
    """The run's crawl_run.stats as the crawl left them (its workers, its parts' errors, its sources)."""
    with session_scope(engine) as session:
        return dict(session.scalar(select(models.CrawlRun.stats).where(models.CrawlRun.id == run_id)) or {})


def clear_source_rows(engine: Engine, run_id: int, source_ids: list[int]) -> int:
    """Delete what run `run_id` stored of these sources (every table of one run's findings of one source, and
    the sources' crawl reports): a source crawled again, after the worker crawling it died, replaces its rows
    instead of adding to them. Returns the rows deleted."""
    if not source_ids:
        return 0
    deleted = 0
    with session_scope(engine) as session:
        for model in RUN_SOURCE_MODELS:
            deleted += session.execute(delete(model).where(model.run_id == run_id,
                                                           model.source_id.in_(source_ids))).rowcount or 0
        run = session.get(models.CrawlRun, run_id, with_for_update=True)
        sources = dict((run.stats or {}).get("sources") or {})
        if any(str(source_id) in sources for source_id in source_ids):
            run.stats = {**run.stats, "sources": {key: value for key, value in sources.items()
                                                  if key not in {str(source_id) for source_id in source_ids}}}
    return deleted


def merge_reports(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Two parts of one source's crawl report: numbers add up, flags OR, lists join, anything else is replaced."""
    out = dict(old)
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, bool) and isinstance(before, bool):
            out[key] = before or value
        elif isinstance(value, (int, float)) and isinstance(before, (int, float)) and not isinstance(value, bool):
            out[key] = before + value
        elif isinstance(value, list) and isinstance(before, list):
            out[key] = before + [item for item in value if item not in before]
        else:
            out[key] = value
    return out


def merge_counters(parts: list[dict[str, float]]) -> dict[str, float]:
    """Scrapy counters of several workers: summed, except the clock (the longest worker's elapsed time)."""
    out: dict[str, float] = {}
    for part in parts:
        for key, value in part.items():
            out[key] = max(out.get(key, 0), value) if key == "elapsed_time_seconds" else out.get(key, 0) + value
    return out


def good_crawls(source_id: int, before_run: int, *columns: Any) -> Select[Any]:
    """The source's good crawls before `before_run` (selecting `columns`, by default their run ids): crawled
    successfully in a run that succeeded or was partial. The one rule of what may be a baseline: the newest is the
    diff's, the earlier ones its history (a product missed by a crawl or two, a removal after K crawls).

    Of the same series as `before_run`: a live run is compared with live runs, an archived run (`dossier backfill`,
    storage/archive.py) with archived ones, so the past read from the archive is never a nightly crawl's baseline,
    nor does a crawl's first night report what changed since the archive's last capture."""
    this = aliased(models.CrawlRun)
    archived = func.coalesce(select(this.archived).where(this.id == before_run).scalar_subquery(), false())
    return (select(*(columns or (models.SourceCrawl.run_id,)))
            .select_from(models.SourceCrawl)
            .join(models.CrawlRun, models.CrawlRun.id == models.SourceCrawl.run_id)
            .where(models.SourceCrawl.source_id == source_id, models.SourceCrawl.status == "succeeded",
                   models.SourceCrawl.run_id < before_run, models.CrawlRun.status.in_(GOOD_RUNS),
                   models.CrawlRun.archived == archived))


def seen_by_an_earlier_good_run(observation: Any, item_column: Any, item_id: Any, run_id: int,
                                 *where: Any) -> Any:
    """EXISTS: an observation of the item (`observation.item_column == item_id`, e.g. a mention's) by a good run
    before `run_id`, with `where` on that observation (a tender's role): what makes a mention, a post or a tender
    new tonight, rather than its `first_seen_run_id`, since a failed run may have read it first."""
    earlier = aliased(observation)
    return exists(select(earlier.id).join(models.CrawlRun, models.CrawlRun.id == earlier.run_id)
                  .where(getattr(earlier, item_column.key) == item_id, earlier.run_id < run_id,
                         models.CrawlRun.status.in_(GOOD_RUNS), *(w(earlier) for w in where)))


def last_good_crawl(session: Session, source_id: int, run_id: int) -> models.SourceCrawl | None:
    """The source's newest good crawl before `run_id`: its baseline (good_crawls())."""
    return session.scalar(good_crawls(source_id, run_id, models.SourceCrawl)
                          .order_by(models.SourceCrawl.run_id.desc()).limit(1))


def latest_newsletter(engine: Engine, source_id: int) -> datetime | None:
    """When the newest newsletter stored for the source was sent (None before its first)."""
    with session_scope(engine) as session:
        newest = session.scalar(select(func.max(models.Newsletter.sent_at))
                                .where(models.Newsletter.source_id == source_id))
    return _aware(newest) if newest is not None else None


def record_source_outcomes(engine: Engine, run_id: int, sources: list[SourceRef],
                           coverage_floor: float = COVERAGE_FLOOR,
                           crawl_failed: bool = False) -> list[models.SourceCrawl]:
    """Judge each source from its fetch rows: its source_crawl row, and its coverage report in
    crawl_run.stats["sources"] (the same coverage as the row's).

    A source failed when nothing was fetched, its start URL failed, no page could be read, or it read fewer
    pages than `coverage_floor` of its last good crawl (the diff then reports it as unreachable: this is the only
    place that judges coverage); it was skipped when its site's robots.txt could not be read (RFC 9309: nothing
    may be fetched then). `crawl_failed`: the crawl itself failed (the run's error says why), so a source without
    fetch rows says so instead of "nothing was fetched", which would send the user to the site.
    """
    outcomes = []
    with session_scope(engine) as session:
        reports: dict[str, dict[str, Any]] = {}
        for ref in sources:
            fetches = session.execute(select(models.Fetch.url, models.Fetch.status, models.Fetch.error,
                                             models.Fetch.outcome).where(
                models.Fetch.run_id == run_id, models.Fetch.source_id == ref.source_id)).all()
            pages = [f for f in fetches if _is_page(f)]
            failed = [f for f in fetches if _is_failure(f)]
            baseline = last_good_crawl(session, ref.source_id, run_id)
            coverage = round(len(pages) / baseline.pages, 3) if baseline is not None and baseline.pages else None
            status, reason = _judge(ref, fetches, pages, failed, baseline, coverage, coverage_floor)
            if crawl_failed and not fetches:
                reason = NOT_STORED
            outcome = models.SourceCrawl(run_id=run_id, source_id=ref.source_id, status=status, pages=len(pages),
                                         errors=len(failed), items=_count_items(session, run_id, ref.source_id),
                                         coverage=coverage, reason=reason)
            session.merge(_existing(session, run_id, ref.source_id, outcome))
            outcomes.append(outcome)
            reports[str(ref.source_id)] = {
                "competitor": ref.competitor_slug, "kind": ref.kind, "url": ref.url, "status": outcome.status,
                "reason": reason, "pages": len(pages), "errors": len(failed),
                "redirects": len(fetches) - len(pages) - len(failed), "items": outcome.items,
                "baseline_run": baseline.run_id if baseline is not None else None,
                "baseline_pages": baseline.pages if baseline is not None else None, "coverage": coverage,
                "failed_urls": [{"url": f.url, "status": f.status, "error": f.error}
                                for f in failed[:MAX_FAILED_LISTED]],
                "failed_urls_not_listed": max(0, len(failed) - MAX_FAILED_LISTED),
            }
        run = session.get(models.CrawlRun, run_id)
        stats = dict(run.stats or {})
        merged = dict(stats.get("sources") or {})
        for key, report in reports.items():
            merged[key] = {**merged.get(key, {}), **report}
        run.stats = {**stats, "sources": merged}
    return outcomes


def _is_page(fetch) -> bool:
    """A page read (a redirect is neither a page nor a failure)."""
    return FetchOutcome(fetch.outcome).is_page


def _is_failure(fetch) -> bool:
    return FetchOutcome(fetch.outcome).is_failure


def _judge(ref: SourceRef, fetches, pages, failed, baseline: models.SourceCrawl | None, coverage: float | None,
           coverage_floor: float) -> tuple[str, str | None]:
    """(status, reason): succeeded, failed, or skipped: the start URL's fetch was refused because the host's
    robots.txt answered 5xx or could not be reached (crawler/robots.py, RFC 9309 §2.3.1.4), so the site was not
    asked tonight."""
    if not fetches:
        return "failed", "nothing was fetched"
    start = next((f for f in fetches if f.url == ref.url), None)
    if start is not None and start.outcome == FetchOutcome.ROBOTS_UNREACHABLE:
        return "skipped", start.error
    if start is not None and _is_failure(start):
        return "failed", f"start URL failed: {start.error or f'HTTP {start.status}'}"
    if not pages:
        return "failed", f"no page could be read ({len(failed)} failed)"
    if coverage is not None and coverage < coverage_floor:
        return "failed", (f"coverage fell to {len(pages)} of the {baseline.pages} pages of run {baseline.run_id} "
                          f"({coverage:.0%}, below {coverage_floor:.0%})")
    return "succeeded", None


def _existing(session, run_id: int, source_id: int, outcome: models.SourceCrawl) -> models.SourceCrawl:
    stored = session.scalar(select(models.SourceCrawl).where(
        models.SourceCrawl.run_id == run_id, models.SourceCrawl.source_id == source_id))
    if stored is not None:
        outcome.id = stored.id
    return outcome


# What a run found of a source, counted as its `items` (source_crawl.items, a competitor's items in `dossier runs`
# and the live progress): the one list of those tables.
ITEM_MODELS = (models.PriceObservation, models.ReviewObservation, models.AdObservation, models.PageSnapshot,
               models.JobPosting, models.Newsletter, models.MentionObservation, models.TenderObservation,
               models.SocialPostObservation)


def _count_items(session, run_id: int, source_id: int) -> int:
    total = 0
    for model in ITEM_MODELS:
        total += session.scalar(select(func.count()).select_from(model).where(
            model.run_id == run_id, model.source_id == source_id)) or 0
    return total



# every table holding what one run found of one source (models.RunSourceRow): what a source crawled again replaces
RUN_SOURCE_MODELS = tuple(mapper.class_ for mapper in models.Base.registry.mappers
                          if issubclass(mapper.class_, models.RunSourceRow))
