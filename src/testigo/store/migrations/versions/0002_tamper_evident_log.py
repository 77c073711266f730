"""tamper-evident log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('log_checkpoints',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('size')
    )
    op.create_table('log_nodes',
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx')
    )
    op.create_table('log_entries',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], ),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_entries_item_id'), ['item_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_entries_item_id'))

    op.drop_table('log_entries')
    op.drop_table('log_nodes')
    op.drop_table('log_checkpoints')
