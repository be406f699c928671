"""Logging of the command line: lines on stderr (text or JSON), optionally JSON lines in a rotating file.

Both carry the same fields: time (UTC), level, logger, message, pid, and whatever a call passes in `extra`
(e.g. `run_id`). Scrapy logs in its own process (crawler/), at WARNING unless --verbose.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import datetime, timezone
from pathlib import Path

from dossier.errors import ConfigError

LOG_FILE_BYTES = 10 * 1024 * 1024  # a log file is rotated at this size ...
LOG_FILE_BACKUPS = 5  # ... keeping this many old ones (dossier.log.1 ... .5)
QUIET_LOGGERS = ("scrapy", "twisted", "alembic", "apscheduler.scheduler", "apscheduler.executors", "urllib3",
                 "asyncio")  # INFO is noise
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_OURS = "_dossier_handler"  # marks the handlers installed here, so that configuring again replaces them


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class TextFormatter(logging.Formatter):
    """`2026-11-23T02:00:00.123Z INFO schedules.nightly: run 12 started run_id=12`"""

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        line = f"{_time(record)} {record.levelname} {record.name}: {record.getMessage()}"
        line += f" {extra}" if extra else ""
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald, Loki or jq."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {"time": _time(record), "level": record.levelname, "logger": record.name,
                                    "message": record.getMessage(), "pid": record.process}
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test runner swaps it), like logging.lastResort."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(verbose: bool = False, log_file: str | Path | None = None, fmt: str = "text",
                      level: int | None = None) -> None:
    """Log to stderr at WARNING (INFO with verbose, or `level`), and to `log_file` at INFO when given."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    stderr = _StderrHandler()
    stderr.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    stderr.setLevel(level if level is not None else (logging.INFO if verbose else logging.WARNING))
    setattr(stderr, _OURS, True)
    root.addHandler(stderr)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
    # the job queue's INFO lines repeat each job's arguments (a host's whole crawl order): the worker's own lines say
    # what it crawls (crawler/worker.py)
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    if log_file:
        add_log_file(log_file)


def add_log_file(path: str | Path) -> None:
    """Also write INFO and above to a rotating file of JSON lines (a second call with the same path is a no-op)."""
    path = Path(path).expanduser().resolve()
    root = logging.getLogger()
    if any(getattr(h, _OURS, False) and getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS,
                                                       encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--log-file {path}: cannot write there ({exc.strerror}); give a writable file") from None
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.INFO)
    setattr(handler, _OURS, True)
    root.addHandler(handler)
