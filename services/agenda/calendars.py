"""iCalendar (RFC 5545) files, made with the ``icalendar`` library.

* one event (``event_file``): METHOD:PUBLISH, or METHOD:CANCEL once it is cancelled;
* a feed (``feed_file``): a person's agenda or one community's, METHOD:PUBLISH, its
  cancelled events kept with STATUS:CANCELLED so subscribed calendars drop them.

Each VEVENT: UID ``<id>@parvis`` (the same in both), DTSTART/DTEND in the organiser's zone
(TZID, with its VTIMEZONE, which the library writes from the zone database) or as dates for
an all-day event, the RRULE and EXDATEs of a recurring one (its UNTIL in UTC, as the RFC
asks of a zoned start), SEQUENCE (bumped at every change), ORGANIZER and ATTENDEE as
``urn:uuid:<person id>`` with their names and PARTSTAT (going: ACCEPTED; maybe, or on the
waiting list: TENTATIVE; not going: DECLINED). Who is listed as attendee: everyone for the
event's organisers and managers, otherwise only the reader themself.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar, vCalAddress, vRecur
from icalendar import Event as VEvent
from sqlalchemy import select

from . import planning, times
from .models import Event, Rsvp

PRODID = "-//Parvis//Agenda//EN"
PARTSTAT = {"going": "ACCEPTED", "maybe": "TENTATIVE", "not_going": "DECLINED"}


def uid(event_id: str) -> str:
    return f"{event_id}@parvis"


def person_address(person_id: str, name: str | None, **params) -> vCalAddress:
    address = vCalAddress(f"urn:uuid:{person_id}")
    if name:
        address.params["CN"] = name
    for key, value in params.items():
        address.params[key.upper()] = value
    return address


def ical_rule(event: Event) -> vRecur | None:
    """The stored rule as the RFC wants it beside this DTSTART: UNTIL in UTC for a zoned
    start, a date for an all-day one."""
    if not event.recurrence:
        return None
    rule = times.parse_rule(event.recurrence)
    timing = times.stored_timing(event.time_zone, event.starts_at, event.ends_at, event.all_day)
    parts = dict(rule.parts)
    until = times.until_of(rule, timing.zone)
    if until is not None:
        parts["UNTIL"] = (
            until.date().strftime("%Y%m%d")
            if event.all_day
            else times.as_utc(until).strftime("%Y%m%dT%H%M%SZ")
        )
    return vRecur.from_ical(";".join(f"{k}={v}" for k, v in parts.items()))


def _description(session, event: Event) -> str:
    text = event.description or ""
    programme = planning.sessions_of(session, event, event.starts_at, None)
    if programme:
        lines = []
        for item in programme:
            when = item["local_start"][11:16]
            speaker = f" — {item['speaker']}" if item["speaker"] else ""
            lines.append(f"{when} {item['title']}{speaker}")
        text = (text + "\n\n" if text else "") + "\n".join(lines)
    if event.cancelled_at is not None and event.cancel_reason:
        text = f"{event.cancel_reason}\n\n{text}" if text else event.cancel_reason
    return text


def vevent(session, event: Event, organisers: list[str], attendees: list[Rsvp], names: dict, now: datetime):
    timing = times.stored_timing(event.time_zone, event.starts_at, event.ends_at, event.all_day)
    item = VEvent()
    item.add("uid", uid(event.id))
    item.add("dtstamp", now)
    item.add("created", event.created_at)
    item.add("last-modified", event.updated_at)
    item.add("sequence", event.sequence)
    item.add("summary", event.title)
    if event.all_day:
        item.add("dtstart", timing.start.date())
        item.add("dtend", timing.end.date())
    else:
        item.add("dtstart", timing.start)
        item.add("dtend", timing.end)
    rule = ical_rule(event)
    if rule is not None:
        item.add("rrule", rule)
        if event.exceptions:
            skipped = [
                date.fromisoformat(x)
                if event.all_day
                else datetime.fromisoformat(x).replace(tzinfo=timing.zone)
                for x in event.exceptions
            ]
            item.add("exdate", skipped)
    description = _description(session, event)
    if description:
        item.add("description", description)
    if event.place:
        item.add("location", event.place)
    elif event.online_url:
        item.add("location", event.online_url)
    if event.online_url:
        item.add("url", event.online_url)
    item.add("status", "CANCELLED" if event.cancelled_at is not None else "CONFIRMED")
    if organisers:
        item.add("organizer", person_address(organisers[0], names.get(organisers[0])))
    for rsvp in attendees:
        status = "TENTATIVE" if rsvp.status == "going" and rsvp.waiting else PARTSTAT[rsvp.status]
        item.add(
            "attendee",
            person_address(rsvp.user_id, names.get(rsvp.user_id), partstat=status, role="REQ-PARTICIPANT"),
        )
    return item


def _calendar(method: str, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _finish(cal: Calendar, events: list[Event]) -> str:
    if events:
        first = min(e.starts_at for e in events).date() - timedelta(days=366)
        last = max(e.last_ends_at for e in events).date() + timedelta(days=366)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical().decode("utf-8")


def attendees_for(session, seen, viewer_id: str) -> list[Rsvp]:
    query = select(Rsvp).where(Rsvp.event_id == seen.event.id)
    if not seen.may_edit:
        query = query.where(Rsvp.user_id == viewer_id)
    return list(session.scalars(query.order_by(Rsvp.queued_at, Rsvp.user_id)))


def event_file(session, seen, now: datetime, names) -> dict:
    """One event's ``.ics`` as its reader may see it."""
    event = seen.event
    attendees = attendees_for(session, seen, seen.viewer.id)
    people = names([*seen.organisers[:1], *(r.user_id for r in attendees)])
    cal = _calendar("CANCEL" if event.cancelled_at is not None else "PUBLISH")
    cal.add_component(vevent(session, event, seen.organisers, attendees, people, now))
    return {"filename": f"event-{event.id}.ics", "ics": _finish(cal, [event])}


def feed_file(session, events: list, viewer_id: str, now: datetime, names, title: str) -> dict:
    """A feed: ``events`` as (event, organisers) pairs, each with the reader's own answer."""
    answers = (
        {
            r.event_id: r
            for r in session.scalars(
                select(Rsvp).where(Rsvp.user_id == viewer_id, Rsvp.event_id.in_([e.id for e, _ in events]))
            )
        }
        if events
        else {}
    )
    people = names(list({*(o[0] for _, o in events if o), *(r.user_id for r in answers.values())}))
    cal = _calendar("PUBLISH", title)
    for event, organisers in events:
        mine = [answers[event.id]] if event.id in answers else []
        cal.add_component(vevent(session, event, organisers, mine, people, now))
    return {"filename": "agenda.ics", "ics": _finish(cal, [e for e, _ in events])}
