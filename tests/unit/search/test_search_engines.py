"""Both engines behind one interface find the same things.

The same corpus and the same queries run on whichever engine the tier's database has
(``PARVIS_TEST_DB=postgresql`` for PostgreSQL): the expected ids below hold for both. With
PostgreSQL, the corpus is also built on SQLite beside it and every query compared.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from parvis_contracts.db import make_engine, session_factory
from parvis_contracts.membership import viewer_of
from services.search import text, visibility
from services.search.engines import Fts5Index, PostgresIndex, index_for
from services.search.models import metadata
from tests.support import FakeClock, build_access_table, use_postgresql

from .conftest import World

#: query -> the ids a member of A finds (A's things, and C's: open)
EXPECTED = {
    "livraison retardée": {"fr-delivery", "fr-page"},
    "livraisons retardees": {"fr-delivery", "fr-page"},
    '"livraisons retardées"': {"fr-delivery", "fr-page"},
    '"retardées livraisons"': set(),
    "livraison -entrepôt": {"fr-page"},
    "hydraulische Bremse": {"de-brakes"},
    "Bremsen": {"de-brakes", "de-answer"},
    "entregas retrasadas": {"es-delivery"},
    "bumper repair": {"en-bumper", "en-answer", "c-bumper", "doc-bumper"},
    "bumper -procedure": {"en-bumper", "en-answer", "c-bumper"},
    '"bumper repair procedure"': {"doc-bumper"},
    "repairing bumpers": {"en-bumper", "en-answer", "c-bumper"},
    "secret bumper": set(),  # B's and S's
    "NEAR bumper": set(),
    "carrosserie": {"fr-page"},
    "الصدام": {"ar-bumper"},
    "ремонт бампера": {"ru-bumper"},
}


def corpus(world: World) -> World:
    world.post("fr-delivery", "Les livraisons retardées de l'entrepôt de Lyon", language="fr")
    world.page(
        "fr-page",
        "Livraison retardée",
        "Que faire quand une **livraison** est retardée ? Voir carrosserie.",
        language="fr",
    )
    world.post("de-brakes", "Die hydraulischen Bremsen quietschen", language="de")
    world.comment("de-answer", "de-brakes", "Bremsen entlüften!", language="de")
    world.post("es-delivery", "Entregas retrasadas en Madrid", language="es")
    world.post("en-bumper", "Bumper repair at the body shop", language="en")
    world.comment("en-answer", "en-bumper", "Repaired bumpers go back on Friday", language="en")
    world.post("c-bumper", "Bumper repairs for everyone", cid="C", language="en")
    world.document("doc-bumper", "Bumper repair procedure.pdf")
    world.post("ar-bumper", "إصلاح الصدام في الورشة", language="ar")  # no stemmer: folded only
    world.post("ru-bumper", "Ремонт бампера в мастерской", language="ru")
    world.post("b-bumper", "Secret bumper repair", cid="B", author=world.manager)
    world.post("s-bumper", "Secret bumper repair", cid="S", author=world.manager)
    return world


@pytest.fixture
def filled(world):
    return corpus(world)


@pytest.mark.parametrize("query", sorted(EXPECTED))
def test_the_engine_finds_the_expected_things(filled, query):
    assert set(filled.found(filled.member, query, limit=100)) == EXPECTED[query]


def test_the_engine_is_the_databases(world, engine):
    expected = {"sqlite": Fts5Index, "postgresql": PostgresIndex}[engine.dialect.name]
    assert type(index_for(world.session())) is expected


@pytest.fixture
def sqlite_beside(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/beside.db")
    metadata.create_all(engine)
    world = World(session_factory(engine, metadata), FakeClock(tick=timedelta(milliseconds=1)))
    world.engine = engine
    yield corpus(build_access_table(world))
    world.close()
    engine.dispose()


@pytest.mark.skipif(
    not use_postgresql(), reason="compares PostgreSQL with SQLite (PARVIS_TEST_DB=postgresql)"
)
def test_postgresql_and_sqlite_give_the_same_results(filled, sqlite_beside):
    assert filled.engine.dialect.name == "postgresql"
    for query in sorted(EXPECTED):
        for actor in ("member", "guest", "employee", "admin", "manager"):
            pg = filled.search(getattr(filled, actor), query, limit=100)["items"]
            lite = sqlite_beside.search(getattr(sqlite_beside, actor), query, limit=100)["items"]
            assert {h["id"] for h in pg} == {h["id"] for h in lite}, (query, actor)
            snippets = {h["id"]: h["snippet"] for h in lite}
            assert all(snippets[h["id"]] == h["snippet"] for h in pg), (query, actor)


@pytest.mark.skipif(not use_postgresql(), reason="PostgreSQL's plan (PARVIS_TEST_DB=postgresql)")
def test_postgresql_matches_through_the_gin_index(filled):
    session = filled.session()
    index = index_for(session)
    reader = visibility.ReadableBy(viewer_of(filled.member))
    statement = index.statement(
        text.parse("bumper repair"),
        reader,
        kinds=None,
        community_id=None,
        language=None,
        cursor=None,
        limit=20,
    )
    compiled = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    with filled.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
    assert "ix_search_items_document" in plan
