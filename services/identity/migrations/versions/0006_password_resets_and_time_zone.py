"""password resets, their throttling, and a time zone on people

``password_resets``: one reset link each, keeping only the SHA-256 of its token, its
person, when it was made, when it expires (30 minutes later) and when it was used (or
made void). ``password_reset_requests``: the requests of the last day, for throttling per
address (its key's hash, never the address) and per IP. ``people.time_zone``: an IANA
time zone name, nullable (none: UTC), so existing rows need no data migration.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))

    op.create_table(
        'password_resets',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_person_id'), ['person_id'], unique=False)

    op.create_table(
        'password_reset_requests',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('email_hash', sa.String(length=64), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('accepted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('password_reset_requests', schema=None) as batch_op:
        batch_op.create_index('ix_password_reset_requests_email_at', ['email_hash', 'at'], unique=False)
        batch_op.create_index('ix_password_reset_requests_ip_at', ['ip', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('password_reset_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_password_reset_requests_ip_at')
        batch_op.drop_index('ix_password_reset_requests_email_at')
    op.drop_table('password_reset_requests')
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_person_id'))
    op.drop_table('password_resets')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
