"""scale: index articles by the day they are listed under, then id (keyset pagination)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 05:50:00

Listings and newest-first search order by (coalesce(published, date(first_seen)), id)
and page by that key; the index lets both walk the newest rows first and stop at the
page's limit instead of sorting the whole table.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

DAY = sa.text('coalesce(published, date(first_seen))')


def upgrade() -> None:
    op.create_index('ix_article_day_id', 'article', [DAY, 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_article_day_id', table_name='article')
