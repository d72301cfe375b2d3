"""What the agenda service accepts and answers (marshmallow at the boundary).

The limits are the contracts' (``parvis_contracts.limits``), the gateway's API schemas
state the same. Times come in as the organiser's wall times (``2027-03-25T10:00``, read
in ``time_zone``; a date for an all-day event): their meaning needs the zone, so
``times`` reads them, not this room.
"""

from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from parvis_contracts import limits
from parvis_contracts.schemas import TimeZone, cursor_field, limit_field, page_of
from parvis_contracts.vocabulary import RSVP_STATUSES


def _id(**kwargs):
    return fields.String(validate=validate.Length(1, limits.ID_MAX), **kwargs)


def _ids(most: int, **kwargs):
    return fields.List(_id(), validate=validate.Length(max=most), **kwargs)


def _text(most: int, **kwargs):
    return fields.String(validate=validate.Length(max=most), **kwargs)


def _wall(**kwargs):
    return fields.String(validate=validate.Length(1, 40), **kwargs)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class Title(fields.String):
    """A title: blanks collapsed, 1 to ``EVENT_TITLE_MAX`` characters."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = " ".join(super()._deserialize(value, attr, data, **kwargs).split())
        if not text:
            raise ValidationError("Give a title.")
        if len(text) > limits.EVENT_TITLE_MAX:
            raise ValidationError(f"At most {limits.EVENT_TITLE_MAX} characters.")
        return text


class OnlineUrl(fields.String):
    """An http or https address (a meeting link); anything else (javascript:, data:) is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            return ""  # no link (stored as none); the length validator runs on text
        parts = urlsplit(text)
        if (
            parts.scheme.lower() not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() for c in text)
        ):
            raise ValidationError("An online link starts with http:// or https://.")
        return text


class SessionIn(_Strict):
    """One item of the programme: its start (and end) as wall times in the event's zone."""

    start = _wall(required=True)
    end = _wall(load_default=None, allow_none=True)
    title = Title(required=True)
    speaker = _text(limits.EVENT_SPEAKER_MAX, load_default=None, allow_none=True)


class EventFields(_Strict):
    title = Title(required=True)
    description = _text(limits.EVENT_DESCRIPTION_MAX, load_default="")
    time_zone = TimeZone(required=True)
    start = _wall(required=True)
    end = _wall(required=True)
    all_day = fields.Boolean(load_default=False)
    place = _text(limits.EVENT_PLACE_MAX, load_default=None, allow_none=True)
    online_url = OnlineUrl(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.EVENT_URL_MAX)
    )
    capacity = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1, limits.EVENT_CAPACITY_MAX)
    )
    invite_only = fields.Boolean(load_default=False)
    recurrence = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.EVENT_RRULE_MAX)
    )
    exceptions = fields.List(
        _wall(), load_default=list, validate=validate.Length(max=limits.EVENT_EXCEPTIONS_MAX)
    )
    sessions = fields.List(
        fields.Nested(SessionIn), load_default=list, validate=validate.Length(max=limits.EVENT_SESSIONS_MAX)
    )
    organiser_ids = _ids(limits.EVENT_ORGANISERS_MAX, load_default=list)
    invitee_ids = _ids(limits.EVENT_INVITEES_MAX, load_default=list)


class CreateEventIn(EventFields):
    community_id = _id(required=True)


class EventChanges(EventFields):
    """The fields to change (any of them; the rest stay)."""

    class Meta:
        unknown = RAISE

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.")


def _changes():
    names = list(EventFields._declared_fields)
    return EventChanges(partial=tuple(names))


class UpdateEventIn(_Strict):
    event_id = _id(required=True)
    changes = fields.Nested(_changes, required=True)


class EventIdIn(_Strict):
    event_id = _id(required=True)


class ReadEventIn(EventIdIn):
    #: the reader's zone (default: their profile's)
    time_zone = TimeZone(load_default=None, allow_none=True)


class CancelIn(EventIdIn):
    reason = _text(limits.EVENT_CANCEL_REASON_MAX, load_default="")


class RsvpIn(EventIdIn):
    status = fields.String(required=True, validate=validate.OneOf(RSVP_STATUSES))
    note = _text(limits.RSVP_NOTE_MAX, load_default="")


class PeopleIn(EventIdIn):
    person_ids = _ids(limits.EVENT_INVITEES_MAX, required=True)


class OrganisersIn(EventIdIn):
    person_ids = _ids(limits.EVENT_ORGANISERS_MAX, required=True)


class AgendaArgs(_Strict):
    """A page of an agenda: upcoming first (from now, or ``after``), or one month."""

    limit = limit_field(50, limits.AGENDA_PAGE_MAX)
    cursor = cursor_field()
    month = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"))
    time_zone = TimeZone(load_default=None, allow_none=True)


class CommunityAgendaArgs(AgendaArgs):
    community_id = _id(required=True)


class FeedIn(_Strict):
    community_id = _id(load_default=None, allow_none=True)


class FeedIdIn(_Strict):
    feed_id = _id(required=True)


class TokenIn(_Strict):
    token = fields.String(required=True, validate=validate.Length(1, 200))


# --- answers ------------------------------------------------------------------------------


class ShownSchema(Schema):
    """A moment as one reader sees it: the wall time, the zone and its abbreviation."""

    time_zone = fields.String()
    local = fields.String()
    abbreviation = fields.String()
    offset = fields.String()


class SessionSchema(Schema):
    position = fields.Integer()
    starts_at = fields.String()
    ends_at = fields.String(allow_none=True)
    title = fields.String()
    speaker = fields.String(allow_none=True)
    #: in the organiser's zone (``local``) and the reader's (``start``, ``end``)
    local_start = fields.String()
    local_end = fields.String(allow_none=True)
    start = fields.Nested(ShownSchema)
    end = fields.Nested(ShownSchema, allow_none=True)


class OccurrenceSchema(Schema):
    starts_at = fields.String()
    ends_at = fields.String()
    start = fields.Nested(ShownSchema)
    end = fields.Nested(ShownSchema)


class MyRsvpSchema(Schema):
    status = fields.String()
    note = fields.String()
    waiting = fields.Boolean()
    updated_at = fields.DateTime()


class CountsSchema(Schema):
    going = fields.Integer()
    waiting = fields.Integer()
    maybe = fields.Integer()
    not_going = fields.Integer()


class EventSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    community_name = fields.String()
    title = fields.String()
    description = fields.String()
    time_zone = fields.String()
    all_day = fields.Boolean()
    #: the first occurrence, in UTC
    starts_at = fields.String()
    ends_at = fields.String()
    #: as the organiser typed them (wall times in ``time_zone``; dates for all-day events,
    #: the end day inclusive)
    local_start = fields.String()
    local_end = fields.String()
    #: the reader's view of the next (or first) occurrence
    start = fields.Nested(ShownSchema)
    end = fields.Nested(ShownSchema)
    reader_time_zone = fields.String()
    place = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    seats_left = fields.Integer(allow_none=True)
    counts = fields.Nested(CountsSchema)
    invite_only = fields.Boolean()
    invited = fields.Boolean()
    recurrence = fields.String(allow_none=True)
    exceptions = fields.List(fields.String())
    occurrences = fields.List(fields.Nested(OccurrenceSchema))
    occurrence_count = fields.Integer()
    sessions = fields.List(fields.Nested(SessionSchema))
    organiser_ids = fields.List(fields.String())
    cancelled = fields.Boolean()
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    sequence = fields.Integer()
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    my_rsvp = fields.Nested(MyRsvpSchema, allow_none=True)
    can_edit = fields.Boolean()
    can_rsvp = fields.Boolean()
    can_manage_organisers = fields.Boolean()


class AgendaItemSchema(Schema):
    """One occurrence of an event in an agenda."""

    event_id = fields.String()
    community_id = fields.String()
    community_name = fields.String()
    title = fields.String()
    all_day = fields.Boolean()
    time_zone = fields.String()
    starts_at = fields.String()
    ends_at = fields.String()
    start = fields.Nested(ShownSchema)
    end = fields.Nested(ShownSchema)
    #: the reader's calendar day of the start (YYYY-MM-DD): a month view's cell
    day = fields.String()
    place = fields.String(allow_none=True)
    online = fields.Boolean()
    recurring = fields.Boolean()
    cancelled = fields.Boolean()
    my_status = fields.String(allow_none=True)


AgendaPageSchema = page_of(
    AgendaItemSchema, "AgendaPage", time_zone=fields.String(), month=fields.String(allow_none=True)
)


class RsvpSchema(Schema):
    event_id = fields.String()
    user_id = fields.String()
    status = fields.String()
    note = fields.String()
    waiting = fields.Boolean()
    queued_at = fields.DateTime()
    updated_at = fields.DateTime()


class RsvpListSchema(Schema):
    event_id = fields.String()
    items = fields.List(fields.Nested(RsvpSchema))
    counts = fields.Nested(CountsSchema)
    invitee_ids = fields.List(fields.String())


class ExportSchema(Schema):
    filename = fields.String()
    csv = fields.String()


class IcsSchema(Schema):
    filename = fields.String()
    ics = fields.String()


class PeopleSchema(Schema):
    event_id = fields.String()
    person_ids = fields.List(fields.String())


class FeedSchema(Schema):
    id = fields.String()
    community_id = fields.String(allow_none=True)
    community_name = fields.String(allow_none=True)
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    #: only in the answer that made it: the secret (it is stored hashed, never shown again)
    token = fields.String()


class FeedListSchema(Schema):
    items = fields.List(fields.Nested(FeedSchema))
