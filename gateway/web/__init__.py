"""The web UI: server-rendered, translated pages (no build step, no inline script)."""

from __future__ import annotations

import contextlib

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from nameko.exceptions import RpcTimeout, UnknownService

from parvis_contracts import limits
from parvis_contracts.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)

from .. import auth, i18n, rpc
from ..api import photos
from ..api.admin import create_person, invitation_url
from ..api.organisations import as_items
from ..api.people import search_kwargs
from ..api.schemas import (
    ROLE_CHOICES,
    VISIBILITY_CHOICES,
    AdminCreatePersonSchema,
    AdminPeopleQuerySchema,
    GuestExpirySchema,
    MeUpdateSchema,
    OrganisationCreateSchema,
    PeopleQuerySchema,
    RolesSchema,
)
from ..calls import identity
from ..errors import map_exception
from .forms import new_form_key

web = Blueprint("web", __name__)

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


# ------------------------------------------------------------------ helpers


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: ``/people`` yes, ``//evil.example`` or ``http://...`` no."""
    if not target or not isinstance(target, str):
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def split_list(text: str | None) -> list[str]:
    """``"python, SQL ,,go"`` -> ``["python", "SQL", "go"]`` (order kept, duplicates dropped)."""
    seen, items = set(), []
    for part in (text or "").replace(";", ",").split(","):
        value = part.strip()
        if value and value.lower() not in seen:
            seen.add(value.lower())
            items.append(value)
    return items


def field_errors(exc) -> dict:
    """Field -> list of messages, from a marshmallow or a contracts validation error."""
    messages = exc.messages if isinstance(exc, ValidationError) else exc.details
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    errors = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                errors[f"{key}_{sub}"] = sub_value if isinstance(sub_value, list) else [sub_value]
        else:
            errors[key] = value if isinstance(value, list) else [str(value)]
    return errors


def require_admin() -> None:
    if not auth.is_admin():
        raise Forbidden("Administrators only.")


def require_people_admin() -> None:
    if not auth.can_list_people():
        raise Forbidden("Administrators and global community managers only.")


def clean(args) -> dict:
    """Query arguments without the empty ones."""
    return {key: value for key, value in args.items() if value not in (None, "")}


def organisations() -> list:
    return as_items(rpc.call("identity", "list_organisations"))


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
    if "languages" in form:
        raw["languages"] = [lang.lower() for lang in split_list(form.get("languages"))]
    if form.get("preferred_language"):
        raw["preferred_language"] = form["preferred_language"]
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
    values["languages"] = ", ".join(me.get("languages") or [])
    values["preferred_language"] = me.get("preferred_language") or ""
    values["auto_translate"] = bool(me.get("auto_translate"))
    visibility = me.get("visibility") or {}
    for name in PERSONAL_FIELDS:
        values[f"visibility_{name}"] = visibility.get(name) or "employees"
    return values


# ------------------------------------------------------------------ pages


@web.route("/")
def home():
    from .communities import home_timeline

    try:
        timeline = home_timeline()
    except (NotFound, Forbidden, Unavailable, RpcTimeout, UnknownService):
        timeline = None  # the feed is not answering: the rest of the page still works
    return render_template("home.html", home=timeline)


@web.route("/sign-in", methods=["GET", "POST"])
@auth.public
def sign_in():
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.principal is not None:
            return redirect(target)
        return render_template("sign_in.html", next=target, email="")
    email = (request.form.get("email") or "").strip()
    password = request.form.get("password") or ""
    status = 200
    if not email or not password:
        error, status = _("Enter your e-mail address and your password."), 400
    else:
        try:
            session = rpc.call_anonymous(
                "identity",
                "sign_in",
                email=email,
                password=password,
                user_agent=request.user_agent.string or None,
                ip=request.remote_addr,
            )
        except Unauthenticated:
            error, status = _("Wrong e-mail address or password."), 401
        except TooManyRequests as exc:
            error, status = _("Too many failed attempts. Wait a few minutes and try again."), 429
            retry_after = map_exception(exc).headers.get("Retry-After", "60")
        except ValidationFailed:
            error, status = _("Enter your e-mail address and your password."), 400
        else:
            response = redirect(target)
            auth.set_session_cookie(response, session["session_token"], session.get("expires_at"))
            g.session_cookie_set = True
            flash(_("Welcome, %(name)s!", name=session["person"].get("display_name") or email), "success")
            return response
    response = make_response(render_template("sign_in.html", next=target, email=email, error=error), status)
    if status == 429:
        response.headers["Retry-After"] = retry_after
    return response


@web.route("/sign-out", methods=["POST"])
def sign_out():
    with contextlib.suppress(Unauthenticated):
        identity.sign_out(g.session_token)
    g.clear_session_cookie = True
    flash(_("You are signed out."), "success")
    return redirect(url_for("web.sign_in"))


@web.route("/language", methods=["POST"])
@auth.public
def language():
    chosen = i18n.normalise_language(request.form.get("lang")) or i18n.DEFAULT_LANGUAGE
    response = redirect(safe_next(request.form.get("next")))
    response.set_cookie(
        auth.LANG_COOKIE,
        chosen,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=auth.cookie_secure(),
        path="/",
    )
    return response


@web.route("/me")
def my_profile():
    me = rpc.call("identity", "get_me")
    return render_template("profile.html", person=me, is_me=True)


@web.route("/me/edit", methods=["GET", "POST"])
def edit_profile():
    if request.method == "GET":
        me = rpc.call("identity", "get_me")
        return render_template(
            "profile_edit.html", values=me_as_form(me), errors={}, me=me, photo_limit_mb=_photo_limit_mb()
        )
    try:
        changes = profile_form_changes(request.form)
        rpc.call("identity", "update_me", changes=changes)
    except (ValidationError, ValidationFailed) as exc:
        values = request.form.to_dict()
        flash(_("Some fields need your attention."), "error")
        return render_template(
            "profile_edit.html",
            values=values,
            errors=field_errors(exc),
            me=None,
            photo_limit_mb=_photo_limit_mb(),
        ), 422
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("web.my_profile"))


def _photo_limit_mb() -> str:
    return f"{photos.max_bytes() / (1024 * 1024):g}"


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


@web.route("/me/password", methods=["GET", "POST"])
def change_password():
    if request.method == "GET":
        return render_template("password.html", errors={})
    current = request.form.get("current_password") or ""
    new = request.form.get("new_password") or ""
    errors = {}
    if len(new) < limits.PASSWORD_MIN:
        errors["new_password"] = [_("At least %(count)d characters.", count=limits.PASSWORD_MIN)]
    elif new != request.form.get("confirm_password"):
        errors["confirm_password"] = [_("The two passwords differ.")]
    if not errors:
        try:
            rpc.call("identity", "change_password", current_password=current, new_password=new)
        except (Unauthenticated, Forbidden, ValidationFailed):
            errors["current_password"] = [_("Your current password is not right.")]
        else:
            flash(_("Your password is changed. Your other sessions are signed out."), "success")
            return redirect(url_for("web.my_profile"))
    return render_template("password.html", errors=errors), 422


@web.route("/people")
def people():
    """The directory: the form's fields are the API's query parameters (``q`` for the name,
    ``skill``, ``department``, ``country``, ``language``, ``limit``, ``cursor``;
    ``PeopleQuerySchema``). An unknown or invalid one, refused here or by the identity
    service, answers 422 with the form and its errors and no results: never a page of
    everyone that looks filtered."""
    args = clean(request.args)
    args.pop("lang", None)
    try:
        query = PeopleQuerySchema().load(args)
        page = rpc.call("identity", "search_people", **search_kwargs(query))
    except (ValidationError, ValidationFailed) as exc:
        return render_template("people.html", page=None, args=args, errors=field_errors(exc)), 422
    next_url = None
    if page.get("next_cursor"):
        next_args = {k: v for k, v in args.items() if k != "cursor"}
        next_url = url_for("web.people", **next_args, cursor=page["next_cursor"])
    return render_template("people.html", page=page, args=args, errors={}, next_url=next_url)


@web.route("/people/<string:person_id>")
def person(person_id):
    profile = rpc.call("identity", "get_person", person_id=person_id)
    return render_template(
        "profile.html", person=profile, is_me=profile.get("id") == (g.principal or {}).get("id")
    )


@web.route("/invitations/<string:token>", methods=["GET", "POST"])
@auth.public
def invitation(token):
    invite = rpc.call_anonymous("identity", "get_invitation", token=token)
    errors = {}
    if request.method == "POST":
        password = request.form.get("password") or ""
        if len(password) < limits.PASSWORD_MIN:
            errors["password"] = [_("At least %(count)d characters.", count=limits.PASSWORD_MIN)]
        elif password != request.form.get("confirm_password"):
            errors["confirm_password"] = [_("The two passwords differ.")]
        else:
            try:
                session = rpc.call_anonymous("identity", "accept_invitation", token=token, password=password)
            except ValidationFailed as exc:
                errors = field_errors(exc)
            else:
                response = redirect(url_for("web.home"))
                auth.set_session_cookie(response, session["session_token"], session.get("expires_at"))
                g.session_cookie_set = True
                flash(_("Welcome to Parvis! Your password is set."), "success")
                return response
    status = 422 if errors else 200
    return render_template("invitation.html", invitation=invite, token=token, errors=errors), status


# ------------------------------------------------------------------ admin


@web.route("/admin")
def admin_home():
    require_people_admin()
    return redirect(url_for("web.admin_people"))


@web.route("/admin/people")
def admin_people():
    require_people_admin()
    args = clean(request.args)
    args.pop("lang", None)
    try:
        query = AdminPeopleQuerySchema().load(args)
    except ValidationError as exc:
        return render_template(
            "admin/people.html", page=None, args=args, orgs=[], errors=field_errors(exc)
        ), 422
    kwargs = {"limit": query["limit"]}
    if query.get("q"):
        kwargs["query"] = query["q"]
    for name in ("org_id", "guest", "status", "cursor"):
        if name in query:
            kwargs[name] = query[name]
    results = rpc.call_parallel(
        {
            "page": ("identity", "admin_list_people", kwargs),
            "orgs": ("identity", "list_organisations", {}),
        }
    )
    for value in results.values():
        if isinstance(value, BaseException):
            raise value
    page = results["page"]
    next_url = None
    if page.get("next_cursor"):
        next_args = {k: v for k, v in args.items() if k != "cursor"}
        next_url = url_for("web.admin_people", **next_args, cursor=page["next_cursor"])
    return render_template(
        "admin/people.html",
        page=page,
        args=args,
        orgs=as_items(results["orgs"]),
        errors={},
        next_url=next_url,
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
    orgs = organisations()
    if request.method == "GET":
        return render_template(
            "admin/person_new.html",
            orgs=orgs,
            values={"roles": ["member"]},
            errors={},
            role_choices=ROLE_CHOICES,
        )
    try:
        created = create_person(_person_form_data(request.form))
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
    rpc.call("identity", "deactivate_person", person_id=person_id)
    flash(_("The account is deactivated."), "success")
    return _back_to_admin_list()


@web.route("/admin/people/<string:person_id>/reactivate", methods=["POST"])
def admin_reactivate(person_id):
    require_admin()
    rpc.call("identity", "reactivate_person", person_id=person_id)
    flash(_("The account is active again."), "success")
    return _back_to_admin_list()


@web.route("/admin/people/<string:person_id>/roles", methods=["POST"])
def admin_roles(person_id):
    require_admin()
    try:
        data = RolesSchema().load({"roles": request.form.getlist("roles")})
        rpc.call("identity", "set_roles", person_id=person_id, roles=data["roles"])
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
        rpc.call(
            "identity", "set_guest_expiry", person_id=person_id, guest_expires_at=data["guest_expires_at"]
        )
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
            rpc.call("identity", "create_organisation", **data)
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
        "admin/organisations.html", orgs=organisations(), errors=errors, values=values
    ), status


# ------------------------------------------------------------------ wiring


def _template_globals():
    principal = g.get("principal")
    lang = g.get("lang") or i18n.DEFAULT_LANGUAGE
    return {
        "current_person": principal,
        "is_admin": auth.is_admin() if principal else False,
        "can_admin_people": auth.can_list_people() if principal else False,
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "language_names": i18n.LANGUAGE_NAMES,
        "visibility_choices": VISIBILITY_CHOICES,
        "invitation_url": invitation_url,
        "password_min": limits.PASSWORD_MIN,
    }


def init_web(app) -> None:
    from .communities import community_web
    from .wall import wall_web

    app.register_blueprint(web)
    app.register_blueprint(community_web)
    app.register_blueprint(wall_web)
    from .documents import documents_web

    app.register_blueprint(documents_web)
    from .translation import init_translation_web

    init_translation_web(app)
    from .privacy import privacy_web

    app.register_blueprint(privacy_web)
    from .audit import audit_web

    app.register_blueprint(audit_web)
    from ..extensions import init_web_extensions

    init_web_extensions(app)  # installed plug-ins' pages, after the core
    app.jinja_env.globals["csrf_token"] = auth.csrf_token
    app.jinja_env.globals["new_form_key"] = new_form_key
    app.context_processor(_template_globals)


__all__ = ["web", "init_web"]
