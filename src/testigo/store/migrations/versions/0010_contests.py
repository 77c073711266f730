"""contests: a sheet may carry several contests, one record each

A Brazilian boletim de urna holds every contest of its section (President,
Governor, Senator, deputies...). Each becomes a record of its own, named by
`records.contest` (``""`` for a one-contest format, which is every record
made before this migration), and one record may be accepted per mesa *and
contest*. One record per mesa and content stays unique as before: the
payload of a contest's record names its contest.

`waiting_codes` keeps the codes of a sheet printed over several (a BU's
parts) until its last part arrives, in this upload or a later one.

A plain ADD COLUMN with a default and an index swapped: no table copy, so a
workspace of a million records upgrades in seconds, in place.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_ACCEPTED = sa.text("status = 'accepted'")


def upgrade() -> None:
    op.create_table(
        'waiting_codes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sha256'),
    )
    op.add_column('records', sa.Column('contest', sa.String(length=64), server_default='', nullable=False))
    op.drop_index('uq_records_one_accepted_per_mesa', table_name='records')
    op.create_index(
        'uq_records_one_accepted_per_mesa_contest',
        'records',
        ['mesa_id', 'contest'],
        unique=True,
        sqlite_where=_ACCEPTED,
        postgresql_where=_ACCEPTED,
    )


def downgrade() -> None:
    """Back to one contest per mesa: refused (by the restored index) while a mesa has two accepted contests."""
    op.drop_index('uq_records_one_accepted_per_mesa_contest', table_name='records')
    op.create_index(
        'uq_records_one_accepted_per_mesa',
        'records',
        ['mesa_id'],
        unique=True,
        sqlite_where=_ACCEPTED,
        postgresql_where=_ACCEPTED,
    )
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('contest')
    op.drop_table('waiting_codes')
