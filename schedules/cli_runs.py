"""`dossier runs`: the history of runs (status, duration, pages, changes, errors) and one run's detail."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from schedules.options import database_option

STATUS_STYLE = {"succeeded": "green", "partial": "yellow", "failed": "red", "running": "cyan"}

console = Console()


@click.group(invoke_without_command=True)
@database_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="Show this many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def runs(ctx: click.Context, database_url: str | None, limit: int, as_json: bool) -> None:
    """List recent runs: status, start, duration, pages read, changes and failed fetches."""
    if ctx.invoked_subcommand is not None:
        return
    from storage.db import open_database
    from storage.history import list_runs

    engine = open_database(database_url, migrate=False)
    try:
        rows = list_runs(engine, limit)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([row.as_json() for row in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no runs yet: start one with `dossier run --config competitors.yaml`")
        return
    table = Table()
    for header in ("Run", "Status", "Started (UTC)", "Duration", "Pages", "Changes", "Errors"):
        table.add_column(header, justify="left" if header in ("Status", "Started (UTC)") else "right", no_wrap=True)
    for row in rows:
        status = Text(row.status, style=STATUS_STYLE.get(row.status, ""))
        if row.period:  # read from the Internet Archive (`dossier backfill`): dated by its captures
            status.append(f" · archive {row.period}", style="dim")
        table.add_row(str(row.id), status,
                      f"{row.started:%Y-%m-%d %H:%M}", duration(row.duration), str(row.pages), str(row.changes),
                      str(row.errors))
    console.print(table)
    for row in rows:  # below the table, where a long reason is not squeezed into a column
        if row.error:
            click.echo(f"run {row.id}: {row.error}")
        elif row.status == "running":
            click.echo(f"run {row.id}: running in process {row.owner}")


@runs.command()
@click.argument("run_id", type=int)
@database_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def show(run_id: int, database_url: str | None, as_json: bool) -> None:
    """One run in detail: counts per competitor, how each source fared, and the URLs that failed."""
    from dossier.errors import ConfigError
    from schedules.progress import summary_table
    from storage.db import open_database
    from storage.history import run_detail

    engine = open_database(database_url, migrate=False)
    try:
        detail = run_detail(engine, run_id)
    finally:
        engine.dispose()
    if detail is None:
        raise ConfigError(f"runs show {run_id}: no run with this id (`dossier runs` lists them)")
    if as_json:
        click.echo(json.dumps(detail.as_json(), ensure_ascii=False, indent=2, default=str))
        return
    run = detail.run
    ended = f"finished {run.finished:%Y-%m-%d %H:%M:%S} UTC" if run.finished else "not finished"
    click.echo(f"run {run.id}: {run.status}, started {run.started:%Y-%m-%d %H:%M:%S} UTC, {ended}, "
               f"took {duration(run.duration)}" + (f", process {run.owner}" if run.owner else ""))
    if run.status == "running" and run.heartbeat:
        age = (datetime.now(timezone.utc) - run.heartbeat).total_seconds()
        click.echo(f"  last heartbeat {age:.0f} s ago")
    if run.error:
        click.echo(f"  error: {run.error}")
    workers = detail.stats.get("crawl_workers") or {}
    if workers:  # a distributed run (docs/operations.md): who crawled how much
        pages = ", ".join(f"{name} {int(counters.get('downloader/response_count', 0))}"
                          for name, counters in sorted(workers.items()))
        click.echo(f"  crawled by {len(workers)} worker{'' if len(workers) == 1 else 's'} (responses): {pages}")
    if detail.competitors:
        console.print(summary_table(detail.competitors, title="Per competitor"))
    if detail.sources:
        click.echo("sources:")
        for source in detail.sources:  # lines, not a table: URLs and reasons stay whole and greppable
            click.echo(f"  {source.status:<10} {source.competitor} {source.kind}  {source.url}  "
                       f"{source.pages} pages, {source.errors} errors, {source.items} items")
            if source.reason:
                click.echo(f"             {source.reason}")
    if detail.failed_urls:
        click.echo(f"failed URLs ({len(detail.failed_urls)}):")
        for failed in detail.failed_urls:
            what = failed.error or f"HTTP {failed.status}"
            click.echo(f"  {failed.competitor} {failed.kind}  {failed.url}  {what}")
    else:
        click.echo("no failed URLs")


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
