"""What posts and comments share: likes (with their counter), likers, edit history.

Each function takes the row class of the likes or versions (``PostLike`` /
``CommentLike``, ``PostVersion`` / ``CommentVersion``), the counted row (a post or
a comment) and ``key``, the name of the column that points at it (``post_id`` /
``comment_id``). Access has been decided by the caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from parvis_contracts import idempotency
from parvis_contracts import markdown as render
from parvis_contracts.errors import Conflict, not_found

from . import paging


def _counter_update(session, target, delta: int) -> None:
    cls = type(target)
    session.execute(update(cls).where(cls.id == target.id).values(like_count=cls.like_count + delta))


def like(session, like_cls, key: str, target, user_id: str, now: datetime) -> dict:
    """Like ``target`` once (``Conflict`` the second time); the counter moves in SQL."""
    if session.get(like_cls, (target.id, user_id)) is not None:
        raise Conflict(f"You already like this {key.removesuffix('_id')}.")
    session.add(like_cls(**{key: target.id}, user_id=user_id, created_at=now))
    session.flush()
    _counter_update(session, target, +1)
    session.refresh(target)
    item = {key: target.id, "liked": True, "like_count": target.like_count}
    idempotency.record(session, target.id, item)
    session.commit()
    return item


def unlike(session, like_cls, key: str, target, user_id: str) -> dict:
    """Take a like back (``NotFound`` when there is none)."""
    existing = session.get(like_cls, (target.id, user_id))
    if existing is None:
        raise not_found("like")
    session.delete(existing)
    session.flush()
    _counter_update(session, target, -1)
    session.commit()
    session.refresh(target)
    return {key: target.id, "liked": False, "like_count": target.like_count}


def likers(session, like_cls, key: str, target, limit: int, cursor) -> dict:
    """Who liked ``target``, oldest like first, keyset-paged."""
    query, _extra = paging.keyset(
        select(like_cls).where(getattr(like_cls, key) == target.id),
        like_cls.created_at,
        like_cls.user_id,
        limit,
        cursor,
        newest_first=False,
    )
    rows, next_cursor = paging.split(list(session.scalars(query)), limit, lambda r: (r.created_at, r.user_id))
    return {
        "items": [{"user_id": r.user_id, "liked_at": r.created_at} for r in rows],
        "next_cursor": next_cursor,
        "count": target.like_count,
    }


def replace_text(session, version_cls, key: str, target, body: str, editor_id: str, now: datetime) -> None:
    """Keep the current text as a previous version, then put ``body`` in its place."""
    session.add(
        version_cls(
            **{key: target.id},
            version=target.version,
            body=target.body,
            html=target.html,
            created_at=target.edited_at or target.created_at,
            replaced_at=now,
            replaced_by=editor_id,
        )
    )
    target.body, target.html = body, render.to_html(body)
    target.version += 1
    target.edited_at = now


def versions(session, version_cls, key: str, target) -> dict:
    """Every text ``target`` had, oldest first; the last one is the current text."""
    old = session.scalars(
        select(version_cls).where(getattr(version_cls, key) == target.id).order_by(version_cls.version)
    )
    items = [
        {
            "version": v.version,
            "body": v.body,
            "html": v.html,
            "created_at": v.created_at,
            "replaced_at": v.replaced_at,
            "replaced_by": v.replaced_by,
            "current": False,
        }
        for v in old
    ]
    items.append(
        {
            "version": target.version,
            "body": target.body,
            "html": target.html,
            "created_at": target.edited_at or target.created_at,
            "replaced_at": None,
            "replaced_by": None,
            "current": True,
        }
    )
    return {"items": items}
