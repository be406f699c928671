"""Contact facts of a page: phone numbers (tel: links and visible numbers), e-mail addresses, social profile links."""
from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

from lxml import html

from extractors.social import NOT_PROFILE_PATHS, SOCIAL_HOSTS

MAX_ITEMS = 50
MAX_SCAN_CHARS = 300_000
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}"
                    r"(?![\w-])")
_NOT_EMAIL_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js", "ico"})
# An international number (+49 621 1234-56), a Russian 8 (800) 555-35-35, or any number right after a phone label.
_PHONE = re.compile(
    r"(?<![\w+])(\+\d{1,3}[\s.\-]?\(?\d{1,5}\)?(?:[\s.\-]?\d{2,5}){1,4})(?!\d)"
    r"|(?<!\d)(8\s?\(\d{3,5}\)\s?\d{1,3}[\s\-]?\d{2}[\s\-]?\d{2})(?!\d)"
    r"|(?:tel|telefon|phone|fon|тел|телефон|hotline)\.?\s*:?\s*(\(?\d[\d\s()/.\-]{5,18}\d)",
    re.IGNORECASE,
)


def normalise_phone(raw: str) -> str | None:
    """`+49 (621) 123-45` -> `+4962112345`; None for fewer than 7 or more than 15 digits (not a phone)."""
    raw = unquote(raw).strip()
    digits = "".join(c for c in raw if c.isdigit())
    if not 7 <= len(digits) <= 15:
        return None
    if raw.startswith("+"):
        return "+" + digits
    if raw.startswith("00"):
        return "+" + digits[2:]
    return digits


def _add(items: list[str], value: str | None) -> None:
    if value and value not in items and len(items) < MAX_ITEMS:
        items.append(value)


def phones(tree: html.HtmlElement, visible_text: str) -> list[str]:
    found: list[str] = []
    for href in tree.xpath("//a[starts-with(translate(@href, 'TEL', 'tel'), 'tel:')]/@href")[:MAX_ITEMS]:
        _add(found, normalise_phone(str(href)[4:].split("?")[0]))
    for match in _PHONE.finditer(visible_text[:MAX_SCAN_CHARS]):
        _add(found, normalise_phone(next(g for g in match.groups() if g)))
    return found


def emails(tree: html.HtmlElement, visible_text: str) -> list[str]:
    found: list[str] = []
    for href in tree.xpath("//a[starts-with(translate(@href, 'MAILTO', 'mailto'), 'mailto:')]/@href")[:MAX_ITEMS]:
        address = unquote(str(href)[7:].split("?")[0]).strip().lower()
        if _EMAIL.fullmatch(address):
            _add(found, address)
    for match in _EMAIL.finditer(visible_text[:MAX_SCAN_CHARS]):
        address = match.group(0).lower()
        if address.rsplit(".", 1)[-1] not in _NOT_EMAIL_TLDS:
            _add(found, address)
    return found


def social_links(tree: html.HtmlElement, base_url: str) -> list[str]:
    found: list[str] = []
    for href in tree.xpath("//a/@href")[:20000]:
        try:
            link = urljoin(base_url, str(href).strip())
            parts = urlsplit(link)
        except ValueError:
            continue
        host = (parts.hostname or "").lower()
        for prefix in ("www.", "m.", "mobile.", "de.", "ru.", "en."):
            host = host.removeprefix(prefix)
        if parts.scheme not in ("http", "https") or host not in SOCIAL_HOSTS:
            continue
        path = parts.path.rstrip("/")
        if not path or path.startswith(NOT_PROFILE_PATHS) or path.endswith(".php"):
            continue
        _add(found, f"https://{host}{path}")
    return found
