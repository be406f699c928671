"""tenders

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

Public procurement notices naming a competitor as a bidder or winner (issue 25, item 4; kind: tenders): `tender`,
each notice once per competitor, format and notice id, its role only rising (bidder, then winner), and
`tender_observation`, which run's answer showed it and with which role, so that tender_new and tender_won are told
against the earlier good runs. The view `tender_quarterly` counts per competitor, quarter and currency the notices,
those won and the value won; `competitor_summary` gains `tenders_won_365d`, dropped and created again from 0013's
frozen SQL (0005's with mentions_30d) with the new column, as 0013 built on 0005's. Only runs that succeeded or were
partial count.
"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
MONEY = sa.Numeric(14, 2)
GOOD = "('succeeded', 'partial')"
SINCE_365_DAYS_DATE = {"sqlite": "date('now', '-365 days')", "postgresql": "CURRENT_DATE - 365"}
QUARTER_OF = {"sqlite": "strftime('%Y', {0}) || '-Q' || ((CAST(strftime('%m', {0}) AS INTEGER) + 2) / 3)",
              "postgresql": "to_char({0}, 'YYYY-\"Q\"Q')"}
# a tender counts once a good run read it
READ_BY_A_GOOD_RUN = f"""EXISTS (SELECT 1 FROM tender_observation tob JOIN crawl_run tr ON tr.id = tob.run_id
                                 WHERE tob.tender_id = t.id AND tr.status IN {GOOD})"""
CHANGE_COUNTS = "       (SELECT COUNT(*) FROM change ch WHERE ch.competitor_id = c.id AND ch.created_at >= "


def _revision(name: str):
    """An earlier revision's module (file names start with a digit: no plain import), for its frozen view SQL."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(path.stem.replace("0", "v", 1), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def competitor_summary(dialect: str) -> str:
    """0013's competitor_summary with `tenders_won_365d` (tenders won, by their award date, else their publication
    date, in the last 365 days) before the change counts."""
    sql = _revision("0013_mentions.py").competitor_summary(dialect)
    if sql.count(CHANGE_COUNTS) != 2:  # changes_7d, then changes_30d: frozen in 0005
        raise RuntimeError("0013's competitor_summary changed; a migration's SQL must not")
    column = (f"       (SELECT COUNT(*) FROM tender t WHERE t.competitor_id = c.id AND t.role = 'winner' "
              f"AND COALESCE(t.awarded, t.published) >= {SINCE_365_DAYS_DATE[dialect]}\n"
              f"        AND {READ_BY_A_GOOD_RUN}) AS tenders_won_365d,\n")
    return sql.replace(CHANGE_COUNTS, column + CHANGE_COUNTS, 1)


def tender_quarterly(dialect: str) -> str:
    """Per competitor, quarter (of the notice's publication, else award, date) and currency: the notices naming it,
    those it won and the value it won. A notice without a value is counted in the row with no currency."""
    quarter = QUARTER_OF[dialect].format("COALESCE(t.published, t.awarded)")
    return f"""
CREATE VIEW tender_quarterly AS
SELECT c.slug AS competitor, {quarter} AS quarter, t.currency,
       COUNT(*) AS notices,
       SUM(CASE WHEN t.role = 'winner' THEN 1 ELSE 0 END) AS won,
       SUM(CASE WHEN t.role = 'winner' THEN t.value END) AS value_won
FROM tender t JOIN competitor c ON c.id = t.competitor_id
WHERE COALESCE(t.published, t.awarded) IS NOT NULL AND {READ_BY_A_GOOD_RUN}
GROUP BY c.slug, {quarter}, t.currency
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table('tender',
    sa.Column('id', ID, nullable=False),
    sa.Column('competitor_id', ID, nullable=False),
    sa.Column('source_id', ID, nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('notice_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('buyer', sa.Text(), nullable=True),
    sa.Column('value', MONEY, nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('published', sa.Date(), nullable=True),
    sa.Column('awarded', sa.Date(), nullable=True),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('first_seen_run_id', ID, nullable=False),
    sa.Column('last_seen_run_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_tender_competitor_id_competitor'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_tender_source_id_source'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['first_seen_run_id'], ['crawl_run.id'],
                            name=op.f('fk_tender_first_seen_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['last_seen_run_id'], ['crawl_run.id'],
                            name=op.f('fk_tender_last_seen_run_id_crawl_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender')),
    sa.UniqueConstraint('competitor_id', 'format', 'notice_id', name=op.f('uq_tender_competitor_id_format_notice_id'))
    )
    op.create_index(op.f('ix_tender_competitor_id'), 'tender', ['competitor_id'])
    op.create_index(op.f('ix_tender_source_id'), 'tender', ['source_id'])
    op.create_index(op.f('ix_tender_published'), 'tender', ['published'])
    op.create_index(op.f('ix_tender_first_seen_run_id'), 'tender', ['first_seen_run_id'])
    op.create_table('tender_observation',
    sa.Column('id', ID, nullable=False),
    sa.Column('run_id', ID, nullable=False),
    sa.Column('source_id', ID, nullable=False),
    sa.Column('tender_id', ID, nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_observation_tender_id_tender'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_tender_observation_run_id_crawl_run'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_tender_observation_source_id_source'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_observation')),
    sa.UniqueConstraint('run_id', 'source_id', 'tender_id',
                        name=op.f('uq_tender_observation_run_id_source_id_tender_id'))
    )
    op.create_index(op.f('ix_tender_observation_run_id'), 'tender_observation', ['run_id'])
    op.create_index(op.f('ix_tender_observation_source_id'), 'tender_observation', ['source_id'])
    op.create_index(op.f('ix_tender_observation_tender_id'), 'tender_observation', ['tender_id'])
    op.execute("DROP VIEW IF EXISTS competitor_summary")
    op.execute(competitor_summary(dialect))
    op.execute(tender_quarterly(dialect))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in ("competitor_summary", "tender_quarterly"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.execute(_revision("0013_mentions.py").competitor_summary(dialect))
    op.drop_table('tender_observation')
    op.drop_table('tender')
