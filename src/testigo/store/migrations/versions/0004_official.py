"""official results, kept apart from citizen records

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('official_results',
    sa.Column('mesa_id', sa.String(length=64), nullable=False),
    sa.Column('votes', sa.Text(), nullable=False),
    sa.Column('null_votes', sa.Integer(), nullable=True),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_line', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('mesa_id')
    )


def downgrade() -> None:
    op.drop_table('official_results')
