"""profile photo reference on people

Reviewed after autogenerate: two nullable columns, so existing rows need no
default; batch mode recreates the table on SQLite and is a plain ALTER TABLE
on PostgreSQL. Only the reference (SHA-256 and content type) is stored; the
bytes live in the gateway's blob store.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:51:33.561151
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('photo_content_type', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('photo_content_type')
        batch_op.drop_column('photo_sha256')

