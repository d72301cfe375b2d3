"""One-click unsubscribe links: who stops hearing of what, signed so that nobody else can.

A token names a person and a scope (a notification kind, or ``all``) and carries an
HMAC-SHA256 of both under a key derived from the platform secret (never the secret
itself: a token is no use anywhere else). It does not expire: an unsubscribe link must
work in a mail read months later; following it again changes nothing. A token altered in
any way is refused (:class:`ValidationFailed`, nothing changed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from parvis_contracts.config import context_secret
from parvis_contracts.errors import ValidationFailed

from .limits import KINDS

VERSION = "u1"
ALL = "all"
SCOPES = (*KINDS, ALL)
INVALID = "This unsubscribe link is not valid. Choose what you receive in your notification settings."


def _key() -> bytes:
    return hmac.new(context_secret(), b"parvis mail unsubscribe v1", hashlib.sha256).digest()


def _signature(user_id: str, scope: str) -> str:
    mac = hmac.new(_key(), f"{VERSION}\n{user_id}\n{scope}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token(user_id: str, scope: str) -> str:
    """The token of ``user_id`` giving up mails of ``scope`` (a kind or ``all``)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    person = base64.urlsafe_b64encode(user_id.encode()).decode().rstrip("=")
    return f"{VERSION}.{person}.{scope}.{_signature(user_id, scope)}"


def read(value) -> tuple[str, str]:
    """(user_id, scope) of a token made by :func:`token`; ValidationFailed for anything else."""
    parts = value.split(".") if isinstance(value, str) and len(value) <= 400 else []
    if len(parts) != 4 or parts[0] != VERSION or parts[2] not in SCOPES:
        raise ValidationFailed(INVALID, {"token": ["invalid"]})
    try:
        user_id = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(INVALID, {"token": ["invalid"]}) from None
    if not user_id or not hmac.compare_digest(parts[3], _signature(user_id, parts[2])):
        raise ValidationFailed(INVALID, {"token": ["invalid"]})
    return user_id, parts[2]
