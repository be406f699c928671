"""channel outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-14

Alerts to chat and webhook channels through Apprise (issue 22, item 5): each run's message to a channel is stored
in `channel_outbox` before it is sent, with the e-mail outbox's statuses.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_channel_outbox_run_id_crawl_run'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_outbox')),
    sa.UniqueConstraint('run_id', 'channel', name=op.f('uq_channel_outbox_run_id_channel'))
    )


def downgrade() -> None:
    op.drop_table('channel_outbox')
