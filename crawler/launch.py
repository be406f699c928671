"""Starting a crawl in a child process and reading how it ended (no Scrapy imported on this side)."""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # linux/prctl.h
DATABASE_ENV = "DOSSIER_DATABASE_URL"  # how the child gets the database URL: its password stays out of `ps`


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    ok: bool
    error: str | None  # the child's last line of error output when it failed


def crawl_in_subprocess(config_path: str, database_url: str, run_id: int, verbose: bool = False,
                        timeout: float | None = None, shared: str | None = None,
                        only: list[int] | None = None) -> CrawlOutcome:
    """`shared`: crawl as a worker of that distributed run (crawler/distributed.py).

    The database URL goes to the child in its environment, not on its command line: a process's arguments are
    readable by every local user (`ps`), its environment only by its own user and root."""
    command = [sys.executable, "-m", "crawler", "--config", str(config_path), "--run-id", str(run_id)] + \
        (["--verbose"] if verbose else []) + (["--shared", shared] if shared else []) + \
        (["--sources", ",".join(map(str, only))] if only is not None else [])
    env = {**os.environ, DATABASE_ENV: database_url}
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=None if verbose else subprocess.PIPE,
                                text=True, timeout=timeout, env=env,
                                preexec_fn=_stop_with_parent if shared else None)
    except subprocess.TimeoutExpired:
        return CrawlOutcome(False, f"crawl took longer than {timeout:.0f} s and was stopped")
    if result.returncode == 0:
        return CrawlOutcome(True, None)
    lines = [line for line in (result.stderr or "").splitlines() if line.strip()]
    # the child's own one-line error (crawler/__main__.py) is the reason, without its "error: " prefix
    error = lines[-1].removeprefix("error: ") if lines else f"crawl process exited with code {result.returncode}"
    log.warning("crawl of run %s failed: %s", run_id, error)
    return CrawlOutcome(False, error)


def _stop_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the worker that started it dies (Linux' PR_SET_PDEATHSIG), so
    that a stopped or killed worker stops its crawl too (Scrapy then closes it cleanly: the coordinator learns)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
