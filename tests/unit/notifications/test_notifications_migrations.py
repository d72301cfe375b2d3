"""The Alembic history builds exactly the tables of the models (SQLite or PostgreSQL)."""

from __future__ import annotations

from services.notifications.models import metadata
from tests.support import migrate_and_compare


def test_migrations_match_the_models(tmp_path):
    diff, tables = migrate_and_compare("notifications", metadata, tmp_path)
    assert diff == []
    mail = {"mail_queue", "mail_sent", "mail_preferences", "mail_people", "account_mails"}
    assert {"notifications", "subjects", *mail} <= tables
