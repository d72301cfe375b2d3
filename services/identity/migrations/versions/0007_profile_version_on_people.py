"""profile_version on people

The version of a person's searchable profile, incremented each time identity publishes
``identity.profile_changed`` (the search service keeps the newest). Not null with a server
default of 0, so existing rows need no data migration.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('profile_version')
