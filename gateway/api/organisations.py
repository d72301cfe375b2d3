"""``/api/v1/organisations``: the host company and partner organisations."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..calls import identity
from .schemas import (
    OrganisationCreateSchema,
    OrganisationListSchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
)

blp = Blueprint(
    "organisations",
    __name__,
    url_prefix="/api/v1/organisations",
    description="Organisations: employees see all, guests their own",
)


@blp.route("")
class Organisations(MethodView):
    @blp.response(200, OrganisationListSchema)
    def get(self):
        """Organisations you may see"""
        return {"items": identity.list_organisations()}

    @blp.arguments(OrganisationCreateSchema)
    @blp.response(201, OrganisationSchema)
    def post(self, data):
        """Create a partner organisation (admins)"""
        return identity.create_organisation(data["name"], data["kind"], data.get("country"))


@blp.route("/<string:org_id>")
class Organisation(MethodView):
    @blp.arguments(OrganisationUpdateSchema)
    @blp.response(200, OrganisationSchema)
    def patch(self, changes, org_id):
        """Rename an organisation, change its kind or country (admins)"""
        return identity.update_organisation(org_id, changes)
