"""Review dates: ISO values directly, else visible text via dateparser, which knows the months, "yesterday" and
"… ago" of every language we read ("3 марта 2024", "12. März 2024", "3 marca 2026", "3. března 2026",
"il y a 2 jours", "2 gün önce"); never in the future of `now` (injectable for tests).

With the page's language the text is read in it (day before month for the languages that write so: "03.02.2026"
is 3 February on a Polish page); when the page names none, or its own does not read the text (an English date on a
German page), the languages of CANDIDATE_LANGUAGES are tried in turn and the first that reads the whole day wins.
A date inside a label ("Zrecenzowano w Polsce 3 marca 2026", "Reviewed in the United States on March 3, 2026") is
found by dateparser's search when the whole text does not read.
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone

from dateparser.data.languages_info import language_order
from dateparser.date import DateDataParser
from dateparser.search import search_dates

log = logging.getLogger(__name__)

DEFAULT_LANGUAGES = ("en", "de", "ru")
# Tried in this order when the page's language is unknown: ours first, then those of issue 20 (item 3).
CANDIDATE_LANGUAGES = DEFAULT_LANGUAGES + ("uk", "pl", "fr", "es", "it", "nl", "pt", "tr", "cs")
# Languages whose numeric dates put the day first (CLDR's short date patterns).
DMY_LANGUAGES = frozenset({"ru", "de", "uk", "be", "pl", "cs", "sk", "fr", "it", "es", "nl", "pt", "tr", "da", "nb",
                           "no", "fi", "el", "ro", "hu", "bg", "hr", "sl", "sr", "lt", "lv", "et", "kk"})
# English as written where the day comes first ("12/11/2026" is 12 November on an en-GB page; CLDR short dates).
DMY_ENGLISH_REGIONS = frozenset({"gb", "ie", "au", "nz", "in", "za", "sg", "my", "hk", "pk", "ng", "ke"})
KNOWN_LANGUAGES = frozenset(language_order)  # every language dateparser reads
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_LETTER = re.compile(r"[^\W\d_]")
_DAY_NUMBER = re.compile(r"(?<!\d)\d{1,2}(?!\d)")  # a day of the month written as a number (a year has four digits)
_ORDINAL_MARK = re.compile(r"(?<=\d)[ºª]")  # "1º de março de 2026": dateparser reads "1 de março de 2026"
_DAY_PERIODS = frozenset({"day", "time"})
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
    text = _ORDINAL_MARK.sub("", text)
    parts = (lang or "").lower().replace("_", "-").split("-")
    code = parts[0] if parts[0] in KNOWN_LANGUAGES else ""
    day_first = code in DMY_LANGUAGES or (code == "en" and len(parts) > 1 and parts[1] in DMY_ENGLISH_REGIONS)
    try:
        found = _parse(text, code, base, day_first)
        if found is None and len(text.split()) >= 2:
            found = _search(text, code, base, day_first)
    except (ValueError, TypeError, OverflowError, AttributeError, KeyError, IndexError, re.error) as exc:
        log.debug("date unreadable: %r: %r", text, exc)
        return None
    if found is None or found[0] > (base + timedelta(days=1)).date():
        return None  # a review cannot be from the future: a misread day/month order or a wrong year
    return found[0]


def _parse(text: str, code: str, base: datetime, day_first: bool) -> tuple[date, str] | None:
    """The date `text` is, whole, as (date, dateparser's period: "day", "month"...)."""
    found = None
    if code:
        found = _read(text, (code,), base, day_first)
        if found is not None and found[1] not in _DAY_PERIODS and _DAY_NUMBER.search(text):
            finer = _guess(text, base, code)  # "3 Mart 2026" on an English page: a month, its day unread
            found = finer if finer is not None and finer[1] in _DAY_PERIODS else found
    return found if found is not None else _guess(text, base, code)


def _search(text: str, code: str, base: datetime, day_first: bool) -> tuple[date, str] | None:
    """The date inside a longer text: "Zrecenzowano w Polsce 3 marca 2026", "Publié le 3 mars 2026",
    "Reviewed in the United States on March 3, 2026". In an unknown language only a match of three words or more
    ("3 marca 2026", "2 dni temu") or of numbers alone ("03.02.2026") counts: shorter ones are often other words
    that look like a month ("5 out" of "5 out of 5 stars" is Portuguese for 5 October)."""
    languages = [code] if code else list(CANDIDATE_LANGUAGES)
    matches = search_dates(text, languages=languages, settings=_settings(base, False)) or []
    for part, _when in matches:
        part = part.strip()
        if len(part.split()) >= len(text.split()) or (not code and len(part.split()) < 3 and _LETTER.search(part)):
            continue
        found = _parse(part, code, base, day_first)
        if found is not None:
            return found
    return None


def _guess(text: str, base: datetime, tried: str = "") -> tuple[date, str] | None:
    """`text` in a language we do not know: numbers by their separators, words by the first language that reads
    them; a reading with the day beats one without ("3 Mart 2026" is Turkish, not an English "Mar")."""
    if not _LETTER.search(text):
        # "03.02.2026", "3-2-2026": dots and dashes are written day first; "03/02/2026" stays month first (en-US)
        # unless the month would be past 12
        return _read(text, ("en",), base, "." in text or "-" in text)
    candidates = tuple(c for c in CANDIDATE_LANGUAGES if c != tried)
    data = _data(text, candidates, base, False)
    if data is None:
        return _read_one_unit(text, candidates, base)
    language = (data.locale or "en").split("-")[0]
    if data.period not in _DAY_PERIODS and _DAY_NUMBER.search(text):
        for other in candidates[candidates.index(language) + 1 if language in candidates else 0:]:
            finer = _data(text, (other,), base, other in DMY_LANGUAGES)
            if finer is not None and finer.period in _DAY_PERIODS:
                return finer.date_obj.date(), finer.period
    if language in DMY_LANGUAGES and _DAY_NUMBER.search(text):
        data = _data(text, (language,), base, True) or data  # its numbers in its own order
    return data.date_obj.date(), data.period


def _read(text: str, languages: tuple[str, ...], base: datetime, dmy: bool) -> tuple[date, str] | None:
    data = _data(text, languages, base, dmy)
    if data is None:
        return _read_one_unit(text, languages, base)
    return data.date_obj.date(), data.period


def _read_one_unit(text: str, languages: tuple[str, ...], base: datetime) -> tuple[date, str] | None:
    """"tydzień temu", "un mese fa", "bir hafta önce": one unit ago, written without the number dateparser
    needs in these languages; read as "1 tydzień temu", "1 mese fa" (the short first word taken for "one")."""
    words = text.split()
    if len(words) < 2 or any(ch.isdigit() for ch in text):
        return None
    variants = ["1 " + text]
    if len(words) >= 3 and len(words[0]) <= 4:
        variants.append(" ".join(["1"] + words[1:]))
    for variant in variants:
        data = _data(variant, languages, base, False)
        if data is not None and data.date_obj < base:
            return data.date_obj.date(), data.period
    return None


def _data(text: str, languages: tuple[str, ...], base: datetime, dmy: bool):  # -> dateparser DateData | None
    parser = DateDataParser(languages=list(languages), use_given_order=True, settings=_settings(base, dmy))
    data = parser.get_date_data(text)
    return data if data is not None and data.date_obj is not None else None


def _settings(base: datetime, dmy: bool) -> dict[str, object]:
    settings: dict[str, object] = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": base,
                                   "RETURN_AS_TIMEZONE_AWARE": False}
    if dmy:
        settings["DATE_ORDER"] = "DMY"
    return settings
