"""Change alerts to chat and webhook channels (alerts.channels: Slack, Telegram, Microsoft Teams, Matrix, JSON
webhooks) through Apprise: one message per channel and run, stored before it is sent, claimed right before the send
so that none goes out twice, retried after a failure, each channel on its own (docs/alerts.md)."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence
from urllib.parse import parse_qs, urlsplit

from dossier.config import Channel, DossierConfig, quiet_apprise
from dossier.errors import AlertError
from schedules.alerts import digest_items, wanted
from schedules.digest import DigestItem, render_digest
from storage import channel_outbox
from storage.queries import ChangeView, RunView, get_run, list_changes

log = logging.getLogger(__name__)

MASK = "***"
SECRET_MIN = 4  # a part of a URL this long or longer that Apprise masks is a secret to keep out of messages
MessageFor = Callable[[Sequence[DigestItem], RunView], tuple[str, str]]


@dataclass(slots=True)
class ChannelResult:
    """What a send of the channel messages did: the ids sent, one line per failure, the ids of unknown delivery."""

    sent_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)  # interrupted while sending: delivery unknown


def channel_message(items: Sequence[DigestItem], run: RunView) -> tuple[str, str]:
    """A channel's message about a run's changes: (title, body), the digest's subject and plain text."""
    digest = render_digest(items, run_id=run.id, run_started=run.started)
    return digest.subject, digest.text


def alert_channels(engine, run_id: int, config: DossierConfig, digest_for: MessageFor = channel_message,
                   changes: list[ChangeView] | None = None) -> ChannelResult:
    """Store the run's message to each channel (only the changes it asks for; nothing to say: no message), then
    send every unsent channel message, earlier runs' too. A failure is recorded on its row and reported, never
    raised: the next run (or `dossier alerts retry`) tries again."""
    channels = config.alerts.channels
    if not channels:
        return ChannelResult()
    rules = config.alerts.rules
    changes = list_changes(engine, run_id=run_id) if changes is None else changes  # the run's: the caller's read
    items = [item for item in digest_items(changes) if wanted(item, rules)]
    run = get_run(engine, run_id)
    for channel in channels:
        mine = [item for item in items if wanted(item, rules, channel)]
        if mine:
            title, body = digest_for(mine, run)
            channel_outbox.store_message(engine, run_id, channel.name, title, body)
    return send_channel_messages(engine, channels)


def send_channel_messages(engine, channels: Sequence[Channel], force: bool = False,
                          result: ChannelResult | None = None) -> ChannelResult:
    """Send every queued channel message (pending or failed; with `force` also those of unknown delivery), each on
    its own: one channel failing does not stop the others. A message is claimed (`sending`) right before its
    request and marked after it, so a crash in between leaves it `sending`: reported as unknown, resent only with
    force. A message to a channel no longer configured stays queued, reported."""
    result = result if result is not None else ChannelResult()
    for message in channel_outbox.in_doubt(engine):
        if not force:
            result.unknown.append(message.id)
            log.warning("message %s of run %s to channel %s was interrupted while sending: delivery unknown; check "
                        "the channel, resend with `dossier alerts retry --config FILE --force`", message.id, message.run_id,
                        message.channel)
    by_name = {channel.name: channel for channel in channels}
    for message in channel_outbox.unsent(engine, force=force):
        channel = by_name.get(message.channel)
        if channel is None:
            error = f"channel {message.channel}: not in alerts.channels (any more); message {message.id} of run " \
                    f"{message.run_id} stays queued until it is"
            result.errors.append(error)
            log.warning("%s", error)
            continue
        try:
            service, url = channel_service(channel)
        except AlertError as exc:  # nothing was sent: the attempt is counted, the message stays queued
            error = str(exc)
            channel_outbox.mark_failed(engine, message.id, error, claimed=False)
        else:
            if not channel_outbox.claim(engine, message.id, force=force):
                continue  # another sender has it, or sent it meanwhile
            error = deliver(service, url, *channel_outbox.message_body(engine, message.id))
            if error is None:
                channel_outbox.mark_sent(engine, message.id)
                result.sent_ids.append(message.id)
                continue
            channel_outbox.mark_failed(engine, message.id, error)
        result.errors.append(f"channel {channel.name}: {error}")
        log.warning("message %s of run %s to channel %s not sent: %s", message.id, message.run_id, channel.name,
                    error)
    return result


def channel_service(channel: Channel) -> tuple[Any, str]:
    """The channel's Apprise service and the URL it was made from; an AlertError when it cannot be made now.

    Its messages are cut to the service's length limit (Telegram's 4,096 characters) unless the URL chooses its
    own `overflow=`: an oversized message would fail on every retry. Apprise's socket timeouts apply to each
    request (`cto` and `rto` in the URL: 4 s by default)."""
    import apprise

    try:
        url = channel.service_url()
    except ValueError as exc:  # its ${NAME} was unset after the config was loaded
        raise AlertError(str(exc)) from None
    with quiet_apprise():
        service = apprise.Apprise.instantiate(url)
    if service is None:
        raise AlertError("Apprise cannot use the channel's URL now (check it and its environment variables; "
                         "docs/alerts.md)")
    if "overflow" not in parse_qs(urlsplit(url).query):
        service.overflow_mode = apprise.OverflowMode.TRUNCATE
    return service, url


def deliver(service: Any, url: str, title: str, body: str) -> str | None:
    """Post one message through an Apprise service: None when it reported success, else its reason in one line,
    with the secret parts of the URL masked."""
    import apprise

    with quiet_apprise() as said:
        try:
            sent = service.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
        except Exception as exc:  # a service's own bug: this channel fails, the others are still sent
            sent = False
            said.append(f"{type(exc).__name__}: {exc}")
    if sent:
        return None
    reason = " ".join(said[-1].split()) if said else "Apprise reported a failure and gave no reason"
    return mask_secrets(reason, url, service.url(privacy=True))


def mask_secrets(text: str, url: str, masked_url: str) -> str:
    """The text with every part of the URL that Apprise masks in `masked_url` (tokens, passwords) replaced by
    ***: made to be shown, not used."""
    parts = {part for part in re.split(r"[/:@?&=#]+", url) if len(part) >= SECRET_MIN and part not in masked_url}
    for part in sorted(parts, key=len, reverse=True):
        text = text.replace(part, MASK)
    return text
