"""One full run: sources synced, crawl (in its own process), outcome per source, diff, alerts."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from crawler.launch import crawl_in_subprocess
from dossier.config import load_config
from schedules.alerts import AlertResult, alert_run, diff_rules, smtp_settings
from schedules.mailer import SmtpSettings
from storage.db import open_database, resolve_url
from storage.diff import diff_run
from storage.queries import list_changes
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources

log = logging.getLogger(__name__)

EXIT_CODES = {"succeeded": 0, "partial": 1, "failed": 1}


@dataclass(slots=True)
class RunResult:
    run_id: int
    status: str  # succeeded | partial | failed
    changes: int = 0
    error: str | None = None
    failed_sources: list[str] = field(default_factory=list)
    pages: int = 0
    alert: AlertResult | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def run_once(config_path: str | Path, database_url: str | None = None, outbox_dir: str | Path = "outbox",
             smtp_url: str | None = None, verbose: bool = False) -> RunResult:
    """Crawl, extract, store, diff and alert once. Bad input raises a DossierError before anything is stored."""
    config = load_config(config_path)
    smtp = smtp_settings(smtp_url)
    database_url = resolve_url(database_url)
    engine = open_database(database_url)
    try:
        refs = sync_sources(engine, [c.model_dump(mode="json", by_alias=True) for c in config.competitors])
        run_id = start_run(engine)
        try:
            result = _crawl_and_compare(engine, config, str(config_path), database_url, run_id, refs,
                                        Path(outbox_dir), smtp, verbose)
        except BaseException as exc:  # the run must never stay `running`: say why it ended, then re-raise
            finish_run(engine, run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:1000])
            raise
        finish_run(engine, run_id, result.status, {"pages": result.pages, "changes": result.changes,
                                                   "failed_sources": result.failed_sources}, error=result.error)
        return result
    finally:
        engine.dispose()


def _crawl_and_compare(engine, config, config_path: str, database_url: str, run_id: int, refs, outbox_dir: Path,
                       smtp: SmtpSettings | None, verbose: bool) -> RunResult:
    log.info("run %s: crawling %d sources", run_id, len(refs))
    crawl = crawl_in_subprocess(config_path, database_url, run_id, verbose=verbose)
    outcomes = record_source_outcomes(engine, run_id, refs)
    by_id = {ref.source_id: ref for ref in refs}
    failed = [f"{by_id[o.source_id].competitor_slug} {by_id[o.source_id].url}: {o.reason}"
              for o in outcomes if o.status != "succeeded"]
    result = RunResult(run_id, "failed" if not crawl.ok else ("partial" if failed else "succeeded"),
                       error=crawl.error, failed_sources=failed, pages=sum(o.pages for o in outcomes))
    if not crawl.ok:
        return result  # a crashed crawl's observations are incomplete: no diff, no alert
    # The diff looks for baselines among finished runs only; this run is judged by its sources' outcomes.
    diff_run(engine, run_id, diff_rules(config))
    result.changes = len(list_changes(engine, run_id=run_id))
    result.alert = alert_run(engine, run_id, config, outbox_dir, smtp)
    return result
