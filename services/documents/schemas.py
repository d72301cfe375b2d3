"""Marshmallow schemas: every RPC input is loaded with one, every output dumped."""

from __future__ import annotations

import re
from datetime import UTC

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import MAX_NUMBER

# the limits are the platform's (parvis_contracts.limits): the gateway's schemas use them too
PAGE_BODY_MAX = limits.PAGE_BODY_MAX
TITLE_MAX = limits.PAGE_TITLE_MAX
COMMENT_MAX = limits.VERSION_COMMENT_MAX
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
STAGED_KEY_RE = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_TITLE_FORBIDDEN_RE = re.compile(r"[\[\]|\x00-\x1f\x7f]")


def _id(**kwargs):
    return fields.String(validate=validate.Length(1, limits.ID_MAX), **kwargs)


def _number(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_NUMBER), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Title(fields.String):
    """A page title: 1 to 200 characters, no brackets, ``|`` or control characters."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ValidationError("Give the page a title.")
        if len(text) > TITLE_MAX:
            raise ValidationError(f"The title is too long (at most {TITLE_MAX} characters).")
        if _TITLE_FORBIDDEN_RE.search(text):
            raise ValidationError("A title cannot contain [ ] | or control characters.")
        return text


class Comment(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) > COMMENT_MAX:
            raise ValidationError(f"The comment is too long (at most {COMMENT_MAX} characters).")
        return text


def _comment():
    return Comment(load_default="", allow_none=False)


class StagedSchema(Strict):
    """The reference of a staged upload, as the blob store's ``stage`` returned it."""

    key = fields.String(required=True, validate=validate.Regexp(STAGED_KEY_RE))
    sha256 = fields.String(
        required=True, validate=validate.Regexp(SHA256_RE, error="Not a SHA-256 (64 lower-case hex digits).")
    )
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


# --- inputs: folders and documents ----------------------------------------------


class CommunityIdSchema(Strict):
    community_id = _id(required=True)


class ListFolderSchema(Strict):
    community_id = _id(required=True)
    folder_id = _id(load_default=None, allow_none=True)


class PrepareUploadSchema(Strict):
    community_id = _id(required=True)
    folder_id = _id(load_default=None, allow_none=True)
    name = fields.String(required=True)
    size = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))
    document_id = _id(load_default=None, allow_none=True)


class CreateFolderSchema(Strict):
    community_id = _id(required=True)
    parent_id = _id(load_default=None, allow_none=True)
    name = fields.String(required=True)


class FolderIdSchema(Strict):
    folder_id = _id(required=True)


class RenameFolderSchema(FolderIdSchema):
    name = fields.String(required=True)


class MoveFolderSchema(FolderIdSchema):
    parent_id = _id(load_default=None, allow_none=True)


class CreateDocumentSchema(Strict):
    community_id = _id(required=True)
    folder_id = _id(load_default=None, allow_none=True)
    name = fields.String(required=True)
    staged = fields.Nested(StagedSchema, required=True)
    comment = _comment()


class DocumentIdSchema(Strict):
    document_id = _id(required=True)


class AddVersionSchema(DocumentIdSchema):
    staged = fields.Nested(StagedSchema, required=True)
    comment = _comment()
    name = fields.String(load_default=None, allow_none=True)


class RestoreVersionSchema(DocumentIdSchema):
    number = _number(required=True)
    comment = _comment()


class DownloadSchema(DocumentIdSchema):
    number = _number(load_default=None, allow_none=True)


class RenameDocumentSchema(DocumentIdSchema):
    name = fields.String(required=True)


class MoveDocumentSchema(DocumentIdSchema):
    folder_id = _id(load_default=None, allow_none=True)


class DescribeSchema(Strict):
    community_id = _id(required=True)
    document_ids = fields.List(_id(), required=True, validate=validate.Length(1, 50))


# --- inputs: pages --------------------------------------------------------------


class PageBody(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > PAGE_BODY_MAX:
            raise ValidationError(f"The page is too long (at most {PAGE_BODY_MAX} characters).")
        return text


class CreatePageSchema(Strict):
    community_id = _id(required=True)
    title = Title(required=True)
    body = PageBody(required=True)


class PageIdSchema(Strict):
    page_id = _id(required=True)


class GetPageSchema(PageIdSchema):
    revision = _number(load_default=None, allow_none=True)


class UpdatePageSchema(PageIdSchema):
    title = Title(required=True)
    body = PageBody(required=True)
    base_revision = _number(required=True)
    comment = _comment()


class DiffSchema(PageIdSchema):
    from_revision = _number(required=True)
    to_revision = _number(required=True)


# --- outputs --------------------------------------------------------------------


def _dt(**kwargs):
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)


class PathItemSchema(Schema):
    id = fields.String()
    name = fields.String()


class FolderSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    name = fields.String()
    parent_id = fields.String(allow_none=True)
    created_at = _dt()
    created_by = fields.String()


class VersionSchema(Schema):
    number = fields.Integer()
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    filename = fields.String()
    comment = fields.String()
    author_id = fields.String()
    created_at = _dt()
    #: what became of the text inside (``extraction``): pending, skipped, or a
    #: ``vocabulary.DOCUMENT_TEXT_STATUSES``, and why
    text_status = fields.String()
    text_reason = fields.String()


class DocumentSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    folder_id = fields.String(allow_none=True)
    name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    version = fields.Integer()
    updated_at = _dt()
    updated_by = fields.String()
    created_at = _dt()
    created_by = fields.String()
    deleted_at = _dt(allow_none=True)
    deleted_by = fields.String(allow_none=True)
    purge_at = _dt(allow_none=True)


class DocumentDetailSchema(DocumentSchema):
    path = fields.List(fields.Nested(PathItemSchema))
    versions = fields.List(fields.Nested(VersionSchema))
    can_write = fields.Boolean()
    can_edit = fields.Boolean()


class FolderListingSchema(Schema):
    community_id = fields.String()
    folder = fields.Nested(FolderSchema, allow_none=True)
    path = fields.List(fields.Nested(PathItemSchema))
    folders = fields.List(fields.Nested(FolderSchema))
    documents = fields.List(fields.Nested(DocumentSchema))
    can_write = fields.Boolean()
    can_manage = fields.Boolean()


class BinSchema(Schema):
    community_id = fields.String()
    items = fields.List(fields.Nested(DocumentSchema))


class DownloadInfoSchema(Schema):
    document_id = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    inline = fields.Boolean()
    number = fields.Integer()


class DeletedSchema(Schema):
    document_id = fields.String()
    deleted = fields.Boolean()
    purge_at = _dt()


class PageLinkSchema(Schema):
    title = fields.String()
    page_id = fields.String(allow_none=True)


class BacklinkSchema(Schema):
    id = fields.String()
    title = fields.String()


class PageItemSchema(Schema):
    id = fields.String()
    community_id = fields.String()
    title = fields.String()
    slug = fields.String()
    revision = fields.Integer()
    created_at = _dt()
    created_by = fields.String()
    updated_at = _dt()
    updated_by = fields.String()


class PageSchema(PageItemSchema):
    body = fields.String()
    html = fields.String()
    latest_revision = fields.Integer()
    links = fields.List(fields.Nested(PageLinkSchema))
    backlinks = fields.List(fields.Nested(BacklinkSchema))


class PageListSchema(Schema):
    community_id = fields.String()
    items = fields.List(fields.Nested(PageItemSchema))
    can_write = fields.Boolean()


class RevisionSchema(Schema):
    number = fields.Integer()
    title = fields.String()
    comment = fields.String()
    author_id = fields.String()
    created_at = _dt()


class HistorySchema(Schema):
    page_id = fields.String()
    title = fields.String()
    latest = fields.Integer()
    items = fields.List(fields.Nested(RevisionSchema))


class DiffLineSchema(Schema):
    op = fields.String()
    text = fields.String()


class DiffOutSchema(Schema):
    page_id = fields.String()
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    from_title = fields.String()
    to_title = fields.String()
    lines = fields.List(fields.Nested(DiffLineSchema))
