"""The signed caller context, and the call contexts bound to one target.

Two kinds of token share one format, ``base64url(json payload) + "." +
base64url(hmac-sha256)`` with the platform secret:

* a **request context** (:func:`sign`): the gateway authenticates a person and signs
  who they are (kind, user, organisation, roles, guest flag, session, language) for
  ``PARVIS_CONTEXT_TTL`` seconds (60); the launcher and the tests sign system and
  anonymous ones. It is *never* accepted on the wire as it is.
* a **call context** (:func:`bind`): a copy of a verified caller for exactly one call —
  the target ``service.method`` (``t``), a random 96-bit nonce (``n``) and an expiry at
  most ``PARVIS_CONTEXT_CALL_TTL`` seconds (30) away, never later than the context it
  was made from. :class:`~parvis_contracts.client.RpcClient` binds the request context
  it is given, once per call; a service's ``RpcProxy`` binds its worker's verified
  caller to the downstream target (so a chain of calls never outlives its start).

The receiving entrypoint calls :func:`accept`: the signature, the expiry, the target
(its own service and method), the nonce not seen before by this process
(:class:`NonceMemory`) and, unless the entrypoint admits visitors, a caller that is not
anonymous. Each refusal is an :class:`~parvis_contracts.errors.Unauthenticated` with a
``reason`` (one of :data:`REASONS`) the entrypoint counts and reports.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import json
import secrets
import threading
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
KINDS = (KIND_PERSON, KIND_ANONYMOUS, KIND_SYSTEM)

#: why a call context was refused (the label of ``parvis_rpc_refused_total``)
EXPIRED = "expired"
BAD_SIGNATURE = "bad_signature"
WRONG_TARGET = "wrong_target"
REPLAYED = "replayed"
ANONYMOUS_NOT_ALLOWED = "anonymous_not_allowed"
MALFORMED = "malformed"
REASONS = (EXPIRED, BAD_SIGNATURE, WRONG_TARGET, REPLAYED, ANONYMOUS_NOT_ALLOWED, MALFORMED)

#: random bytes of a call context's nonce (96 bits: 16 base64url characters)
NONCE_BYTES = 12


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
    #: a call context only: the ``service.method`` it was made for, and its nonce
    target: str | None = None
    nonce: str | None = None

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
        payload = {
            "k": self.kind,
            "u": self.user_id,
            "o": self.org_id,
            "r": sorted(self.roles),
            "g": self.guest,
            "s": self.session_id,
            "l": self.lang,
            "e": self.expires_at,
        }
        if self.target is not None:
            payload["t"] = self.target
            payload["n"] = self.nonce
        return payload

    @classmethod
    def from_payload(cls, data: dict) -> Caller:
        target, nonce = data.get("t"), data.get("n")
        if not all(value is None or isinstance(value, str) for value in (target, nonce)):
            raise TypeError("target and nonce are strings")
        return cls(
            kind=data["k"],
            user_id=data.get("u"),
            org_id=data.get("o"),
            roles=frozenset(data.get("r") or ()),
            guest=bool(data.get("g")),
            session_id=data.get("s"),
            lang=data.get("l"),
            expires_at=int(data["e"]),
            target=target,
            nonce=nonce,
        )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())


#: (when it was read, the platform secret): every RPC signs and verifies with it, and
#: ``config.context_secret()`` works out the var dir at each call (tens of microseconds);
#: a changed secret is used within ``_SECRET_FOR`` seconds
_SECRET: tuple[float, bytes] = (float("-inf"), b"")
_SECRET_FOR = 1.0


def _secret() -> bytes:
    global _SECRET
    read_at, secret = _SECRET
    now = time.monotonic()
    if now - read_at >= _SECRET_FOR:
        secret = context_secret()
        _SECRET = (now, secret)
    return secret


_JSON = json.JSONEncoder(separators=(",", ":"))


def _seal(caller: Caller, secret: bytes) -> str:
    body = _b64(_JSON.encode(caller.to_payload()).encode())
    return body + "." + _mac(secret, body)


def sign(caller: Caller, secret: bytes | None = None, ttl: int | None = None) -> str:
    """Sign ``caller``; ``ttl`` seconds from now unless it carries an expiry."""
    if not caller.expires_at:
        ttl = ttl if ttl is not None else settings.value("PARVIS_CONTEXT_TTL")
        caller = Caller(**{**caller.__dict__, "expires_at": int(time.time()) + ttl})
    return _seal(caller, secret or _secret())


def bind(
    caller: Caller,
    service: str,
    method: str,
    secret: bytes | None = None,
    now: float | None = None,
    ttl: int | None = None,
) -> str:
    """A call context for one call of ``service.method``: the caller's person-level
    fields, a fresh nonce, at most ``PARVIS_CONTEXT_CALL_TTL`` seconds (never past the
    caller's own expiry)."""
    ttl = ttl if ttl is not None else settings.value("PARVIS_CONTEXT_CALL_TTL")
    expires = int(time.time() if now is None else now) + ttl
    if caller.expires_at:
        expires = min(expires, caller.expires_at)
    payload = caller.to_payload()
    payload["e"] = expires
    payload["t"] = f"{service}.{method}"
    payload["n"] = secrets.token_urlsafe(NONCE_BYTES)
    body = _b64(_JSON.encode(payload).encode())
    return body + "." + _mac(secret or _secret(), body)


def refusal(reason: str, message: str, kind: str | None = None) -> Unauthenticated:
    """The error a refused context raises: an ``Unauthenticated`` (what crosses nameko)
    carrying the ``reason`` and, when the signature held, the caller's ``kind``."""
    exc = Unauthenticated(message)
    exc.reason = reason
    exc.caller_kind = kind
    return exc


def _check(token, secret: bytes, now: float) -> Caller:
    """Signature, payload and expiry of any token; no memo, no nonce."""
    if not token or not isinstance(token, str) or token.count(".") != 1:
        raise refusal(MALFORMED, "Missing or malformed caller context.")
    body, mac = token.split(".")
    # as bytes: a header may hold any text, compare_digest refuses non-ASCII strings
    if not hmac.compare_digest(mac.encode(), _mac(secret, body).encode()):
        raise refusal(BAD_SIGNATURE, "Caller context signature is invalid.")
    try:
        caller = Caller.from_payload(json.loads(_unb64(body)))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise refusal(MALFORMED, "Malformed caller context.") from None
    if caller.kind not in KINDS:
        raise refusal(MALFORMED, "Unknown kind of caller.")
    if caller.expires_at < now:
        raise refusal(EXPIRED, "Caller context has expired.", caller.kind)
    return caller


#: request contexts that passed every check but the clock -> their caller. A sender
#: (``RpcClient``) verifies the request context of every call it binds: the gateway sends
#: several calls per request with the same token. Only the exact signed string with the
#: same secret is found here, its expiry is checked every time, and call contexts (unique
#: per call) are never kept.
_VERIFIED: dict = {}
_VERIFIED_MAX = 1024


def verify(token, secret: bytes | None = None, now: float | None = None) -> Caller:
    """Return the caller a token describes, or raise ``Unauthenticated``.

    Signature, payload and expiry only: whether a call context may be *used* for a call
    is :func:`accept`'s question."""
    now = time.time() if now is None else now
    secret = secret or _secret()
    try:
        caller = _VERIFIED.get((token, secret))
    except TypeError:  # an unhashable token: _check refuses it
        caller = None
    if caller is not None:
        if caller.expires_at < now:
            raise refusal(EXPIRED, "Caller context has expired.", caller.kind)
        return caller
    caller = _check(token, secret, now)
    if caller.target is None:
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[(token, secret)] = caller
    return caller


class NonceMemory:
    """The nonces of the call contexts this process accepted, each kept until its
    context expires, so that a context is used once.

    Bounded: at most ``max_entries`` nonces (``DEFAULT_NONCES``). When it is full, the
    entry that expires first is forgotten and ``floor`` rises to its expiry: from then
    on a context expiring at or before ``floor`` is refused as expired, since this
    process could no longer tell a replay of it. Under a sustained load above
    ``max_entries / PARVIS_CONTEXT_CALL_TTL`` calls a second the oldest contexts are
    refused rather than the memory growing. A flood of refused contexts adds nothing.

    A nonce stays *in flight* from its acceptance until the reply to its call was sent
    and the request acknowledged (:meth:`done`). The broker delivers an unacknowledged
    request again after a lost connection (``redelivered``, set by the broker, never by
    a publisher): that one copy is accepted again; a nonce whose call was answered is not.
    """

    def __init__(self, max_entries: int | None = None):
        self.max_entries = max_entries or DEFAULT_NONCES
        self.floor = 0
        self._expiry: dict[str, int] = {}
        self._heap: list[tuple[int, str]] = []
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def _forget_first(self) -> int:
        expires, nonce = heapq.heappop(self._heap)
        del self._expiry[nonce]
        self._in_flight.discard(nonce)
        return expires

    def admit(self, nonce: str, expires_at: int, now: float, redelivered: bool = False) -> str | None:
        """None if ``nonce`` may be used now (and remember it), else the refusal's reason."""
        with self._lock:
            heap = self._heap
            while heap and heap[0][0] < now:
                self._forget_first()
            if nonce in self._expiry:
                return None if redelivered and nonce in self._in_flight else REPLAYED
            if expires_at <= self.floor:
                return EXPIRED
            if len(self._expiry) >= self.max_entries:
                if heap[0][0] >= expires_at:  # it would be the first to go: never kept
                    return EXPIRED
                self.floor = max(self.floor, self._forget_first())
            self._expiry[nonce] = expires_at
            heapq.heappush(heap, (expires_at, nonce))
            self._in_flight.add(nonce)
            return None

    def done(self, nonce: str) -> None:
        """The call of ``nonce`` was answered: a redelivered copy is a replay."""
        self._in_flight.discard(nonce)


#: nonces one process remembers (about 200 bytes each: 20 MB at most)
DEFAULT_NONCES = 100_000
#: this process's memory of used nonces (every service container in it shares it:
#: nonces are unique, each bound to one target)
NONCES = NonceMemory()


def accept(
    token,
    service: str,
    method: str,
    *,
    anonymous: bool = False,
    redelivered: bool = False,
    secret: bytes | None = None,
    now: float | None = None,
    memory: NonceMemory | None = None,
) -> Caller:
    """The caller of a call context received by ``service.method``, or ``Unauthenticated``
    with a ``reason``: bad signature, malformed, expired, bound to another target (or to
    none: a request context), anonymous where the entrypoint wants a signed-in caller,
    or replayed (its nonce already used in this process)."""
    now = time.time() if now is None else now
    caller = _check(token, secret or _secret(), now)
    if caller.target != f"{service}.{method}":
        raise refusal(WRONG_TARGET, "Caller context is not bound to this call.", caller.kind)
    nonce = caller.nonce
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 64:
        raise refusal(MALFORMED, "Malformed caller context.", caller.kind)
    if caller.kind == KIND_ANONYMOUS and not anonymous:
        raise refusal(ANONYMOUS_NOT_ALLOWED, "Sign in first.", caller.kind)
    reason = (NONCES if memory is None else memory).admit(nonce, caller.expires_at, now, redelivered)
    if reason == REPLAYED:
        raise refusal(REPLAYED, "Caller context was already used.", caller.kind)
    if reason is not None:
        raise refusal(reason, "Caller context has expired.", caller.kind)
    return caller


def system_caller(ttl: int = 300) -> str:
    """A signed context for trusted platform processes (launcher, seeding)."""
    return sign(Caller(kind=KIND_SYSTEM), ttl=ttl)


def anonymous_caller(lang: str | None = None) -> str:
    return sign(Caller(kind=KIND_ANONYMOUS, lang=lang))
