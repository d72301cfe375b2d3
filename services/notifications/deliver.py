"""Writing notifications: one recipient or ten thousand, grouped or once.

:func:`deliver` is the one way a notification is written. It keeps only the recipients who
may be told (:func:`eligible`: a member of the community who may see content of that date,
whose level for the community is not "nothing"; for managers' kinds, a manager), works in
batches of ``FAN_OUT_BATCH`` (a whole community is a few statements, never a row at a time),
and either gathers the actor into the recipient's unread row of the same group ("Lucia and
3 others liked your post") or writes a row only if the recipient was never told of that
group (``once``: a mention is not told again when the post is edited).

It runs inside an event handler's transaction, so a redelivered event (skipped by
``idempotent_handler``) or a failed one (rolled back, retried) never tells anyone twice.
Each batch that opened a row for someone emits ``notifications.unread_changed`` naming
them (:func:`unread_changed`), in the same transaction (the outbox): the live hub tells
their open pages, and queues its mail (:func:`mailing.enqueue`). A row that only gained
an actor changes no count, is not named and is not mailed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update

from parvis_contracts.db import new_id

from . import mailing
from .events import UNREAD_CHANGED
from .limits import ACTORS_SHOWN, CONTENT_KINDS, FAN_OUT_BATCH, MANAGER_KINDS
from .models import MEMBERSHIP, CommunityLevel, Notification, NotificationActor


@dataclass(frozen=True)
class About:
    """What a notification is about and where it leads."""

    kind: str
    group_key: str
    community_id: str
    subject_kind: str
    subject_id: str
    post_id: str | None
    content_at: datetime


def batches(items: list, size: int = FAN_OUT_BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def eligible(session, about: About, recipients: list[str], levels: tuple[str, ...]) -> list[str]:
    """Those of ``recipients`` (one batch) who may be told: members of the community now
    who may see content of ``about.content_at`` (managers, for managers' kinds), whose
    level for the community is one of ``levels`` (the default level counts as "highlights")."""
    m, c = MEMBERSHIP.memberships, MEMBERSHIP.communities
    query = (
        select(m.c.user_id)
        .join(c, c.c.id == m.c.community_id)
        .outerjoin(
            CommunityLevel,
            and_(CommunityLevel.user_id == m.c.user_id, CommunityLevel.community_id == m.c.community_id),
        )
        .where(m.c.community_id == about.community_id, m.c.removed.is_(False), m.c.user_id.in_(recipients))
    )
    if about.kind in CONTENT_KINDS:
        query = query.where(or_(c.c.newcomers_see_history.is_(True), m.c.joined_at <= about.content_at))
    if about.kind in MANAGER_KINDS:
        query = query.where(m.c.role == "manager")
    level = CommunityLevel.level
    if "highlights" in levels:
        query = query.where(or_(level.is_(None), level.in_(levels)))
    else:
        query = query.where(level.in_(levels))
    return list(session.scalars(query))


def deliver(
    session,
    now: datetime,
    about: About,
    recipients,
    actor_id: str | None,
    *,
    levels: tuple[str, ...] = ("all", "highlights"),
    once: bool = False,
    members_only: bool = True,
) -> int:
    """Tell ``recipients`` (the actor never) about ``about``; answers how many rows were
    written or gathered. ``members_only`` false: personal kinds (an invitation reaches a
    person who is not a member yet)."""
    people = sorted({r for r in recipients if r and r != actor_id})
    told = 0
    for batch in batches(people):
        if members_only:
            batch = eligible(session, about, batch, levels)
        if not batch:
            continue
        if once:
            rows = _once(session, now, about, batch, actor_id)
            told += len(rows)
        else:
            rows = _gather(session, now, about, batch, actor_id)
            told += len(batch)
        unread_changed(session, [row["recipient_id"] for row in rows])
        mailing.enqueue(session, now, about.kind, rows)
    return told


def unread_changed(session, user_ids) -> None:
    """Say that the unread count of ``user_ids`` may have changed: one event per batch of
    ``FAN_OUT_BATCH`` people, written in the caller's transaction (the outbox)."""
    people = sorted({u for u in user_ids if u})
    for batch in batches(people):
        session.emit(UNREAD_CHANGED, {"user_ids": batch})


def _row(now: datetime, about: About, recipient_id: str, actor_id: str | None) -> dict:
    return {
        "id": new_id(),
        "recipient_id": recipient_id,
        "kind": about.kind,
        "group_key": about.group_key,
        "community_id": about.community_id,
        "subject_kind": about.subject_kind,
        "subject_id": about.subject_id,
        "post_id": about.post_id,
        "actor_ids": [actor_id] if actor_id else [],
        "actor_count": 1 if actor_id else 0,
        "content_at": about.content_at,
        "created_at": now,
        "updated_at": now,
        "read_at": None,
    }


def _insert(session, rows: list[dict]) -> None:
    if not rows:
        return
    session.execute(insert(Notification), rows)
    actors = [{"notification_id": r["id"], "actor_id": r["actor_ids"][0]} for r in rows if r["actor_ids"]]
    if actors:
        session.execute(insert(NotificationActor), actors)


def _once(session, now: datetime, about: About, batch: list[str], actor_id: str | None) -> list[dict]:
    """Write a row for those of ``batch`` never told of the group; -> the rows written."""
    told = set(
        session.scalars(
            select(Notification.recipient_id).where(
                Notification.group_key == about.group_key, Notification.recipient_id.in_(batch)
            )
        )
    )
    rows = [_row(now, about, r, actor_id) for r in batch if r not in told]
    _insert(session, rows)
    return rows


def _gather(session, now: datetime, about: About, batch: list[str], actor_id: str | None) -> list[dict]:
    """Add the actor to each recipient's unread row of the group, or open a new row;
    -> the new (unread) rows."""
    open_rows = {
        row.recipient_id: row
        for row in session.execute(
            select(Notification.id, Notification.recipient_id, Notification.actor_ids).where(
                Notification.group_key == about.group_key,
                Notification.recipient_id.in_(batch),
                Notification.read_at.is_(None),
            )
        )
    }
    opened = [_row(now, about, r, actor_id) for r in batch if r not in open_rows]
    _insert(session, opened)
    if open_rows:
        _add_actor(session, now, list(open_rows.values()), actor_id)
    return opened


def _add_actor(session, now: datetime, rows: list, actor_id: str | None) -> None:
    """Bring ``rows`` to the top of their inboxes with ``actor_id`` first among their actors
    (counted once however often they act)."""
    counted = set()
    if actor_id:
        counted = set(
            session.scalars(
                select(NotificationActor.notification_id).where(
                    NotificationActor.actor_id == actor_id,
                    NotificationActor.notification_id.in_([r.id for r in rows]),
                )
            )
        )
        fresh = [{"notification_id": r.id, "actor_id": actor_id} for r in rows if r.id not in counted]
        if fresh:
            session.execute(insert(NotificationActor), fresh)
    for row in rows:
        actors = list(row.actor_ids or [])
        if actor_id:
            actors = [actor_id, *[a for a in actors if a != actor_id]][:ACTORS_SHOWN]
        increment = 1 if actor_id and row.id not in counted else 0
        session.execute(
            update(Notification)
            .where(Notification.id == row.id)
            .values(actor_ids=actors, actor_count=Notification.actor_count + increment, updated_at=now)
        )
