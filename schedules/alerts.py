"""Change alerts of a run: one digest per recipient, filtered by the rules, stored in the outbox, written as .eml
and sent when SMTP is set; sends are claimed before the SMTP transaction, so none goes out twice."""
from __future__ import annotations

import email
import logging
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from dossier.config import AlertRules, DossierConfig, Recipient
from dossier.errors import AlertError, ConfigError
from dossier.severity import LOWEST, at_least
from schedules.digest import Digest, DigestItem, render_digest
from schedules.mailer import (
    SendCancelled, SmtpSettings, build_message, new_message_id, parse_address, send_message, write_eml,
)
from storage import outbox
from storage.compare import Rules
from storage.queries import ChangeView, get_run, list_changes

log = logging.getLogger(__name__)

SMTP_ENV = "DOSSIER_SMTP_URL"
FALLBACK_SENDER = "dossier@localhost"


@dataclass(slots=True)
class AlertResult:
    outbox_id: int | None = None  # the run's first digest (the only one with a single recipient)
    eml_path: Path | None = None
    sent: bool = False  # a digest of this run was sent
    errors: list[str] = field(default_factory=list)
    eml_paths: list[Path] = field(default_factory=list)
    sent_ids: list[int] = field(default_factory=list)  # outbox rows sent now (this run's and earlier ones)
    unknown: list[int] = field(default_factory=list)  # rows interrupted while sending: delivery unknown


def diff_rules(config: DossierConfig) -> Rules:
    """The diff's rules from the config's alerts.rules."""
    rules = config.alerts.rules
    return Rules(price_change_pct=Decimal(str(rules.price_change_pct)), review_max_rating=rules.review_max_rating,
                 removed_after_runs=rules.removed_after_runs,
                 price_gap_points=Decimal(str(rules.price_gap_points)),
                 subscribers_change_pct=Decimal(str(rules.subscribers_change_pct)),
                 cadence_factor=Decimal(str(rules.cadence_factor)))


def digest_items(changes: list[ChangeView]) -> list[DigestItem]:
    return [DigestItem(c.competitor_slug, c.competitor_name, c.kind, c.title or c.entity, c.before, c.after,
                       c.magnitude, c.severity, c.url, c.uncertain, c.event_id, c.event_title, c.event_importance)
            for c in changes]


class Subscription(Protocol):
    """What a reader of the alerts asks for: an e-mail recipient (Recipient) or a chat channel (Channel)."""

    kinds: list[str] | None
    competitors: list[str] | None
    min_severity: str


def wanted(item: DigestItem, rules: AlertRules, subscription: Subscription | None = None) -> bool:
    """Whether a change reaches a reader: the config's kinds and competitors, then the subscription's own kinds,
    competitors and lowest severity (of a recipient or a channel)."""
    for kinds, competitors in ((rules.kinds, rules.competitors),
                               (subscription.kinds, subscription.competitors) if subscription else (None, None)):
        if kinds is not None and item.kind not in kinds:
            return False
        if competitors is not None and item.competitor_slug not in competitors:
            return False
    return at_least(item.severity, subscription.min_severity if subscription else LOWEST)


def check_alerts(config: DossierConfig, outbox_dir: Path) -> None:
    """What a run's alerts need, checked before the run starts: its addresses, and a folder for the .eml files.
    Found only at alert time, after the crawl, a mistake here would cost the night's run."""
    email_settings = config.alerts.email
    if email_settings:
        parse_address(email_settings.from_, "alerts.email.from")
        for recipient in email_settings.to:
            parse_address(recipient.address, "alerts.email.to")
    outbox_dir = Path(outbox_dir)
    existing = next((p for p in (outbox_dir, *outbox_dir.absolute().parents) if p.exists()), None)
    if outbox_dir.exists() and not outbox_dir.is_dir():
        raise ConfigError(f"--outbox {outbox_dir}: is a file; give a folder for the .eml digests")
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--outbox {outbox_dir}: cannot write there; give a writable folder for the .eml digests")


def smtp_settings(smtp_url: str | None = None) -> SmtpSettings | None:
    """The SMTP server to send through: the given URL, else DOSSIER_SMTP_URL, else none (outbox only).

    Called before a run crawls anything, so a malformed URL stops the run up front as a ConfigError.
    """
    smtp_url = smtp_url if smtp_url is not None else os.environ.get(SMTP_ENV)
    return SmtpSettings.from_url(smtp_url) if smtp_url else None


def _eml_name(run_id: int, address: str | None) -> str:
    if address is None:
        return f"run-{run_id:05d}"
    return f"run-{run_id:05d}-{re.sub(r'[^A-Za-z0-9._-]+', '_', address.replace('@', '_at_'))[:100]}"


def alert_run(engine, run_id: int, config: DossierConfig, outbox_dir: Path,
              settings: SmtpSettings | None = None, changes: list[ChangeView] | None = None) -> AlertResult:
    """Store, write and (with SMTP) send the digests of a run, one per recipient; earlier unsent ones too.

    A send failure is recorded on the outbox row and reported, never raised: the run's data is safe,
    and the next run (or `dossier alerts retry`) tries again.
    """
    result = AlertResult()
    email_settings = config.alerts.email
    rules = config.alerts.rules
    changes = list_changes(engine, run_id=run_id) if changes is None else changes  # the run's: the caller's read
    items = [item for item in digest_items(changes) if wanted(item, rules)]
    run = get_run(engine, run_id)
    sender = email_settings.from_ if email_settings else FALLBACK_SENDER
    audience: list[Recipient | None] = list(email_settings.to) if email_settings else [None]
    for recipient in audience:
        mine = [item for item in items if wanted(item, rules, recipient)]
        if not mine and not (email_settings and email_settings.send_empty):
            continue  # nothing to say: no mail
        digest = render_digest(mine, run_id=run_id, run_started=run.started)
        to = [recipient.address] if recipient else []
        entry = outbox.store_digest(engine, run_id, to, digest.subject, digest.text, digest.html,
                                    new_message_id(sender))
        message = outbox_message(engine, entry, sender)  # as stored: a second alert of the run changes nothing
        path = write_eml(message, outbox_dir, _eml_name(run_id, recipient.address if recipient else None))
        outbox.mark_written(engine, entry.id, str(path))
        result.eml_paths.append(path)
        if result.outbox_id is None:
            result.outbox_id, result.eml_path = entry.id, path
    if settings is not None:
        sent = send_unsent(engine, settings, sender, result=result)
        result.sent = any(e.run_id == run_id for e in sent)
    return result


def send_unsent(engine, settings: SmtpSettings, sender: str | None = None, force: bool = False,
                result: AlertResult | None = None) -> list[outbox.OutboxEntry]:
    """Send every queued digest (pending or failed; with `force` also those of unknown delivery); returns the
    ones sent. Each row is claimed (`sending`) once the server has accepted sender and recipients, right before
    DATA, and marked after it: a crash before DATA leaves it queued (retried), a crash in between leaves it
    `sending`: reported as unknown and resent only with force, under the same Message-ID."""
    result = result if result is not None else AlertResult()
    for entry in outbox.in_doubt(engine):
        if not force:
            result.unknown.append(entry.id)
            log.warning("digest %s of run %s was interrupted while sending: delivery unknown; check the mailbox "
                        "for %s, resend with `dossier alerts retry --force`", entry.id, entry.run_id,
                        entry.message_id)
    sent: list[outbox.OutboxEntry] = []
    for entry in outbox.unsent(engine, force=force):
        message = outbox_message(engine, entry, sender)
        claimed = False

        def claim(entry_id: int = entry.id) -> bool:
            nonlocal claimed
            claimed = outbox.claim(engine, entry_id, force=force)
            return claimed

        try:
            send_message(message, settings, before_data=claim)
        except SendCancelled:
            continue  # another sender has it, or sent it meanwhile
        except AlertError as exc:
            outbox.mark_failed(engine, entry.id, str(exc), claimed=claimed)
            result.errors.append(str(exc))
            log.warning("digest %s of run %s not sent: %s", entry.id, entry.run_id, exc)
            continue
        outbox.mark_sent(engine, entry.id)
        result.sent_ids.append(entry.id)
        sent.append(entry)
    return sent


def outbox_message(engine, entry: outbox.OutboxEntry, sender: str | None = None) -> EmailMessage:
    """The stored digest as a message with its stored Message-ID; the sender from the config, else from the
    .eml written with it, else the fallback."""
    subject, text, html = outbox.digest_bodies(engine, entry.id)
    sender = sender or _eml_sender(entry.eml_path) or FALLBACK_SENDER
    return build_message(Digest(subject, text, html, 0), sender, entry.recipients, entry.message_id)


def _eml_sender(eml_path: str | None) -> str | None:
    if not eml_path:
        return None
    try:
        stored = email.message_from_bytes(Path(eml_path).read_bytes(), policy=policy.default)
    except OSError as exc:
        log.info("outbox file %s unreadable (%s); sending from %s", eml_path, exc, FALLBACK_SENDER)
        return None
    return str(stored["From"]) if stored["From"] else None
