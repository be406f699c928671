"""Distributed crawl benchmark: the seconds of one polite night crawled by one worker against two.

`python -m benchmarks.distributed [--hosts 4] [--products 100] [--delay 0.1] [--postgres URL]`; run by hand.
The night: `--hosts` synthetic shops on loopback, each a host of its own with two sources (its catalog and its
site), so at least 8 sources on 4 hosts; each host asked politely (`download_delay`, two requests at a time), as
a night is. Each measurement is a full `dossier run --distributed` (queue the hosts, wait, judge, diff) into a
fresh PostgreSQL schema, with N `dossier crawl --worker` processes started beforehand. Target (issue 23): two
workers >= 1.8x one.
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
from fixtures.synthetic import SyntheticSite
from schedules.nightly import run_once

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def night_yaml(sites: list[SyntheticSite], delay: float) -> str:
    """Each site as one competitor with two sources on its host: the catalog with its products, the site."""
    lines = ["defaults:", f"  download_delay: {delay}", "  concurrency_per_domain: 2", "  render: static",
             "competitors:"]
    for site in sites:
        lines += [f"  - slug: shop{site.number}", f"    name: Shop {site.number}", "    sources:",
                  "      - kind: catalog", f'        url: "{site.base_url}/catalog"', '        follow: "/p/"',
                  '        paginate: "a.next"', "        allow_private: true",
                  "      - kind: site", f'        url: "{site.base_url}/"', "        max_depth: 1",
                  "        allow_private: true"]
    return "\n".join(lines) + "\n"


def measure(sites: list[SyntheticSite], workers: int, delay: float, postgres: str) -> tuple[float, int, int]:
    """Seconds of one run with `workers` worker processes, the pages the sites served, and the workers that
    crawled."""
    url, schema = postgres_schema(postgres)
    procs = [subprocess.Popen([sys.executable, "-m", "schedules.cli", "crawl", "--worker", "--db", url,
                               "--idle-timeout", "600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "competitors.yaml"
            config.write_text(night_yaml(sites, delay), encoding="utf-8")
            time.sleep(3)  # the workers are up and listening
            for site in sites:
                site.hits.clear()
            started = time.perf_counter()
            result = run_once(config, url, Path(folder) / "outbox", distributed=True)
            seconds = time.perf_counter() - started
            if result.status != "succeeded":
                raise SystemExit(f"run with {workers} workers ended {result.status}: {result.error}")
            return seconds, sum(sum(site.hits.values()) for site in sites), result.workers
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        drop_postgres_schema(postgres, schema)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--products", type=int, default=100, help="Product pages per host.")
    parser.add_argument("--delay", type=float, default=0.1, help="download_delay, seconds between requests to a host.")
    parser.add_argument("--postgres", default=POSTGRES)
    args = parser.parse_args(argv)
    sites = [SyntheticSite(number, args.products, per_page=20, filler=5).start()
             for number in range(1, args.hosts + 1)]
    try:
        figures = {}
        for workers in (1, 2):
            seconds, pages, crawled_by = measure(sites, workers, args.delay, args.postgres)
            figures[workers] = seconds
            print(f"workers={workers} hosts={args.hosts} sources={2 * args.hosts} pages={pages} "
                  f"seconds={seconds:.1f} pages/s={pages / seconds:.1f} crawled_by={crawled_by}", flush=True)
    finally:
        for site in sites:
            site.stop()
    print(f"speed-up two/one workers: {figures[1] / figures[2]:.2f} (target >= 1.8; {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
