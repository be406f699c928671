"""The alert outbox: every digest is stored before it is sent, so a failed send is retried, never lost."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, select

from storage import models
from storage.db import session_scope


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    run_id: int
    recipients: list[str]
    subject: str
    status: str
    attempts: int
    eml_path: str | None


def _entry(row: models.AlertOutbox) -> OutboxEntry:
    recipients = [r for r in row.recipients.split(",") if r]
    return OutboxEntry(row.id, row.run_id, recipients, row.subject, row.status, row.attempts, row.eml_path)


def store_digest(engine: Engine, run_id: int, recipients: list[str], subject: str, text: str, html: str) -> OutboxEntry:
    """Add the run's digest for these recipients; a second call for the same run returns the stored one."""
    key = ",".join(recipients)
    with session_scope(engine) as session:
        row = session.scalar(select(models.AlertOutbox).where(
            models.AlertOutbox.run_id == run_id, models.AlertOutbox.recipients == key))
        if row is None:
            row = models.AlertOutbox(run_id=run_id, recipients=key, subject=subject, body_text=text, body_html=html,
                                     status="pending", attempts=0)
            session.add(row)
            session.flush()
        return _entry(row)


def mark_written(engine: Engine, outbox_id: int, eml_path: str) -> None:
    with session_scope(engine) as session:
        session.get(models.AlertOutbox, outbox_id).eml_path = eml_path


def mark_attempt(engine: Engine, outbox_id: int, error: str | None) -> None:
    """Record a send attempt: sent when error is None, else failed with the error (retried on the next run)."""
    with session_scope(engine) as session:
        row = session.get(models.AlertOutbox, outbox_id)
        row.attempts += 1
        row.last_error = error
        row.status = "failed" if error else "sent"
        if error is None:
            row.sent_at = datetime.now(timezone.utc)


def unsent(engine: Engine) -> list[OutboxEntry]:
    """Digests still to send: pending, or failed on an earlier attempt."""
    with session_scope(engine) as session:
        rows = session.scalars(select(models.AlertOutbox).where(
            models.AlertOutbox.status.in_(("pending", "failed")), models.AlertOutbox.recipients != "")
            .order_by(models.AlertOutbox.id))
        return [_entry(r) for r in rows]


def digest_bodies(engine: Engine, outbox_id: int) -> tuple[str, str, str]:
    with session_scope(engine) as session:
        row = session.get(models.AlertOutbox, outbox_id)
        return row.subject, row.body_text, row.body_html
