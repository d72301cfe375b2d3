"""auto_translate on people

A per-person setting: translate posts, comments and pages automatically into
the person's preferred language. Not null with a server default of false, so
existing rows get the setting off without a data migration.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_translate', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('auto_translate')
