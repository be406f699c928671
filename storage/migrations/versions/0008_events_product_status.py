"""events, change evidence, product status

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Each run's changes are grouped into events (`event`, `change.event_id`); a change may carry the evidence of the
rule that decided it (`change.evidence`). `product_status` says of every product whether it is listed or gone
(a `product_removed` recorded after its last sighting), and `latest_prices` lists only products listed now, so
the summary's counts and `category_prices` are of listed products (issue 22, items 1, 2 and 6). The views that
read `latest_prices` or `change` are dropped and created again around the changes, their SQL frozen here as in
0003 and 0005: only runs that succeeded or were partial count.
"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

GOOD = "('succeeded', 'partial')"

# A product is gone when the diff recorded it removed (storage/diff.py: missing from complete crawls of its
# source, its page not failed) after its last sighting in a good run; it is listed again once it is seen again.
PRODUCT_STATUS = f"""
CREATE VIEW product_status AS
WITH seen AS (
    SELECT po.product_id, MIN(po.run_id) AS first_run, MAX(po.run_id) AS last_run
    FROM price_observation po JOIN crawl_run r ON r.id = po.run_id
    WHERE r.status IN {GOOD}
    GROUP BY po.product_id
), removed AS (
    SELECT ch.competitor_id, ch.entity, MAX(ch.run_id) AS run_id
    FROM change ch JOIN crawl_run r ON r.id = ch.run_id
    WHERE ch.kind = 'product_removed' AND r.status IN {GOOD}
    GROUP BY ch.competitor_id, ch.entity
)
SELECT c.slug AS competitor, c.name AS competitor_name, p.id AS product_id, p.key AS product_key, p.sku,
       p.name AS product, p.brand, p.category, p.url,
       CASE WHEN rm.run_id > s.last_run THEN 'gone' ELSE 'listed' END AS status,
       fr.started AS first_seen, lr.started AS last_seen, s.first_run AS first_seen_run_id,
       s.last_run AS last_seen_run_id,
       CASE WHEN rm.run_id > s.last_run THEN gr.started END AS gone_since,
       CASE WHEN rm.run_id > s.last_run THEN rm.run_id END AS gone_since_run_id
FROM seen s
JOIN product p ON p.id = s.product_id
JOIN competitor c ON c.id = p.competitor_id
JOIN crawl_run fr ON fr.id = s.first_run
JOIN crawl_run lr ON lr.id = s.last_run
LEFT JOIN removed rm ON rm.competitor_id = p.competitor_id AND rm.entity = 'product:' || p.key
LEFT JOIN crawl_run gr ON gr.id = rm.run_id
"""

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
  AND NOT EXISTS (SELECT 1 FROM product_status ps WHERE ps.product_id = p.id AND ps.status = 'gone')
"""

RECENT_CHANGES = """
CREATE VIEW recent_changes AS
SELECT ch.id, ch.run_id, r.started AS run_started, c.slug AS competitor, c.name AS competitor_name, ch.kind,
       ch.severity, ch.title, ch.before, ch.after, ch.magnitude, ch.url, ch.entity, ch.created_at,
       ch.event_id, e.kind AS event_kind, e.title AS event_title
FROM change ch
JOIN competitor c ON c.id = ch.competitor_id
JOIN crawl_run r ON r.id = ch.run_id
LEFT JOIN event e ON e.id = ch.event_id
"""

RECENT_EVENTS = """
CREATE VIEW recent_events AS
SELECT e.id, e.run_id, r.started AS run_started, c.slug AS competitor, c.name AS competitor_name, e.kind,
       e.title, e.importance, e.severity,
       (SELECT COUNT(*) FROM change ch WHERE ch.event_id = e.id) AS changes, e.created_at
FROM event e
JOIN competitor c ON c.id = e.competitor_id
JOIN crawl_run r ON r.id = e.run_id
"""

REBUILT = ["competitor_summary", "category_prices", "latest_prices", "recent_changes"]


def _revision(name: str):
    """An earlier revision's module (file names start with a digit: no plain import), for its frozen view SQL."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(path.stem.replace("0", "v", 1), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in REBUILT:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.create_table('event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('importance', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_event_competitor_id_competitor'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_event_run_id_crawl_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    sa.UniqueConstraint('run_id', 'competitor_id', 'key', name=op.f('uq_event_run_id_competitor_id_key'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_run_id'), ['run_id'], unique=False)
    # a batch copy on SQLite (a foreign key cannot be added in place): the views reading `change` are dropped above
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_change_event_id'), ['event_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_change_event_id_event'), 'event', ['event_id'], ['id'],
                                    ondelete='SET NULL')
    for sql in (PRODUCT_STATUS, LATEST_PRICES, _revision("0003_analyst_views.py").CATEGORY_PRICES, RECENT_CHANGES,
                RECENT_EVENTS, _revision("0005_checklist_tables.py").competitor_summary(dialect)):
        op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in ("recent_events", *REBUILT, "product_status"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_change_event_id_event'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_change_event_id'))
        batch_op.drop_column('evidence')
        batch_op.drop_column('event_id')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_run_id'))
        batch_op.drop_index(batch_op.f('ix_event_competitor_id'))
    op.drop_table('event')
    views_0003 = _revision("0003_analyst_views.py")
    for sql in (views_0003.LATEST_PRICES, views_0003.CATEGORY_PRICES, views_0003.RECENT_CHANGES,
                _revision("0005_checklist_tables.py").competitor_summary(dialect)):
        op.execute(sql)
