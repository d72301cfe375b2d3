"""The Alembic history builds exactly the tables of the models (SQLite or PostgreSQL), and
the engine's own objects, which the metadata does not hold: an index built by migrations
finds what an index built by ``create_all`` finds, and downgrading leaves nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect

import services.search
from parvis_contracts.db import make_engine, session_factory
from parvis_contracts.membership import Viewer
from services.search import text, visibility
from services.search.engines import Item, index_for
from services.search.models import FTS_TABLE, MEMBERSHIP, metadata
from tests.support import Databases

MIGRATIONS = Path(services.search.__file__).resolve().parent / "migrations"
ENGINE_INDEX = "ix_search_items_document"


def engine_objects(name, type_, parent_names) -> bool:
    """What compare_metadata may look at: not the engine's objects (not in the metadata)."""
    return not (
        (type_ == "table" and name.startswith(FTS_TABLE)) or (type_ == "index" and name == ENGINE_INDEX)
    )


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def test_migrations_build_the_models_and_the_engine(tmp_path):
    dbs = Databases(tmp_path)
    url = dbs.url("search")
    engine = None
    try:
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": engine_objects})
            assert compare_metadata(context, metadata) == []
            if engine.dialect.name == "sqlite":
                made = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master").all()}
                assert {
                    FTS_TABLE,
                    "search_items_fts_insert",
                    "search_items_fts_delete",
                    "search_items_fts_update",
                } <= made
            else:
                indexes = {i["name"] for i in inspect(conn).get_indexes("search_items")}
                assert ENGINE_INDEX in indexes

        # the migrated engine works: index and find
        now = datetime(2026, 6, 1, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(
                insert(MEMBERSHIP.communities).values(
                    id="C",
                    name="C",
                    kind="team",
                    visibility="open",
                    archived=False,
                    newcomers_see_history=True,
                    languages=[],
                    version=1,
                )
            )
        session = session_factory(engine, metadata)()
        index = index_for(session)
        index.upsert(Item("post", "p1", "C", "p-1", now, now, body="Livraisons retardées", language="fr"))
        index.upsert(
            Item("post", "p1", "C", "p-1", now, now, body="Livraisons annulées", language="fr", revision=2)
        )
        session.commit()
        reader = visibility.ReadableBy(Viewer(id="p-2", guest=False, admin=False))
        assert [h.id for h in index.search(text.parse("livraison annulee"), reader).hits] == ["p1"]
        assert index.search(text.parse("retardee"), reader).hits == []
        session.close()

        command.downgrade(alembic_config(url), "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    finally:
        if engine is not None:
            engine.dispose()
        dbs.drop_all()
