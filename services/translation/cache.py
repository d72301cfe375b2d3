"""The translation cache: one row per (text, pair, engine route, versions), linked to contents.

A failed engine call stores nothing. Each row may be linked to the contents
(kind + id + revision) it was made for; when feed reports a post or comment
edited or deleted, the rows linked to it are dropped. A call for a newer
revision of a content also drops the rows linked to its older revisions (in
case the event is still on its way).

A new link (or a link to a newer revision) is told as ``translation.content_translated``
in the same transaction (the outbox): search indexes the translation, so a query in
one language finds a content written in another.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from parvis_contracts import events as ev

from .models import CachedContent, CachedTranslation


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_key(
    text: str, source: str, target: str, engine: str, engine_version: str, glossary_version: int
) -> str:
    material = json.dumps(
        [text_hash(text), source, target, engine, engine_version, glossary_version], separators=(",", ":")
    )
    return hashlib.sha256(material.encode()).hexdigest()


def lookup(db, key: str) -> CachedTranslation | None:
    return db.execute(select(CachedTranslation).where(CachedTranslation.cache_key == key)).scalar()


def store(
    db,
    key: str,
    now,
    text: str,
    source: str,
    target: str,
    engine: str,
    engine_version: str,
    glossary_version: int,
    translated: str,
) -> CachedTranslation:
    row = CachedTranslation(
        cache_key=key,
        text_hash=text_hash(text),
        source=source,
        target=target,
        engine=engine,
        engine_version=engine_version,
        glossary_version=glossary_version,
        translated=translated,
        created_at=now,
    )
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        # another worker stored the same translation a moment ago
        existing = lookup(db, key)
        if existing is None:
            raise
        return existing
    return row


def link(db, row: CachedTranslation, content: dict | None) -> None:
    if not content:
        return
    kind, content_id, revision = content["kind"], content["id"], content.get("revision")
    if revision is not None:
        stale = select(CachedContent.cache_id).where(
            CachedContent.content_kind == kind,
            CachedContent.content_id == content_id,
            CachedContent.revision < revision,
        )
        stale_ids = [r for (r,) in db.execute(stale) if r != row.id]
        if stale_ids:
            db.execute(delete(CachedTranslation).where(CachedTranslation.id.in_(stale_ids)))
    existing = db.get(CachedContent, (row.id, kind, content_id))
    if existing is None:
        try:
            with db.begin_nested():
                db.add(
                    CachedContent(
                        cache_id=row.id, content_kind=kind, content_id=content_id, revision=revision
                    )
                )
        except IntegrityError:
            return  # another worker linked it a moment ago (and told it)
    elif revision is not None and (existing.revision or -1) < revision:
        existing.revision = revision
    else:
        return
    _tell(db, row, kind, content_id, revision)


def _tell(db, row: CachedTranslation, kind: str, content_id: str, revision: int | None) -> None:
    db.emit(
        ev.TRANSLATION_CONTENT_TRANSLATED,
        {
            "content_kind": kind,
            "content_id": content_id,
            "revision": revision,
            "source": row.source,
            "target": row.target,
            "source_hash": row.text_hash,
            "text": row.translated,
        },
    )


def drop_content(db, kind: str, content_id: str) -> int:
    """Drop every cached translation linked to a content; returns how many."""
    ids = [
        r
        for (r,) in db.execute(
            select(CachedContent.cache_id).where(
                CachedContent.content_kind == kind, CachedContent.content_id == content_id
            )
        )
    ]
    if not ids:
        return 0
    db.execute(delete(CachedContent).where(CachedContent.cache_id.in_(ids)))
    db.execute(delete(CachedTranslation).where(CachedTranslation.id.in_(ids)))
    return len(ids)
