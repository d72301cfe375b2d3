"""Who is calling: session cookie or bearer token, resolved by identity.

``authenticate`` runs before every request: it resolves the session
(:func:`gateway.calls.identity.resolve_session`: remembered while identity's events say it
holds, else ``identity.resolve_session`` with a signed anonymous context), signs the
:class:`~parvis_contracts.context.Caller` used for this request's RPCs
(``g.caller_token``), refuses non-public endpoints to visitors, and enforces
CSRF and the origin check on cookie-authenticated writes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, request

from parvis_contracts import settings
from parvis_contracts.context import KIND_PERSON, Caller, sign
from parvis_contracts.errors import Forbidden, Unauthenticated

from . import security
from .calls import identity

SESSION_COOKIE = "parvis_session"
PRESESSION_COOKIE = "parvis_csrf"
LANG_COOKIE = "parvis_lang"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

#: Endpoints that never need a person: static files, health, metrics.
_INFRASTRUCTURE = {"static", "ops.healthz", "ops.livez", "ops.readyz", "ops.metrics_endpoint"}


def public(view):
    """Mark a view function or MethodView class as open to visitors."""
    view.parvis_public = True
    return view


def is_public(endpoint: str | None) -> bool:
    if endpoint is None:
        return True
    if endpoint in _INFRASTRUCTURE or endpoint.startswith("api-docs."):
        return True
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return True
    if getattr(view, "parvis_public", False):
        return True
    return bool(getattr(getattr(view, "view_class", None), "parvis_public", False))


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def secret() -> bytes:
    return current_app.config["PARVIS_SECRET"]


def parse_expiry(value) -> datetime | None:
    """A session's ``expires_at`` (ISO 8601 string or epoch seconds) as an aware datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def cookie_secure() -> bool:
    public_url = current_app.config.get("PUBLIC_URL") or ""
    return request.is_secure or settings.value("PARVIS_COOKIE_SECURE") or public_url.startswith("https://")


def set_session_cookie(response, session_token: str, expires_at) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        expires=parse_expiry(expires_at),
        httponly=True,
        samesite="Lax",
        secure=cookie_secure(),
        path="/",
    )


def clear_session_cookie(response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=cookie_secure())


def caller_for(resolved: dict, lang: str | None) -> Caller:
    person = resolved["person"]
    return Caller(
        kind=KIND_PERSON,
        user_id=person["id"],
        org_id=person.get("org_id"),
        roles=frozenset(person.get("roles") or ()),
        guest=bool(person.get("guest")),
        session_id=resolved.get("session_id"),
        lang=lang,
    )


def csrf_token() -> str:
    """The CSRF token forms and scripts of this request must send back."""
    if g.get("auth_via") == "cookie" and g.get("session_token"):
        return security.csrf_token(secret(), g.session_token)
    nonce = request.cookies.get(PRESESSION_COOKIE) or g.get("new_presession_nonce")
    if not nonce:
        nonce = g.new_presession_nonce = security.new_nonce()
    return security.presession_csrf_token(secret(), nonce)


def _presented_csrf() -> str | None:
    value = request.headers.get(CSRF_HEADER)
    if value:
        return value
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.get(CSRF_FIELD)
    return None


def _own_url() -> str:
    return request.host_url


def _check_origin() -> None:
    origin = request.headers.get("Origin")
    referer = request.headers.get("Referer")
    if not security.request_origin_allowed(origin, referer, _own_url(), current_app.config.get("PUBLIC_URL")):
        raise Forbidden("Cross-site request refused.", {"reason": "origin"})


def _check_csrf_token(expected: str | None) -> None:
    if not security.tokens_match(expected, _presented_csrf()):
        raise Forbidden(
            "The CSRF token is missing or wrong. Reload the page and try again.", {"reason": "csrf"}
        )


def authenticate() -> None:
    """``before_request``: resolve the caller, guard private endpoints and writes."""
    g.principal = None
    g.session_token = None
    g.auth_via = None
    g.caller_token = None
    g.clear_session_cookie = False
    routing_failed = request.routing_exception is not None
    if request.endpoint in _INFRASTRUCTURE or (routing_failed and is_api_request()):
        return

    token = security.bearer_token(request.headers.get("Authorization"))
    via = "bearer" if token else None
    if token is None and request.cookies.get(SESSION_COOKIE):
        token, via = request.cookies[SESSION_COOKIE], "cookie"

    if token:
        try:
            resolved = identity.resolve_session(token)
        except Unauthenticated:
            if via == "cookie":
                g.clear_session_cookie = True
            elif not is_public(request.endpoint):
                raise
        else:
            g.principal = resolved["person"]
            g.session = resolved
            g.session_token = token
            g.auth_via = via

    # the locale may depend on the person: choose it once the person is known
    from flask_babel import get_locale, refresh

    refresh()
    g.lang = str(get_locale() or "en")
    if g.principal is not None:
        g.caller_token = sign(caller_for(g.session, g.lang))

    public_endpoint = is_public(request.endpoint)
    if g.principal is None and not public_endpoint:
        raise Unauthenticated("Sign in first.")

    if routing_failed:
        return  # 404/405 follow; the page still knows who is signed in
    if request.method in security.UNSAFE_METHODS and g.auth_via != "bearer":
        _check_origin()
        if g.auth_via == "cookie":
            if not (public_endpoint and is_api_request()):
                _check_csrf_token(security.csrf_token(secret(), g.session_token))
        elif not is_api_request():
            nonce = request.cookies.get(PRESESSION_COOKIE)
            expected = security.presession_csrf_token(secret(), nonce) if nonce else None
            _check_csrf_token(expected)


def _retire_replaced_session() -> None:
    """A sign-in by a browser that already held a live session: end the old session.

    The new session always has a new token (the cookie a browser had before signing in is
    never promoted); the session it replaces would otherwise live on, unseen, until its
    idle timeout.
    """
    if g.get("auth_via") != "cookie" or not g.get("session_token"):
        return
    try:
        identity.sign_out(g.session_token)
    except Exception as exc:  # the old session still dies at its idle timeout
        current_app.logger.warning("could not end the replaced session: %s", type(exc).__name__)


def finish(response):
    """``after_request``: dead cookie cleared, replaced session ended, nonce cookie set."""
    if g.get("session_cookie_set"):
        _retire_replaced_session()
    if g.get("clear_session_cookie") and not g.get("session_cookie_set"):
        clear_session_cookie(response)
    nonce = g.get("new_presession_nonce")
    if nonce and not request.cookies.get(PRESESSION_COOKIE):
        response.set_cookie(
            PRESESSION_COOKIE, nonce, httponly=True, samesite="Lax", secure=cookie_secure(), path="/"
        )
    return response


def current_roles() -> frozenset:
    principal = g.get("principal") or {}
    return frozenset(principal.get("roles") or ())


def is_admin() -> bool:
    return "admin" in current_roles()


def can_list_people() -> bool:
    roles = current_roles()
    return "admin" in roles or "global_community_manager" in roles
