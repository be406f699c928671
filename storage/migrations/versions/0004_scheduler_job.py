"""scheduler job store

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

The table APScheduler's SQLAlchemyJobStore would create itself, made here so that the schema stays Alembic's.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scheduler_job',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_job'))
    )
    with op.batch_alter_table('scheduler_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduler_job_next_run_time'), ['next_run_time'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scheduler_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduler_job_next_run_time'))

    op.drop_table('scheduler_job')
