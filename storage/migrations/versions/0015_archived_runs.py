"""archived runs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

`dossier backfill` (issue 25, item 3) stores the Internet Archive's past captures of a competitor's pages as runs of
their own: `crawl_run.archived` marks them, `crawl_run.period` names the month (2024-05) or quarter (2024-Q2) each
one holds. An archived run's id is below every live run's (storage/archive.py), so that every rule ordering runs
by id (the diff's baseline, a view's latest run, the report's axis) places it before the live runs: no view is
rebuilt here.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN, not a batch copy of the table: SQLite would check the views reading crawl_run against it
    op.add_column('crawl_run', sa.Column('archived', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('crawl_run', sa.Column('period', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('crawl_run', 'period')
    op.drop_column('crawl_run', 'archived')
