"""social channels

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

Public social channels of a competitor (issue 25, item 1; kind: social): `social_channel` (once per competitor,
network and channel), `channel_snapshot` (a run's read: subscribers), `social_post` (once per channel and post, its
counts as last read) and `social_post_observation` (which run showed a post, with its counts then), so that
post_new is a post no earlier good run saw. The view `social_monthly` gives per channel and month the posts
published and the last subscriber count read; `competitor_summary` gains `social_posts_30d` and `subscribers`:
dropped and created again from 0016's frozen SQL (0013's with tenders_won_365d) with the new columns (as 0013 built on
0005's). Only runs that
succeeded or were partial count.
"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
GOOD = "('succeeded', 'partial')"
SINCE_30_DAYS = {"sqlite": "datetime('now', '-30 days')", "postgresql": "now() - interval '30 days'"}
MONTH_OF = {"sqlite": "strftime('%Y-%m', {})", "postgresql": "to_char({}, 'YYYY-MM')"}
CHANGE_COUNTS = "       (SELECT COUNT(*) FROM change ch WHERE ch.competitor_id = c.id AND ch.created_at >= "
# a post counts once a good run read it
POST_READ = f"""EXISTS (SELECT 1 FROM social_post_observation so JOIN crawl_run sr ON sr.id = so.run_id
                  WHERE so.social_post_id = sp.id AND sr.status IN {GOOD})"""
# a channel's audience is its newest good read that showed one
LATEST_SNAPSHOT = f"""cs.run_id = (SELECT MAX(cs2.run_id) FROM channel_snapshot cs2
                     JOIN crawl_run r2 ON r2.id = cs2.run_id
                     WHERE cs2.social_channel_id = cs.social_channel_id AND r2.status IN {GOOD}
                     AND cs2.subscribers IS NOT NULL)"""


def _revision(name: str):
    """An earlier revision's module (file names start with a digit: no plain import), for its frozen view SQL."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(path.stem.replace("0", "v", 1), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def competitor_summary(dialect: str) -> str:
    """0016's competitor_summary with `social_posts_30d` and `subscribers` before the change counts."""
    sql = _revision("0016_tenders.py").competitor_summary(dialect)
    if sql.count(CHANGE_COUNTS) != 2:  # changes_7d, then changes_30d: frozen in 0005
        raise RuntimeError("0016's competitor_summary changed; a migration's SQL must not")
    columns = (f"       (SELECT COUNT(*) FROM social_post sp JOIN social_channel sc ON sc.id = sp.social_channel_id "
               f"WHERE sc.competitor_id = c.id AND sp.published >= {SINCE_30_DAYS[dialect]} AND {POST_READ}) "
               "AS social_posts_30d,\n"
               "       (SELECT SUM(cs.subscribers) FROM channel_snapshot cs JOIN social_channel sc "
               f"ON sc.id = cs.social_channel_id WHERE sc.competitor_id = c.id AND {LATEST_SNAPSHOT}) "
               "AS subscribers,\n")
    return sql.replace(CHANGE_COUNTS, columns + CHANGE_COUNTS, 1)


def social_monthly(dialect: str) -> str:
    """Per channel and month: the posts published that month (read by a good run) and the last subscriber count a
    good run read that month (NULL: none read, or the network shows none)."""
    month = MONTH_OF[dialect]
    return f"""
CREATE VIEW social_monthly AS
SELECT c.slug AS competitor, sc.network, sc.channel, sc.title, m.month,
       (SELECT COUNT(*) FROM social_post sp WHERE sp.social_channel_id = sc.id
        AND {month.format("sp.published")} = m.month AND {POST_READ}) AS posts,
       (SELECT cs.subscribers FROM channel_snapshot cs JOIN crawl_run r ON r.id = cs.run_id
        WHERE cs.social_channel_id = sc.id AND r.status IN {GOOD} AND cs.subscribers IS NOT NULL
        AND {month.format("r.started")} = m.month ORDER BY r.started DESC, cs.id DESC LIMIT 1) AS subscribers
FROM social_channel sc
JOIN competitor c ON c.id = sc.competitor_id
JOIN (
    SELECT sp.social_channel_id AS channel_id, {month.format("sp.published")} AS month
    FROM social_post sp WHERE sp.published IS NOT NULL
    UNION
    SELECT cs.social_channel_id, {month.format("r.started")}
    FROM channel_snapshot cs JOIN crawl_run r ON r.id = cs.run_id WHERE r.status IN {GOOD}
) m ON m.channel_id = sc.id
"""


def _run_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ['crawl_run.id'], name=op.f(f'fk_{table}_{column}_crawl_run'),
                                   ondelete='CASCADE')


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table('social_channel',
    sa.Column('id', ID, nullable=False),
    sa.Column('competitor_id', ID, nullable=False),
    sa.Column('source_id', ID, nullable=False),
    sa.Column('network', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=200), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('first_seen_run_id', ID, nullable=False),
    sa.Column('last_seen_run_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'],
                            name=op.f('fk_social_channel_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_social_channel_source_id_source'),
                            ondelete='CASCADE'),
    _run_fk('social_channel', 'first_seen_run_id'),
    _run_fk('social_channel', 'last_seen_run_id'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_channel')),
    sa.UniqueConstraint('competitor_id', 'network', 'channel',
                        name=op.f('uq_social_channel_competitor_id_network_channel'))
    )
    op.create_index(op.f('ix_social_channel_competitor_id'), 'social_channel', ['competitor_id'])
    op.create_index(op.f('ix_social_channel_source_id'), 'social_channel', ['source_id'])
    op.create_index(op.f('ix_social_channel_first_seen_run_id'), 'social_channel', ['first_seen_run_id'])
    op.create_table('channel_snapshot',
    sa.Column('id', ID, nullable=False),
    sa.Column('run_id', ID, nullable=False),
    sa.Column('source_id', ID, nullable=False),
    sa.Column('social_channel_id', ID, nullable=False),
    sa.Column('subscribers', sa.BigInteger(), nullable=True),
    sa.Column('posts_shown', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['social_channel_id'], ['social_channel.id'],
                            name=op.f('fk_channel_snapshot_social_channel_id_social_channel'), ondelete='CASCADE'),
    _run_fk('channel_snapshot', 'run_id'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_channel_snapshot_source_id_source'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_snapshot')),
    sa.UniqueConstraint('run_id', 'source_id', 'social_channel_id',
                        name=op.f('uq_channel_snapshot_run_id_source_id_social_channel_id'))
    )
    op.create_index(op.f('ix_channel_snapshot_run_id'), 'channel_snapshot', ['run_id'])
    op.create_index(op.f('ix_channel_snapshot_source_id'), 'channel_snapshot', ['source_id'])
    op.create_index(op.f('ix_channel_snapshot_social_channel_id'), 'channel_snapshot', ['social_channel_id'])
    op.create_table('social_post',
    sa.Column('id', ID, nullable=False),
    sa.Column('social_channel_id', ID, nullable=False),
    sa.Column('post_id', sa.String(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('published', sa.DateTime(timezone=True), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('views', sa.BigInteger(), nullable=True),
    sa.Column('likes', sa.BigInteger(), nullable=True),
    sa.Column('reposts', sa.BigInteger(), nullable=True),
    sa.Column('first_seen_run_id', ID, nullable=False),
    sa.Column('last_seen_run_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['social_channel_id'], ['social_channel.id'],
                            name=op.f('fk_social_post_social_channel_id_social_channel'), ondelete='CASCADE'),
    _run_fk('social_post', 'first_seen_run_id'),
    _run_fk('social_post', 'last_seen_run_id'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_post')),
    sa.UniqueConstraint('social_channel_id', 'post_id', name=op.f('uq_social_post_social_channel_id_post_id'))
    )
    op.create_index(op.f('ix_social_post_social_channel_id'), 'social_post', ['social_channel_id'])
    op.create_index(op.f('ix_social_post_published'), 'social_post', ['published'])
    op.create_index(op.f('ix_social_post_first_seen_run_id'), 'social_post', ['first_seen_run_id'])
    op.create_table('social_post_observation',
    sa.Column('id', ID, nullable=False),
    sa.Column('run_id', ID, nullable=False),
    sa.Column('source_id', ID, nullable=False),
    sa.Column('social_post_id', ID, nullable=False),
    sa.Column('views', sa.BigInteger(), nullable=True),
    sa.Column('likes', sa.BigInteger(), nullable=True),
    sa.Column('reposts', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['social_post_id'], ['social_post.id'],
                            name=op.f('fk_social_post_observation_social_post_id_social_post'), ondelete='CASCADE'),
    _run_fk('social_post_observation', 'run_id'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_social_post_observation_source_id_source'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_post_observation')),
    sa.UniqueConstraint('run_id', 'source_id', 'social_post_id',
                        name=op.f('uq_social_post_observation_run_id_source_id_social_post_id'))
    )
    op.create_index(op.f('ix_social_post_observation_run_id'), 'social_post_observation', ['run_id'])
    op.create_index(op.f('ix_social_post_observation_source_id'), 'social_post_observation', ['source_id'])
    op.create_index(op.f('ix_social_post_observation_social_post_id'), 'social_post_observation',
                    ['social_post_id'])
    op.execute("DROP VIEW IF EXISTS competitor_summary")
    op.execute(competitor_summary(dialect))
    op.execute(social_monthly(dialect))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW IF EXISTS social_monthly")
    op.execute("DROP VIEW IF EXISTS competitor_summary")
    op.execute(_revision("0016_tenders.py").competitor_summary(dialect))
    op.drop_table('social_post_observation')
    op.drop_table('social_post')
    op.drop_table('channel_snapshot')
    op.drop_table('social_channel')
