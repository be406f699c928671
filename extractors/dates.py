"""Review dates: ISO values directly, else visible ru/de/en text ("3 марта 2024", "12. März 2024", "vor 2 Tagen")
via dateparser, never in the future of `now` (injectable for tests)."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone

import dateparser

log = logging.getLogger(__name__)

DEFAULT_LANGUAGES = ("en", "de", "ru")
DMY_LANGUAGES = frozenset({"ru", "de", "uk", "be", "pl", "cs", "fr", "it", "es", "nl", "pt", "tr"})
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
MAX_DATE_TEXT = 80


def parse_date(value: object, lang: str | None = None, now: datetime | None = None) -> date | None:
    """A date from an ISO string (content/datetime attributes) or visible text; None when unreadable or future."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = " ".join(str(value).split())[:MAX_DATE_TEXT]
    if not text:
        return None
    now = now or datetime.now(timezone.utc)
    base = now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo else now
    match = _ISO.match(text)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    code = (lang or "").lower().split("-")[0].split("_")[0]
    languages = [code] if code in DEFAULT_LANGUAGES or code in DMY_LANGUAGES else list(DEFAULT_LANGUAGES)
    settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": base, "RETURN_AS_TIMEZONE_AWARE": False}
    if code in DMY_LANGUAGES:
        settings["DATE_ORDER"] = "DMY"
    try:
        parsed = dateparser.parse(text, languages=languages, settings=settings)
        if parsed is None and len(languages) == 1:
            parsed = dateparser.parse(text, languages=list(DEFAULT_LANGUAGES), settings=settings)
    except (ValueError, TypeError, OverflowError, AttributeError, re.error) as exc:
        log.debug("date unreadable: %r: %r", text, exc)
        return None
    if parsed is None or parsed.date() > (base + timedelta(days=1)).date():
        return None  # a review cannot be from the future: a misread day/month order or a wrong year
    return parsed.date()
