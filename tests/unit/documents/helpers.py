"""Small helpers shared by the documents unit tests."""

from __future__ import annotations

from sqlalchemy import func, select

from services.documents.models import metadata
from tests import support


def snapshot(engine, store=None) -> dict:
    """Row count of every table, the outbox, and the store's blobs and staged objects."""
    counts = {}
    with engine.connect() as conn:
        for name, table in metadata.tables.items():
            if name == "processed_events":
                continue
            counts[name] = conn.execute(select(func.count()).select_from(table)).scalar()
        docs = metadata.tables["documents"]
        counts["document_state"] = sorted(
            tuple(str(v) for v in row)
            for row in conn.execute(
                select(
                    docs.c.id, docs.c.name, docs.c.folder_id, docs.c.version, docs.c.sha256, docs.c.deleted_at
                )
            )
        )
    if store is not None:
        counts["blobs"] = sorted(store.blobs)
        counts["staged"] = sorted(store.staged)
    return counts


def outbox_types(engine) -> list[str]:
    return support.outbox_types(engine, metadata)


def outbox_payloads(engine, event_type: str) -> list[dict]:
    outbox = metadata.tables["outbox"]
    with engine.connect() as conn:
        return [
            r.payload
            for r in conn.execute(
                select(outbox.c.payload).where(outbox.c.event_type == event_type).order_by(outbox.c.id)
            )
        ]
