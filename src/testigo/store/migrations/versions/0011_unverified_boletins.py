"""unverified_boletins: BUs counted before their TSE key was added, kept to verify them when it is

A BU whose signing key is missing is counted flagged, never as verified;
its parts wait here so that `testigo keys add` can check its signature
later (`testigo.pipeline.bu_keys`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'unverified_boletins',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('key_name', sa.String(length=128), nullable=False),
        sa.Column('parts', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sha256'),
    )
    op.create_index('ix_unverified_boletins_key_name', 'unverified_boletins', ['key_name'])


def downgrade() -> None:
    op.drop_index('ix_unverified_boletins_key_name', table_name='unverified_boletins')
    op.drop_table('unverified_boletins')
