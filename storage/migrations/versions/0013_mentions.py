"""mentions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

Mentions of a competitor in the feeds a user subscribes to (issue 25, item 2; kind: mentions): `mention`, each item
once per competitor (its canonical link, else its guid), and `mention_observation`, which run's feed showed it, so
that mention_new is a mention no earlier good run saw. `competitor_summary` gains `mentions_30d` and
`monthly_activity` a `mentions` column: both views are dropped and created again, their SQL frozen here (0005's
with the new column) as in 0005 and 0008; only runs that succeeded or were partial count.
"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
GOOD = "('succeeded', 'partial')"
SINCE_30_DAYS = {"sqlite": "datetime('now', '-30 days')", "postgresql": "now() - interval '30 days'"}
MONTH_OF = {"sqlite": "strftime('%Y-%m', {})", "postgresql": "to_char({}, 'YYYY-MM')"}
# a mention counts from a good run that read it: by its own date, else the start of the first such run
MENTION_SEEN = f"""
    SELECT mn.competitor_id, mn.key, COALESCE(mn.published, MIN(mr.started)) AS seen
    FROM mention mn JOIN mention_observation mo ON mo.mention_id = mn.id
    JOIN crawl_run mr ON mr.id = mo.run_id AND mr.status IN {GOOD}
    GROUP BY mn.competitor_id, mn.key, mn.published"""
CHANGE_COUNTS = "       (SELECT COUNT(*) FROM change ch WHERE ch.competitor_id = c.id AND ch.created_at >= "


def _revision(name: str):
    """An earlier revision's module (file names start with a digit: no plain import), for its frozen view SQL."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(path.stem.replace("0", "v", 1), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def competitor_summary(dialect: str) -> str:
    """0005's competitor_summary with `mentions_30d` before the change counts."""
    sql = _revision("0005_checklist_tables.py").competitor_summary(dialect)
    if sql.count(CHANGE_COUNTS) != 2:  # changes_7d, then changes_30d: frozen in 0005
        raise RuntimeError("0005's competitor_summary changed; a migration's SQL must not")
    column = (f"       (SELECT COUNT(*) FROM ({MENTION_SEEN}) ms WHERE ms.competitor_id = c.id "
              f"AND ms.seen >= {SINCE_30_DAYS[dialect]}) AS mentions_30d,\n")
    return sql.replace(CHANGE_COUNTS, column + CHANGE_COUNTS, 1)


def monthly_activity(dialect: str) -> str:
    """Per competitor and month: articles published, newsletters sent, job postings posted and mentions in the
    user's feeds (each counted once across runs, by its own date)."""
    month = MONTH_OF[dialect]
    return f"""
CREATE VIEW monthly_activity AS
SELECT c.slug AS competitor, m.month,
       SUM(CASE WHEN m.what = 'content' THEN 1 ELSE 0 END) AS articles,
       SUM(CASE WHEN m.what = 'newsletter' THEN 1 ELSE 0 END) AS newsletters,
       SUM(CASE WHEN m.what = 'job' THEN 1 ELSE 0 END) AS jobs_posted,
       SUM(CASE WHEN m.what = 'mention' THEN 1 ELSE 0 END) AS mentions
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
    UNION
    SELECT ms.competitor_id, 'mention', ms.key, {month.format("ms.seen")}
    FROM ({MENTION_SEEN}) ms
) m
JOIN competitor c ON c.id = m.competitor_id
GROUP BY c.slug, m.month
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table('mention',
    sa.Column('id', ID, nullable=False),
    sa.Column('competitor_id', ID, nullable=False),
    sa.Column('source_id', ID, nullable=False),
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('published', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snippet', sa.Text(), nullable=True),
    sa.Column('feed_url', sa.Text(), nullable=False),
    sa.Column('first_seen_run_id', ID, nullable=False),
    sa.Column('last_seen_run_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_mention_competitor_id_competitor'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_mention_source_id_source'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['first_seen_run_id'], ['crawl_run.id'],
                            name=op.f('fk_mention_first_seen_run_id_crawl_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['last_seen_run_id'], ['crawl_run.id'],
                            name=op.f('fk_mention_last_seen_run_id_crawl_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mention')),
    sa.UniqueConstraint('competitor_id', 'key', name=op.f('uq_mention_competitor_id_key'))
    )
    op.create_index(op.f('ix_mention_competitor_id'), 'mention', ['competitor_id'])
    op.create_index(op.f('ix_mention_source_id'), 'mention', ['source_id'])
    op.create_index(op.f('ix_mention_published'), 'mention', ['published'])
    op.create_index(op.f('ix_mention_first_seen_run_id'), 'mention', ['first_seen_run_id'])
    op.create_table('mention_observation',
    sa.Column('id', ID, nullable=False),
    sa.Column('run_id', ID, nullable=False),
    sa.Column('source_id', ID, nullable=False),
    sa.Column('mention_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['mention_id'], ['mention.id'], name=op.f('fk_mention_observation_mention_id_mention'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_run.id'], name=op.f('fk_mention_observation_run_id_crawl_run'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_mention_observation_source_id_source'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mention_observation')),
    sa.UniqueConstraint('run_id', 'source_id', 'mention_id',
                        name=op.f('uq_mention_observation_run_id_source_id_mention_id'))
    )
    op.create_index(op.f('ix_mention_observation_run_id'), 'mention_observation', ['run_id'])
    op.create_index(op.f('ix_mention_observation_source_id'), 'mention_observation', ['source_id'])
    op.create_index(op.f('ix_mention_observation_mention_id'), 'mention_observation', ['mention_id'])
    for name in ("competitor_summary", "monthly_activity"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.execute(competitor_summary(dialect))
    op.execute(monthly_activity(dialect))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in ("competitor_summary", "monthly_activity"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    views_0005 = _revision("0005_checklist_tables.py")
    op.execute(views_0005.competitor_summary(dialect))
    op.execute(views_0005.monthly_activity(dialect))
    op.drop_table('mention_observation')
    op.drop_table('mention')
