"""request id of outbox rows

``outbox.request_id``: the request id of the worker that emitted the event
(``parvis_contracts.logs``); the relay sends it as the ``nameko.parvis.request_id``
message header, outside the signed envelope. Nullable: rows written before it
have none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('request_id')
