"""price source and confidence, uncertain changes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

Each price observation records where its price was read (JSON-LD, microdata, RDFa, OpenGraph, a platform's stock
template, the source's selector, the visible page) and how far that source is trusted; a price change read from a
less trusted source than the night before is stored with `uncertain` set (issue 20, item 4).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (SQLite has it): a batch copy of `change` would break the views that read it
    op.add_column('price_observation', sa.Column('price_source', sa.String(length=16), nullable=True))
    op.add_column('price_observation', sa.Column('price_confidence', sa.Float(), nullable=True))
    op.add_column('change', sa.Column('uncertain', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.drop_column('uncertain')
    with op.batch_alter_table('price_observation', schema=None) as batch_op:
        batch_op.drop_column('price_confidence')
        batch_op.drop_column('price_source')
