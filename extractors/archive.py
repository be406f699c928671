"""The Internet Archive's CDX index, read: its answer parsed into captures, the captures picked per month or quarter,
and the URLs of the index query and of a capture's original bytes. Pure: bytes in, frozen records out.

The CDX server's answer (https://github.com/internetarchive/wayback/tree/master/wayback-cdx-server) is either JSON
(`output=json`: a list of rows, the first naming the fields) or, by default, one capture per line with the fields
separated by spaces, in the order urlkey timestamp original mimetype statuscode digest length.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlencode

CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
PERIODS = ("month", "quarter")
HTML_TYPES = ("text/html", "application/xhtml+xml")  # the captures the page extractors can read
FIRST_YEAR = 1996  # the archive's first captures
TIMESTAMP = re.compile(r"[0-9]{4,14}")  # yyyy[MM[dd[hh[mm[ss]]]]]: the CDX server pads a short one with the earliest


class CdxUnreadable(ValueError):
    """The archive's answer is not a CDX index (an error page, a proxy's page, garbage): one line saying what came."""


@dataclass(frozen=True, slots=True)
class Capture:
    """One capture of one URL in the archive."""

    timestamp: datetime  # UTC
    original: str  # the URL as it was captured
    mimetype: str | None = None
    status: int | None = None  # None for a revisit or a capture without a status ("-")
    digest: str | None = None  # of the captured body: equal digests, equal bytes
    length: int | None = None

    @property
    def stamp(self) -> str:
        """The 14-digit timestamp the archive addresses the capture by."""
        return self.timestamp.strftime("%Y%m%d%H%M%S")

    @property
    def good(self) -> bool:
        """A page the extractors can read: answered 200, as HTML."""
        return self.status == 200 and (self.mimetype or "").split(";")[0].strip().lower() in HTML_TYPES


@dataclass(frozen=True, slots=True)
class Period:
    """A month or a quarter; `index` counts months since year 0 (of its first month), so periods sort by it."""

    label: str  # 2024-05 or 2024-Q2
    index: int
    start: datetime
    end: datetime  # exclusive

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class PeriodPlan:
    """What one period's archived run reads: per URL, its newest good capture up to the period's end (an older one
    carried forward when the URL was not captured within the period, so that a page is not taken for removed only
    because the archive skipped it that month); `fresh` of them were captured within the period."""

    period: Period
    captures: tuple[tuple[str, Capture], ...]  # (the URL asked for, its capture), in the order asked
    fresh: int

    @property
    def first(self) -> datetime:
        """The oldest capture taken within the period: the run's start."""
        return min(c.timestamp for _, c in self.captures if c.timestamp in self.period)

    @property
    def last(self) -> datetime:
        """The newest capture taken within the period: the run's end, and its changes' date."""
        return max(c.timestamp for _, c in self.captures if c.timestamp in self.period)


def parse_timestamp(value: str) -> datetime:
    """A CDX timestamp (4 to 14 digits) as an aware UTC datetime; CdxUnreadable when it is none."""
    if not isinstance(value, str) or not TIMESTAMP.fullmatch(value):
        raise CdxUnreadable(f"not a CDX timestamp: {str(value)[:40]!r}")
    padded = value + "0101000000"[len(value) - 4:] if len(value) < 14 else value
    try:
        return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        raise CdxUnreadable(f"not a CDX timestamp: {value!r}") from None


def parse_cdx(body: bytes | str) -> list[Capture]:
    """The captures of a CDX answer, JSON or plain text; an empty answer is no capture. Raises CdxUnreadable, one
    line, when the answer is not a CDX index."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        return []
    if stripped.startswith("<"):
        title = re.search(r"<title[^>]*>(.*?)</title>", stripped, re.I | re.S)
        what = f" ({' '.join(title.group(1).split())[:80]})" if title else ""
        raise CdxUnreadable(f"the archive answered an HTML page{what}, not a CDX index")
    if stripped.startswith("{"):  # the CDX server's own error answer ({"error": ...}), or another API's
        try:
            said = json.loads(stripped)
        except ValueError:
            said = None
        message = said.get("error") if isinstance(said, dict) and isinstance(said.get("error"), str) else None
        raise CdxUnreadable("the archive answered a JSON object" + (f" ({' '.join(message.split())[:80]})"
                                                                    if message else "") + ", not a CDX index")
    if stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except ValueError:
            raise CdxUnreadable("the archive's answer is broken JSON, not a CDX index") from None
        return _json_rows(rows)
    return [_capture(dict(zip(CDX_FIELDS, _plain_fields(line, number))))
            for number, line in enumerate(stripped.splitlines(), 1) if line.strip()]


def _plain_fields(line: str, number: int) -> list[str]:
    fields = line.split()
    if len(fields) != len(CDX_FIELDS):
        raise CdxUnreadable(f"line {number} of the archive's answer has {len(fields)} fields, not the CDX index's "
                            f"{len(CDX_FIELDS)}: {line.strip()[:60]!r}")
    return fields


def _json_rows(rows: object) -> list[Capture]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise CdxUnreadable("the archive's JSON answer is not a list of rows, not a CDX index")
    if not rows:
        return []
    header = rows[0]
    if not all(isinstance(name, str) for name in header) or not {"timestamp", "original"} <= set(header):
        raise CdxUnreadable("the archive's JSON answer has no header row naming timestamp and original")
    captures = []
    for number, row in enumerate(rows[1:], 2):
        if len(row) != len(header) or not all(isinstance(value, str) for value in row):
            raise CdxUnreadable(f"row {number} of the archive's answer does not match its header")
        captures.append(_capture(dict(zip(header, row))))
    return captures


def _capture(fields: dict[str, str]) -> Capture:
    original = fields.get("original", "")
    if not original.lower().startswith(("http://", "https://")):
        raise CdxUnreadable(f"a capture's original URL is not a web address: {original[:60]!r}")
    return Capture(parse_timestamp(fields["timestamp"]), original, _text(fields.get("mimetype")),
                   _number(fields.get("statuscode")), _text(fields.get("digest")), _number(fields.get("length")))


def _text(value: str | None) -> str | None:
    return None if value in (None, "", "-") else value


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def period_of(moment: datetime, per: str) -> Period:
    """The month or quarter (`per`) the moment falls in."""
    if per not in PERIODS:
        raise ValueError(f"per: {per!r} is not one of {', '.join(PERIODS)}")
    first = moment.month if per == "month" else (moment.month - 1) // 3 * 3 + 1
    months = 1 if per == "month" else 3
    start = datetime(moment.year, first, 1, tzinfo=timezone.utc)
    end_month = first + months
    end = datetime(moment.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1, tzinfo=timezone.utc)
    label = f"{moment.year}-{first:02d}" if per == "month" else f"{moment.year}-Q{(first - 1) // 3 + 1}"
    return Period(label, moment.year * 12 + first - 1, start, end)


def plan_periods(captures: dict[str, list[Capture]], per: str, since: datetime | None = None) -> list[PeriodPlan]:
    """The periods with a good capture (at or after `since`) of any URL, oldest first, each with every URL's
    newest good capture up to its end (captures of equal digest bring the same bytes: the archive client reads
    them once, crawler/archive.py)."""
    good: dict[str, list[Capture]] = {}
    for url, found in captures.items():
        kept = sorted((c for c in found if c.good and (since is None or c.timestamp >= since)),
                      key=lambda c: c.timestamp)
        if kept:
            good[url] = kept
    periods = sorted({period_of(c.timestamp, per) for found in good.values() for c in found},
                     key=lambda p: p.index)
    plans = []
    for period in periods:
        chosen = []
        fresh = 0
        for url, found in good.items():
            before = [c for c in found if c.timestamp < period.end]
            if before:
                chosen.append((url, before[-1]))
                fresh += before[-1].timestamp in period
        plans.append(PeriodPlan(period, tuple(chosen), fresh))
    return plans


def cdx_query(archive: str, url: str, since_year: int | None = None) -> str:
    """The CDX query of a URL's captures (JSON, answered 200 only, one a day: a popular page has thousands a
    year, and a backfill keeps one a month; from `since_year`)."""
    params = [("url", url), ("output", "json"), ("fl", ",".join(CDX_FIELDS)), ("filter", "statuscode:200"),
              ("collapse", "timestamp:8")]
    if since_year is not None:
        params.append(("from", str(since_year)))
    return f"{archive.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def capture_url(archive: str, capture: Capture) -> str:
    """The capture's original bytes (the `id_` flag: no archive toolbar, no rewritten links)."""
    return f"{archive.rstrip('/')}/web/{capture.stamp}id_/{capture.original}"
