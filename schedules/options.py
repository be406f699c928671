"""Click options shared by the commands of `dossier` (one definition, one help text)."""
from __future__ import annotations

from pathlib import Path

import click

DB_HELP = "Database URL (default: $DOSSIER_DATABASE_URL, else sqlite:///dossier.db)."

database_option = click.option("--db", "database_url", help=DB_HELP)
outbox_option = click.option("--outbox", "outbox_dir", default="outbox", show_default=True,
                             type=click.Path(path_type=Path), help="Folder the digests are written to as .eml files.")
distributed_option = click.option(
    "--distributed", is_flag=True,
    help="Hand the crawl to `dossier crawl --worker` processes on any machines, one host at a time, through the "
         "job queue in the PostgreSQL database (docs/operations.md); this process waits, then diffs and alerts.")
