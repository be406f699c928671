"""The Social section of a competitor's dossier: its channels with their audience and rhythm, posts and audience per
month (the social_monthly view), and the most viewed posts. Only what good runs read counts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text

from storage.diff_social import CADENCE_WEEKS, channel_label
from storage.price_gaps import GOOD

TOP_POSTS_SHOWN = 10
MONTHS_SHOWN = 12
POST_TEXT_SHOWN = 200


def social_section(connection, slug: str, now: datetime | None = None) -> dict[str, Any]:
    """{"channels": [...], "monthly": {label: [{"month", "posts", "subscribers"}]}, "top_posts": [...]}; empty
    lists when the competitor has no social source."""
    now = now or datetime.now(timezone.utc)
    channels = [dict(row) for row in connection.execute(text(f"""
        SELECT sc.id, sc.network, sc.channel, sc.title, sc.url,
               (SELECT cs.subscribers FROM channel_snapshot cs JOIN crawl_run r ON r.id = cs.run_id
                WHERE cs.social_channel_id = sc.id AND r.status IN {GOOD} AND cs.subscribers IS NOT NULL
                ORDER BY cs.run_id DESC LIMIT 1) AS subscribers
        FROM social_channel sc JOIN competitor c ON c.id = sc.competitor_id
        WHERE c.slug = :slug ORDER BY sc.network, sc.channel"""), {"slug": slug}).mappings()]
    read = f"""EXISTS (SELECT 1 FROM social_post_observation so JOIN crawl_run r ON r.id = so.run_id
                      WHERE so.social_post_id = sp.id AND r.status IN {GOOD})"""
    since = now - timedelta(weeks=CADENCE_WEEKS)
    for channel in channels:
        channel["label"] = channel_label(channel["network"], channel["channel"], channel["title"])
        published = connection.execute(text(f"""
            SELECT sp.published FROM social_post sp WHERE sp.social_channel_id = :id AND {read}"""),
                                       {"id": channel["id"]}).scalars().all()
        recent = [p for p in published if p is not None and _aware(p) >= since]
        channel["posts_per_week"] = round(len(recent) / CADENCE_WEEKS, 2)
        channel["posts_read"] = len(published)
    labels = {(c["network"], c["channel"]): c["label"] for c in channels}
    monthly: dict[str, list[dict[str, Any]]] = {}
    for row in connection.execute(text("""
            SELECT network, channel, month, posts, subscribers FROM social_monthly WHERE competitor = :slug
            ORDER BY network, channel, month DESC"""), {"slug": slug}).mappings():
        rows = monthly.setdefault(labels.get((row["network"], row["channel"]), row["channel"]), [])
        if len(rows) < MONTHS_SHOWN:
            rows.append({"month": row["month"], "posts": row["posts"], "subscribers": row["subscribers"]})
    top = [dict(row) for row in connection.execute(text(f"""
        SELECT sc.network, sc.channel, sc.title AS channel_title, sp.url, sp.published, sp.text, sp.views, sp.likes,
               sp.reposts
        FROM social_post sp JOIN social_channel sc ON sc.id = sp.social_channel_id
        JOIN competitor c ON c.id = sc.competitor_id
        WHERE c.slug = :slug AND sp.views IS NOT NULL AND {read}
        ORDER BY sp.views DESC, sp.published DESC LIMIT {TOP_POSTS_SHOWN}"""), {"slug": slug}).mappings()]
    for post in top:
        post["label"] = channel_label(post["network"], post["channel"], post["channel_title"])
        post["text"] = (post["text"] or "")[:POST_TEXT_SHOWN]
    return {"channels": channels, "monthly": monthly, "top_posts": top}


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands back text where a view or raw SQL reads the column
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
