"""Privacy (GDPR): a person's notifications, follows and levels, and their erasure.

Export (the person or a network admin): what the person was told (other people by id),
what they follow, their levels and their e-mail frequencies. On ``identity.user_erased``
all of it goes, their mail queue and records with it; where the
person acted on someone else's notification ("Lucia and 3 others liked..."), their id is
taken out of its actors (the count stays: the others were told that many people acted).
Handling the event twice finds nothing left to change.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update

from parvis_contracts.privacy import iso, require_self_or_admin

from . import mailing
from .models import CommunityLevel, Follow, Notification, NotificationActor, Subject


def export(session, caller, person_id: str) -> dict:
    require_self_or_admin(caller, person_id)
    told = session.scalars(
        select(Notification)
        .where(Notification.recipient_id == person_id)
        .order_by(Notification.created_at, Notification.id)
    )
    follows = session.scalars(select(Follow).where(Follow.user_id == person_id).order_by(Follow.target_id))
    levels = session.scalars(select(CommunityLevel).where(CommunityLevel.user_id == person_id))
    return {
        "service": "notifications",
        "person_id": person_id,
        "notifications": [
            {
                "kind": n.kind,
                "community_id": n.community_id,
                "subject_kind": n.subject_kind,
                "subject_id": n.subject_id,
                "actor_ids": list(n.actor_ids or []),
                "actor_count": n.actor_count,
                "created_at": iso(n.created_at),
                "read_at": iso(n.read_at) if n.read_at else None,
            }
            for n in told
        ],
        "follows": [
            {"target_kind": f.target_kind, "target_id": f.target_id, "following": f.active} for f in follows
        ],
        "community_levels": [{"community_id": lv.community_id, "level": lv.level} for lv in levels],
        "mail_frequencies": mailing.preferences(session, person_id),
    }


def forget_person(session, person_id: str) -> None:
    mine = select(Notification.id).where(Notification.recipient_id == person_id)
    session.execute(delete(NotificationActor).where(NotificationActor.notification_id.in_(mine)))
    session.execute(delete(Notification).where(Notification.recipient_id == person_id))
    acted = list(
        session.scalars(
            select(NotificationActor.notification_id).where(NotificationActor.actor_id == person_id)
        )
    )
    for notification in session.scalars(select(Notification).where(Notification.id.in_(acted))):
        notification.actor_ids = [None if a == person_id else a for a in notification.actor_ids or []]
    session.execute(delete(NotificationActor).where(NotificationActor.actor_id == person_id))
    session.execute(delete(Follow).where(Follow.user_id == person_id))
    session.execute(delete(CommunityLevel).where(CommunityLevel.user_id == person_id))
    # what a mail may quote: nothing of what they wrote, nothing that names them
    quoting = or_(
        Subject.author_id == person_id, Subject.excerpt.contains(f"]({person_id})", autoescape=True)
    )
    session.execute(update(Subject).where(quoting).values(excerpt=None))
    session.execute(update(Subject).where(Subject.author_id == person_id).values(author_id=None))
    mailing.forget(session, person_id)
