"""Distributed crawl benchmark: pages/s of one worker against two on a CPU-bound synthetic site.

`python -m benchmarks.distributed [--products 2000] [--filler 150] [--redis URL] [--postgres URL]`; run by hand.
Each measurement is a full `run_once` as coordinator (publish, drain, judge, diff) over a fresh PostgreSQL schema,
with N `dossier crawl --worker` processes started beforehand. Target (issue 8): two workers >= 1.6x one.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import drop_postgres_schema, postgres_schema
from crawler.redis_run import REDIS_ENV, connect
from fixtures.synthetic import SyntheticSite, competitors_yaml
from schedules.nightly import run_once

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/14"


def measure(site: SyntheticSite, workers: int, redis_url: str, postgres: str) -> tuple[float, int]:
    """Seconds of one run with `workers` worker processes, and the pages the site served."""
    url, schema = postgres_schema(postgres)
    env = {**os.environ, REDIS_ENV: redis_url}
    procs = [subprocess.Popen([sys.executable, "-m", "schedules.cli", "crawl", "--worker", "--once", "--db", url],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "competitors.yaml"
            config.write_text(competitors_yaml([site]), encoding="utf-8")
            time.sleep(2)  # the workers are up and polling
            site.hits.clear()
            os.environ[REDIS_ENV] = redis_url
            started = time.perf_counter()
            try:
                result = run_once(config, url, Path(folder) / "outbox")
            finally:
                del os.environ[REDIS_ENV]
            seconds = time.perf_counter() - started
            if result.status != "succeeded":
                raise SystemExit(f"run with {workers} workers ended {result.status}: {result.error}")
            return seconds, sum(site.hits.values())
    finally:
        for proc in procs:
            proc.wait(timeout=60)
        drop_postgres_schema(postgres, schema)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--filler", type=int, default=150, help="Paragraphs per page (CPU per page).")
    parser.add_argument("--redis", default=REDIS)
    parser.add_argument("--postgres", default=POSTGRES)
    args = parser.parse_args(argv)
    connect(args.redis).flushdb()
    with SyntheticSite(1, args.products, per_page=100, filler=args.filler) as site:
        figures = {}
        for workers in (1, 2):
            seconds, pages = measure(site, workers, args.redis, args.postgres)
            figures[workers] = pages / seconds
            print(f"workers={workers} pages={pages} seconds={seconds:.1f} pages/s={pages / seconds:.1f}", flush=True)
    print(f"ratio two/one workers: {figures[2] / figures[1]:.2f} (target >= 1.6; {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
