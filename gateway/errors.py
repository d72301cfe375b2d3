"""One error shape for the whole gateway, and the mapping of every failure to it.

Every error the gateway answers — a remote ``ParvisError``, a nameko
``RemoteError``/``RpcTimeout``, an unreachable broker, a Werkzeug HTTP error
(unknown route, 405, 413, webargs' 422, malformed JSON) or a bug — goes through
:func:`map_exception`, a pure function, and comes out as::

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": {}}}

Remote errors map through ``parvis_contracts.errors.HTTP_STATUS`` only. A 422's
``details`` maps each refused field to its messages, named as the request names it
(``{"name": ["..."]}``), whether the gateway's schema or the service refused it, for a
create and an update alike, for the body, the query string and the headers.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.exceptions import HTTPException

from parvis_contracts.errors import HTTP_STATUS, ParvisError

#: Codes of plain HTTP errors (Werkzeug's), aligned with the contracts' codes.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    501: "not_implemented",
    502: "bad_gateway",
    503: "unavailable",
    504: "timeout",
}

#: where webargs found a request's arguments; its messages are grouped by them
ARGUMENT_LOCATIONS = frozenset(
    {
        "json",
        "query",
        "querystring",
        "form",
        "headers",
        "cookies",
        "files",
        "json_or_form",
        "view_args",
        "path",
    }
)

DEFAULT_RETRY_AFTER = 60
INTERNAL_MESSAGE = "An unexpected error occurred. It has been logged."


@dataclass
class MappedError:
    status: int
    code: str
    message: str
    details: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)

    def body(self) -> dict:
        return error_body(self.status, self.code, self.message, self.details)


def error_body(status: int, code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"status": status, "code": code, "message": message, "details": details or {}}}


def field_details(messages) -> dict:
    """webargs' messages (``{"json": {"name": [...]}}``) in the one shape of ``details``:
    field -> messages (``{"name": [...]}``), the field named as the request names it,
    whatever part of the request it came in, exactly as a service's ``ValidationFailed``
    reports it (``parvis_contracts.schemas.field_details``)."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    if not messages or not all(key in ARGUMENT_LOCATIONS for key in messages):
        return messages
    details: dict = {}
    for found in messages.values():
        # a location refused as a whole (``{"json": ["Invalid JSON body."]}``): ``_schema``
        for name, value in found.items() if isinstance(found, dict) else [("_schema", found)]:
            details[name] = value if name not in details else [*_as_list(details[name]), *_as_list(value)]
    return details


def _as_list(messages) -> list:
    return list(messages) if isinstance(messages, (list, tuple)) else [messages]


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _broker_errors() -> tuple:
    errors: list = [OSError, ConnectionError, socket.timeout]
    try:
        from kombu.exceptions import OperationalError

        errors.append(OperationalError)
    except ImportError:  # pragma: no cover - kombu is a nameko dependency
        pass
    try:
        from amqp.exceptions import ConnectionError as AmqpConnectionError

        errors.append(AmqpConnectionError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


BROKER_ERRORS = _broker_errors()


def _status_of_parvis_error(exc: ParvisError) -> int:
    for cls in type(exc).__mro__:
        if cls.__name__ in HTTP_STATUS:
            return HTTP_STATUS[cls.__name__]
    return 500


def _with_retry_after(mapped: MappedError) -> MappedError:
    if mapped.status == 429:
        retry = mapped.details.get("retry_after") if isinstance(mapped.details, dict) else None
        try:
            seconds = max(1, int(float(retry))) if retry is not None else DEFAULT_RETRY_AFTER
        except (TypeError, ValueError):
            seconds = DEFAULT_RETRY_AFTER
        mapped.headers.setdefault("Retry-After", str(seconds))
    return mapped


def map_exception(exc: BaseException) -> MappedError:
    """The status, code, message, details and headers an exception answers with."""
    if isinstance(exc, ParvisError):
        status = _status_of_parvis_error(exc)
        details = exc.details if isinstance(exc.details, dict) else {"details": exc.details}
        return _with_retry_after(MappedError(status, exc.code, exc.message or exc.code, details))

    if isinstance(exc, RpcTimeout):
        return MappedError(
            HTTP_STATUS["RpcTimeout"], "timeout", "A service did not answer in time. Please retry."
        )

    if isinstance(exc, UnknownService):
        return MappedError(
            HTTP_STATUS["UnknownService"],
            "unavailable",
            "A service of the platform is not running. Please retry later.",
        )

    if isinstance(exc, RemoteError):
        exc_type = exc.exc_type or ""
        status = HTTP_STATUS.get(exc_type)
        if status is None:
            # an unexpected exception inside a service: a bug, do not leak its text
            return MappedError(500, "internal_error", INTERNAL_MESSAGE)
        message = exc.value if isinstance(exc.value, str) and exc.value else exc_type
        return _with_retry_after(MappedError(status, snake_case(exc_type), message))

    if isinstance(exc, HTTPException):
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        details = field_details(data.get("errors") or data.get("messages") or {})
        message = data.get("message") or exc.description or exc.name
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        if isinstance(data.get("headers"), dict):
            headers.update(data["headers"])
        if status == 422 and not data.get("message"):
            message = "The request is not valid."
        mapped = MappedError(
            status, HTTP_CODES.get(status, snake_case(exc.name.replace(" ", ""))), message, details, headers
        )
        return _with_retry_after(mapped)

    if isinstance(exc, BROKER_ERRORS):
        return MappedError(
            503, "unavailable", "The platform's message broker cannot be reached. Please retry later."
        )

    return MappedError(500, "internal_error", INTERNAL_MESSAGE)
