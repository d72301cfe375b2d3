"""Lists of posts: home timeline, community wall, a hashtag's posts, posts mentioning me.

Every list is one SELECT with the access rules in its WHERE clause (membership,
open communities for employees, the newcomers' date), keyset-paged on
(created_at, id) newest first, then two batched look-ups (my likes, my
announcement reads): a page costs the same number of statements whatever it
holds.

A page costs the same whatever the table's size or the page's depth (measured at
1M posts in docs/performance.md, "The timeline at 1M posts on PostgreSQL"):

* a cursor also bounds ``created_at <= the cursor's`` (:func:`_keyset`): the
  ``(created_at < t OR (created_at = t AND id < i))`` of the keyset is only a filter
  to both databases, so without the bound a deep page is a scan of every newer row
  (PostgreSQL) or a sort of all of them (SQLite's OR plan);
* the home timeline reads each of my communities' newest posts on the
  ``(community_id, created_at, id)`` index, at most a page from each, and keeps the
  newest page of those: on PostgreSQL a ``LATERAL`` subquery per membership
  (:func:`_home_query`); SQLite, which has no ``LATERAL``, runs the plain join that
  way by itself (memberships first, each community's posts in index order, the
  ``ORDER BY ... LIMIT`` sorter stopping each community's scan once it cannot place a
  row). PostgreSQL would otherwise walk the global ``(created_at, id)`` index and
  drop the posts of other communities: fast for a member of many busy communities,
  but a scan of the whole table for a member of a quiet one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select, true, union_all
from sqlalchemy.orm import aliased

from parvis_contracts.errors import ValidationFailed

from . import paging, views
from .access import Viewer, community_access
from .models import (
    MEMBERSHIP,
    AnnouncementRead,
    Comment,
    CommentMention,
    Community,
    LastVisit,
    Membership,
    Post,
    PostHashtag,
    PostMention,
)


def _live():
    """Neither deleted nor hidden by a moderator."""
    return Post.deleted_at.is_(None), Post.hidden.is_(False)


def _base(viewer: Viewer, member_only: bool = False):
    """Posts the viewer may read (the rules of ``parvis_contracts.membership`` in SQL)."""
    mine = MEMBERSHIP.viewer_membership(viewer, Post.community_id)
    query = select(Post, Community.name).join(Community, Community.id == Post.community_id)
    query = query.join(Membership, mine) if member_only else query.outerjoin(Membership, mine)
    return query.where(*_live(), MEMBERSHIP.readable(viewer, Post.created_at, member_only=member_only))


def _keyset(query, limit: int, cursor, stamp_col=Post.created_at, id_col=Post.id):
    """``paging.keyset`` newest first, plus ``stamp <= the cursor's stamp`` when paging
    on: the same rows, but a bound an index range scan starts from."""
    query, _ = paging.keyset(query, stamp_col, id_col, limit, cursor, newest_first=True)
    if cursor:
        stamp, _, _ = paging.decode(cursor)
        query = query.where(stamp_col <= stamp)
    return query


def _home_query(session, viewer: Viewer, limit: int, cursor):
    """The home page's rows: (post, community name), newest first, one extra row."""
    if session.get_bind().dialect.name != "postgresql":
        return _keyset(_base(viewer, member_only=True), limit, cursor)
    # per membership, at most limit + 1 of that community's newest readable posts on
    # its index; the communities and memberships rows are the outer query's
    newest = select(Post).where(
        MEMBERSHIP.viewer_membership(viewer, Post.community_id),
        *_live(),
        MEMBERSHIP.readable(viewer, Post.created_at, member_only=True),
    )
    newest = _keyset(newest, limit, cursor).lateral("community_posts")
    post = aliased(Post, newest)
    query = (
        select(post, Community.name)
        .select_from(Community)
        .join(Membership, MEMBERSHIP.viewer_membership(viewer, Community.id))
        .join(newest, true())
    )
    return _keyset(query, limit, None, post.created_at, post.id)


def _page(session, viewer, query, limit, since=None, with_new=False):
    """Run a query made by :func:`_keyset`: the page's items and the next cursor."""
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
    page = _home_query(session, viewer, limit, cursor)
    items, next_cursor = _page(session, viewer, page, limit, since=since, with_new=True)
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
    items, next_cursor = _page(session, viewer, _keyset(query, limit, cursor), limit)
    return {"items": items, "next_cursor": next_cursor}


def hashtag(session, viewer: Viewer, tag: str, limit: int, cursor) -> dict:
    query = _base(viewer).join(PostHashtag, and_(PostHashtag.post_id == Post.id, PostHashtag.tag == tag))
    items, next_cursor = _page(session, viewer, _keyset(query, limit, cursor), limit)
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


def unread_announcements(session, viewer: Viewer, community_id, limit: int) -> dict:
    """The must-read announcements of my communities (or of one of them) that I have not
    acknowledged yet, newest first: pinned at the top of home and of the wall until read.
    An announcement of my own is not mine to acknowledge. Members only: the others read
    the wall, they are not asked to acknowledge it."""
    query = _base(viewer, member_only=True).where(
        Post.kind == "announcement",
        Post.author_id != viewer.id,
        ~select(AnnouncementRead.post_id)
        .where(AnnouncementRead.post_id == Post.id, AnnouncementRead.user_id == viewer.id)
        .exists(),
    )
    if community_id is not None:
        community_access(session, viewer, community_id)
        query = query.where(Post.community_id == community_id)
    items, _next = _page(session, viewer, _keyset(query, limit, None), limit)
    return {"items": items, "next_cursor": None}


def by_author(session, viewer: Viewer, author_id: str, limit: int, cursor) -> dict:
    """A person's posts that I may read (their profile's recent activity), newest first."""
    query = _base(viewer).where(Post.author_id == author_id)
    items, next_cursor = _page(session, viewer, _keyset(query, limit, cursor), limit)
    return {"items": items, "next_cursor": next_cursor}
