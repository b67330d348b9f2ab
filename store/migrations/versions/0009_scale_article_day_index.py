"""scale: index articles by the day they are listed under, then id (keyset pagination),
also within a language and within a source

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


INDEXES = {
    'ix_article_day_id': [DAY, 'id'],
    'ix_article_language_day_id': ['language', DAY, 'id'],
    'ix_article_source_day_id': ['source_id', DAY, 'id'],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, 'article', columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name='article')
