"""Diff benchmark: seconds to diff a run of N products against the previous one, on SQLite (and PostgreSQL).
`python -m benchmarks.diff [--sizes 1000,10000,100000] [--postgres URL]`; run by hand, not by the tests."""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from extractors.records import PageFacts, Product
from storage.db import create_db_engine, upgrade
from storage.diff import diff_run
from storage.queries import list_changes
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

SHOP = "https://bench.example/"
PER_PAGE = 100
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _night(engine, refs, products: list[Product]) -> int:
    catalog = refs[0]
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    for start in range(0, len(products), PER_PAGE):
        page = f"{SHOP}list?page={start // PER_PAGE + 1}"
        writer.record_fetch(catalog.source_id, page, 200, None, 5, 1000, None)
        writer.add_page(catalog.source_id, catalog.competitor_id, page, PageFacts(title="Liste", h1="Produkte"), None)
        writer.add_products(catalog.source_id, catalog.competitor_id, products[start:start + PER_PAGE], page)
    writer.close()
    record_source_outcomes(engine, run_id, refs)
    finish_run(engine, run_id, "succeeded")
    return run_id


def _catalog(size: int, rng: random.Random, night: int) -> list[Product]:
    """Night 1: `size` products. Night 2: 5 % repriced, 1 % out of stock, 1 % gone and 1 % new."""
    products = []
    for index in range(size + (size // 100 if night == 2 else 0)):
        if night == 2 and index % 100 == 7:
            continue  # removed
        price = Decimal(10 + index % 5000) + Decimal("0.99")
        if night == 2 and index % 20 == 3:
            price = (price * Decimal("1.08")).quantize(Decimal("0.01"))
        stock = "out_of_stock" if night == 2 and index % 100 == 11 else "in_stock"
        products.append(Product(name=f"Product {index}", price=price, currency="EUR", availability=stock,
                                sku=f"SKU-{index:07d}", url=f"{SHOP}p/{index}"))
    rng.shuffle(products)
    return products


def measure(url: str, size: int) -> tuple[float, int]:
    """Seconds of diff_run for the second of two nights of `size` products, and the changes it found."""
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        refs = sync_sources(engine, [{"slug": "bench", "name": "Bench", "sources": [{"kind": "catalog",
                                                                                   "url": f"{SHOP}list?page=1"}]}])
        rng = random.Random(size)
        first = _night(engine, refs, _catalog(size, rng, 1))
        diff_run(engine, first)
        second = _night(engine, refs, _catalog(size, rng, 2))
        started = time.perf_counter()
        diff_run(engine, second)
        seconds = time.perf_counter() - started
        return seconds, len(list_changes(engine, run_id=second))
    finally:
        engine.dispose()


def _postgres_schema(admin_url: str) -> tuple[str, str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    return f"{admin_url}?options=-csearch_path%3D{schema}", schema


def _drop_schema(admin_url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="Comma-separated product counts.")
    parser.add_argument("--postgres", default=POSTGRES, help="PostgreSQL URL ('' to skip).")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'backend':<11}{'products':>10}{'changes':>10}{'diff s':>10}{'µs/product':>12}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            seconds, changes = measure(f"sqlite:///{Path(folder) / 'bench.db'}", size)
        print(f"{'sqlite':<11}{size:>10}{changes:>10}{seconds:>10.2f}{seconds / size * 1e6:>12.1f}", flush=True)
    if args.postgres:
        for size in sizes:
            try:
                url, schema = _postgres_schema(args.postgres)
            except Exception as exc:  # a benchmark without the server still reports SQLite
                print(f"postgresql skipped: {exc}")
                break
            try:
                seconds, changes = measure(url, size)
            finally:
                _drop_schema(args.postgres, schema)
            print(f"{'postgresql':<11}{size:>10}{changes:>10}{seconds:>10.2f}{seconds / size * 1e6:>12.1f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
