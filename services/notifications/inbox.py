"""A person's notifications: the page, the unread count, marking read; follows and levels.

Everything here is the caller's own: a person reads and marks only their notifications (an
id of someone else's is the ``NotFound`` of an unknown one). What the recipient may not read
now is never shown nor counted, whatever happened since it was written: the rule is in the
query (:func:`visibility.visible`), against the membership read model, so a person removed from a
community, a newcomer who may not see older content or a community turned secret drop out
at the next read without any clean-up having to run first. Marking read names the caller
in ``notifications.unread_changed`` (:func:`deliver.unread_changed`): their other open
pages hear of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, update

from parvis_contracts import cursors
from parvis_contracts.errors import Forbidden, NotFound, not_found
from parvis_contracts.membership import Viewer

from .deliver import unread_changed
from .limits import DEFAULT_LEVEL
from .models import MEMBERSHIP, CommunityLevel, Follow, Notification, Subject
from .visibility import visible


def item(row, community_name: str) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "community_id": row.community_id,
        "community_name": community_name,
        "subject_kind": row.subject_kind,
        "subject_id": row.subject_id,
        "post_id": row.post_id,
        "actor_ids": list(row.actor_ids or []),
        "actor_count": row.actor_count,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "read": row.read_at is not None,
    }


def page(session, viewer: Viewer, limit: int, cursor: str | None = None, unread_only: bool = False) -> dict:
    source, rule = visible(viewer)
    n = Notification
    query = select(n, MEMBERSHIP.communities.c.name).select_from(source).where(rule)
    if unread_only:
        query = query.where(n.read_at.is_(None))
    if cursor:
        stamp, last_id = cursors.decode(cursor, (datetime, str), "the notifications")
        query = query.where(or_(n.updated_at < stamp, and_(n.updated_at == stamp, n.id < last_id)))
    rows = session.execute(query.order_by(n.updated_at.desc(), n.id.desc()).limit(limit + 1)).all()
    items = [item(row.Notification, row.name) for row in rows[:limit]]
    more = len(rows) > limit
    last = rows[limit - 1].Notification if more else None
    return {"items": items, "next_cursor": cursors.encode(last.updated_at, last.id) if more else None}


def unread_count(session, viewer: Viewer) -> int:
    source, rule = visible(viewer)
    query = select(func.count()).select_from(source).where(rule, Notification.read_at.is_(None))
    return session.execute(query).scalar_one()


def mark_read(session, viewer: Viewer, now: datetime, notification_id: str) -> dict:
    source, rule = visible(viewer)
    row = session.execute(
        select(Notification, MEMBERSHIP.communities.c.name)
        .select_from(source)
        .where(rule, Notification.id == notification_id)
    ).first()
    if row is None:
        raise not_found("notification")
    notification = row.Notification
    if notification.read_at is None:
        notification.read_at = now
        unread_changed(session, [viewer.id])
    return item(notification, row.name)


def mark_all_read(session, viewer: Viewer, now: datetime) -> int:
    """Every unread notification of the viewer (also those not visible now: they are
    settled, and will not come back as unread)."""
    done = session.execute(
        update(Notification)
        .where(Notification.recipient_id == viewer.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    if done.rowcount:
        unread_changed(session, [viewer.id])  # the person's other pages
    return done.rowcount


# --- follows and levels ------------------------------------------------------------------


def _readable_subject(session, viewer: Viewer, kind: str, target_id: str) -> Subject:
    """The subject if the viewer may read it (a member of its community who may see
    content of that date); else the ``NotFound`` of an unknown id."""
    subject = session.get(Subject, (kind, target_id))
    if subject is None:
        raise not_found(kind)
    try:
        access = MEMBERSHIP.access(session, viewer, subject.community_id)
    except NotFound:
        raise not_found(kind) from None  # exactly the answer for an unknown id
    if not access.sees_date(subject.created_at):
        raise not_found(kind)
    return subject


def following(session, viewer: Viewer, kind: str, target_id: str) -> dict:
    subject = _readable_subject(session, viewer, kind, target_id)
    follow = session.get(Follow, (viewer.id, kind, target_id))
    return {"target_kind": kind, "target_id": subject.id, "following": bool(follow and follow.active)}


def set_following(session, viewer: Viewer, now: datetime, kind: str, target_id: str, active: bool) -> dict:
    """Follow or unfollow: members only (a reader of an open community who is not a
    member is told nothing of it, so following would promise what never comes)."""
    subject = _readable_subject(session, viewer, kind, target_id)
    _member_access(session, viewer, subject.community_id)
    follow = session.get(Follow, (viewer.id, kind, target_id))
    if follow is None:
        follow = Follow(
            user_id=viewer.id, target_kind=kind, target_id=target_id, community_id=subject.community_id
        )
        session.add(follow)
    follow.active, follow.origin, follow.updated_at = active, "me", now
    return {"target_kind": kind, "target_id": target_id, "following": active}


def _member_access(session, viewer: Viewer, community_id: str):
    access = MEMBERSHIP.access(session, viewer, community_id)
    if not access.is_member:
        # an open community's non-member reads it, but is told nothing of it
        raise Forbidden("Join this community to follow its content or choose what you hear about it.")
    return access


def level(session, viewer: Viewer, community_id: str) -> dict:
    _member_access(session, viewer, community_id)
    row = session.get(CommunityLevel, (viewer.id, community_id))
    return {"community_id": community_id, "level": row.level if row else DEFAULT_LEVEL}


def set_level(session, viewer: Viewer, community_id: str, chosen: str) -> dict:
    _member_access(session, viewer, community_id)
    row = session.get(CommunityLevel, (viewer.id, community_id))
    if row is None:
        session.add(CommunityLevel(user_id=viewer.id, community_id=community_id, level=chosen))
    else:
        row.level = chosen
    return {"community_id": community_id, "level": chosen}
