"""What the notifications service accepts and answers (marshmallow at the boundary)."""

from marshmallow import RAISE, Schema, fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import cursor_field, limit_field, page_of

from .limits import FOLLOWABLE, KINDS, LEVELS, MAIL_FREQUENCIES, PAGE_MAX, SUBJECT_KINDS


def _id():
    return fields.String(required=True, validate=validate.Length(1, limits.ID_MAX))


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class PageArgs(_Strict):
    limit = limit_field(20, PAGE_MAX)
    cursor = cursor_field()
    unread_only = fields.Boolean(load_default=False)


class NotificationIdIn(_Strict):
    notification_id = _id()


class TargetIn(_Strict):
    target_kind = fields.String(required=True, validate=validate.OneOf(FOLLOWABLE))
    target_id = _id()


class FollowIn(TargetIn):
    following = fields.Boolean(required=True)


class CommunityIn(_Strict):
    community_id = _id()


class LevelIn(CommunityIn):
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))


class NotificationSchema(Schema):
    id = fields.String()
    kind = fields.String(validate=validate.OneOf(KINDS))
    community_id = fields.String()
    community_name = fields.String()
    subject_kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS))
    subject_id = fields.String()
    post_id = fields.String(allow_none=True)
    #: the newest actors first (None: a former member); ``actor_count`` counts them all
    actor_ids = fields.List(fields.String(allow_none=True))
    actor_count = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    read = fields.Boolean()


NotificationPageSchema = page_of(NotificationSchema)


class UnreadSchema(Schema):
    unread = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer()


class FollowSchema(Schema):
    target_kind = fields.String()
    target_id = fields.String()
    following = fields.Boolean()


class LevelSchema(Schema):
    community_id = fields.String()
    level = fields.String()


class MailPreferencesIn(_Strict):
    """kind -> frequency, for some kinds (the others keep theirs)."""

    frequencies = fields.Dict(
        keys=fields.String(validate=validate.OneOf(KINDS)),
        values=fields.String(validate=validate.OneOf(MAIL_FREQUENCIES)),
        required=True,
        validate=validate.Length(min=1),
    )


class MailPreferencesSchema(Schema):
    #: every kind -> immediately / daily / weekly / never
    frequencies = fields.Dict(keys=fields.String(), values=fields.String())


class UnsubscribeIn(_Strict):
    token = fields.String(required=True, validate=validate.Length(1, 400))


class UnsubscribedSchema(Schema):
    #: the kinds whose mails stop (every kind for a link of a mail of several kinds)
    kinds = fields.List(fields.String())
