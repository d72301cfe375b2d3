"""document bank (folders, documents, versions, orphan blobs), pages and the membership read model

Written by hand from services/documents/models.py (a frozen snapshot: models are
not imported). The ``communities`` and ``memberships`` tables are those of
``parvis_contracts.membership`` (versioned rows, removal tombstones). Date
columns are plain timezone-aware DateTime columns (the conversion to aware UTC
happens in the model type). Tables are created parents first, dropped children
first.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _when(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


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
        _when('joined_at'),
        sa.Column('version', sa.Integer(), server_default='0', nullable=False),
        sa.Column('removed', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint('community_id', 'user_id'),
    )
    op.create_index('ix_memberships_user', 'memberships', ['user_id', 'community_id'],
                    unique=False)

    op.create_table(
        'folders',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('community_id', sa.String(length=64), nullable=False),
        sa.Column('parent_id', sa.String(length=36), nullable=True),
        sa.Column('parent_key', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        _when('created_at'),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['parent_id'], ['folders.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('community_id', 'parent_key', 'name_key', name='uq_folders_name'),
    )
    op.create_index('ix_folders_community_id', 'folders', ['community_id'], unique=False)

    op.create_table(
        'documents',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('community_id', sa.String(length=64), nullable=False),
        sa.Column('folder_id', sa.String(length=36), nullable=True),
        sa.Column('folder_key', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('live_key', sa.String(length=200), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content_type', sa.String(length=120), nullable=False),
        _when('created_at'),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        _when('updated_at'),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        _when('deleted_at', nullable=True),
        sa.Column('deleted_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['folder_id'], ['folders.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('community_id', 'folder_key', 'live_key', name='uq_documents_name'),
    )
    op.create_index('ix_documents_deleted', 'documents', ['deleted_at'], unique=False)
    op.create_index('ix_documents_folder', 'documents',
                    ['community_id', 'folder_key', 'name_key'], unique=False)

    op.create_table(
        'document_versions',
        sa.Column('document_id', sa.String(length=36), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content_type', sa.String(length=120), nullable=False),
        sa.Column('inline', sa.Boolean(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('comment', sa.String(length=1000), nullable=False),
        sa.Column('author_id', sa.String(length=64), nullable=False),
        _when('created_at'),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id', 'number'),
    )
    op.create_index('ix_document_versions_sha256', 'document_versions', ['sha256'],
                    unique=False)

    op.create_table(
        'orphan_blobs',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        _when('first_seen_at'),
        sa.PrimaryKeyConstraint('sha256'),
    )

    op.create_table(
        'pages',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('community_id', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('title_key', sa.String(length=200), nullable=False),
        sa.Column('live_key', sa.String(length=200), nullable=True),
        sa.Column('slug', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        _when('created_at'),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        _when('updated_at'),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        _when('deleted_at', nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('community_id', 'live_key', name='uq_pages_title'),
    )
    op.create_index('ix_pages_community_title', 'pages', ['community_id', 'title_key'],
                    unique=False)
    op.create_table(
        'page_revisions',
        sa.Column('page_id', sa.String(length=36), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('comment', sa.String(length=1000), nullable=False),
        sa.Column('author_id', sa.String(length=64), nullable=False),
        _when('created_at'),
        sa.ForeignKeyConstraint(['page_id'], ['pages.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('page_id', 'number'),
    )
    op.create_table(
        'page_links',
        sa.Column('page_id', sa.String(length=36), nullable=False),
        sa.Column('target_key', sa.String(length=200), nullable=False),
        sa.Column('community_id', sa.String(length=64), nullable=False),
        sa.Column('target_title', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['page_id'], ['pages.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('page_id', 'target_key'),
    )
    op.create_index('ix_page_links_target', 'page_links', ['community_id', 'target_key'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_page_links_target', table_name='page_links')
    op.drop_table('page_links')
    op.drop_table('page_revisions')
    op.drop_index('ix_pages_community_title', table_name='pages')
    op.drop_table('pages')
    op.drop_table('orphan_blobs')
    op.drop_index('ix_document_versions_sha256', table_name='document_versions')
    op.drop_table('document_versions')
    op.drop_index('ix_documents_folder', table_name='documents')
    op.drop_index('ix_documents_deleted', table_name='documents')
    op.drop_table('documents')
    op.drop_index('ix_folders_community_id', table_name='folders')
    op.drop_table('folders')
    op.drop_index('ix_memberships_user', table_name='memberships')
    op.drop_table('memberships')
    op.drop_table('communities')
