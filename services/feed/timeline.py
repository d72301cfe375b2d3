"""Lists of posts: home timeline, community wall, a hashtag's posts, posts mentioning me.

Every list is one SELECT with the access rules in its WHERE clause (membership,
open communities for employees, the newcomers' date), keyset-paged on
(created_at, id) newest first, then two batched look-ups (my likes, my
announcement reads): a page costs the same number of statements whatever it
holds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select, union_all

from parvis_contracts.errors import ValidationFailed

from . import paging, views
from .access import Viewer, community_access
from .models import (
    MEMBERSHIP,
    Comment,
    CommentMention,
    Community,
    LastVisit,
    Membership,
    Post,
    PostHashtag,
    PostMention,
)


def _base(viewer: Viewer, member_only: bool = False):
    """Posts the viewer may read (the rules of ``parvis_contracts.membership`` in SQL)."""
    mine = MEMBERSHIP.viewer_membership(viewer, Post.community_id)
    query = select(Post, Community.name).join(Community, Community.id == Post.community_id)
    query = query.join(Membership, mine) if member_only else query.outerjoin(Membership, mine)
    return query.where(
        Post.deleted_at.is_(None),
        Post.hidden.is_(False),
        MEMBERSHIP.readable(viewer, Post.created_at, member_only=member_only),
    )


def _page(session, viewer, query, limit, cursor, since=None, with_new=False):
    query, extra = paging.keyset(query, Post.created_at, Post.id, limit, cursor, newest_first=True)
    rows = list(session.execute(query))
    extra_out = [since.isoformat() if since else None] if with_new else []
    rows, next_cursor = paging.split(rows, limit, lambda r: (r[0].created_at, r[0].id), *extra_out)
    return views.post_items(session, viewer.id, rows, since=since, with_new=with_new), next_cursor


def _since(cursor: str):
    """The previous visit a home cursor carries (None: the first visit ever)."""
    _, _, extra = paging.decode(cursor)
    try:
        since = datetime.fromisoformat(extra[0]) if extra and extra[0] else None
        if since is not None and since.tzinfo is None:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationFailed(
            "The request is not valid.", {"cursor": ["This cursor is not one the feed gave."]}
        ) from None
    return since


def home(session, viewer: Viewer, now: datetime, limit: int, cursor) -> dict:
    """Newest posts of every community I belong to; the first page records my visit."""
    query = _base(viewer, member_only=True)
    if cursor:
        since = _since(cursor)
        new_count = None
        last_visit_at = since
    else:
        visit = session.get(LastVisit, viewer.id)
        since = visit.visited_at if visit else None
        count_query = (
            select(func.count()).select_from(query.subquery())
            if since is None
            else select(func.count()).select_from(query.where(Post.created_at > since).subquery())
        )
        new_count = session.scalar(count_query)
        last_visit_at = since
        if visit is None:
            session.add(LastVisit(user_id=viewer.id, visited_at=now))
        else:
            visit.visited_at = now
    items, next_cursor = _page(session, viewer, query, limit, cursor, since=since, with_new=True)
    session.commit()
    return {
        "items": items,
        "next_cursor": next_cursor,
        "last_visit_at": last_visit_at,
        "new_count": new_count,
    }


def wall(session, viewer: Viewer, community_id: str, kind, unanswered: bool, limit: int, cursor) -> dict:
    community_access(session, viewer, community_id)
    query = _base(viewer).where(Post.community_id == community_id)
    if kind:
        query = query.where(Post.kind == kind)
    if unanswered:
        query = query.where(Post.kind == "question", Post.accepted_comment_id.is_(None))
    items, next_cursor = _page(session, viewer, query, limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


def hashtag(session, viewer: Viewer, tag: str, limit: int, cursor) -> dict:
    query = _base(viewer).join(PostHashtag, and_(PostHashtag.post_id == Post.id, PostHashtag.tag == tag))
    items, next_cursor = _page(session, viewer, query, limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


def mentioning_me(session, viewer: Viewer, limit: int, cursor) -> dict:
    """Posts that mention me, in the post itself or in one of its live comments, the
    post I was most recently mentioned about first (keyset on that time, post id)."""
    in_posts = select(PostMention.post_id.label("post_id"), PostMention.created_at.label("at")).where(
        PostMention.user_id == viewer.id
    )
    in_comments = (
        select(CommentMention.post_id, Comment.created_at)
        .join(Comment, Comment.id == CommentMention.comment_id)
        .where(CommentMention.user_id == viewer.id, Comment.deleted_at.is_(None), Comment.hidden.is_(False))
    )
    both = union_all(in_posts, in_comments).subquery()
    latest = select(both.c.post_id, func.max(both.c.at).label("at")).group_by(both.c.post_id).subquery()
    query = _base(viewer).join(latest, latest.c.post_id == Post.id).add_columns(latest.c.at)
    query, _extra = paging.keyset(query, latest.c.at, Post.id, limit, cursor, newest_first=True)
    rows, next_cursor = paging.split(list(session.execute(query)), limit, lambda r: (r[2], r[0].id))
    items = views.post_items(session, viewer.id, [(post, name) for post, name, _ in rows])
    return {"items": items, "next_cursor": next_cursor}
