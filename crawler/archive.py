"""The Internet Archive, asked politely: CDX index queries and captures' original bytes, one request at a time with
a delay between them, a retry with back-off when the archive says it is busy (429, 503), the crawl's honest
User-Agent, and a cache on disk of the captures read, so that a rerun or a resumed backfill does not fetch them
again. The archive's base URL is a setting (tests point it at a loopback fixture).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from crawler import settings
from dossier.errors import CrawlError
from dossier.urls import canonical_url
from extractors.archive import Capture, CdxUnreadable, capture_url, cdx_query, parse_cdx

log = logging.getLogger(__name__)

BUSY = (429, 503)
ORIGINAL_HEADER = "x-archive-orig-"  # the archive's copy of the captured answer's own headers


class ArchiveError(CrawlError):
    """The archive cannot be reached, refuses, or answers something that is not what was asked: one line;
    `status`, the HTTP status it answered with, if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def gone(self) -> bool:
        """The archive has no such capture (any more): 404 or 410."""
        return self.status in (404, 410)


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """A capture's bytes and the original answer's headers (as the archive kept them)."""

    capture: Capture
    body: bytes
    headers: dict[str, str]
    cached: bool  # read from the cache on disk, not from the archive
    seconds: float = 0.0


@dataclass(slots=True)
class ArchiveClient:
    archive: str = settings.ARCHIVE_URL
    user_agent: str = "DossierBot"
    delay: float = settings.ARCHIVE_DELAY
    cache_dir: Path | None = None
    retries: int = settings.ARCHIVE_RETRIES
    backoff: float = settings.ARCHIVE_BACKOFF
    timeout: float = settings.ARCHIVE_TIMEOUT
    max_bytes: int = settings.DOWNLOAD_MAXSIZE  # an answer larger than this is refused (the config's max_bytes)
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0  # sent to the archive (cache hits not counted)
    _last: float = field(default=0.0, repr=False)

    def captures(self, url: str, since_year: int | None = None) -> list[Capture]:
        """The archive's captures of `url` (from `since_year`); the index is asked for the URL, and what it answers
        of other URLs (a redirect's target, a neighbour) is left out. ArchiveError when the answer is no index."""
        query = cdx_query(self.archive, url, since_year)
        body, _ = self._get(query)
        try:
            found = parse_cdx(body)
        except CdxUnreadable as exc:
            raise ArchiveError(f"archive {self.archive}: CDX query for {url}: {exc}") from None
        wanted = _same_page(url)
        return [c for c in found if _same_page(c.original) == wanted
                and (since_year is None or c.timestamp.year >= since_year)]

    def page(self, capture: Capture) -> ArchivedPage:
        """A capture's original bytes, from the cache when read before (by its digest: equal digests, equal
        bytes), else from the archive, then kept in the cache."""
        cached = self._cached(capture)
        if cached is not None:
            return cached
        started = time.monotonic()
        body, headers = self._get(capture_url(self.archive, capture))
        original = {name[len(ORIGINAL_HEADER):]: value for name, value in headers.items()
                    if name.startswith(ORIGINAL_HEADER)}
        if "content-type" in headers:
            original["content-type"] = headers["content-type"]
        page = ArchivedPage(capture, body, original, cached=False, seconds=time.monotonic() - started)
        self._keep(page)
        return page

    # -- the cache ---------------------------------------------------------------------------------
    def _cache_path(self, capture: Capture) -> Path | None:
        if self.cache_dir is None:
            return None
        key = capture.digest or f"{capture.stamp} {capture.original}"
        return self.cache_dir / hashlib.sha256(key.encode()).hexdigest()

    def _cached(self, capture: Capture) -> ArchivedPage | None:
        path = self._cache_path(capture)
        if path is None or not path.with_suffix(".json").is_file() or not path.with_suffix(".body").is_file():
            return None
        try:
            headers = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            body = path.with_suffix(".body").read_bytes()
        except (OSError, ValueError) as exc:  # a damaged entry is read again from the archive
            log.warning("archive cache entry %s unreadable (%s): fetching the capture again", path, exc)
            return None
        return ArchivedPage(capture, body, {str(k): str(v) for k, v in dict(headers).items()}, cached=True)

    def _keep(self, page: ArchivedPage) -> None:
        path = self._cache_path(page.capture)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # the body first, its headers last: an entry is complete once both are there (a kill between leaves
            # a body without headers, which is not read)
            _write_atomically(path.with_suffix(".body"), page.body)
            _write_atomically(path.with_suffix(".json"), json.dumps(page.headers).encode())
        except OSError as exc:  # the cache saves requests; a full disk must not stop the backfill
            log.warning("archive cache %s not written: %s", path.parent, exc)

    # -- the wire ----------------------------------------------------------------------------------
    def _get(self, url: str) -> tuple[bytes, dict[str, str]]:
        """GET with the delay before it and the retries after a busy answer; ArchiveError on anything else."""
        wait = self.backoff
        for attempt in range(self.retries + 1):
            self._pause()
            request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 (http(s) only)
                    body = answer.read(self.max_bytes + 1)
                    if len(body) > self.max_bytes:
                        raise ArchiveError(f"archive {self.archive}: the answer for {url} is larger than "
                                           f"{self.max_bytes} bytes (defaults.max_bytes of the config)")
                    return body, _headers(answer.headers)
            except urllib.error.HTTPError as exc:
                if exc.code in BUSY and attempt < self.retries:
                    pause = _retry_after(exc.headers, wait)
                    log.warning("archive busy (HTTP %s) on %s: trying again in %.0f s", exc.code, url, pause)
                    self.sleep(pause)
                    wait *= 2
                    continue
                raise ArchiveError(f"archive {self.archive}: HTTP {exc.code} for {url}"
                                   + (" (still busy after retries: try later or raise --delay)"
                                      if exc.code in BUSY else ""), exc.code) from None
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                raise ArchiveError(f"archive {self.archive} unreachable ({reason}): check --archive, or try "
                                   "later") from None
        raise AssertionError("unreachable: the loop returns or raises")

    def _pause(self) -> None:
        if self.delay > 0 and self._last:
            remaining = self._last + self.delay - time.monotonic()
            if remaining > 0:
                self.sleep(remaining)
        self._last = time.monotonic()


def _same_page(url: str) -> str:
    """The URL as the archive keys it, near enough: scheme and `www.` aside, canonical."""
    canonical = canonical_url(url)
    rest = canonical.split("://", 1)[-1]
    return rest.removeprefix("www.").rstrip("/")


def _headers(message: Message) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in message.items()}


def _retry_after(headers: Message | None, default: float) -> float:
    value = (headers or {}).get("Retry-After", "") if headers is not None else ""
    try:
        return min(settings.ARCHIVE_RETRY_AFTER_MAX, max(0.0, float(value)))
    except (TypeError, ValueError):
        return default


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)
