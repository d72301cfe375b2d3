"""The identity Alembic history builds exactly the tables of the models (SQLite or PostgreSQL)."""

from __future__ import annotations

from services.identity.models import metadata
from tests.support import migrate_and_compare


def test_migrations_match_the_models(tmp_path):
    diff, tables = migrate_and_compare("identity", metadata, tmp_path)
    assert diff == []
    assert {"people", "organisations"} <= tables
