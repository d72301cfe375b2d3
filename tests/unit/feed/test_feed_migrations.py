"""The Alembic history builds exactly the tables of the models (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import inspect

from parvis_contracts.db import make_engine
from parvis_contracts.migrations import upgrade
from services.feed.models import metadata
from tests.support import Databases, migrate_and_compare, use_postgresql


def test_migrations_match_the_models(tmp_path):
    diff, tables = migrate_and_compare("feed", metadata, tmp_path)
    assert diff == []
    assert {"posts", "comments", "post_likes", "memberships", "communities", "comment_mentions"} <= tables


def test_0003_keeps_existing_rows_and_indexes_existing_comment_mentions(tmp_path):
    from datetime import datetime, timezone

    from sqlalchemy import JSON, Boolean, DateTime, column, insert, select, table

    dbs = Databases(tmp_path)
    url = dbs.url("feed") if use_postgresql() else f"sqlite:///{tmp_path}/feed-0003.db"
    at = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    try:
        upgrade("feed", url, "0002")
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    insert(
                        table(
                            "memberships",
                            column("community_id"),
                            column("user_id"),
                            column("role"),
                            column("guest"),
                            column("joined_at", DateTime(timezone=True)),
                        )
                    ),
                    {"community_id": "A", "user_id": "u1", "role": "member", "guest": False, "joined_at": at},
                )
                posts = table(
                    "posts",
                    *[
                        column(n)
                        for n in (
                            "id",
                            "community_id",
                            "author_id",
                            "kind",
                            "body",
                            "html",
                            "version",
                            "hidden",
                            "like_count",
                            "comment_count",
                            "read_count",
                        )
                    ],
                    column("mentions", JSON),
                    column("hashtags", JSON),
                    column("created_at", DateTime(timezone=True)),
                )
                conn.execute(
                    insert(posts),
                    {
                        "id": "p1",
                        "community_id": "A",
                        "author_id": "u1",
                        "kind": "message",
                        "body": "b",
                        "html": "b",
                        "version": 1,
                        "hidden": False,
                        "like_count": 0,
                        "comment_count": 1,
                        "read_count": 0,
                        "mentions": [],
                        "hashtags": [],
                        "created_at": at,
                    },
                )
                comments = table(
                    "comments",
                    *[
                        column(n)
                        for n in (
                            "id",
                            "post_id",
                            "community_id",
                            "author_id",
                            "body",
                            "html",
                            "version",
                            "like_count",
                        )
                    ],
                    column("hidden", Boolean),
                    column("mentions", JSON),
                    column("created_at", DateTime(timezone=True)),
                )
                conn.execute(
                    insert(comments),
                    {
                        "id": "c1",
                        "post_id": "p1",
                        "community_id": "A",
                        "author_id": "u1",
                        "body": "hi",
                        "html": "hi",
                        "version": 1,
                        "like_count": 0,
                        "hidden": False,
                        "mentions": ["u2", "u3", "u2"],
                        "created_at": at,
                    },
                )
            upgrade("feed", url)
            with engine.connect() as conn:
                indexed = conn.execute(
                    select(column("comment_id"), column("user_id"), column("post_id"))
                    .select_from(table("comment_mentions"))
                    .order_by(column("user_id"))
                ).all()
                member = conn.execute(
                    select(column("version"), column("removed", Boolean)).select_from(table("memberships"))
                ).one()
                community_cols = {c["name"] for c in inspect(conn).get_columns("communities")}
        finally:
            engine.dispose()
    finally:
        dbs.drop_all()
    assert [tuple(r) for r in indexed] == [("c1", "u2", "p1"), ("c1", "u3", "p1")]
    assert (member.version, bool(member.removed)) == (0, False)
    assert {"version", "languages"} <= community_cols
