"""known sheets: reviewers' entries of sheets whose figures are known, to measure them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('known_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('set_aside_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mesa_id', sa.String(length=64), nullable=True),
    sa.Column('counts', sa.Text(), nullable=True),
    sa.Column('null_votes', sa.Integer(), nullable=True),
    sa.Column('figures', sa.Integer(), nullable=True),
    sa.Column('figures_right', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'reviewer_id', name='uq_known_entries_item_reviewer')
    )
    with op.batch_alter_table('known_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_entries_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_known_entries_reviewer_id'), ['reviewer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('known_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_entries_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_known_entries_item_id'))
    op.drop_table('known_entries')
