"""product match

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

The same product across competitors (issue 24): our own shop (`competitor.own`), the identifiers a shop gives
(`product.gtin`, `product.mpn`), the matched pairs (`product_match`, recomputed after each run) and the analyst's
decisions on pairs (`match_decision`, kept across reruns).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # plain ADD COLUMN (SQLite's batch mode would copy the tables, which views read)
    op.add_column('competitor', sa.Column('own', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('product', sa.Column('gtin', sa.String(length=32), nullable=True))
    op.add_column('product', sa.Column('mpn', sa.String(length=128), nullable=True))
    op.create_table('product_match',
    sa.Column('id', ID, nullable=False),
    sa.Column('product_id', ID, nullable=False),
    sa.Column('matched_product_id', ID, nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('run_id', ID, nullable=True),
    sa.ForeignKeyConstraint(['matched_product_id'], ['product.id'],
                            name=op.f('fk_product_match_matched_product_id_product'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_match_product_id_product'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_product_match_run_id_crawl_run'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_match')),
    sa.UniqueConstraint('product_id', 'matched_product_id', name=op.f('uq_product_match_product_id_matched_product_id'))
    )
    op.create_index(op.f('ix_product_match_product_id'), 'product_match', ['product_id'])
    op.create_index(op.f('ix_product_match_matched_product_id'), 'product_match', ['matched_product_id'])
    op.create_index(op.f('ix_product_match_group_id'), 'product_match', ['group_id'])
    op.create_table('match_decision',
    sa.Column('id', ID, nullable=False),
    sa.Column('product_id', ID, nullable=False),
    sa.Column('matched_product_id', ID, nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['matched_product_id'], ['product.id'],
                            name=op.f('fk_match_decision_matched_product_id_product'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_match_decision_product_id_product'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_decision')),
    sa.UniqueConstraint('product_id', 'matched_product_id',
                        name=op.f('uq_match_decision_product_id_matched_product_id'))
    )
    op.create_index(op.f('ix_match_decision_product_id'), 'match_decision', ['product_id'])


def downgrade() -> None:
    op.drop_table('match_decision')
    op.drop_table('product_match')
    with op.batch_alter_table('product') as batch:
        batch.drop_column('mpn')
        batch.drop_column('gtin')
    with op.batch_alter_table('competitor') as batch:
        batch.drop_column('own')
