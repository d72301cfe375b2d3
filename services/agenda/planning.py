"""Events: who may see, create and change them, and what an event looks like to its reader.

The rules (contracts/parvis_contracts/authz_rules.yaml and services/agenda/authz_rules.yaml):

* reading an event is reading its community (``MembershipReadModel.access``): its members,
  any employee when it is open; an event of a community one may not read is the
  ``NotFound`` of an unknown id (a network admin who is not a member: ``Forbidden``, as
  for the wall); the newcomers' rule hides what ended before one joined, when the
  community says so;
* creating one: the community's managers (and admins who are members of it); changing or
  cancelling one: those and the event's organisers, who are members the managers named;
  anyone else who reads it: ``Forbidden``; an archived community refuses every change;
* every input is checked before anything is written (``prepare``): an end before the
  start, an unknown zone, a time the zone skips, a rule that explodes, a session outside
  the event, an organiser or invitee who is not a member: a 422 naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from parvis_contracts import limits
from parvis_contracts.db import new_id
from parvis_contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed, not_found
from parvis_contracts.membership import Access, Viewer

from . import events as published
from . import times
from .models import MEMBERSHIP, Event, EventSession, Invitation, Occurrence, Organiser, Rsvp

#: upcoming dates an event's page lists
SHOWN_OCCURRENCES = 10


@dataclass
class Seen:
    """An event as one viewer may see it."""

    event: Event
    access: Access
    organisers: list[str] = field(default_factory=list)

    @property
    def viewer(self) -> Viewer:
        return self.access.viewer

    @property
    def manages(self) -> bool:
        """A manager of the community, or an admin who is a member of it."""
        return self.access.is_manager or (self.viewer.admin and self.access.is_member)

    @property
    def may_edit(self) -> bool:
        return self.manages or (self.access.is_member and self.viewer.id in self.organisers)

    def require_edit(self) -> None:
        self.access.require_write()
        if not self.may_edit:
            raise Forbidden("Only the community's managers and the event's organisers can do this.")

    def require_managers(self) -> None:
        self.access.require_write()
        if not self.manages:
            raise Forbidden("Only the community's managers can name an event's organisers.")


def organisers_of(session, event_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Organiser.user_id)
            .where(Organiser.event_id == event_id)
            .order_by(Organiser.added_at, Organiser.user_id)
        )
    )


def find(session, viewer: Viewer, event_id: str, lock: bool = False) -> Seen:
    """The event, if ``viewer`` may read it; else the ``NotFound`` of an unknown id (or the
    admins' ``Forbidden``). ``lock``: the row is held until the transaction ends (a change,
    an answer: two at once take turns)."""
    query = select(Event).where(Event.id == event_id)
    if lock:
        query = query.with_for_update()
    event = session.scalars(query).first()
    if event is None:
        raise not_found("event")
    try:
        access = MEMBERSHIP.access(session, viewer, event.community_id)
    except NotFound:
        raise not_found("event") from None
    if not access.sees_date(event.last_ends_at):
        raise not_found("event")
    return Seen(event, access, organisers_of(session, event.id))


def community_access(session, viewer: Viewer, community_id: str) -> Access:
    return MEMBERSHIP.access(session, viewer, community_id)


# --- checking what is asked -----------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """An event's fields checked, with everything derived from them."""

    fields: dict
    timing: times.Timing
    rule: times.Rule | None
    exceptions: list[str]
    occurrences: list[tuple[datetime, datetime]]
    sessions: list[dict]


def prepare(data: dict) -> Prepared:
    """Check an event's fields together (``times`` for the timing and the rule, the
    programme against the first occurrence); raises one 422 for the first field wrong."""
    timing = times.timing(data["time_zone"], data["start"], data["end"], data["all_day"])
    rule = times.parse_rule(data.get("recurrence"))
    exceptions = times.normal_exceptions(data.get("exceptions"), timing)
    occurrences = times.expand(timing, rule, exceptions)
    sessions = [_session(i, s, timing) for i, s in enumerate(data.get("sessions") or [])]
    return Prepared(data, timing, rule, exceptions, occurrences, sessions)


def _session(position: int, data: dict, timing: times.Timing) -> dict:
    where = f"sessions.{position}"
    first = timing.start.replace(tzinfo=None)
    length = timing.end.replace(tzinfo=None) - first

    def offset(text: str, name: str) -> int:
        wall = times.parse_wall(text, f"{where}.{name}", all_day=False)
        if wall.tzinfo is not None:
            wall = wall.astimezone(timing.zone).replace(tzinfo=None)
        delta = wall - first
        if delta < timedelta(0) or delta > length:
            raise ValidationFailed(
                "The request is not valid.", {f"{where}.{name}": ["This time is outside the event."]}
            )
        return int(delta.total_seconds() // 60)

    start = offset(data["start"], "start")
    duration = None
    if data.get("end"):
        end = offset(data["end"], "end")
        if end < start:
            raise ValidationFailed(
                "The request is not valid.", {f"{where}.end": ["The end comes before the start."]}
            )
        duration = end - start
    speaker = " ".join((data.get("speaker") or "").split()) or None
    return {
        "position": position,
        "offset_minutes": start,
        "duration_minutes": duration,
        "title": data["title"],
        "speaker": speaker,
    }


def require_members(session, community_id: str, person_ids, name: str) -> list[str]:
    """``person_ids`` (duplicates merged), each a current member of the community; else a
    422 naming ``name`` (an unknown person and a non-member answer the same)."""
    wanted = list(dict.fromkeys(person_ids or []))
    if not wanted:
        return []
    members = set(MEMBERSHIP.member_ids(session, community_id, among=wanted))
    missing = [pid for pid in wanted if pid not in members]
    if missing:
        raise ValidationFailed(
            "The request is not valid.",
            {name: [f"Not a member of this community: {', '.join(missing[:5])}."]},
        )
    return wanted


# --- writing ---------------------------------------------------------------------------------


def _apply(session, event: Event, prepared: Prepared) -> None:
    data = prepared.fields
    event.title = data["title"]
    event.description = data.get("description") or ""
    event.time_zone = prepared.timing.zone.key
    event.all_day = prepared.timing.all_day
    event.starts_at = times.as_utc(prepared.timing.start)
    event.ends_at = times.as_utc(prepared.timing.end)
    event.last_ends_at = max(end for _, end in prepared.occurrences)
    event.place = " ".join((data.get("place") or "").split()) or None
    event.online_url = data.get("online_url") or None
    event.capacity = data.get("capacity")
    event.invite_only = bool(data.get("invite_only"))
    event.recurrence = prepared.rule.text if prepared.rule else None
    event.exceptions = prepared.exceptions
    session.execute(delete(Occurrence).where(Occurrence.event_id == event.id))
    session.execute(delete(EventSession).where(EventSession.event_id == event.id))
    session.flush()
    for start, end in prepared.occurrences:
        session.add(
            Occurrence(event_id=event.id, starts_at=start, ends_at=end, community_id=event.community_id)
        )
    for item in prepared.sessions:
        session.add(EventSession(event_id=event.id, **item))


def _set_people(session, model, event_id: str, person_ids: list[str], now: datetime, **extra) -> None:
    stamp = "added_at" if model is Organiser else "invited_at"
    for offset, pid in enumerate(person_ids):
        if session.get(model, (event_id, pid)) is None:
            # distinct stamps keep the order given
            session.add(
                model(
                    event_id=event_id, user_id=pid, **{stamp: now + timedelta(microseconds=offset)}, **extra
                )
            )


def payload(event: Event, organisers: list[str], by: str | None) -> dict:
    return {
        "event_id": event.id,
        "community_id": event.community_id,
        "title": event.title,
        "time_zone": event.time_zone,
        "all_day": bool(event.all_day),
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "recurrence": event.recurrence,
        "sequence": event.sequence,
        "organiser_ids": list(organisers),
        "by": by,
    }


def create(session, viewer: Viewer, now: datetime, data: dict) -> Seen:
    access = community_access(session, viewer, data["community_id"])
    access.require_write()
    if not (access.is_manager or (viewer.admin and access.is_member)):
        raise Forbidden("Only the community's managers create events (they may name organisers).")
    prepared = prepare(data)
    cid = data["community_id"]
    organisers = require_members(session, cid, [viewer.id, *data.get("organiser_ids", [])], "organiser_ids")
    if len(organisers) > limits.EVENT_ORGANISERS_MAX:
        raise ValidationFailed(
            "The request is not valid.",
            {"organiser_ids": [f"At most {limits.EVENT_ORGANISERS_MAX} organisers."]},
        )
    invitees = require_members(session, cid, data.get("invitee_ids"), "invitee_ids")
    event = Event(
        id=new_id(),
        community_id=cid,
        going_count=0,
        sequence=0,
        created_by=viewer.id,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    _apply(session, event, prepared)
    _set_people(session, Organiser, event.id, organisers, now)
    _set_people(session, Invitation, event.id, invitees, now, invited_by=viewer.id)
    session.flush()
    session.emit(published.EVENT_CREATED, payload(event, organisers, viewer.id))
    return Seen(event, access, organisers)


def stored_fields(session, event: Event) -> dict:
    """An event's fields as the organiser would type them again (what an update starts from)."""
    timing = times.stored_timing(event.time_zone, event.starts_at, event.ends_at, event.all_day)
    start, end = times.wall_text(timing.start), times.wall_text(timing.end)
    if event.all_day:
        start = timing.start.date().isoformat()
        end = (timing.end.date() - timedelta(days=1)).isoformat()
    return {
        "title": event.title,
        "description": event.description,
        "time_zone": event.time_zone,
        "start": start,
        "end": end,
        "all_day": bool(event.all_day),
        "place": event.place,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "invite_only": bool(event.invite_only),
        "recurrence": event.recurrence,
        "exceptions": list(event.exceptions or []),
        "sessions": [
            {"start": s["local_start"], "end": s["local_end"], "title": s["title"], "speaker": s["speaker"]}
            for s in sessions_of(session, event, timing.start, None)
        ],
    }


def update(session, viewer: Viewer, now: datetime, event_id: str, changes: dict, promote) -> Seen:
    seen = find(session, viewer, event_id, lock=True)
    seen.require_edit()
    event = seen.event
    if event.cancelled_at is not None:
        raise Conflict("This event is cancelled: it cannot be changed.")
    if "organiser_ids" in changes:
        seen.require_managers()
    base = stored_fields(session, event)
    if (
        "all_day" in changes
        and changes["all_day"] != base["all_day"]
        and not {"start", "end"} <= set(changes)
    ):
        raise ValidationFailed(
            "The request is not valid.", {"start": ["Give the start and the end again when all_day changes."]}
        )
    merged = {**base, **{k: v for k, v in changes.items() if k not in ("organiser_ids", "invitee_ids")}}
    prepared = prepare(merged)
    organisers = seen.organisers
    if "organiser_ids" in changes:
        organisers = require_members(session, event.community_id, changes["organiser_ids"], "organiser_ids")
    invitees = require_members(session, event.community_id, changes.get("invitee_ids"), "invitee_ids")
    _apply(session, event, prepared)
    if "organiser_ids" in changes:
        session.execute(delete(Organiser).where(Organiser.event_id == event.id))
        session.flush()
        _set_people(session, Organiser, event.id, organisers, now)
    _set_people(session, Invitation, event.id, invitees, now, invited_by=viewer.id)
    event.sequence += 1
    event.updated_at = now
    session.flush()
    promote(session, event, now)  # a larger capacity seats those waiting
    session.emit(published.EVENT_UPDATED, payload(event, organisers, viewer.id))
    seen.organisers = organisers
    return seen


def cancel(session, viewer: Viewer, now: datetime, event_id: str, reason: str) -> Seen:
    seen = find(session, viewer, event_id, lock=True)
    seen.require_edit()
    event = seen.event
    if event.cancelled_at is not None:
        raise Conflict("This event is already cancelled.")
    event.cancelled_at = now
    event.cancel_reason = " ".join((reason or "").split()) or None
    event.sequence += 1
    event.updated_at = now
    session.flush()
    session.emit(
        published.EVENT_CANCELLED,
        {**payload(event, seen.organisers, viewer.id), "reason": event.cancel_reason or ""},
    )
    return seen


def set_organisers(session, viewer: Viewer, now: datetime, event_id: str, person_ids: list[str]) -> dict:
    seen = find(session, viewer, event_id, lock=True)
    seen.require_managers()
    organisers = require_members(session, seen.event.community_id, person_ids, "person_ids")
    session.execute(delete(Organiser).where(Organiser.event_id == event_id))
    session.flush()
    _set_people(session, Organiser, event_id, organisers, now)
    seen.event.updated_at = now
    return {"event_id": event_id, "person_ids": organisers}


def invite(session, viewer: Viewer, now: datetime, event_id: str, person_ids: list[str]) -> dict:
    seen = find(session, viewer, event_id, lock=True)
    seen.require_edit()
    invitees = require_members(session, seen.event.community_id, person_ids, "person_ids")
    _set_people(session, Invitation, event_id, invitees, now, invited_by=viewer.id)
    session.flush()
    return {"event_id": event_id, "person_ids": invitee_ids(session, event_id)}


def invitee_ids(session, event_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Invitation.user_id)
            .where(Invitation.event_id == event_id)
            .order_by(Invitation.invited_at, Invitation.user_id)
        )
    )


def is_invited(session, event_id: str, user_id: str) -> bool:
    return session.get(Invitation, (event_id, user_id)) is not None


# --- what a reader sees ------------------------------------------------------------------------


def sessions_of(session, event: Event, start: datetime, reader_zone: str | None) -> list[dict]:
    """The programme of the occurrence starting at ``start`` (aware)."""
    zone = times.zone_of(event.time_zone)
    wall = start.astimezone(zone).replace(tzinfo=None)
    rows = session.scalars(
        select(EventSession).where(EventSession.event_id == event.id).order_by(EventSession.position)
    )
    items = []
    for row in rows:
        begins = times.lenient(wall + timedelta(minutes=row.offset_minutes), zone)
        ends = (
            times.lenient(wall + timedelta(minutes=row.offset_minutes + row.duration_minutes), zone)
            if row.duration_minutes is not None
            else None
        )
        items.append(
            {
                "position": row.position,
                "starts_at": times.as_utc(begins).isoformat(),
                "ends_at": times.as_utc(ends).isoformat() if ends else None,
                "title": row.title,
                "speaker": row.speaker,
                "local_start": times.wall_text(begins),
                "local_end": times.wall_text(ends) if ends else None,
                "start": times.shown_in(begins, reader_zone) if reader_zone is not None else None,
                "end": times.shown_in(ends, reader_zone) if ends and reader_zone is not None else None,
            }
        )
    return items


def counts_of(session, event_id: str) -> dict:
    rows = session.execute(
        select(Rsvp.status, Rsvp.waiting, func.count())
        .where(Rsvp.event_id == event_id)
        .group_by(Rsvp.status, Rsvp.waiting)
    ).all()
    counts = {"going": 0, "waiting": 0, "maybe": 0, "not_going": 0}
    for status, waiting, number in rows:
        counts["waiting" if status == "going" and waiting else status] += number
    return counts


def shown(moment: datetime, zone: str, all_day: bool, event_zone: str, end: bool = False) -> dict:
    """A moment as the reader sees it; an all-day event's dates are the same everywhere
    (its end: the last day, inclusive)."""
    if all_day:
        day = moment.astimezone(times.zone_of(event_zone)).date() - timedelta(days=1 if end else 0)
        return {"time_zone": event_zone, "local": day.isoformat(), "abbreviation": "", "offset": ""}
    return times.shown_in(moment, zone)


def view(session, seen: Seen, now: datetime, reader_zone: str) -> dict:
    """The event as its reader sees it (``EventSchema``)."""
    event, viewer = seen.event, seen.viewer
    upcoming = list(
        session.execute(
            select(Occurrence.starts_at, Occurrence.ends_at)
            .where(Occurrence.event_id == event.id, Occurrence.ends_at > now)
            .order_by(Occurrence.starts_at)
            .limit(SHOWN_OCCURRENCES)
        ).all()
    )
    total = session.scalar(select(func.count()).where(Occurrence.event_id == event.id))
    if upcoming:
        shown_start, shown_end = upcoming[0]
    else:  # over: its last date
        shown_start, shown_end = session.execute(
            select(Occurrence.starts_at, Occurrence.ends_at)
            .where(Occurrence.event_id == event.id)
            .order_by(Occurrence.starts_at.desc())
            .limit(1)
        ).one()
    counts = counts_of(session, event.id)
    mine = session.get(Rsvp, (event.id, viewer.id))
    invited = is_invited(session, event.id, viewer.id)
    stored = stored_fields(session, event)
    community = MEMBERSHIP.community(session, event.community_id)
    over = event.last_ends_at <= now
    may_answer = seen.access.is_member and not seen.access.community.archived
    may_answer = may_answer and event.cancelled_at is None and not over
    may_answer = may_answer and (not event.invite_only or invited or seen.may_edit)
    zone, all_day = reader_zone, bool(event.all_day)
    return {
        "id": event.id,
        "community_id": event.community_id,
        "community_name": community.name if community else "",
        "title": event.title,
        "description": event.description,
        "time_zone": event.time_zone,
        "all_day": all_day,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "local_start": stored["start"],
        "local_end": stored["end"],
        "start": shown(shown_start, zone, all_day, event.time_zone),
        "end": shown(shown_end, zone, all_day, event.time_zone, end=True),
        "reader_time_zone": times.zone_of(zone).key,
        "place": event.place,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "seats_left": max(event.capacity - event.going_count, 0) if event.capacity is not None else None,
        "counts": counts,
        "invite_only": bool(event.invite_only),
        "invited": invited,
        "recurrence": event.recurrence,
        "exceptions": list(event.exceptions or []),
        "occurrences": [
            {
                "starts_at": start.isoformat(),
                "ends_at": end.isoformat(),
                "start": shown(start, zone, all_day, event.time_zone),
                "end": shown(end, zone, all_day, event.time_zone, end=True),
            }
            for start, end in upcoming
        ],
        "occurrence_count": total,
        "sessions": sessions_of(session, event, shown_start, zone),
        "organiser_ids": list(seen.organisers),
        "cancelled": event.cancelled_at is not None,
        "cancelled_at": event.cancelled_at,
        "cancel_reason": event.cancel_reason,
        "sequence": event.sequence,
        "created_by": event.created_by,
        "created_at": event.created_at,
        "updated_at": event.updated_at,
        "my_rsvp": (
            {
                "status": mine.status,
                "note": mine.note,
                "waiting": bool(mine.waiting),
                "updated_at": mine.updated_at,
            }
            if mine is not None
            else None
        ),
        "can_edit": seen.may_edit and not seen.access.community.archived,
        "can_rsvp": may_answer,
        "can_manage_organisers": seen.manages and not seen.access.community.archived,
    }
