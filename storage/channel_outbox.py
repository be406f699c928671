"""The channel outbox: a run's message to each chat or webhook channel is stored before it is sent, and claimed
(`sending`) right before the send, with the e-mail outbox's rules (storage/outbox.py; docs/alerts.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from storage import models, outbox
from storage.db import session_scope

TABLE = models.ChannelOutbox


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    """A stored message to one channel of one run, as read back (its body apart: see `message_body`)."""

    id: int
    run_id: int
    channel: str
    title: str
    status: str
    attempts: int
    last_error: str | None = None
    sent_at: datetime | None = None


def _message(row: models.ChannelOutbox) -> ChannelMessage:
    return ChannelMessage(row.id, row.run_id, row.channel, row.title, row.status, row.attempts, row.last_error,
                          row.sent_at)


def store_message(engine: Engine, run_id: int, channel: str, title: str, body: str) -> ChannelMessage:
    """Add the run's message to the channel, pending; a second call for the same run and channel returns the stored
    row unchanged (a message keeps its first wording: a retry resends what was stored)."""
    with session_scope(engine) as session:
        row = session.scalar(select(TABLE).where(TABLE.run_id == run_id, TABLE.channel == channel))
        if row is None:
            row = TABLE(run_id=run_id, channel=channel, title=title, body=body, status="pending", attempts=0)
            session.add(row)
            session.flush()
        return _message(row)


def claim(engine: Engine, message_id: int, force: bool = False) -> bool:
    """The message is `sending` (one attempt more) from here until it is marked; see storage.outbox.claim."""
    return outbox.claim(engine, message_id, force=force, model=TABLE)


def mark_sent(engine: Engine, message_id: int) -> None:
    outbox.mark_sent(engine, message_id, model=TABLE)


def mark_failed(engine: Engine, message_id: int, error: str, claimed: bool = True) -> None:
    """Queued again with the error; see storage.outbox.mark_failed."""
    outbox.mark_failed(engine, message_id, error, claimed=claimed, model=TABLE)


def unsent(engine: Engine, force: bool = False) -> list[ChannelMessage]:
    """Messages to send, oldest first (storage.outbox.queued)."""
    return outbox.queued(engine, TABLE, _message, force)


def in_doubt(engine: Engine) -> list[ChannelMessage]:
    """Messages whose send was interrupted after the claim (storage.outbox.interrupted)."""
    return outbox.interrupted(engine, TABLE, _message)


def list_messages(engine: Engine, limit: int = 50) -> list[ChannelMessage]:
    """The newest messages, newest first."""
    return outbox.read_rows(engine, TABLE, _message, newest_first=True, limit=limit)


def message_body(engine: Engine, message_id: int) -> tuple[str, str]:
    """The stored (title, body) of a message."""
    with session_scope(engine) as session:
        row = session.get(TABLE, message_id)
        return row.title, row.body
