"""Subscribable calendar feeds: a secret link per feed, its owner's rights checked at each fetch.

A person makes a feed of their whole agenda or of one community they may read; the answer
carries its token once (``secrets.token_urlsafe``, 256 bits). Only its SHA-256 is stored:
a stolen database gives no working link. The person lists their feeds (never the tokens)
and revokes any of them: the link then answers 404, like a link that never existed.

A calendar client fetches the feed with no session: the token names the person, and at
every fetch their rights are what they are *now* — identity says whether they may still
sign in (deactivated, a guest whose access ended: 404), and the membership read model
which communities they read (removed from one: its events leave the feed at the next
fetch; a community feed of a community they no longer read: 404).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from parvis_contracts import limits
from parvis_contracts.db import new_id
from parvis_contracts.errors import Conflict, Forbidden, NotFound, not_found
from parvis_contracts.membership import Viewer

from . import calendars, planning
from .models import MEMBERSHIP, CalendarFeed, Event

#: how far back a feed goes (what ended before is left out)
FEED_PAST_DAYS = 365
#: the most events one feed carries (the soonest to end first)
FEED_EVENTS_MAX = 1000


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _shape(feed: CalendarFeed, session, token: str | None = None) -> dict:
    community = MEMBERSHIP.community(session, feed.community_id) if feed.community_id else None
    shaped = {
        "id": feed.id,
        "community_id": feed.community_id,
        "community_name": community.name if community else None,
        "created_at": feed.created_at,
        "last_used_at": feed.last_used_at,
    }
    if token is not None:
        shaped["token"] = token
    return shaped


def create(session, viewer: Viewer, now: datetime, community_id: str | None) -> dict:
    if community_id is not None:
        planning.community_access(session, viewer, community_id)
    held = session.scalar(select(func.count()).where(CalendarFeed.user_id == viewer.id))
    if held >= limits.CALENDAR_FEEDS_MAX:
        raise Conflict(f"You have {held} calendar links: revoke one before making another.")
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        id=new_id(),
        user_id=viewer.id,
        community_id=community_id,
        token_hash=digest(token),
        guest=viewer.guest,
        created_at=now,
    )
    session.add(feed)
    session.flush()
    return _shape(feed, session, token)


def listing(session, viewer: Viewer) -> dict:
    feeds = session.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == viewer.id).order_by(CalendarFeed.created_at)
    )
    return {"items": [_shape(f, session) for f in feeds]}


def revoke(session, viewer: Viewer, feed_id: str) -> None:
    feed = session.get(CalendarFeed, feed_id)
    if feed is None or feed.user_id != viewer.id:
        raise not_found("calendar feed")
    session.delete(feed)


def resolve(session, token: str) -> CalendarFeed:
    feed = session.scalars(select(CalendarFeed).where(CalendarFeed.token_hash == digest(token))).first()
    if feed is None:
        raise not_found("calendar feed")
    return feed


def fetch(session, token: str, now: datetime, active, names) -> dict:
    """The feed's ``.ics``. ``active(person_id)``: whether the person may still sign in
    (identity's word); ``names(ids)``: display names."""
    feed = resolve(session, token)
    if not active(feed.user_id):
        raise not_found("calendar feed")
    viewer = Viewer(id=feed.user_id, guest=bool(feed.guest), admin=False)
    c, m = MEMBERSHIP.communities, MEMBERSHIP.memberships
    query = (
        select(Event, c.c.name)
        .join(c, c.c.id == Event.community_id)
        .outerjoin(m, MEMBERSHIP.viewer_membership(viewer, Event.community_id))
        .where(Event.last_ends_at > now - timedelta(days=FEED_PAST_DAYS))
    )
    if feed.community_id is not None:
        try:
            community = MEMBERSHIP.access(session, viewer, feed.community_id).community
        except (NotFound, Forbidden):
            raise not_found("calendar feed") from None
        query = query.where(
            Event.community_id == feed.community_id, MEMBERSHIP.readable(viewer, Event.last_ends_at)
        )
        title = f"Parvis — {community.name}"
    else:
        query = query.where(MEMBERSHIP.readable(viewer, Event.last_ends_at, member_only=True))
        title = "Parvis — my agenda"
    rows = session.execute(query.order_by(Event.last_ends_at, Event.id).limit(FEED_EVENTS_MAX)).all()
    pairs = [(row.Event, planning.organisers_of(session, row.Event.id)) for row in rows]
    feed.last_used_at = now
    return calendars.feed_file(session, pairs, viewer.id, now, names, title)


def forget_person(session, user_id: str) -> int:
    found = list(session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user_id)))
    for feed in found:
        session.delete(feed)
    return len(found)
