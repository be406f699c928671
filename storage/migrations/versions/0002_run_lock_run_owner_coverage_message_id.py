"""run lock, run owner, coverage, message id

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('run_lock',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_run_lock_run_id_crawl_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_run_lock'))
    )
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_alert_outbox_message_id'), ['message_id'])

    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('heartbeat', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('source_crawl', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coverage', sa.Float(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('source_crawl', schema=None) as batch_op:
        batch_op.drop_column('coverage')

    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        batch_op.drop_column('heartbeat')
        batch_op.drop_column('host')
        batch_op.drop_column('pid')

    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_alert_outbox_message_id'), type_='unique')
        batch_op.drop_column('message_id')

    op.drop_table('run_lock')
