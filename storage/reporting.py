"""What the dossier report shows, read from the views and tables as plain data (no HTML here)."""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, bindparam, text

from storage.event_rules import FAMILIES, event_family
from storage.price_gaps import GOOD, PAIRS_WITH_OURS
from storage.reporting_social import social_section

# The contact section's groups, in this order, with their headings.
CHANNEL_KINDS = {"phone": "Phone", "email": "E-mail", "messenger": "Messenger", "widget": "Chat widget", "form": "Form"}
PROMO_KINDS = frozenset({"countdown", "offer"})  # a promo's label when the page gave no deadline
BROKEN_URLS_SHOWN = 20
TREND_RUNS = 12  # runs in the site audit's trend table
MONTHS_SHOWN = 24
CONTENT_SHOWN = 50
NEWSLETTERS_SHOWN = 20
MENTIONS_SHOWN = 50
TENDERS_SHOWN = 50
NEWSLETTER_PREVIEW_CHARS = 300
EVENT_DAYS = 7  # "this week": runs started within this many days before the newest good run
WEEK_EVENTS_SHOWN = 20  # the overview's list across competitors
UNCATEGORISED = "Uncategorised"  # the price chart of products without a category, beside named ones
ALL_PRODUCTS = "All products"  # ... when no product has a category


@dataclass(slots=True)
class CompetitorDossier:
    slug: str
    name: str
    summary: dict[str, Any]
    products: list[dict[str, Any]]  # listed now (latest_prices)
    price_charts: list[dict[str, Any]]  # per category: {"category", "labels", "series": [{"label", "data", "prices"}]}
    category_index: dict[str, Any]  # {"labels": [...], "series": [{"label": category, "data": [index|None]}]}
    rating_trend: dict[str, Any]
    technologies: list[dict[str, Any]]
    ads: list[dict[str, Any]]
    positioning: list[dict[str, Any]]
    text_changes: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    changes: list[dict[str, Any]] = field(default_factory=list)
    site_audits: list[dict[str, Any]] = field(default_factory=list)  # latest run's rows, one per site source
    site_trend: list[dict[str, Any]] = field(default_factory=list)  # per good run: response ms, sitemap URLs, ...
    contacts: list[dict[str, Any]] = field(default_factory=list)  # [{"kind", "title", "channels"}], CHANNEL_KINDS order
    promos: list[dict[str, Any]] = field(default_factory=list)
    content: list[dict[str, Any]] = field(default_factory=list)
    newsletters: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)  # the newest mentions in the user's feeds
    tenders: list[dict[str, Any]] = field(default_factory=list)  # the newest procurement notices naming it
    tender_quarters: list[dict[str, Any]] = field(default_factory=list)  # tender_quarterly's rows, newest first
    social: dict[str, Any] = field(default_factory=dict)  # storage/reporting_social.social_section
    monthly: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # {"articles": [{"month", "count"}], ...}
    events: list[dict[str, Any]] = field(default_factory=list)  # this week's, most important first, with "changes"
    week_since: datetime | None = None  # the start of "this week" (EVENT_DAYS before the newest good run)
    gone: list[dict[str, Any]] = field(default_factory=list)  # products gone, with their last price
    # its products matched with our own shop's (`own: true`), theirs against ours; empty without an own shop
    price_position: list[dict[str, Any]] = field(default_factory=list)


def _rows(connection, sql: str, *, expanding: Iterable[str] = (), **params: Any) -> list[dict[str, Any]]:
    """Rows as dicts; the parameters named in `expanding` are lists, for `IN :name`."""
    statement = text(sql)
    if expanding:
        statement = statement.bindparams(*(bindparam(name, expanding=True) for name in expanding))
    return [dict(row) for row in connection.execute(statement, params).mappings()]


# a competitor's products matched with ours, each priced now in the same currency (storage/matching.py)
MATCHED_WITH_OURS = f"""
SELECT theirs.name AS product, theirs.url, lt.price, lt.currency, ours.name AS our_product, lo.price AS our_price,
       m.method, m.confidence, ROUND(100.0 * (lt.price - lo.price) / lo.price, 2) AS gap_pct
{PAIRS_WITH_OURS}
JOIN latest_prices lt ON lt.product_id = theirs.id JOIN latest_prices lo ON lo.product_id = ours.id
WHERE c1.own <> c2.own AND c.slug = :slug AND lt.currency = lo.currency AND lo.price > 0
ORDER BY gap_pct, theirs.name
"""


def overview(engine: Engine) -> dict[str, Any]:
    """The summary table across competitors, the event timeline (events per good run and family), this week's
    most important events across competitors, the latest changes, and where our own shop's prices stand
    (`price_position`, `category_price_index`; empty without a competitor with `own: true`)."""
    with engine.connect() as connection:
        summary = _rows(connection, "SELECT * FROM competitor_summary ORDER BY competitor")
        runs = _runs(connection)
        counts = _rows(connection, f"""
            SELECT e.run_id, e.kind, COUNT(*) AS events FROM event e JOIN crawl_run r ON r.id = e.run_id
            WHERE r.status IN {GOOD} GROUP BY e.run_id, e.kind ORDER BY e.run_id, e.kind""")
        week, since = week_runs(runs)
        events = _events(connection, week, limit=WEEK_EVENTS_SHOWN)
        latest = _rows(connection, "SELECT * FROM recent_changes ORDER BY run_id DESC, id LIMIT 50")
        position = _rows(connection, "SELECT * FROM price_position ORDER BY gap_pct DESC, product")
        index = _rows(connection, "SELECT * FROM category_price_index ORDER BY competitor, category")
    return {"summary": summary, "timeline": event_timeline(runs, counts), "week_events": events,
            "week_since": since, "latest_changes": latest, "price_position": position, "category_price_index": index}


def _runs(connection) -> list[dict[str, Any]]:
    return _rows(connection, f"SELECT id, started, period FROM crawl_run WHERE status IN {GOOD} ORDER BY id")


def _as_float(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def _moment(value: Any) -> datetime:
    """A timestamp read through text(): PostgreSQL hands back an aware datetime, SQLite an ISO string in UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def run_label(run_id: int, started: Any, period: str | None = None) -> str:
    """A run as the charts' axes name it: 'run 7 · 2026-12-06 04:39', or an archived run by its period and its
    first capture: 'archive 2024-05 · 2024-05-17 08:00' (`dossier backfill`)."""
    return f"{f'archive {period}' if period else f'run {run_id}'} · {str(started)[:16]}"


def week_runs(runs: list[dict[str, Any]], days: int = EVENT_DAYS) -> tuple[list[int], datetime | None]:
    """The good runs of "this week" and its start: those started within `days` before the newest good run. The
    newest run's time, not the clock's, so an old database still shows its last week."""
    if not runs:
        return [], None
    since = max(_moment(r["started"]) for r in runs) - timedelta(days=days)
    return [r["id"] for r in runs if _moment(r["started"]) >= since], since


def event_timeline(runs: list[dict[str, Any]], counts: list[dict[str, Any]]) -> dict[str, Any]:
    """Events per good run, one series per family that has any, in FAMILIES order (the stacking order)."""
    position = {r["id"]: i for i, r in enumerate(runs)}
    per_family: dict[str, list[int]] = {}
    for row in counts:
        if row["run_id"] in position:
            data = per_family.setdefault(event_family(row["kind"]), [0] * len(runs))
            data[position[row["run_id"]]] += int(row["events"])
    return {"labels": [run_label(r["id"], r["started"], r.get("period")) for r in runs],
            "series": [{"family": family, "data": per_family[family]} for family in FAMILIES if family in per_family]}


def _events(connection, run_ids: list[int], *, slug: str | None = None,
            limit: int | None = None) -> list[dict[str, Any]]:
    """The events of these runs (of one competitor, or all), most important first, each with its changes."""
    if not run_ids:
        return []
    where = "run_id IN :runs" + (" AND competitor = :slug" if slug else "")
    events = _rows(connection, f"""
        SELECT * FROM recent_events WHERE {where} ORDER BY importance DESC, run_id DESC, competitor, id
        {f"LIMIT {int(limit)}" if limit else ""}""", expanding=["runs"], runs=run_ids, slug=slug)
    if not events:
        return []
    changes = _rows(connection, """
        SELECT id, event_id, kind, severity, title, before, after, url FROM recent_changes
        WHERE event_id IN :events ORDER BY id""", expanding=["events"], events=[e["id"] for e in events])
    return with_changes(events, changes)


def with_changes(events: list[dict[str, Any]], changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event with its family and the list of its changes (in the order given)."""
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        members[change["event_id"]].append(change)
    return [{**event, "family": event_family(event["kind"]), "changes": members[event["id"]]} for event in events]


def competitor_dossier(engine: Engine, slug: str) -> CompetitorDossier:
    with engine.connect() as connection:
        (summary,) = _rows(connection, "SELECT * FROM competitor_summary WHERE competitor = :slug", slug=slug)
        runs = _runs(connection)
        labels = [run_label(r["id"], r["started"], r.get("period")) for r in runs]
        position = {r["id"]: i for i, r in enumerate(runs)}
        week, since = week_runs(runs)
        events = _events(connection, week, slug=slug)
        products = _rows(connection, "SELECT * FROM latest_prices WHERE competitor = :slug ORDER BY product", slug=slug)
        gone = _gone(connection, slug)
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
            SELECT j.title, j.department, j.location, j.posted, j.url FROM job_posting j
            JOIN competitor c ON c.id = j.competitor_id
            WHERE c.slug = :slug AND j.run_id = {_latest_run("job_posting")} ORDER BY j.title""", slug=slug)
        changes = _rows(connection, """
            SELECT * FROM recent_changes WHERE competitor = :slug ORDER BY run_id DESC, id LIMIT 50""", slug=slug)
        site_audits = _site_audits(connection, slug)
        site_trend = _site_trend(connection, slug)
        channels = _rows(connection, f"""
            SELECT cc.kind, cc.value, cc.label, cc.url FROM contact_channel cc
            JOIN competitor c ON c.id = cc.competitor_id
            WHERE c.slug = :slug AND cc.run_id = {_latest_run("contact_channel")} ORDER BY cc.kind, cc.value""",
                         slug=slug)
        content = _rows(connection, f"""
            SELECT ci.url, ci.title, ci.published, ci.kind FROM content_item ci
            JOIN competitor c ON c.id = ci.competitor_id
            WHERE c.slug = :slug AND ci.run_id = {_latest_run("content_item")}
            ORDER BY CASE WHEN ci.published IS NULL THEN 1 ELSE 0 END, ci.published DESC, ci.title, ci.url
            LIMIT {CONTENT_SHOWN}""", slug=slug)
        newsletters = _newsletters(connection, slug)
        mentions = _mentions(connection, slug)
        tenders = _tenders(connection, slug)
        tender_quarters = _rows(connection, """
            SELECT quarter, currency, notices, won, value_won FROM tender_quarterly WHERE competitor = :slug
            ORDER BY quarter DESC, currency""", slug=slug)
        social = social_section(connection, slug)
        matched = _rows(connection, MATCHED_WITH_OURS, slug=slug)
        monthly = _rows(connection, """
            SELECT month, articles, newsletters, jobs_posted, mentions FROM monthly_activity WHERE competitor = :slug
            ORDER BY month DESC""", slug=slug)
    contacts, promos = _contacts(channels)
    return CompetitorDossier(
        slug=slug, name=summary["competitor_name"], summary=summary, products=products,
        price_charts=price_charts(history, labels, position, {g["product_id"] for g in gone}),
        category_index=_category_index(history, labels, position),
        rating_trend=_rating_trend(ratings, labels, position), technologies=technologies, ads=ads,
        positioning=positioning, text_changes=text_changes, jobs=jobs, changes=changes,
        site_audits=site_audits, site_trend=site_trend, contacts=contacts, promos=promos, content=content,
        newsletters=newsletters, mentions=mentions, tenders=tenders, tender_quarters=tender_quarters,
        social=social, monthly=_monthly(monthly), events=events, week_since=since, gone=gone,
        price_position=matched)


def _gone(connection, slug: str) -> list[dict[str, Any]]:
    """The competitor's products gone (product_status), each with the price of its last sighting, latest gone
    first. The first observation of that run, as price_history and latest_prices take it."""
    return _rows(connection, """
        SELECT ps.product_id, ps.product_key, ps.sku, ps.product, ps.url, ps.category, ps.last_seen, ps.gone_since,
               po.price, po.currency
        FROM product_status ps
        LEFT JOIN price_observation po ON po.id = (
            SELECT MIN(po2.id) FROM price_observation po2
            WHERE po2.product_id = ps.product_id AND po2.run_id = ps.last_seen_run_id)
        WHERE ps.competitor = :slug AND ps.status = 'gone'
        ORDER BY ps.gone_since_run_id DESC, ps.product, ps.product_key""", slug=slug)


def _latest_run(table: str) -> str:
    """SQL for the competitor's (`c`) last good run that holds rows of `table` (one of our own table names)."""
    return (f"(SELECT MAX(x.run_id) FROM {table} x JOIN crawl_run xr ON xr.id = x.run_id "
            f"WHERE x.competitor_id = c.id AND xr.status IN {GOOD})")


def _json(value: Any) -> dict[str, Any]:
    """A JSON column read through text(): SQLite hands back the string, PostgreSQL the parsed value."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _site_audits(connection, slug: str) -> list[dict[str, Any]]:
    """The latest good run's site audit per site source, with the URLs that answered 4xx/5xx in that run ("fetch"
    quoted: a reserved word in PostgreSQL)."""
    audits = _rows(connection, f"""
        SELECT sa.*, s.url AS source_url, r.started AS run_started FROM site_audit sa
        JOIN competitor c ON c.id = sa.competitor_id JOIN source s ON s.id = sa.source_id
        JOIN crawl_run r ON r.id = sa.run_id
        WHERE c.slug = :slug AND sa.run_id = {_latest_run("site_audit")} ORDER BY s.url""", slug=slug)
    for audit in audits:
        for column in ("https", "viewport"):
            audit[column] = _flag(audit[column])
        robots = _json(audit["robots_rules"])
        audit["robots_rules"] = [str(rule) for rule in robots.get("rules") or []]
        audit["robots_error"] = robots.get("error")
        audit["languages"] = [str(lang) for lang in _json(audit["languages"]).get("langs") or []]
        audit["seo_issues"] = sorted((str(name).replace("_", " "), count)
                                     for name, count in _json(audit["seo_issues"]).items())
        audit["broken_urls"] = _rows(connection, f"""
            SELECT f.url, f.status, f.error FROM "fetch" f
            WHERE f.run_id = :run_id AND f.source_id = :source_id AND f.status >= 400
            ORDER BY f.url LIMIT {BROKEN_URLS_SHOWN}""", run_id=audit["run_id"], source_id=audit["source_id"])
    return audits


def _site_trend(connection, slug: str) -> list[dict[str, Any]]:
    """Home response, weight, sitemap size and broken links of the last good runs, oldest first (summed over site
    sources as the summary view does)."""
    rows = _rows(connection, f"""
        SELECT sa.run_id, MIN(r.started) AS run_started, MIN(sa.home_elapsed_ms) AS home_response_ms,
               MIN(sa.home_bytes) AS home_bytes, SUM(sa.sitemap_urls) AS sitemap_urls,
               SUM(sa.broken_links) AS broken_links
        FROM site_audit sa JOIN competitor c ON c.id = sa.competitor_id JOIN crawl_run r ON r.id = sa.run_id
        WHERE c.slug = :slug AND r.status IN {GOOD}
        GROUP BY sa.run_id ORDER BY sa.run_id DESC LIMIT {TREND_RUNS}""", slug=slug)
    return rows[::-1]


def _contacts(channels: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Channels grouped by kind in CHANNEL_KINDS order (unknown kinds last), and the promos apart."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    promos = []
    for row in channels:
        if row["kind"] == "promo":
            deadline = None if row["label"] in PROMO_KINDS else row["label"]
            promos.append({"text": row["value"], "deadline": deadline, "url": row["url"]})
            continue
        # "telegram:@kranrad" and "callback form:3 fields" read better without their identity prefix
        shown = row["value"]
        if row["kind"] in ("messenger", "form"):
            shown = shown.partition(":")[2] or shown
        groups[row["kind"]].append({**row, "shown": shown})
    order = {kind: i for i, kind in enumerate(CHANNEL_KINDS)}
    contacts = [{"kind": kind, "title": CHANNEL_KINDS.get(kind, kind), "channels": groups[kind]}
                for kind in sorted(groups, key=lambda k: (order.get(k, len(order)), k))]
    return contacts, promos


def _newsletters(connection, slug: str) -> list[dict[str, Any]]:
    """The newest newsletters. Not filtered by run status: a newsletter is stored once, in the run that first read
    it, and that run failing does not make the mail untrue (monthly_activity and the summary view count it too)."""
    letters = _rows(connection, f"""
        SELECT n.sent_at, n.subject, n.sender, n.sender_name, n.links, n.main_text FROM newsletter n
        JOIN competitor c ON c.id = n.competitor_id WHERE c.slug = :slug
        ORDER BY CASE WHEN n.sent_at IS NULL THEN 1 ELSE 0 END, n.sent_at DESC, n.id DESC
        LIMIT {NEWSLETTERS_SHOWN}""", slug=slug)
    for letter in letters:
        letter["links"] = len(_json(letter["links"]).get("links") or [])
        text = letter["main_text"] or ""
        letter["preview"] = text if len(text) <= NEWSLETTER_PREVIEW_CHARS else text[:NEWSLETTER_PREVIEW_CHARS] + "…"
        letter["more"] = len(text) > NEWSLETTER_PREVIEW_CHARS
        del letter["main_text"]
    return letters


def _mentions(connection, slug: str) -> list[dict[str, Any]]:
    """The newest mentions that a good run read (as monthly_activity and the summary view count them)."""
    rows = _rows(connection, f"""
        SELECT m.key, m.url, m.title, m.published, m.snippet, m.feed_url, s.config AS source_config FROM mention m
        JOIN competitor c ON c.id = m.competitor_id JOIN source s ON s.id = m.source_id
        WHERE c.slug = :slug AND EXISTS (SELECT 1 FROM mention_observation mo JOIN crawl_run r ON r.id = mo.run_id
                                         WHERE mo.mention_id = m.id AND r.status IN {GOOD})
        ORDER BY CASE WHEN m.published IS NULL THEN 1 ELSE 0 END, m.published DESC, m.id DESC
        LIMIT {MENTIONS_SHOWN}""", slug=slug)
    for row in rows:
        row["source_name"] = _json(row.pop("source_config")).get("name")
    return rows


def _tenders(connection, slug: str) -> list[dict[str, Any]]:
    """The newest procurement notices naming the competitor that a good run read (as tender_quarterly counts them),
    with the source that read them first."""
    rows = _rows(connection, f"""
        SELECT t.notice_id, t.format, t.title, t.buyer, t.value, t.currency, t.published, t.awarded, t.role, t.url,
               s.config AS source_config, s.url AS source_url FROM tender t
        JOIN competitor c ON c.id = t.competitor_id JOIN source s ON s.id = t.source_id
        WHERE c.slug = :slug AND EXISTS (SELECT 1 FROM tender_observation tob JOIN crawl_run r ON r.id = tob.run_id
                                         WHERE tob.tender_id = t.id AND r.status IN {GOOD})
        ORDER BY CASE WHEN COALESCE(t.published, t.awarded) IS NULL THEN 1 ELSE 0 END,
                 COALESCE(t.published, t.awarded) DESC, t.id DESC
        LIMIT {TENDERS_SHOWN}""", slug=slug)
    for row in rows:
        row["source_name"] = _json(row.pop("source_config")).get("name")
    return rows


def _monthly(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """monthly_activity split per count (articles, newsletters, jobs_posted, mentions): its months with any, newest
    first."""
    return {what: [{"month": row["month"], "count": row[what]} for row in rows if row[what]][:MONTHS_SHOWN]
            for what in ("articles", "newsletters", "jobs_posted", "mentions")}


def price_charts(history: list[dict[str, Any]], labels: list[str], position: dict[int, int],
                 gone: set[int] = frozenset()) -> list[dict[str, Any]]:
    """Small multiples: per category, each product's price per run relative to its first seen price (= 100), so
    a move of a few percent shows whatever the price level. `prices` holds the price itself for the tooltip. A
    price in another currency than the first has no index (blank). Products without a category come last, under
    UNCATEGORISED, or ALL_PRODUCTS when none has one; `gone` (product ids) are labelled so."""
    products: dict[int, dict[str, Any]] = {}
    for row in history:  # ordered by run: the first price seen is the base
        if row["run_id"] not in position:
            continue
        item = products.setdefault(row["product_id"], {
            "category": row["category"] or None, "base": None, "currency": None,
            "label": (row["product"] or row["product_key"]) + (" (gone)" if row["product_id"] in gone else ""),
            "data": [None] * len(labels), "prices": [None] * len(labels)})
        price = _as_float(row["price"])
        if not price:
            continue
        if item["base"] is None:
            item["base"], item["currency"] = price, row["currency"]
        elif row["currency"] != item["currency"]:
            continue
        at = position[row["run_id"]]
        item["data"][at] = round(price / item["base"] * 100, 2)
        item["prices"][at] = f"{price:,.2f} {row['currency'] or ''}".strip()
    by_category: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for item in products.values():
        if item["base"] is not None:
            by_category[item["category"]].append(item)
    named = sorted((c for c in by_category if c is not None), key=str.casefold)
    order = named + ([None] if None in by_category else [])
    return [{"category": category if category is not None else (UNCATEGORISED if named else ALL_PRODUCTS),
             "labels": labels,
             "series": [{"label": i["label"], "data": i["data"], "prices": i["prices"]}
                        for i in sorted(by_category[category], key=lambda i: i["label"].casefold())]}
            for category in order]


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
