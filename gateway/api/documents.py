"""Documents and pages of a community: ``/api/v1/communities/<id>/documents``, ``/api/v1/documents/...``,
``/api/v1/pages/...``.

Uploads and downloads stream the bytes through the gateway's own blob store
(:mod:`gateway.files.documents`: limits checked before the body is read, ranges,
``attachment`` and a sandboxing CSP); the documents service holds the references.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from parvis_contracts import limits
from parvis_contracts.errors import ValidationFailed
from parvis_contracts.filetypes import MAX_NAME_LENGTH
from parvis_contracts.schemas import MAX_NUMBER

from ..calls import documents
from ..files import documents as files
from .feed import IDEMPOTENCY, IDEMPOTENCY_ARGS
from .schemas import Timestamp

blp = Blueprint(
    "documents",
    __name__,
    url_prefix="/api/v1",
    description="Documents (folders, versions, bin, streamed uploads and downloads) "
    "and pages (wiki with revisions) of communities",
)


# ------------------------------------------------------------------ schemas


class FolderSchema(ma.Schema):
    id = fields.String(required=True)
    community_id = fields.String()
    name = fields.String(required=True)
    parent_id = fields.String(allow_none=True)
    created_at = Timestamp(allow_none=True)
    created_by = fields.String(allow_none=True)


class CrumbSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class DocumentSchema(ma.Schema):
    id = fields.String(required=True)
    community_id = fields.String()
    folder_id = fields.String(allow_none=True)
    name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    version = fields.Integer(metadata={"description": "Number of the latest version"})
    updated_at = Timestamp(allow_none=True)
    updated_by = fields.String(allow_none=True)
    created_at = Timestamp(allow_none=True)
    created_by = fields.String(allow_none=True)
    deleted_at = Timestamp(allow_none=True)
    deleted_by = fields.String(allow_none=True)


class DocumentVersionSchema(ma.Schema):
    number = fields.Integer(required=True)
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    filename = fields.String()
    comment = fields.String(allow_none=True)
    author_id = fields.String(allow_none=True)
    created_at = Timestamp(allow_none=True)


class DocumentDetailSchema(DocumentSchema):
    path = fields.List(fields.Nested(CrumbSchema), metadata={"description": "Folders, root first"})
    versions = fields.List(fields.Nested(DocumentVersionSchema), metadata={"description": "Newest first"})
    can_write = fields.Boolean()
    can_edit = fields.Boolean()


class FolderListingSchema(ma.Schema):
    community_id = fields.String()
    folder = fields.Nested(FolderSchema, allow_none=True)
    path = fields.List(fields.Nested(CrumbSchema), metadata={"description": "Root first"})
    folders = fields.List(fields.Nested(FolderSchema))
    documents = fields.List(fields.Nested(DocumentSchema))
    can_write = fields.Boolean()
    can_manage = fields.Boolean()


class DocumentListSchema(ma.Schema):
    community_id = fields.String()
    items = fields.List(fields.Nested(DocumentSchema))


class DocumentDeletedSchema(ma.Schema):
    document_id = fields.String()
    deleted = fields.Boolean()
    purge_at = Timestamp(allow_none=True, metadata={"description": "When the bin empties it"})


_ID = validate.Length(min=1, max=limits.ID_MAX)
#: a file or folder name (``parvis_contracts.filetypes.safe_filename`` checks the rest)
_NAME = validate.Length(min=1, max=MAX_NAME_LENGTH)
_COMMENT = validate.Length(max=limits.VERSION_COMMENT_MAX)


class FolderQuerySchema(ma.Schema):
    folder_id = fields.String(load_default=None, validate=_ID)


class FolderCreateSchema(ma.Schema):
    name = fields.String(required=True, validate=_NAME)
    parent_id = fields.String(load_default=None, allow_none=True, validate=_ID)


class FolderUpdateSchema(ma.Schema):
    name = fields.String(validate=_NAME)
    parent_id = fields.String(
        allow_none=True, validate=_ID, metadata={"description": "Move under this folder (null: root)"}
    )


class DocumentUpdateSchema(ma.Schema):
    name = fields.String(validate=_NAME)
    folder_id = fields.String(
        allow_none=True, validate=_ID, metadata={"description": "Move into this folder (null: root)"}
    )


class UploadQuerySchema(ma.Schema):
    name = fields.String(
        required=True,
        validate=_NAME,
        metadata={"description": "The file's name (its extension must match its content)"},
    )
    folder_id = fields.String(load_default=None, validate=_ID)
    comment = fields.String(load_default="", validate=_COMMENT)


class VersionUploadQuerySchema(ma.Schema):
    name = fields.String(
        validate=_NAME, metadata={"description": "The new version's file name (default: the document's name)"}
    )
    comment = fields.String(load_default="", validate=_COMMENT)


class VersionCommentSchema(ma.Schema):
    comment = fields.String(load_default="", validate=_COMMENT)


class DownloadQuerySchema(ma.Schema):
    version = fields.Integer(load_default=None, validate=validate.Range(1, MAX_NUMBER))
    disposition = fields.String(
        load_default="attachment",
        validate=validate.OneOf(("attachment", "inline")),
        metadata={"description": "inline is honoured for PNG, JPEG, GIF, WebP and PDF only"},
    )


class WikiPageSummarySchema(ma.Schema):
    id = fields.String(required=True)
    community_id = fields.String()
    title = fields.String()
    slug = fields.String(allow_none=True)
    revision = fields.Integer()
    created_at = Timestamp(allow_none=True)
    created_by = fields.String(allow_none=True)
    updated_at = Timestamp(allow_none=True)
    updated_by = fields.String(allow_none=True)


class WikiLinkSchema(ma.Schema):
    title = fields.String()
    page_id = fields.String(allow_none=True, metadata={"description": "null: no such page yet"})


class WikiBacklinkSchema(ma.Schema):
    id = fields.String()
    title = fields.String()


class WikiPageSchema(WikiPageSummarySchema):
    body = fields.String()
    html = fields.String(metadata={"description": "The body rendered (Markdown, [[links]]), sanitised"})
    latest_revision = fields.Integer()
    links = fields.List(fields.Nested(WikiLinkSchema))
    backlinks = fields.List(fields.Nested(WikiBacklinkSchema))


class WikiPageListSchema(ma.Schema):
    community_id = fields.String()
    items = fields.List(fields.Nested(WikiPageSummarySchema))
    can_write = fields.Boolean()


class WikiPageCreateSchema(ma.Schema):
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=limits.PAGE_TITLE_MAX),
        metadata={"description": "No [ ] | or control characters"},
    )
    body = fields.String(load_default="", validate=validate.Length(max=limits.PAGE_BODY_MAX))


class WikiPageUpdateSchema(WikiPageCreateSchema):
    base_revision = fields.Integer(
        required=True,
        validate=validate.Range(1, MAX_NUMBER),
        metadata={"description": "The revision you edited: 409 if someone saved another since"},
    )
    comment = fields.String(load_default="", validate=_COMMENT)


class PageRevisionQuerySchema(ma.Schema):
    revision = fields.Integer(load_default=None, validate=validate.Range(1, MAX_NUMBER))


class PageRevisionSchema(ma.Schema):
    number = fields.Integer(required=True)
    title = fields.String()
    comment = fields.String(allow_none=True)
    author_id = fields.String(allow_none=True)
    created_at = Timestamp(allow_none=True)


class PageRevisionListSchema(ma.Schema):
    page_id = fields.String()
    title = fields.String()
    latest = fields.Integer()
    items = fields.List(fields.Nested(PageRevisionSchema), metadata={"description": "Newest first"})


class PageDiffQuerySchema(ma.Schema):
    from_revision = fields.Integer(required=True, data_key="from", validate=validate.Range(1, MAX_NUMBER))
    to_revision = fields.Integer(required=True, data_key="to", validate=validate.Range(1, MAX_NUMBER))


class PageDiffLineSchema(ma.Schema):
    op = fields.String(validate=validate.OneOf(("equal", "insert", "delete")))
    text = fields.String()


class PageDiffSchema(ma.Schema):
    page_id = fields.String()
    from_revision = fields.Integer(data_key="from", attribute="from")
    to_revision = fields.Integer(data_key="to", attribute="to")
    from_title = fields.String()
    to_title = fields.String()
    lines = fields.List(fields.Nested(PageDiffLineSchema))


class RemovedItemSchema(ma.Schema):
    id = fields.String()
    deleted = fields.Boolean()


def deleted(result, item_id: str) -> dict:
    outcome = {"id": item_id, "deleted": True}
    if isinstance(result, dict) and "deleted" in result:
        outcome["deleted"] = bool(result["deleted"])
    return outcome


# ------------------------------------------------------------------ API: folders

_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "required": True,
    "description": "The file's raw bytes as the body (not a form), with Content-Length. The "
    "size limit (default 100 MB) is checked against Content-Length before the "
    "body is read; the extension of `name` must match the content. Send it as "
    "`application/octet-stream` (any other type but a form is accepted too: "
    "the bytes and the name decide, not the declared type).",
    "content": {"application/octet-stream": _BINARY},
}
DOWNLOAD_RESPONSES = {
    "200": {
        "description": "The file (attachment; `ETag` is its SHA-256). Its Content-Type is "
        "the document's when it is one the gateway serves as such, else "
        "`application/octet-stream`",
        "content": {"application/octet-stream": _BINARY},
    },
    "206": {
        "description": "The requested byte range (`Range: bytes=...`)",
        "content": {"application/octet-stream": _BINARY},
    },
    "304": {"description": "Not modified (`If-None-Match` matched)"},
    "416": {"description": "The range is outside the file"},
}


@blp.route("/communities/<string:community_id>/documents")
class CommunityDocuments(MethodView):
    @blp.arguments(FolderQuerySchema, location="query")
    @blp.response(200, FolderListingSchema)
    def get(self, args, community_id):
        """A folder of the community's documents (the root without folder_id)"""
        return documents.list_folder(community_id, args.get("folder_id"))

    @blp.arguments(UploadQuerySchema, location="query")
    @blp.arguments(*IDEMPOTENCY, **IDEMPOTENCY_ARGS)
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(201, DocumentSchema)
    @blp.alt_response(
        413, description="Larger than the limit (refused before reading the body when Content-Length says so)"
    )
    @blp.alt_response(409, description="A document or folder of that name is in the folder")
    def post(self, args, community_id, idempotency_key=None):
        """Upload a new document: the raw bytes as the body, ?name=&folder_id=&comment="""
        return files.upload_new_document(
            community_id, args["name"], args.get("folder_id"), args.get("comment") or "", idempotency_key
        )


@blp.route("/communities/<string:community_id>/folders")
class CommunityFolders(MethodView):
    @blp.arguments(FolderCreateSchema)
    @blp.response(201, FolderSchema)
    def post(self, data, community_id):
        """Create a folder (at the root, or in parent_id)"""
        return documents.create_folder(community_id, data.get("parent_id"), data["name"])


@blp.route("/communities/<string:community_id>/folders/<string:folder_id>")
class CommunityFolder(MethodView):
    @blp.response(200, FolderListingSchema)
    def get(self, community_id, folder_id):
        """A folder: its path, sub-folders and documents"""
        return documents.list_folder(community_id, folder_id)


@blp.route("/folders/<string:folder_id>")
class Folder(MethodView):
    @blp.arguments(FolderUpdateSchema)
    @blp.response(200, FolderSchema)
    def patch(self, data, folder_id):
        """Rename a folder and/or move it under another (parent_id null: the root)"""
        result = None
        if "name" in data:
            result = documents.rename_folder(folder_id, data["name"])
        if "parent_id" in data:
            result = documents.move_folder(folder_id, data["parent_id"])
        if result is None:
            raise ValidationFailed("Give a new name or a new parent.", {"name": ["Give name or parent_id."]})
        return result

    @blp.response(200, RemovedItemSchema)
    def delete(self, folder_id):
        """Delete an empty folder (409 if it is not empty)"""
        return deleted(documents.delete_folder(folder_id), folder_id)


@blp.route("/communities/<string:community_id>/bin")
class Bin(MethodView):
    @blp.response(200, DocumentListSchema)
    def get(self, community_id):
        """Deleted documents, restorable for 30 days (managers)"""
        return documents.list_bin(community_id)


# ------------------------------------------------------------------ API: documents


@blp.route("/documents/<string:document_id>")
class Document(MethodView):
    @blp.response(200, DocumentDetailSchema)
    def get(self, document_id):
        """A document with its versions, newest first"""
        return documents.get_document(document_id)

    @blp.arguments(DocumentUpdateSchema)
    @blp.response(200, DocumentSchema)
    def patch(self, data, document_id):
        """Rename a document and/or move it to another folder (folder_id null: the root)"""
        result = None
        if "name" in data:
            result = documents.rename_document(document_id, data["name"])
        if "folder_id" in data:
            result = documents.move_document(document_id, data["folder_id"])
        if result is None:
            raise ValidationFailed("Give a new name or a new folder.", {"name": ["Give name or folder_id."]})
        return result

    @blp.response(200, DocumentDeletedSchema)
    def delete(self, document_id):
        """Put a document in the bin (its author, managers)"""
        return documents.delete_document(document_id)


@blp.route("/documents/<string:document_id>/versions")
class DocumentVersions(MethodView):
    @blp.arguments(VersionUploadQuerySchema, location="query")
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(201, DocumentSchema)
    @blp.alt_response(413, description="Larger than the limit")
    def post(self, args, document_id):
        """Upload a new version: the raw bytes as the body, ?comment=&name="""
        return files.upload_new_version(document_id, args.get("name"), args.get("comment") or "")


@blp.route("/documents/<string:document_id>/versions/<int:number>/restore")
class RestoreVersion(MethodView):
    @blp.arguments(VersionCommentSchema)
    @blp.response(201, DocumentSchema)
    def post(self, data, document_id, number):
        """Make an old version the latest again (a new version with the same bytes)"""
        return documents.restore_version(document_id, number, data.get("comment") or "")


@blp.route("/documents/<string:document_id>/restore")
class RestoreDocument(MethodView):
    @blp.response(200, DocumentSchema)
    def post(self, document_id):
        """Take a document out of the bin (managers, within 30 days)"""
        return documents.restore_document(document_id)


@blp.route("/documents/<string:document_id>/download")
class DocumentDownload(MethodView):
    @blp.arguments(DownloadQuerySchema, location="query")
    @blp.doc(responses=DOWNLOAD_RESPONSES)
    def get(self, args, document_id):
        """Download the latest version (or ?version=N); supports Range requests"""
        return files.download(document_id, args.get("version"), args.get("disposition"))


# ------------------------------------------------------------------ API: pages


@blp.route("/communities/<string:community_id>/pages")
class CommunityPages(MethodView):
    @blp.response(200, WikiPageListSchema)
    def get(self, community_id):
        """The community's pages"""
        return documents.list_pages(community_id)

    @blp.arguments(WikiPageCreateSchema)
    @blp.response(201, WikiPageSchema)
    def post(self, data, community_id):
        """Create a page (Markdown; [[Page title]] links to another page)"""
        return documents.create_page(community_id, data["title"], data["body"])


@blp.route("/pages/<string:page_id>")
class Page(MethodView):
    @blp.arguments(PageRevisionQuerySchema, location="query")
    @blp.response(200, WikiPageSchema)
    def get(self, args, page_id):
        """A page (its latest revision, or ?revision=N)"""
        return documents.get_page(page_id, args.get("revision"))

    @blp.arguments(WikiPageUpdateSchema)
    @blp.response(200, WikiPageSchema)
    @blp.alt_response(409, description="Someone saved a newer revision: reload and merge")
    def put(self, data, page_id):
        """Save a new revision of a page"""
        return documents.update_page(
            page_id, data["title"], data["body"], data["base_revision"], data.get("comment") or ""
        )

    @blp.response(200, RemovedItemSchema)
    def delete(self, page_id):
        """Delete a page"""
        return deleted(documents.delete_page(page_id), page_id)


@blp.route("/pages/<string:page_id>/history")
class PageHistory(MethodView):
    @blp.response(200, PageRevisionListSchema)
    def get(self, page_id):
        """A page's revisions, newest first"""
        return documents.page_history(page_id)


@blp.route("/pages/<string:page_id>/diff")
class PageDiff(MethodView):
    @blp.arguments(PageDiffQuerySchema, location="query")
    @blp.response(200, PageDiffSchema)
    def get(self, args, page_id):
        """Line differences between two revisions (?from=&to=)"""
        return documents.diff_page(page_id, args["from_revision"], args["to_revision"])
