"""analyst views: latest_prices, price_history, category_prices, review_stats, recent_changes, competitor_summary

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

The SQL is frozen here, as migrations are: a later change of a view is a new migration. Only runs that
succeeded or were partial count; a failed or running run's observations never show in a view.
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

GOOD = "('succeeded', 'partial')"

LATEST_PRICES = f"""
CREATE VIEW latest_prices AS
SELECT c.slug AS competitor, c.name AS competitor_name, p.id AS product_id, p.key AS product_key, p.sku,
       p.name AS product, p.brand, p.category, p.url, po.price, po.currency, po.old_price, po.availability,
       po.run_id, r.started AS observed_at
FROM price_observation po
JOIN product p ON p.id = po.product_id
JOIN competitor c ON c.id = p.competitor_id
JOIN crawl_run r ON r.id = po.run_id
WHERE po.id = (
    SELECT po2.id FROM price_observation po2 JOIN crawl_run r2 ON r2.id = po2.run_id
    WHERE po2.product_id = po.product_id AND r2.status IN {GOOD}
    ORDER BY po2.run_id DESC, po2.id ASC LIMIT 1)
"""

PRICE_HISTORY = f"""
CREATE VIEW price_history AS
SELECT c.slug AS competitor, p.id AS product_id, p.key AS product_key, p.sku, p.name AS product, p.category,
       po.run_id, r.started AS observed_at, po.price, po.currency, po.old_price, po.availability
FROM price_observation po
JOIN product p ON p.id = po.product_id
JOIN competitor c ON c.id = p.competitor_id
JOIN crawl_run r ON r.id = po.run_id
WHERE r.status IN {GOOD}
  AND po.id = (SELECT MIN(po2.id) FROM price_observation po2
               WHERE po2.product_id = po.product_id AND po2.run_id = po.run_id)
"""

# A median that both SQLite (3.25+ window functions) and PostgreSQL compute the same way.
CATEGORY_PRICES = """
CREATE VIEW category_prices AS
WITH ranked AS (
    SELECT competitor, COALESCE(category, '') AS category, currency, price,
           ROW_NUMBER() OVER (PARTITION BY competitor, COALESCE(category, ''), currency ORDER BY price) AS n,
           COUNT(*) OVER (PARTITION BY competitor, COALESCE(category, ''), currency) AS total
    FROM latest_prices WHERE price IS NOT NULL
)
SELECT competitor, category, currency, MAX(total) AS products, MIN(price) AS min_price,
       AVG(CASE WHEN n IN ((total + 1) / 2, (total + 2) / 2) THEN price END) AS median_price,
       MAX(price) AS max_price
FROM ranked GROUP BY competitor, category, currency
"""

REVIEW_STATS = f"""
CREATE VIEW review_stats AS
SELECT c.slug AS competitor, rs.platform, rs.average AS platform_average, rs.count AS platform_count,
       (SELECT COUNT(*) FROM review rv WHERE rv.competitor_id = c.id AND rv.platform = rs.platform) AS reviews_stored,
       (SELECT AVG(rv.rating) FROM review rv WHERE rv.competitor_id = c.id AND rv.platform = rs.platform)
           AS stored_average,
       (SELECT COUNT(*) FROM review rv WHERE rv.competitor_id = c.id AND rv.platform = rs.platform
           AND rv.rating <= 2) AS negative_reviews,
       rs.run_id, r.started AS observed_at
FROM rating_snapshot rs
JOIN competitor c ON c.id = rs.competitor_id
JOIN crawl_run r ON r.id = rs.run_id
WHERE rs.id = (
    SELECT rs2.id FROM rating_snapshot rs2 JOIN crawl_run r2 ON r2.id = rs2.run_id
    WHERE rs2.competitor_id = rs.competitor_id AND rs2.platform = rs.platform AND r2.status IN {GOOD}
    ORDER BY rs2.run_id DESC, rs2.id ASC LIMIT 1)
"""

RECENT_CHANGES = """
CREATE VIEW recent_changes AS
SELECT ch.id, ch.run_id, r.started AS run_started, c.slug AS competitor, c.name AS competitor_name, ch.kind,
       ch.severity, ch.title, ch.before, ch.after, ch.magnitude, ch.url, ch.entity, ch.created_at
FROM change ch
JOIN competitor c ON c.id = ch.competitor_id
JOIN crawl_run r ON r.id = ch.run_id
"""

SINCE = {
    "sqlite": {7: "datetime('now', '-7 days')", 30: "datetime('now', '-30 days')"},
    "postgresql": {7: "now() - interval '7 days'", 30: "now() - interval '30 days'"},
}
LIST_OF = {"sqlite": "GROUP_CONCAT(DISTINCT {})", "postgresql": "STRING_AGG(DISTINCT {}, ', ')"}


def competitor_summary(dialect: str) -> str:
    since = SINCE[dialect]
    technologies = LIST_OF[dialect].format("t.technology")
    return f"""
CREATE VIEW competitor_summary AS
SELECT c.slug AS competitor, c.name AS competitor_name,
       (SELECT COUNT(*) FROM latest_prices lp WHERE lp.competitor = c.slug) AS products_tracked,
       (SELECT AVG(CASE WHEN lp.availability = 'in_stock' THEN 1.0 ELSE 0.0 END) FROM latest_prices lp
        WHERE lp.competitor = c.slug AND lp.availability IS NOT NULL) AS share_in_stock,
       (SELECT AVG(rs.platform_average) FROM review_stats rs WHERE rs.competitor = c.slug) AS average_rating,
       (SELECT SUM(rs.platform_count) FROM review_stats rs WHERE rs.competitor = c.slug) AS review_count,
       (SELECT {technologies} FROM technology_observation t
        WHERE t.competitor_id = c.id AND t.run_id = (
            SELECT MAX(t2.run_id) FROM technology_observation t2 JOIN crawl_run r2 ON r2.id = t2.run_id
            WHERE t2.competitor_id = c.id AND r2.status IN {GOOD})) AS technologies,
       (SELECT COUNT(*) FROM ad a WHERE a.competitor_id = c.id AND a.active) AS active_ads,
       (SELECT COUNT(*) FROM job_posting j WHERE j.competitor_id = c.id AND j.run_id = (
            SELECT MAX(j2.run_id) FROM job_posting j2 JOIN crawl_run r3 ON r3.id = j2.run_id
            WHERE j2.competitor_id = c.id AND r3.status IN {GOOD})) AS job_postings,
       (SELECT COUNT(*) FROM change ch WHERE ch.competitor_id = c.id AND ch.created_at >= {since[7]}) AS changes_7d,
       (SELECT COUNT(*) FROM change ch WHERE ch.competitor_id = c.id AND ch.created_at >= {since[30]}) AS changes_30d
FROM competitor c
"""


VIEWS = ["latest_prices", "price_history", "category_prices", "review_stats", "recent_changes", "competitor_summary"]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for sql in (LATEST_PRICES, PRICE_HISTORY, CATEGORY_PRICES, REVIEW_STATS, RECENT_CHANGES,
                competitor_summary(dialect)):
        op.execute(sql)


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
