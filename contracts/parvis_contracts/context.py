"""The signed caller context.

The gateway authenticates a person, then puts a compact token describing the
caller into nameko's context data under :data:`CONTEXT_KEY`. Every service
verifies it (HMAC-SHA256 with the platform secret, expiry) before a worker
runs; a call with no token, an expired one or a bad signature is refused with
:class:`~parvis_contracts.errors.Unauthenticated`.

Token format: ``base64url(json payload) + "." + base64url(hmac)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

from . import settings
from .config import context_secret
from .errors import Unauthenticated

CONTEXT_KEY = "parvis_caller"

ROLE_ADMIN = "admin"  # network admin
ROLE_GCM = "global_community_manager"  # global community manager
ROLE_MEMBER = "member"
ROLES = (ROLE_ADMIN, ROLE_GCM, ROLE_MEMBER)

#: Kinds of principal. "person" is a signed-in human; "anonymous" is the
#: gateway acting for a visitor who is not signed in (sign-in, invitation
#: acceptance); "system" is a trusted process of the platform (launcher, seed).
KIND_PERSON, KIND_ANONYMOUS, KIND_SYSTEM = "person", "anonymous", "system"


@dataclass(frozen=True)
class Caller:
    kind: str
    user_id: str | None = None
    org_id: str | None = None
    roles: frozenset = field(default_factory=frozenset)
    guest: bool = False
    session_id: str | None = None
    lang: str | None = None
    expires_at: int = 0

    @property
    def is_person(self) -> bool:
        return self.kind == KIND_PERSON

    @property
    def is_system(self) -> bool:
        return self.kind == KIND_SYSTEM

    @property
    def is_admin(self) -> bool:
        return self.is_system or (self.is_person and ROLE_ADMIN in self.roles)

    @property
    def is_global_manager(self) -> bool:
        return self.is_admin or (self.is_person and ROLE_GCM in self.roles)

    @property
    def is_employee(self) -> bool:
        return self.is_person and not self.guest

    def describe(self) -> dict:
        """What a service's ``whoami`` answers: the caller as it was verified."""
        return {
            "kind": self.kind,
            "user_id": self.user_id,
            "org_id": self.org_id,
            "roles": sorted(self.roles),
            "guest": self.guest,
        }

    def to_payload(self) -> dict:
        return {
            "k": self.kind,
            "u": self.user_id,
            "o": self.org_id,
            "r": sorted(self.roles),
            "g": self.guest,
            "s": self.session_id,
            "l": self.lang,
            "e": self.expires_at,
        }

    @classmethod
    def from_payload(cls, data: dict) -> Caller:
        return cls(
            kind=data["k"],
            user_id=data.get("u"),
            org_id=data.get("o"),
            roles=frozenset(data.get("r") or ()),
            guest=bool(data.get("g")),
            session_id=data.get("s"),
            lang=data.get("l"),
            expires_at=int(data["e"]),
        )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())


def sign(caller: Caller, secret: bytes | None = None, ttl: int | None = None) -> str:
    """Sign ``caller``; ``ttl`` seconds from now unless it carries an expiry."""
    if not caller.expires_at:
        ttl = ttl if ttl is not None else settings.value("PARVIS_CONTEXT_TTL")
        caller = Caller(**{**caller.__dict__, "expires_at": int(time.time()) + ttl})
    body = _b64(json.dumps(caller.to_payload(), separators=(",", ":")).encode())
    return body + "." + _mac(secret or context_secret(), body)


#: tokens that passed every check but the clock -> their caller. A service verifies each
#: call's token twice (the entrypoint, then the worker's ``CurrentCaller``); only the exact
#: signed string with the same secret is found here, and its expiry is checked every time.
_VERIFIED: dict = {}
_VERIFIED_MAX = 1024


def verify(token, secret: bytes | None = None, now: float | None = None) -> Caller:
    """Return the caller a token describes, or raise ``Unauthenticated``."""
    if not token or not isinstance(token, str) or token.count(".") != 1:
        raise Unauthenticated("Missing or malformed caller context.")
    secret = secret or context_secret()
    caller = _VERIFIED.get((token, secret))
    if caller is not None:
        if caller.expires_at < (now if now is not None else time.time()):
            raise Unauthenticated("Caller context has expired.")
        return caller
    body, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise Unauthenticated("Caller context signature is invalid.")
    try:
        caller = Caller.from_payload(json.loads(_unb64(body)))
    except (ValueError, KeyError, TypeError):
        raise Unauthenticated("Malformed caller context.") from None
    if caller.expires_at < (now if now is not None else time.time()):
        raise Unauthenticated("Caller context has expired.")
    if caller.kind not in (KIND_PERSON, KIND_ANONYMOUS, KIND_SYSTEM):
        raise Unauthenticated("Unknown kind of caller.")
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[(token, secret)] = caller
    return caller


def system_caller(ttl: int = 300) -> str:
    """A signed context for trusted platform processes (launcher, seeding)."""
    return sign(Caller(kind=KIND_SYSTEM), ttl=ttl)


def anonymous_caller(lang: str | None = None) -> str:
    return sign(Caller(kind=KIND_ANONYMOUS, lang=lang))
