"""What the dossier report shows, read from the views and tables as plain data (no HTML here)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

GOOD = "('succeeded', 'partial')"


@dataclass(slots=True)
class CompetitorDossier:
    slug: str
    name: str
    summary: dict[str, Any]
    products: list[dict[str, Any]]
    price_series: dict[str, Any]  # {"labels": [...run times], "series": [{"label", "data": [price|None]}]}
    category_index: dict[str, Any]  # {"labels": [...], "series": [{"label": category, "data": [index|None]}]}
    rating_trend: dict[str, Any]
    technologies: list[dict[str, Any]]
    ads: list[dict[str, Any]]
    positioning: list[dict[str, Any]]
    text_changes: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    changes: list[dict[str, Any]] = field(default_factory=list)


def _rows(connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in connection.execute(text(sql), params).mappings()]


def overview(engine: Engine) -> dict[str, Any]:
    """The summary table across competitors and the change timeline (changes per run and kind)."""
    with engine.connect() as connection:
        summary = _rows(connection, "SELECT * FROM competitor_summary ORDER BY competitor")
        timeline = _rows(connection, """
            SELECT run_id, MIN(run_started) AS run_started, kind, COUNT(*) AS changes
            FROM recent_changes GROUP BY run_id, kind ORDER BY run_id, kind""")
        latest = _rows(connection, "SELECT * FROM recent_changes ORDER BY run_id DESC, id LIMIT 50")
    return {"summary": summary, "timeline": timeline, "latest_changes": latest}


def _runs(connection) -> list[dict[str, Any]]:
    return _rows(connection, f"SELECT id, started FROM crawl_run WHERE status IN {GOOD} ORDER BY id")


def _as_float(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def competitor_dossier(engine: Engine, slug: str) -> CompetitorDossier:
    with engine.connect() as connection:
        (summary,) = _rows(connection, "SELECT * FROM competitor_summary WHERE competitor = :slug", slug=slug)
        runs = _runs(connection)
        labels = [f"run {r['id']} · {str(r['started'])[:16]}" for r in runs]
        position = {r["id"]: i for i, r in enumerate(runs)}
        products = _rows(connection, "SELECT * FROM latest_prices WHERE competitor = :slug ORDER BY product", slug=slug)
        history = _rows(connection, "SELECT * FROM price_history WHERE competitor = :slug ORDER BY run_id", slug=slug)
        ratings = _rows(connection, f"""
            SELECT rs.run_id, rs.platform, rs.average, rs.count FROM rating_snapshot rs
            JOIN competitor c ON c.id = rs.competitor_id JOIN crawl_run r ON r.id = rs.run_id
            WHERE c.slug = :slug AND r.status IN {GOOD} ORDER BY rs.run_id""", slug=slug)
        technologies = _rows(connection, f"""
            SELECT t.technology, MIN(r.started) AS first_seen, MAX(r.started) AS last_seen, MAX(t.version) AS version
            FROM technology_observation t JOIN competitor c ON c.id = t.competitor_id
            JOIN crawl_run r ON r.id = t.run_id
            WHERE c.slug = :slug AND r.status IN {GOOD} GROUP BY t.technology ORDER BY t.technology""", slug=slug)
        ads = _rows(connection, """
            SELECT a.external_id, a.headline, a.body, a.landing_url, a.snapshot_url, a.started, a.stopped, a.active
            FROM ad a JOIN competitor c ON c.id = a.competitor_id WHERE c.slug = :slug
            ORDER BY a.active DESC, a.started DESC""", slug=slug)
        positioning = _rows(connection, f"""
            SELECT p.url, p.title, p.h1, p.description FROM page_snapshot p
            JOIN competitor c ON c.id = p.competitor_id
            WHERE c.slug = :slug AND p.run_id = (
                SELECT MAX(p2.run_id) FROM page_snapshot p2 JOIN crawl_run r ON r.id = p2.run_id
                WHERE p2.competitor_id = c.id AND r.status IN {GOOD})
            ORDER BY LENGTH(p.url), p.url LIMIT 20""", slug=slug)
        text_changes = _rows(connection, """
            SELECT run_started, title, before, after, url FROM recent_changes
            WHERE competitor = :slug AND kind = 'text_changed' ORDER BY run_id DESC LIMIT 20""", slug=slug)
        jobs = _rows(connection, f"""
            SELECT j.title, j.location, j.posted, j.url FROM job_posting j JOIN competitor c ON c.id = j.competitor_id
            WHERE c.slug = :slug AND j.run_id = (
                SELECT MAX(j2.run_id) FROM job_posting j2 JOIN crawl_run r ON r.id = j2.run_id
                WHERE j2.competitor_id = c.id AND r.status IN {GOOD}) ORDER BY j.title""", slug=slug)
        changes = _rows(connection, """
            SELECT * FROM recent_changes WHERE competitor = :slug ORDER BY run_id DESC, id LIMIT 50""", slug=slug)
    return CompetitorDossier(
        slug=slug, name=summary["competitor_name"], summary=summary, products=products,
        price_series=_price_series(history, labels, position), category_index=_category_index(history, labels, position),
        rating_trend=_rating_trend(ratings, labels, position), technologies=technologies, ads=ads,
        positioning=positioning, text_changes=text_changes, jobs=jobs, changes=changes)


def _price_series(history: list[dict[str, Any]], labels: list[str], position: dict[int, int]) -> dict[str, Any]:
    series: dict[str, list[float | None]] = {}
    for row in history:
        name = f"{row['product'] or row['product_key']} ({row['currency'] or '?'})"
        data = series.setdefault(name, [None] * len(labels))
        if row["run_id"] in position:
            data[position[row["run_id"]]] = _as_float(row["price"])
    return {"labels": labels, "series": [{"label": k, "data": v} for k, v in sorted(series.items())]}


def _category_index(history: list[dict[str, Any]], labels: list[str], position: dict[int, int]) -> dict[str, Any]:
    """Per category, the mean of each product's price relative to its first price, × 100 (a chained price index)."""
    first: dict[str, float] = {}
    points: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in history:
        price = _as_float(row["price"])
        if not price or row["run_id"] not in position:
            continue
        key = row["product_key"]
        base = first.setdefault(key, price)
        points[row["category"] or "all products"][position[row["run_id"]]].append(price / base * 100)
    series = [{"label": category, "data": [round(sum(v) / len(v), 2) if (v := by_run.get(i)) else None
                                           for i in range(len(labels))]}
              for category, by_run in sorted(points.items())]
    return {"labels": labels, "series": series}


def _rating_trend(ratings: list[dict[str, Any]], labels: list[str], position: dict[int, int]) -> dict[str, Any]:
    series: dict[str, list[float | None]] = {}
    for row in ratings:
        data = series.setdefault(row["platform"], [None] * len(labels))
        if row["run_id"] in position:
            data[position[row["run_id"]]] = _as_float(row["average"])
    return {"labels": labels, "series": [{"label": k, "data": v} for k, v in sorted(series.items())]}


def competitor_slugs(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [r["slug"] for r in _rows(connection, "SELECT slug FROM competitor ORDER BY slug")]
