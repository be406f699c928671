"""fetch outcome

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

How each fetch ended, as a value code can rely on (issue 23, item 2): `fetch.outcome`, one of dossier.outcomes.
FetchOutcome. Rows stored before it are given theirs from their status and message, here and only here: the crawl
sets it from what happened, and no code reads meaning out of a fetch's message any more.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# the values of dossier.outcomes.FetchOutcome when this migration was written (a migration does not import the code)
OUTCOMES = ('ok', 'redirect', 'http_error', 'timeout', 'dns_error', 'connection_refused', 'connection_error', 'too_large',
            'redirect_trouble', 'robots_forbidden', 'off_site', 'private_address', 'robots_unreachable', 'blocked', 'soft_404', 'no_browser',
            'browser_error', 'extraction_failed', 'mailbox_error', 'not_crawled', 'failed')

# what the messages of earlier versions said, most specific first
FILL = """
UPDATE "fetch" SET outcome = CASE
  WHEN error IS NULL AND status BETWEEN 200 AND 299 THEN 'ok'
  WHEN error IS NULL AND status BETWEEN 300 AND 399 THEN 'redirect'
  WHEN error IS NOT NULL AND (url LIKE 'imaps:%' OR url LIKE 'maildir:%' OR url LIKE 'mbox:%') THEN 'mailbox_error'
  WHEN error LIKE 'robots.txt unreachable%' THEN 'robots_unreachable'
  WHEN error = 'Forbidden by robots.txt' THEN 'robots_forbidden'
  WHEN error LIKE 'off-site%' THEN 'off_site'
  WHEN error LIKE 'refused: %' THEN 'private_address'
  WHEN error LIKE 'not fetched: worker%' OR error LIKE 'not crawled:%' THEN 'not_crawled'
  WHEN error LIKE 'blocked: %' THEN 'blocked'
  WHEN error LIKE 'soft 404:%' THEN 'soft_404'
  WHEN error LIKE 'extracting the page failed%' THEN 'extraction_failed'
  WHEN error LIKE 'render: js needs Chromium%' OR error LIKE 'DOSSIER_CHROMIUM=%' THEN 'no_browser'
  WHEN error LIKE '%larger than max_bytes%' THEN 'too_large'
  WHEN error LIKE 'redirect loop%' OR error LIKE 'too many redirects%' THEN 'redirect_trouble'
  WHEN error LIKE 'timed out after%' OR error LIKE 'wait_for % did not appear%' OR error LIKE 'the page never went idle%'
       OR error LIKE 'the page did not finish loading%' OR error LIKE 'browser timed out%' THEN 'timeout'
  WHEN error LIKE 'browser: %' THEN 'browser_error'
  WHEN error LIKE 'DNS lookup failed%' THEN 'dns_error'
  WHEN error = 'connection refused' THEN 'connection_refused'
  WHEN error IN ('connection reset', 'connection closed before the answer') OR error LIKE 'body cut short%'
       OR error LIKE 'download failed%' THEN 'connection_error'
  WHEN status >= 400 THEN 'http_error'
  ELSE 'failed'
END
"""


def upgrade() -> None:
    with op.batch_alter_table('fetch') as batch:
        batch.add_column(sa.Column('outcome', sa.String(length=24), nullable=True))
    op.execute(FILL)
    with op.batch_alter_table('fetch') as batch:
        batch.alter_column('outcome', existing_type=sa.String(length=24), nullable=False)
        batch.create_check_constraint('ck_fetch_outcome', sa.column('outcome').in_(OUTCOMES))


def downgrade() -> None:
    with op.batch_alter_table('fetch') as batch:
        batch.drop_constraint('ck_fetch_outcome', type_='check')
        batch.drop_column('outcome')
