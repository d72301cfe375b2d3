"""Who comes: answers (RSVP), seats, the waiting list, and the organisers' lists.

A "going" takes a seat when one is free, else waits (``waiting``) in the order people asked
(``queued_at``). A seat is taken by one conditional UPDATE of ``events.going_count``
(``capacity IS NULL OR going_count < capacity``): two answers at once never take the same
last seat, on SQLite or PostgreSQL. A seat frees when its holder answers otherwise, leaves
the community or is erased; the first waiting then takes it (:func:`promote`), and so on
while seats are free (a larger capacity seats several). A smaller capacity seats no one
more and moves no one out.

Answering is writing in the community (members only, not in an archived one; a guest only
in their communities); an invite-only event takes answers from its invitees and organisers
only; a cancelled or finished one takes none (409). The lists and their CSV export are the
organisers' and managers'; the CSV's cells never start with a character a spreadsheet
would run as a formula.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import and_, or_, select, update

from parvis_contracts.errors import Conflict, Forbidden

from . import events as published
from . import planning
from .models import Event, Rsvp

#: what a spreadsheet would take for a formula at the start of a cell (and the characters that
#: let one through after a blank line or a tab)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: the order of a list: seats in the order taken, the waiting list in its order, then the rest
STATUS_ORDER = {"going": 0, "waiting": 1, "maybe": 2, "not_going": 3}


def take_seat(session, event_id: str) -> bool:
    done = session.execute(
        update(Event)
        .where(Event.id == event_id, or_(Event.capacity.is_(None), Event.going_count < Event.capacity))
        .values(going_count=Event.going_count + 1)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def free_seat(session, event_id: str) -> None:
    session.execute(
        update(Event)
        .where(Event.id == event_id, Event.going_count > 0)
        .values(going_count=Event.going_count - 1)
        .execution_options(synchronize_session=False)
    )


def _rsvp_changed(session, event: Event, rsvp: Rsvp, promoted: bool = False) -> None:
    session.emit(
        published.RSVP_CHANGED,
        {
            "event_id": event.id,
            "community_id": event.community_id,
            "user_id": rsvp.user_id,
            "status": rsvp.status,
            "waiting": bool(rsvp.waiting),
            "promoted": promoted,
        },
    )


def promote(session, event: Event, now: datetime) -> int:
    """Seat the waiting, first come first seated, while seats are free; how many were."""
    seated = 0
    while True:
        head = session.scalars(
            select(Rsvp)
            .where(Rsvp.event_id == event.id, Rsvp.status == "going", Rsvp.waiting.is_(True))
            .order_by(Rsvp.queued_at, Rsvp.user_id)
            .limit(1)
        ).first()
        if head is None or not take_seat(session, event.id):
            break
        head.waiting = False
        head.updated_at = now
        session.flush()
        _rsvp_changed(session, event, head, promoted=True)
        seated += 1
    session.refresh(event)
    return seated


def _release(session, event: Event, rsvp: Rsvp, now: datetime) -> None:
    """``rsvp`` no longer holds a seat (it had one): the seat goes to the first waiting."""
    free_seat(session, event.id)
    session.flush()
    promote(session, event, now)


def answer(session, viewer, now: datetime, event_id: str, status: str, note: str) -> dict:
    seen = planning.find(session, viewer, event_id, lock=True)
    event = seen.event
    seen.access.require_write()
    if event.invite_only and not (seen.may_edit or planning.is_invited(session, event.id, viewer.id)):
        raise Forbidden("This event is by invitation only.")
    if event.cancelled_at is not None:
        raise Conflict("This event is cancelled.")
    if event.last_ends_at <= now:
        raise Conflict("This event is over.")
    note = (note or "").strip()
    rsvp = session.get(Rsvp, (event.id, viewer.id))
    if rsvp is None:
        rsvp = Rsvp(
            event_id=event.id,
            user_id=viewer.id,
            status="",
            note="",
            waiting=False,
            queued_at=now,
            updated_at=now,
        )
        session.add(rsvp)
    seated = rsvp.status == "going" and not rsvp.waiting
    waiting = rsvp.status == "going" and bool(rsvp.waiting)
    if status == "going" and not (seated or waiting):
        rsvp.waiting = not take_seat(session, event.id)
        rsvp.queued_at = now
    elif status != "going":
        rsvp.waiting = False
    rsvp.status, rsvp.note, rsvp.updated_at = status, note, now
    session.flush()
    if seated and status != "going":
        _release(session, event, rsvp, now)
    _rsvp_changed(session, event, rsvp)
    session.refresh(event)
    return mine(rsvp)


def mine(rsvp: Rsvp | None) -> dict | None:
    if rsvp is None:
        return None
    return {
        "event_id": rsvp.event_id,
        "user_id": rsvp.user_id,
        "status": rsvp.status,
        "note": rsvp.note,
        "waiting": bool(rsvp.waiting),
        "queued_at": rsvp.queued_at,
        "updated_at": rsvp.updated_at,
    }


def my_answer(session, viewer, event_id: str) -> dict:
    seen = planning.find(session, viewer, event_id)
    found = mine(session.get(Rsvp, (seen.event.id, viewer.id)))
    return found or {
        "event_id": seen.event.id,
        "user_id": viewer.id,
        "status": "none",
        "note": "",
        "waiting": False,
        "queued_at": None,
        "updated_at": None,
    }


def _list(session, seen) -> list[Rsvp]:
    if not seen.may_edit:
        raise Forbidden("Only the community's managers and the event's organisers see who answered.")
    rows = list(session.scalars(select(Rsvp).where(Rsvp.event_id == seen.event.id)))

    def key(r):
        status = "waiting" if r.status == "going" and r.waiting else r.status
        return (
            STATUS_ORDER.get(status, 9),
            r.queued_at if status in ("going", "waiting") else r.updated_at,
            r.user_id,
        )

    return sorted(rows, key=key)


def listing(session, viewer, event_id: str) -> dict:
    seen = planning.find(session, viewer, event_id)
    rows = _list(session, seen)
    return {
        "event_id": seen.event.id,
        "items": [mine(r) for r in rows],
        "counts": planning.counts_of(session, seen.event.id),
        "invitee_ids": planning.invitee_ids(session, seen.event.id),
    }


def safe_cell(value) -> str:
    """A cell no spreadsheet runs: one starting like a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export(session, viewer, event_id: str, names) -> dict:
    """The answers as CSV (UTF-8, one header line): name, person id, answer, waiting, note,
    when. ``names(ids)`` -> ``{id: display name}`` (identity's)."""
    seen = planning.find(session, viewer, event_id)
    rows = _list(session, seen)
    known = names([r.user_id for r in rows]) if rows else {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["name", "person_id", "answer", "waiting_list", "note", "answered_at"])
    for r in rows:
        writer.writerow(
            [
                safe_cell(known.get(r.user_id) or ""),
                safe_cell(r.user_id),
                safe_cell(r.status),
                "yes" if r.status == "going" and r.waiting else "no",
                safe_cell(r.note),
                safe_cell(r.updated_at.isoformat()),
            ]
        )
    return {"filename": f"rsvps-{seen.event.id}.csv", "csv": out.getvalue()}


def person_left(session, community_id: str, user_id: str, now: datetime) -> int:
    """Someone left a community: their seats at its events still to come free (their
    answers stay, as history; they can no longer read them). How many seats freed."""
    events = session.scalars(
        select(Event)
        .join(Rsvp, and_(Rsvp.event_id == Event.id, Rsvp.user_id == user_id))
        .where(Event.community_id == community_id, Event.last_ends_at > now, Event.cancelled_at.is_(None))
    ).all()
    freed = 0
    for event in events:
        rsvp = session.get(Rsvp, (event.id, user_id))
        if rsvp.status != "going":
            continue
        had_seat = not rsvp.waiting
        rsvp.status, rsvp.waiting, rsvp.updated_at = "not_going", False, now
        session.flush()
        _rsvp_changed(session, event, rsvp)
        if had_seat:
            _release(session, event, rsvp, now)
            freed += 1
    return freed
