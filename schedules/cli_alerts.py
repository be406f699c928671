"""`dossier alerts`: the outbox from the command line (list the digests and channel messages, retry the unsent
ones)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from schedules.options import database_option

STATUS_SHOWN = {"sending": "unknown"}  # interrupted mid-send: maybe delivered (see docs/alerts.md)


@click.group()
def alerts() -> None:
    """The alert outbox: every digest and channel message is stored before it is sent (docs/alerts.md)."""


@alerts.command(name="list")
@database_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Show this many digests, and this many channel messages, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
def list_digests(database_url: str | None, limit: int, as_json: bool) -> None:
    """List the newest digests, then the newest channel messages, with their status: stored, pending, sent, failed
    or unknown."""
    from storage.channel_outbox import list_messages
    from storage.db import open_database
    from storage.outbox import list_outbox

    engine = open_database(database_url, migrate=False)
    try:
        entries, messages = list_outbox(engine, limit), list_messages(engine, limit)
    finally:
        engine.dispose()
    rows = [{"id": e.id, "run": e.run_id, "to": ", ".join(e.recipients), "channel": None,
             "status": STATUS_SHOWN.get(e.status, e.status), "attempts": e.attempts, "message_id": e.message_id,
             "error": e.last_error, "subject": e.subject} for e in entries]
    rows += [{"id": m.id, "run": m.run_id, "to": None, "channel": m.channel,
              "status": STATUS_SHOWN.get(m.status, m.status), "attempts": m.attempts, "message_id": None,
              "error": m.last_error, "subject": m.title} for m in messages]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        to = f"channel {row['channel']}" if row["channel"] else row["to"] or "(outbox only)"
        line = f"{row['id']:>5}  run {row['run']:<5} {row['status']:<8} {to}: {row['subject']}"
        click.echo(line + (f"  [{row['error']}]" if row["error"] else ""))


@alerts.command()
@database_option
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="competitors.yaml: the channels to send to (alerts.channels), and the sender address (default: "
                   "the From of the stored .eml).")
@click.option("--force", is_flag=True,
              help="Also resend digests and channel messages whose delivery is unknown (interrupted while sending); "
                   "a digest keeps its Message-ID.")
def retry(database_url: str | None, config_path: Path | None, force: bool) -> None:
    """Send the queued digests (pending or failed) through $DOSSIER_SMTP_URL, and with --config the queued channel
    messages. Exit code 1 if one failed or its delivery is unknown."""
    from dossier.config import load_config
    from dossier.errors import ConfigError
    from schedules.alerts import SMTP_ENV, AlertResult, send_unsent, smtp_settings
    from schedules.channels import ChannelResult, send_channel_messages
    from storage import channel_outbox, outbox
    from storage.db import open_database

    settings = smtp_settings()
    config = load_config(config_path) if config_path else None
    channels = config.alerts.channels if config else []
    no_smtp = f"{SMTP_ENV} is not set: "
    example = "(e.g. smtp://user:pass@host:587?starttls=1)"
    if settings is None and not channels:
        raise ConfigError(f"{no_smtp}nothing can be sent {example}; channel messages are sent with --config")
    sender = config.alerts.email.from_ if config and config.alerts.email else None
    engine = open_database(database_url, migrate=False)
    try:
        result, channel_result = AlertResult(), ChannelResult()
        sent = send_unsent(engine, settings, sender, force=force, result=result) if settings else []
        digests_waiting = [] if settings else outbox.unsent(engine, force=force)
        if channels:
            send_channel_messages(engine, channels, force=force, result=channel_result)
        channels_waiting = [] if channels else channel_outbox.unsent(engine, force=force)
    finally:
        engine.dispose()
    if settings:
        click.echo(f"sent {len(sent)} digest{'' if len(sent) == 1 else 's'}")
    if channels:
        count = len(channel_result.sent_ids)
        click.echo(f"sent {count} channel message{'' if count == 1 else 's'}")
    for error in result.errors + channel_result.errors:
        click.echo(f"not sent: {error}", err=True)
    for outbox_id in result.unknown:
        click.echo(f"digest {outbox_id}: delivery unknown (interrupted while sending); check the mailbox, "
                   "then `dossier alerts retry --force` to resend it", err=True)
    for message_id in channel_result.unknown:
        click.echo(f"channel message {message_id}: delivery unknown (interrupted while sending); check the channel, "
                   "then `dossier alerts retry --config FILE --force` to resend it", err=True)
    if channels_waiting:
        click.echo(f"{len(channels_waiting)} channel message{'' if len(channels_waiting) == 1 else 's'} not sent: "
                   "give --config, whose alerts.channels hold their URLs", err=True)
    if digests_waiting:
        raise ConfigError(f"{no_smtp}{len(digests_waiting)} digest{'' if len(digests_waiting) == 1 else 's'} not "
                          f"sent {example}")
    if result.errors or result.unknown or channel_result.errors or channel_result.unknown or channels_waiting:
        raise click.exceptions.Exit(1)
