"""Benchmarks, run by hand (`python -m benchmarks.crawl|extraction|diff|distributed|matching`); not part of the
package.

Figures and method: docs/performance.md.
"""
from __future__ import annotations

import uuid


def postgres_schema(admin_url: str) -> tuple[str, str]:
    """A fresh schema on the PostgreSQL server of `admin_url`: (a URL whose search_path is it, its name)."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    return f"{admin_url}?options=-csearch_path%3D{schema}", schema


def drop_postgres_schema(admin_url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
