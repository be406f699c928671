"""site audit, contact channels, content, newsletters, job department

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

The summary view gains the checklist's columns (site audit, contact channels, content, newsletters, hiring) and
`monthly_activity` counts what a competitor published, mailed and advertised as jobs per month. The views'
SQL is frozen here, as in 0003: only runs that succeeded or were partial count.
"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa

GOOD = "('succeeded', 'partial')"
SINCE_30_DAYS = {"sqlite": "datetime('now', '-30 days')", "postgresql": "now() - interval '30 days'"}
SINCE_30_DAYS_DATE = {"sqlite": "date('now', '-30 days')", "postgresql": "CURRENT_DATE - 30"}
LIST_OF = {"sqlite": "GROUP_CONCAT(DISTINCT {})", "postgresql": "STRING_AGG(DISTINCT {}, ', ')"}
MONTH_OF = {"sqlite": "strftime('%Y-%m', {})", "postgresql": "to_char({}, 'YYYY-MM')"}


def latest(table: str, alias: str) -> str:
    """The competitor's last good run that holds rows of `table`."""
    return (f"(SELECT MAX({alias}2.run_id) FROM {table} {alias}2 JOIN crawl_run {alias}r ON {alias}r.id = {alias}2.run_id "
            f"WHERE {alias}2.competitor_id = c.id AND {alias}r.status IN {GOOD})")


def competitor_summary(dialect: str) -> str:
    since, since_date = SINCE_30_DAYS[dialect], SINCE_30_DAYS_DATE[dialect]
    technologies = LIST_OF[dialect].format("t.technology")
    channels = LIST_OF[dialect].format("cc.label")
    return f"""
CREATE VIEW competitor_summary AS
SELECT c.slug AS competitor, c.name AS competitor_name,
       (SELECT COUNT(*) FROM latest_prices lp WHERE lp.competitor = c.slug) AS products_tracked,
       (SELECT AVG(CASE WHEN lp.availability = 'in_stock' THEN 1.0 ELSE 0.0 END) FROM latest_prices lp
        WHERE lp.competitor = c.slug AND lp.availability IS NOT NULL) AS share_in_stock,
       (SELECT AVG(rs.platform_average) FROM review_stats rs WHERE rs.competitor = c.slug) AS average_rating,
       (SELECT SUM(rs.platform_count) FROM review_stats rs WHERE rs.competitor = c.slug) AS review_count,
       (SELECT {technologies} FROM technology_observation t
        WHERE t.competitor_id = c.id AND t.run_id = {latest("technology_observation", "t")}) AS technologies,
       (SELECT COUNT(*) FROM ad a WHERE a.competitor_id = c.id AND a.active) AS active_ads,
       (SELECT COUNT(*) FROM job_posting j WHERE j.competitor_id = c.id AND j.run_id = {latest("job_posting", "j")})
        AS job_postings,
       (SELECT COUNT(DISTINCT j.key) FROM job_posting j JOIN crawl_run jr ON jr.id = j.run_id
        WHERE j.competitor_id = c.id AND jr.status IN {GOOD} AND j.posted >= {since_date}) AS jobs_posted_30d,
       (SELECT MIN(sa.home_elapsed_ms) FROM site_audit sa WHERE sa.competitor_id = c.id
        AND sa.run_id = {latest("site_audit", "s")}) AS home_response_ms,
       (SELECT MIN(sa.home_bytes) FROM site_audit sa WHERE sa.competitor_id = c.id
        AND sa.run_id = {latest("site_audit", "s")}) AS home_bytes,
       (SELECT MIN(CASE WHEN sa.https THEN 1 ELSE 0 END) FROM site_audit sa WHERE sa.competitor_id = c.id
        AND sa.run_id = {latest("site_audit", "s")}) AS https,
       (SELECT MIN(CASE WHEN sa.viewport THEN 1 ELSE 0 END) FROM site_audit sa WHERE sa.competitor_id = c.id
        AND sa.run_id = {latest("site_audit", "s")}) AS mobile_viewport,
       (SELECT SUM(sa.sitemap_urls) FROM site_audit sa WHERE sa.competitor_id = c.id
        AND sa.run_id = {latest("site_audit", "s")}) AS sitemap_urls,
       (SELECT SUM(sa.broken_links) FROM site_audit sa WHERE sa.competitor_id = c.id
        AND sa.run_id = {latest("site_audit", "s")}) AS broken_links,
       (SELECT {channels} FROM contact_channel cc WHERE cc.competitor_id = c.id AND cc.kind <> 'promo'
        AND cc.run_id = {latest("contact_channel", "k")}) AS contact_channels,
       (SELECT COUNT(*) FROM contact_channel cc WHERE cc.competitor_id = c.id AND cc.kind = 'promo'
        AND cc.run_id = {latest("contact_channel", "k")}) AS active_promos,
       (SELECT COUNT(*) FROM content_item ci WHERE ci.competitor_id = c.id AND ci.published >= {since_date}
        AND ci.run_id = {latest("content_item", "i")}) AS content_30d,
       (SELECT COUNT(*) FROM newsletter n WHERE n.competitor_id = c.id AND n.sent_at >= {since}) AS newsletters_30d,
       (SELECT COUNT(*) FROM change ch WHERE ch.competitor_id = c.id AND ch.created_at >= {since.replace("30", "7")})
        AS changes_7d,
       (SELECT COUNT(*) FROM change ch WHERE ch.competitor_id = c.id AND ch.created_at >= {since}) AS changes_30d
FROM competitor c
"""


def monthly_activity(dialect: str) -> str:
    """Per competitor and month: articles published, newsletters sent, job postings posted (each counted once
    across runs, by its own date)."""
    month = MONTH_OF[dialect]
    return f"""
CREATE VIEW monthly_activity AS
SELECT c.slug AS competitor, m.month,
       SUM(CASE WHEN m.what = 'content' THEN 1 ELSE 0 END) AS articles,
       SUM(CASE WHEN m.what = 'newsletter' THEN 1 ELSE 0 END) AS newsletters,
       SUM(CASE WHEN m.what = 'job' THEN 1 ELSE 0 END) AS jobs_posted
FROM (
    SELECT DISTINCT ci.competitor_id, 'content' AS what, ci.url AS item, {month.format("ci.published")} AS month
    FROM content_item ci JOIN crawl_run r ON r.id = ci.run_id
    WHERE ci.published IS NOT NULL AND r.status IN {GOOD}
    UNION
    SELECT n.competitor_id, 'newsletter', n.message_id, {month.format("n.sent_at")}
    FROM newsletter n WHERE n.sent_at IS NOT NULL
    UNION
    SELECT DISTINCT j.competitor_id, 'job', j.key, {month.format("j.posted")}
    FROM job_posting j JOIN crawl_run r ON r.id = j.run_id
    WHERE j.posted IS NOT NULL AND r.status IN {GOOD}
) m
JOIN competitor c ON c.id = m.competitor_id
GROUP BY c.slug, m.month
"""


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact_channel',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=512), nullable=False),
    sa.Column('label', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_contact_channel_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_contact_channel_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_contact_channel_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_channel')),
    sa.UniqueConstraint('run_id', 'source_id', 'kind', 'value', name=op.f('uq_contact_channel_run_id_source_id_kind_value'))
    )
    with op.batch_alter_table('contact_channel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_channel_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_channel_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_channel_source_id'), ['source_id'], unique=False)

    op.create_table('content_item',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('published', sa.Date(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_content_item_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_content_item_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_content_item_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_item')),
    sa.UniqueConstraint('run_id', 'source_id', 'url', name=op.f('uq_content_item_run_id_source_id_url'))
    )
    with op.batch_alter_table('content_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_item_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_item_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_item_source_id'), ['source_id'], unique=False)

    op.create_table('newsletter',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.String(length=512), nullable=False),
    sa.Column('sender', sa.String(length=320), nullable=False),
    sa.Column('sender_name', sa.Text(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('main_text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_newsletter_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_newsletter_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_newsletter_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter')),
    sa.UniqueConstraint('source_id', 'message_id', name=op.f('uq_newsletter_source_id_message_id'))
    )
    with op.batch_alter_table('newsletter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_newsletter_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_newsletter_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_newsletter_source_id'), ['source_id'], unique=False)

    op.create_table('page_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('requested_url', sa.Text(), nullable=True),
    sa.Column('redirects', sa.Integer(), nullable=False),
    sa.Column('https', sa.Boolean(), nullable=False),
    sa.Column('title_length', sa.Integer(), nullable=False),
    sa.Column('description_length', sa.Integer(), nullable=False),
    sa.Column('h1_count', sa.Integer(), nullable=False),
    sa.Column('canonical', sa.Text(), nullable=True),
    sa.Column('hreflang', sa.JSON(), nullable=False),
    sa.Column('open_graph', sa.JSON(), nullable=False),
    sa.Column('viewport', sa.Boolean(), nullable=False),
    sa.Column('lang', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_page_audit_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_page_audit_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_page_audit_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_audit')),
    sa.UniqueConstraint('run_id', 'source_id', 'url', name=op.f('uq_page_audit_run_id_source_id_url'))
    )
    with op.batch_alter_table('page_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_audit_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_page_audit_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_page_audit_source_id'), ['source_id'], unique=False)

    op.create_table('site_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('home_url', sa.Text(), nullable=True),
    sa.Column('home_status', sa.Integer(), nullable=True),
    sa.Column('home_elapsed_ms', sa.Integer(), nullable=True),
    sa.Column('home_bytes', sa.Integer(), nullable=True),
    sa.Column('https', sa.Boolean(), nullable=True),
    sa.Column('home_redirects', sa.Integer(), nullable=True),
    sa.Column('viewport', sa.Boolean(), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('median_elapsed_ms', sa.Integer(), nullable=True),
    sa.Column('median_bytes', sa.Integer(), nullable=True),
    sa.Column('broken_links', sa.Integer(), nullable=False),
    sa.Column('robots_status', sa.Integer(), nullable=True),
    sa.Column('robots_hash', sa.String(length=64), nullable=True),
    sa.Column('robots_rules', sa.JSON(), nullable=False),
    sa.Column('sitemap_urls', sa.Integer(), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('seo_issues', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_site_audit_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_site_audit_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_site_audit_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_audit')),
    sa.UniqueConstraint('run_id', 'source_id', name=op.f('uq_site_audit_run_id_source_id'))
    )
    with op.batch_alter_table('site_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_audit_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_audit_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_audit_source_id'), ['source_id'], unique=False)

    with op.batch_alter_table('job_posting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.Text(), nullable=True))

    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW IF EXISTS competitor_summary")
    op.execute(competitor_summary(dialect))
    op.execute(monthly_activity(dialect))


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS monthly_activity")
    op.execute("DROP VIEW IF EXISTS competitor_summary")
    with op.batch_alter_table('job_posting', schema=None) as batch_op:
        batch_op.drop_column('department')

    with op.batch_alter_table('site_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_audit_source_id'))
        batch_op.drop_index(batch_op.f('ix_site_audit_run_id'))
        batch_op.drop_index(batch_op.f('ix_site_audit_competitor_id'))

    op.drop_table('site_audit')
    with op.batch_alter_table('page_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_audit_source_id'))
        batch_op.drop_index(batch_op.f('ix_page_audit_run_id'))
        batch_op.drop_index(batch_op.f('ix_page_audit_competitor_id'))

    op.drop_table('page_audit')
    with op.batch_alter_table('newsletter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsletter_source_id'))
        batch_op.drop_index(batch_op.f('ix_newsletter_sent_at'))
        batch_op.drop_index(batch_op.f('ix_newsletter_run_id'))
        batch_op.drop_index(batch_op.f('ix_newsletter_competitor_id'))

    op.drop_table('newsletter')
    with op.batch_alter_table('content_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_item_source_id'))
        batch_op.drop_index(batch_op.f('ix_content_item_run_id'))
        batch_op.drop_index(batch_op.f('ix_content_item_competitor_id'))

    op.drop_table('content_item')
    with op.batch_alter_table('contact_channel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_channel_source_id'))
        batch_op.drop_index(batch_op.f('ix_contact_channel_run_id'))
        batch_op.drop_index(batch_op.f('ix_contact_channel_competitor_id'))

    op.drop_table('contact_channel')
    op.execute(_views_0003().competitor_summary(op.get_bind().dialect.name))


def _views_0003():
    """Revision 0003's module (its file name starts with a digit: no plain import), for its summary view."""
    path = Path(__file__).with_name("0003_analyst_views.py")
    spec = importlib.util.spec_from_file_location("views_0003", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
