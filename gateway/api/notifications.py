"""``/api/v1/notifications``, ``/api/v1/follows`` and each community's notification level:
what the caller was told, what they follow, how much they hear of each community.

Everything is the caller's own; what they may not read now is neither listed nor counted
(the notifications service decides, see docs/services/notifications.md).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from parvis_contracts.vocabulary import MAIL_FREQUENCIES, NOTIFICATION_KINDS, NOTIFICATION_LEVELS

from .. import auth
from ..calls import notifications
from .schemas import PageQuerySchema, Timestamp, _people_field

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1",
    description="Your notifications (grouped, newest first), what you follow, and how much "
    "you hear of each community",
)


class NotificationQuerySchema(PageQuerySchema):
    unread_only = fields.Boolean(load_default=False, metadata={"description": "only the unread ones"})


class NotificationSchema(ma.Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(NOTIFICATION_KINDS))
    community_id = fields.String(required=True)
    community_name = fields.String(required=True)
    subject_kind = fields.String(
        required=True, metadata={"description": "post, comment, page, document or community"}
    )
    subject_id = fields.String(required=True)
    post_id = fields.String(allow_none=True, metadata={"description": "the post to open, if any"})
    actor_ids = fields.List(
        fields.String(allow_none=True),
        metadata={"description": "the newest actors first (null: a former member); see `people`"},
    )
    actor_count = fields.Integer(metadata={"description": "how many people acted, all told"})
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True, metadata={"description": "the latest action gathered"})
    read = fields.Boolean(required=True)


class NotificationPageSchema(ma.Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    next_cursor = fields.String(allow_none=True)
    people = _people_field()


class UnreadSchema(ma.Schema):
    unread = fields.Integer(required=True)


class MarkedSchema(ma.Schema):
    marked = fields.Integer(required=True, metadata={"description": "how many were unread"})


class FollowInSchema(ma.Schema):
    following = fields.Boolean(required=True)


class FollowSchema(ma.Schema):
    target_kind = fields.String(required=True)
    target_id = fields.String(required=True)
    following = fields.Boolean(required=True)


class LevelInSchema(ma.Schema):
    level = fields.String(
        required=True,
        validate=validate.OneOf(NOTIFICATION_LEVELS),
        metadata={
            "description": "all: every new post; highlights (the default): mentions, "
            "announcements and what you follow; none: nothing of this community"
        },
    )


class LevelSchema(ma.Schema):
    community_id = fields.String(required=True)
    level = fields.String(required=True)


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args):
        """Your notifications, newest first (a group shows its latest action)"""
        return notifications.with_actors(notifications.list_notifications(args))


@blp.route("/notifications/unread-count")
class UnreadCount(MethodView):
    @blp.response(200, UnreadSchema)
    def get(self):
        """How many of your notifications are unread (the bell)"""
        return notifications.unread_count()


@blp.route("/notifications/<string:notification_id>/read")
class MarkRead(MethodView):
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of your notifications read"""
        return notifications.mark_read(notification_id)


@blp.route("/notifications/read-all")
class MarkAllRead(MethodView):
    @blp.response(200, MarkedSchema)
    def post(self):
        """Mark all your notifications read"""
        return notifications.mark_all_read()


@blp.route("/follows/<string:target_kind>/<string:target_id>")
class Follows(MethodView):
    @blp.response(200, FollowSchema)
    def get(self, target_kind, target_id):
        """Whether you follow a post, a page or a document (`target_kind`: post, page, document)"""
        return notifications.get_follow(target_kind, target_id)

    @blp.arguments(FollowInSchema)
    @blp.response(200, FollowSchema)
    def put(self, data, target_kind, target_id):
        """Follow or unfollow a post, a page or a document you can read"""
        return notifications.set_follow(target_kind, target_id, data["following"])


@blp.route("/communities/<string:community_id>/notification-level")
class CommunityLevel(MethodView):
    @blp.response(200, LevelSchema)
    def get(self, community_id):
        """How much you hear of a community you are a member of"""
        return notifications.get_community_level(community_id)

    @blp.arguments(LevelInSchema)
    @blp.response(200, LevelSchema)
    def put(self, data, community_id):
        """Choose how much you hear of a community you are a member of"""
        return notifications.set_community_level(community_id, data["level"])


class MailPreferencesSchema(ma.Schema):
    frequencies = fields.Dict(
        keys=fields.String(validate=validate.OneOf(NOTIFICATION_KINDS)),
        values=fields.String(validate=validate.OneOf(MAIL_FREQUENCIES)),
        required=True,
        validate=validate.Length(min=1),
        metadata={
            "description": "kind -> immediately (batched, at most one mail per 2 minutes, none while "
            "you are in the app), daily or weekly (a digest at your local hour), or never"
        },
    )


class UnsubscribedSchema(ma.Schema):
    kinds = fields.List(
        fields.String(), required=True, metadata={"description": "the kinds no longer mailed"}
    )


@blp.route("/notifications/mail-preferences")
class MailPreferences(MethodView):
    @blp.response(200, MailPreferencesSchema)
    def get(self):
        """How often you hear of each kind of notification by e-mail"""
        return notifications.get_mail_preferences()

    @blp.arguments(MailPreferencesSchema)
    @blp.response(200, MailPreferencesSchema)
    def put(self, data):
        """Choose how often you hear of some kinds by e-mail (the others keep theirs)"""
        return notifications.set_mail_preferences(data["frequencies"])


@blp.route("/notifications/unsubscribe/<string:token>")
@auth.public
class Unsubscribe(MethodView):
    @blp.doc(security=[])
    @blp.response(200, UnsubscribedSchema)
    def post(self, token):
        """One-click unsubscribe (RFC 8058): the `List-Unsubscribe` address of a mail

        No sign-in: the signed token names the person and the kind. A token altered in any
        way: 422, nothing changed.
        """
        return notifications.unsubscribe(token)
