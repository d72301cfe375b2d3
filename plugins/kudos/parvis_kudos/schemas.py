"""What the kudos service accepts and answers (marshmallow at the boundary)."""

from marshmallow import RAISE, Schema, fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import cursor_field, limit_field, page_of

from .limits import MESSAGE_MAX, MESSAGE_MIN

MESSAGE = validate.Length(min=MESSAGE_MIN, max=MESSAGE_MAX)


def _id():
    return fields.String(required=True, validate=validate.Length(1, limits.ID_MAX))


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class GiveSchema(_Strict):
    recipient_id = _id()
    message = fields.String(required=True, validate=MESSAGE)


class ListSchema(_Strict):
    person_id = _id()
    limit = limit_field(20, 100)
    cursor = cursor_field()


class KudosIdSchema(_Strict):
    kudos_id = _id()


class KudosSchema(Schema):
    id = fields.String()
    giver_id = fields.String(allow_none=True)
    recipient_id = fields.String()
    message = fields.String()
    created_at = fields.DateTime()
    #: the caller may withdraw it (the giver, or a network admin)
    can_withdraw = fields.Boolean()


KudosPageSchema = page_of(KudosSchema)
