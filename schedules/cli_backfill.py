"""`dossier backfill`: a competitor's past from the Internet Archive (schedules/backfill.py does the work)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from crawler import settings
from schedules.options import database_option

console = Console()


@click.command()
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path),
              help="competitors.yaml: the competitor's sources (see docs/config.md).")
@click.option("--competitor", required=True, help="The competitor (slug) whose past to read.")
@click.option("--since", type=int, help="From this year on (default: everything the archive has).")
@click.option("--per", default="month", show_default=True,
              help="month or quarter: one archived run per month or per quarter, the last capture of each page in "
                   "it.")
@click.option("--max-pages", type=click.IntRange(1, 10_000), default=settings.BACKFILL_MAX_PAGES, show_default=True,
              help="Pages of each source asked of the archive: its start URL, then the pages the dossier knows.")
@click.option("--archive", "archive_url", default=settings.ARCHIVE_URL, show_default=True,
              help="The archive's base URL (a Wayback Machine with its CDX API).")
@click.option("--delay", type=click.FloatRange(0, 60), default=settings.ARCHIVE_DELAY, show_default=True,
              help="Seconds between two requests to the archive (it asks about one a second).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(settings.ARCHIVE_CACHE), show_default=True,
              help="Folder keeping the captures read, so a rerun does not fetch them again.")
@database_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def backfill(ctx: click.Context, config_path: Path, competitor: str, since: int | None, per: str, max_pages: int,
             archive_url: str, delay: float, cache_dir: Path, database_url: str | None, as_json: bool) -> None:
    """Read a competitor's past from the Internet Archive: one run per month (or quarter) of captures, dated by
    them and marked archived, in the same tables as the nightly runs (docs/backfill.md). A second backfill adds
    nothing; a stopped one resumes. Exit code 0 done, 1 a period failed (run it again), 2 bad input or no archive."""
    from schedules.backfill import ArchiveSettings, run_backfill

    err = Console(stderr=True)

    def progress(done, number: int, total: int) -> None:
        if not as_json:
            what = {"skipped": "already stored"}.get(done.status, f"{done.status}, {done.pages} pages, "
                                                                  f"{done.changes} changes")
            err.print(f"[{number}/{total}] {done.period}: {what}" + (f" ({done.error})" if done.error else ""),
                      highlight=False)

    result = run_backfill(config_path, competitor, database_url=database_url, since=since, per=per,
                          archive=ArchiveSettings(archive_url, delay, cache_dir), max_pages=max_pages,
                          on_progress=progress)
    if as_json:
        click.echo(json.dumps({
            "competitor": result.competitor, "pages_asked": result.pages_asked, "fetched": result.fetched,
            "cached": result.cached,
            "periods": [{"period": p.period, "run_id": p.run_id, "status": p.status,
                         "captured": p.captured.isoformat() if p.captured else None, "pages": p.pages,
                         "changes": p.changes, "error": p.error} for p in result.periods]},
            ensure_ascii=False, indent=2))
    else:
        console.print(f"{result.competitor}: {len(result.added)} archived runs added, {len(result.skipped)} already "
                      f"stored, {len(result.failed)} failed; {result.pages_asked} pages asked of the archive, "
                      f"{result.fetched} captures fetched, {result.cached} from the cache, "
                      f"{sum(p.changes for p in result.added)} changes", highlight=False)
    ctx.exit(result.exit_code)


COMMANDS = [backfill]
