"""Password hashing (argon2id) and opaque tokens.

``PARVIS_ARGON2_PROFILE=test`` selects cheap parameters for test suites;
anything else uses argon2-cffi's defaults (RFC 9106 low-memory profile).
Hashes made with other parameters are upgraded at the next successful sign-in.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from parvis_contracts import settings

_hashers: dict[str, PasswordHasher] = {}
_dummies: dict[str, str] = {}


def _profile() -> str:
    return "test" if settings.value("PARVIS_ARGON2_PROFILE") == "test" else "default"


def hasher() -> PasswordHasher:
    profile = _profile()
    if profile not in _hashers:
        _hashers[profile] = (
            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
            if profile == "test"
            else PasswordHasher()
        )
    return _hashers[profile]


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check ``password``; with no stored hash, burn the same time on a dummy one."""
    ph = hasher()
    if not stored:
        profile = _profile()
        if profile not in _dummies:
            _dummies[profile] = ph.hash(secrets.token_urlsafe(16))
        stored = _dummies[profile]
        with contextlib.suppress(VerificationError, VerifyMismatchError, InvalidHashError):
            ph.verify(stored, password)
        return False
    try:
        return ph.verify(stored, password)
    except (VerificationError, VerifyMismatchError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
