"""``/admin/audit``: the audit log in the web UI (admins and global community managers)."""

from __future__ import annotations

from flask import Blueprint, render_template
from marshmallow import ValidationError

from ..api.schemas import AUDIT_ACTIONS, AuditQuerySchema
from ..calls import identity
from .common import field_errors, next_url, query_args, require_people_admin

audit_web = Blueprint("audit_web", __name__)


@audit_web.route("/admin/audit")
def audit_log():
    require_people_admin()
    args = query_args()
    try:
        query = AuditQuerySchema().load(args)
    except ValidationError as exc:
        return render_template(
            "admin_audit.html",
            page=None,
            args=args,
            actions=AUDIT_ACTIONS,
            errors=field_errors(exc),
            next_url=None,
        ), 422
    page = identity.audit_log(query)
    return render_template(
        "admin_audit.html",
        page=page,
        args=args,
        actions=AUDIT_ACTIONS,
        errors={},
        next_url=next_url("audit_web.audit_log", args, page),
    )
