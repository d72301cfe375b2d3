"""Shape rows into the dicts the RPC methods dump, in a fixed number of statements."""

from __future__ import annotations

from sqlalchemy import select

from .models import AnnouncementRead, Comment, CommentLike, Post, PostLike


def post_items(session, viewer_id: str, rows, since=None, with_new: bool = False) -> list[dict]:
    """``rows``: (post, community name) pairs. Two statements whatever their number."""
    rows = list(rows)
    ids = [post.id for post, _ in rows]
    liked: set = set()
    read: set = set()
    if ids:
        liked = set(
            session.scalars(
                select(PostLike.post_id).where(PostLike.user_id == viewer_id, PostLike.post_id.in_(ids))
            )
        )
        read = set(
            session.scalars(
                select(AnnouncementRead.post_id).where(
                    AnnouncementRead.user_id == viewer_id, AnnouncementRead.post_id.in_(ids)
                )
            )
        )
    return [
        post_item(
            post,
            name,
            post.id in liked,
            post.id in read,
            is_new=(since is None or post.created_at > since) if with_new else None,
        )
        for post, name in rows
    ]


def post_item(post: Post, community_name, liked: bool, read: bool, is_new=None) -> dict:
    announcement = post.kind == "announcement"
    return {
        "id": post.id,
        "community_id": post.community_id,
        "community_name": community_name,
        "author_id": post.author_id,
        "kind": post.kind,
        "body": post.body,
        "html": post.html,
        "mentions": list(post.mentions or []),
        "hashtags": list(post.hashtags or []),
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "version": post.version,
        "like_count": post.like_count,
        "comment_count": post.comment_count,
        "liked_by_me": liked,
        "accepted_comment_id": post.accepted_comment_id,
        "read_by_me": read if announcement else None,
        "read_count": post.read_count if announcement else None,
        "is_new": is_new,
        "hidden": post.hidden,
        "language": post.language,
        "attachments": [dict(a) for a in post.attachments or []],
    }


def single_post(session, viewer_id: str, post: Post, community_name) -> dict:
    return post_items(session, viewer_id, [(post, community_name)])[0]


def comment_items(session, viewer_id: str, comments, accepted_id=None) -> list[dict]:
    comments = list(comments)
    ids = [c.id for c in comments]
    liked: set = set()
    if ids:
        liked = set(
            session.scalars(
                select(CommentLike.comment_id).where(
                    CommentLike.user_id == viewer_id, CommentLike.comment_id.in_(ids)
                )
            )
        )
    return [comment_item(c, c.id in liked, c.id == accepted_id) for c in comments]


def comment_item(c: Comment, liked: bool, accepted: bool) -> dict:
    return {
        "id": c.id,
        "post_id": c.post_id,
        "community_id": c.community_id,
        "parent_id": c.parent_id,
        "author_id": c.author_id,
        "body": c.body,
        "html": c.html,
        "mentions": list(c.mentions or []),
        "created_at": c.created_at,
        "edited_at": c.edited_at,
        "version": c.version,
        "like_count": c.like_count,
        "liked_by_me": liked,
        "accepted": accepted,
        "hidden": c.hidden,
        "language": c.language,
    }
