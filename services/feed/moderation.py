"""Reports: anyone who can read content reports it; the community's managers
(and admins who can read the community) see the queue and hide or restore."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from parvis_contracts import events as ev
from parvis_contracts.errors import Conflict, NotFound, not_found

from . import paging
from .access import Viewer, community_access, post_access
from .comments import comment_access
from .models import Comment, Post, Report


def report(session, viewer: Viewer, now: datetime, target_type: str, target_id: str, reason: str) -> dict:
    if target_type == "post":
        post, access = post_access(session, viewer, target_id)
    else:
        _comment, post, access = comment_access(session, viewer, target_id)
    if access.community.archived:
        access.require_write()
    exists = session.scalar(
        select(Report.id).where(
            Report.target_type == target_type, Report.target_id == target_id, Report.reporter_id == viewer.id
        )
    )
    if exists is not None:
        raise Conflict("You have already reported this.")
    row = Report(
        community_id=post.community_id,
        target_type=target_type,
        target_id=target_id,
        post_id=post.id,
        reporter_id=viewer.id,
        reason=reason.strip(),
        status="open",
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.emit(
        ev.FEED_CONTENT_REPORTED,
        {
            "report_id": row.id,
            "community_id": row.community_id,
            "target_type": target_type,
            "target_id": target_id,
            "post_id": post.id,
            "reporter_id": viewer.id,
        },
    )
    session.commit()
    return item(row, None)


def _target(session, row: Report):
    return session.get(Post if row.target_type == "post" else Comment, row.target_id)


def item(row: Report, target) -> dict:
    return {
        "id": row.id,
        "community_id": row.community_id,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "post_id": row.post_id,
        "reporter_id": row.reporter_id,
        "reason": row.reason,
        "status": row.status,
        "created_at": row.created_at,
        "resolved_by": row.resolved_by,
        "resolved_at": row.resolved_at,
        "target_body": target.body if target is not None else None,
        "target_author_id": target.author_id if target is not None else None,
        "target_hidden": target.hidden if target is not None else None,
    }


def queue(session, viewer: Viewer, community_id: str, status: str, limit: int, cursor) -> dict:
    access = community_access(session, viewer, community_id)
    access.require_moderator()
    query = select(Report).where(Report.community_id == community_id, Report.status == status)
    query, _extra = paging.keyset(query, Report.created_at, Report.id, limit, cursor, newest_first=False)
    rows, next_cursor = paging.split(list(session.scalars(query)), limit, lambda r: (r.created_at, r.id))
    targets = {}
    post_ids = [r.target_id for r in rows if r.target_type == "post"]
    comment_ids = [r.target_id for r in rows if r.target_type == "comment"]
    if post_ids:
        targets.update(
            {("post", p.id): p for p in session.scalars(select(Post).where(Post.id.in_(post_ids)))}
        )
    if comment_ids:
        targets.update(
            {
                ("comment", c.id): c
                for c in session.scalars(select(Comment).where(Comment.id.in_(comment_ids)))
            }
        )
    return {
        "items": [item(r, targets.get((r.target_type, r.target_id))) for r in rows],
        "next_cursor": next_cursor,
    }


def resolve(session, viewer: Viewer, now: datetime, report_id: str, action: str) -> dict:
    row = session.get(Report, report_id)
    if row is None:
        raise not_found("report")
    # a deleted post (or a comment of one) is gone for everyone: 404 before any right is
    # checked (an outsider learns nothing: a live report answers them 404 just below)
    target = _target(session, row)
    post = target if row.target_type == "post" else session.get(Post, row.post_id)
    if target is None or target.deleted_at is not None or post is None or post.deleted_at is not None:
        raise not_found("report")
    try:
        access = community_access(session, viewer, row.community_id)
    except NotFound:
        raise not_found("report") from None
    access.require_moderator()
    if access.community.archived:
        access.require_write()
    hidden = action == "hide"
    changed = bool(target.hidden) != hidden
    target.hidden = hidden
    status = "hidden" if hidden else "restored"
    session.execute(
        update(Report)
        .where(
            Report.target_type == row.target_type, Report.target_id == row.target_id, Report.status == "open"
        )
        .values(status=status, resolved_by=viewer.id, resolved_at=now)
    )
    row.status, row.resolved_by, row.resolved_at = status, viewer.id, now
    if changed:
        moderated = {
            "community_id": row.community_id,
            "target_type": row.target_type,
            "target_id": row.target_id,
            "post_id": row.post_id,
            "by": viewer.id,
        }
        session.emit(ev.FEED_CONTENT_HIDDEN if hidden else ev.FEED_CONTENT_RESTORED, moderated)
    if row.target_type == "comment" and changed:
        delta = -1 if hidden else 1
        session.execute(
            update(Post).where(Post.id == row.post_id).values(comment_count=Post.comment_count + delta)
        )
    session.commit()
    return item(row, target)
