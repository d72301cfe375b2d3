"""Posts: write, read, edit (with history), delete, like, questions, announcements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from parvis_contracts import events as ev
from parvis_contracts import idempotency, limits
from parvis_contracts import markdown as render
from parvis_contracts.errors import ValidationFailed, not_found

from . import reactions, views
from .access import Access, Viewer, community_access, post_access
from .models import (
    MEMBERSHIP,
    AnnouncementRead,
    AnnouncementReminder,
    Comment,
    Post,
    PostHashtag,
    PostLike,
    PostMention,
    PostVersion,
)

#: ``describe(community_id, document_ids)``: the documents' descriptions (the documents
#: service's ``describe_documents``, checked with the caller's rights), or an error
Describe = Callable[[str, list], list]
#: ``resolve(community_id, handles)``: whom pasted handles (``first.last``) name, as the
#: identity service answers with the caller's rights: ``handle -> {id, display_name}``
Resolve = Callable[[str, list], dict]


def with_resolved_handles(body: str, community_id: str, resolve: Resolve | None) -> str:
    """The text with each pasted ``@first.last`` that names exactly one person written as
    a real mention (``@[Name](id)``); a handle naming nobody or several people stays text.
    Who may be mentioned is then decided by :func:`check_mentions`, like for any mention."""
    found = render.handles(body)[: limits.MENTION_HANDLES_MAX]
    if not found or resolve is None:
        return body
    written = render.with_handles(body, resolve(community_id, found) or {})
    if len(written) > limits.POST_BODY_MAX:
        raise ValidationFailed(
            "The request is not valid.",
            {
                "body": [
                    "The text is too long once its mentions are written "
                    f"(at most {limits.POST_BODY_MAX} characters)."
                ]
            },
        )
    return written


def _mentioned_names(body: str) -> dict:
    """``person id -> the name the author wrote`` for the mentions of a text."""
    names: dict = {}
    for match in render.MENTION_RE.finditer(body):
        names.setdefault(match.group(2), " ".join(match.group(1).split()))
    return names


def check_mentions(session, access: Access, body: str) -> list[str]:
    """Mentioned ids, each a member (guests too) of the community, else ``ValidationFailed``;
    ``@community`` in a community of more than ``COMMUNITY_MENTION_FREE_MAX`` members needs
    one of its managers (it tells every member)."""
    community_id = access.community.id
    crowd = limits.COMMUNITY_MENTION_FREE_MAX
    everyone = render.mentions_community(body) and not access.can_moderate
    if everyone and len(MEMBERSHIP.member_ids(session, community_id)) > crowd:
        raise ValidationFailed(
            "The request is not valid.",
            {"body": [f"Only a manager can mention the whole community (@community) above {crowd} members."]},
        )
    ids = render.mentions(body)
    if not ids:
        return []
    members = set(MEMBERSHIP.member_ids(session, community_id, among=ids))
    missing = [pid for pid in ids if pid not in members]
    if missing:
        # never dropped in silence: the author is told whom, by the names they wrote
        written = _mentioned_names(body)
        names = [written.get(pid) or pid for pid in missing]
        raise ValidationFailed(
            "The request is not valid.",
            {
                "body": [
                    "You can only mention people who can see this community; they cannot: "
                    + ", ".join(names)
                    + "."
                ],
                "mentions": missing,
                "mention_names": names,
            },
        )
    return ids


def require_author_or_moderator(access: Access, author_id: str) -> None:
    """Write rule for existing content: the author (still a member) or a moderator."""
    if access.community.archived:
        access.require_write()
    if author_id == access.viewer.id and access.is_member:
        return
    access.require_moderator()


def event_data(post: Post) -> dict:
    return {
        "post_id": post.id,
        "community_id": post.community_id,
        "author_id": post.author_id,
        "kind": post.kind,
        "language": post.language,
        "mentions": list(post.mentions or []),
        "community_mentioned": render.mentions_community(post.body),
        "body": post.body,
        "revision": post.version,
    }


def like_event(target: Post | Comment, liker_id: str) -> dict:
    """The payload of ``feed.post_liked`` / ``feed.comment_liked``: ``target`` is the liked
    post or comment (``comment_id`` None for a post)."""
    on_comment = isinstance(target, Comment)
    return {
        "post_id": target.post_id if on_comment else target.id,
        "comment_id": target.id if on_comment else None,
        "community_id": target.community_id,
        "author_id": target.author_id,
        "liker_id": liker_id,
    }


def _index(session, post: Post) -> None:
    session.execute(delete(PostMention).where(PostMention.post_id == post.id))
    session.execute(delete(PostHashtag).where(PostHashtag.post_id == post.id))
    for pid in post.mentions:
        session.add(PostMention(post_id=post.id, user_id=pid, created_at=post.created_at))
    for tag in post.hashtags:
        session.add(PostHashtag(post_id=post.id, tag=tag, created_at=post.created_at))


def snapshots(describe: Describe, community_id: str, ids: list[str]) -> list[dict]:
    """The snapshot of each attached document, in the order given (``describe`` answers
    the documents service's description of the ids, or raises)."""
    if not ids:
        return []
    described = {d["id"]: d for d in describe(community_id, ids)}
    return [
        {
            "id": i,
            "name": described[i].get("name") or "",
            "content_type": described[i].get("content_type"),
            "size": described[i].get("size"),
        }
        for i in ids
    ]


def create(
    session,
    viewer: Viewer,
    now: datetime,
    community_id: str,
    body: str,
    kind: str,
    language=None,
    attachments=(),
    describe: Describe | None = None,
    resolve: Resolve | None = None,
) -> dict:
    access = community_access(session, viewer, community_id)
    access.require_write()
    if kind == "announcement":
        access.require_manager_or_admin_member()
    body = with_resolved_handles(body, community_id, resolve)
    mentions = check_mentions(session, access, body)
    attached = snapshots(describe, community_id, list(attachments)) if attachments else []
    post = Post(
        community_id=community_id,
        author_id=viewer.id,
        kind=kind,
        body=body,
        html=render.to_html(body),
        mentions=mentions,
        hashtags=render.hashtags(body),
        created_at=now,
        version=1,
        like_count=0,
        comment_count=0,
        read_count=0,
        hidden=False,
        language=language,
        attachments=attached,
    )
    session.add(post)
    session.flush()
    _index(session, post)
    session.emit(ev.FEED_POST_CREATED, event_data(post))
    item = views.post_item(post, access.community.name, False, False)
    idempotency.record(session, post.id, item)
    session.commit()
    return item


def get(session, viewer: Viewer, post_id: str) -> dict:
    post, access = post_access(session, viewer, post_id)
    return views.single_post(session, viewer.id, post, access.community.name)


def edit(
    session, viewer: Viewer, now: datetime, post_id: str, body: str, describe=None, resolve=None, **changes
) -> dict:
    """New text; ``language`` and ``attachments`` change only when given. Documents
    already attached keep their snapshot; only the new ones are described."""
    post, access = post_access(session, viewer, post_id)
    require_author_or_moderator(access, post.author_id)
    body = with_resolved_handles(body, post.community_id, resolve)
    mentions = check_mentions(session, access, body)
    attached = None
    if "attachments" in changes:
        kept = {a["id"]: dict(a) for a in post.attachments or []}
        new_ids = [i for i in changes["attachments"] if i not in kept]
        fresh = {a["id"]: a for a in snapshots(describe, post.community_id, new_ids)}
        attached = [kept.get(i) or fresh[i] for i in changes["attachments"]]
    reactions.replace_text(session, PostVersion, "post_id", post, body, viewer.id, now)
    post.mentions, post.hashtags = mentions, render.hashtags(body)
    if "language" in changes:
        post.language = changes["language"]
    if attached is not None:
        post.attachments = attached
    session.flush()
    _index(session, post)
    session.emit(ev.FEED_POST_UPDATED, event_data(post))
    session.commit()
    return views.single_post(session, viewer.id, post, access.community.name)


def versions(session, viewer: Viewer, post_id: str) -> dict:
    post, _ = post_access(session, viewer, post_id)
    return reactions.versions(session, PostVersion, "post_id", post)


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
    # committed with the like by reactions.like; a second like (Conflict) rolls both back
    session.emit(ev.FEED_POST_LIKED, like_event(post, viewer.id))
    return reactions.like(session, PostLike, "post_id", post, viewer.id, now)


def unlike(session, viewer: Viewer, post_id: str) -> dict:
    post, access = post_access(session, viewer, post_id)
    access.require_write()
    return reactions.unlike(session, PostLike, "post_id", post, viewer.id)


def likers(session, viewer: Viewer, post_id: str, limit: int, cursor) -> dict:
    post, _ = post_access(session, viewer, post_id)
    return reactions.likers(session, PostLike, "post_id", post, limit, cursor)


# --- questions -----------------------------------------------------------------


def accept_answer(session, viewer: Viewer, post_id: str, comment_id) -> dict:
    post, access = post_access(session, viewer, post_id)
    if post.kind != "question":
        raise ValidationFailed(
            "The request is not valid.", {"post_id": ["Only a question has an accepted answer."]}
        )
    require_author_or_moderator(access, post.author_id)
    if comment_id is not None:
        comment = session.get(Comment, comment_id)
        if comment is None or comment.post_id != post.id or comment.deleted_at is not None or comment.hidden:
            raise not_found("comment")
        if comment_id != post.accepted_comment_id:  # the same answer again is no news
            session.emit(
                ev.FEED_ANSWER_ACCEPTED,
                {
                    "post_id": post.id,
                    "community_id": post.community_id,
                    "comment_id": comment.id,
                    "comment_author_id": comment.author_id,
                    "accepted_by": viewer.id,
                },
            )
    post.accepted_comment_id = comment_id
    session.commit()
    return views.single_post(session, viewer.id, post, access.community.name)


# --- announcements -------------------------------------------------------------


def _announcement(session, viewer: Viewer, post_id: str):
    post, access = post_access(session, viewer, post_id)
    if post.kind != "announcement":
        raise ValidationFailed(
            "The request is not valid.", {"post_id": ["This post is not an announcement."]}
        )
    return post, access


def mark_read(session, viewer: Viewer, now: datetime, post_id: str) -> dict:
    post, access = _announcement(session, viewer, post_id)
    access.require_write()
    if session.get(AnnouncementRead, (post.id, viewer.id)) is None:
        session.add(AnnouncementRead(post_id=post.id, user_id=viewer.id, read_at=now))
        session.flush()
        session.execute(update(Post).where(Post.id == post.id).values(read_count=Post.read_count + 1))
        session.commit()
        session.refresh(post)
    return {"post_id": post.id, "read": True, "read_count": post.read_count}


def reads(session, viewer: Viewer, post_id: str) -> dict:
    post, access = _announcement(session, viewer, post_id)
    access.require_moderator()
    done = list(
        session.execute(
            select(AnnouncementRead.user_id, AnnouncementRead.read_at)
            .where(AnnouncementRead.post_id == post.id)
            .order_by(AnnouncementRead.read_at, AnnouncementRead.user_id)
        )
    )
    readers = {uid for uid, _ in done}
    members = MEMBERSHIP.member_ids(session, post.community_id)
    return {
        "post_id": post.id,
        "read": [{"user_id": uid, "read_at": at} for uid, at in done],
        "unread": [uid for uid in members if uid not in readers],
        "read_count": len(done),
        "member_count": len(members),
    }


#: at most one reminder of an announcement a day
REMINDER_EVERY = timedelta(days=1)


def remind(session, viewer: Viewer, now: datetime, post_id: str) -> dict:
    """A manager reminds the members who have not read an announcement (not its author).
    Once a day at most: a second reminder within the day reminds nobody and says when the
    last one went (``reminded`` 0)."""
    post, access = _announcement(session, viewer, post_id)
    access.require_moderator()
    access.require_write()
    last = session.get(AnnouncementReminder, post.id)
    if last is not None and now - last.reminded_at < REMINDER_EVERY:
        return {"post_id": post.id, "reminded": 0, "reminded_at": last.reminded_at}
    readers = set(
        session.scalars(select(AnnouncementRead.user_id).where(AnnouncementRead.post_id == post.id))
    )
    unread = [
        u for u in MEMBERSHIP.member_ids(session, post.community_id) if u not in readers | {post.author_id}
    ]
    if last is None:
        session.add(AnnouncementReminder(post_id=post.id, reminded_at=now, reminded_by=viewer.id))
    else:
        last.reminded_at, last.reminded_by = now, viewer.id
    if unread:
        payload = {"post_id": post.id, "community_id": post.community_id, "by": viewer.id, "user_ids": unread}
        session.emit(ev.FEED_ANNOUNCEMENT_REMINDED, payload)
    session.commit()
    return {"post_id": post.id, "reminded": len(unread), "reminded_at": now}
