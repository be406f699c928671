"""`python -m crawler --order -`: one crawl in its own process (started by crawler.launch).

The order (crawler/order.py: the run, its sources as the config validated them, the defaults) comes as JSON on
standard input, or from a file for a crawl tried by hand. The database URL comes from $DOSSIER_DATABASE_URL
(crawler.launch sets it), so that its password is not among the process's arguments, which every local user can
read; `--db` is for trying a crawl by hand.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dossier.errors import DossierError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("--order", required=True, metavar="FILE",
                        help="the crawl order as JSON (`-`: standard input, as `dossier run` hands it over)")
    parser.add_argument("--db", help="database URL (default: $DOSSIER_DATABASE_URL, which keeps a password out of `ps`)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    database_url = args.db or os.environ.get("DOSSIER_DATABASE_URL")
    if not database_url:
        parser.error("no database: set DOSSIER_DATABASE_URL (or pass --db)")
    from crawler.order import CrawlOrder
    from crawler.process import crawl  # Scrapy is imported only once the arguments are good

    try:
        text = sys.stdin.read() if args.order == "-" else Path(args.order).read_text(encoding="utf-8")
        crawl(CrawlOrder.from_text(text), database_url, args.verbose)
    except OSError as exc:
        print(f"error: --order {args.order}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except DossierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
