"""announcement reminders

``announcement_reminders``: the last reminder of an announcement a manager sent to the
members who had not read it (at most one a day; ``reminded_by`` None once that manager's
account was erased).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 13:35:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('announcement_reminders',
    sa.Column('post_id', sa.String(length=36), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.PrimaryKeyConstraint('post_id')
    )


def downgrade() -> None:
    op.drop_table('announcement_reminders')
