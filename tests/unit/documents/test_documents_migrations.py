"""The documents Alembic history builds exactly the tables of the models (SQLite or PostgreSQL)."""

from __future__ import annotations

from services.documents.models import metadata
from tests.support import migrate_and_compare


def test_migrations_match_the_models(tmp_path):
    diff, tables = migrate_and_compare("documents", metadata, tmp_path)
    assert diff == []
    assert {
        "folders",
        "documents",
        "document_versions",
        "pages",
        "page_revisions",
        "page_links",
        "orphan_blobs",
        "communities",
        "memberships",
    } <= tables
