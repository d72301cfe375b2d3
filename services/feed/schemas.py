"""Marshmallow schemas: every RPC input is loaded with one, every output dumped."""
from __future__ import annotations

import re
from datetime import timezone

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .models import POST_KINDS, REPORT_STATUSES, REPORT_TARGETS

BODY_MAX = 20_000
TAG_RE = re.compile(r"^\w{2,50}$")


class Body(fields.String):
    """Markdown source: not blank, at most 20,000 characters."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ValidationError("Write something first: the text is empty.")
        if len(text) > BODY_MAX:
            raise ValidationError(f"The text is too long (at most {BODY_MAX} characters).")
        return text


class Tag(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().lstrip("#").casefold()
        if not TAG_RE.match(text):
            raise ValidationError("A hashtag is 2 to 50 letters, digits or underscores.")
        return text


def _id(**kwargs):
    return fields.String(validate=validate.Length(1, 64), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class PageArgs(Strict):
    limit = fields.Integer(load_default=20, strict=True, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 500))


# --- inputs ----------------------------------------------------------------

class CreatePostSchema(Strict):
    community_id = _id(required=True)
    body = Body(required=True)
    kind = fields.String(load_default="message", validate=validate.OneOf(POST_KINDS))


class PostIdSchema(Strict):
    post_id = _id(required=True)


class EditPostSchema(Strict):
    post_id = _id(required=True)
    body = Body(required=True)


class WallSchema(PageArgs):
    community_id = _id(required=True)
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(POST_KINDS))
    unanswered = fields.Boolean(load_default=False)


class HomeSchema(PageArgs):
    pass


class HashtagSchema(PageArgs):
    tag = Tag(required=True)


class PostPageSchema(PageArgs):
    post_id = _id(required=True)


class CommentPageSchema(PageArgs):
    comment_id = _id(required=True)


class CreateCommentSchema(Strict):
    post_id = _id(required=True)
    body = Body(required=True)
    parent_id = _id(load_default=None, allow_none=True)


class CommentIdSchema(Strict):
    comment_id = _id(required=True)


class EditCommentSchema(Strict):
    comment_id = _id(required=True)
    body = Body(required=True)


class AcceptAnswerSchema(Strict):
    post_id = _id(required=True)
    comment_id = _id(required=True, allow_none=True)


class ReportSchema(Strict):
    target_type = fields.String(required=True, validate=validate.OneOf(REPORT_TARGETS))
    target_id = _id(required=True)
    reason = fields.String(required=True, validate=validate.And(
        validate.Length(1, 1000), validate.Predicate("strip", error="Say why.")))


class QueueSchema(PageArgs):
    community_id = _id(required=True)
    status = fields.String(load_default="open", validate=validate.OneOf(REPORT_STATUSES))


class ResolveReportSchema(Strict):
    report_id = _id(required=True)
    action = fields.String(required=True, validate=validate.OneOf(["hide", "restore"]))


class CommunityIdSchema(Strict):
    community_id = _id(required=True)


# --- events (the read model) -------------------------------------------------

class CommunityStateSchema(Schema):
    class Meta:
        unknown = "exclude"

    community_id = _id(required=True)
    name = fields.String(required=True, validate=validate.Length(max=200))
    kind = fields.String(required=True, validate=validate.Length(max=40))
    visibility = fields.String(required=True, validate=validate.OneOf(["open", "private",
                                                                       "secret"]))
    archived = fields.Boolean(required=True)
    newcomers_see_history = fields.Boolean(required=True)


class MembershipSchema(Schema):
    class Meta:
        unknown = "exclude"

    community_id = _id(required=True)
    user_id = _id(required=True)
    role = fields.String(load_default="member", validate=validate.OneOf(["member", "manager"]))
    guest = fields.Boolean(load_default=False)
    joined_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                     default_timezone=timezone.utc)


# --- outputs -----------------------------------------------------------------

class PostSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    community_name = fields.String(allow_none=True)
    author_id = fields.String()
    kind = fields.String()
    body = fields.String()
    html = fields.String()
    mentions = fields.List(fields.String())
    hashtags = fields.List(fields.String())
    created_at = fields.DateTime()
    edited_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    like_count = fields.Integer()
    comment_count = fields.Integer()
    liked_by_me = fields.Boolean()
    accepted_comment_id = fields.String(allow_none=True)
    read_by_me = fields.Boolean(allow_none=True)
    read_count = fields.Integer(allow_none=True)
    is_new = fields.Boolean(allow_none=True)
    hidden = fields.Boolean()


class PostListSchema(Schema):
    items = fields.List(fields.Nested(PostSchema))
    next_cursor = fields.String(allow_none=True)


class HomePageSchema(PostListSchema):
    last_visit_at = fields.DateTime(allow_none=True)
    new_count = fields.Integer(allow_none=True)


class CommentSchema(Schema):
    id = fields.String()
    post_id = fields.String()
    community_id = fields.String()
    parent_id = fields.String(allow_none=True)
    author_id = fields.String()
    body = fields.String()
    html = fields.String()
    mentions = fields.List(fields.String())
    created_at = fields.DateTime()
    edited_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    like_count = fields.Integer()
    liked_by_me = fields.Boolean()
    accepted = fields.Boolean()
    hidden = fields.Boolean()


class CommentListSchema(Schema):
    items = fields.List(fields.Nested(CommentSchema))
    next_cursor = fields.String(allow_none=True)


class VersionSchema(Schema):
    version = fields.Integer()
    body = fields.String()
    html = fields.String()
    created_at = fields.DateTime()
    replaced_at = fields.DateTime(allow_none=True)
    replaced_by = fields.String(allow_none=True)
    current = fields.Boolean()


class VersionsSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema))


class LikerSchema(Schema):
    user_id = fields.String()
    liked_at = fields.DateTime()


class LikersPageSchema(Schema):
    items = fields.List(fields.Nested(LikerSchema))
    next_cursor = fields.String(allow_none=True)
    count = fields.Integer()


class ReadSchema(Schema):
    user_id = fields.String()
    read_at = fields.DateTime()


class ReadsSchema(Schema):
    post_id = fields.String()
    read = fields.List(fields.Nested(ReadSchema))
    unread = fields.List(fields.String())
    read_count = fields.Integer()
    member_count = fields.Integer()


class ReportOutSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    post_id = fields.String()
    reporter_id = fields.String()
    reason = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    target_body = fields.String(allow_none=True)
    target_author_id = fields.String(allow_none=True)
    target_hidden = fields.Boolean(allow_none=True)


class ReportPageSchema(Schema):
    items = fields.List(fields.Nested(ReportOutSchema))
    next_cursor = fields.String(allow_none=True)
