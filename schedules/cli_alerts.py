"""`dossier alerts`: the outbox from the command line (list the digests, retry the unsent ones)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from schedules.options import database_option

STATUS_SHOWN = {"sending": "unknown"}  # interrupted mid-send: maybe delivered (see docs/alerts.md)


@click.group()
def alerts() -> None:
    """The digest outbox: every digest is stored before it is sent (docs/alerts.md)."""


@alerts.command(name="list")
@database_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Show this many digests, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
def list_digests(database_url: str | None, limit: int, as_json: bool) -> None:
    """List the newest digests with their status: stored, pending, sent, failed or unknown."""
    from storage.db import open_database
    from storage.outbox import list_outbox

    engine = open_database(database_url, migrate=False)
    try:
        entries = list_outbox(engine, limit)
    finally:
        engine.dispose()
    rows = [{"id": e.id, "run": e.run_id, "to": ", ".join(e.recipients), "status": STATUS_SHOWN.get(e.status, e.status),
             "attempts": e.attempts, "message_id": e.message_id, "error": e.last_error, "subject": e.subject}
            for e in entries]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        line = f"{row['id']:>5}  run {row['run']:<5} {row['status']:<8} {row['to'] or '(outbox only)'}: {row['subject']}"
        click.echo(line + (f"  [{row['error']}]" if row["error"] else ""))


@alerts.command()
@database_option
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="competitors.yaml, for the sender address (default: the From of the stored .eml).")
@click.option("--force", is_flag=True,
              help="Also resend digests whose delivery is unknown (interrupted while sending), same Message-ID.")
def retry(database_url: str | None, config_path: Path | None, force: bool) -> None:
    """Send the queued digests now (pending or failed) through $DOSSIER_SMTP_URL. Exit code 1 if one failed."""
    from dossier.config import load_config
    from dossier.errors import ConfigError
    from schedules.alerts import SMTP_ENV, AlertResult, send_unsent, smtp_settings
    from storage.db import open_database

    settings = smtp_settings()
    if settings is None:
        raise ConfigError(f"{SMTP_ENV} is not set: nothing can be sent (e.g. smtp://user:pass@host:587?starttls=1)")
    config = load_config(config_path) if config_path else None
    sender = config.alerts.email.from_ if config and config.alerts.email else None
    engine = open_database(database_url, migrate=False)
    try:
        result = AlertResult()
        sent = send_unsent(engine, settings, sender, force=force, result=result)
    finally:
        engine.dispose()
    click.echo(f"sent {len(sent)} digest{'' if len(sent) == 1 else 's'}")
    for error in result.errors:
        click.echo(f"not sent: {error}", err=True)
    for outbox_id in result.unknown:
        click.echo(f"digest {outbox_id}: delivery unknown (interrupted while sending); check the mailbox, "
                   "then `dossier alerts retry --force` to resend it", err=True)
    if result.errors or result.unknown:
        raise click.exceptions.Exit(1)
