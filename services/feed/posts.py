"""Posts: write, read, edit (with history), delete, like, questions, announcements."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from parvis_contracts import events as ev
from parvis_contracts import markdown as render
from parvis_contracts.errors import Conflict, ValidationFailed, not_found

from . import paging, views
from .access import Access, Viewer, community_access, post_access
from .models import (AnnouncementRead, Comment, Membership, Post, PostHashtag, PostLike,
                     PostMention, PostVersion)


def check_mentions(session, community_id: str, body: str) -> list[str]:
    """Mentioned ids, each a member (guests too) of the community, else ``ValidationFailed``."""
    ids = render.mentions(body)
    if not ids:
        return []
    members = set(session.scalars(select(Membership.user_id).where(
        Membership.community_id == community_id, Membership.user_id.in_(ids))))
    missing = [pid for pid in ids if pid not in members]
    if missing:
        raise ValidationFailed("The request is not valid.", {"body": [
            "You can only mention people who can see this community."],
            "mentions": missing})
    return ids


def require_author_or_moderator(access: Access, author_id: str) -> None:
    """Write rule for existing content: the author (still a member) or a moderator."""
    if access.community.archived:
        access.require_write()
    if author_id == access.viewer.id and access.is_member:
        return
    access.require_moderator()


def event_data(post: Post) -> dict:
    return {"post_id": post.id, "community_id": post.community_id, "author_id": post.author_id,
            "kind": post.kind, "language": None, "mentions": list(post.mentions or [])}


def _index(session, post: Post) -> None:
    session.execute(delete(PostMention).where(PostMention.post_id == post.id))
    session.execute(delete(PostHashtag).where(PostHashtag.post_id == post.id))
    for pid in post.mentions:
        session.add(PostMention(post_id=post.id, user_id=pid, created_at=post.created_at))
    for tag in post.hashtags:
        session.add(PostHashtag(post_id=post.id, tag=tag, created_at=post.created_at))


def create(session, viewer: Viewer, now: datetime, community_id: str, body: str,
           kind: str) -> dict:
    access = community_access(session, viewer, community_id)
    access.require_write()
    if kind == "announcement":
        access.require_manager_or_admin_member()
    mentions = check_mentions(session, community_id, body)
    post = Post(community_id=community_id, author_id=viewer.id, kind=kind, body=body,
                html=render.to_html(body), mentions=mentions, hashtags=render.hashtags(body),
                created_at=now, version=1, like_count=0, comment_count=0, read_count=0,
                hidden=False)
    session.add(post)
    session.flush()
    _index(session, post)
    session.emit(ev.FEED_POST_CREATED, event_data(post))
    session.commit()
    return views.post_item(post, access.community.name, False, False)


def get(session, viewer: Viewer, post_id: str) -> dict:
    post, access = post_access(session, viewer, post_id)
    return views.single_post(session, viewer.id, post, access.community.name)


def edit(session, viewer: Viewer, now: datetime, post_id: str, body: str) -> dict:
    post, access = post_access(session, viewer, post_id)
    require_author_or_moderator(access, post.author_id)
    mentions = check_mentions(session, post.community_id, body)
    session.add(PostVersion(post_id=post.id, version=post.version, body=post.body,
                            html=post.html, created_at=post.edited_at or post.created_at,
                            replaced_at=now, replaced_by=viewer.id))
    post.body, post.html = body, render.to_html(body)
    post.mentions, post.hashtags = mentions, render.hashtags(body)
    post.version += 1
    post.edited_at = now
    session.flush()
    _index(session, post)
    session.emit(ev.FEED_POST_UPDATED, event_data(post))
    session.commit()
    return views.single_post(session, viewer.id, post, access.community.name)


def versions(session, viewer: Viewer, post_id: str) -> dict:
    post, _ = post_access(session, viewer, post_id)
    old = session.scalars(select(PostVersion).where(PostVersion.post_id == post.id)
                          .order_by(PostVersion.version))
    items = [{"version": v.version, "body": v.body, "html": v.html, "created_at": v.created_at,
              "replaced_at": v.replaced_at, "replaced_by": v.replaced_by, "current": False}
             for v in old]
    items.append({"version": post.version, "body": post.body, "html": post.html,
                  "created_at": post.edited_at or post.created_at, "replaced_at": None,
                  "replaced_by": None, "current": True})
    return {"items": items}


def remove(session, viewer: Viewer, now: datetime, post_id: str) -> dict:
    post, access = post_access(session, viewer, post_id)
    require_author_or_moderator(access, post.author_id)
    post.deleted_at = now
    session.emit(ev.FEED_POST_DELETED, event_data(post))
    session.commit()
    return {"post_id": post.id, "deleted": True}


# --- likes -------------------------------------------------------------------

def like(session, viewer: Viewer, now: datetime, post_id: str) -> dict:
    post, access = post_access(session, viewer, post_id)
    access.require_write()
    if session.get(PostLike, (post.id, viewer.id)) is not None:
        raise Conflict("You already like this post.")
    session.add(PostLike(post_id=post.id, user_id=viewer.id, created_at=now))
    session.flush()
    session.execute(update(Post).where(Post.id == post.id)
                    .values(like_count=Post.like_count + 1))
    session.commit()
    session.refresh(post)
    return {"post_id": post.id, "liked": True, "like_count": post.like_count}


def unlike(session, viewer: Viewer, post_id: str) -> dict:
    post, access = post_access(session, viewer, post_id)
    access.require_write()
    existing = session.get(PostLike, (post.id, viewer.id))
    if existing is None:
        raise not_found("like")
    session.delete(existing)
    session.flush()
    session.execute(update(Post).where(Post.id == post.id)
                    .values(like_count=Post.like_count - 1))
    session.commit()
    session.refresh(post)
    return {"post_id": post.id, "liked": False, "like_count": post.like_count}


def likers(session, viewer: Viewer, post_id: str, limit: int, cursor) -> dict:
    post, _ = post_access(session, viewer, post_id)
    query, _extra = paging.keyset(select(PostLike).where(PostLike.post_id == post.id),
                                  PostLike.created_at, PostLike.user_id, limit, cursor,
                                  newest_first=False)
    rows, next_cursor = paging.split(list(session.scalars(query)), limit,
                                     lambda r: (r.created_at, r.user_id))
    return {"items": [{"user_id": r.user_id, "liked_at": r.created_at} for r in rows],
            "next_cursor": next_cursor, "count": post.like_count}


# --- questions -----------------------------------------------------------------

def accept_answer(session, viewer: Viewer, post_id: str, comment_id) -> dict:
    post, access = post_access(session, viewer, post_id)
    if post.kind != "question":
        raise ValidationFailed("The request is not valid.",
                               {"post_id": ["Only a question has an accepted answer."]})
    require_author_or_moderator(access, post.author_id)
    if comment_id is not None:
        comment = session.get(Comment, comment_id)
        if (comment is None or comment.post_id != post.id or comment.deleted_at is not None
                or comment.hidden):
            raise not_found("comment")
    post.accepted_comment_id = comment_id
    session.commit()
    return views.single_post(session, viewer.id, post, access.community.name)


# --- announcements -------------------------------------------------------------

def _announcement(session, viewer: Viewer, post_id: str):
    post, access = post_access(session, viewer, post_id)
    if post.kind != "announcement":
        raise ValidationFailed("The request is not valid.",
                               {"post_id": ["This post is not an announcement."]})
    return post, access


def mark_read(session, viewer: Viewer, now: datetime, post_id: str) -> dict:
    post, access = _announcement(session, viewer, post_id)
    access.require_write()
    if session.get(AnnouncementRead, (post.id, viewer.id)) is None:
        session.add(AnnouncementRead(post_id=post.id, user_id=viewer.id, read_at=now))
        session.flush()
        session.execute(update(Post).where(Post.id == post.id)
                        .values(read_count=Post.read_count + 1))
        session.commit()
        session.refresh(post)
    return {"post_id": post.id, "read": True, "read_count": post.read_count}


def reads(session, viewer: Viewer, post_id: str) -> dict:
    post, access = _announcement(session, viewer, post_id)
    access.require_moderator()
    done = list(session.execute(select(AnnouncementRead.user_id, AnnouncementRead.read_at)
                                .where(AnnouncementRead.post_id == post.id)
                                .order_by(AnnouncementRead.read_at, AnnouncementRead.user_id)))
    readers = {uid for uid, _ in done}
    members = list(session.scalars(select(Membership.user_id)
                                   .where(Membership.community_id == post.community_id)
                                   .order_by(Membership.user_id)))
    return {"post_id": post.id,
            "read": [{"user_id": uid, "read_at": at} for uid, at in done],
            "unread": [uid for uid in members if uid not in readers],
            "read_count": len(done), "member_count": len(members)}

