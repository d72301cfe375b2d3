"""community version: incremented at every change of a community or its membership

Every community_* and member_* event carries it, so the read models of other
services (feed, documents, translation) can ignore events that arrive late.
Existing communities start at 0, the version old events without one count as.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('version')
