"""The agenda: ``/api/v1/communities/{id}/events``, ``/api/v1/events/{id}`` (with its RSVP,
lists, organisers, invitations and ``.ics``), ``/api/v1/agenda`` (mine) and the secret
calendar feeds.

The agenda service decides (docs/services/agenda.md): who may read, create, change or
answer, and the times in the reader's zone (``time_zone`` of the query, else the person's
profile, else UTC), each named. The request schemas state the service's limits (the
contracts' ``EVENT_*``); the answers are documented here.
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import TimeZone
from parvis_contracts.vocabulary import RSVP_STATUSES

from .. import auth
from ..calls import agenda
from .schemas import Timestamp, _cursor, _limit

blp = Blueprint(
    "agenda",
    __name__,
    url_prefix="/api/v1",
    description="Community events and your agenda: times in your zone, answers (RSVP) with "
    "waiting lists, iCalendar files and subscribable calendar feeds",
)

WALL = (
    "a wall time in `time_zone`, such as `2027-03-25T10:00` (a time with an offset is taken as "
    "that instant); for an all-day event a date, `2027-03-25`"
)


def _wall(**kwargs):
    kwargs.setdefault("metadata", {"description": WALL})
    return fields.String(validate=validate.Length(1, 40), **kwargs)


def _ids(most: int, **kwargs):
    return fields.List(
        fields.String(validate=validate.Length(1, limits.ID_MAX)),
        validate=validate.Length(max=most),
        **kwargs,
    )


class ProgrammeItemInSchema(ma.Schema):
    start = _wall(required=True)
    end = _wall(allow_none=True)
    title = fields.String(required=True, validate=validate.Length(1, limits.EVENT_SESSION_TITLE_MAX))
    speaker = fields.String(allow_none=True, validate=validate.Length(max=limits.EVENT_SPEAKER_MAX))


class EventFieldsSchema(ma.Schema):
    title = fields.String(validate=validate.Length(1, limits.EVENT_TITLE_MAX))
    description = fields.String(
        validate=validate.Length(max=limits.EVENT_DESCRIPTION_MAX), metadata={"description": "Markdown"}
    )
    time_zone = TimeZone(metadata={"description": "the organiser's IANA zone, such as Europe/Paris"})
    start = _wall()
    end = _wall(metadata={"description": WALL + "; for an all-day event its last day (inclusive)"})
    all_day = fields.Boolean()
    place = fields.String(allow_none=True, validate=validate.Length(max=limits.EVENT_PLACE_MAX))
    online_url = fields.String(
        allow_none=True,
        validate=validate.Length(max=limits.EVENT_URL_MAX),
        metadata={"description": "an http or https link (a meeting)"},
    )
    capacity = fields.Integer(
        allow_none=True,
        validate=validate.Range(1, limits.EVENT_CAPACITY_MAX),
        metadata={
            "description": "seats; beyond, a `going` waits and is seated when one frees. null: no limit"
        },
    )
    invite_only = fields.Boolean(metadata={"description": "only invitees and organisers may answer"})
    recurrence = fields.String(
        allow_none=True,
        validate=validate.Length(max=limits.EVENT_RRULE_MAX),
        metadata={
            "description": "an RFC 5545 RRULE (DAILY, WEEKLY, MONTHLY or YEARLY), such as "
            "`FREQ=WEEKLY;BYDAY=TU;COUNT=10`; expanded in `time_zone`, at most "
            f"{limits.EVENT_OCCURRENCES_MAX} dates within {limits.EVENT_EXPANSION_DAYS} days "
            "(more: 422)"
        },
    )
    exceptions = fields.List(
        _wall(),
        validate=validate.Length(max=limits.EVENT_EXCEPTIONS_MAX),
        metadata={"description": "dates of the rule that do not take place (EXDATE), as wall times"},
    )
    sessions = fields.List(
        fields.Nested(ProgrammeItemInSchema),
        validate=validate.Length(max=limits.EVENT_SESSIONS_MAX),
        metadata={"description": "the programme (of the first date; a recurring event repeats it)"},
    )
    organiser_ids = _ids(
        limits.EVENT_ORGANISERS_MAX,
        metadata={"description": "members who may change the event (managers only name them)"},
    )
    invitee_ids = _ids(limits.EVENT_INVITEES_MAX, metadata={"description": "members invited"})


class EventCreateSchema(EventFieldsSchema):
    class Meta:
        unknown = ma.RAISE

    title = fields.String(required=True, validate=validate.Length(1, limits.EVENT_TITLE_MAX))
    time_zone = TimeZone(required=True, metadata={"description": "the organiser's IANA zone"})
    start = _wall(required=True)
    end = _wall(required=True)


class EventUpdateSchema(EventFieldsSchema):
    class Meta:
        unknown = ma.RAISE


class ReaderZoneQuerySchema(ma.Schema):
    time_zone = TimeZone(
        metadata={"description": "show the times in this IANA zone (default: your profile's, else UTC)"}
    )


class AgendaQuerySchema(ReaderZoneQuerySchema):
    limit = _limit(50, limits.AGENDA_PAGE_MAX)
    cursor = _cursor()
    month = fields.String(
        validate=validate.Regexp(r"^\d{4}-\d{2}$"),
        metadata={"description": "`YYYY-MM`: that month (in your zone) instead of what is upcoming"},
    )


class LocalTimeSchema(ma.Schema):
    time_zone = fields.String(metadata={"description": "the zone the time is shown in"})
    local = fields.String(metadata={"description": "the wall time there (a date for an all-day event)"})
    abbreviation = fields.String(metadata={"description": "the zone's abbreviation then (CET, CEST, GMT...)"})
    offset = fields.String(metadata={"description": "the offset from UTC then, `+01:00`"})


class ProgrammeItemSchema(ma.Schema):
    position = fields.Integer()
    starts_at = Timestamp()
    ends_at = Timestamp(allow_none=True)
    title = fields.String()
    speaker = fields.String(allow_none=True)
    local_start = fields.String(metadata={"description": "in the organiser's zone"})
    local_end = fields.String(allow_none=True)
    start = fields.Nested(LocalTimeSchema, metadata={"description": "in the reader's zone"})
    end = fields.Nested(LocalTimeSchema, allow_none=True)


class EventOccurrenceSchema(ma.Schema):
    starts_at = Timestamp()
    ends_at = Timestamp()
    start = fields.Nested(LocalTimeSchema)
    end = fields.Nested(LocalTimeSchema)


class RsvpCountsSchema(ma.Schema):
    going = fields.Integer(metadata={"description": "seats taken"})
    waiting = fields.Integer(metadata={"description": "on the waiting list"})
    maybe = fields.Integer()
    not_going = fields.Integer()


class MyEventRsvpSchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(RSVP_STATUSES))
    note = fields.String()
    waiting = fields.Boolean()
    updated_at = Timestamp()


class EventSchema(ma.Schema):
    id = fields.String(required=True)
    community_id = fields.String(required=True)
    community_name = fields.String()
    title = fields.String(required=True)
    description = fields.String(metadata={"description": "Markdown"})
    time_zone = fields.String(metadata={"description": "the organiser's zone"})
    all_day = fields.Boolean()
    starts_at = Timestamp(metadata={"description": "the first date's start (UTC)"})
    ends_at = Timestamp()
    local_start = fields.String(metadata={"description": "as the organiser gave it, in `time_zone`"})
    local_end = fields.String()
    start = fields.Nested(LocalTimeSchema, metadata={"description": "the next date's start, in your zone"})
    end = fields.Nested(LocalTimeSchema)
    reader_time_zone = fields.String(metadata={"description": "the zone `start` and `end` are shown in"})
    place = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    seats_left = fields.Integer(allow_none=True)
    counts = fields.Nested(RsvpCountsSchema)
    invite_only = fields.Boolean()
    invited = fields.Boolean(metadata={"description": "you are invited"})
    recurrence = fields.String(allow_none=True)
    exceptions = fields.List(fields.String())
    occurrences = fields.List(
        fields.Nested(EventOccurrenceSchema), metadata={"description": "the next dates"}
    )
    occurrence_count = fields.Integer()
    sessions = fields.List(fields.Nested(ProgrammeItemSchema))
    organiser_ids = fields.List(fields.String())
    cancelled = fields.Boolean()
    cancelled_at = Timestamp(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    sequence = fields.Integer(metadata={"description": "iCalendar's SEQUENCE: bumped at each change"})
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    my_rsvp = fields.Nested(MyEventRsvpSchema, allow_none=True)
    can_edit = fields.Boolean()
    can_rsvp = fields.Boolean()
    can_manage_organisers = fields.Boolean()


class AgendaItemSchema(ma.Schema):
    event_id = fields.String(required=True)
    community_id = fields.String(required=True)
    community_name = fields.String()
    title = fields.String()
    all_day = fields.Boolean()
    time_zone = fields.String()
    starts_at = Timestamp()
    ends_at = Timestamp()
    start = fields.Nested(LocalTimeSchema)
    end = fields.Nested(LocalTimeSchema)
    day = fields.String(metadata={"description": "your calendar day of the start (YYYY-MM-DD)"})
    place = fields.String(allow_none=True)
    online = fields.Boolean()
    recurring = fields.Boolean()
    cancelled = fields.Boolean()
    my_status = fields.String(allow_none=True, metadata={"description": "going, waiting, maybe, not_going"})


class AgendaPageSchema(ma.Schema):
    items = fields.List(fields.Nested(AgendaItemSchema), required=True)
    next_cursor = fields.String(allow_none=True)
    time_zone = fields.String(metadata={"description": "the zone the times are shown in"})
    month = fields.String(allow_none=True)


class EventCancelInSchema(ma.Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=limits.EVENT_CANCEL_REASON_MAX))


class RsvpInSchema(ma.Schema):
    status = fields.String(required=True, validate=validate.OneOf(RSVP_STATUSES))
    note = fields.String(load_default="", validate=validate.Length(max=limits.RSVP_NOTE_MAX))


class RsvpSchema(ma.Schema):
    event_id = fields.String()
    user_id = fields.String()
    status = fields.String(metadata={"description": "going, maybe, not_going (none: no answer yet)"})
    note = fields.String()
    waiting = fields.Boolean(metadata={"description": "going, on the waiting list"})
    queued_at = Timestamp(allow_none=True)
    updated_at = Timestamp(allow_none=True)


class RsvpListSchema(ma.Schema):
    event_id = fields.String()
    items = fields.List(fields.Nested(RsvpSchema))
    counts = fields.Nested(RsvpCountsSchema)
    invitee_ids = fields.List(fields.String())


class EventPeopleInSchema(ma.Schema):
    person_ids = _ids(limits.EVENT_INVITEES_MAX, required=True)


class EventOrganisersInSchema(ma.Schema):
    person_ids = _ids(limits.EVENT_ORGANISERS_MAX, required=True)


class EventPeopleSchema(ma.Schema):
    event_id = fields.String()
    person_ids = fields.List(fields.String())


class CalendarFeedInSchema(ma.Schema):
    community_id = fields.String(
        allow_none=True,
        validate=validate.Length(1, limits.ID_MAX),
        metadata={"description": "one community's events; none: your whole agenda"},
    )


class CalendarFeedSchema(ma.Schema):
    id = fields.String(required=True)
    community_id = fields.String(allow_none=True)
    community_name = fields.String(allow_none=True)
    created_at = Timestamp()
    last_used_at = Timestamp(allow_none=True)


class NewCalendarFeedSchema(CalendarFeedSchema):
    token = fields.String(metadata={"description": "the secret: shown this once, stored only hashed"})
    url = fields.String(metadata={"description": "the address to subscribe to (it holds the secret)"})


class CalendarFeedListSchema(ma.Schema):
    items = fields.List(fields.Nested(CalendarFeedSchema))


def _file(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def feed_url(token: str) -> str:
    """The full address of a feed (``PUBLIC_URL``, else this request's host)."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("agenda.CalendarFeed", token=token)


ICS = {
    "200": {
        "description": "An iCalendar file (RFC 5545)",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
    }
}
CSV = {
    "200": {
        "description": "CSV, UTF-8, a header line",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@blp.route("/communities/<string:community_id>/events")
class CommunityEvents(MethodView):
    @blp.doc(operationId="listCommunityEvents")
    @blp.arguments(AgendaQuerySchema, location="query")
    @blp.response(200, AgendaPageSchema)
    def get(self, args, community_id):
        """A community's agenda: what is still to come, soonest first, or one month

        Each date of a recurring event is an item. Times are shown in your zone, named.
        """
        return agenda.community_agenda(community_id, args)

    @blp.doc(operationId="createEvent")
    @blp.arguments(EventCreateSchema)
    @blp.response(201, EventSchema)
    def post(self, data, community_id):
        """Create an event (the community's managers)"""
        return agenda.create_event(community_id, data)


@blp.route("/events/<string:event_id>")
class Event(MethodView):
    @blp.doc(operationId="getEvent")
    @blp.arguments(ReaderZoneQuerySchema, location="query")
    @blp.response(200, EventSchema)
    def get(self, args, event_id):
        """An event, its programme and next dates in your zone, your answer"""
        return agenda.get_event(event_id, args.get("time_zone"))

    @blp.doc(operationId="updateEvent")
    @blp.arguments(EventUpdateSchema)
    @blp.response(200, EventSchema)
    def patch(self, data, event_id):
        """Change an event (its organisers and the community's managers); SEQUENCE goes up"""
        return agenda.update_event(event_id, data)


@blp.route("/events/<string:event_id>/cancel")
class CancelEvent(MethodView):
    @blp.doc(operationId="cancelEvent")
    @blp.arguments(EventCancelInSchema)
    @blp.response(200, EventSchema)
    def post(self, data, event_id):
        """Cancel an event, with a reason (its `.ics` then says METHOD:CANCEL)"""
        return agenda.cancel_event(event_id, data["reason"])


@blp.route("/events/<string:event_id>/rsvp")
class MyRsvp(MethodView):
    @blp.doc(operationId="getMyRsvp")
    @blp.response(200, RsvpSchema)
    def get(self, event_id):
        """Your answer to an event"""
        return agenda.get_rsvp(event_id)

    @blp.doc(operationId="setRsvp")
    @blp.arguments(RsvpInSchema)
    @blp.response(200, RsvpSchema)
    def put(self, data, event_id):
        """Answer: going, maybe or not going, with a note (beyond capacity: the waiting list)"""
        return agenda.rsvp(event_id, data["status"], data["note"])


@blp.route("/events/<string:event_id>/rsvps")
class Rsvps(MethodView):
    @blp.doc(operationId="listEventRsvps")
    @blp.response(200, RsvpListSchema)
    def get(self, event_id):
        """Who answered what (the event's organisers and the community's managers)"""
        return agenda.list_rsvps(event_id)


@blp.route("/events/<string:event_id>/rsvps.csv")
class RsvpsCsv(MethodView):
    @blp.doc(operationId="exportEventRsvps", responses=CSV)
    def get(self, event_id):
        """The answers as CSV (organisers and managers); no cell starts like a formula"""
        found = agenda.export_rsvps(event_id)
        return _file(found["csv"], "text/csv", found["filename"])


@blp.route("/events/<string:event_id>/organisers")
class Organisers(MethodView):
    @blp.doc(operationId="setEventOrganisers")
    @blp.arguments(EventOrganisersInSchema)
    @blp.response(200, EventPeopleSchema)
    def put(self, data, event_id):
        """Name an event's organisers, members of its community (the community's managers)"""
        return agenda.set_organisers(event_id, data["person_ids"])


@blp.route("/events/<string:event_id>/invitations")
class Invitations(MethodView):
    @blp.doc(operationId="inviteToEvent")
    @blp.arguments(EventPeopleInSchema)
    @blp.response(200, EventPeopleSchema)
    def post(self, data, event_id):
        """Invite members of the community (the event's organisers and the managers)"""
        return agenda.invite_to_event(event_id, data["person_ids"])


@blp.route("/events/<string:event_id>/calendar.ics")
class EventCalendar(MethodView):
    @blp.doc(operationId="getEventCalendar", responses=ICS)
    def get(self, event_id):
        """The event as an iCalendar file (VTIMEZONE, ORGANIZER, ATTENDEE with PARTSTAT)"""
        found = agenda.event_ics(event_id)
        return _file(found["ics"], "text/calendar", found["filename"])


@blp.route("/agenda")
class MyAgenda(MethodView):
    @blp.doc(operationId="listMyAgenda")
    @blp.arguments(AgendaQuerySchema, location="query")
    @blp.response(200, AgendaPageSchema)
    def get(self, args):
        """Your agenda: the events of every community you belong to, soonest first, or one month"""
        return agenda.my_agenda(args)


@blp.route("/agenda/feeds")
class Feeds(MethodView):
    @blp.doc(operationId="listCalendarFeeds")
    @blp.response(200, CalendarFeedListSchema)
    def get(self):
        """Your calendar feeds (never their secrets)"""
        return agenda.list_feeds()

    @blp.doc(operationId="createCalendarFeed")
    @blp.arguments(CalendarFeedInSchema)
    @blp.response(201, NewCalendarFeedSchema)
    def post(self, data):
        """A secret address for a calendar app: your agenda, or one community's

        The answer is the only time the secret is shown. Whoever has the address reads the
        feed, with your rights as they are at each fetch; revoke it when in doubt.
        """
        made = agenda.create_feed(data.get("community_id"))
        return {**made, "url": feed_url(made["token"])}


@blp.route("/agenda/feeds/<string:feed_id>")
class Feed(MethodView):
    @blp.doc(operationId="revokeCalendarFeed")
    @blp.response(204)
    def delete(self, feed_id):
        """Revoke a feed: its address answers 404 from now on"""
        agenda.revoke_feed(feed_id)


@blp.route("/calendar-feeds/<string:token>.ics", endpoint="CalendarFeed")
@auth.public
class CalendarFeed(MethodView):
    @blp.doc(operationId="getCalendarFeed", security=[], responses=ICS)
    def get(self, token):
        """A calendar feed, for calendar apps: the secret address is the credential

        No sign-in. The events are those its owner may read now (removed from a community:
        its events are gone at the next fetch); a revoked or unknown address: 404.
        """
        found = agenda.feed_ics(token)
        response = _file(found["ics"], "text/calendar", found["filename"])
        response.headers["Content-Disposition"] = f'inline; filename="{found["filename"]}"'
        return response
