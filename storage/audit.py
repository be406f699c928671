"""The site audit of a run: per site source, the home page's speed and weight, robots.txt, the sitemap's size,
broken internal links and SEO basics, summed up from the run's fetch rows, page audits and crawl report."""
from __future__ import annotations

import logging
from statistics import median
from typing import Any

from sqlalchemy import Engine, select

from storage import models
from storage.db import session_scope
from storage.writer import insert_for

log = logging.getLogger(__name__)

TITLE_MAX = 70  # characters a search result shows of a title, about
DESCRIPTION_MAX = 160


def record_site_audits(engine: Engine, run_id: int, source_ids: list[int]) -> int:
    """Write (or rewrite) the site_audit row of each audited source of the run; returns how many were written."""
    rows = []
    with session_scope(engine) as session:
        stats = session.scalar(select(models.CrawlRun.stats).where(models.CrawlRun.id == run_id)) or {}
        for source in session.scalars(select(models.Source).where(models.Source.id.in_(source_ids))):
            report = (stats.get("sources") or {}).get(str(source.id)) or {}
            rows.append(_site_audit(session, run_id, source, report))
        if not rows:
            return 0
        statement = insert_for(session.get_bind(), models.SiteAudit.__table__)
        keys = ["run_id", "source_id"]
        session.execute(statement.on_conflict_do_update(
            index_elements=keys, set_={c: statement.excluded[c] for c in rows[0] if c not in keys}), rows)
    return len(rows)


def _site_audit(session, run_id: int, source: models.Source, report: dict[str, Any]) -> dict[str, Any]:
    audits = session.scalars(select(models.PageAudit).where(
        models.PageAudit.run_id == run_id, models.PageAudit.source_id == source.id)).all()
    fetches = {row.url: row for row in session.execute(
        select(models.Fetch.url, models.Fetch.status, models.Fetch.error, models.Fetch.elapsed_ms, models.Fetch.bytes)
        .where(models.Fetch.run_id == run_id, models.Fetch.source_id == source.id))}
    home = next((a for a in audits if source.url in (a.url, a.requested_url)), None)
    home_fetch = fetches.get(home.url) if home is not None else fetches.get(source.url)
    read = [fetches[a.url] for a in audits if a.url in fetches]
    robots = _robots(report)
    languages = sorted({a.lang.lower() for a in audits if a.lang}
                       | {lang.lower() for a in audits for lang in (a.hreflang or {}).get("langs", [])})
    return {
        "run_id": run_id, "source_id": source.id, "competitor_id": source.competitor_id,
        "home_url": home.url if home is not None else source.url,
        "home_status": home_fetch.status if home_fetch is not None else None,
        "home_elapsed_ms": home_fetch.elapsed_ms if home_fetch is not None else None,
        "home_bytes": home_fetch.bytes if home_fetch is not None else None,
        "https": home.https if home is not None else None,
        "home_redirects": home.redirects if home is not None else None,
        "viewport": home.viewport if home is not None else None,
        "pages": len(audits),
        "median_elapsed_ms": _median([f.elapsed_ms for f in read]),
        "median_bytes": _median([f.bytes for f in read]),
        "broken_links": len({url for url, f in fetches.items() if f.status is not None and f.status >= 400}),
        "robots_status": robots.get("status"),
        "robots_hash": robots.get("robots_hash"),
        "robots_rules": {"rules": robots.get("rules", []), "error": robots.get("error")},
        "sitemap_urls": _sitemap_urls(report),
        "languages": {"langs": languages},
        "seo_issues": seo_issues(audits),
    }


def seo_issues(audits: list[Any]) -> dict[str, int]:
    """How many pages miss each SEO basic (only the issues some page has)."""
    checks = {
        "no_title": lambda a: a.title_length == 0,
        "title_too_long": lambda a: a.title_length > TITLE_MAX,
        "no_description": lambda a: a.description_length == 0,
        "description_too_long": lambda a: a.description_length > DESCRIPTION_MAX,
        "no_h1": lambda a: a.h1_count == 0,
        "several_h1": lambda a: a.h1_count > 1,
        "no_canonical": lambda a: not a.canonical,
        "no_viewport": lambda a: not a.viewport,
        "no_open_graph": lambda a: not (a.open_graph or {}).get("properties"),
    }
    counts = {name: sum(1 for a in audits if check(a)) for name, check in checks.items()}
    return {name: count for name, count in counts.items() if count}


def _robots(report: dict[str, Any]) -> dict[str, Any]:
    """The robots.txt entry of the crawl report's discovery list (the last one: a retry's answer wins)."""
    entries = [entry for entry in report.get("discovery") or [] if entry.get("robots")]
    return entries[-1] if entries else {}


def _sitemap_urls(report: dict[str, Any]) -> int | None:
    """Page URLs of the sitemaps read (None when no sitemap was read)."""
    counts = [entry["pages"] for entry in report.get("discovery") or [] if "pages" in entry and not entry.get("error")]
    return sum(counts) if counts else None


def _median(values: list[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return int(median(known)) if known else None
