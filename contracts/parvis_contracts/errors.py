"""Error types that cross service boundaries, and their HTTP meaning.

Services raise these; nameko serialises them and, because every class is
registered with ``deserialize_to_instance``, the caller gets the same class
back with its arguments (message and details). The gateway maps them to HTTP
with :data:`HTTP_STATUS` — the one table of the platform.
"""

from __future__ import annotations

import json

from nameko.exceptions import deserialize_to_instance


class ParvisError(Exception):
    """Base of every error a service returns on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str = "", details: dict | str | None = None):
        # nameko turns every non-string value inside an exception's args into a
        # string on the wire; details travel as one JSON string so numbers,
        # lists and booleans come back as they were sent.
        if isinstance(details, str):
            try:
                details = json.loads(details)
            except ValueError:
                details = {"detail": details}
        details = details or {}
        super().__init__(message, json.dumps(details, default=str, sort_keys=True))
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}


def _register(cls):
    return deserialize_to_instance(cls)


@_register
class BadRequest(ParvisError):
    code, status = "bad_request", 400


@_register
class ValidationFailed(ParvisError):
    """Input did not satisfy the schema; ``details`` maps field -> messages."""

    code, status = "validation_failed", 422


@_register
class Unauthenticated(ParvisError):
    """No valid caller: missing, expired or forged context, or a dead session."""

    code, status = "unauthenticated", 401


@_register
class Forbidden(ParvisError):
    code, status = "forbidden", 403


@_register
class NotFound(ParvisError):
    """Also the answer for things the caller may not know exist."""

    code, status = "not_found", 404


@_register
class Conflict(ParvisError):
    code, status = "conflict", 409


@_register
class PayloadTooLarge(ParvisError):
    code, status = "payload_too_large", 413


@_register
class TooManyRequests(ParvisError):
    code, status = "too_many_requests", 429


@_register
class Unavailable(ParvisError):
    code, status = "unavailable", 503


ERRORS = {
    cls.__name__: cls
    for cls in (
        BadRequest,
        ValidationFailed,
        Unauthenticated,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
        TooManyRequests,
        Unavailable,
    )
}

#: The one table from error type to HTTP status. Anything not in it is a bug (500).
HTTP_STATUS = {name: cls.status for name, cls in ERRORS.items()}
HTTP_STATUS.update(
    {
        # nameko's own errors the gateway may see
        "MethodNotFound": 501,
        "IncorrectSignature": 400,
        "MalformedRequest": 400,
        "RpcTimeout": 504,
        "UnknownService": 503,
    }
)


def not_found(what: str = "resource") -> NotFound:
    """The single wording for "absent or invisible" so both answer identically."""
    return NotFound(f"This {what} does not exist or you cannot see it.")
