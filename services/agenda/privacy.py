"""Privacy (GDPR): what the agenda holds about one person, and their erasure.

Export (the person themself or a network admin): their answers (event, community, answer,
note, waiting list, dates), the events they organise or created, their invitations, and
their calendar feeds (when made and last read; never a token: only its hash is kept, and
that is not theirs to use).

On ``identity.user_erased``: their answers go (a seat they held goes to the first on the
waiting list, as when anyone leaves), so do their invitations, organiser roles and feeds
(the links stop at once); the events they created stay with the community, no longer naming
them (``created_by``, ``invited_by`` emptied). Handling the event twice finds nothing left.
"""

from __future__ import annotations

from sqlalchemy import select, update

from parvis_contracts.clock import utcnow
from parvis_contracts.privacy import iso, require_self_or_admin

from . import attendance, feeds
from .models import CalendarFeed, Event, Invitation, Organiser, Rsvp


def export(session, caller, person_id: str) -> dict:
    require_self_or_admin(caller, person_id)
    answers = session.execute(
        select(Rsvp, Event.title, Event.community_id)
        .join(Event, Event.id == Rsvp.event_id)
        .where(Rsvp.user_id == person_id)
        .order_by(Rsvp.updated_at, Rsvp.event_id)
    ).all()
    organised = session.execute(
        select(Event.id, Event.title, Event.community_id)
        .join(Organiser, Organiser.event_id == Event.id)
        .where(Organiser.user_id == person_id)
        .order_by(Event.starts_at, Event.id)
    ).all()
    created = session.execute(
        select(Event.id, Event.title, Event.community_id, Event.created_at)
        .where(Event.created_by == person_id)
        .order_by(Event.created_at, Event.id)
    ).all()
    invited = session.scalars(
        select(Invitation).where(Invitation.user_id == person_id).order_by(Invitation.invited_at)
    )
    owned = session.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == person_id).order_by(CalendarFeed.created_at)
    )
    return {
        "service": "agenda",
        "person_id": person_id,
        "rsvps": [
            {
                "event_id": r.Rsvp.event_id,
                "event_title": r.title,
                "community_id": r.community_id,
                "status": r.Rsvp.status,
                "note": r.Rsvp.note,
                "waiting_list": bool(r.Rsvp.status == "going" and r.Rsvp.waiting),
                "answered_at": iso(r.Rsvp.updated_at),
            }
            for r in answers
        ],
        "organised_events": [
            {"event_id": e.id, "title": e.title, "community_id": e.community_id} for e in organised
        ],
        "created_events": [
            {
                "event_id": e.id,
                "title": e.title,
                "community_id": e.community_id,
                "created_at": iso(e.created_at),
            }
            for e in created
        ],
        "invitations": [{"event_id": i.event_id, "invited_at": iso(i.invited_at)} for i in invited],
        "calendar_feeds": [
            {
                "id": f.id,
                "community_id": f.community_id,
                "created_at": iso(f.created_at),
                "last_used_at": iso(f.last_used_at),
            }
            for f in owned
        ],
    }


def forget_person(session, person_id: str) -> dict:
    """No commit: the handler commits with the processed-event mark. A seat freed goes to
    the first waiting (of a past event too: harmless, and the list stays consistent)."""
    now = utcnow()
    answers = list(session.scalars(select(Rsvp).where(Rsvp.user_id == person_id)))
    for rsvp in answers:
        event = session.get(Event, rsvp.event_id)
        seated = rsvp.status == "going" and not rsvp.waiting
        session.delete(rsvp)
        session.flush()
        if seated:
            attendance.free_seat(session, event.id)
            session.flush()
            if event.cancelled_at is None:
                attendance.promote(session, event, now)
    organiser_rows = list(session.scalars(select(Organiser).where(Organiser.user_id == person_id)))
    for row in organiser_rows:
        session.delete(row)
    invitations = list(session.scalars(select(Invitation).where(Invitation.user_id == person_id)))
    for row in invitations:
        session.delete(row)
    session.execute(update(Invitation).where(Invitation.invited_by == person_id).values(invited_by=None))
    created = session.execute(
        update(Event).where(Event.created_by == person_id).values(created_by=None)
    ).rowcount
    return {
        "rsvps": len(answers),
        "organiser_roles": len(organiser_rows),
        "invitations": len(invitations),
        "events_unnamed": created,
        "calendar_feeds": feeds.forget_person(session, person_id),
    }
