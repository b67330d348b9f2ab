"""scale: SQLite's search index keyed by (day, id), kept so by triggers on article

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 06:00:00

Each article's FTS5 row moves from rowid = article id to rowid = (julian day it is listed
under << 32) | id (store.search.fts_key_sql): FTS5 yields matches in rowid order, so a
newest-first search reads the newest matches and stops at the page's limit. Two triggers
keep the key true: one moves the row when published or first_seen changes, one drops it
with its article. A later migration that rebuilds the article table (batch mode) drops
these triggers and must create them again (tests/test_paging.py checks they exist).
PostgreSQL is unchanged.
"""

from alembic import op

from store.search import ID_BITS, fts_key_sql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

REKEY = f"""CREATE TRIGGER article_fts_rekey AFTER UPDATE OF published, first_seen ON article
WHEN {fts_key_sql('OLD.')} != {fts_key_sql('NEW.')}
BEGIN
  INSERT INTO article_fts(rowid, title, body)
    SELECT {fts_key_sql('NEW.')}, title, body FROM article_fts WHERE rowid = {fts_key_sql('OLD.')};
  DELETE FROM article_fts WHERE rowid = {fts_key_sql('OLD.')};
END"""
FORGET = f"""CREATE TRIGGER article_fts_forget AFTER DELETE ON article
BEGIN
  DELETE FROM article_fts WHERE rowid = {fts_key_sql('OLD.')};
END"""


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    # rows of articles that are gone (rowid matching no article) are dropped on the way
    op.execute(
        f"INSERT INTO article_fts(rowid, title, body) SELECT {fts_key_sql('a.')}, f.title, "
        "f.body FROM article_fts f JOIN article a ON a.id = f.rowid"
    )
    op.execute(f"DELETE FROM article_fts WHERE rowid < {1 << ID_BITS}")
    op.execute(REKEY)
    op.execute(FORGET)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute("DROP TRIGGER IF EXISTS article_fts_forget")
    op.execute("DROP TRIGGER IF EXISTS article_fts_rekey")
    op.execute(
        f"INSERT INTO article_fts(rowid, title, body) SELECT rowid & {(1 << ID_BITS) - 1}, "
        f"title, body FROM article_fts WHERE rowid >= {1 << ID_BITS}"
    )
    op.execute(f"DELETE FROM article_fts WHERE rowid >= {1 << ID_BITS}")
