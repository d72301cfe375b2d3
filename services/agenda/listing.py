"""Agendas: a community's, and a person's own (every community they belong to).

One page is one SELECT on ``event_occurrences`` with the reading rule inside it (the
membership read model joined, ``MembershipReadModel.readable``, the newcomers' rule on
the occurrence's start), ordered by (start, event) and paged by that keyset. Two views:

* upcoming (the default): what has not ended yet, soonest first;
* a month (``month="2027-03"``): what overlaps that month in the *reader's* zone, so a
  reader in Singapore and one in London get the days they live in.

Each item is shown in the reader's zone, with the zone named, and the reader's calendar
day (``day``) a month view files it under.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select

from parvis_contracts import cursors
from parvis_contracts.membership import Viewer

from . import planning, times
from .models import MEMBERSHIP, Event, Occurrence, Rsvp


def _item(row, zone: str) -> dict:
    occ, event = row.Occurrence, row.Event
    all_day = bool(event.all_day)
    start = planning.shown(occ.starts_at, zone, all_day, event.time_zone)
    return {
        "event_id": event.id,
        "community_id": event.community_id,
        "community_name": row.name,
        "title": event.title,
        "all_day": all_day,
        "time_zone": event.time_zone,
        "starts_at": occ.starts_at.isoformat(),
        "ends_at": occ.ends_at.isoformat(),
        "start": start,
        "end": planning.shown(occ.ends_at, zone, all_day, event.time_zone, end=True),
        "day": start["local"][:10],
        "place": event.place,
        "online": bool(event.online_url),
        "recurring": event.recurrence is not None,
        "cancelled": event.cancelled_at is not None,
        "my_status": ("waiting" if row.status == "going" and row.waiting else row.status)
        if row.status
        else None,
    }


def _page(session, viewer: Viewer, rule, now: datetime, zone: str, limit: int, cursor, month) -> dict:
    o, c, m = Occurrence, MEMBERSHIP.communities, MEMBERSHIP.memberships
    query = (
        select(o, Event, c.c.name, Rsvp.status, Rsvp.waiting)
        .select_from(o)
        .join(Event, Event.id == o.event_id)
        .join(c, c.c.id == o.community_id)
        .outerjoin(m, MEMBERSHIP.viewer_membership(viewer, o.community_id))
        .outerjoin(Rsvp, and_(Rsvp.event_id == o.event_id, Rsvp.user_id == viewer.id))
        .where(rule)
    )
    if month:
        first, following = times.month_bounds(month, zone)
        query = query.where(o.starts_at < following, o.ends_at > first)
    else:
        query = query.where(o.ends_at > now)
    if cursor:
        stamp, last_id = cursors.decode(cursor, (datetime, str), "this agenda")
        query = query.where(or_(o.starts_at > stamp, and_(o.starts_at == stamp, o.event_id > last_id)))
    rows = session.execute(query.order_by(o.starts_at, o.event_id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].Occurrence if more else None
    return {
        "items": [_item(row, zone) for row in rows],
        "next_cursor": cursors.encode(last.starts_at, last.event_id) if more else None,
        "time_zone": times.zone_of(zone).key,
        "month": month,
    }


def community_agenda(session, viewer: Viewer, now: datetime, zone: str, community_id: str, **page) -> dict:
    """A community's agenda: answers as reading the community does (404, the admins' 403)."""
    MEMBERSHIP.access(session, viewer, community_id)
    rule = and_(
        Occurrence.community_id == community_id,
        MEMBERSHIP.readable(viewer, Occurrence.starts_at),
    )
    return _page(session, viewer, rule, now, zone, **page)


def my_agenda(session, viewer: Viewer, now: datetime, zone: str, **page) -> dict:
    """The events of every community the person belongs to (open ones they are not in: no)."""
    return _page(
        session,
        viewer,
        MEMBERSHIP.readable(viewer, Occurrence.starts_at, member_only=True),
        now,
        zone,
        **page,
    )
