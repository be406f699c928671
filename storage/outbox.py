"""The alert outbox: every digest is stored before it is sent, and claimed (`sending`) right before the SMTP DATA
that hands it over, so a failed send is retried and none is sent twice (statuses and the unknown case:
docs/alerts.md). The rules of a row's status (claim, mark sent, mark failed) are the same for a message to a chat
or webhook channel (storage/channel_outbox.py): they take the outbox table as `model`."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar
from email.utils import formataddr, getaddresses

from sqlalchemy import Engine, select, update

from storage import models
from storage.db import session_scope

RETRIED = ("pending", "failed")
IN_DOUBT = "sending"
Outbox = type[models.AlertOutbox] | type[models.ChannelOutbox]  # a table of messages stored before they are sent
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    run_id: int
    recipients: list[str]
    subject: str
    status: str
    attempts: int
    eml_path: str | None
    message_id: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


def _entry(row: models.AlertOutbox) -> OutboxEntry:
    # the stored list is comma-separated, and a quoted display name may hold a comma: read it as an address list
    recipients = [formataddr(pair) for pair in getaddresses([row.recipients]) if pair[1]]
    return OutboxEntry(row.id, row.run_id, recipients, row.subject, row.status, row.attempts, row.eml_path,
                       row.message_id, row.last_error, row.sent_at)


def store_digest(engine: Engine, run_id: int, recipients: list[str], subject: str, text: str, html: str,
                 message_id: str | None = None) -> OutboxEntry:
    """Add the run's digest for these recipients with its Message-ID; a second call for the same run and
    recipients returns the stored row unchanged (its Message-ID too: a digest keeps one identity)."""
    key = ",".join(recipients)
    with session_scope(engine) as session:
        row = session.scalar(select(models.AlertOutbox).where(
            models.AlertOutbox.run_id == run_id, models.AlertOutbox.recipients == key))
        if row is None:
            row = models.AlertOutbox(run_id=run_id, recipients=key, subject=subject, body_text=text, body_html=html,
                                     message_id=message_id, status="pending" if recipients else "stored",
                                     attempts=0)
            session.add(row)
            session.flush()
        return _entry(row)


def mark_written(engine: Engine, outbox_id: int, eml_path: str) -> None:
    with session_scope(engine) as session:
        session.get(models.AlertOutbox, outbox_id).eml_path = eml_path


def queued_states(force: bool = False) -> tuple[str, ...]:
    """The statuses of a row still to send: pending or failed; with `force` also sending (delivery unknown)."""
    return (*RETRIED, IN_DOUBT) if force else RETRIED


def claim(engine: Engine, outbox_id: int, force: bool = False, model: Outbox = models.AlertOutbox) -> bool:
    """Mark the row `sending` (one attempt more) right before the message is handed over (SMTP DATA, the channel's
    HTTP request); False when another sender took it or it was sent meanwhile. `force` also claims a row whose
    delivery is unknown."""
    with session_scope(engine) as session:
        claimed = session.execute(
            update(model)
            .where(model.id == outbox_id, model.status.in_(queued_states(force)))
            .values(status=IN_DOUBT, attempts=model.attempts + 1)
            .execution_options(synchronize_session=False))
        return claimed.rowcount == 1


def mark_sent(engine: Engine, outbox_id: int, model: Outbox = models.AlertOutbox) -> None:
    with session_scope(engine) as session:
        row = session.get(model, outbox_id)
        row.status, row.last_error, row.sent_at = "sent", None, datetime.now(timezone.utc)


def mark_failed(engine: Engine, outbox_id: int, error: str, claimed: bool = True,
                model: Outbox = models.AlertOutbox) -> None:
    """The send failed before the server accepted the message: queued again with the error. Unclaimed (it failed
    before DATA: server down, login or recipients refused) the attempt is counted here, and only a row still
    queued is touched: never one another sender claimed meanwhile."""
    with session_scope(engine) as session:
        if claimed:
            session.execute(update(model)
                            .where(model.id == outbox_id, model.status == IN_DOUBT)
                            .values(status="failed", last_error=error)
                            .execution_options(synchronize_session=False))
        else:
            session.execute(update(model)
                            .where(model.id == outbox_id, model.status.in_(RETRIED))
                            .values(status="failed", last_error=error, attempts=model.attempts + 1)
                            .execution_options(synchronize_session=False))


def read_rows(engine: Engine, model: Outbox, convert: Callable[[Any], T], *where: Any, newest_first: bool = False,
              limit: int | None = None) -> list[T]:
    """Rows of an outbox table (the digests' or the channel messages'), oldest first unless `newest_first`, each
    read by `convert`."""
    query = select(model).where(*where).order_by(model.id.desc() if newest_first else model.id)
    with session_scope(engine) as session:
        return [convert(row) for row in session.scalars(query.limit(limit) if limit else query)]


def queued(engine: Engine, model: Outbox, convert: Callable[[Any], T], force: bool = False, *where: Any) -> list[T]:
    """Rows to send: pending, or failed on an earlier attempt; with `force` also those of unknown delivery."""
    return read_rows(engine, model, convert, model.status.in_(queued_states(force)), *where)


def interrupted(engine: Engine, model: Outbox, convert: Callable[[Any], T]) -> list[T]:
    """Rows whose send was interrupted after the claim: maybe delivered, maybe not (reported as unknown)."""
    return read_rows(engine, model, convert, model.status == IN_DOUBT)


def unsent(engine: Engine, force: bool = False) -> list[OutboxEntry]:
    """Digests to send (queued()), those with recipients: a digest for the outbox folder only is never sent."""
    return queued(engine, models.AlertOutbox, _entry, force, models.AlertOutbox.recipients != "")


def in_doubt(engine: Engine) -> list[OutboxEntry]:
    """Digests whose send was interrupted after the claim (interrupted())."""
    return interrupted(engine, models.AlertOutbox, _entry)


def list_outbox(engine: Engine, limit: int = 50) -> list[OutboxEntry]:
    """The newest digests, newest first."""
    return read_rows(engine, models.AlertOutbox, _entry, newest_first=True, limit=limit)


def digest_bodies(engine: Engine, outbox_id: int) -> tuple[str, str, str]:
    with session_scope(engine) as session:
        row = session.get(models.AlertOutbox, outbox_id)
        return row.subject, row.body_text, row.body_html
