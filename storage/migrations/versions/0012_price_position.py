"""price position

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Where our own shop's prices stand among the competitors' for the same products (issue 24, item 4): `price_position`
has one row per product of our shop (`competitor.own`) matched with competitors' products (`product_match`), in the
same currency; `category_price_index` averages, per competitor and category, its prices as a share of ours.
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# every product of a match group with its price now (latest_prices lists products listed now)
MEMBERS = """
WITH member AS (
    SELECT g.group_id, lp.product_id, lp.product, lp.category, lp.price, lp.currency, c.slug AS competitor,
           c.own
    FROM (SELECT group_id, product_id FROM product_match
          UNION SELECT group_id, matched_product_id FROM product_match) g
    JOIN latest_prices lp ON lp.product_id = g.product_id
    JOIN product p ON p.id = lp.product_id
    JOIN competitor c ON c.id = p.competitor_id
    WHERE lp.price IS NOT NULL
),
ours AS (SELECT * FROM member WHERE own),
theirs AS (
    SELECT t.group_id, t.product_id, t.competitor, t.price,
           ROW_NUMBER() OVER (PARTITION BY t.group_id ORDER BY t.price) AS place,
           COUNT(*) OVER (PARTITION BY t.group_id) AS offers
    FROM member t JOIN ours o ON o.group_id = t.group_id AND o.currency = t.currency
    WHERE NOT t.own
)"""

PRICE_POSITION = f"""
CREATE VIEW price_position AS
{MEMBERS}
SELECT o.group_id, o.product_id, o.product, o.category, o.price AS our_price, o.currency,
       MIN(t.price) AS min_price,
       (SELECT AVG(m.price) FROM theirs m WHERE m.group_id = o.group_id
          AND m.place IN ((m.offers + 1) / 2, (m.offers + 2) / 2)) AS median_price,
       MAX(t.price) AS max_price,
       COUNT(t.product_id) AS competitors,
       1 + SUM(CASE WHEN t.price < o.price THEN 1 ELSE 0 END) AS our_rank,
       ROUND(100.0 * (o.price - MIN(t.price)) / MIN(t.price), 2) AS gap_pct
FROM ours o JOIN theirs t ON t.group_id = o.group_id
GROUP BY o.group_id, o.product_id, o.product, o.category, o.price, o.currency
"""

CATEGORY_PRICE_INDEX = f"""
CREATE VIEW category_price_index AS
{MEMBERS}
SELECT t.competitor, COALESCE(o.category, 'Uncategorised') AS category, COUNT(*) AS products,
       ROUND(AVG(100.0 * t.price / o.price), 1) AS price_index
FROM theirs t JOIN ours o ON o.group_id = t.group_id
WHERE o.price > 0
GROUP BY t.competitor, COALESCE(o.category, 'Uncategorised')
"""


def upgrade() -> None:
    op.execute(PRICE_POSITION)
    op.execute(CATEGORY_PRICE_INDEX)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS category_price_index")
    op.execute("DROP VIEW IF EXISTS price_position")
