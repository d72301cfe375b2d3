"""The events the kudos service publishes (its own source: ``kudos.events``)."""

from marshmallow import Schema, fields

from parvis_contracts.events import EventType

KUDOS_GIVEN = EventType("kudos", "kudos_given")
KUDOS_WITHDRAWN = EventType("kudos", "kudos_withdrawn")


class KudosEventSchema(Schema):
    kudos_id = fields.String(required=True)
    giver_id = fields.String(required=True, allow_none=True)
    recipient_id = fields.String(required=True)


SCHEMAS = {KUDOS_GIVEN: KudosEventSchema, KUDOS_WITHDRAWN: KudosEventSchema}
