"""Small helpers shared by the feed unit tests."""

from __future__ import annotations

from sqlalchemy import func, select

from services.feed.models import metadata
from tests import support


def snapshot(engine) -> dict:
    """Row count of every table, and the outbox's content: "changes nothing" is equality."""
    counts = {}
    with engine.connect() as conn:
        for name, table in metadata.tables.items():
            if name == "processed_events":
                continue
            counts[name] = conn.execute(select(func.count()).select_from(table)).scalar()
        posts = metadata.tables["posts"]
        counts["post_state"] = sorted(
            tuple(row)
            for row in conn.execute(
                select(
                    posts.c.id,
                    posts.c.body,
                    posts.c.version,
                    posts.c.like_count,
                    posts.c.comment_count,
                    posts.c.deleted_at,
                    posts.c.hidden,
                )
            )
        )
    return counts


def outbox_types(engine) -> list[str]:
    return support.outbox_types(engine, metadata)


def outbox_events(engine) -> list[tuple[str, dict]]:
    """``(source.event_type, payload)`` of every outbox row, in order."""
    outbox = metadata.tables["outbox"]
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.source, outbox.c.event_type, outbox.c.payload).order_by(outbox.c.id)
        )
        return [(f"{r.source}.{r.event_type}", r.payload) for r in rows]


def ids(page) -> list[str]:
    return [item["id"] for item in page["items"]]
