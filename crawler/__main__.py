"""`python -m crawler --config FILE --db URL --run-id N`: one crawl in its own process (started by crawler.launch)."""
from __future__ import annotations

import argparse
import sys

from dossier.errors import DossierError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--shared", metavar="'RUN TOKEN WORKER'",
                        help="crawl as this worker of this distributed run (Redis from $DOSSIER_REDIS_URL)")
    args = parser.parse_args(argv)
    from crawler.process import crawl  # Scrapy is imported only once the arguments are good

    try:
        crawl(args.config, args.db, args.run_id, args.verbose, shared=args.shared)
    except DossierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
