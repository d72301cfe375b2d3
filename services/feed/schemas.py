"""Marshmallow schemas: every RPC input is loaded with one, every output dumped."""

from __future__ import annotations

import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import LanguageCode, PageArgsSchema, page_of

from .models import POST_KINDS, REPORT_STATUSES, REPORT_TARGETS

# the limits are the platform's (parvis_contracts.limits): the gateway's schemas use them too
BODY_MAX = limits.POST_BODY_MAX
ATTACHMENTS_MAX = limits.ATTACHMENTS_MAX
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
    return fields.String(validate=validate.Length(1, limits.ID_MAX), **kwargs)


def _language(**kwargs):
    """The stated language: an ISO 639-1 code, or None (not stated: detected later)."""
    return LanguageCode(allow_none=True, **kwargs)


class Attachments(fields.List):
    """Ids of documents of the post's community: each once (order kept), at most
    ``ATTACHMENTS_MAX``."""

    def __init__(self, **kwargs):
        super().__init__(_id(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        ids = list(dict.fromkeys(super()._deserialize(value, attr, data, **kwargs)))
        if len(ids) > ATTACHMENTS_MAX:
            raise ValidationError(f"Attach at most {ATTACHMENTS_MAX} documents.")
        return ids


def _attachments(**kwargs):
    return Attachments(**kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE


# --- inputs ----------------------------------------------------------------


class CreatePostSchema(Strict):
    community_id = _id(required=True)
    body = Body(required=True)
    kind = fields.String(load_default="message", validate=validate.OneOf(POST_KINDS))
    language = _language(load_default=None)
    attachments = _attachments(load_default=list)


class PostIdSchema(Strict):
    post_id = _id(required=True)


class EditPostSchema(Strict):
    """``language`` and ``attachments`` left out: kept as they are."""

    post_id = _id(required=True)
    body = Body(required=True)
    language = _language()
    attachments = _attachments()


class WallSchema(PageArgsSchema):
    community_id = _id(required=True)
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(POST_KINDS))
    unanswered = fields.Boolean(load_default=False)


class HomeSchema(PageArgsSchema):
    pass


class UnreadAnnouncementsSchema(Strict):
    community_id = _id(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=10, strict=True, validate=validate.Range(1, 50))


class AuthorPostsSchema(PageArgsSchema):
    author_id = _id(required=True)


class HashtagSchema(PageArgsSchema):
    tag = Tag(required=True)


class PostPageSchema(PageArgsSchema):
    post_id = _id(required=True)


class CommentPageSchema(PageArgsSchema):
    comment_id = _id(required=True)


class CreateCommentSchema(Strict):
    post_id = _id(required=True)
    body = Body(required=True)
    parent_id = _id(load_default=None, allow_none=True)
    language = _language(load_default=None)


class CommentIdSchema(Strict):
    comment_id = _id(required=True)


class EditCommentSchema(Strict):
    """``language`` left out: kept as it is."""

    comment_id = _id(required=True)
    body = Body(required=True)
    language = _language()


class AcceptAnswerSchema(Strict):
    post_id = _id(required=True)
    comment_id = _id(required=True, allow_none=True)


class ReportSchema(Strict):
    target_type = fields.String(required=True, validate=validate.OneOf(REPORT_TARGETS))
    target_id = _id(required=True)
    reason = fields.String(
        required=True,
        validate=validate.And(
            validate.Length(1, limits.REPORT_REASON_MAX), validate.Predicate("strip", error="Say why.")
        ),
    )


class QueueSchema(PageArgsSchema):
    community_id = _id(required=True)
    status = fields.String(load_default="open", validate=validate.OneOf(REPORT_STATUSES))


class ResolveReportSchema(Strict):
    report_id = _id(required=True)
    action = fields.String(required=True, validate=validate.OneOf(["hide", "restore"]))


class CommunityIdSchema(Strict):
    community_id = _id(required=True)


# --- events (the read model) -------------------------------------------------

# --- outputs -----------------------------------------------------------------


class AttachmentSchema(Schema):
    """What the documents service said of an attached document when it was attached."""

    id = fields.String()
    name = fields.String()
    content_type = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)


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
    language = fields.String(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))


PostListSchema = page_of(PostSchema, "PostList")


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
    language = fields.String(allow_none=True)


CommentListSchema = page_of(CommentSchema, "CommentList")


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


LikersPageSchema = page_of(LikerSchema, "LikersPage", count=fields.Integer())


class ReadSchema(Schema):
    user_id = fields.String()
    read_at = fields.DateTime()


class ReadsSchema(Schema):
    post_id = fields.String()
    read = fields.List(fields.Nested(ReadSchema))
    unread = fields.List(fields.String())
    read_count = fields.Integer()
    member_count = fields.Integer()


class ReminderSchema(Schema):
    post_id = fields.String()
    #: how many members were reminded (0: a reminder already went within the day)
    reminded = fields.Integer()
    reminded_at = fields.DateTime()


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


ReportPageSchema = page_of(ReportOutSchema, "ReportPage")
