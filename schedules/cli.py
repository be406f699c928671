"""The `dossier` command line: a thin layer of argument parsing over functions a program can call too."""
from __future__ import annotations

import json
import logging
import re
import sys
from collections import Counter
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dossier.errors import EXIT_INTERRUPTED, INTERRUPTED, ConfigError, DossierError
from dossier.config import ChangeKind, SourceKind
from dossier.severity import SEVERITIES
from schedules.options import database_option, distributed_option, outbox_option
from schedules.units import format_delta

if TYPE_CHECKING:  # SQLAlchemy is imported by the commands that open the database, not for `dossier --help`
    from storage.queries import ChangeView

console = Console()


class DossierGroup(click.Group):
    """Turns every DossierError, and every wrong argument click finds, into one line on stderr and its exit code
    (2 for bad input), never a traceback or a usage screen."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:  # a wrong option or argument: click would print a usage screen
            click.echo(f"error: {_one_line(exc)}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):  # Ctrl-C outside a run (click ended the ^C line)
                click.echo(INTERRUPTED, err=True)
                sys.exit(EXIT_INTERRUPTED)
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DossierError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _one_line(exc: click.ClickException) -> str:
    message = " ".join(exc.format_message().split())
    context = getattr(exc, "ctx", None)
    if context is None:
        return message
    return f"{context.command_path}: {message} (see `{context.command_path} --help`)"


@click.group(cls=DossierGroup)
@click.version_option(package_name="dossier")
@click.option("-v", "--verbose", is_flag=True, help="Log progress, and Scrapy's log at INFO (else WARNING).")
@click.option("--log-file", type=click.Path(dir_okay=False),
              help="Also log to this file as JSON lines, rotated at 10 MB (default: schedule.log_file of the config).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Format of the log lines on stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, log_file: str | None, log_format: str) -> None:
    """Dossier: what changed at each competitor, every morning."""
    from schedules.logs import configure_logging

    ctx.obj = {"verbose": verbose, "log_file": log_file, "log_format": log_format}
    configure_logging(verbose, log_file, log_format)


@cli.command()
@click.option("--dir", "folder", default="dossier-demo", show_default=True, type=click.Path(path_type=Path),
              help="Folder for the demo's database and outbox.")
@click.pass_context
def demo(ctx: click.Context, folder: Path) -> None:
    """Serve the bundled competitor sites on 127.0.0.1, run night1 then night2, print the changes."""
    from schedules.demo import run_demo
    from storage.db import create_db_engine
    from storage.matching import list_matches
    from storage.queries import list_changes

    with console.status("Crawling the demo competitors (night1, then night2)…"):
        result = run_demo(folder, verbose=ctx.obj["verbose"])
    for night, run in zip(("night1", "night2"), result.runs):
        click.echo(f"{night}: run {run.run_id} {run.status}, {run.pages} pages, {run.changes} changes")
        for failure in run.failed_sources:
            click.echo(f"  source failed: {failure}")
    engine = create_db_engine(result.database_url)
    changes = list_changes(engine, run_id=result.runs[-1].run_id)
    matches = list_matches(engine)
    engine.dispose()
    events = len(event_numbers(changes))
    console.print(event_table(changes, title=f"What happened in night2 (run {result.runs[-1].run_id}): {events} "
                                             f"events from {len(changes)} changes, most important first"))
    if matches:
        methods = Counter(row.method.replace("_", " ") for row in matches)
        click.echo(f"Matched:  {len(matches)} pairs of products across shops, by " + ", ".join(
            f"{method} {count}" for method, count in methods.most_common()) + " (dossier match list --db "
            f"sqlite:///{result.folder / 'dossier.db'}; our prices against theirs: dossier report)")
    click.echo(f"Database: {result.folder / 'dossier.db'} (each event's changes: dossier changes --db "
               f"sqlite:///{result.folder / 'dossier.db'})")
    for eml in result.eml_files:
        click.echo(f"Digest:   {eml}")
    click.echo(f"Config:   {result.config_path} (the config the demo ran, for the record: its sites are stopped "
               "now; run `dossier demo` again to crawl them)")


@cli.command()
@database_option
def init(database_url: str | None) -> None:
    """Create the database, or migrate it to the newest schema."""
    from dossier.secrets import hide_password
    from storage.db import create_db_engine, resolve_url, upgrade

    engine = create_db_engine(database_url)
    revision = upgrade(engine)
    engine.dispose()
    click.echo(f"database {hide_password(resolve_url(database_url))} is at schema revision {revision}")


@cli.command()
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path),
              help="competitors.yaml (see docs/config.md).")
@database_option
@outbox_option
@click.option("--wait", is_flag=True, help="If another run holds the run lock, wait for it instead of exiting 1.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no tables (for cron): only problems, on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--competitor", help="Run only this competitor (slug), e.g. to try its config: the other "
              "competitors' history is not touched.")
@click.option("--source", "source_kind", type=click.Choice(get_args(SourceKind)),
              help="With --competitor, only its sources of this kind.")
@distributed_option
@click.pass_context
def run(ctx: click.Context, config_path: Path, database_url: str | None, outbox_dir: Path, wait: bool, quiet: bool,
        as_json: bool, competitor: str | None, source_kind: str | None, distributed: bool) -> None:
    """One full run: crawl, extract, store, diff and alert. Exit code 0 succeeded, 1 partial, failed, stopped
    (SIGTERM) or locked (another run is in progress), 2 bad input, 130 interrupted (Ctrl-C)."""
    from dossier.config import load_config
    from schedules.nightly import RunStopped, Scope, run_once, stop_on_signals
    from schedules.progress import LiveProgress, summary_table
    from storage.db import create_db_engine
    from storage.history import competitor_counts

    if source_kind and not competitor:
        raise ConfigError("--source: give --competitor too (the source kind of which competitor?)")
    scope = Scope(competitor, source_kind) if competitor else None
    config = load_config(config_path)
    _config_log_file(ctx, config.schedule.log_file)
    err = Console(stderr=True)
    # with --verbose the crawl process writes its own log to the terminal: no live display to garble
    live = LiveProgress(err) if err.is_terminal and not (quiet or as_json or ctx.obj["verbose"]) else None
    try:
        with stop_on_signals(), (live or nullcontext()):
            result = run_once(config_path, database_url, outbox_dir, verbose=ctx.obj["verbose"], wait=wait,
                              on_progress=live.update if live else None, scope=scope, distributed=distributed,
                              config=config)
    except RunStopped as stopped:  # one line, no traceback: Ctrl-C is the user's doing, SIGTERM an error
        where = f"run {stopped.run_id} marked failed" if stopped.run_id else "no run was started"
        click.echo(f"{'' if stopped.interrupted else 'error: '}{stopped}: {where}", err=True)
        ctx.exit(stopped.exit_code)
    changes = result.listed  # read once by the run, after its events
    engine = create_db_engine(database_url)
    summary = competitor_counts(engine, result.run_id)
    engine.dispose()
    if as_json:
        click.echo(json.dumps({
            "run_id": result.run_id, "status": result.status, "pages": result.pages, "error": result.error,
            "workers": result.workers,
            "failed_sources": result.failed_sources, "changes": [c.as_json() for c in changes],
            "digest": str(result.alert.eml_path) if result.alert and result.alert.eml_path else None,
            "summary": [{"competitor": c.slug, "pages": c.pages, "products": c.products, "reviews": c.reviews,
                         "changes": c.changes, "errors": c.errors} for c in summary],
            "abandoned_runs": [{"run_id": a.run_id, "status": a.status, "reason": a.reason}
                               for a in result.abandoned],
        }, ensure_ascii=False, indent=2))
    elif quiet:
        for abandoned in result.abandoned:
            click.echo(f"run {abandoned.run_id} had been left running: marked {abandoned.status} ({abandoned.reason})", err=True)
        if result.status != "succeeded":
            click.echo(f"run {result.run_id}: {result.status}" + (f": {result.error}" if result.error else ""),
                       err=True)
            for failure in result.failed_sources:
                click.echo(f"  source failed: {failure}", err=True)
        for error in result.alert.errors if result.alert else []:
            click.echo(f"  alert not sent: {error}", err=True)
    else:
        for abandoned in result.abandoned:
            click.echo(f"run {abandoned.run_id} had been left running: marked {abandoned.status} ({abandoned.reason})")
        click.echo(f"run {result.run_id}: {result.status}, {result.pages} pages, {len(changes)} changes")
        if result.error:
            click.echo(f"  error: {result.error}")
        for failure in result.failed_sources:
            click.echo(f"  source failed: {failure}")
        if summary:
            console.print(summary_table(summary, title=f"Run {result.run_id}"))
        if changes:
            console.print(event_table(changes, title="What happened, most important first"))
            console.print(change_table(changes, title="Their changes", numbers=event_numbers(changes)))
        if result.alert and result.alert.eml_path:
            click.echo(f"Digest: {result.alert.eml_path}")
        for error in result.alert.errors if result.alert else []:
            click.echo(f"  alert not sent: {error}")
    ctx.exit(result.exit_code)


@cli.command()
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path),
              help="competitors.yaml: its `schedule` section says when (see docs/config.md).")
@database_option
@outbox_option
@click.option("--now", "run_now", is_flag=True, help="Also start a run right away, then keep to the schedule.")
@distributed_option
@click.pass_context
def schedule(ctx: click.Context, config_path: Path, database_url: str | None, outbox_dir: Path,
             run_now: bool, distributed: bool) -> None:
    """The nightly scheduler: runs `dossier run` on the config's cron until SIGTERM or Ctrl-C (docs/operations.md).
    Exit code 1 if another scheduler already serves this database."""
    from dossier.config import load_config
    from schedules.logs import configure_logging
    from schedules.scheduler import NightlyScheduler

    config = load_config(config_path)
    # an operator wants the scheduler's own lines (next run, run ended) without --verbose
    configure_logging(ctx.obj["verbose"], ctx.obj["log_file"], ctx.obj["log_format"], level=logging.INFO)
    log_file = _config_log_file(ctx, config.schedule.log_file)
    NightlyScheduler(config_path, database_url, outbox_dir, run_now=run_now, log_file=log_file,
                     verbose=ctx.obj["verbose"], distributed=distributed).start()


def _config_log_file(ctx: click.Context, configured: str | None) -> str | None:
    """--log-file, else the config's schedule.log_file (relative to the working directory), added to the logs."""
    from schedules.logs import add_log_file

    log_file = ctx.obj.get("log_file") or configured
    if log_file:
        add_log_file(log_file)
    return log_file


@cli.command()
@click.option("--since", help="Only changes newer than this: 3y, 7d, 24h, 30m or a date (2026-11-01); an archived "
              "run's changes are dated by its captures (`dossier backfill`).")
@click.option("--competitor", help="Only this competitor (slug); a slug the database does not know is an error "
              "listing the known ones.")
@click.option("--kind", help="Only this change kind, e.g. price_down; an unknown kind is an error listing the kinds.")
@click.option("--severity", type=click.Choice(SEVERITIES), help="Only this severity.")
@database_option
@click.option("--events", "events_only", is_flag=True, help="Only the events, one line each, not their changes.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table: the changes, each with its "
              "event (event_id, event_kind, event_title, event_importance).")
def changes(since: str | None, competitor: str | None, kind: str | None, severity: str | None,
            database_url: str | None, events_only: bool, as_json: bool) -> None:
    """List what changed, newest run first: the events a person would name ("New product SR 500 at 2,150 EUR,
    announced in the news"), most important first (docs/alerts.md, "Events"), then their changes, numbered by
    event. The Δ column carries its unit: % for prices and sitemaps, ★ for reviews and ratings, links for broken
    links."""
    from storage.db import open_database
    from storage.queries import change_kinds_stored, list_changes
    from storage.reporting import competitor_slugs

    cutoff = parse_since(since) if since else None
    engine = open_database(database_url, migrate=False)
    try:
        if competitor is not None:
            check_filter(competitor, competitor_slugs(engine),
                         f"--competitor: no competitor {competitor!r} in the database; known")
        if kind is not None:
            check_filter(kind, sorted(set(get_args(ChangeKind)) | set(change_kinds_stored(engine))),
                         f"--kind: {kind!r} is not a change kind; choose one of")
        rows = list_changes(engine, since=cutoff, competitor=competitor, kind=kind, severity=severity)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([c.as_json() for c in rows], ensure_ascii=False, indent=2))
    elif rows:
        console.print(event_table(rows, title="Events, most important first", show_run=True))
        if not events_only:
            console.print(change_table(rows, title="Their changes", show_run=True, numbers=event_numbers(rows)))
    else:
        click.echo("no changes match")


def check_filter(value: str, known: list[str], problem: str) -> None:
    """A ConfigError (one line, exit code 2): `problem` and the valid values, when `value` is none of `known`;
    a mistyped filter must not pass for a quiet week ("no changes match")."""
    if value not in known:
        raise ConfigError(f"{problem}: {', '.join(known) or '(none yet)'}")


def parse_since(value: str) -> datetime:
    """'3y', '7d', '24h', '30m' or an ISO date/time, as a UTC time; a ConfigError naming --since otherwise. Years
    are calendar years (the same day, `dossier backfill` fills years back); 29 February goes to the 28th."""
    match = re.fullmatch(r"\s*(\d+)\s*([ydhm])\s*", value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        now = datetime.now(timezone.utc)
        if unit == "y":
            if amount >= now.year:
                raise ConfigError(f"--since: {value!r} reaches before the year 1 (use fewer years, or a date)")
            return now.replace(year=now.year - amount, day=28 if (now.month, now.day) == (2, 29) else now.day)
        delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount), "m": timedelta(minutes=amount)}[unit]
        return datetime.now(timezone.utc) - delta
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"--since: {value!r} is not a duration or date (use 3y, 7d, 24h, 30m or 2026-11-01)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def event_numbers(changes: list[ChangeView]) -> dict[tuple[int, int | None, str], int]:
    """(run, event, competitor) -> the event's number in the order the changes come (list_changes: newest run,
    most important event first); changes of a run diffed before events existed share one number per competitor."""
    numbers: dict[tuple[int, int | None, str], int] = {}
    for change in changes:
        numbers.setdefault(_event_key(change), len(numbers) + 1)
    return numbers


def _event_key(change: ChangeView) -> tuple[int, int | None, str]:
    return change.run_id, change.event_id, change.competitor_slug


def event_table(changes: list[ChangeView], title: str | None = None, show_run: bool = False) -> Table:
    """One row per event of these changes: its number, competitor, importance, title and how many changes."""
    numbers = event_numbers(changes)
    counts: dict[tuple[int, int | None, str], int] = {}
    first: dict[tuple[int, int | None, str], ChangeView] = {}
    for change in changes:
        key = _event_key(change)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, change)
    table = Table(title=title, show_lines=False)
    table.add_column("#", justify="right")
    if show_run:
        table.add_column("Run", justify="right")
    table.add_column("Competitor", no_wrap=True)
    table.add_column("Importance", justify="right")
    table.add_column("What happened", overflow="fold", ratio=4)
    table.add_column("Changes", justify="right")
    for key, number in numbers.items():
        change = first[key]
        what = change.event_title or "(changes recorded before events existed)"
        row = [str(number), *([str(change.run_id)] if show_run else []), change.competitor_slug,
               "" if change.event_importance is None else str(change.event_importance), what, str(counts[key])]
        table.add_row(*(Text(cell) for cell in row))
    return table


def change_table(changes: list[ChangeView], title: str | None = None, show_run: bool = False,
                 numbers: dict[tuple[int, int | None, str], int] | None = None) -> Table:
    """The changes, one row each; with `numbers` (event_numbers()) a first column names each change's event."""
    table = Table(title=title, show_lines=False)
    if numbers is not None:
        table.add_column("#", justify="right")
    if show_run:
        table.add_column("Run", justify="right")
    table.add_column("Competitor", no_wrap=True)
    table.add_column("Change", no_wrap=True)
    table.add_column("What", overflow="fold", ratio=2)
    table.add_column("Before → after", overflow="fold", ratio=2)
    table.add_column("Δ", justify="right", no_wrap=True)
    for change in changes:
        row = [change.competitor_slug, change.kind, _short(change.title or change.entity), _before_after(change),
               _delta(change)]
        # Text(), not str: scraped text like "[bold]" must not be read as rich markup
        number = [str(numbers[_event_key(change)])] if numbers is not None else []
        table.add_row(*(Text(cell) for cell in number + ([str(change.run_id)] if show_run else []) + row))
    return table


def _before_after(change: ChangeView) -> str:
    if change.kind == "text_changed" and change.before is None:
        return _short(change.after)  # a unified diff: its first lines say enough in a table
    if change.before and change.after:
        return f"{_short(change.before, 40)} → {_short(change.after, 40)}"
    return _short(change.before or change.after)


def _delta(change: ChangeView) -> str:
    return format_delta(change.kind, change.magnitude)


def _short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _register_commands() -> None:
    from schedules.cli_analyst import COMMANDS as ANALYST_COMMANDS

    for command in ANALYST_COMMANDS:
        cli.add_command(command)
    from schedules.cli_alerts import alerts
    cli.add_command(alerts)
    from schedules.cli_match import match
    cli.add_command(match)
    from schedules.cli_runs import runs
    cli.add_command(runs)
    from schedules.cli_try import COMMANDS as TRY_COMMANDS
    from schedules.cli_add import COMMANDS as ADD_COMMANDS
    for command in TRY_COMMANDS + ADD_COMMANDS:
        cli.add_command(command)
    from schedules.cli_distributed import COMMANDS as DISTRIBUTED_COMMANDS
    for command in DISTRIBUTED_COMMANDS:
        cli.add_command(command)
    from schedules.cli_backfill import COMMANDS as BACKFILL_COMMANDS
    for command in BACKFILL_COMMANDS:
        cli.add_command(command)


_register_commands()


def main() -> None:
    cli(prog_name="dossier")


if __name__ == "__main__":
    main()
