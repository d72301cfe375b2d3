"""e-mail: what a mail may quote of a subject, frequencies, presence, the queue, sent mails

Written from services/notifications/models.py: ``subjects.excerpt``, and the tables of
``mailing`` (``mail_preferences``, ``mail_people``, ``mail_queue``, ``mail_sent``,
``account_mails``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 16:20:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subjects') as batch:
        batch.add_column(sa.Column('excerpt', sa.Text(), nullable=True))
    op.create_table('mail_preferences',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('frequency', sa.String(length=12), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'kind')
    )
    op.create_table('mail_people',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_mail_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_daily_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_weekly_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('mail_queue',
    sa.Column('notification_id', sa.String(length=36), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.Column('frequency', sa.String(length=12), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('notification_id')
    )
    op.create_index('ix_mail_queue_due', 'mail_queue', ['frequency', 'recipient_id'], unique=False)
    op.create_table('mail_sent',
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.Column('frequency', sa.String(length=12), nullable=False),
    sa.Column('notification_ids', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('message_id')
    )
    op.create_index('ix_mail_sent_recipient', 'mail_sent', ['recipient_id'], unique=False)
    op.create_index('ix_mail_sent_state', 'mail_sent', ['state', 'next_attempt_at'], unique=False)
    op.create_table('account_mails',
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('message_id')
    )
    op.create_index(op.f('ix_account_mails_user_id'), 'account_mails', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_account_mails_user_id'), table_name='account_mails')
    op.drop_table('account_mails')
    op.drop_index('ix_mail_sent_state', table_name='mail_sent')
    op.drop_index('ix_mail_sent_recipient', table_name='mail_sent')
    op.drop_table('mail_sent')
    op.drop_index('ix_mail_queue_due', table_name='mail_queue')
    op.drop_table('mail_queue')
    op.drop_table('mail_people')
    op.drop_table('mail_preferences')
    with op.batch_alter_table('subjects') as batch:
        batch.drop_column('excerpt')
