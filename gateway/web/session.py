"""Signing in and out, the interface's language, accepting an invitation, changing one's
password, resetting a forgotten one (the ``web`` blueprint's account pages)."""

from __future__ import annotations

import contextlib

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from parvis_contracts import limits
from parvis_contracts.errors import Forbidden, NotFound, TooManyRequests, Unauthenticated, ValidationFailed

from .. import auth, i18n
from ..calls import identity
from ..errors import map_exception
from .common import field_errors, safe_next, web


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
            session = identity.sign_in(
                email, password, user_agent=request.user_agent.string or None, ip=request.remote_addr
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


def chosen_password() -> tuple[str, dict]:
    """The new password of a form (``password`` typed twice), and what is wrong with it."""
    password = request.form.get("password") or ""
    if len(password) < limits.PASSWORD_MIN:
        return password, {"password": [_("At least %(count)d characters.", count=limits.PASSWORD_MIN)]}
    if password != request.form.get("confirm_password"):
        return password, {"confirm_password": [_("The two passwords differ.")]}
    return password, {}


@web.route("/invitations/<string:token>", methods=["GET", "POST"])
@auth.public
def invitation(token):
    invite = identity.get_invitation(token)
    errors = {}
    if request.method == "POST":
        password, errors = chosen_password()
        if not errors:
            try:
                session = identity.accept_invitation(token, password)
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
            identity.change_password(current, new)
        except (Unauthenticated, Forbidden, ValidationFailed):
            errors["current_password"] = [_("Your current password is not right.")]
        else:
            flash(_("Your password is changed. Your other sessions are signed out."), "success")
            return redirect(url_for("web.my_profile"))
    return render_template("password.html", errors=errors), 422


# ------------------------------------------------------------------ forgotten password
# The e-mail's link is exactly ``/password-reset/<token>`` (PARVIS_PUBLIC_URL + this path):
# the notifications service builds it from ``identity.password_reset_requested``.


@web.route("/password-reset", methods=["GET", "POST"])
@auth.public
def password_reset_request():
    if request.method == "GET":
        return render_template("password_reset_request.html", email="", sent=False)
    email = (request.form.get("email") or "").strip()
    if not email or len(email) > limits.EMAIL_MAX:
        error = _("Enter your e-mail address.")
        return render_template("password_reset_request.html", email=email, sent=False, error=error), 400
    try:
        identity.request_password_reset(email, ip=request.remote_addr)
    except TooManyRequests as exc:
        error = _("Too many requests. Wait a few minutes and try again.")
        response = make_response(
            render_template("password_reset_request.html", email=email, sent=False, error=error), 429
        )
        response.headers["Retry-After"] = map_exception(exc).headers.get("Retry-After", "60")
        return response
    # the same page whoever the address is
    return render_template("password_reset_request.html", email=email, sent=True)


def _invalid_reset_link():
    return render_template("password_reset_invalid.html"), 404


@web.route("/password-reset/<string:token>", methods=["GET", "POST"])
@auth.public
def password_reset(token):
    try:
        link = identity.check_password_reset(token)
    except (NotFound, ValidationFailed):
        return _invalid_reset_link()
    errors = {}
    if request.method == "POST":
        password, errors = chosen_password()
        if not errors:
            try:
                identity.reset_password(token, password)
            except NotFound:
                return _invalid_reset_link()
            except ValidationFailed as exc:
                errors = field_errors(exc)
            else:
                # every session of the person ended, this browser's too
                g.clear_session_cookie = True
                flash(_("Your password is changed. Sign in with your new password."), "success")
                return redirect(url_for("web.sign_in"))
    status = 422 if errors else 200
    return render_template("password_reset.html", link=link, token=token, errors=errors), status
