"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('competitor',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competitor')),
    sa.UniqueConstraint('slug', name=op.f('uq_competitor_slug'))
    )
    op.create_table('crawl_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('started', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_run'))
    )
    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crawl_run_status'), ['status'], unique=False)

    op.create_table('alert_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('eml_path', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_alert_outbox_run_id_crawl_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_outbox')),
    sa.UniqueConstraint('run_id', 'recipients', name=op.f('uq_alert_outbox_run_id_recipients'))
    )
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_outbox_run_id'), ['run_id'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('sku', sa.String(length=256), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('brand', sa.String(length=256), nullable=True),
    sa.Column('category', sa.String(length=256), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('first_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('last_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_product_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['first_seen_run_id'], ['crawl_run.id'], name=op.f('fk_product_first_seen_run_id_crawl_run'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['last_seen_run_id'], ['crawl_run.id'], name=op.f('fk_product_last_seen_run_id_crawl_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('competitor_id', 'key', name=op.f('uq_product_competitor_id_key'))
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_competitor_id'), ['competitor_id'], unique=False)

    op.create_table('source',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_source_competitor_id_competitor'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source')),
    sa.UniqueConstraint('competitor_id', 'kind', 'url', name=op.f('uq_source_competitor_id_kind_url'))
    )
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_competitor_id'), ['competitor_id'], unique=False)

    op.create_table('ad',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('headline', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('landing_url', sa.Text(), nullable=True),
    sa.Column('snapshot_url', sa.Text(), nullable=True),
    sa.Column('started', sa.Date(), nullable=True),
    sa.Column('stopped', sa.Date(), nullable=True),
    sa.Column('platforms', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('first_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('last_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_ad_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['first_seen_run_id'], ['crawl_run.id'], name=op.f('fk_ad_first_seen_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['last_seen_run_id'], ['crawl_run.id'], name=op.f('fk_ad_last_seen_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_ad_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ad')),
    sa.UniqueConstraint('competitor_id', 'platform', 'external_id', name=op.f('uq_ad_competitor_id_platform_external_id'))
    )
    with op.batch_alter_table('ad', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ad_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ad_first_seen_run_id'), ['first_seen_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ad_source_id'), ['source_id'], unique=False)

    op.create_table('change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=700), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('magnitude', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_change_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_change_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_change_source_id_source'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change')),
    sa.UniqueConstraint('run_id', 'kind', 'entity', name=op.f('uq_change_run_id_kind_entity'))
    )
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.create_index('ix_change_competitor_run', ['competitor_id', 'run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_run_id'), ['run_id'], unique=False)

    op.create_table('fetch',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('elapsed_ms', sa.Integer(), nullable=True),
    sa.Column('bytes', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_fetch_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_fetch_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fetch')),
    sa.UniqueConstraint('run_id', 'source_id', 'url', name=op.f('uq_fetch_run_id_source_id_url'))
    )
    with op.batch_alter_table('fetch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fetch_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fetch_source_id'), ['source_id'], unique=False)

    op.create_table('job_posting',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('posted', sa.Date(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_job_posting_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_job_posting_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_job_posting_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_posting')),
    sa.UniqueConstraint('run_id', 'source_id', 'key', name=op.f('uq_job_posting_run_id_source_id_key'))
    )
    with op.batch_alter_table('job_posting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_posting_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_posting_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_posting_source_id'), ['source_id'], unique=False)

    op.create_table('page_snapshot',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('h1', sa.Text(), nullable=True),
    sa.Column('headings', sa.JSON(), nullable=False),
    sa.Column('main_text', sa.Text(), nullable=True),
    sa.Column('text_hash', sa.String(length=64), nullable=True),
    sa.Column('lang', sa.String(length=16), nullable=True),
    sa.Column('canonical', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_page_snapshot_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_page_snapshot_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_page_snapshot_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_snapshot')),
    sa.UniqueConstraint('run_id', 'source_id', 'url', name=op.f('uq_page_snapshot_run_id_source_id_url'))
    )
    with op.batch_alter_table('page_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_snapshot_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_page_snapshot_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_page_snapshot_source_id'), ['source_id'], unique=False)

    op.create_table('price_observation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('old_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('availability', sa.String(length=16), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_price_observation_product_id_product'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_price_observation_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_price_observation_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_observation')),
    sa.UniqueConstraint('run_id', 'source_id', 'product_id', name=op.f('uq_price_observation_run_id_source_id_product_id'))
    )
    with op.batch_alter_table('price_observation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_observation_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_observation_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_observation_source_id'), ['source_id'], unique=False)

    op.create_table('rating_snapshot',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=256), nullable=False),
    sa.Column('average', sa.Numeric(precision=3, scale=2, asdecimal=False), nullable=True),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_rating_snapshot_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_rating_snapshot_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_rating_snapshot_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_snapshot')),
    sa.UniqueConstraint('run_id', 'source_id', name=op.f('uq_rating_snapshot_run_id_source_id'))
    )
    with op.batch_alter_table('rating_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_snapshot_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_snapshot_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_snapshot_source_id'), ['source_id'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=256), nullable=False),
    sa.Column('external_id', sa.String(length=256), nullable=False),
    sa.Column('author', sa.String(length=300), nullable=True),
    sa.Column('rating', sa.Numeric(precision=3, scale=2, asdecimal=False), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('published', sa.Date(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('first_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('last_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_review_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['first_seen_run_id'], ['crawl_run.id'], name=op.f('fk_review_first_seen_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['last_seen_run_id'], ['crawl_run.id'], name=op.f('fk_review_last_seen_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_review_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
    sa.UniqueConstraint('competitor_id', 'platform', 'external_id', name=op.f('uq_review_competitor_id_platform_external_id'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_first_seen_run_id'), ['first_seen_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_source_id'), ['source_id'], unique=False)

    op.create_table('source_crawl',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_source_crawl_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_source_crawl_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_crawl')),
    sa.UniqueConstraint('run_id', 'source_id', name=op.f('uq_source_crawl_run_id_source_id'))
    )
    with op.batch_alter_table('source_crawl', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_crawl_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_crawl_source_id'), ['source_id'], unique=False)

    op.create_table('technology_observation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('technology', sa.String(length=256), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_technology_observation_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_technology_observation_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_technology_observation_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technology_observation')),
    sa.UniqueConstraint('run_id', 'source_id', 'technology', name=op.f('uq_technology_observation_run_id_source_id_technology'))
    )
    with op.batch_alter_table('technology_observation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technology_observation_competitor_id'), ['competitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_technology_observation_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_technology_observation_source_id'), ['source_id'], unique=False)

    op.create_table('ad_observation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ad_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['ad_id'], ['ad.id'], name=op.f('fk_ad_observation_ad_id_ad'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_ad_observation_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_ad_observation_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ad_observation')),
    sa.UniqueConstraint('run_id', 'source_id', 'ad_id', name=op.f('uq_ad_observation_run_id_source_id_ad_id'))
    )
    with op.batch_alter_table('ad_observation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ad_observation_ad_id'), ['ad_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ad_observation_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ad_observation_source_id'), ['source_id'], unique=False)

    op.create_table('review_observation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('review_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_review_observation_review_id_review'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_review_observation_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_review_observation_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_observation')),
    sa.UniqueConstraint('run_id', 'source_id', 'review_id', name=op.f('uq_review_observation_run_id_source_id_review_id'))
    )
    with op.batch_alter_table('review_observation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_observation_review_id'), ['review_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_observation_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_observation_source_id'), ['source_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_observation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_observation_source_id'))
        batch_op.drop_index(batch_op.f('ix_review_observation_run_id'))
        batch_op.drop_index(batch_op.f('ix_review_observation_review_id'))

    op.drop_table('review_observation')
    with op.batch_alter_table('ad_observation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ad_observation_source_id'))
        batch_op.drop_index(batch_op.f('ix_ad_observation_run_id'))
        batch_op.drop_index(batch_op.f('ix_ad_observation_ad_id'))

    op.drop_table('ad_observation')
    with op.batch_alter_table('technology_observation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technology_observation_source_id'))
        batch_op.drop_index(batch_op.f('ix_technology_observation_run_id'))
        batch_op.drop_index(batch_op.f('ix_technology_observation_competitor_id'))

    op.drop_table('technology_observation')
    with op.batch_alter_table('source_crawl', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_crawl_source_id'))
        batch_op.drop_index(batch_op.f('ix_source_crawl_run_id'))

    op.drop_table('source_crawl')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_source_id'))
        batch_op.drop_index(batch_op.f('ix_review_first_seen_run_id'))
        batch_op.drop_index(batch_op.f('ix_review_competitor_id'))

    op.drop_table('review')
    with op.batch_alter_table('rating_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_snapshot_source_id'))
        batch_op.drop_index(batch_op.f('ix_rating_snapshot_run_id'))
        batch_op.drop_index(batch_op.f('ix_rating_snapshot_competitor_id'))

    op.drop_table('rating_snapshot')
    with op.batch_alter_table('price_observation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_observation_source_id'))
        batch_op.drop_index(batch_op.f('ix_price_observation_run_id'))
        batch_op.drop_index(batch_op.f('ix_price_observation_product_id'))

    op.drop_table('price_observation')
    with op.batch_alter_table('page_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_snapshot_source_id'))
        batch_op.drop_index(batch_op.f('ix_page_snapshot_run_id'))
        batch_op.drop_index(batch_op.f('ix_page_snapshot_competitor_id'))

    op.drop_table('page_snapshot')
    with op.batch_alter_table('job_posting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_posting_source_id'))
        batch_op.drop_index(batch_op.f('ix_job_posting_run_id'))
        batch_op.drop_index(batch_op.f('ix_job_posting_competitor_id'))

    op.drop_table('job_posting')
    with op.batch_alter_table('fetch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fetch_source_id'))
        batch_op.drop_index(batch_op.f('ix_fetch_run_id'))

    op.drop_table('fetch')
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_run_id'))
        batch_op.drop_index(batch_op.f('ix_change_kind'))
        batch_op.drop_index('ix_change_competitor_run')

    op.drop_table('change')
    with op.batch_alter_table('ad', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ad_source_id'))
        batch_op.drop_index(batch_op.f('ix_ad_first_seen_run_id'))
        batch_op.drop_index(batch_op.f('ix_ad_competitor_id'))

    op.drop_table('ad')
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_competitor_id'))

    op.drop_table('source')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_competitor_id'))

    op.drop_table('product')
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_outbox_run_id'))

    op.drop_table('alert_outbox')
    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crawl_run_status'))

    op.drop_table('crawl_run')
    op.drop_table('competitor')
