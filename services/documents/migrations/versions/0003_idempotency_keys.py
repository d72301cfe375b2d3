"""idempotency keys of writes

``idempotency_keys``: for each (caller, ``Idempotency-Key``) of a keyed write
(document upload), the operation, a fingerprint of the request and the answer
it gave, kept in the transaction of the write (see
``parvis_contracts.idempotency``); rows older than the time to live are swept.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 17:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('caller_id', sa.String(length=64), nullable=False),
    sa.Column('idem_key', sa.String(length=128), nullable=False),
    sa.Column('operation', sa.String(length=80), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('result_id', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('caller_id', 'idem_key')
    )
    op.create_index('ix_idempotency_keys_created_at', 'idempotency_keys', ['created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_idempotency_keys_created_at', table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
