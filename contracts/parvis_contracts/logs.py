"""Logs that tell the truth: structured lines, expected outcomes apart from faults, a request id.

Levels. ``ERROR`` is a fault: an unexpected exception or a 5xx answer, always with its
traceback. An RPC answered with a :class:`~parvis_contracts.errors.ParvisError` whose
HTTP status is below 500 (``NotFound``, ``Forbidden``, ``Unauthenticated``,
``ValidationFailed``, ``Conflict``, ``TooManyRequests``, ``PayloadTooLarge``,
``BadRequest``) is an *expected outcome*: ``INFO``, one line, no traceback
(:func:`is_expected`, :func:`level_for`).

Format. ``PARVIS_LOG_FORMAT`` (``json``, the default, or ``text``) chooses the
formatter of service processes (:func:`configure`, called by the runner) and of the
gateway (:func:`dict_config`, gunicorn's ``logconfig_dict``). A JSON line is one object:
``time``, ``level``, ``logger``, ``message``, ``service``, then what is known of the
worker or request — ``request_id``, ``method``, ``caller`` (its kind), ``duration_ms``,
``outcome``... (:data:`FIELDS`) — and ``exc_info`` (the traceback text) for errors.

Request id. The gateway takes a valid ``X-Request-Id`` (:func:`request_id_from`) or makes
one, and :class:`~parvis_contracts.client.RpcClient` puts the current one
(:func:`current_request_id`) into nameko's context data under :data:`REQUEST_ID_KEY`.
nameko carries context data to every RPC a worker makes; the outbox stores it with each
event and the relay sends it as a message header, so event handler workers have it too.

Workers. :class:`WorkerLog` (a dependency every service has through
``PlatformEntrypoints``) writes one line per worker — outcome, duration, request id,
caller kind — and binds those fields to every line the worker logs. nameko's own
"error handling worker" line is then dropped; for a service without ``WorkerLog``,
:class:`NamekoWorkerErrors` rewrites it (expected outcome: ``INFO`` without traceback).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import time
import uuid
import weakref
from datetime import UTC, datetime

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer

from . import settings
from .errors import ERRORS, ParvisError

#: nameko context data key of the request id (header ``nameko.parvis.request_id`` on the wire)
REQUEST_ID_KEY = "parvis.request_id"
#: the HTTP header the gateway reads and answers
REQUEST_ID_HEADER = "X-Request-Id"
#: what a request id given from outside may be (anything else: a new one is made)
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{8,64}")

FORMATS = ("json", "text")

#: the optional fields of a line, in the order a JSON line gives them
FIELDS = (
    "request_id",
    "method",
    "caller",
    "duration_ms",
    "outcome",
    "status",
    "entrypoint",
    "event",
    "event_id",
    "http_method",
    "route",
    "path",
    "code",
)

#: every error type an RPC answers on purpose: an expected outcome, not a fault
EXPECTED_ERRORS = tuple(cls for cls in ERRORS.values() if cls.status < 500)

#: the logger of the one line per worker
worker_log = logging.getLogger("parvis.worker")

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("parvis_log_context", default=None)
#: the process's service ("gateway", "feed"...), set by configure()
_service: str | None = None


# ---------------------------------------------------------------- request ids


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value) -> str | None:
    """``value`` when it is an acceptable request id (8-64 of ``[A-Za-z0-9._-]``), else None."""
    if isinstance(value, str) and REQUEST_ID_PATTERN.fullmatch(value):
        return value
    return None


def request_id_from(header) -> str:
    """The request id a client sent, when valid; a new one otherwise."""
    return valid_request_id(header) or new_request_id()


# ---------------------------------------------------------------- the context of a line


def context() -> dict:
    """The fields bound to the current thread or green thread (a copy)."""
    return dict(_context.get() or {})


def current_request_id() -> str | None:
    return (_context.get() or {}).get("request_id")


def bind(**fields) -> contextvars.Token:
    """Add ``fields`` to every line logged from now on in this (green) thread."""
    merged = dict(_context.get() or {})
    merged.update({key: value for key, value in fields.items() if value is not None})
    return _context.set(merged)


def unbind(token: contextvars.Token) -> None:
    """Restore the fields as they were before :func:`bind` returned ``token``."""
    with contextlib.suppress(ValueError, RuntimeError):  # another context: nothing to undo
        _context.reset(token)


def annotate(**fields) -> None:
    """Add ``fields`` to the line of the current worker or request, if one is bound.

    Outside a worker or request (nothing bound: a unit test calling a handler itself),
    nothing is bound and nothing stays behind.
    """
    current = _context.get()
    if current:
        _context.set({**current, **{key: value for key, value in fields.items() if value is not None}})


@contextlib.contextmanager
def bound(**fields):
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


# ---------------------------------------------------------------- expected outcomes and faults


def is_expected(exc: BaseException | None) -> bool:
    """True for an answer given on purpose: a ``ParvisError`` whose HTTP status is below 500."""
    return isinstance(exc, ParvisError) and exc.status < 500


def outcome_of(exc: BaseException | None) -> str:
    """``ok`` (no exception), ``expected`` or ``fault``."""
    if exc is None:
        return "ok"
    return "expected" if is_expected(exc) else "fault"


def level_for(exc: BaseException | None) -> int:
    """INFO for a success or an expected outcome, ERROR for a fault."""
    return logging.ERROR if outcome_of(exc) == "fault" else logging.INFO


# ---------------------------------------------------------------- formatters


def _fields(record: logging.LogRecord) -> dict:
    """The optional fields of ``record``: its own (``extra=``), else the bound context."""
    bound_fields = _context.get() or {}
    found = {}
    for name in FIELDS:
        value = getattr(record, name, None)
        if value is None:
            value = bound_fields.get(name)
        if value is not None:
            found[name] = value
    return found


def _service_of(record: logging.LogRecord, default: str | None) -> str | None:
    return getattr(record, "service", None) or (_context.get() or {}).get("service") or default or _service


class JsonFormatter(logging.Formatter):
    """One JSON object per line (no newline inside: a traceback is one escaped string)."""

    def __init__(self, service: str | None = None):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": _service_of(record, self.service),
        }
        line.update(_fields(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time service logger LEVEL message key=value...``, the traceback on the next lines."""

    def __init__(self, service: str | None = None):
        super().__init__("%(asctime)s %(parvis_service)s %(name)s %(levelname)s %(message)s%(parvis_fields)s")
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        record.parvis_service = _service_of(record, self.service) or "-"
        fields = _fields(record)
        record.parvis_fields = "".join(f" {key}={value}" for key, value in fields.items())
        return super().format(record)


def log_format(environ=None) -> str:
    """``PARVIS_LOG_FORMAT``: ``json`` (the default) or ``text``."""
    chosen = str(settings.value("PARVIS_LOG_FORMAT", environ)).strip().lower()
    if chosen not in FORMATS:
        raise settings.SettingError(f"PARVIS_LOG_FORMAT={chosen!r} is not one of {', '.join(FORMATS)}")
    return chosen


def formatter(fmt: str | None = None, service: str | None = None) -> logging.Formatter:
    """The formatter of ``fmt`` (default ``PARVIS_LOG_FORMAT``); also a ``dictConfig`` factory."""
    fmt = fmt or log_format()
    return JsonFormatter(service) if fmt == "json" else TextFormatter(service)


class _ParvisHandler(logging.StreamHandler):
    """The handler :func:`configure` installs (found again, and replaced, by its class)."""


def configure(service: str | None = None, fmt: str | None = None, level=None, stream=None):
    """Log every record of the process as ``PARVIS_LOG_FORMAT`` lines on ``stream`` (stderr).

    Replaces the root logger's handlers; ``level`` defaults to ``PARVIS_LOG_LEVEL``;
    Python's warnings go to the log (``py.warnings``). Returns the handler.
    """
    global _service
    if service is not None:
        _service = service
    handler = _ParvisHandler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt, service))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or settings.value("PARVIS_LOG_LEVEL"))
    logging.captureWarnings(True)  # Python's warnings from now on: lines like the others
    install_worker_filter()
    return handler


def set_service(service: str) -> None:
    """Name the process's service in every line from now on."""
    global _service
    _service = service
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, (JsonFormatter, TextFormatter)):
            handler.formatter.service = service


def dict_config(service: str, fmt: str | None = None, level: str | None = None) -> dict:
    """A ``logging.config.dictConfig`` of a process (gunicorn's ``logconfig_dict``).

    Every logger goes to one stderr handler with the Parvis formatter; gunicorn's own
    lines (``gunicorn.error``) too. gunicorn's access log is off: the gateway writes one
    line per request itself, with the request id.
    """
    fmt = fmt or log_format()
    level = level or settings.value("PARVIS_LOG_LEVEL")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"parvis": {"()": "parvis_contracts.logs.formatter", "fmt": fmt, "service": service}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "parvis", "stream": "ext://sys.stderr"}
        },
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


# ---------------------------------------------------------------- nameko workers


def entrypoint_kind(entrypoint) -> str:
    if isinstance(entrypoint, Rpc):
        return "rpc"
    if isinstance(entrypoint, EventHandler):
        return "event"
    if isinstance(entrypoint, Timer):
        return "timer"
    return type(entrypoint).__name__.lower()


def caller_kind(data: dict) -> str | None:
    """The kind of the verified caller of a worker's context data (None without one)."""
    from .context import CONTEXT_KEY, verify

    token = data.get(CONTEXT_KEY)
    if not token:
        return None
    try:
        return verify(token).kind
    except Exception:  # an invalid context never reaches a worker; an expired one may
        return None


def worker_fields(worker_ctx) -> dict:
    """What a line says of a worker: service, method, entrypoint, request id, caller, event."""
    entrypoint = worker_ctx.entrypoint
    fields = {
        "service": worker_ctx.service_name,
        "method": entrypoint.method_name,
        "entrypoint": entrypoint_kind(entrypoint),
        "request_id": valid_request_id(worker_ctx.data.get(REQUEST_ID_KEY)),
        "caller": caller_kind(worker_ctx.data),
    }
    if fields["entrypoint"] == "event" and worker_ctx.args and isinstance(worker_ctx.args[0], dict):
        body = worker_ctx.args[0]
        fields["event"] = body.get("type")
        fields["event_id"] = body.get("id")
    return {key: value for key, value in fields.items() if value is not None}


def expected_in(worker_ctx, exc: BaseException | None) -> bool:
    """An expected outcome of this worker: an RPC answering an error on purpose.

    An event handler or a timer that raises has failed (it is retried, then
    dead-lettered): a fault whatever the error type.
    """
    return is_expected(exc) and isinstance(worker_ctx.entrypoint, Rpc)


#: attribute set on a worker context whose outcome WorkerLog writes
_LOGGED = "_parvis_worker_log"


class WorkerLog(DependencyProvider):
    """One line per worker, and the worker's fields on every line it logs.

    ``INFO`` ``<service>.<method> ok`` / ``... answered NotFound: <message>`` (an expected
    outcome of an RPC, no traceback), ``ERROR`` ``... failed: <error>`` with the traceback.
    A worker without a request id gets a new one, which its RPCs and events carry on.
    """

    def __init__(self):
        self.started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def setup(self):
        install_worker_filter()

    def worker_setup(self, worker_ctx):
        try:
            if valid_request_id(worker_ctx.data.get(REQUEST_ID_KEY)) is None:
                worker_ctx.data[REQUEST_ID_KEY] = new_request_id()
            fields = worker_fields(worker_ctx)
            setattr(worker_ctx, _LOGGED, True)
            self.started[worker_ctx] = time.perf_counter()
            # the worker's green thread starts with an empty context: nothing to restore
            _context.set(fields)
        except Exception:  # never let logging break a worker (nameko kills the container)
            worker_log.debug("worker log setup failed", exc_info=True)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        try:
            self._log(worker_ctx, exc_info)
        except Exception:
            worker_log.debug("worker log failed", exc_info=True)

    def _log(self, worker_ctx, exc_info) -> None:
        started = self.started.pop(worker_ctx, None)
        fields = {**worker_fields(worker_ctx), **(_context.get() or {})}
        if started is not None:
            fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        name = f"{fields.get('service')}.{fields.get('method')}"
        exc = exc_info[1] if exc_info else None
        if exc is None:
            fields.setdefault("outcome", "ok")
            worker_log.info("%s %s", name, fields["outcome"], extra=fields)
        elif expected_in(worker_ctx, exc):
            fields.update(outcome=type(exc).__name__, status=exc.status)
            worker_log.info("%s answered %s: %s", name, type(exc).__name__, exc, extra=fields)
        else:
            fields.update(outcome="fault")
            if isinstance(exc, ParvisError):
                fields["status"] = exc.status
            worker_log.error(
                "%s failed: %s: %s", name, type(exc).__name__, exc, exc_info=exc_info, extra=fields
            )

    def get_dependency(self, worker_ctx):
        return None


#: nameko.containers' messages of a failed worker (nameko 2.14: ``_run_worker``)
NAMEKO_WORKER_ERRORS = frozenset({"error handling worker %s: %s", "(expected) error handling worker %s: %s"})


class NamekoWorkerErrors(logging.Filter):
    """On the ``nameko.containers`` logger: its "error handling worker" lines told true.

    nameko logs every exception a worker raises with a traceback, at ERROR (or WARNING
    for an entrypoint's ``expected_exceptions``). Here: dropped when :class:`WorkerLog`
    writes the worker's line; otherwise an expected outcome becomes one INFO line
    without traceback and anything else keeps nameko's level and its traceback, both
    with the worker's fields.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg not in NAMEKO_WORKER_ERRORS or not record.exc_info or not record.args:
            return True
        worker_ctx = record.args[0]
        if getattr(worker_ctx, _LOGGED, False):
            return False
        try:
            fields = worker_fields(worker_ctx)
        except Exception:  # not a worker context after all: leave the line as it is
            return True
        exc = record.exc_info[1]
        for key, value in fields.items():
            setattr(record, key, value)
        if expected_in(worker_ctx, exc):
            if not logging.getLogger(record.name).isEnabledFor(logging.INFO):
                return False
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg = "%s.%s answered %s: %s"
            record.args = (fields["service"], fields["method"], type(exc).__name__, exc)
            record.exc_info, record.exc_text = None, None
            record.outcome, record.status = type(exc).__name__, exc.status
        else:  # nameko's level stands: ERROR, or WARNING for what an entrypoint declared expected
            record.outcome = "fault"
        return True


def install_worker_filter() -> None:
    """Put :class:`NamekoWorkerErrors` on ``nameko.containers`` (once)."""
    target = logging.getLogger("nameko.containers")
    if not any(isinstance(f, NamekoWorkerErrors) for f in target.filters):
        target.addFilter(NamekoWorkerErrors())


__all__ = [
    "REQUEST_ID_KEY",
    "REQUEST_ID_HEADER",
    "FIELDS",
    "EXPECTED_ERRORS",
    "new_request_id",
    "valid_request_id",
    "request_id_from",
    "context",
    "current_request_id",
    "bind",
    "unbind",
    "bound",
    "annotate",
    "is_expected",
    "outcome_of",
    "level_for",
    "JsonFormatter",
    "TextFormatter",
    "log_format",
    "formatter",
    "configure",
    "set_service",
    "dict_config",
    "WorkerLog",
    "NamekoWorkerErrors",
    "install_worker_filter",
]
