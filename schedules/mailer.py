"""The digest as an e-mail: the message built, written to the outbox as .eml, and sent over SMTP."""
from __future__ import annotations

import logging
import os
import re
import smtplib
import socket
import ssl
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from dossier.errors import AlertError, ConfigError
from dossier.secrets import unencoded_userinfo
from schedules.digest import Digest, clean_line

log = logging.getLogger(__name__)

SMTP_ENV = "DOSSIER_SMTP_URL"
SMTP_FORMS = "smtp://host:25, smtp://user:password@host:587?starttls=1 or smtps://user:password@host:465"
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
DEFAULT_TIMEOUT = 30.0
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
EML_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _not_an_address(field_name: str, value: object) -> AlertError:
    return AlertError(f"{field_name}: {clean_line(value, 80)!r} is not an e-mail address")


def parse_address(value: str, field_name: str) -> Address:
    """One mailbox ('team@example.org' or 'Team <team@example.org>'); AlertError naming the field otherwise."""
    if not isinstance(value, str) or not value.strip() or re.search(r"[\x00-\x1f\x7f]", value):
        raise _not_an_address(field_name, value)
    found = getaddresses([value])
    if len(found) != 1:
        raise _not_an_address(field_name, value)
    name, addr_spec = found[0]
    local, at, domain = addr_spec.rpartition("@")
    if not at or not local or not _LOCAL_PART.match(local) or local.startswith(".") or local.endswith(".") \
            or ".." in local:
        raise _not_an_address(field_name, value)
    try:
        ascii_domain = domain.encode("idna").decode("ascii")  # an IDN domain travels as punycode
    except UnicodeError:
        raise _not_an_address(field_name, value) from None
    if not all(_DOMAIN_LABEL.match(label) for label in ascii_domain.split(".")):
        raise _not_an_address(field_name, value)
    try:
        return Address(display_name=clean_line(name, 120), username=local, domain=ascii_domain.lower())
    except (ValueError, IndexError, HeaderParseError):
        raise _not_an_address(field_name, value) from None


def new_message_id(sender: str) -> str:
    """A fresh, globally unique Message-ID in the sender's domain; stored with the digest so that every send
    and the .eml carry the same one (a mail client shows a resent digest once)."""
    return make_msgid(idstring="dossier", domain=parse_address(sender, "alerts.email.from").domain)


def build_message(digest: Digest, sender: str, recipients: Sequence[str],
                  message_id: str | None = None) -> EmailMessage:
    """The digest as multipart/alternative (text, then HTML); no recipients leaves the message for the outbox only."""
    from_address = parse_address(sender, "alerts.email.from")
    if isinstance(recipients, str):
        recipients = [recipients]
    to_addresses = [parse_address(r, "alerts.email.to") for r in recipients]
    message = EmailMessage(policy=policy.default)
    message["Subject"] = clean_line(digest.subject, 250) or "Dossier digest"
    message["From"] = from_address
    if to_addresses:
        message["To"] = to_addresses
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = message_id or make_msgid(idstring="dossier", domain=from_address.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    message.set_content(digest.text, subtype="plain", charset="utf-8")
    message.add_alternative(digest.html, subtype="html", charset="utf-8")
    return message


def write_eml(message: EmailMessage, outbox_dir: Path, name: str) -> Path:
    """Write the message to outbox_dir/name.eml atomically (temporary file, then rename); returns the path.

    Lines end in LF as mail tools on disk expect; smtplib turns them into CRLF on the wire.
    """
    stem = name[:-4] if name.endswith(".eml") else name
    if not EML_NAME.match(stem):
        raise AlertError(f"outbox: {clean_line(name, 80)!r} is not a file name; use letters, digits, '.', '-' and '_'")
    outbox_dir = Path(outbox_dir)
    target = outbox_dir / f"{stem}.eml"
    try:
        data = message.as_bytes(policy=policy.default)
    except (ValueError, TypeError, UnicodeError) as exc:
        raise AlertError(f"outbox {target}: the message cannot be serialised: {exc}") from exc
    temp: str | None = None
    try:
        outbox_dir.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=outbox_dir, prefix=f".{stem}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
        temp = None
    except OSError as exc:
        raise AlertError(f"outbox {target}: cannot write: {exc.strerror or exc}") from exc
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
    log.info("digest written to %s", target)
    return target


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send, from DOSSIER_SMTP_URL; the password never shows in repr or errors."""

    host: str
    port: int
    use_ssl: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Parse smtp://[user:password@]host[:port][?starttls=1&timeout=30] or smtps://…; ConfigError if malformed."""
        url = (url or "").strip()
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        if scheme not in DEFAULT_PORTS:
            shown = f"scheme {scheme!r} is not supported" if scheme else "not a URL"
            raise ConfigError(f"{SMTP_ENV}: {shown}; use {SMTP_FORMS}")
        misread = unencoded_userinfo(url)  # else a piece of the password would be taken for the port or path
        if misread:
            raise ConfigError(f"{SMTP_ENV}: {misread}; use {SMTP_FORMS}")
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. an unclosed [IPv6 bracket; the message could hold the password, so not echoed
            raise ConfigError(f"{SMTP_ENV}: malformed host; use {SMTP_FORMS}") from None
        host_port = parts.netloc.rpartition("@")[2]
        if not parts.hostname:
            raise ConfigError(f"{SMTP_ENV}: no host; use {SMTP_FORMS}")
        port = _port(host_port, scheme)
        if parts.path not in ("", "/"):
            raise ConfigError(f"{SMTP_ENV}: unexpected path {parts.path!r}; use {SMTP_FORMS}")
        starttls, timeout = _options(parts.query)
        if starttls and scheme == "smtps":
            raise ConfigError(f"{SMTP_ENV}: smtps:// is already TLS; drop starttls=1 or use smtp://host:587?starttls=1")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if username is None and password:
            raise ConfigError(f"{SMTP_ENV}: a password without a user; write smtp://user:password@host:587")
        if username is not None and password is None:
            raise ConfigError(f"{SMTP_ENV}: user {username!r} has no password; write smtp://user:password@host:587")
        return cls(host=parts.hostname, port=port, use_ssl=scheme == "smtps", starttls=starttls,
                   username=username, password=password, timeout=timeout)


def _port(host_port: str, scheme: str) -> int:
    text = host_port.rpartition("]")[2] if host_port.startswith("[") else host_port
    _, colon, text = text.rpartition(":") if ":" in text else ("", "", "")
    if not colon or text == "":
        return DEFAULT_PORTS[scheme]
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ConfigError(f"{SMTP_ENV}: port {text!r} is not a number from 1 to 65535; use {SMTP_FORMS}")
    return int(text)


def _options(query: str) -> tuple[bool, float]:
    starttls, timeout = False, DEFAULT_TIMEOUT
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "starttls":
            if value.lower() not in TRUE | FALSE:
                raise ConfigError(f"{SMTP_ENV}: starttls={value!r}; use starttls=1 or starttls=0")
            starttls = value.lower() in TRUE
        elif key == "timeout":
            try:
                timeout = float(value)
            except ValueError:
                timeout = -1.0
            if not 0 < timeout <= 3600:
                raise ConfigError(f"{SMTP_ENV}: timeout={value!r}; use seconds, e.g. timeout=30")
        else:
            raise ConfigError(f"{SMTP_ENV}: unknown option {key!r}; known: starttls, timeout")
    return starttls, timeout


def _recipients(message: EmailMessage) -> list[str]:
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [addr for _, addr in getaddresses(fields) if addr]


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {clean_line(text, 200)}"


def _describe(exc: Exception, settings: SmtpSettings) -> str:
    """What went wrong, in a few words a user can act on."""
    silent = isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, TimeoutError)
    if isinstance(exc, TimeoutError) or silent:  # smtplib reports a silent server as a disconnect
        return f"no answer within {settings.timeout:g} s — check {SMTP_ENV} or raise its timeout="
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login as {settings.username!r} refused ({_reply(exc)}) — check the user and password in {SMTP_ENV}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{addr} ({code})" for addr, (code, _) in exc.recipients.items())
        return f"recipients refused: {clean_line(refused, 200)} — check alerts.email.to"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender refused ({_reply(exc)}) — check alerts.email.from"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{clean_line(exc, 200).rstrip('.')} — check {SMTP_ENV}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"server said {_reply(exc)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"server closed the connection — check the port and TLS mode in {SMTP_ENV}"
    if isinstance(exc, smtplib.SMTPException):
        return f"{clean_line(exc, 200) or type(exc).__name__} — check {SMTP_ENV}"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or clean_line(exc, 120)
        return f"TLS failed ({reason}) — check smtps:// or starttls=1 in {SMTP_ENV}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused — check {SMTP_ENV}"
    if isinstance(exc, socket.gaierror):
        return f"host not found — check {SMTP_ENV}"
    return f"{clean_line(getattr(exc, 'strerror', None) or exc, 200) or type(exc).__name__} — check {SMTP_ENV}"


def _guard_data(client: smtplib.SMTP, before_data: Callable[[], bool]) -> None:
    """smtplib's send_message runs MAIL, RCPT and DATA in one call, with no hook between RCPT and DATA: the
    client's data() is wrapped to ask first."""
    data = client.data

    def guarded(msg):
        if not before_data():
            raise SendCancelled
        return data(msg)

    client.data = guarded  # type: ignore[method-assign]


def _login(client: smtplib.SMTP, settings: SmtpSettings) -> None:
    """Log in with one mechanism, the best the server offers: smtplib's login() tries each in turn, so a wrong
    password costs several failed attempts (and lockouts) and a server that stalls on one mechanism hangs it."""
    client.ehlo_or_helo_if_needed()
    if not client.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("the server offers no AUTH; drop user:password@")
    offered = client.esmtp_features["auth"].upper().split()
    client.user, client.password = settings.username or "", settings.password or ""
    for mechanism, method in (("CRAM-MD5", client.auth_cram_md5), ("PLAIN", client.auth_plain),
                              ("LOGIN", client.auth_login)):
        if mechanism in offered:
            client.auth(mechanism, method)
            return
    raise smtplib.SMTPNotSupportedError(f"no AUTH mechanism in common (server offers {' '.join(offered)[:80]})")


class SendCancelled(Exception):
    """send_message's `before_data` said no (another sender has the digest): the SMTP session ended before DATA,
    so the server has nothing."""


def send_message(message: EmailMessage, settings: SmtpSettings,
                 before_data: Callable[[], bool] | None = None) -> None:
    """Send over SMTP (SMTPS, STARTTLS and login as configured); any failure is one AlertError line, no password.

    `before_data` is called once the server has accepted the sender and the recipients, right before DATA (the
    only command that hands the message over): the outbox claims the digest there, so a process that dies or
    fails before that point leaves it unclaimed and safe to send again. False ends the session: SendCancelled.
    """
    recipients = _recipients(message)
    if not recipients:
        raise AlertError(f"SMTP {settings.address}: the message has no recipients — set alerts.email.to")
    context = ssl.create_default_context()
    try:
        if settings.use_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                    context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if before_data is not None:
            _guard_data(client, before_data)
        with client:
            if settings.starttls:
                client.starttls(context=context)
            if settings.username is not None:
                _login(client, settings)
            refused = client.send_message(message, to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:
        text = f"SMTP {settings.address}: {_describe(exc, settings)}"
        if settings.password:
            text = text.replace(settings.password, "***")
        raise AlertError(text) from exc
    if refused:
        log.warning("SMTP %s: refused %s", settings.address, ", ".join(sorted(refused)))
    log.info("digest %s sent to %d recipients via %s", message["Message-ID"], len(recipients) - len(refused),
             settings.address)
