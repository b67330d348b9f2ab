"""closed vocabularies as CHECK constraints; flag.digest_id a foreign key

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 03:10:00
"""

from alembic import op

from store.kinds import (
    ChannelName,
    DeliveryStatus,
    FlagKind,
    FlagState,
    Qualifier,
    ReviewDecision,
    ReviewState,
    RunStatus,
    SourceKind,
    Unit,
    one_of,
)

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# table -> (column, vocabulary) pairs; the constraint is named ck_<table>_<column>
CHECKS = {
    'source': [('kind', SourceKind)],
    'article': [('review_state', ReviewState)],
    'crawl_run': [('status', RunStatus)],
    'figure_mention': [('qualifier', Qualifier), ('unit', Unit)],
    'flag': [('kind', FlagKind), ('state', FlagState)],
    'flag_review': [('state', ReviewDecision)],
    'delivery': [('channel', ChannelName), ('status', DeliveryStatus)],
}


def upgrade() -> None:
    # SQLite rebuilds each table; Store.upgrade turns foreign keys off around it so that
    # dropping the old table cascades to nothing, and checks them before committing.
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, vocabulary in checks:
                batch_op.create_check_constraint(
                    op.f(f'ck_{table}_{column}'), one_of(column, vocabulary)
                )
            if table == 'flag':
                batch_op.create_index(batch_op.f('ix_flag_digest_id'), ['digest_id'], unique=False)
                batch_op.create_foreign_key(
                    batch_op.f('fk_flag_digest_id_digest'),
                    'digest',
                    ['digest_id'],
                    ['id'],
                    ondelete='SET NULL',
                )


def downgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'flag':
                batch_op.drop_constraint(batch_op.f('fk_flag_digest_id_digest'), type_='foreignkey')
                batch_op.drop_index(batch_op.f('ix_flag_digest_id'))
            for column, _vocabulary in checks:
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')
