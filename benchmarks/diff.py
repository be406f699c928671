"""Diff benchmark: seconds to diff a run of N products against the previous one, on SQLite (and PostgreSQL).
`python -m benchmarks.diff [--sizes 1000,10000,100000] [--backends sqlite,postgresql] [--postgres URL] [--profile]`;
run by hand, not by the tests. Target (issue 8): 1,000,000 products diffed in <= 60 s on PostgreSQL.

Each size writes two nights through the crawl's RunWriter (night 2: 5 % repriced, 1 % out of stock, 1 % gone, 1 %
new), then times diff_run of night 2 alone ("diff s"); "load s" is the writing of both nights, for context.
`--profile` adds, for each diff, cProfile's top functions, the slowest SQL statements and, on PostgreSQL,
EXPLAIN (ANALYZE, BUFFERS) of the slowest SELECTs (run again after the timed diff, so on a warm cache).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, text

from benchmarks import drop_postgres_schema, postgres_schema
from extractors.records import PageFacts, Product
from storage.db import create_db_engine, upgrade
from storage.diff import diff_run
from storage.queries import list_changes
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

SHOP = "https://bench.example/"
PER_PAGE = 100
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


ANALYZE_AFTER = 10_000  # products written before PostgreSQL's statistics are refreshed while loading (see _night)


def _night(engine, refs, products: list[Product]) -> int:
    catalog = refs[0]
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    analyzed = engine.dialect.name != "postgresql"
    for start in range(0, len(products), PER_PAGE):
        page = f"{SHOP}list?page={start // PER_PAGE + 1}"
        writer.record_fetch(catalog.source_id, page, 200, None, 5, 1000, None)
        writer.add_page(catalog.source_id, catalog.competitor_id, page, PageFacts(title="Liste", h1="Produkte"), None)
        writer.add_products(catalog.source_id, catalog.competitor_id, products[start:start + PER_PAGE], page)
        if not analyzed and start + PER_PAGE >= ANALYZE_AFTER:
            # Loading only, not the timed diff: RunWriter looks the new products' ids up with
            # (competitor_id, key) IN (500 pairs). While product's statistics still say "empty" (autovacuum
            # has not analyzed it yet), PostgreSQL answers that by reading all of the competitor's products
            # per batch (0.24 s per 500 at 30,000 rows, growing with the table): a 1,000,000-product night
            # would take hours. Fresh statistics make it 500 unique-index probes. See docs/performance.md.
            writer.flush()
            with engine.begin() as connection:
                connection.execute(text("ANALYZE product, price_observation"))
            analyzed = True
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


def measure(url: str, size: int, profile: bool = False) -> tuple[float, int, float]:
    """Seconds of diff_run for the second of two nights of `size` products, the changes it found, and the seconds
    the two nights took to write."""
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        refs = sync_sources(engine, [{"slug": "bench", "name": "Bench", "sources": [{"kind": "catalog",
                                                                                   "url": f"{SHOP}list?page=1"}]}])
        rng = random.Random(size)
        loading = time.perf_counter()
        first = _night(engine, refs, _catalog(size, rng, 1))
        diff_run(engine, first)
        second = _night(engine, refs, _catalog(size, rng, 2))
        loading = time.perf_counter() - loading
        statements = _StatementTimer(engine) if profile else None
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        diff_run(engine, second)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        if profile:
            _print_profile(engine, profiler, statements, seconds)
        return seconds, len(list_changes(engine, run_id=second)), loading
    finally:
        engine.dispose()


class _StatementTimer:
    """Wall seconds of every SQL statement the engine runs (from cursor execute to its return)."""

    def __init__(self, engine) -> None:
        self.timings: list[tuple[float, str, object, bool]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        started = conn.info["bench_started"].pop()
        self.timings.append((time.perf_counter() - started, statement, parameters, executemany))


def _print_profile(engine, profiler: cProfile.Profile, statements: _StatementTimer, seconds: float) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    print(f"  -- cProfile of diff_run ({seconds:.2f} s), top by cumulative time:")
    print("\n".join("  " + line for line in out.getvalue().splitlines()[6:] if line.strip()))
    slow = sorted(statements.timings, key=lambda t: t[0], reverse=True)
    total = sum(t[0] for t in slow)
    print(f"  -- SQL: {len(slow)} statements, {total:.2f} s in the database driver; the slowest:")
    for spent, statement, _, many in slow[:6]:
        flat = " ".join(statement.split())
        print(f"  {spent:8.2f} s {'(executemany) ' if many else ''}{flat[:400]}")
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        for spent, statement, parameters, many in slow[:4]:
            if many or not statement.lstrip().upper().startswith("SELECT") or spent < 0.05:
                continue
            plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
            print(f"  -- EXPLAIN ANALYZE of the {spent:.2f} s statement:")
            print("\n".join("  " + line for line in plan))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="Comma-separated product counts.")
    parser.add_argument("--backends", default="sqlite,postgresql", help="Comma-separated: sqlite, postgresql.")
    parser.add_argument("--postgres", default=POSTGRES, help="PostgreSQL URL ('' to skip).")
    parser.add_argument("--profile", action="store_true", help="Profile each timed diff (cProfile, SQL, EXPLAIN).")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print(f"{'backend':<11}{'products':>10}{'changes':>10}{'diff s':>10}{'µs/product':>12}{'load s':>9}", flush=True)
    if "sqlite" in backends:
        for size in sizes:
            with tempfile.TemporaryDirectory() as folder:
                seconds, changes, loading = measure(f"sqlite:///{Path(folder) / 'bench.db'}", size, args.profile)
            print(f"{'sqlite':<11}{size:>10}{changes:>10}{seconds:>10.2f}{seconds / size * 1e6:>12.1f}"
                  f"{loading:>9.1f}", flush=True)
    if args.postgres and "postgresql" in backends:
        for size in sizes:
            try:
                url, schema = postgres_schema(args.postgres)
            except Exception as exc:  # a benchmark without the server still reports SQLite
                print(f"postgresql skipped: {exc}")
                break
            try:
                seconds, changes, loading = measure(url, size, args.profile)
            finally:
                drop_postgres_schema(args.postgres, schema)
            print(f"{'postgresql':<11}{size:>10}{changes:>10}{seconds:>10.2f}{seconds / size * 1e6:>12.1f}"
                  f"{loading:>9.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
