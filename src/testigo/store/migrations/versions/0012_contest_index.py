"""contest index: a contest's tally reads its own records, not every contest's

An index on (contest, status, center_id): `testigo tally --contest` and the
public results read one contest's accepted records through it (the
President's national tally over 2.5 million records of five contests took
17 s without it), and the per-record center total has three equalities in
it. Building it reads the records once: a minute or so at a million.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_records_contest_status_center', 'records', ['contest', 'status', 'center_id'])


def downgrade() -> None:
    op.drop_index('ix_records_contest_status_center', table_name='records')
