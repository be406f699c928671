"""Reading the newsletters the team subscribed to from a mailbox: IMAP over TLS (imaps://), or a local Maildir or
mbox for tests and demos. Raw RFC 5322 bytes out; extractors/newsletter.py parses them.

Credentials come from the environment (DOSSIER_IMAP_USER, DOSSIER_IMAP_PASSWORD), never from the URL, and the
password appears in no error, log line or repr. Nothing is changed in the mailbox: folders are opened read-only
and messages fetched with BODY.PEEK[], so none is marked \\Seen.
"""
from __future__ import annotations

import base64
import email.utils
import imaplib
import logging
import mailbox
import os
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import unquote

from dossier.errors import CrawlError

log = logging.getLogger(__name__)

USER_ENV = "DOSSIER_IMAP_USER"
PASSWORD_ENV = "DOSSIER_IMAP_PASSWORD"
IMAPS_PORT = 993
DEFAULT_FOLDER = "INBOX"
FETCH_BATCH = 50  # messages per FETCH command: few round trips, bounded memory per reply
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # IMAP's, not locale's
ADDRESS = re.compile(r"^[^@\s\"\\()<>,;:\[\]]+@[\w.-]+$")
DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)*$")
_HEADERS = BytesHeaderParser(policy=policy.compat32)  # compat32: raw header strings, nothing parsed that can fail


class MailboxError(CrawlError):
    """A mailbox cannot be read: the message names the mailbox (never its password) and the fix."""


# --- senders and dates --------------------------------------------------------------------------------------------

def sender_rules(senders: list[str] | None) -> tuple[frozenset[str], frozenset[str]] | None:
    """(addresses, domains) from `senders`, lower-case; None for no filter. An entry is an address
    (`news@kranrad.example`) or a domain (`@kranrad.example` or `kranrad.example`)."""
    if senders is None:
        return None
    addresses: set[str] = set()
    domains: set[str] = set()
    for entry in senders:
        value = str(entry).strip().lower()
        if ADDRESS.match(value):
            addresses.add(value)
        elif DOMAIN.match(value.removeprefix("@")) and "." in value:
            domains.add(value.removeprefix("@"))
        else:
            raise MailboxError(f"senders: {str(entry)!r} is neither an e-mail address (news@kranrad.example) "
                               f"nor a domain (@kranrad.example)")
    return frozenset(addresses), frozenset(domains)


def sender_matches(address: str, rules: tuple[frozenset[str], frozenset[str]] | None) -> bool:
    """Whether the address is one of the senders; a domain covers its subdomains (mail.kranrad.example)."""
    if rules is None:
        return True
    address = address.strip().lower()
    addresses, domains = rules
    domain = address.rpartition("@")[2]
    return address in addresses or any(domain == d or domain.endswith("." + d) for d in domains)


def _utc(moment: datetime) -> datetime:
    """Aware and in UTC; a naive datetime is taken for UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def header_facts(raw: bytes) -> tuple[list[str], datetime | None]:
    """(From addresses lower-case, Date as aware UTC datetime or None) of a message, from its header only."""
    headers = _HEADERS.parsebytes(raw)
    froms = [str(value) for value in headers.get_all("From", [])]
    addresses = [address.lower() for _, address in email.utils.getaddresses(froms) if "@" in address]
    sent = None
    date = headers.get("Date")
    if date:
        try:
            sent = _utc(email.utils.parsedate_to_datetime(" ".join(str(date).split())))
        except (TypeError, ValueError, IndexError, OverflowError):
            log.debug("unreadable Date header %r", str(date)[:100])
    return addresses, sent


def _wanted(raw: bytes, rules: tuple[frozenset[str], frozenset[str]] | None, since: datetime | None,
            delivered: Callable[[], datetime | None]) -> bool:
    """Whether a message passes the filters. Its date is its Date header, else when the mailbox got it; a message
    with neither passes `since`, so that nothing is lost for good (records are deduplicated by Message-ID)."""
    addresses, sent = header_facts(raw)
    if rules is not None and not any(sender_matches(a, rules) for a in addresses):
        return False
    if since is None:
        return True
    moment = sent or delivered()
    return moment is None or moment >= since


# --- local mailboxes ----------------------------------------------------------------------------------------------

def _local_path(url: str, scheme: str) -> Path:
    """`maildir:PATH`, `maildir:///abs/path` (and the same for mbox) to a path; `~` expanded."""
    rest = url[len(scheme) + 1:]
    if rest.startswith("//"):
        authority, _, path = rest[2:].partition("/")
        if authority not in ("", "localhost"):
            raise MailboxError(f"{url}: a {scheme} URL names no host: write {scheme}:PATH or {scheme}:///abs/path")
        rest = "/" + path
    if not rest:
        raise MailboxError(f"{url}: no path: write {scheme}:PATH or {scheme}:///abs/path")
    return Path(unquote(rest)).expanduser()


def _read_maildir(url: str, rules, since) -> list[bytes]:
    path = _local_path(url, "maildir")
    if not path.is_dir():
        raise MailboxError(f"{url}: no such directory {path}")
    if not (path / "cur").is_dir() or not (path / "new").is_dir():
        raise MailboxError(f"{url}: {path} is not a Maildir (it has no cur/ and new/ inside)")
    box = mailbox.Maildir(path, factory=None, create=False)
    found: list[bytes] = []
    for key in _keys(box, url):
        try:
            raw = box.get_bytes(key)
        except (KeyError, OSError) as exc:  # delivered or expunged while we read: the next run sees it
            log.debug("%s: message %s gone: %r", url, key, exc)
            continue
        if _wanted(raw, rules, since, lambda key=key: _maildir_delivered(box, key)):
            found.append(raw)
    return found


def _maildir_delivered(box: mailbox.Maildir, key: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(box.get_message(key).get_date(), timezone.utc)
    except (KeyError, OSError, ValueError, OverflowError):
        return None


def _read_mbox(url: str, rules, since) -> list[bytes]:
    path = _local_path(url, "mbox")
    if not path.is_file():
        raise MailboxError(f"{url}: no such file {path}")
    box = mailbox.mbox(path, factory=None, create=False)
    found: list[bytes] = []
    try:
        for key in _keys(box, url):
            with_from = box.get_bytes(key, from_=True)
            from_line, _, raw = with_from.partition(b"\n")
            if _wanted(raw, rules, since, lambda line=from_line: _mbox_delivered(line)):
                found.append(raw)
    finally:
        box.close()
    return found


def _mbox_delivered(from_line: bytes) -> datetime | None:
    """The time on the mbox `From sender Thu Mar  6 16:45:00 2025` line, taken for UTC."""
    words = from_line.decode("ascii", "replace").split()
    try:
        return datetime.strptime(" ".join(words[2:7]), "%a %b %d %H:%M:%S %Y").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _keys(box: mailbox.Mailbox, url: str) -> list[str]:
    try:
        return list(box.iterkeys())
    except (OSError, mailbox.Error) as exc:
        raise MailboxError(f"{url}: cannot read the mailbox: {exc.__class__.__name__}: {exc}") from None


# --- IMAP over TLS ------------------------------------------------------------------------------------------------

def _imap_target(url: str) -> tuple[str | None, str, int, str]:
    """(user from the URL or None, host, port, folder) of `imaps://[user@]host[:port][/FOLDER]`.

    The userinfo is what precedes the last '@', as dossier/secrets.py reads it, so a password holding '/' is
    still seen; a folder name holding '@' must be percent-encoded (%40)."""
    rest = url[len("imaps://"):]
    user = None
    if "@" in rest:
        userinfo, _, rest = rest.rpartition("@")
        if ":" in userinfo:
            shown = f"imaps://{unquote(userinfo.partition(':')[0])}:***@{rest}"
            raise MailboxError(f"{shown}: the URL carries a password: remove it and set {PASSWORD_ENV} instead")
        user = unquote(userinfo) or None
    authority, _, folder = rest.partition("/")
    folder = unquote(folder.split("?")[0].split("#")[0]).strip("/") or DEFAULT_FOLDER
    host, port = authority, IMAPS_PORT
    if authority.startswith("["):  # an IPv6 literal
        host, _, after = authority[1:].partition("]")
        port_text = after.removeprefix(":")
    elif ":" in authority:
        host, _, port_text = authority.rpartition(":")
    else:
        port_text = ""
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise MailboxError(f"imaps://{authority}: {port_text!r} is not a port number")
        port = int(port_text)
    if not host:
        raise MailboxError(f"{url}: no host: write imaps://host[:port]/FOLDER")
    return user, host, port, folder


def _quote(value: str) -> str:
    """An IMAP quoted string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_mailbox_name(folder: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3), quoted: "Рассылки" is sent as
    "&BCAEMARBBEEESwQ7BDoEOA-"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in folder:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return _quote("".join(out))


def _imap_date(moment: datetime) -> str:
    return f"{moment.day:02d}-{MONTHS[moment.month - 1]}-{moment.year}"


def search_criteria(rules: tuple[frozenset[str], frozenset[str]] | None, since: datetime | None) -> str:
    """The IMAP SEARCH that narrows the folder on the server; _wanted decides exactly afterwards (SEARCH FROM is a
    substring match and SINCE a date in the server's zone, so both only narrow)."""
    terms: list[str] = []
    if since is not None:
        terms.append(f"SINCE {_imap_date(since - timedelta(days=1))}")
    if rules is not None:
        needles = sorted(rules[0]) + [f"{d}" for d in sorted(rules[1])]
        if needles and all(n.isascii() for n in needles):
            alternatives = [f"FROM {_quote(n)}" for n in needles]
            query = alternatives[-1]
            for alternative in reversed(alternatives[:-1]):
                query = f"OR {alternative} {query}"
            terms.append(query if len(alternatives) == 1 else f"({query})")
    return " ".join(terms) or "ALL"


def _scrub(text: object, secret: str | None) -> str:
    """A server's or library's message on one line, without the password in it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    line = " ".join(str(text).split())
    return line.replace(secret, "***") if secret else line


def _connect(host: str, port: int, timeout: float, environ: Mapping[str, str]) -> imaplib.IMAP4_SSL:
    where = f"{host}:{port}"
    context = ssl.create_default_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR of the process
    cafile = environ.get("SSL_CERT_FILE")
    if cafile and environ is not os.environ:
        try:
            context.load_verify_locations(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise MailboxError(f"SSL_CERT_FILE={cafile}: cannot load it: {exc.strerror or exc}") from None
    try:
        return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(f"{where}: TLS certificate not trusted ({exc.verify_message}); if the server uses a "
                           f"private CA, point SSL_CERT_FILE at its certificate") from None
    except ssl.SSLError as exc:
        raise MailboxError(f"{where}: TLS handshake failed ({exc.reason or exc}): is it an imaps port "
                           f"({IMAPS_PORT})?") from None
    except ConnectionRefusedError:
        raise MailboxError(f"{where}: connection refused: is the IMAP server running, and is {port} its imaps "
                           f"port?") from None
    except (TimeoutError, socket.timeout):
        raise MailboxError(f"{where}: no answer within {timeout:g} s") from None
    except socket.gaierror as exc:
        raise MailboxError(f"{host}: unknown host ({exc.strerror})") from None
    except (imaplib.IMAP4.error, EOFError) as exc:
        raise MailboxError(f"{where}: not an IMAP server ({_scrub(exc, None)[:200]})") from None
    except OSError as exc:
        raise MailboxError(f"{where}: cannot connect: {exc.strerror or exc}") from None


def _login(client: imaplib.IMAP4_SSL, user: str, password: str, where: str, user_from_url: bool) -> None:
    whose = f"the user {user!r} of the URL with {PASSWORD_ENV}" if user_from_url else f"{USER_ENV}/{PASSWORD_ENV}"
    try:
        if user.isascii() and password.isascii():
            client.login(user, password)
        else:  # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
            token = b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")
            client.authenticate("PLAIN", lambda _challenge: token)
    except imaplib.IMAP4.abort as exc:
        raise MailboxError(f"{where}: connection lost at login ({_scrub(exc, password)[:200]})") from None
    except imaplib.IMAP4.error as exc:
        raise MailboxError(f"{whose} rejected by {where} ({_scrub(exc, password)[:200]})") from None


def _select(client: imaplib.IMAP4_SSL, folder: str, where: str) -> None:
    status, reply = client.select(imap_mailbox_name(folder), readonly=True)
    if status == "OK":
        return
    names: list[str] = []
    status_list, listing = client.list()
    if status_list == "OK":
        for line in listing or []:
            if isinstance(line, bytes):
                names.append(line.decode("utf-8", "replace").rpartition(' "')[2].rstrip('"') or "?")
    there = f"; folders there: {', '.join(names[:15])}" if names else ""
    raise MailboxError(f"imaps://{where}/{folder}: no folder {folder!r} ({_scrub(reply[0] if reply else '', None)})"
                       f"{there}")


def _internaldate(meta: bytes) -> datetime | None:
    parsed = imaplib.Internaldate2tuple(meta)
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(time.mktime(parsed), timezone.utc)
    except (OverflowError, ValueError):
        return None


def _fetched(reply: list) -> Iterator[tuple[bytes, bytes]]:
    """(metadata line, message bytes) of each message in a FETCH reply."""
    for item in reply:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            yield item[0], item[1]


def _read_imaps(url: str, rules, since, environ: Mapping[str, str], timeout: float) -> list[bytes]:
    url_user, host, port, folder = _imap_target(url)
    where = f"{host}:{port}"
    user = url_user or environ.get(USER_ENV) or ""
    password = environ.get(PASSWORD_ENV) or ""
    missing = [name for name, value in ((USER_ENV, user), (PASSWORD_ENV, password)) if not value]
    if missing:
        raise MailboxError(f"imaps://{where}/{folder}: no IMAP credentials: set {' and '.join(missing)}")
    client = _connect(host, port, timeout, environ)
    found: list[bytes] = []
    try:
        _login(client, user, password, where, url_user is not None)
        _select(client, folder, where)
        status, reply = client.uid("SEARCH", search_criteria(rules, since))
        if status != "OK":
            raise MailboxError(f"imaps://{where}/{folder}: SEARCH refused ({_scrub(reply[0] if reply else '', None)})")
        uids = b" ".join(part for part in reply if part).split()
        for start in range(0, len(uids), FETCH_BATCH):
            batch = b",".join(uids[start:start + FETCH_BATCH]).decode("ascii")
            status, reply = client.uid("FETCH", batch, "(INTERNALDATE BODY.PEEK[])")
            if status != "OK":
                raise MailboxError(f"imaps://{where}/{folder}: FETCH refused "
                                   f"({_scrub(reply[0] if reply else '', None)})")
            for meta, raw in _fetched(reply):
                if _wanted(raw, rules, since, lambda meta=meta: _internaldate(meta)):
                    found.append(raw)
    except imaplib.IMAP4.abort as exc:
        raise MailboxError(f"imaps://{where}/{folder}: connection lost ({_scrub(exc, password)[:200]})") from None
    except (TimeoutError, socket.timeout):
        raise MailboxError(f"imaps://{where}/{folder}: no answer within {timeout:g} s") from None
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"imaps://{where}/{folder}: {_scrub(exc, password)[:200]}") from None
    finally:
        _logout(client, where)
    return found


def _logout(client: imaplib.IMAP4_SSL, where: str) -> None:
    try:
        client.logout()
    except (imaplib.IMAP4.error, OSError) as exc:  # the messages are read; a lost goodbye changes nothing
        log.debug("%s: logout failed: %r", where, exc)


# --- the one entry point --------------------------------------------------------------------------------------------

def read_mailbox(url: str, senders: list[str] | None = None, since: datetime | None = None,
                 environ: Mapping[str, str] = os.environ, timeout: float = 30) -> list[bytes]:
    """Raw messages of the mailbox at `url` sent by one of `senders` (addresses or domains; None: all) dated at
    or after `since` (naive: UTC; None: all), in mailbox order.

    `imaps://[user@]host[:port]/FOLDER` (port 993, folder INBOX; user and password from DOSSIER_IMAP_USER and
    DOSSIER_IMAP_PASSWORD, a user in the URL taking precedence), `maildir:PATH` or `maildir:///abs/path`,
    `mbox:PATH`. Raises MailboxError with one line naming the mailbox and the fix."""
    rules = sender_rules(senders)
    since_utc = _utc(since) if since is not None else None
    scheme = url.partition(":")[0].lower() if ":" in url else ""
    if scheme == "imaps" and url[:8].lower() == "imaps://":
        return _read_imaps("imaps://" + url[8:], rules, since_utc, environ, timeout)
    if scheme == "imap":
        authority = url.partition("://")[2].rpartition("@")[2].partition("/")[0]  # no userinfo: it may hold a password
        raise MailboxError(f"imap://{authority}: plain IMAP sends the password in clear: use imaps://{authority}")
    if scheme == "maildir":
        return _read_maildir(url, rules, since_utc)
    if scheme == "mbox":
        return _read_mbox(url, rules, since_utc)
    shown = url.partition("@")[2] if "@" in url else url  # whatever precedes an '@' may be a password
    raise MailboxError(f"{shown[:200]!r}: not a mailbox URL: write imaps://host/FOLDER, maildir:PATH or mbox:PATH")
