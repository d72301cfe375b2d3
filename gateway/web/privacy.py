"""Privacy in the web UI: download my data, delete my account, an admin erases an account.

``/me/export`` streams the same archive as ``GET /api/v1/me/export``; ``/me/erase``
asks for the password and an explicit confirmation (no script needed), then signs
the person out; ``/admin/people/<id>/erase`` shows a confirmation page to a network
admin, then erases the account.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from parvis_contracts.errors import Conflict, Forbidden, TooManyRequests, ValidationFailed

from ..calls import identity
from ..files import privacy
from .common import require_admin

privacy_web = Blueprint("privacy_web", __name__)

CONFIRM_FIELD = "confirm"


@privacy_web.route("/me/export")
def export_my_data():
    return privacy.export_response(g.principal["id"])


@privacy_web.route("/me/erase", methods=["GET", "POST"])
def erase_my_account():
    if request.method == "GET":
        return render_template("privacy/erase.html", errors={})
    errors = {}
    password = request.form.get("password") or ""
    if request.form.get(CONFIRM_FIELD) != "yes":
        errors[CONFIRM_FIELD] = [_("Tick the box to confirm that you want your account deleted.")]
    if not password:
        errors["password"] = [_("Enter your password.")]
    if not errors:
        try:
            privacy.erase_me(password)
        except ValidationFailed:
            errors["password"] = [_("Your password is not right.")]
        except TooManyRequests:
            errors["password"] = [_("Too many failed attempts. Wait a few minutes and try again.")]
        except Conflict:
            errors["_schema"] = [
                _("You are the network's only admin: appoint another admin before you delete your account.")
            ]
        else:
            flash(_("Your account is deleted. Thank you for having been part of the network."), "success")
            return redirect(url_for("web.sign_in"))
    return render_template("privacy/erase.html", errors=errors), 422


@privacy_web.route("/admin/people/<string:person_id>/erase", methods=["GET", "POST"])
def admin_erase(person_id):
    require_admin()
    person = identity.get_person(person_id)
    errors = {}
    if request.method == "POST":
        if request.form.get(CONFIRM_FIELD) != "yes":
            errors[CONFIRM_FIELD] = [_("Tick the box to confirm the erasure.")]
        else:
            try:
                privacy.erase_person(person_id)
            except Conflict:
                errors["_schema"] = [
                    _("This is the network's only active admin: appoint another admin first.")
                ]
            except Forbidden:
                errors["_schema"] = [
                    _("Delete your own account from your profile settings, with your password.")
                ]
            else:
                flash(_("The account is erased."), "success")
                return redirect(url_for("web.admin_people"))
    status = 422 if errors else 200
    return render_template("privacy/admin_erase.html", person=person, errors=errors), status
