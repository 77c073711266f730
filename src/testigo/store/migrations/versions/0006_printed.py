"""printed: what the print of each sheet said, checked against its QR code or read alone

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'printed',
        sa.Column('item_id', sa.Integer(), sa.ForeignKey('items.id'), primary_key=True),
        sa.Column('layout', sa.String(64), nullable=False),
        sa.Column('outcome', sa.String(16), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
        sa.Column('scores', sa.Text(), nullable=False),
        sa.Column('quads', sa.Text(), nullable=False),
        sa.Column('model', sa.String(64), nullable=False),
        sa.Column('differing', sa.Text(), nullable=False),
    )
    op.create_index('ix_printed_outcome', 'printed', ['outcome'])


def downgrade() -> None:
    op.drop_index('ix_printed_outcome', table_name='printed')
    op.drop_table('printed')
