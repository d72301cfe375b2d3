"""Marshmallow schemas at the translation service's RPC boundary."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import MAX_NUMBER, LanguageCode

CONTENT_KINDS = ("post", "comment", "document", "page", "event", "community", "profile")


class ContentRefSchema(Schema):
    """What the text is (for invalidation when that content is edited or deleted)."""

    kind = fields.String(required=True, validate=validate.OneOf(CONTENT_KINDS))
    id = fields.String(required=True, validate=validate.Length(min=1, max=limits.ID_MAX))
    revision = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, MAX_NUMBER))


class TranslateSchema(Schema):
    text = fields.String(required=True)
    target = LanguageCode(required=True)
    source = LanguageCode(load_default=None, allow_none=True)
    content = fields.Nested(ContentRefSchema, load_default=None, allow_none=True)


class BatchItemSchema(Schema):
    text = fields.String(required=True)
    source = LanguageCode(load_default=None, allow_none=True)
    content = fields.Nested(ContentRefSchema, load_default=None, allow_none=True)


class TranslateBatchSchema(Schema):
    items = fields.List(
        fields.Nested(BatchItemSchema), required=True, validate=validate.Length(min=1, max=100)
    )
    target = LanguageCode(required=True)
    partial = fields.Boolean(load_default=False)


class DetectSchema(Schema):
    text = fields.String(required=True)


class DetectBatchSchema(Schema):
    texts = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=100))


class TranslationOutSchema(Schema):
    text = fields.String()
    source = fields.String()
    target = fields.String()
    detected = fields.Boolean()
    confidence = fields.Float(allow_none=True)
    engine = fields.String()
    via = fields.List(fields.String())
    cached = fields.Boolean()
    #: only in a ``partial`` batch, for a text that could not be translated
    error = fields.Dict()


_TERM = validate.Length(min=1, max=limits.TERM_MAX)


class GlossaryAddSchema(Schema):
    term = fields.String(required=True, validate=_TERM)
    translations = fields.Dict(keys=LanguageCode(), values=fields.String(validate=_TERM), load_default=dict)
    source_language = LanguageCode(load_default=None, allow_none=True)
    case_sensitive = fields.Boolean(load_default=False)
    note = fields.String(load_default="", validate=validate.Length(max=limits.TERM_NOTE_MAX))


class GlossaryUpdateSchema(Schema):
    term_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    translations = fields.Dict(
        keys=LanguageCode(), values=fields.String(validate=_TERM), load_default=None, allow_none=True
    )
    case_sensitive = fields.Boolean(load_default=None, allow_none=True)
    note = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.TERM_NOTE_MAX)
    )


class TermIdSchema(Schema):
    term_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class GlossaryListSchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=limits.GLOSSARY_PAGE_MAX))
    cursor = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.GLOSSARY_CURSOR_MAX)
    )


class TermSchema(Schema):
    id = fields.String()
    term = fields.String()
    source_language = fields.Function(lambda t: t.source_language or None)
    case_sensitive = fields.Boolean()
    note = fields.String()
    translations = fields.Function(lambda t: {tr.language: tr.translation for tr in t.translations})
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TermPageSchema(Schema):
    items = fields.List(fields.Nested(TermSchema))
    next_cursor = fields.String(allow_none=True)
    glossary_version = fields.Integer()


class ContentEventSchema(Schema):
    """The part of feed's post and comment events this service reads."""

    class Meta:
        unknown = EXCLUDE

    post_id = fields.String(required=True)
    comment_id = fields.String(load_default=None, allow_none=True)
    community_id = fields.String(load_default=None, allow_none=True)
    body = fields.String(load_default=None, allow_none=True)
    revision = fields.Integer(load_default=None, allow_none=True)
    language = LanguageCode(load_default=None, allow_none=True)


class PageEventInSchema(Schema):
    """The part of documents' page events this service reads."""

    class Meta:
        unknown = EXCLUDE

    page_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    community_id = fields.String(required=True)
    revision = fields.Integer(load_default=None, allow_none=True)
    title = fields.String(load_default="")
    body = fields.String(load_default="")
    language = LanguageCode(load_default=None, allow_none=True)


class PersonLanguageEventSchema(Schema):
    """identity.user_created / user_language_changed / user_erased (what this service reads)."""

    class Meta:
        unknown = EXCLUDE

    user_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    preferred_language = LanguageCode(load_default=None, allow_none=True)
