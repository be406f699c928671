"""`python -m crawler --config FILE --run-id N`: one crawl in its own process (started by crawler.launch).

The database URL comes from $DOSSIER_DATABASE_URL (crawler.launch sets it), so that its password is not among
the process's arguments, which every local user can read; `--db` is for trying a crawl by hand.
"""
from __future__ import annotations

import argparse
import os
import sys

from dossier.errors import DossierError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", help="database URL (default: $DOSSIER_DATABASE_URL, which keeps a password out of `ps`)")
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--shared", metavar="'RUN TOKEN WORKER'",
                        help="crawl as this worker of this distributed run (Redis from $DOSSIER_REDIS_URL)")
    parser.add_argument("--sources", metavar="ID,ID", type=_ids,
                        help="crawl only the sources of these ids (`dossier run --competitor`)")
    args = parser.parse_args(argv)
    database_url = args.db or os.environ.get("DOSSIER_DATABASE_URL")
    if not database_url:
        parser.error("no database: set DOSSIER_DATABASE_URL (or pass --db)")
    from crawler.process import crawl  # Scrapy is imported only once the arguments are good

    try:
        crawl(args.config, database_url, args.run_id, args.verbose, shared=args.shared, only=args.sources)
    except DossierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _ids(value: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: source ids separated by commas, e.g. 3,4") from None


if __name__ == "__main__":
    sys.exit(main())
