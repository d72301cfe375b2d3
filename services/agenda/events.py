"""The events the agenda service publishes (its own source: ``agenda.events``).

Nobody consumes them yet: they are what the next steps (reminders and change notices
through the notifications service, events in the search) will hear. ``event_*`` carry
what a notice or an index needs, never the description; ``rsvp_changed`` says who
answered what (a promotion from the waiting list is one too, ``promoted`` true).
"""

from marshmallow import Schema, fields

from parvis_contracts.events import EventType

EVENT_CREATED = EventType("agenda", "event_created")
EVENT_UPDATED = EventType("agenda", "event_updated")
EVENT_CANCELLED = EventType("agenda", "event_cancelled")
RSVP_CHANGED = EventType("agenda", "rsvp_changed")


class EventChangedSchema(Schema):
    event_id = fields.String(required=True)
    community_id = fields.String(required=True)
    title = fields.String(required=True)
    time_zone = fields.String(required=True)
    all_day = fields.Boolean(required=True)
    #: the first occurrence (UTC, ISO 8601)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    recurrence = fields.String(allow_none=True, load_default=None)
    sequence = fields.Integer(required=True)
    organiser_ids = fields.List(fields.String(), required=True)
    #: who made the change (None: the platform)
    by = fields.String(allow_none=True, load_default=None)


class EventCancelledSchema(EventChangedSchema):
    reason = fields.String(load_default="")


class RsvpChangedSchema(Schema):
    event_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    status = fields.String(required=True)
    waiting = fields.Boolean(required=True)
    promoted = fields.Boolean(load_default=False)


SCHEMAS = {
    EVENT_CREATED: EventChangedSchema,
    EVENT_UPDATED: EventChangedSchema,
    EVENT_CANCELLED: EventCancelledSchema,
    RSVP_CHANGED: RsvpChangedSchema,
}
