"""versioned membership read model (versions, tombstones, languages); comment mentions

The read model of communities and membership becomes the shared one of
``parvis_contracts.membership``: every row remembers the community version of
the event it applied (older events are ignored), a removed membership stays as
a tombstone (``removed``) so a late, older ``member_added`` cannot bring the
member back, and communities keep their languages. Existing rows get version 0
(what events without a version count as) and are live memberships.

``comment_mentions`` indexes who each comment mentions ("posts that mention me"
lists the post of a comment that mentions me), filled here from the mentions
already stored on the comments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    comment_mentions = op.create_table('comment_mentions',
    sa.Column('comment_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('post_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ),
    sa.PrimaryKeyConstraint('comment_id', 'user_id')
    )
    with op.batch_alter_table('comment_mentions', schema=None) as batch_op:
        batch_op.create_index('ix_comment_mentions_user', ['user_id', 'post_id'], unique=False)
    comments = sa.table('comments', sa.column('id', sa.String), sa.column('post_id', sa.String),
                        sa.column('mentions', sa.JSON),
                        sa.column('created_at', sa.DateTime(timezone=True)))
    rows = [{"comment_id": c.id, "user_id": uid, "post_id": c.post_id,
             "created_at": c.created_at}
            for c in op.get_bind().execute(sa.select(comments))
            for uid in dict.fromkeys(c.mentions or [])]
    if rows:
        op.bulk_insert(comment_mentions, rows)

    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('removed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('comment_mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_mentions_user')
    op.drop_table('comment_mentions')
    op.execute("DELETE FROM memberships WHERE removed")
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('removed')
        batch_op.drop_column('version')
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('languages')
