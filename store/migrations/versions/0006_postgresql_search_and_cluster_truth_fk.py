"""PostgreSQL: full-text search table and the cluster.truth_id foreign key

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 03:20:00

SQLite has its FTS5 table since 0001 and the foreign key inline; on PostgreSQL
0001's `use_alter` key was never created, and search needs its own table.
"""

from alembic import op
import sqlalchemy as sa

from store.search import PG_CONFIG, pg_spaced

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    inspector = sa.inspect(bind)
    if not any(fk['name'] == 'fk_cluster_truth_id_article' for fk in inspector.get_foreign_keys('cluster')):
        op.create_foreign_key(
            op.f('fk_cluster_truth_id_article'), 'cluster', 'article', ['truth_id'], ['id'],
            ondelete='SET NULL',
        )
    # English stemming without a stop-word list: every word a user types is searchable.
    op.execute(
        f"CREATE TEXT SEARCH DICTIONARY {PG_CONFIG}_english "
        "(TEMPLATE = snowball, Language = english)"
    )
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = simple)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} "
        f"ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part "
        f"WITH {PG_CONFIG}_english"
    )
    han = bind.execute(sa.text(f"SELECT to_tsvector('{PG_CONFIG}', '科 學')::text")).scalar()
    if '科' not in (han or ''):
        raise RuntimeError(
            "this PostgreSQL database cannot index Chinese characters (its LC_CTYPE is not a "
            "UTF-8 locale); create it with ENCODING 'UTF8' LC_CTYPE 'C.UTF-8'"
        )
    op.create_table(
        'article_search',
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('doc', sa.dialects.postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ['article_id'], ['article.id'], name=op.f('fk_article_search_article_id_article'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('article_id', name=op.f('pk_article_search')),
    )
    op.create_index('ix_article_search_doc', 'article_search', ['doc'], postgresql_using='gin')
    op.execute(
        "INSERT INTO article_search (article_id, doc) "
        f"SELECT a.id, setweight(to_tsvector('{PG_CONFIG}', {pg_spaced('coalesce(a.title, ' + chr(39) * 2 + ')')}), 'A') || "
        f"setweight(to_tsvector('{PG_CONFIG}', {pg_spaced('v.text')}), 'B') "
        "FROM article a JOIN article_version v ON v.article_id = a.id "
        "AND v.number = (SELECT max(number) FROM article_version w WHERE w.article_id = a.id)"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    op.drop_table('article_search')
    op.execute(f"DROP TEXT SEARCH CONFIGURATION {PG_CONFIG}")
    op.execute(f"DROP TEXT SEARCH DICTIONARY {PG_CONFIG}_english")
    op.drop_constraint(op.f('fk_cluster_truth_id_article'), 'cluster', type_='foreignkey')
