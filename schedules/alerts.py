"""Change alerts of a run: the digest rendered, stored in the outbox, written as .eml and sent when SMTP is set."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from dossier.config import DossierConfig
from dossier.errors import AlertError
from schedules.digest import Digest, DigestItem, render_digest
from schedules.mailer import SmtpSettings, build_message, send_message, write_eml
from storage import outbox
from storage.queries import ChangeView, get_run, list_changes

log = logging.getLogger(__name__)

SMTP_ENV = "DOSSIER_SMTP_URL"
FALLBACK_SENDER = "dossier@localhost"


@dataclass(slots=True)
class AlertResult:
    outbox_id: int | None = None
    eml_path: Path | None = None
    sent: bool = False
    errors: list[str] = field(default_factory=list)


def digest_items(changes: list[ChangeView]) -> list[DigestItem]:
    return [DigestItem(c.competitor_slug, c.competitor_name, c.kind, c.title or c.entity, c.before, c.after,
                       c.magnitude, c.severity, c.url) for c in changes]


def smtp_settings(smtp_url: str | None = None) -> SmtpSettings | None:
    """The SMTP server to send through: the given URL, else DOSSIER_SMTP_URL, else none (outbox only).

    Called before a run crawls anything, so a malformed URL stops the run up front as a ConfigError.
    """
    smtp_url = smtp_url if smtp_url is not None else os.environ.get(SMTP_ENV)
    return SmtpSettings.from_url(smtp_url) if smtp_url else None


def alert_run(engine, run_id: int, config: DossierConfig, outbox_dir: Path,
              settings: SmtpSettings | None = None) -> AlertResult:
    """Store, write and (with SMTP) send the digest of a run; earlier unsent digests are retried too.

    A send failure is recorded on the outbox row and reported, never raised: the run's data is safe,
    and the next run tries again.
    """
    result = AlertResult()
    email = config.alerts.email
    changes = list_changes(engine, run_id=run_id)
    if changes or (email and email.send_empty):
        run = get_run(engine, run_id)
        digest = render_digest(digest_items(changes), run_id=run_id, run_started=run.started)
        recipients = list(email.to) if email else []
        entry = outbox.store_digest(engine, run_id, recipients, digest.subject, digest.text, digest.html)
        message = build_message(digest, email.from_ if email else FALLBACK_SENDER, recipients)
        result.outbox_id = entry.id
        result.eml_path = write_eml(message, outbox_dir, f"run-{run_id:05d}")
        outbox.mark_written(engine, entry.id, str(result.eml_path))
    if settings is None:
        return result
    for entry in outbox.unsent(engine):
        subject, text, html = outbox.digest_bodies(engine, entry.id)
        sender = email.from_ if email else FALLBACK_SENDER
        message = build_message(Digest(subject, text, html, 0), sender, entry.recipients)
        try:
            send_message(message, settings)
        except AlertError as exc:
            outbox.mark_attempt(engine, entry.id, str(exc))
            result.errors.append(str(exc))
            log.warning("digest of run %s not sent: %s", entry.run_id, exc)
            continue
        outbox.mark_attempt(engine, entry.id, None)
        result.sent = result.sent or entry.id == result.outbox_id
    return result
