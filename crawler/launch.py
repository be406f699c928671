"""Starting a crawl in a child process and reading how it ended (no Scrapy imported on this side)."""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass

from crawler.order import CrawlOrder

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # linux/prctl.h
DATABASE_ENV = "DOSSIER_DATABASE_URL"  # how the child gets the database URL: its password stays out of `ps`


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    ok: bool
    error: str | None  # the child's last line of error output when it failed
    killed: bool = False  # the child died of a signal (killed, out of memory): its sources may be crawled again


def crawl_in_subprocess(order: CrawlOrder, database_url: str, verbose: bool = False,
                        timeout: float | None = None, stop_with_parent: bool = False) -> CrawlOutcome:
    """Crawl `order` in a child process (`python -m crawler`), its order on the child's standard input.

    The database URL goes to the child in its environment, not on its command line: a process's arguments are
    readable by every local user (`ps`), its environment only by its own user and root. `stop_with_parent`: the
    child is killed when this process dies (a worker's crawl must not write on after its worker is gone and
    another worker has taken its sources over)."""
    command = [sys.executable, "-m", "crawler", "--order", "-"] + (["--verbose"] if verbose else [])
    env = {**os.environ, DATABASE_ENV: database_url}
    try:
        result = subprocess.run(command, input=order.to_text(), stdout=subprocess.PIPE,
                                stderr=None if verbose else subprocess.PIPE, text=True, timeout=timeout, env=env,
                                preexec_fn=_die_with_parent if stop_with_parent else None)
    except subprocess.TimeoutExpired:
        return CrawlOutcome(False, f"crawl took longer than {timeout:.0f} s and was stopped")
    if result.returncode == 0:
        return CrawlOutcome(True, None)
    if result.returncode < 0:
        try:
            error = f"crawl process killed by {signal.Signals(-result.returncode).name}"
        except ValueError:  # a signal number Python has no name for
            error = f"crawl process killed by signal {-result.returncode}"
        log.warning("crawl of run %s: %s", order.run_id, error)
        return CrawlOutcome(False, error, killed=True)
    lines = [line for line in (result.stderr or "").splitlines() if line.strip()]
    # the child's own one-line error (crawler/__main__.py) is the reason, without its "error: " prefix
    error = lines[-1].removeprefix("error: ") if lines else f"crawl process exited with code {result.returncode}"
    log.warning("crawl of run %s failed: %s", order.run_id, error)
    return CrawlOutcome(False, error)


def _die_with_parent() -> None:
    """In the child, before it runs: SIGKILL when the worker that started it dies (Linux' PR_SET_PDEATHSIG), so
    that nothing it would still write mixes with the rows of the worker that crawls its sources again."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
