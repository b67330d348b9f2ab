"""leases with a heartbeat; crawl runs may end `killed`, and count broken links

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 03:30:00

A live crawl holds the lease of its source, the scheduler the lease of the store; a run
whose lease went stale is closed as `killed` by the next crawl or scheduler start.
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BEFORE = ('running', 'ok', 'errors', 'failed', 'stopped', 'timeout')
AFTER = (*BEFORE, 'killed')


def _statuses(values: tuple[str, ...]) -> str:
    return 'status IN ({})'.format(', '.join(f"'{v}'" for v in values))


def _check(values: tuple[str, ...], broken: bool) -> None:
    with op.batch_alter_table('crawl_run', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_crawl_run_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_crawl_run_status'), _statuses(values))
        if broken:
            batch_op.add_column(
                sa.Column('broken', sa.Integer(), nullable=False, server_default='0')
            )
        else:
            batch_op.drop_column('broken')


def upgrade() -> None:
    op.create_table(
        'lease',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=False),
        sa.Column('acquired', sa.DateTime(), nullable=False),
        sa.Column('heartbeat', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_lease')),
    )
    _check(AFTER, broken=True)


def downgrade() -> None:
    # 0006 knows no `killed`: such a run is kept as `failed`, its error text saying why.
    op.execute("UPDATE crawl_run SET status = 'failed' WHERE status = 'killed'")
    _check(BEFORE, broken=False)
    op.drop_table('lease')
