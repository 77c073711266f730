"""witness protection: who fetched which original, known login devices, sheets set aside, corrected entries

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('original_fetches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('blob_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('original_fetches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_original_fetches_blob_sha256'), ['blob_sha256'], unique=False)
    op.create_table('known_devices',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device_sha256', sa.String(length=64), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'device_sha256')
    )
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('undone_by', sa.Integer(), nullable=True))
    with op.batch_alter_table('manual_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('manual_entries', schema=None) as batch_op:
        batch_op.drop_column('revised_at')
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.drop_column('undone_by')
        batch_op.drop_column('undone_at')
    op.drop_table('known_devices')
    with op.batch_alter_table('original_fetches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_original_fetches_blob_sha256'))
    op.drop_table('original_fetches')
