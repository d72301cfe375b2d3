"""The translation Alembic history builds exactly the tables of the models (SQLite or PostgreSQL)."""

from __future__ import annotations

from services.translation.models import metadata
from tests.support import migrate_and_compare


def test_migrations_match_the_models(tmp_path):
    diff, tables = migrate_and_compare("translation", metadata, tmp_path)
    assert diff == []
    assert {
        "glossary_terms",
        "glossary_translations",
        "glossary_state",
        "translation_cache",
        "translation_cache_content",
    } <= tables
