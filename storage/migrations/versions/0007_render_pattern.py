"""render: auto patterns

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12

render: auto decides per source and URL pattern whether a page is rendered in Chromium; what each pattern's pages
showed is kept across nights in `render_pattern` (issue 21, item 3).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('render_pattern',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pattern', sa.String(length=300), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=False),
    sa.Column('static_complete', sa.Integer(), nullable=False),
    sa.Column('render_gained', sa.Integer(), nullable=False),
    sa.Column('render_no_gain', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_render_pattern_run_id_crawl_run'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_render_pattern_source_id_source'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_render_pattern')),
    sa.UniqueConstraint('source_id', 'pattern', name=op.f('uq_render_pattern_source_id_pattern'))
    )
    with op.batch_alter_table('render_pattern', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_render_pattern_source_id'), ['source_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('render_pattern', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_render_pattern_source_id'))

    op.drop_table('render_pattern')
