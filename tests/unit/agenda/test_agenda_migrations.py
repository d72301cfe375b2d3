"""The Alembic history builds exactly the tables of the models (SQLite or PostgreSQL)."""

from __future__ import annotations

from services.agenda.models import metadata
from tests.support import migrate_and_compare


def test_migrations_match_the_models(tmp_path):
    diff, tables = migrate_and_compare("agenda", metadata, tmp_path)
    assert diff == []
    assert {
        "events",
        "event_occurrences",
        "event_sessions",
        "event_organisers",
        "event_invitations",
        "event_rsvps",
        "calendar_feeds",
        "communities",
        "memberships",
    } <= tables
