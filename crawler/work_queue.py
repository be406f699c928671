"""The job queue of distributed runs: procrastinate (https://procrastinate.readthedocs.io) on the dossier's own
PostgreSQL, which every worker writes to anyway. No Redis, no queue of our own.

One job crawls one host: every source of the run whose start URL is on that host (host and port), so a host's
politeness (its delay, at most `concurrency_per_domain` requests at a time) is kept by the one process that asks
it, and a whole source is the unit a dead worker's successor takes over. docs/operations.md says why procrastinate.
No Scrapy here.
"""
from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit

from dossier.errors import ConfigError

CRAWL_TASK = "dossier.crawl_host"
QUEUE = "dossier_crawl"
ALIVE_ENV = "DOSSIER_ALIVE_SECONDS"  # a worker silent this long is dead: its host is handed to another worker
ALIVE_SECONDS = 30.0  # procrastinate's own default (`stalled_worker_timeout`)
WAIT_ENV = "DOSSIER_WORKER_WAIT_SECONDS"  # with work left and no worker alive this long, the run gives up waiting
WAIT_SECONDS = 60.0
MAX_ATTEMPTS = 3  # a host whose crawl process was killed this often in all is not tried again: the run fails
SCHEMA_LOCK = 0x646F7373  # the advisory lock under which the first worker or coordinator creates the queue's tables


def seconds_from_env(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ConfigError(f"{name}={value}: must be a number of seconds above 0 (unset it for the default, "
                          f"{default:g})")
    return seconds


def alive_seconds() -> float:
    return seconds_from_env(ALIVE_ENV, ALIVE_SECONDS)


def host_of(url: str) -> str:
    """The host a source's start URL is on, with its port: the unit of work of a distributed run."""
    return urlsplit(url).netloc.lower()


def by_host(sources: Iterable[tuple[int, str]]) -> dict[str, list[int]]:
    """Source ids grouped by the host of their start URL ((source id, url) pairs), hosts in first-seen order."""
    hosts: dict[str, list[int]] = defaultdict(list)
    for source_id, url in sources:
        hosts[host_of(url)].append(source_id)
    return dict(hosts)


def queue_app(conninfo: str):
    """The procrastinate app on the dossier's PostgreSQL (`conninfo`: a libpq URL, storage.db.libpq_url)."""
    import procrastinate

    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))


def ensure_schema(conninfo: str) -> None:
    """procrastinate's tables in the dossier database, created by the first process that needs them (under an
    advisory lock: a coordinator and its workers may start together)."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            if connection.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0] is None:
                connection.execute(SchemaManager.get_schema())
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
