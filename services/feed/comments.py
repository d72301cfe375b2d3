"""Comments (one level of replies): write, list, edit (with history), delete, like."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from parvis_contracts import events as ev
from parvis_contracts import idempotency
from parvis_contracts import markdown as render
from parvis_contracts.errors import NotFound, ValidationFailed, not_found

from . import paging, reactions, views
from .access import Access, Viewer, post_access
from .models import Comment, CommentLike, CommentMention, CommentVersion, Post
from .posts import Resolve, check_mentions, like_event, require_author_or_moderator, with_resolved_handles


def event_data(comment: Comment) -> dict:
    return {
        "comment_id": comment.id,
        "post_id": comment.post_id,
        "community_id": comment.community_id,
        "author_id": comment.author_id,
        "language": comment.language,
        "mentions": list(comment.mentions or []),
        "community_mentioned": render.mentions_community(comment.body),
        "body": comment.body,
        "revision": comment.version,
    }


def _index_mentions(session, comment: Comment) -> None:
    """Who the comment mentions, for "posts that mention me" (rebuilt at every edit)."""
    session.execute(delete(CommentMention).where(CommentMention.comment_id == comment.id))
    for pid in comment.mentions:
        session.add(
            CommentMention(
                comment_id=comment.id, user_id=pid, post_id=comment.post_id, created_at=comment.created_at
            )
        )


def comment_access(session, viewer: Viewer, comment_id: str) -> tuple[Comment, Post, Access]:
    """A comment the viewer may read (its post readable, neither deleted nor hidden)."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None:
        raise not_found("comment")
    try:
        post, access = post_access(session, viewer, comment.post_id)
    except NotFound:
        raise not_found("comment") from None
    if comment.hidden and not access.can_moderate:
        raise not_found("comment")
    return comment, post, access


def create(
    session,
    viewer: Viewer,
    now: datetime,
    post_id: str,
    body: str,
    parent_id=None,
    language=None,
    resolve: Resolve | None = None,
) -> dict:
    post, access = post_access(session, viewer, post_id)
    access.require_write()
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.post_id != post.id or parent.deleted_at is not None or parent.hidden:
            raise not_found("comment")
        if parent.parent_id is not None:
            raise ValidationFailed(
                "The request is not valid.",
                {"parent_id": ["Reply to the top comment: replies go one level deep."]},
            )
    body = with_resolved_handles(body, post.community_id, resolve)
    mentions = check_mentions(session, access, body)
    comment = Comment(
        post_id=post.id,
        community_id=post.community_id,
        parent_id=parent_id,
        author_id=viewer.id,
        body=body,
        html=render.to_html(body),
        mentions=mentions,
        created_at=now,
        version=1,
        like_count=0,
        hidden=False,
        language=language,
    )
    session.add(comment)
    session.flush()
    _index_mentions(session, comment)
    session.execute(update(Post).where(Post.id == post.id).values(comment_count=Post.comment_count + 1))
    session.emit(ev.FEED_COMMENT_CREATED, event_data(comment))
    item = views.comment_item(comment, False, False)
    idempotency.record(session, comment.id, item)
    session.commit()
    return item


def listing(session, viewer: Viewer, post_id: str, limit: int, cursor) -> dict:
    post, _ = post_access(session, viewer, post_id)
    query = select(Comment).where(
        Comment.post_id == post.id, Comment.deleted_at.is_(None), Comment.hidden.is_(False)
    )
    query, _extra = paging.keyset(query, Comment.created_at, Comment.id, limit, cursor, newest_first=False)
    rows, next_cursor = paging.split(list(session.scalars(query)), limit, lambda c: (c.created_at, c.id))
    return {
        "items": views.comment_items(session, viewer.id, rows, post.accepted_comment_id),
        "next_cursor": next_cursor,
    }


def get(session, viewer: Viewer, comment_id: str) -> dict:
    comment, post, _ = comment_access(session, viewer, comment_id)
    return views.comment_items(session, viewer.id, [comment], post.accepted_comment_id)[0]


def edit(
    session,
    viewer: Viewer,
    now: datetime,
    comment_id: str,
    body: str,
    resolve: Resolve | None = None,
    **changes,
) -> dict:
    """New text; ``language`` changes only when given."""
    comment, post, access = comment_access(session, viewer, comment_id)
    require_author_or_moderator(access, comment.author_id)
    body = with_resolved_handles(body, post.community_id, resolve)
    mentions = check_mentions(session, access, body)
    reactions.replace_text(session, CommentVersion, "comment_id", comment, body, viewer.id, now)
    comment.mentions = mentions
    if "language" in changes:
        comment.language = changes["language"]
    _index_mentions(session, comment)
    session.emit(ev.FEED_COMMENT_UPDATED, event_data(comment))
    session.commit()
    return views.comment_items(session, viewer.id, [comment], post.accepted_comment_id)[0]


def versions(session, viewer: Viewer, comment_id: str) -> dict:
    comment, _, _ = comment_access(session, viewer, comment_id)
    return reactions.versions(session, CommentVersion, "comment_id", comment)


def remove(session, viewer: Viewer, now: datetime, comment_id: str) -> dict:
    comment, post, access = comment_access(session, viewer, comment_id)
    require_author_or_moderator(access, comment.author_id)
    comment.deleted_at = now
    values = {"comment_count": Post.comment_count - 1}
    if post.accepted_comment_id == comment.id:
        values["accepted_comment_id"] = None
    session.execute(update(Post).where(Post.id == post.id).values(**values))
    session.emit(ev.FEED_COMMENT_DELETED, event_data(comment))
    session.commit()
    return {"comment_id": comment.id, "deleted": True}


def like(session, viewer: Viewer, now: datetime, comment_id: str) -> dict:
    comment, _, access = comment_access(session, viewer, comment_id)
    access.require_write()
    # committed with the like by reactions.like; a second like (Conflict) rolls both back
    session.emit(ev.FEED_COMMENT_LIKED, like_event(comment, viewer.id))
    return reactions.like(session, CommentLike, "comment_id", comment, viewer.id, now)


def unlike(session, viewer: Viewer, comment_id: str) -> dict:
    comment, _, access = comment_access(session, viewer, comment_id)
    access.require_write()
    return reactions.unlike(session, CommentLike, "comment_id", comment, viewer.id)


def likers(session, viewer: Viewer, comment_id: str, limit: int, cursor) -> dict:
    comment, _, _ = comment_access(session, viewer, comment_id)
    return reactions.likers(session, CommentLike, "comment_id", comment, limit, cursor)
