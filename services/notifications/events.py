"""The events the notifications service publishes (its own source: ``notifications.events``).

``unread_changed`` names the people whose unread count may have changed: it carries no
count (each count is the visibility query of :func:`services.notifications.inbox.visible`,
asked by whoever wants it, as its reader), so one event serves a batch of up to
``limits.FAN_OUT_BATCH`` people. The live hub (``gateway/live``) hears it and asks each
named person's count for the streams it holds of them.
"""

from marshmallow import Schema, fields, validate

from parvis_contracts.events import EventType

UNREAD_CHANGED = EventType("notifications", "unread_changed")


class UnreadChangedSchema(Schema):
    user_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


SCHEMAS = {UNREAD_CHANGED: UnreadChangedSchema}
