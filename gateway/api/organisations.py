"""``/api/v1/organisations``: the host company and partner organisations."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from .. import rpc
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


def as_items(result) -> list:
    """``list_organisations`` as a list, whether it answers a list or ``{items: [...]}``."""
    if isinstance(result, dict):
        return list(result.get("items") or [])
    return list(result or [])


@blp.route("")
class Organisations(MethodView):
    @blp.response(200, OrganisationListSchema)
    def get(self):
        """Organisations you may see"""
        return {"items": as_items(rpc.call("identity", "list_organisations"))}

    @blp.arguments(OrganisationCreateSchema)
    @blp.response(201, OrganisationSchema)
    def post(self, data):
        """Create a partner organisation (admins)"""
        return rpc.call(
            "identity",
            "create_organisation",
            name=data["name"],
            kind=data["kind"],
            country=data.get("country"),
        )


@blp.route("/<string:org_id>")
class Organisation(MethodView):
    @blp.arguments(OrganisationUpdateSchema)
    @blp.response(200, OrganisationSchema)
    def patch(self, changes, org_id):
        """Rename an organisation, change its kind or country (admins)"""
        return rpc.call("identity", "update_organisation", org_id=org_id, changes=changes)
