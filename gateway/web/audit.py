"""``/admin/audit``: the audit log in the web UI (admins and global community managers)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from marshmallow import ValidationError

from .. import rpc
from ..api.admin import AUDIT_ACTIONS, AuditQuerySchema, audit_kwargs

audit_web = Blueprint("audit_web", __name__)


@audit_web.route("/admin/audit")
def audit_log():
    from . import clean, field_errors, require_people_admin

    require_people_admin()
    args = clean(request.args)
    args.pop("lang", None)
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
    page = rpc.call("identity", "audit_log", **audit_kwargs(query))
    next_url = None
    if page.get("next_cursor"):
        next_args = {k: v for k, v in args.items() if k != "cursor"}
        next_url = url_for("audit_web.audit_log", **next_args, cursor=page["next_cursor"])
    return render_template(
        "admin_audit.html", page=page, args=args, actions=AUDIT_ACTIONS, errors={}, next_url=next_url
    )
