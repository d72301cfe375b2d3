"""stated language of posts and comments; document attachments of posts

``language`` (ISO 639-1, null when the author did not say) on posts and
comments; ``attachments`` on posts: the snapshots of the attached documents
(``[{id, name, content_type, size}]``), an empty list for existing posts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=False,
                                      server_default='[]'))
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('attachments')
        batch_op.drop_column('language')
