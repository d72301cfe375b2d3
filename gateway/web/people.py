"""People: one's own profile (editing it, its photo), the directory, someone's profile."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from parvis_contracts.errors import PayloadTooLarge, ValidationFailed
from parvis_contracts.schemas import TIME_ZONES

from ..api.schemas import MeUpdateSchema, PeopleQuerySchema
from ..calls import identity
from ..files import photos
from .common import field_errors, languages_from_form, next_url, query_args, split_list, web
from .wall import person_activity

PROFILE_TEXT_FIELDS = (
    "display_name",
    "job_title",
    "department",
    "country",
    "about",
    "education",
    "phone",
    "birth_date",
)
NULLABLE_FIELDS = ("job_title", "department", "country", "about", "education", "phone", "birth_date")
PERSONAL_FIELDS = ("birth_date", "education", "phone")
#: the choices of the profile's time zone (IANA names; none chosen: UTC)
TIME_ZONE_CHOICES = tuple(sorted(TIME_ZONES))


# ------------------------------------------------------------------ one's own profile


def profile_form_changes(form) -> dict:
    raw = {}
    for name in PROFILE_TEXT_FIELDS:
        if name in form:
            value = form.get(name, "").strip()
            if name == "country":
                value = value.upper()
            raw[name] = value if value or name not in NULLABLE_FIELDS else None
    if "skills" in form:
        raw["skills"] = split_list(form.get("skills"))
    if "languages" in form or "languages_shown" in form:  # a list: nothing chosen clears it
        raw["languages"] = languages_from_form(form)
    if form.get("preferred_language"):
        raw["preferred_language"] = form["preferred_language"]
    if "time_zone" in form:
        raw["time_zone"] = form.get("time_zone", "").strip() or None
    if "auto_translate_shown" in form:  # an unticked box sends nothing: the marker tells
        raw["auto_translate"] = form.get("auto_translate") in ("on", "1", "true")
    visibility = {
        name: form.get(f"visibility_{name}") for name in PERSONAL_FIELDS if form.get(f"visibility_{name}")
    }
    if visibility:
        raw["visibility"] = visibility
    return MeUpdateSchema().load(raw)


def me_as_form(me: dict) -> dict:
    personal = me.get("personal") or {}
    values = {name: me.get(name) or "" for name in PROFILE_TEXT_FIELDS}
    for name in PERSONAL_FIELDS:
        values[name] = personal.get(name) or me.get(name) or ""
    values["skills"] = ", ".join(me.get("skills") or [])
    values["languages"] = list(me.get("languages") or [])
    values["preferred_language"] = me.get("preferred_language") or ""
    values["auto_translate"] = bool(me.get("auto_translate"))
    values["time_zone"] = me.get("time_zone") or ""
    visibility = me.get("visibility") or {}
    for name in PERSONAL_FIELDS:
        values[f"visibility_{name}"] = visibility.get(name) or "employees"
    return values


def _photo_limit_mb() -> str:
    return f"{photos.max_bytes() / (1024 * 1024):g}"


@web.route("/me")
def my_profile():
    person = identity.get_me()
    return render_template("profile.html", person=person, is_me=True, **person_activity(person["id"]))


@web.route("/me/edit", methods=["GET", "POST"])
def edit_profile():
    if request.method == "GET":
        me = identity.get_me()
        return render_template(
            "profile_edit.html",
            values=me_as_form(me),
            errors={},
            me=me,
            photo_limit_mb=_photo_limit_mb(),
            time_zones=TIME_ZONE_CHOICES,
        )
    try:
        identity.update_me(profile_form_changes(request.form))
    except (ValidationError, ValidationFailed) as exc:
        values = {**request.form.to_dict(), "languages": languages_from_form(request.form)}
        flash(_("Some fields need your attention."), "error")
        return render_template(
            "profile_edit.html",
            values=values,
            errors=field_errors(exc),
            me=None,
            photo_limit_mb=_photo_limit_mb(),
            time_zones=TIME_ZONE_CHOICES,
        ), 422
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("web.my_profile"))


@web.route("/me/photo", methods=["POST"])
def upload_photo():
    try:
        photos.store_photo()
    except PayloadTooLarge:
        flash(_("This image is too large (at most %(size)s MB).", size=_photo_limit_mb()), "error")
    except ValidationFailed:
        flash(_("Choose a PNG, JPEG or WebP image."), "error")
    else:
        flash(_("Your photo is saved."), "success")
    return redirect(url_for("web.edit_profile"))


@web.route("/me/photo/delete", methods=["POST"])
def remove_photo():
    photos.clear_photo()
    flash(_("Your photo is removed."), "success")
    return redirect(url_for("web.edit_profile"))


# ------------------------------------------------------------------ the directory


@web.route("/people")
def people():
    """The directory: the form's fields are the API's query parameters (``q`` for the name,
    ``skill``, ``department``, ``country``, ``language``, ``limit``, ``cursor``;
    ``PeopleQuerySchema``). An unknown or invalid one, refused here or by the identity
    service, answers 422 with the form and its errors and no results: never a page of
    everyone that looks filtered."""
    args = query_args()
    try:
        page = identity.search_people(PeopleQuerySchema().load(args))
    except (ValidationError, ValidationFailed) as exc:
        return render_template("people.html", page=None, args=args, errors=field_errors(exc)), 422
    return render_template(
        "people.html", page=page, args=args, errors={}, next_url=next_url("web.people", args, page)
    )


@web.route("/people/<string:person_id>")
def person(person_id):
    profile = identity.get_person(person_id)
    return render_template(
        "profile.html",
        person=profile,
        is_me=profile.get("id") == (g.principal or {}).get("id"),
        **person_activity(profile["id"]),
    )
