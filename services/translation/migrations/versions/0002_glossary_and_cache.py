"""glossary and translation cache

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'glossary_terms',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('term', sa.String(length=200), nullable=False),
        sa.Column('term_key', sa.String(length=200), nullable=False),
        sa.Column('source_language', sa.String(length=8), nullable=False),
        sa.Column('case_sensitive', sa.Boolean(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('term_key', 'source_language', name='uq_glossary_terms_key_source'),
    )
    op.create_table(
        'glossary_translations',
        sa.Column('term_id', sa.String(length=36), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('translation', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['term_id'], ['glossary_terms.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('term_id', 'language'),
    )
    op.create_table(
        'glossary_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'translation_cache',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('cache_key', sa.String(length=64), nullable=False),
        sa.Column('text_hash', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('target', sa.String(length=8), nullable=False),
        sa.Column('engine', sa.String(length=120), nullable=False),
        sa.Column('engine_version', sa.String(length=200), nullable=False),
        sa.Column('glossary_version', sa.Integer(), nullable=False),
        sa.Column('translated', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('cache_key'),
    )
    op.create_table(
        'translation_cache_content',
        sa.Column('cache_id', sa.Integer(), nullable=False),
        sa.Column('content_kind', sa.String(length=20), nullable=False),
        sa.Column('content_id', sa.String(length=64), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['cache_id'], ['translation_cache.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('cache_id', 'content_kind', 'content_id'),
    )
    op.create_index('ix_translation_cache_content_kind_id', 'translation_cache_content',
                    ['content_kind', 'content_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_translation_cache_content_kind_id', table_name='translation_cache_content')
    op.drop_table('translation_cache_content')
    op.drop_table('translation_cache')
    op.drop_table('glossary_state')
    op.drop_table('glossary_translations')
    op.drop_table('glossary_terms')
