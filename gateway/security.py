"""CSRF tokens, origin checks and security headers (pure functions).

The CSRF token of a signed-in browser is an HMAC of its session token with the
platform's context secret: nothing to store, nothing to send besides what the
page already carries. Before sign-in, a random nonce cookie plays the part of
the session token (double-submit cookie, bound by the same HMAC).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def content_security_policy(connect: tuple[str, ...] = ()) -> str:
    """The pages' policy; ``connect``: origins their script may also connect to (the live
    hub's stream, when it is served from another origin)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            " ".join(["connect-src 'self'", *connect]),
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _mac(secret: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_token(secret: bytes, session_token: str) -> str:
    """The CSRF token that goes with a session token."""
    return _mac(secret, "parvis-csrf", session_token)


def presession_csrf_token(secret: bytes, nonce: str) -> str:
    """The CSRF token of a visitor who is not signed in (bound to a nonce cookie)."""
    return _mac(secret, "parvis-csrf-pre", nonce)


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, presented: str | None) -> bool:
    if not expected or not presented or not isinstance(presented, str):
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def check_csrf(secret: bytes, session_token: str | None, presented: str | None) -> bool:
    if not session_token:
        return False
    return tokens_match(csrf_token(secret, session_token), presented)


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports dropped."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_allowed(origin: str | None, own_url: str, public_url: str | None = None) -> bool:
    """May a write carrying this ``Origin`` header go through?

    No header at all (non-browser clients, same-origin GET-like navigations of
    old browsers) is allowed: the CSRF token still protects cookie writes. The
    opaque origin ``null`` and any other site are refused.
    """
    if origin is None:
        return True
    if origin.strip().lower() == "null":
        return False
    presented = origin_of(origin)
    if presented is None:
        return False
    allowed = {origin_of(own_url)}
    if public_url:
        allowed.add(origin_of(public_url))
    return presented in allowed


def request_origin_allowed(
    origin: str | None, referer: str | None, own_url: str, public_url: str | None = None
) -> bool:
    """``origin_allowed``, falling back on the ``Referer`` when there is no ``Origin``.

    Some browsers omit ``Origin`` on a form post; if they still send a ``Referer``, its
    origin must be ours (our pages send it only same-origin: ``Referrer-Policy``). A
    ``Referer`` that is not an absolute URL is refused; no header at all is allowed.
    """
    if origin is not None or not referer:
        return origin_allowed(origin, own_url, public_url)
    presented = origin_of(referer)
    if presented is None:
        return False
    allowed = {origin_of(own_url)}
    if public_url:
        allowed.add(origin_of(public_url))
    return presented in allowed


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value or None
