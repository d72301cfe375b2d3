"""Community pictures: the gateway's blob store of them, uploads in, images out (for the
API's ``/api/v1/communities/<id>/picture`` and the community settings page alike).

Built like profile photos (:mod:`gateway.files.photos`): the gateway checks the
image against its magic bytes, streams it into a content-addressed blob store
and sends the communities service only the reference (the SHA-256), through
``update_community`` with ``picture``; the service keeps deciding who may
change a community (its managers and network admins). A download first asks
the service for the community's card as the caller, so a community the caller
may not see answers exactly the 404 of an unknown id.

The pictures live in their own blob namespace, ``pictures``: the documents
namespace belongs to the documents service (whose clean-up must never see a
blob it does not reference) and the photos one to identity's profiles; a
separate namespace keeps each owner's references and blobs together.
"""

from __future__ import annotations

from flask import current_app, request

from parvis_contracts.blobs import BlobStore, LocalBlobStore, blob_store
from parvis_contracts.errors import Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from parvis_contracts.filetypes import detect

from .. import auth
from ..calls import communities
from . import photos

EXTENSION = "parvis_picture_blobs"
NAMESPACE = "pictures"
FIELD = "picture"
TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
#: the endpoints receiving a picture upload: the API and the settings page's form
API_ENDPOINT = "community_pictures.CommunityPicture"
WEB_ENDPOINT = "wall.settings"

# ------------------------------------------------------------------ configuration


def init_pictures(app) -> None:
    """Build the store; check an upload's size before anything parses its body.

    ``PICTURE_BLOB_STORE`` injects a store; otherwise a local ``BLOB_STORE``
    given in the configuration (tests) gets a ``pictures`` folder inside it,
    else ``blob_store("pictures")`` follows ``PARVIS_BLOB_BACKEND``.
    """
    made = app.config.get("PICTURE_BLOB_STORE")
    if made is None:
        given = app.config.get("BLOB_STORE")
        made = (
            LocalBlobStore(given.root / NAMESPACE)
            if isinstance(given, LocalBlobStore)
            else blob_store(NAMESPACE)
        )
    if not isinstance(made, BlobStore):
        raise TypeError("PICTURE_BLOB_STORE must be a parvis_contracts.blobs.BlobStore")
    app.extensions[EXTENSION] = made
    # first of all, like the photos' hook: authentication may parse a form
    app.before_request_funcs.setdefault(None, []).insert(0, prepare_upload)


def store() -> BlobStore:
    return current_app.extensions[EXTENSION]


def too_large() -> PayloadTooLarge:
    limit = photos.max_bytes()
    return PayloadTooLarge(f"The picture is larger than {limit} bytes.", {"max_bytes": limit})


def is_upload() -> bool:
    if request.endpoint == API_ENDPOINT:
        return request.method == "PUT"
    return (
        request.endpoint == WEB_ENDPOINT
        and request.method == "POST"
        and request.mimetype == "multipart/form-data"
    )


def prepare_upload() -> None:
    """413 before reading a body whose Content-Length is already too large."""
    if not is_upload():
        return
    multipart = request.mimetype == "multipart/form-data"
    limit = photos.max_bytes() + (photos.MULTIPART_OVERHEAD if multipart else 0)
    if request.content_length is not None and request.content_length > limit:
        raise too_large()
    request.max_content_length = limit


# ------------------------------------------------------------------ content checks


def not_an_image(declared: str | None, found: str | None) -> ValidationFailed:
    return ValidationFailed(
        "The picture must be a PNG, JPEG, GIF or WebP image whose content matches its type.",
        {
            FIELD: ["Not a PNG, JPEG, GIF or WebP image, or its content does not match its type."],
            "declared_type": declared or None,
            "detected_type": found,
        },
    )


def image_type(head: bytes) -> str | None:
    return TYPES.get(detect(head) or "")


def upload_source():
    """``(stream, declared type, may the type be undeclared)`` of this request's picture."""
    if request.mimetype == "multipart/form-data":
        part = request.files.get(FIELD)
        if part is None or not part.filename:
            raise ValidationFailed("Send the image in the form field 'picture'.", {FIELD: ["Missing file."]})
        return part.stream, photos.normalise_type(part.mimetype), True
    declared = photos.normalise_type(request.mimetype)
    if declared not in TYPES.values():
        raise not_an_image(declared, None)
    return request.stream, declared, False


def manageable_card(community_id: str) -> dict:
    """The card, if the caller may change the community (checked again by the service).

    Asked before a byte is stored, so a refused upload leaves no orphan blob:
    invisible -> the 404 of an unknown id; visible, not a manager -> 403.
    """
    card = communities.get_community(community_id)
    if card.get("my_role") != "manager" and not auth.is_admin():
        raise Forbidden("Only the community's managers (or a network admin) can do this.")
    if card.get("archived"):
        raise Forbidden("This community is archived: it is read-only until a manager reopens it.")
    return card


def store_picture(community_id: str) -> dict:
    """Check, store and reference the request's picture; returns the community."""
    manageable_card(community_id)
    if (
        request.content_length is not None
        and request.mimetype != "multipart/form-data"
        and request.content_length > photos.max_bytes()
    ):
        raise too_large()
    stream, declared, undeclared_ok = upload_source()
    head = photos._read_head(stream)
    if not head:
        raise ValidationFailed("The picture is empty.", {FIELD: ["Empty file."]})
    found = image_type(head)
    if found is None or not (declared == found or (undeclared_ok and declared in photos.UNDECLARED)):
        raise not_an_image(declared, found)
    sha256, _size = store().put_stream(photos._Prefixed(head, stream), photos.max_bytes())
    return communities.update_community(community_id, {"picture": sha256})


def clear_picture(community_id: str) -> dict:
    return communities.update_community(community_id, {"picture": None})


def no_picture() -> NotFound:
    return NotFound("This community has no picture.")


def picture_response(community_id: str):
    """The image, to whoever gets the community's full card (its content)."""
    card = communities.get_community(community_id)
    if card.get("access") != "full":
        # a network admin sees a private community's metadata, not its content
        raise Forbidden(
            "Network admins see the name, size and activity of a private "
            "community, not its content, unless they are members."
        )
    sha256 = card.get("picture")
    if not sha256:
        raise no_picture()
    return photos.image_response(store(), sha256, no_picture, TYPES)
