"""`dossier crawl --worker`: a crawl worker of distributed runs (`dossier run --distributed`), see crawler/worker.py."""
from __future__ import annotations

import click

from dossier.errors import ConfigError

DB_HELP = "The PostgreSQL database shared by the coordinator and every worker (default: $DOSSIER_DATABASE_URL)."


@click.command()
@click.option("--worker", is_flag=True, required=True,
              help="Crawl the hosts that `dossier run --distributed` queues in the database.")
@click.option("--db", "database_url", help=DB_HELP)
@click.option("--once", is_flag=True, help="Stop after crawling one host.")
@click.option("--idle-timeout", type=click.FloatRange(min=0), default=None,
              help="Stop after this many seconds without a host to crawl (default: wait for ever).")
@click.pass_context
def crawl(ctx: click.Context, worker: bool, database_url: str | None, once: bool, idle_timeout: float | None) -> None:
    """Crawl for distributed runs (`dossier run --distributed`): one host of a run at a time, taken from the
    job queue in the dossier's PostgreSQL database, its pages written to that database.

    Start one worker per core, on one or several machines, each with --db (or DOSSIER_DATABASE_URL) pointing at
    the same PostgreSQL database. The config comes from the coordinator with each host. A worker stopped with
    SIGTERM or Ctrl-C finishes its host first; one that dies has its host crawled again by another worker.
    """
    from crawler.work_queue import alive_seconds
    from crawler.worker import serve, worker_name
    from storage.db import check_connection, create_db_engine, resolve_url
    from dossier.secrets import hide_password

    database_url = resolve_url(database_url)
    if database_url.startswith("sqlite"):
        raise ConfigError("the database (--db or DOSSIER_DATABASE_URL; SQLite by default): workers write to the "
                          "coordinator's database, which SQLite cannot share between machines: give its PostgreSQL "
                          "URL (--db postgresql://user@host/db)")
    alive_seconds()  # a malformed DOSSIER_ALIVE_SECONDS is one line here, not a traceback later
    engine = create_db_engine(database_url)
    try:
        check_connection(engine)  # a wrong or unreachable database is one line, before the greeting
    finally:
        engine.dispose()
    click.echo(f"worker {worker_name()} waiting for hosts to crawl in {hide_password(database_url)} "
               "(Ctrl-C to stop)", err=True)
    crawled = serve(database_url, once=once, idle_timeout=idle_timeout, verbose=ctx.obj["verbose"])
    click.echo(f"worker {worker_name()} stopped after {crawled} host{'' if crawled == 1 else 's'}", err=True)


COMMANDS = [crawl]
