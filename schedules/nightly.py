"""One full run: the run lock, sources synced, crawl (in its own process), outcome per source, diff, alerts.

A run holds the database's run lock from start to end, so that no two runs overlap; a run left `running` by a
dead process is marked failed by the next one. While the crawl process works, a monitor thread here keeps the
run's heartbeat and reports progress read from the database.
"""
from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

from crawler.launch import CrawlOutcome, crawl_in_subprocess
from crawler.newsletters import read_newsletters
from crawler.order import CrawlOrder, order_for
from crawler.sources import AUDITED_KINDS
from dossier.config import DossierConfig, load_config
from dossier.errors import EXIT_INTERRUPTED, INTERRUPTED, ConfigError
from schedules.alerts import AlertResult, alert_run, check_alerts, diff_rules, smtp_settings
from schedules.channels import ChannelResult, alert_channels
from schedules.mailer import SmtpSettings
from storage.audit import record_site_audits
from storage.db import open_database, resolve_url
from storage.diff import diff_run
from storage.events import record_events
from storage.history import CompetitorCounts, competitor_counts
from storage.lock import HEARTBEAT_SECONDS, RUN_LOCK, DatabaseLock
from storage.matching import apply_decisions, record_matches
from storage.price_gaps import record_price_gaps
from storage.queries import list_changes
from storage.runs import (
    AbandonedRun, fail_abandoned_runs, finish_run, record_source_outcomes, start_run, sync_sources, touch_run,
)

log = logging.getLogger(__name__)

EXIT_CODES = {"succeeded": 0, "partial": 1, "failed": 1}
DISTRIBUTED_TIMEOUT_SECONDS = 12 * 3600  # a distributed crawl not drained by then is given up (the run fails)
ProgressCallback = Callable[[int, list[CompetitorCounts]], None]  # (run id, counts per competitor)


@dataclass(slots=True)
class RunResult:
    run_id: int
    status: str  # succeeded | partial | failed
    changes: int = 0
    error: str | None = None
    failed_sources: list[str] = field(default_factory=list)
    pages: int = 0
    alert: AlertResult | None = None
    channels: ChannelResult | None = None  # the messages to alerts.channels (their errors are also in alert.errors)
    abandoned: list[AbandonedRun] = field(default_factory=list)  # earlier runs this one found dead and failed
    workers: int = 1  # crawl processes that worked on the run (--distributed: `dossier crawl --worker`s)
    listed: list[Any] = field(default_factory=list)  # the run's changes as read once after its events (ChangeView)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


class RunStopped(BaseException):
    """SIGTERM or SIGINT arrived: the run is stopped and marked failed. A BaseException, like KeyboardInterrupt,
    so that no `except Exception` on the way swallows it."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(INTERRUPTED if signal_name == "SIGINT" else f"stopped by {signal_name}")
        self.signal_name = signal_name
        self.run_id: int | None = None

    @property
    def interrupted(self) -> bool:
        """Ctrl-C: the user stopped the run, which is no error of it."""
        return self.signal_name == "SIGINT"

    @property
    def exit_code(self) -> int:
        return EXIT_INTERRUPTED if self.interrupted else 1


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise RunStopped in the main thread (once: a second signal while the
    run is being closed is ignored, so that closing it is not cut short). Elsewhere than the main thread, nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}

    def stop(number, _frame):
        for each in previous:
            signal.signal(each, signal.SIG_IGN)
        raise RunStopped(signal.Signals(number).name)

    for number in previous:
        signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@dataclass(frozen=True, slots=True)
class Scope:
    """A run of one competitor (`dossier run --competitor`), or of one kind of its sources (`--source`): only
    those sources are crawled and compared; the other competitors' history is not touched."""

    competitor: str
    source_kind: str | None = None

    def check(self, config) -> None:
        """A ConfigError naming the option and what the config offers, when the scope selects nothing."""
        found = next((c for c in config.competitors if c.slug == self.competitor), None)
        if found is None:
            raise ConfigError(f"--competitor: no competitor {self.competitor!r} in the config (its slugs: "
                              f"{', '.join(c.slug for c in config.competitors)})")
        kinds = sorted({source.kind for source in found.sources})
        if self.source_kind is not None and self.source_kind not in kinds:
            raise ConfigError(f"--source: {self.competitor} has no {self.source_kind!r} source (its kinds: "
                              f"{', '.join(kinds)})")

    def selects(self, ref) -> bool:
        return ref.competitor_slug == self.competitor and self.source_kind in (None, ref.kind)

    def as_json(self) -> dict[str, str | None]:
        return {"competitor": self.competitor, "source": self.source_kind}


def run_once(config_path: str | Path, database_url: str | None = None, outbox_dir: str | Path = "outbox",
             smtp_url: str | None = None, verbose: bool = False, *, wait: bool = False,
             on_progress: ProgressCallback | None = None, progress_interval: float = 1.0,
             scope: Scope | None = None, distributed: bool = False,
             config: DossierConfig | None = None) -> RunResult:
    """Crawl, extract, store, diff and alert once (`scope`: one competitor's sources only; `distributed`: crawled
    by `dossier crawl --worker`s, crawler/coordinator.py). Bad input raises a DossierError before anything is
    stored; another run holding the run lock raises RunLockedError (exit code 1), unless `wait` is given.
    `config`: the config of `config_path` when the caller has read it already (it is read once)."""
    config = config or load_config(config_path)
    if scope is not None:
        scope.check(config)
    smtp = smtp_settings(smtp_url)
    check_alerts(config, Path(outbox_dir))
    database_url = resolve_url(database_url)
    if distributed and database_url.startswith("sqlite"):
        raise ConfigError("--distributed: the database is SQLite, which workers on other machines cannot reach: use "
                          "PostgreSQL (--db postgresql://... or DOSSIER_DATABASE_URL)")
    engine = open_database(database_url)
    try:
        lock = DatabaseLock(engine, RUN_LOCK, stale_after=timedelta(minutes=config.schedule.stale_after_minutes))
        lock.acquire(wait=wait)
        try:
            abandoned = fail_abandoned_runs(engine, {holder.run_id: reason for holder, reason in lock.taken_over
                                                     if holder.run_id is not None})
            refs = sync_sources(engine, [c.model_dump(mode="json", by_alias=True) for c in config.competitors])
            if scope is not None:
                refs = [ref for ref in refs if scope.selects(ref)]
            run_id = start_run(engine)
            try:
                lock.attach_run(run_id)
                log.info("run %s started", run_id, extra={"run_id": run_id})
                with _Monitor(engine, run_id, lock, on_progress, progress_interval):
                    result = _crawl_and_compare(engine, config, str(config_path), database_url, run_id, refs,
                                                Path(outbox_dir), smtp, verbose, distributed)
                stats = {"pages": result.pages, "changes": result.changes, "failed_sources": result.failed_sources}
                if scope is not None:
                    stats["scope"] = scope.as_json()
                if result.channels is not None and config.alerts.channels:
                    stats["channels"] = {"sent": len(result.channels.sent_ids),
                                         "failed": len(result.channels.errors),
                                         "unknown": len(result.channels.unknown)}
                if not finish_run(engine, run_id, result.status, stats, error=result.error):
                    result.status, result.error = "failed", "taken for dead and marked failed by another process"
            except BaseException as exc:  # the run must never stay `running`: say why it ended, then re-raise
                if isinstance(exc, RunStopped):
                    exc.run_id = run_id
                # Ctrl-C: a RunStopped within stop_on_signals, else (a program calling run_once, `dossier demo`)
                # a KeyboardInterrupt, whose own text is empty
                interrupted = isinstance(exc, KeyboardInterrupt) or (isinstance(exc, RunStopped) and exc.interrupted)
                error = INTERRUPTED if interrupted else f"{type(exc).__name__}: {exc}"[:1000]
                finish_run(engine, run_id, "failed", error=error)
                # the user's own Ctrl-C is no error: the command's one line says it, the log file keeps it (INFO)
                log.log(logging.INFO if interrupted else logging.ERROR, "run %s failed: %s", run_id, error,
                        extra={"run_id": run_id})
                raise
            log.info("run %s %s: %d pages, %d changes", run_id, result.status, result.pages, result.changes,
                     extra={"run_id": run_id})
            result.abandoned = abandoned
            return result
        finally:
            lock.release()
    finally:
        engine.dispose()


class _Monitor:
    """A thread beside the run: the heartbeat of the run and its lock, and progress polled from the database."""

    def __init__(self, engine, run_id: int, lock: DatabaseLock, on_progress: ProgressCallback | None,
                 interval: float) -> None:
        self.engine, self.run_id, self.lock, self.on_progress = engine, run_id, lock, on_progress
        self.interval = min(interval, HEARTBEAT_SECONDS) if on_progress else HEARTBEAT_SECONDS
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"run-{run_id}-monitor", daemon=True)

    def __enter__(self) -> _Monitor:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopped.set()
        self.thread.join(timeout=30)
        if self.on_progress:
            self._report()  # the final counts, diff included

    def _loop(self) -> None:
        beats = 0.0
        while not self.stopped.wait(self.interval):
            beats += self.interval
            if beats >= HEARTBEAT_SECONDS:
                beats = 0.0
                try:
                    touch_run(self.engine, self.run_id)
                    self.lock.heartbeat()
                except Exception as exc:  # a busy or briefly unreachable database: the next beat may succeed
                    log.warning("run %s: heartbeat not written: %s", self.run_id, exc)
            if self.on_progress:
                self._report()

    def _report(self) -> None:
        try:
            counts = competitor_counts(self.engine, self.run_id)
        except Exception as exc:  # progress is a display: a failed poll must not end the run
            log.debug("run %s: progress not read: %s", self.run_id, exc)
            return
        self.on_progress(self.run_id, counts)


def _crawl_and_compare(engine, config, config_path: str, database_url: str, run_id: int, refs, outbox_dir: Path,
                       smtp: SmtpSettings | None, verbose: bool, distributed: bool = False) -> RunResult:
    log.info("run %s: crawling %d sources", run_id, len(refs), extra={"run_id": run_id})
    crawled = [ref for ref in refs if ref.kind != "newsletter"]  # mailboxes are read here, not crawled
    crawl, workers = _crawl(order_for(config, run_id, crawled), database_url, verbose, distributed)
    read_newsletters(engine, run_id, refs, Path(config_path).resolve().parent)
    outcomes = record_source_outcomes(engine, run_id, refs, crawl_failed=not crawl.ok)
    record_site_audits(engine, run_id, [ref.source_id for ref in refs if ref.kind in AUDITED_KINDS])
    by_id = {ref.source_id: ref for ref in refs}
    failed = [f"{by_id[o.source_id].competitor_slug} {by_id[o.source_id].url}: "
              + (f"{o.reason}" if o.status == "failed" else f"{o.status}: {o.reason}")
              for o in outcomes if o.status != "succeeded"]
    result = RunResult(run_id, "failed" if not crawl.ok else ("partial" if failed or crawl.error else "succeeded"),
                       error=crawl.error, failed_sources=failed, pages=sum(o.pages for o in outcomes),
                       workers=workers)
    if not crawl.ok:
        return result  # a crashed crawl's observations are incomplete: no diff, no alert
    # The diff looks for baselines among finished runs only; this run is judged by its sources' outcomes.
    rules = diff_rules(config)
    diff_run(engine, run_id, rules)
    for reference in apply_decisions(engine, config.matches.decisions()):
        log.warning("run %s: matches: no product %s yet; its pair is applied once a run lists it", run_id, reference,
                    extra={"run_id": run_id})
    record_matches(engine, run_id)  # the same product across competitors, for the price position (storage/matching.py)
    record_price_gaps(engine, run_id, rules)  # undercuts and moved gaps against our own shop, as changes
    record_events(engine, run_id, config.alerts.language)
    changes = list_changes(engine, run_id=run_id)  # read once, after the events: the alerts lead with them
    result.changes, result.listed = len(changes), changes
    result.alert = alert_run(engine, run_id, config, outbox_dir, smtp, changes=changes)
    result.channels = alert_channels(engine, run_id, config, changes=changes)
    result.alert.errors.extend(result.channels.errors)  # shown as the e-mail's are: "alert not sent: channel …"
    return result


def _crawl(order: CrawlOrder, database_url: str, verbose: bool, distributed: bool) -> tuple[CrawlOutcome, int]:
    """The crawl of the run's sources: in a child process, or (`distributed`) by the `dossier crawl --worker`s
    this process coordinates, one host at a time (crawler/coordinator.py). Returns how it ended and how many
    processes crawled."""
    if not distributed:
        return crawl_in_subprocess(order, database_url, verbose=verbose), 1
    from crawler.coordinator import coordinate  # procrastinate is imported by distributed runs only

    outcome = coordinate(database_url, order, DISTRIBUTED_TIMEOUT_SECONDS)
    return CrawlOutcome(outcome.ok, outcome.error), outcome.workers  # ok with an error: hosts no worker crawled
