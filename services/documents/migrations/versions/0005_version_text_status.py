"""the text inside each version: its status in the extraction queue

``document_versions.text_status`` (``pending`` until the extraction queue reads the
version, then what became of its text), ``text_reason``, ``text_claimed_at`` and
``text_attempts`` (the queue's claim), and an index on (``text_status``, ``created_at``),
the queue's order. Versions already stored wait in the queue: the latest version of
each document is read after the upgrade (so search learns the text of documents uploaded
before), the older ones are ``skipped`` here (nobody searches an old version).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("text_status", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch_op.add_column(
            sa.Column("text_reason", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("text_claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("text_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_document_versions_text_status", ["text_status", "created_at"], unique=False)
    op.execute(
        "UPDATE document_versions SET text_status = 'skipped', "
        "text_reason = 'stored before text was extracted; not the latest version' "
        "WHERE number < (SELECT documents.version FROM documents "
        "WHERE documents.id = document_versions.document_id)"
    )
    # the models set these on every insert; the database needs no default of its own
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.alter_column("text_status", server_default=None)
        batch_op.alter_column("text_reason", server_default=None)
        batch_op.alter_column("text_attempts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_document_versions_text_status")
        batch_op.drop_column("text_attempts")
        batch_op.drop_column("text_claimed_at")
        batch_op.drop_column("text_reason")
        batch_op.drop_column("text_status")
