"""Privacy (GDPR): what the feed holds about one person, and its erasure.

Export (the person themself or a network admin): the posts and comments they
wrote (every text, earlier versions included, deleted and hidden ones marked),
what they liked (ids and dates), their reports (with their reason), the
announcements they marked read, their last visit, and the ids of the posts and
comments that mention them. Other people's content is never exported: a post of
theirs shows its counters, not the comments others wrote on it.

On ``identity.user_erased``:

* authored posts and comments are KEPT (the community's conversation stays
  whole); their author id now resolves, through identity's card, to "Former
  member";
* their likes are deleted (counters decremented), their announcement reads too
  (read counter decremented), their last visit is deleted;
* their reports keep the moderation decision but lose the reason they wrote;
* mentions of them in anyone's posts and comments (earlier versions included,
  and the copies the outbox keeps of published events) are rewritten to
  ``@[Former member](<id>)`` and re-rendered, and the "mentions of me" index
  rows are deleted (translation drops its cached translations holding a mention
  of them on the same event).

Handling the event twice finds nothing left to change.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from parvis_contracts import idempotency
from parvis_contracts import markdown as render
from parvis_contracts.privacy import anonymise_mentions, require_self_or_admin, scrub_outbox
from parvis_contracts.privacy import iso as _iso

from .models import (
    AnnouncementRead,
    AnnouncementReminder,
    Comment,
    CommentLike,
    CommentMention,
    CommentVersion,
    LastVisit,
    Post,
    PostLike,
    PostMention,
    PostVersion,
    Report,
)

# --- export --------------------------------------------------------------------------


def _versions(session, cls, key, ids) -> dict:
    found: dict = {}
    if not ids:
        return found
    rows = session.scalars(
        select(cls).where(getattr(cls, key).in_(ids)).order_by(getattr(cls, key), cls.version)
    )
    for v in rows:
        found.setdefault(getattr(v, key), []).append(
            {
                "version": v.version,
                "body": v.body,
                "created_at": _iso(v.created_at),
                "replaced_at": _iso(v.replaced_at),
            }
        )
    return found


def export(session, caller, person_id: str) -> dict:
    require_self_or_admin(caller, person_id)
    posts = list(
        session.scalars(select(Post).where(Post.author_id == person_id).order_by(Post.created_at, Post.id))
    )
    post_versions = _versions(session, PostVersion, "post_id", [p.id for p in posts])
    comments = list(
        session.scalars(
            select(Comment).where(Comment.author_id == person_id).order_by(Comment.created_at, Comment.id)
        )
    )
    comment_versions = _versions(session, CommentVersion, "comment_id", [c.id for c in comments])
    post_likes = session.scalars(
        select(PostLike).where(PostLike.user_id == person_id).order_by(PostLike.created_at)
    )
    comment_likes = session.scalars(
        select(CommentLike).where(CommentLike.user_id == person_id).order_by(CommentLike.created_at)
    )
    reports = session.scalars(
        select(Report).where(Report.reporter_id == person_id).order_by(Report.created_at)
    )
    reads = session.scalars(
        select(AnnouncementRead)
        .where(AnnouncementRead.user_id == person_id)
        .order_by(AnnouncementRead.read_at)
    )
    visit = session.get(LastVisit, person_id)
    mentioned_in_posts = session.scalars(select(PostMention.post_id).where(PostMention.user_id == person_id))
    mentioned_in_comments = session.scalars(
        select(CommentMention.comment_id).where(CommentMention.user_id == person_id)
    )
    return {
        "service": "feed",
        "person_id": person_id,
        "posts": [
            {
                "id": p.id,
                "community_id": p.community_id,
                "kind": p.kind,
                "body": p.body,
                "language": p.language,
                "created_at": _iso(p.created_at),
                "edited_at": _iso(p.edited_at),
                "version": p.version,
                "deleted_at": _iso(p.deleted_at),
                "hidden": bool(p.hidden),
                "attachments": list(p.attachments or []),
                "like_count": p.like_count,
                "comment_count": p.comment_count,
                "earlier_versions": post_versions.get(p.id, []),
            }
            for p in posts
        ],
        "comments": [
            {
                "id": c.id,
                "post_id": c.post_id,
                "community_id": c.community_id,
                "parent_id": c.parent_id,
                "body": c.body,
                "language": c.language,
                "created_at": _iso(c.created_at),
                "edited_at": _iso(c.edited_at),
                "version": c.version,
                "deleted_at": _iso(c.deleted_at),
                "hidden": bool(c.hidden),
                "like_count": c.like_count,
                "earlier_versions": comment_versions.get(c.id, []),
            }
            for c in comments
        ],
        "likes": {
            "posts": [{"post_id": like.post_id, "created_at": _iso(like.created_at)} for like in post_likes],
            "comments": [
                {"comment_id": like.comment_id, "created_at": _iso(like.created_at)} for like in comment_likes
            ],
        },
        "reports": [
            {
                "id": r.id,
                "community_id": r.community_id,
                "target_type": r.target_type,
                "target_id": r.target_id,
                "reason": r.reason,
                "status": r.status,
                "created_at": _iso(r.created_at),
            }
            for r in reports
        ],
        "announcements_read": [{"post_id": r.post_id, "read_at": _iso(r.read_at)} for r in reads],
        "last_visit": _iso(visit.visited_at) if visit else None,
        "mentioned_in": {"posts": sorted(mentioned_in_posts), "comments": sorted(mentioned_in_comments)},
    }


# --- erasure -------------------------------------------------------------------------


def _rewrite(rows, user_id: str) -> list:
    changed = []
    for row in rows:
        body = anonymise_mentions(row.body, user_id)
        if body != row.body:
            row.body = body
            row.html = render.to_html(body)
            changed.append(row)
    return changed


def _mentioning(session, cls, user_id: str):
    return session.scalars(select(cls).where(cls.body.contains(f"]({user_id})", autoescape=True)))


def _drop_likes(session, like_cls, target_cls, key: str, user_id: str) -> int:
    targets = list(session.scalars(select(getattr(like_cls, key)).where(like_cls.user_id == user_id)))
    for target_id in targets:
        session.execute(
            update(target_cls).where(target_cls.id == target_id).values(like_count=target_cls.like_count - 1)
        )
    session.execute(delete(like_cls).where(like_cls.user_id == user_id))
    return len(targets)


def forget_person(session, user_id: str) -> dict:
    """Drop what is the person's (no commit); their authored texts stay."""
    done = {
        "post_likes": _drop_likes(session, PostLike, Post, "post_id", user_id),
        "comment_likes": _drop_likes(session, CommentLike, Comment, "comment_id", user_id),
    }
    read_posts = list(
        session.scalars(select(AnnouncementRead.post_id).where(AnnouncementRead.user_id == user_id))
    )
    for post_id in read_posts:
        session.execute(update(Post).where(Post.id == post_id).values(read_count=Post.read_count - 1))
    session.execute(delete(AnnouncementRead).where(AnnouncementRead.user_id == user_id))
    done["announcement_reads"] = len(read_posts)
    session.execute(
        update(AnnouncementReminder)
        .where(AnnouncementReminder.reminded_by == user_id)
        .values(reminded_by=None)
    )
    done["reports"] = session.execute(
        update(Report).where(Report.reporter_id == user_id, Report.reason != "").values(reason="")
    ).rowcount
    session.execute(delete(LastVisit).where(LastVisit.user_id == user_id))

    rewritten = sum(
        len(_rewrite(_mentioning(session, cls, user_id), user_id))
        for cls in (Post, Comment, PostVersion, CommentVersion)
    )
    session.execute(delete(PostMention).where(PostMention.user_id == user_id))
    session.execute(delete(CommentMention).where(CommentMention.user_id == user_id))
    done["mentions_rewritten"] = rewritten
    done["outbox_rows"] = scrub_outbox(session, user_id)
    done["idempotency_keys"] = idempotency.forget_person(session, user_id)
    return done
