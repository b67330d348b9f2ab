"""search across scripts: the full-text index rebuilt with Traditional Chinese as Simplified

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 06:30:00

The index now holds text with Traditional characters read as Simplified, as
queries are, so 科學園 and 科学园 find the same articles. Stores made before
hold the text as written: index every article again (on SQLite under the (day, id)
keys of migration 0010). No table changes.
"""

from alembic import op

from store.search import rebuild_index

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    rebuild_index(op.get_bind(), normalised=True)


def downgrade() -> None:
    rebuild_index(op.get_bind(), normalised=False)
