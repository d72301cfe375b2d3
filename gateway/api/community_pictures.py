"""Community pictures: ``PUT/DELETE/GET /api/v1/communities/<id>/picture``.

The bytes are the gateway's own (:mod:`gateway.files.pictures`); the communities service
holds only the reference and keeps deciding who may change a community.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..files import pictures
from ..files.pictures import FIELD, TYPES
from .schemas import CommunitySchema

blp = Blueprint(
    "community_pictures",
    __name__,
    url_prefix="/api/v1",
    description="Community pictures (stored by the gateway, referenced by the communities service)",
)

_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "required": True,
    "description": "The image (PNG, JPEG, GIF or WebP), at most `PARVIS_PHOTO_MAX_BYTES` "
    f"bytes: either a multipart form with the file in the field `{FIELD}`, "
    "or the raw bytes with their image content type (a raw body must declare it: "
    "`application/octet-stream` is refused with 422; a form part may leave it "
    "undeclared, the bytes then decide).",
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "required": [FIELD], "properties": {FIELD: _BINARY["schema"]}}
        },
        **{kind: _BINARY for kind in TYPES.values()},
    },
}


# ------------------------------------------------------------------ API


@blp.route("/communities/<string:community_id>/picture", endpoint="CommunityPicture")
class CommunityPicture(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The image, with `ETag` (its SHA-256) and private caching",
                "content": {kind: _BINARY for kind in TYPES.values()},
            },
            "304": {"description": "Not modified (`If-None-Match` matched the ETag)"},
        }
    )
    @blp.alt_response(404, description="No such community, not visible to you, or no picture")
    def get(self, community_id):
        """The community's picture, if you may see its card"""
        return pictures.picture_response(community_id)

    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(200, CommunitySchema)
    @blp.alt_response(413, description="The picture is larger than the limit")
    @blp.alt_response(422, description="Not a PNG, JPEG, GIF or WebP image, or not what it claims")
    def put(self, community_id):
        """Set the community's picture (managers and network admins)"""
        return pictures.store_picture(community_id)

    @blp.response(200, CommunitySchema)
    def delete(self, community_id):
        """Remove the community's picture (managers and network admins)"""
        return pictures.clear_picture(community_id)
