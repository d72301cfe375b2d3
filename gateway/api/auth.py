"""``/api/v1/auth``: sign in and out, the current session, invitations, password reset."""

from __future__ import annotations

from flask import after_this_request, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from .. import auth, security
from ..calls import identity
from .schemas import (
    AcceptInvitationSchema,
    InvitationSchema,
    PasswordResetInfoSchema,
    PasswordResetRequestedSchema,
    PasswordResetRequestSchema,
    PasswordResetSchema,
    SessionSchema,
    SignInSchema,
)

blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/api/v1/auth",
    description="Sign in and out, sessions, invitations and password reset",
)

PUBLIC_DOC = {"security": []}


def start_session(session: dict, issue_token: bool) -> dict:
    """Set the session cookie on the response and describe the new session."""
    token = session["session_token"]

    @after_this_request
    def _set_cookie(response):
        auth.set_session_cookie(response, token, session.get("expires_at"))
        return response

    g.session_cookie_set = True
    body = {
        "person": session["person"],
        "expires_at": session.get("expires_at"),
        "csrf_token": security.csrf_token(auth.secret(), token),
    }
    if issue_token:
        body["token"] = token
    return body


def client_ip() -> str | None:
    return request.remote_addr


@blp.route("/sign-in")
@auth.public
class SignIn(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(SignInSchema)
    @blp.response(200, SessionSchema)
    def post(self, data):
        """Sign in with e-mail and password

        Sets the `parvis_session` cookie (HttpOnly, SameSite=Lax). With `issue_token`
        the answer also carries the token for `Authorization: Bearer`.
        Wrong e-mail or password: 401; too many failures: 429 with Retry-After.
        """
        session = identity.sign_in(
            data["email"], data["password"], user_agent=(request.user_agent.string or None), ip=client_ip()
        )
        return start_session(session, data["issue_token"])


@blp.route("/sign-out")
class SignOut(MethodView):
    @blp.response(204)
    def post(self):
        """End the current session (cookie or bearer token)"""
        identity.sign_out(g.session_token)
        g.clear_session_cookie = True


@blp.route("/session")
class CurrentSession(MethodView):
    @blp.response(200, SessionSchema)
    def get(self):
        """The signed-in person and the CSRF token of this session"""
        body = {"person": g.principal, "expires_at": g.session.get("expires_at")}
        if g.auth_via == "cookie":
            body["csrf_token"] = security.csrf_token(auth.secret(), g.session_token)
        return body


@blp.route("/invitations/<string:token>")
@auth.public
class Invitation(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.response(200, InvitationSchema)
    def get(self, token):
        """Who an invitation is for (404 if unknown, used or expired)"""
        return identity.get_invitation(token)

    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(AcceptInvitationSchema)
    @blp.response(200, SessionSchema)
    def post(self, data, token):
        """Accept an invitation: choose a password, get signed in"""
        session = identity.accept_invitation(token, data["password"])
        return start_session(session, data["issue_token"])


@blp.route("/password-reset")
@auth.public
class PasswordResetRequest(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(PasswordResetRequestSchema)
    @blp.response(202, PasswordResetRequestedSchema)
    def post(self, data):
        """Ask for a password reset link by e-mail

        Always the same answer, whether the address is known or not; a person who can sign
        in gets an e-mail with a link (`/password-reset/{token}`) that works once, for 30
        minutes. At most 3 links per address in 15 minutes (more requests answer the same
        and send nothing); more than 20 requests from one address in 15 minutes: 429 with
        Retry-After.
        """
        return identity.request_password_reset(data["email"], ip=client_ip())


@blp.route("/password-reset/<string:token>")
@auth.public
class PasswordReset(MethodView):
    @blp.doc(**PUBLIC_DOC)
    @blp.response(200, PasswordResetInfoSchema)
    def get(self, token):
        """Whose account a reset link is for (404 if unknown, used or expired)"""
        return identity.check_password_reset(token)

    @blp.doc(**PUBLIC_DOC)
    @blp.arguments(PasswordResetSchema)
    @blp.response(204)
    def post(self, data, token):
        """Choose a new password with a reset link

        The link works once; every session of the person ends (sign in again with the new
        password). Unknown, used or expired link: 404, nothing changed; a password too short
        or too long: 422.
        """
        identity.reset_password(token, data["password"])
