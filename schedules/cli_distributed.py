"""`dossier crawl --worker`: a crawl worker of distributed runs (DOSSIER_REDIS_URL), see crawler/distributed.py."""
from __future__ import annotations

import click

from dossier.errors import ConfigError

DB_HELP = "Database URL shared by the coordinator and every worker (default: $DOSSIER_DATABASE_URL)."


@click.command()
@click.option("--worker", is_flag=True, required=True,
              help="Wait for runs published by `dossier run` on DOSSIER_REDIS_URL and crawl them.")
@click.option("--db", "database_url", help=DB_HELP)
@click.option("--once", is_flag=True, help="Stop after one run.")
@click.option("--idle-timeout", type=click.FloatRange(min=0), default=None,
              help="Stop after this many seconds without a run (default: wait for ever).")
@click.pass_context
def crawl(ctx: click.Context, worker: bool, database_url: str | None, once: bool, idle_timeout: float | None) -> None:
    """Crawl runs published by a coordinator (`dossier run` with DOSSIER_REDIS_URL set).

    Start one worker per core, on one or several machines, each with the same DOSSIER_REDIS_URL and a --db
    pointing at the same PostgreSQL database. The config comes from the coordinator with each run.
    """
    from crawler.distributed import serve, worker_name
    from crawler.redis_run import connect, redis_url
    from storage.db import resolve_url

    url = redis_url()
    if not url:
        raise ConfigError("DOSSIER_REDIS_URL is not set: a worker needs the Redis of its coordinator "
                          "(e.g. DOSSIER_REDIS_URL=redis://127.0.0.1:6379/0)")
    database_url = resolve_url(database_url)
    if database_url.startswith("sqlite"):
        raise ConfigError("the database (--db or DOSSIER_DATABASE_URL; SQLite by default): workers write to the "
                          "coordinator's database, which SQLite cannot share between machines: give its PostgreSQL "
                          "URL (--db postgresql://user@host/db)")
    connect(url).close()  # a wrong or unreachable Redis is one line, not a line after the greeting
    click.echo(f"worker {worker_name()} waiting for runs on {url.split('@')[-1]} (Ctrl-C to stop)", err=True)
    crawled = serve(url, database_url, once=once, verbose=ctx.obj["verbose"], idle_timeout=idle_timeout)
    click.echo(f"worker {worker_name()} stopped after {crawled} run{'' if crawled == 1 else 's'}", err=True)


COMMANDS = [crawl]
