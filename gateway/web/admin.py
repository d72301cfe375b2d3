"""Administration of people: the accounts list, a new account, deactivation, roles, guests'
last day, organisations (network admins; the lists also global community managers)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from parvis_contracts.errors import Conflict, ValidationFailed

from ..api.schemas import (
    ROLE_CHOICES,
    AdminCreatePersonSchema,
    AdminPeopleQuerySchema,
    GuestExpirySchema,
    OrganisationCreateSchema,
    RolesSchema,
)
from ..calls import identity, parallel
from .common import (
    field_errors,
    next_url,
    query_args,
    raise_failed,
    require_admin,
    require_people_admin,
    safe_next,
    split_list,
    web,
)


@web.route("/admin")
def admin_home():
    require_people_admin()
    return redirect(url_for("web.admin_people"))


@web.route("/admin/people")
def admin_people():
    require_people_admin()
    args = query_args()
    try:
        query = AdminPeopleQuerySchema().load(args)
    except ValidationError as exc:
        return render_template(
            "admin/people.html", page=None, args=args, orgs=[], errors=field_errors(exc)
        ), 422
    results = parallel(
        page=identity.admin_list_people.pending(query), orgs=identity.list_organisations.pending()
    )
    raise_failed(results, "page", "orgs")
    page = results["page"]
    return render_template(
        "admin/people.html",
        page=page,
        args=args,
        orgs=results["orgs"],
        errors={},
        next_url=next_url("web.admin_people", args, page),
        role_choices=ROLE_CHOICES,
    )


def _person_form_data(form) -> dict:
    raw = {
        "email": (form.get("email") or "").strip(),
        "display_name": (form.get("display_name") or "").strip(),
        "org_id": form.get("org_id") or None,
        "roles": form.getlist("roles") or ["member"],
        "guest_expires_at": form.get("guest_expires_at") or None,
        "password": form.get("password") or None,
        "preferred_language": form.get("preferred_language") or "en",
        "job_title": (form.get("job_title") or "").strip() or None,
        "department": (form.get("department") or "").strip() or None,
        "country": (form.get("country") or "").strip().upper() or None,
    }
    languages = [lang.lower() for lang in split_list(form.get("languages"))]
    if languages:
        raw["languages"] = languages
    return AdminCreatePersonSchema().load(raw)


@web.route("/admin/people/new", methods=["GET", "POST"])
def admin_new_person():
    require_admin()
    orgs = identity.list_organisations()
    if request.method == "GET":
        return render_template(
            "admin/person_new.html",
            orgs=orgs,
            values={"roles": ["member"]},
            errors={},
            role_choices=ROLE_CHOICES,
        )
    try:
        created = identity.create_person(_person_form_data(request.form))
    except (ValidationError, ValidationFailed, Conflict) as exc:
        errors = (
            field_errors(exc)
            if not isinstance(exc, Conflict)
            else {"email": [_("Someone already has this e-mail address.")]}
        )
        values = request.form.to_dict()
        values["roles"] = request.form.getlist("roles")
        flash(_("The account was not created."), "error")
        return render_template(
            "admin/person_new.html", orgs=orgs, values=values, errors=errors, role_choices=ROLE_CHOICES
        ), 422
    flash(_("Account created for %(name)s.", name=created["person"].get("display_name")), "success")
    return render_template("admin/person_created.html", created=created)


def _back_to_admin_list():
    return redirect(safe_next(request.form.get("next"), url_for("web.admin_people")))


@web.route("/admin/people/<string:person_id>/deactivate", methods=["POST"])
def admin_deactivate(person_id):
    require_admin()
    identity.deactivate_person(person_id)
    flash(_("The account is deactivated."), "success")
    return _back_to_admin_list()


@web.route("/admin/people/<string:person_id>/reactivate", methods=["POST"])
def admin_reactivate(person_id):
    require_admin()
    identity.reactivate_person(person_id)
    flash(_("The account is active again."), "success")
    return _back_to_admin_list()


@web.route("/admin/people/<string:person_id>/roles", methods=["POST"])
def admin_roles(person_id):
    require_admin()
    try:
        data = RolesSchema().load({"roles": request.form.getlist("roles")})
        identity.set_roles(person_id, data["roles"])
    except (ValidationError, ValidationFailed):
        flash(_("These roles cannot be given to this person."), "error")
    else:
        flash(_("Roles saved."), "success")
    return _back_to_admin_list()


@web.route("/admin/people/<string:person_id>/guest-expiry", methods=["POST"])
def admin_guest_expiry(person_id):
    require_admin()
    try:
        data = GuestExpirySchema().load({"guest_expires_at": request.form.get("guest_expires_at") or None})
        identity.set_guest_expiry(person_id, data["guest_expires_at"])
    except (ValidationError, ValidationFailed):
        flash(_("This date is not valid."), "error")
    else:
        flash(_("Guest access date saved."), "success")
    return _back_to_admin_list()


@web.route("/admin/organisations", methods=["GET", "POST"])
def admin_organisations():
    if request.method == "GET":
        require_people_admin()
    else:
        require_admin()
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            data = OrganisationCreateSchema().load(
                {
                    "name": (values.get("name") or "").strip(),
                    "kind": values.get("kind") or "",
                    "country": (values.get("country") or "").strip().upper() or None,
                }
            )
            identity.create_organisation(**data)
        except (ValidationError, ValidationFailed) as exc:
            errors, status = field_errors(exc), 422
            flash(_("The organisation was not created."), "error")
        except Conflict:
            errors, status = {"name": [_("An organisation with this name exists.")]}, 422
            flash(_("The organisation was not created."), "error")
        else:
            flash(_("Organisation created."), "success")
            return redirect(url_for("web.admin_organisations"))
    return render_template(
        "admin/organisations.html", orgs=identity.list_organisations(), errors=errors, values=values
    ), status
