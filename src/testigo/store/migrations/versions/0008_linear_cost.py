"""linear cost: each record carries its mesa's center, indexed with its status

Every settled sheet and imported row totals the accepted votes of its center
(`testigo.store.records.center_votes_elsewhere`). Through a join with `mesas`
SQLite, lacking fresh statistics, drove that query from the index on record
status and read every accepted record each time, so import and ingest slowed
down quadratically (the 95,000-station Russian 2011 table did not finish in
11 minutes). With the center on the record the query is one range of
ix_records_center_status, whatever the planner knows.

The column is added nullable (a plain ALTER TABLE ... ADD COLUMN, no table
copy on SQLite) and filled from `mesas` in one statement, so a workspace made
before this migration upgrades in place.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('records', sa.Column('center_id', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE records SET center_id = (SELECT mesas.center_id FROM mesas WHERE mesas.id = records.mesa_id)"
    )
    op.create_index('ix_records_center_status', 'records', ['center_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_records_center_status', table_name='records')
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('center_id')
