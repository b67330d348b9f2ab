"""headlines (article.kind, article.publisher_site); items, resolved, headlines and skips per run

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 03:30:00
"""

import sqlalchemy as sa
from alembic import op

from store.kinds import ArticleKind, one_of

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=10), server_default='article', nullable=False)
        )
        batch_op.add_column(sa.Column('publisher_site', sa.Text(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_article_kind'), one_of('kind', ArticleKind))
    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        for name in ('items', 'resolved', 'headlines'):
            batch_op.add_column(
                sa.Column(name, sa.Integer(), server_default='0', nullable=False)
            )
    op.create_table(
        'crawl_skip',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['run_id'], ['crawl_run.id'], name=op.f('fk_crawl_skip_run_id_crawl_run'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_skip')),
    )
    with op.batch_alter_table('crawl_skip', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crawl_skip_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('crawl_skip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crawl_skip_run_id'))
    op.drop_table('crawl_skip')
    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        for name in ('headlines', 'resolved', 'items'):
            batch_op.drop_column(name)
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_article_kind'), type_='check')
        batch_op.drop_column('publisher_site')
        batch_op.drop_column('kind')
