"""The communities Alembic history builds exactly the tables of the models."""

from __future__ import annotations

from services.communities.models import metadata
from tests.support import migrate_and_compare


def test_migrations_match_the_models(tmp_path):
    diff, tables = migrate_and_compare("communities", metadata, tmp_path)
    assert diff == []
    assert {"communities", "memberships", "invitations", "join_requests"} <= tables
