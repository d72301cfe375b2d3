"""Profile photos: ``PUT/DELETE /api/v1/me/photo``, ``GET /api/v1/people/<id>/photo``.

The bytes are the gateway's own (:mod:`gateway.files.photos`: checked against their
magic bytes, streamed into the blob store); identity holds only the reference.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..files import photos
from ..files.photos import DEFAULT_MAX_BYTES, FIELD, TYPES
from .schemas import MeSchema

blp = Blueprint(
    "photos",
    __name__,
    url_prefix="/api/v1",
    description="Profile photos (stored by the gateway, referenced by identity)",
)

_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "required": True,
    "description": f"The image (PNG, JPEG or WebP), at most {DEFAULT_MAX_BYTES} bytes by "
    "default (`PARVIS_PHOTO_MAX_BYTES`): either a multipart form with the "
    f"file in the field `{FIELD}`, or the raw bytes with their image content type "
    "(a raw body must declare it: `application/octet-stream` is refused with "
    "422; a form part may leave it undeclared, the bytes then decide).",
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "required": [FIELD], "properties": {FIELD: _BINARY["schema"]}}
        },
        **{kind: _BINARY for kind in TYPES},
    },
}


# ------------------------------------------------------------------ API


@blp.route("/me/photo", endpoint="MyPhoto")
class MyPhoto(MethodView):
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(200, MeSchema)
    @blp.alt_response(413, description="The photo is larger than the limit")
    @blp.alt_response(422, description="Not a PNG, JPEG or WebP image, or not what it claims")
    def put(self):
        """Upload your profile photo (PNG, JPEG or WebP; the bytes must match the type)"""
        return photos.store_photo()

    @blp.response(200, MeSchema)
    def delete(self):
        """Remove your profile photo"""
        return photos.clear_photo()


@blp.route("/people/<string:person_id>/photo", endpoint="PersonPhoto")
class PersonPhoto(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The image, with `ETag` (its SHA-256) and private caching",
                "content": {kind: _BINARY for kind in TYPES},
            },
            "304": {"description": "Not modified (`If-None-Match` matched the ETag)"},
        }
    )
    @blp.alt_response(404, description="No such person, not visible to you, or no photo")
    def get(self, person_id):
        """Someone's profile photo, if you may see their profile"""
        return photos.person_photo(person_id)
