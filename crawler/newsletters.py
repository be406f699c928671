"""The newsletter sources of a run: each competitor's mail in the team's mailbox, parsed and stored.

A mailbox is read once per source and run, like a page: one fetch row says whether it could be read (so the
source is judged as any other), and each newsletter is stored once, in the run that first read it.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from crawler.mailbox import MailboxError, read_mailbox
from dossier.outcomes import FetchOutcome
from extractors.newsletter import parse_newsletter
from storage.runs import latest_newsletter
from storage.writer import RunWriter

log = logging.getLogger(__name__)

OVERLAP = timedelta(days=2)  # mail is read again from a little before the newest one stored: late arrivals
LOCAL_SCHEMES = ("maildir:", "mbox:")


def read_newsletters(engine: Any, run_id: int, refs: list[Any], config_dir: Path,
                     environ: Mapping[str, str] = os.environ) -> int:
    """Read every newsletter source of `refs`; returns how many newsletters were read (new or not)."""
    read = 0
    writer = RunWriter(engine, run_id)
    try:
        for ref in refs:
            if ref.kind == "newsletter":
                read += _read_source(engine, writer, ref, config_dir, environ)
    finally:
        writer.close()
    return read


def mailbox_location(url: str, config_dir: Path) -> str:
    """A local mailbox's relative path is relative to the config file, as a user writes it."""
    for scheme in LOCAL_SCHEMES:
        if url.startswith(scheme):
            path = Path(url[len(scheme):].removeprefix("//"))
            return f"{scheme}{path if path.is_absolute() else (config_dir / path).resolve()}"
    return url


def _read_source(engine: Any, writer: RunWriter, ref: Any, config_dir: Path, environ: Mapping[str, str]) -> int:
    newest = latest_newsletter(engine, ref.source_id)
    started = time.monotonic()
    try:
        messages = read_mailbox(mailbox_location(ref.url, config_dir), ref.config.get("senders") or None,
                                since=newest - OVERLAP if newest else None, environ=environ)
    except MailboxError as exc:
        log.warning("%s: newsletters not read: %s", ref.competitor_slug, exc)
        writer.record_fetch(ref.source_id, ref.url, None, str(exc)[:1000], _ms(started), None, None,
                            outcome=FetchOutcome.MAILBOX_ERROR)
        return 0
    letters = [letter for letter in map(parse_newsletter, messages) if letter is not None]
    writer.record_fetch(ref.source_id, ref.url, 200, None, _ms(started), sum(len(m) for m in messages), None,
                        outcome=FetchOutcome.OK)
    writer.add_newsletters(ref.source_id, ref.competitor_id, letters)
    log.info("%s: %d newsletters read from %s", ref.competitor_slug, len(letters), ref.url)
    return len(letters)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
