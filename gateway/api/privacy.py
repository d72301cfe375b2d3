"""Privacy (GDPR): ``GET /api/v1/me/export``, ``POST /api/v1/me/erase``,
``POST /api/v1/admin/people/<id>/erase``.

The archive and the erasure are :mod:`gateway.files.privacy`'s (shared with the web
pages); see docs/security.md, "Privacy (GDPR)".
"""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..files import privacy

blp = Blueprint(
    "privacy",
    __name__,
    url_prefix="/api/v1",
    description="Privacy: export your data, erase your account (admins: anyone's)",
)


class EraseMeSchema(Schema):
    password = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "Your current password (confirmation)"},
    )


class ErasedSchema(Schema):
    person_id = fields.String()
    erased = fields.Boolean()
    already_erased = fields.Boolean()


_ZIP = {
    "description": "A ZIP archive: profile.json, communities.json, feed.json, "
    "documents.json, translation.json, files/ and manifest.json",
    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
}


@blp.route("/me/export", endpoint="MyExport")
class MyExport(MethodView):
    @blp.doc(responses={"200": _ZIP})
    @blp.alt_response(503, description="A service is not answering: no partial archive")
    def get(self):
        """Download everything Parvis holds about you (a ZIP archive, streamed)"""
        return privacy.export_response(g.principal["id"])


@blp.route("/me/erase", endpoint="MyErasure")
class MyErasure(MethodView):
    @blp.arguments(EraseMeSchema)
    @blp.response(200, ErasedSchema)
    @blp.alt_response(422, description="The password is wrong")
    @blp.alt_response(409, description="You are the network's only admin")
    def post(self, data):
        """Erase your account (confirm with your password); you are signed out

        Your profile becomes "Former member", your personal data is deleted in every
        service; the posts, comments, pages and documents you wrote stay, shown as a
        former member's.
        """
        return privacy.erase_me(data["password"])


@blp.route("/admin/people/<string:person_id>/erase", endpoint="AdminErasure")
class AdminErasure(MethodView):
    @blp.response(200, ErasedSchema)
    @blp.alt_response(403, description="Not a network admin, or your own account")
    @blp.alt_response(404, description="No such person")
    def post(self, person_id):
        """Erase someone's account (network admins)"""
        return privacy.erase_person(person_id)


__all__ = ["blp"]
