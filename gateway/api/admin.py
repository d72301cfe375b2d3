"""``/api/v1/admin/people``: accounts, roles, guests (network admins)."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from .. import rpc
from .schemas import (
    AdminCardPageSchema,
    AdminCardSchema,
    AdminCreatedSchema,
    AdminCreatePersonSchema,
    AdminPeopleQuerySchema,
    GuestExpirySchema,
    RolesSchema,
    Timestamp,
)

blp = Blueprint(
    "admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Administration of people (admins; listing and the audit log also global community managers)",
)


def invitation_url(token: str | None) -> str | None:
    if not token:
        return None
    path = url_for("web.invitation", token=token)
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + path


def admin_list_kwargs(args: dict) -> dict:
    kwargs = {"limit": args.get("limit", 50)}
    if args.get("q"):
        kwargs["query"] = args["q"]
    for name in ("org_id", "guest", "status", "cursor"):
        if args.get(name) is not None and args.get(name) != "":
            kwargs[name] = args[name]
    return kwargs


def create_person(data: dict) -> dict:
    kwargs = {key: value for key, value in data.items() if value is not None}
    result = rpc.call("identity", "admin_create_person", **kwargs)
    token = result.get("invitation_token")
    return {"person": result["person"], "invitation_token": token, "invitation_url": invitation_url(token)}


@blp.route("/people")
class AdminPeople(MethodView):
    @blp.arguments(AdminPeopleQuerySchema, location="query")
    @blp.response(200, AdminCardPageSchema)
    def get(self, args):
        """Every account, with e-mail, roles, status, guest expiry"""
        return rpc.call("identity", "admin_list_people", **admin_list_kwargs(args))

    @blp.arguments(AdminCreatePersonSchema)
    @blp.response(201, AdminCreatedSchema)
    def post(self, data):
        """Create an employee (host organisation) or a guest (other organisation)

        Without a password the person is invited: the answer carries the invitation link.
        """
        return create_person(data)


@blp.route("/people/<string:person_id>/deactivate")
class Deactivate(MethodView):
    @blp.response(200, AdminCardSchema)
    def post(self, person_id):
        """Deactivate an account; its sessions end at once"""
        return rpc.call("identity", "deactivate_person", person_id=person_id)


@blp.route("/people/<string:person_id>/reactivate")
class Reactivate(MethodView):
    @blp.response(200, AdminCardSchema)
    def post(self, person_id):
        """Reactivate an account"""
        return rpc.call("identity", "reactivate_person", person_id=person_id)


@blp.route("/people/<string:person_id>/roles")
class Roles(MethodView):
    @blp.arguments(RolesSchema)
    @blp.response(200, AdminCardSchema)
    def put(self, data, person_id):
        """Set someone's roles (admin, global_community_manager, member)"""
        return rpc.call("identity", "set_roles", person_id=person_id, roles=data["roles"])


@blp.route("/people/<string:person_id>/guest-expiry")
class GuestExpiry(MethodView):
    @blp.arguments(GuestExpirySchema)
    @blp.response(200, AdminCardSchema)
    def put(self, data, person_id):
        """Set or clear the date a guest's access ends"""
        return rpc.call(
            "identity", "set_guest_expiry", person_id=person_id, guest_expires_at=data["guest_expires_at"]
        )


# ------------------------------------------------------------------ audit log

#: the actions identity records (services/identity/audit.py ACTIONS; a unit test keeps both equal)
AUDIT_ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "password_changed",
    "invitation_accepted",
    "person_created",
    "guest_invited",
    "guest_added_to_community",
    "roles_changed",
    "person_deactivated",
    "person_reactivated",
    "guest_expiry_changed",
    "guest_expired",
    "person_erased",
    "access_refused",
)


class AuditQuerySchema(ma.Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "`next_cursor` of the previous page"},
    )
    action = fields.String(
        validate=validate.OneOf(AUDIT_ACTIONS), metadata={"description": "Only this kind of event"}
    )
    subject = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Only events by or about this person (id)"},
    )


class AuditEntrySchema(ma.Schema):
    id = fields.Integer(required=True)
    at = Timestamp(required=True)
    action = fields.String(required=True, metadata={"enum": list(AUDIT_ACTIONS)})
    actor_id = fields.String(
        allow_none=True, metadata={"description": "Who acted (none: the platform, or a visitor)"}
    )
    actor_name = fields.String(allow_none=True)
    subject_id = fields.String(allow_none=True, metadata={"description": "Whom it concerns"})
    subject_name = fields.String(allow_none=True)
    count = fields.Integer(
        metadata={"description": "How many equal refusals the row counts (1 for every other event)"}
    )
    details = fields.Dict(
        metadata={
            "description": "What happened (IP, roles before and after, route refused...); never a secret"
        }
    )


class AuditPageSchema(ma.Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page"}
    )


def audit_kwargs(args: dict) -> dict:
    kwargs = {"limit": args.get("limit", 50)}
    for name in ("cursor", "action", "subject"):
        if args.get(name):
            kwargs[name] = args[name]
    return kwargs


@blp.route("/audit")
class AuditLog(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args):
        """The audit log, newest first: sign-ins, role changes, invitations, deactivations,
        guest expiry, erasures, refused requests (admins and global community managers)"""
        return rpc.call("identity", "audit_log", **audit_kwargs(args))
