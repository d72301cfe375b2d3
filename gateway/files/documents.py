"""Documents' bytes: the gateway's blob store of them, uploads streamed in, downloads
streamed out (for the API and the web pages alike).

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

from flask import current_app, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from parvis_contracts.blobs import BlobStore, blob_store
from parvis_contracts.errors import PayloadTooLarge, ValidationFailed
from parvis_contracts.filetypes import BINARY_TYPES, INLINE_TYPES, OCTET_STREAM, TEXT_PLAIN

from ..calls import documents, keyed

EXTENSION = "parvis_document_blobs"
#: request body types a raw upload may not have: they would be parsed as forms
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
#: content types the gateway ever serves a document as (anything else: octet-stream)
SERVABLE_TYPES = frozenset({t for t, _s, _i in BINARY_TYPES.values()} | {TEXT_PLAIN, OCTET_STREAM})
ATTACHMENT_CSP = "default-src 'none'; sandbox"
#: Chromium's PDF viewer does not run under ``sandbox``; nothing else is allowed either
PDF_INLINE_CSP = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
CACHE_CONTROL = "private, no-cache"


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
    prepared = documents.prepare_upload(declared, **prepare)
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
        lambda safe_name, staged: documents.create_document(
            community_id, folder_id, safe_name, staged, comment or "", idempotency_key
        ),
    )


def upload_new_version(document_id: str, name: str | None = None, comment: str = "") -> dict:
    """A new version; its file name is ``name`` or the document's (the extension must match)."""
    document = documents.get_document(document_id)
    return receive_upload(
        {
            "community_id": document["community_id"],
            "folder_id": document.get("folder_id"),
            "name": name or document["name"],
            "document_id": document_id,
        },
        lambda safe_name, staged: documents.add_version(
            document_id, staged, comment or "", safe_name if name else None
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
    info = documents.download_info(document_id, version)
    return blob_response(info, disposition)
