"""One competitor newsletter from its raw RFC 5322 bytes: sender, subject, date, links and main text. No I/O here;
crawler/mailbox.py reads the bytes from a mailbox."""
from __future__ import annotations

import codecs
import hashlib
import logging
import re
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
from charset_normalizer import from_bytes

from extractors.document import Document
from extractors.encoding import decode_html
from extractors.records import Newsletter

log = logging.getLogger(__name__)

MAX_MAIN_TEXT = 20_000
MAX_SUBJECT = 1_000
MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # beyond this a "newsletter" is an attachment dump; its head is enough
LINK_SCHEMES = ("http", "https")
# Query parameters that only tell the sender which mail a click came from: removed so that the same landing page
# is the same link from one issue to the next. Prefixes, lower-case.
TRACKING_PARAM_PREFIXES = ("utm_",)
WHITESPACE = re.compile(r"\s+")
TEXT_LINK = re.compile(r"https?://[^\s<>\"'\[\]{}|\\^`]+", re.IGNORECASE)
TEXT_LINK_TRAILING = ".,;:!?)»”’'\""
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title", "svg", "object", "iframe"})
# Inline styles by which mails hide their preheader (the teaser a mail list shows) from the reader
HIDDEN_STYLES = ("display:none", "mso-hide:all", "visibility:hidden")
# Charsets tried on a part whose declared charset is unknown or wrong, in order; latin-1 never fails.
FALLBACK_CHARSETS = ("utf-8",)


def parse_newsletter(raw: bytes) -> Newsletter | None:
    """The newsletter in `raw`; None when the bytes are not a message (no From address). Never raises."""
    try:
        if not isinstance(raw, (bytes, bytearray)) or not raw.strip():
            return None
        return _parse(bytes(raw))
    except Exception as exc:  # the contract: a hostile message gives None, the run goes on
        log.debug("newsletter unreadable: %r", exc)
        return None


def _parse(raw: bytes) -> Newsletter | None:
    message = BytesParser(policy=policy.default).parsebytes(raw[:MAX_MESSAGE_BYTES])
    if not isinstance(message, EmailMessage):
        return None
    sender, sender_name = _sender(message)
    if not sender:
        return None
    html_part, text_part = _body_part(message, "html"), _body_part(message, "plain")
    html_text = _html_text(html_part) if html_part is not None else None
    plain = _part_text(text_part) if text_part is not None else None
    if html_text is not None:
        links = html_links(html_text)
    else:
        links = text_links(plain or "")
    return Newsletter(
        message_id=_message_id(message, raw),
        sender=sender,
        subject=_header_text(message, "Subject", MAX_SUBJECT) or "",
        sent=_sent(message),
        links=links,
        main_text=_main_text(plain, html_text),
        sender_name=sender_name,
    )


def _norm(value: str | None, limit: int) -> str | None:
    """Whitespace runs (CR and LF among them) to one space, cut at `limit`; None when nothing is left."""
    if not value:
        return None
    return " ".join(value.split())[:limit] or None


def _raw_header(message: EmailMessage, name: str) -> str | None:
    """The header as received, without parsing it into a structured value (which can fail on hostile input)."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return _unmangle(str(value))
    return None


def _unmangle(value: str) -> str:
    """Undo the surrogate escapes the parser leaves for raw 8-bit bytes in a header: senders who skip RFC 2047
    mostly write UTF-8, else the charset of their text (windows-1251 and the like), which charset-normalizer tells."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        return str(best) if best is not None else data.decode("latin-1")


def _header_text(message: EmailMessage, name: str, limit: int) -> str | None:
    """A header decoded (RFC 2047, broken charsets replaced rather than raised) and whitespace-normalised."""
    try:
        value = message[name]
    except (ValueError, TypeError, IndexError, LookupError, AttributeError) as exc:  # the parser's structured header
        log.debug("header %s unreadable: %r", name, exc)
        value = None
    text = str(value) if value is not None else _raw_header(message, name)
    return _norm(_unmangle(text) if text else None, limit)


def _sender(message: EmailMessage) -> tuple[str | None, str | None]:
    """(address lower-case, display name) of the first From address."""
    try:
        header = message["From"]
        addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()) or ())
    except (ValueError, TypeError, IndexError, LookupError, AttributeError) as exc:
        log.debug("From header unreadable: %r", exc)
        addresses = ()
    for address in addresses:
        spec = (address.addr_spec or "").strip().lower()
        if "@" in spec and " " not in spec:
            return spec, _norm(_unmangle(address.display_name or ""), MAX_SUBJECT)
    raw = _raw_header(message, "From")
    for name, spec in getaddresses([raw] if raw else []):
        spec = spec.strip().lower()
        if "@" in spec and " " not in spec:
            return spec, _norm(name, MAX_SUBJECT)
    return None, None


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = _raw_header(message, "Message-ID") or ""
    found = re.search(r"<([^<>\s]+)>", value)
    ident = found.group(1) if found else "".join(value.split()).strip("<>")
    return ident or "sha256:" + hashlib.sha256(raw).hexdigest()


def _sent(message: EmailMessage) -> datetime | None:
    value = _raw_header(message, "Date")
    if not value:
        return None
    try:
        sent = parsedate_to_datetime(" ".join(value.split()))
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        log.debug("Date header unreadable: %r", exc)
        return None
    if sent is None:
        return None
    if sent.tzinfo is None:  # "-0000": the sender's zone is unknown, the time is UTC (RFC 5322 3.3)
        sent = sent.replace(tzinfo=timezone.utc)
    try:
        return sent.astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:  # year 1 or 9999 shifted out of range
        log.debug("Date header out of range: %r", exc)
        return None


def _body_part(message: EmailMessage, subtype: str) -> EmailMessage | None:
    """The text/<subtype> part a mail reader would show (attachments excluded), or None."""
    try:
        part = message.get_body(preferencelist=(subtype,))
    except (ValueError, TypeError, IndexError, LookupError, AttributeError, KeyError) as exc:
        log.debug("no %s body: %r", subtype, exc)
        return None
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    return part


def _payload(part: EmailMessage) -> bytes:
    """The part's bytes with its Content-Transfer-Encoding undone (base64 and quoted-printable read leniently)."""
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    text = part.get_payload()
    return text.encode("utf-8", "surrogateescape") if isinstance(text, str) else b""


def _known_charset(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_text(data: bytes, declared: str | None) -> str:
    """Bytes of a text part as text: the declared charset, else UTF-8, else what charset-normalizer finds,
    else latin-1 (which reads any byte)."""
    for charset in (_known_charset(declared), *FALLBACK_CHARSETS):
        if charset:
            try:
                return data.decode(charset)
            except UnicodeDecodeError:
                continue
    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("latin-1")


def _part_text(part: EmailMessage) -> str:
    return decode_text(_payload(part), part.get_content_charset())


def _html_text(part: EmailMessage) -> str:
    """An HTML part as text: its declared charset, then its <meta charset>, checked against what the bytes are
    (extractors/encoding.py, as for pages)."""
    data = _payload(part)
    charset = _known_charset(part.get_content_charset())
    content_type = f"text/html; charset={charset}" if charset else "text/html"
    return decode_html(data, content_type)


def _clean_link(href: str) -> str | None:
    href = "".join(href.split())  # mail clients fold long href values; a link holds no whitespace
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not k.lower().startswith(TRACKING_PARAM_PREFIXES)]
    query = parts.query if len(kept) == len(pairs) else urlencode(kept)  # untouched unless something went
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, query, parts.fragment))


def _unique(links: list[str]) -> list[str]:
    return list(dict.fromkeys(links))


def html_links(html: str) -> list[str]:
    """http(s) targets of the <a href> of an HTML body, in order, without duplicates, without utm_* parameters.
    Relative links count only under a <base href> (a mail has no URL of its own)."""
    tree = Document(html, "").tree
    if tree is None:
        return []
    base = next((str(b).strip() for b in tree.xpath("//base/@href") if str(b).strip()), "")
    found: list[str] = []
    for href in tree.xpath("//a/@href"):
        href = str(href).strip()
        if base:
            try:
                href = urljoin(base, href)
            except ValueError:
                continue
        link = _clean_link(href)
        if link:
            found.append(link)
    return _unique(found)


def text_links(text: str) -> list[str]:
    """http(s) links written out in a plain-text body, as html_links does for HTML."""
    found: list[str] = []
    for match in TEXT_LINK.finditer(text):
        link = _clean_link(match.group(0).rstrip(TEXT_LINK_TRAILING))
        if link:
            found.append(link)
    return _unique(found)


def html_main_text(html: str) -> str | None:
    """The visible words of an HTML newsletter, one line per block. Not trafilatura, as for pages: a mail has no
    navigation or cookie banner to cut, and trafilatura, which reads mails' layout tables as data and drops their
    headings, keeps less of what the sender wrote."""
    tree = Document(html, "").tree
    if tree is None:
        return None
    body = tree.find("body")
    return block_text(body if body is not None else tree) or None


def _hidden(element: lxml.html.HtmlElement) -> bool:
    style = "".join((element.get("style") or "").lower().split())
    return element.tag in INVISIBLE or any(rule in style for rule in HIDDEN_STYLES) or element.get("hidden") is not None


def _spaced(text: str) -> str:
    """Source line breaks are layout, not text: only block elements and <br> break lines."""
    return WHITESPACE.sub(" ", text)


def block_text(root: lxml.html.HtmlElement) -> str:
    """Text of the tree with a line break around each block element and <br>; hidden elements (scripts, styles,
    the invisible preheader of a mail) left out. Walks without recursion: hostile nesting is deep."""
    parts: list[str] = []
    hidden_depth = 0
    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        if not isinstance(element.tag, str):  # a comment or processing instruction: only its tail shows
            if event == "end" and not hidden_depth and element.tail:
                parts.append(_spaced(element.tail))
            continue
        if event == "start":
            if hidden_depth or _hidden(element):
                hidden_depth += 1
                continue
            if element.tag in BLOCK_TAGS or element.tag == "br":
                parts.append("\n")
            if element.text:
                parts.append(_spaced(element.text))
        else:
            if hidden_depth:
                hidden_depth -= 1
                if hidden_depth:
                    continue
            elif element.tag in BLOCK_TAGS:
                parts.append("\n")
            if element is not root and element.tail:
                parts.append(_spaced(element.tail))
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def _main_text(plain: str | None, html: str | None) -> str | None:
    text: str | None = None
    if plain and plain.strip():
        lines = (" ".join(line.split()) for line in plain.replace("\r\n", "\n").split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    elif html:
        text = html_main_text(html)
    return text[:MAX_MAIN_TEXT] if text else None
