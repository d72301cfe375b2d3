"""Profile photos: the gateway's blob store of them, uploads checked and streamed in,
images streamed out.

No file bytes over AMQP: an upload is streamed into the blob store (content-addressed,
built once in ``create_app``) and identity gets only the reference (SHA-256 and content
type). A download asks identity for the person as the caller (so a person the caller may
not see answers the very 404 of an unknown id), then streams the file from the store.
Used by the API (``PUT/DELETE /api/v1/me/photo``, ``GET /api/v1/people/<id>/photo``) and by
the profile page's form alike.
"""

from __future__ import annotations

import io

from flask import current_app, request, send_file

from parvis_contracts import settings
from parvis_contracts.blobs import BlobStore, default_store
from parvis_contracts.errors import NotFound, PayloadTooLarge, ValidationFailed
from parvis_contracts.filetypes import detect

from ..calls import identity

EXTENSION = "parvis_blobs"
DEFAULT_MAX_BYTES = settings.default("PARVIS_PHOTO_MAX_BYTES")
#: room for the multipart boundaries, part headers and the CSRF field of a form
MULTIPART_OVERHEAD = 64 * 1024
FIELD = "photo"
TYPES = ("image/png", "image/jpeg", "image/webp")
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
#: what a multipart part carries when the client did not say what the file is
UNDECLARED = ("", "application/octet-stream")
HEAD_BYTES = 16
CACHE_CONTROL = "private, max-age=3600"


# ------------------------------------------------------------------ configuration


def init_photos(app) -> None:
    """Build the blob store once and read the size limit (``BLOB_STORE`` injects one)."""
    store = app.config.get("BLOB_STORE") or default_store()
    if not isinstance(store, BlobStore):
        raise TypeError("BLOB_STORE must be a parvis_contracts.blobs.BlobStore")
    app.extensions[EXTENSION] = store
    app.config.setdefault("PHOTO_MAX_BYTES", settings.value("PARVIS_PHOTO_MAX_BYTES"))


def store() -> BlobStore:
    return current_app.extensions[EXTENSION]


def max_bytes() -> int:
    return int(current_app.config["PHOTO_MAX_BYTES"])


def too_large() -> PayloadTooLarge:
    limit = max_bytes()
    return PayloadTooLarge(f"The photo is larger than {limit} bytes.", {"max_bytes": limit})


#: endpoints that receive a photo upload (the API and the web form)
UPLOAD_ENDPOINTS = {"photos.MyPhoto", "web.upload_photo"}


def prepare_upload() -> None:
    """``before_request`` (before authentication parses any form): the upload's own limit.

    A body whose Content-Length already says it is too large is refused with
    413 before a byte of it is read; other requests keep the app's limit.
    """
    if request.endpoint not in UPLOAD_ENDPOINTS or request.method not in ("PUT", "POST"):
        return
    multipart = request.mimetype == "multipart/form-data"
    limit = max_bytes() + (MULTIPART_OVERHEAD if multipart else 0)
    if request.content_length is not None and request.content_length > limit:
        raise too_large()
    request.max_content_length = limit


# ------------------------------------------------------------------ content checks

#: the signatures (``filetypes.detect``) a profile photo may have, and their types
PHOTO_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def sniff(head: bytes) -> str | None:
    """The image type the first bytes announce (PNG, JPEG, WebP), else None."""
    return PHOTO_TYPES.get(detect(head) or "")


def image_response(blob_store: BlobStore, sha256: str, missing, types: dict, content_type: str | None = None):
    """The stored image ``sha256``, inline, with its SHA-256 as ETag, private caching and
    ``nosniff``; 304 when ``If-None-Match`` matches. Without a recorded ``content_type`` the
    bytes decide (``types``: signature name -> type); anything else (absent, or bytes that
    are no such image) raises ``missing()``: never served."""
    headers = {"ETag": f'"{sha256}"', "Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    if request.if_none_match.contains_weak(sha256):
        response = current_app.response_class(status=304)
        response.headers.update(headers)
        return response
    try:
        fileobj = blob_store.open(sha256)
    except (NotFound, ValidationFailed):
        raise missing() from None
    if content_type is None:
        content_type = types.get(detect(fileobj.read(HEAD_BYTES)) or "")
        fileobj.seek(0)
        if content_type is None:
            fileobj.close()
            raise missing()
    response = send_file(fileobj, mimetype=content_type, conditional=False, etag=False, max_age=None)
    response.headers.update(headers)
    response.headers["Content-Disposition"] = "inline"
    return response


def normalise_type(value: str | None) -> str:
    kind = (value or "").split(";", 1)[0].strip().lower()
    return ALIASES.get(kind, kind)


def not_an_image(declared: str, found: str | None) -> ValidationFailed:
    return ValidationFailed(
        "The photo must be a PNG, JPEG or WebP image whose content matches its type.",
        {
            FIELD: ["Not a PNG, JPEG or WebP image, or its content does not match its type."],
            "declared_type": declared or None,
            "detected_type": found,
        },
    )


def check_type(declared: str, head: bytes, undeclared_ok: bool) -> str:
    """The content type to record: the bytes decide, the declared type must agree."""
    found = sniff(head)
    if found is None:
        raise not_an_image(declared, None)
    if declared == found or (undeclared_ok and declared in UNDECLARED):
        return found
    raise not_an_image(declared, found)


class _Prefixed(io.RawIOBase):
    """The bytes already read (``head``) followed by the rest of a one-way stream."""

    def __init__(self, head: bytes, rest):
        self.head = head
        self.rest = rest

    def readable(self):
        return True

    def read(self, size=-1):
        if self.head:
            if size is None or size < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.rest.read(size)


def _read_head(stream, count: int = HEAD_BYTES) -> bytes:
    head = b""
    while len(head) < count:
        chunk = stream.read(count - len(head))
        if not chunk:
            break
        head += chunk
    return head


def upload_source():
    """``(stream, declared type, may the type be undeclared)`` of this request's photo."""
    if request.mimetype == "multipart/form-data":
        part = request.files.get(FIELD)
        if part is None or not part.filename:
            raise ValidationFailed("Send the image in the form field 'photo'.", {FIELD: ["Missing file."]})
        return part.stream, normalise_type(part.mimetype), True
    declared = normalise_type(request.mimetype)
    if declared not in TYPES:
        raise not_an_image(declared, None)
    return request.stream, declared, False


def store_photo() -> dict:
    """Check, store and reference the request's photo; the caller's own profile."""
    if (
        request.content_length is not None
        and request.mimetype != "multipart/form-data"
        and request.content_length > max_bytes()
    ):
        raise too_large()
    stream, declared, undeclared_ok = upload_source()
    head = _read_head(stream)
    if not head:
        raise ValidationFailed("The photo is empty.", {FIELD: ["Empty file."]})
    content_type = check_type(declared, head, undeclared_ok)
    sha256, _size = store().put_stream(_Prefixed(head, stream), max_bytes())
    return identity.set_photo(sha256, content_type)


def clear_photo() -> dict:
    return identity.clear_photo()


def no_photo() -> NotFound:
    return NotFound("This person has no photo.")


def person_photo(person_id: str):
    """Someone's photo, if the caller may see their profile (else the 404 of no photo)."""
    person = identity.get_person(person_id)
    sha256 = person.get("photo")
    if not sha256:
        raise no_photo()
    recorded = person.get("photo_content_type")
    return image_response(store(), sha256, no_photo, PHOTO_TYPES, recorded if recorded in TYPES else None)
