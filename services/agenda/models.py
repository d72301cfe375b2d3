"""Tables of the agenda service (its own database; nobody else reads it).

* the read model of communities and membership (``parvis_contracts.membership``), fed by
  the communities events: who may read a community's agenda now, who manages it;
* ``events``: one row per event (a recurring one is one row): its text, its time as the
  organiser gave it (the first occurrence in UTC, plus the IANA zone it was given in), its
  recurrence rule and exceptions, capacity, cancellation, and ``sequence``, bumped at each
  change (iCalendar's SEQUENCE);
* ``event_occurrences``: the dates an event takes place on, in UTC, expanded from its rule
  in the organiser's zone (so 10:00 in Paris stays 10:00 in Paris across a daylight-saving
  change) within the expansion window: the agenda pages are one keyset query on them;
* ``event_sessions``: the programme (minutes after the start, title, speaker);
* ``event_organisers`` and ``event_invitations``: who edits it, who may answer an
  invite-only one;
* ``event_rsvps``: one answer per person and event (going, maybe, not going, a note);
  ``waiting`` marks a "going" beyond the capacity, promoted in ``queued_at`` order when a
  seat frees (``events.going_count`` counts the seats taken, changed by one conditional
  UPDATE so two answers at once never take the same last seat);
* ``calendar_feeds``: a person's subscribable feeds, by the SHA-256 of their secret token
  (the token itself is shown once and never stored).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parvis_contracts.db import UtcDateTime, infrastructure_tables
from parvis_contracts.membership import MembershipReadModel


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)
MEMBERSHIP = MembershipReadModel(metadata)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_community", "community_id", "starts_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    community_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown, rendered (and sanitised) by whoever shows it
    description: Mapped[str] = mapped_column(Text)
    #: the IANA zone the organiser gave its times in
    time_zone: Mapped[str] = mapped_column(String(64))
    all_day: Mapped[bool] = mapped_column(Boolean)
    #: the first occurrence, in UTC (an all-day event: midnight in its zone)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: the end of its last expanded occurrence (the newcomers' rule and "past" read it)
    last_ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    place: Mapped[str | None] = mapped_column(String(500), nullable=True)
    online_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: None: no limit
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: seats taken: RSVPs "going" that are not waiting
    going_count: Mapped[int] = mapped_column(Integer, default=0)
    invite_only: Mapped[bool] = mapped_column(Boolean)
    #: the RRULE as normalised by ``times.parse_rule`` (None: a single event)
    recurrence: Mapped[str | None] = mapped_column(String(300), nullable=True)
    #: EXDATE: local start times (ISO, in ``time_zone``; dates for all-day events)
    exceptions: Mapped[list] = mapped_column(JSON)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: iCalendar's SEQUENCE: 0 at creation, +1 at every change a calendar must follow
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: None once the creator's account was erased
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Occurrence(Base):
    __tablename__ = "event_occurrences"
    __table_args__ = (
        Index("ix_event_occurrences_community", "community_id", "starts_at", "event_id"),
        Index("ix_event_occurrences_starts", "starts_at", "event_id"),
    )

    event_id: Mapped[str] = mapped_column(String(64), ForeignKey("events.id"), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    community_id: Mapped[str] = mapped_column(String(64))


class EventSession(Base):
    """One item of an event's programme."""

    __tablename__ = "event_sessions"

    event_id: Mapped[str] = mapped_column(String(64), ForeignKey("events.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: minutes after the event's start (each occurrence's, for a recurring event)
    offset_minutes: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    speaker: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Organiser(Base):
    __tablename__ = "event_organisers"
    __table_args__ = (Index("ix_event_organisers_user", "user_id"),)

    event_id: Mapped[str] = mapped_column(String(64), ForeignKey("events.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Invitation(Base):
    __tablename__ = "event_invitations"
    __table_args__ = (Index("ix_event_invitations_user", "user_id"),)

    event_id: Mapped[str] = mapped_column(String(64), ForeignKey("events.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: None once the inviting person's account was erased
    invited_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    invited_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Rsvp(Base):
    __tablename__ = "event_rsvps"
    __table_args__ = (
        Index("ix_event_rsvps_queue", "event_id", "waiting", "queued_at"),
        Index("ix_event_rsvps_user", "user_id"),
    )

    event_id: Mapped[str] = mapped_column(String(64), ForeignKey("events.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: going / maybe / not_going (``vocabulary.RSVP_STATUSES``)
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text)
    #: "going" beyond the capacity: on the waiting list
    waiting: Mapped[bool] = mapped_column(Boolean)
    #: when the person last asked for a seat (the waiting list's order)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CalendarFeed(Base):
    __tablename__ = "calendar_feeds"
    __table_args__ = (Index("ix_calendar_feeds_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    #: None: the person's whole agenda; else one community's
    community_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: SHA-256 (hex) of the secret token: the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the person was a guest when they made it (a guest reads no open community)
    guest: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
