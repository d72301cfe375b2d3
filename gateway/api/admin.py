"""``/api/v1/admin/people``: accounts, roles, guests (network admins)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from ..calls import identity
from .schemas import (
    AUDIT_ACTIONS,
    AdminCardPageSchema,
    AdminCardSchema,
    AdminCreatedSchema,
    AdminCreatePersonSchema,
    AdminPeopleQuerySchema,
    AuditQuerySchema,
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


@blp.route("/people")
class AdminPeople(MethodView):
    @blp.arguments(AdminPeopleQuerySchema, location="query")
    @blp.response(200, AdminCardPageSchema)
    def get(self, args):
        """Every account, with e-mail, roles, status, guest expiry"""
        return identity.admin_list_people(args)

    @blp.arguments(AdminCreatePersonSchema)
    @blp.response(201, AdminCreatedSchema)
    def post(self, data):
        """Create an employee (host organisation) or a guest (other organisation)

        Without a password the person is invited: the answer carries the invitation link.
        """
        return identity.create_person(data)


@blp.route("/people/<string:person_id>/deactivate")
class Deactivate(MethodView):
    @blp.response(200, AdminCardSchema)
    def post(self, person_id):
        """Deactivate an account; its sessions end at once"""
        return identity.deactivate_person(person_id)


@blp.route("/people/<string:person_id>/reactivate")
class Reactivate(MethodView):
    @blp.response(200, AdminCardSchema)
    def post(self, person_id):
        """Reactivate an account"""
        return identity.reactivate_person(person_id)


@blp.route("/people/<string:person_id>/roles")
class Roles(MethodView):
    @blp.arguments(RolesSchema)
    @blp.response(200, AdminCardSchema)
    def put(self, data, person_id):
        """Set someone's roles (admin, global_community_manager, member)"""
        return identity.set_roles(person_id, data["roles"])


@blp.route("/people/<string:person_id>/guest-expiry")
class GuestExpiry(MethodView):
    @blp.arguments(GuestExpirySchema)
    @blp.response(200, AdminCardSchema)
    def put(self, data, person_id):
        """Set or clear the date a guest's access ends"""
        return identity.set_guest_expiry(person_id, data["guest_expires_at"])


# ------------------------------------------------------------------ audit log


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


@blp.route("/audit")
class AuditLog(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args):
        """The audit log, newest first: sign-ins, role changes, invitations, deactivations,
        guest expiry, erasures, refused requests (admins and global community managers)"""
        return identity.audit_log(args)
