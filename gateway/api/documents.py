"""Documents and pages of a community: ``/api/v1/communities/<id>/documents``, ``/api/v1/documents/...``,
``/api/v1/pages/...``.

No file bytes over AMQP. An upload is the raw request body (never a form): the
gateway asks the documents service ``prepare_upload`` (access, folder, name,
declared size vs the limit) *before* reading a byte, refuses a declared
Content-Length over the limit with 413, streams the body into the blob store's
staging area (hashing on the way, memory flat), then hands the service only
the staged reference; whatever fails after staging, the staged object is
discarded. A download asks the service ``download_info`` (access checked every
time, old versions included) and streams the bytes from the store, with HTTP
range requests, ``Content-Disposition: attachment`` (inline only for PNG, JPEG,
GIF, WebP and PDF when asked), ``nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from parvis_contracts import limits
from parvis_contracts.blobs import BlobStore, blob_store
from parvis_contracts.errors import PayloadTooLarge, ValidationFailed
from parvis_contracts.filetypes import BINARY_TYPES, INLINE_TYPES, MAX_NAME_LENGTH, OCTET_STREAM, TEXT_PLAIN
from parvis_contracts.schemas import MAX_NUMBER

from .. import rpc
from .feed import IDEMPOTENCY, IDEMPOTENCY_ARGS, keyed
from .schemas import Timestamp

EXTENSION = "parvis_document_blobs"
SERVICE = "documents"
#: request body types a raw upload may not have: they would be parsed as forms
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
#: content types the gateway ever serves a document as (anything else: octet-stream)
SERVABLE_TYPES = frozenset({t for t, _s, _i in BINARY_TYPES.values()} | {TEXT_PLAIN, OCTET_STREAM})
ATTACHMENT_CSP = "default-src 'none'; sandbox"
#: Chromium's PDF viewer does not run under ``sandbox``; nothing else is allowed either
PDF_INLINE_CSP = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
CACHE_CONTROL = "private, no-cache"

blp = Blueprint(
    "documents",
    __name__,
    url_prefix="/api/v1",
    description="Documents (folders, versions, bin, streamed uploads and downloads) "
    "and pages (wiki with revisions) of communities",
)


# ------------------------------------------------------------------ the store


def store() -> BlobStore:
    """The documents' blob store, built once per app (``DOCUMENT_BLOB_STORE`` injects one)."""
    app = current_app
    made = app.extensions.get(EXTENSION)
    if made is None:
        made = app.config.get("DOCUMENT_BLOB_STORE") or blob_store("documents")
        if not isinstance(made, BlobStore):
            raise TypeError("DOCUMENT_BLOB_STORE must be a parvis_contracts.blobs.BlobStore")
        app.extensions[EXTENSION] = made
    return made


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


def as_items(value) -> dict:
    """A list answer (or an ``{"items": [...]}`` one) as a dict with ``items``."""
    if isinstance(value, dict):
        return {**value, "items": value.get("items") or []}
    return {"items": list(value or [])}


# ------------------------------------------------------------------ uploads


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The file is larger than {limit} bytes.", {"max_bytes": limit})


def _check_raw_body() -> int | None:
    if request.mimetype in FORM_TYPES:
        raise ValidationFailed(
            "Send the file's bytes as the request body, not a form.",
            {"file": ["Send the raw bytes as the body."]},
        )
    declared = request.content_length
    if declared == 0:
        raise ValidationFailed("The file is empty.", {"file": ["The file is empty."]})
    return declared


def receive_upload(prepare: dict, finish):
    """Prepare (limit known, nothing read), stage the raw body, then ``finish(name, staged)``.

    ``prepare`` holds ``prepare_upload``'s arguments but ``size``. The staged
    object is discarded if ``finish`` (the service call) fails in any way.
    """
    declared = _check_raw_body()
    prepared = rpc.call(SERVICE, "prepare_upload", size=declared, **prepare)
    limit = int(prepared["max_bytes"])
    if declared is not None and declared > limit:
        raise too_large(limit)  # before a byte of the body is read
    # the app-wide body limit is for forms; this body may be as large as the service allows
    request.max_content_length = limit
    staged = store().stage(request.stream, limit)
    try:
        return finish(prepared.get("name") or prepare.get("name"), staged.as_dict())
    except BaseException:
        store().discard(staged.key)
        raise


def upload_new_document(
    community_id: str, name: str, folder_id: str | None, comment: str = "", idempotency_key: str | None = None
) -> dict:
    """With a key, the retry of an upload that happened answers the same document (its
    bytes, staged again, are discarded)."""
    return receive_upload(
        {"community_id": community_id, "folder_id": folder_id, "name": name, **keyed(idempotency_key)},
        lambda safe_name, staged: rpc.call(
            SERVICE,
            "create_document",
            community_id=community_id,
            folder_id=folder_id,
            name=safe_name,
            staged=staged,
            comment=comment or "",
            **keyed(idempotency_key),
        ),
    )


def upload_new_version(document_id: str, name: str | None = None, comment: str = "") -> dict:
    """A new version; its file name is ``name`` or the document's (the extension must match)."""
    document = rpc.call(SERVICE, "get_document", document_id=document_id)
    return receive_upload(
        {
            "community_id": document["community_id"],
            "folder_id": document.get("folder_id"),
            "name": name or document["name"],
            "document_id": document_id,
        },
        lambda safe_name, staged: rpc.call(
            SERVICE,
            "add_version",
            document_id=document_id,
            staged=staged,
            comment=comment or "",
            name=safe_name if name else None,
        ),
    )


# ------------------------------------------------------------------ downloads


def _ascii_fallback(filename: str) -> str:
    cleaned = re.sub(r'[^\x20-\x7e]|["\\]', "_", filename).strip() or "download"
    return cleaned[:200]


def content_disposition(kind: str, filename: str) -> str:
    """``attachment; filename="..."; filename*=UTF-8''...`` (RFC 6266 / 5987)."""
    return f"{kind}; filename=\"{_ascii_fallback(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


def served_type(content_type: str | None) -> str:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind if kind in SERVABLE_TYPES else OCTET_STREAM


def _range_not_satisfiable(size: int) -> RequestedRangeNotSatisfiable:
    exc = RequestedRangeNotSatisfiable(length=size)
    exc.description = "The requested byte range is outside the file."
    exc.data = {"message": exc.description, "headers": {"Content-Range": f"bytes */{size}"}}
    return exc


def blob_response(info: dict, disposition: str = "attachment"):
    """Stream the blob ``info`` describes (``download_info``'s answer), with ranges."""
    sha256, size = info["sha256"], int(info["size"])
    content_type = served_type(info.get("content_type"))
    inline = disposition == "inline" and bool(info.get("inline")) and content_type in INLINE_TYPES
    headers = {
        "Content-Type": content_type,
        "Content-Disposition": content_disposition(
            "inline" if inline else "attachment", info.get("filename") or "download"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            PDF_INLINE_CSP if inline and content_type == "application/pdf" else ATTACHMENT_CSP
        ),
        "Cache-Control": CACHE_CONTROL,
        "ETag": f'"{sha256}"',
        "Accept-Ranges": "bytes",
    }
    response_class = current_app.response_class
    if request.if_none_match.contains(sha256):
        response = response_class(status=304)
        response.headers.update({k: v for k, v in headers.items() if k != "Content-Type"})
        return response
    status, start, end = 200, 0, size - 1
    byte_range = request.range  # None when absent or malformed: whole file
    if byte_range is not None and len(byte_range.ranges) == 1 and byte_range.units == "bytes":
        bounds = byte_range.range_for_length(size)
        if bounds is None:
            raise _range_not_satisfiable(size)
        start, end = bounds[0], bounds[1] - 1
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    body = store().open_range(sha256, start, end) if size else iter(())
    response = response_class(body, status=status, direct_passthrough=True)
    response.headers.update(headers)
    return response


def download(document_id: str, version: int | None = None, disposition: str = "attachment"):
    info = rpc.call(SERVICE, "download_info", document_id=document_id, number=version)
    return blob_response(info, disposition)


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
        return rpc.call(SERVICE, "list_folder", community_id=community_id, folder_id=args.get("folder_id"))

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
        return upload_new_document(
            community_id, args["name"], args.get("folder_id"), args.get("comment") or "", idempotency_key
        )


@blp.route("/communities/<string:community_id>/folders")
class CommunityFolders(MethodView):
    @blp.arguments(FolderCreateSchema)
    @blp.response(201, FolderSchema)
    def post(self, data, community_id):
        """Create a folder (at the root, or in parent_id)"""
        return rpc.call(
            SERVICE,
            "create_folder",
            community_id=community_id,
            parent_id=data.get("parent_id"),
            name=data["name"],
        )


@blp.route("/communities/<string:community_id>/folders/<string:folder_id>")
class CommunityFolder(MethodView):
    @blp.response(200, FolderListingSchema)
    def get(self, community_id, folder_id):
        """A folder: its path, sub-folders and documents"""
        return rpc.call(SERVICE, "list_folder", community_id=community_id, folder_id=folder_id)


@blp.route("/folders/<string:folder_id>")
class Folder(MethodView):
    @blp.arguments(FolderUpdateSchema)
    @blp.response(200, FolderSchema)
    def patch(self, data, folder_id):
        """Rename a folder and/or move it under another (parent_id null: the root)"""
        result = None
        if "name" in data:
            result = rpc.call(SERVICE, "rename_folder", folder_id=folder_id, name=data["name"])
        if "parent_id" in data:
            result = rpc.call(SERVICE, "move_folder", folder_id=folder_id, parent_id=data["parent_id"])
        if result is None:
            raise ValidationFailed("Give a new name or a new parent.", {"name": ["Give name or parent_id."]})
        return result

    @blp.response(200, RemovedItemSchema)
    def delete(self, folder_id):
        """Delete an empty folder (409 if it is not empty)"""
        return deleted(rpc.call(SERVICE, "delete_folder", folder_id=folder_id), folder_id)


@blp.route("/communities/<string:community_id>/bin")
class Bin(MethodView):
    @blp.response(200, DocumentListSchema)
    def get(self, community_id):
        """Deleted documents, restorable for 30 days (managers)"""
        return as_items(rpc.call(SERVICE, "list_bin", community_id=community_id))


# ------------------------------------------------------------------ API: documents


@blp.route("/documents/<string:document_id>")
class Document(MethodView):
    @blp.response(200, DocumentDetailSchema)
    def get(self, document_id):
        """A document with its versions, newest first"""
        return rpc.call(SERVICE, "get_document", document_id=document_id)

    @blp.arguments(DocumentUpdateSchema)
    @blp.response(200, DocumentSchema)
    def patch(self, data, document_id):
        """Rename a document and/or move it to another folder (folder_id null: the root)"""
        result = None
        if "name" in data:
            result = rpc.call(SERVICE, "rename_document", document_id=document_id, name=data["name"])
        if "folder_id" in data:
            result = rpc.call(SERVICE, "move_document", document_id=document_id, folder_id=data["folder_id"])
        if result is None:
            raise ValidationFailed("Give a new name or a new folder.", {"name": ["Give name or folder_id."]})
        return result

    @blp.response(200, DocumentDeletedSchema)
    def delete(self, document_id):
        """Put a document in the bin (its author, managers)"""
        return rpc.call(SERVICE, "delete_document", document_id=document_id)


@blp.route("/documents/<string:document_id>/versions")
class DocumentVersions(MethodView):
    @blp.arguments(VersionUploadQuerySchema, location="query")
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(201, DocumentSchema)
    @blp.alt_response(413, description="Larger than the limit")
    def post(self, args, document_id):
        """Upload a new version: the raw bytes as the body, ?comment=&name="""
        return upload_new_version(document_id, args.get("name"), args.get("comment") or "")


@blp.route("/documents/<string:document_id>/versions/<int:number>/restore")
class RestoreVersion(MethodView):
    @blp.arguments(VersionCommentSchema)
    @blp.response(201, DocumentSchema)
    def post(self, data, document_id, number):
        """Make an old version the latest again (a new version with the same bytes)"""
        return rpc.call(
            SERVICE,
            "restore_version",
            document_id=document_id,
            number=number,
            comment=data.get("comment") or "",
        )


@blp.route("/documents/<string:document_id>/restore")
class RestoreDocument(MethodView):
    @blp.response(200, DocumentSchema)
    def post(self, document_id):
        """Take a document out of the bin (managers, within 30 days)"""
        return rpc.call(SERVICE, "restore_document", document_id=document_id)


@blp.route("/documents/<string:document_id>/download")
class DocumentDownload(MethodView):
    @blp.arguments(DownloadQuerySchema, location="query")
    @blp.doc(responses=DOWNLOAD_RESPONSES)
    def get(self, args, document_id):
        """Download the latest version (or ?version=N); supports Range requests"""
        return download(document_id, args.get("version"), args.get("disposition"))


# ------------------------------------------------------------------ API: pages


@blp.route("/communities/<string:community_id>/pages")
class CommunityPages(MethodView):
    @blp.response(200, WikiPageListSchema)
    def get(self, community_id):
        """The community's pages"""
        return as_items(rpc.call(SERVICE, "list_pages", community_id=community_id))

    @blp.arguments(WikiPageCreateSchema)
    @blp.response(201, WikiPageSchema)
    def post(self, data, community_id):
        """Create a page (Markdown; [[Page title]] links to another page)"""
        return rpc.call(
            SERVICE, "create_page", community_id=community_id, title=data["title"], body=data["body"]
        )


@blp.route("/pages/<string:page_id>")
class Page(MethodView):
    @blp.arguments(PageRevisionQuerySchema, location="query")
    @blp.response(200, WikiPageSchema)
    def get(self, args, page_id):
        """A page (its latest revision, or ?revision=N)"""
        return rpc.call(SERVICE, "get_page", page_id=page_id, revision=args.get("revision"))

    @blp.arguments(WikiPageUpdateSchema)
    @blp.response(200, WikiPageSchema)
    @blp.alt_response(409, description="Someone saved a newer revision: reload and merge")
    def put(self, data, page_id):
        """Save a new revision of a page"""
        return rpc.call(
            SERVICE,
            "update_page",
            page_id=page_id,
            title=data["title"],
            body=data["body"],
            base_revision=data["base_revision"],
            comment=data.get("comment") or "",
        )

    @blp.response(200, RemovedItemSchema)
    def delete(self, page_id):
        """Delete a page"""
        return deleted(rpc.call(SERVICE, "delete_page", page_id=page_id), page_id)


@blp.route("/pages/<string:page_id>/history")
class PageHistory(MethodView):
    @blp.response(200, PageRevisionListSchema)
    def get(self, page_id):
        """A page's revisions, newest first"""
        return as_items(rpc.call(SERVICE, "page_history", page_id=page_id))


@blp.route("/pages/<string:page_id>/diff")
class PageDiff(MethodView):
    @blp.arguments(PageDiffQuerySchema, location="query")
    @blp.response(200, PageDiffSchema)
    def get(self, args, page_id):
        """Line differences between two revisions (?from=&to=)"""
        return rpc.call(
            SERVICE,
            "diff_page",
            page_id=page_id,
            from_revision=args["from_revision"],
            to_revision=args["to_revision"],
        )
