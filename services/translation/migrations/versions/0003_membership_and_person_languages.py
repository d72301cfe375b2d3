"""read models for pre-translation: communities, memberships, person_languages

``communities`` and ``memberships`` are the shared read model of
parvis_contracts.membership (versioned, removed members kept as tombstones),
written out here as a frozen snapshot; ``person_languages`` holds each
person's preferred language from the identity events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'communities',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('visibility', sa.String(length=10), nullable=False),
        sa.Column('archived', sa.Boolean(), nullable=False),
        sa.Column('newcomers_see_history', sa.Boolean(), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'memberships',
        sa.Column('community_id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('guest', sa.Boolean(), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), server_default='0', nullable=False),
        sa.Column('removed', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint('community_id', 'user_id'),
    )
    op.create_index('ix_memberships_user', 'memberships', ['user_id', 'community_id'],
                    unique=False)
    op.create_table(
        'person_languages',
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('preferred_language', sa.String(length=8), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade() -> None:
    op.drop_table('person_languages')
    op.drop_index('ix_memberships_user', table_name='memberships')
    op.drop_table('memberships')
    op.drop_table('communities')
