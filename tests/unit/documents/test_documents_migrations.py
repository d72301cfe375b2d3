"""The Alembic history builds exactly the tables of the models (SQLite or PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from parvis_contracts.db import make_engine
from parvis_contracts.migrations import upgrade
from services.documents.models import metadata
from tests.support import Databases, use_postgresql


def test_migrations_match_the_models(tmp_path):
    dbs = Databases(tmp_path)
    url = dbs.url("documents") if use_postgresql() else f"sqlite:///{tmp_path}/docs-mig.db"
    try:
        upgrade("documents", url)
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), metadata)
                tables = set(inspect(conn).get_table_names())
        finally:
            engine.dispose()
    finally:
        dbs.drop_all()
    assert diff == []
    assert {"folders", "documents", "document_versions", "pages", "page_revisions",
            "page_links", "orphan_blobs", "communities", "memberships"} <= tables
