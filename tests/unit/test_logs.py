"""Structured logs (parvis_contracts.logs): the formatters, the request id, and which
outcome is expected (INFO, no traceback) and which is a fault (ERROR, its traceback)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import types
from pathlib import Path

import pytest
from nameko.containers import WorkerContext
from nameko.events import EventHandler
from nameko.rpc import Rpc

from parvis_contracts import context as ctx
from parvis_contracts import errors, logs, settings

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_NAMES = {
    "NotFound",
    "Forbidden",
    "Unauthenticated",
    "ValidationFailed",
    "Conflict",
    "TooManyRequests",
    "PayloadTooLarge",
    "BadRequest",
}


def record(msg="hello %s", args=("world",), level=logging.INFO, exc_info=None, name="parvis.test", **extra):
    rec = logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def raised(exc):
    try:
        raise exc
    except BaseException:
        return sys.exc_info()


# ---------------------------------------------------------------- expected or fault


def test_every_parvis_error_below_500_is_an_expected_outcome():
    assert {cls.__name__ for cls in logs.EXPECTED_ERRORS} == EXPECTED_NAMES
    for name in EXPECTED_NAMES:
        exc = errors.ERRORS[name]("said on purpose")
        assert errors.HTTP_STATUS[name] < 500
        assert logs.is_expected(exc), name
        assert logs.outcome_of(exc) == "expected"
        assert logs.level_for(exc) == logging.INFO


def test_5xx_and_unexpected_exceptions_are_faults():
    for exc in (errors.Unavailable("broker down"), RuntimeError("bug"), KeyError("x"), ValueError()):
        assert not logs.is_expected(exc)
        assert logs.outcome_of(exc) == "fault"
        assert logs.level_for(exc) == logging.ERROR
    assert logs.outcome_of(None) == "ok" and logs.level_for(None) == logging.INFO


# ---------------------------------------------------------------- request ids


@pytest.mark.parametrize("good", ["abcdefgh", "A1.b2-c3_d4", "x" * 64, "0123456789abcdef0123456789abcdef"])
def test_a_valid_request_id_is_kept(good):
    assert logs.valid_request_id(good) == good
    assert logs.request_id_from(good) == good


@pytest.mark.parametrize("bad", [None, "", "short", "x" * 65, "has space!", "semi;colon", "é" * 10, 12345678])
def test_an_invalid_request_id_is_replaced(bad):
    assert logs.valid_request_id(bad) is None
    made = logs.request_id_from(bad)
    assert made != bad and logs.valid_request_id(made) == made


def test_bound_fields_apply_until_unbound():
    assert logs.current_request_id() is None
    token = logs.bind(request_id="req-00000001", method="get_thing")
    try:
        assert logs.current_request_id() == "req-00000001"
        with logs.bound(caller="person"):
            assert logs.context() == {"request_id": "req-00000001", "method": "get_thing", "caller": "person"}
        assert "caller" not in logs.context()
    finally:
        logs.unbind(token)
    assert logs.context() == {} and logs.current_request_id() is None


# ---------------------------------------------------------------- formatters


def test_a_json_line_is_one_object_with_the_fields():
    line = logs.JsonFormatter(service="feed").format(
        record(request_id="req-00000001", method="get_post", caller="person", duration_ms=1.5, outcome="ok")
    )
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "hello world"
    assert data["level"] == "INFO" and data["logger"] == "parvis.test" and data["service"] == "feed"
    assert data["time"].endswith("+00:00") and "T" in data["time"]
    assert {k: data[k] for k in ("request_id", "method", "caller", "duration_ms", "outcome")} == {
        "request_id": "req-00000001",
        "method": "get_post",
        "caller": "person",
        "duration_ms": 1.5,
        "outcome": "ok",
    }
    assert "exc_info" not in data
    assert list(data)[:5] == ["time", "level", "logger", "message", "service"]


def test_a_json_error_line_carries_its_traceback_as_text():
    line = logs.JsonFormatter().format(record(level=logging.ERROR, exc_info=raised(RuntimeError("boom"))))
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "ERROR"
    assert data["exc_info"].startswith("Traceback (most recent call last)")
    assert "RuntimeError: boom" in data["exc_info"]


def test_a_json_line_takes_the_bound_context_and_a_record_field_wins():
    with logs.bound(request_id="req-bound-01", method="bound_method", service="identity"):
        data = json.loads(logs.JsonFormatter().format(record(method="own_method")))
    assert data["request_id"] == "req-bound-01"
    assert data["method"] == "own_method"
    assert data["service"] == "identity"
    # unknown values are left out, never null
    assert "caller" not in data and "duration_ms" not in data


def test_a_json_line_survives_values_json_does_not_know():
    data = json.loads(logs.JsonFormatter().format(record(msg="%s", args=(object(),), request_id=Path("/x"))))
    assert data["request_id"] == "/x"


def test_the_text_line_is_readable_with_its_fields_and_traceback():
    formatter = logs.TextFormatter(service="documents")
    line = formatter.format(record(request_id="req-00000001", outcome="NotFound"))
    assert " documents parvis.test INFO hello world request_id=req-00000001 outcome=NotFound" in line
    failed = formatter.format(record(level=logging.ERROR, exc_info=raised(RuntimeError("boom"))))
    assert "ERROR hello world" in failed and "\nTraceback" in failed and "RuntimeError: boom" in failed


def test_the_format_setting(monkeypatch):
    monkeypatch.delenv("PARVIS_LOG_FORMAT", raising=False)
    assert settings.default("PARVIS_LOG_FORMAT") == "json"
    assert logs.log_format() == "json"
    assert isinstance(logs.formatter(), logs.JsonFormatter)
    monkeypatch.setenv("PARVIS_LOG_FORMAT", "Text")
    assert logs.log_format() == "text"
    assert isinstance(logs.formatter(), logs.TextFormatter)
    monkeypatch.setenv("PARVIS_LOG_FORMAT", "xml")
    with pytest.raises(settings.SettingError, match="PARVIS_LOG_FORMAT"):
        logs.formatter()


def test_configure_puts_one_handler_on_the_root_logger():
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    try:
        logs.configure(service="feed", fmt="json", level="INFO", stream=stream)
        logs.configure(service="feed", fmt="json", level="INFO", stream=stream)  # again: still one
        assert len(root.handlers) == 1
        logging.getLogger("parvis.test").info("configured")
        logs.set_service("feed-renamed")
        logging.getLogger("parvis.test").debug("not at INFO")
        logging.getLogger("parvis.test").warning("renamed")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        logging.captureWarnings(False)
        logs.set_service(None)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["message"], line["service"]) for line in lines] == [
        ("configured", "feed"),
        ("renamed", "feed-renamed"),
    ]


def test_the_gunicorn_config_logs_json_lines(tmp_path):
    """deploy/gunicorn_conf.py's logconfig_dict, applied as gunicorn does (dictConfig)."""
    script = (
        "import logging, logging.config\n"
        "import deploy.gunicorn_conf as conf\n"
        "logging.config.dictConfig(conf.logconfig_dict)\n"
        "logging.getLogger('gateway.requests').info('GET /x 200', extra={'request_id': 'req-00000001'})\n"
        "logging.getLogger('gunicorn.error').info('Booting worker')\n"
        "logging.getLogger('gunicorn.access').info('an access line gunicorn would write')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PARVIS_CONTEXT_SECRET": "x" * 32, "PARVIS_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert [(line["logger"], line["message"], line["service"]) for line in lines] == [
        ("gateway.requests", "GET /x 200", "gateway"),
        ("gunicorn.error", "Booting worker", "gateway"),
    ]
    assert lines[0]["request_id"] == "req-00000001"


# ---------------------------------------------------------------- workers


class FakeService:
    pass


def worker(entrypoint, method, data=None, args=()):
    container = types.SimpleNamespace(config={}, service_name="things")
    entrypoint.method_name = method
    return WorkerContext(
        container, FakeService(), entrypoint, args=args, data=data if data is not None else {}
    )


def nameko_record(worker_ctx, exc, expected=False):
    msg = "(expected) error handling worker %s: %s" if expected else "error handling worker %s: %s"
    return record(
        msg=msg,
        args=(worker_ctx, exc),
        level=logging.WARNING if expected else logging.ERROR,
        exc_info=raised(exc),
        name="nameko.containers",
    )


def test_nameko_worker_error_of_an_expected_rpc_outcome_becomes_one_info_line(caplog):
    worker_ctx = worker(Rpc(), "get_thing", {logs.REQUEST_ID_KEY: "req-00000001"})
    caplog.set_level(logging.WARNING, logger="nameko.containers")
    # below the logger's level, the line it would become is not written
    assert logs.NamekoWorkerErrors().filter(nameko_record(worker_ctx, errors.NotFound())) is False
    caplog.set_level(logging.INFO, logger="nameko.containers")
    for expected in (False, True):
        rec = nameko_record(worker_ctx, errors.NotFound("No such thing."), expected=expected)
        assert logs.NamekoWorkerErrors().filter(rec) is True
        assert rec.levelno == logging.INFO and rec.levelname == "INFO"
        assert rec.exc_info is None and rec.exc_text is None
        assert rec.getMessage() == "things.get_thing answered NotFound: No such thing."
        assert (rec.request_id, rec.method, rec.outcome, rec.status) == (
            "req-00000001",
            "get_thing",
            "NotFound",
            404,
        )
        data = json.loads(logs.JsonFormatter().format(rec))
        assert "exc_info" not in data and data["level"] == "INFO"


def test_nameko_worker_error_of_a_fault_keeps_error_and_its_traceback():
    for exc in (RuntimeError("bug"), errors.Unavailable("down")):
        rec = nameko_record(worker(Rpc(), "get_thing"), exc)
        assert logs.NamekoWorkerErrors().filter(rec) is True
        assert rec.levelno == logging.ERROR and rec.exc_info is not None and rec.outcome == "fault"
        assert "Traceback" in json.loads(logs.JsonFormatter().format(rec))["exc_info"]


def test_an_event_handler_raising_an_expected_type_has_failed_all_the_same():
    rec = nameko_record(worker(EventHandler("src", "evt"), "on_evt", args=({"id": "e1"},)), errors.NotFound())
    assert logs.NamekoWorkerErrors().filter(rec) is True
    assert rec.levelno == logging.ERROR and rec.exc_info is not None
    assert rec.entrypoint == "event" and rec.event_id == "e1"


def test_nameko_line_is_dropped_when_worker_log_writes_the_worker_line():
    worker_ctx = worker(Rpc(), "get_thing")
    logs.WorkerLog().worker_setup(worker_ctx)
    assert logs.NamekoWorkerErrors().filter(nameko_record(worker_ctx, RuntimeError("bug"))) is False
    other = record(name="nameko.containers", msg="something else %s", args=(1,))
    assert logs.NamekoWorkerErrors().filter(other) is True


def _worker_line(caplog, worker_ctx, exc=None):
    worker_log = logs.WorkerLog()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="parvis.worker"):
        worker_log.worker_setup(worker_ctx)
        worker_log.worker_result(worker_ctx, None, raised(exc) if exc else None)
    logs._context.set(None)  # a worker's green thread ends; this test's thread goes on
    [line] = [r for r in caplog.records if r.name == "parvis.worker"]
    return line


def test_worker_log_writes_one_line_per_worker(caplog):
    token = ctx.sign(ctx.Caller(kind=ctx.KIND_PERSON, user_id="u-1"))
    data = {ctx.CONTEXT_KEY: token, logs.REQUEST_ID_KEY: "req-00000001"}

    ok = _worker_line(caplog, worker(Rpc(), "get_thing", dict(data)))
    assert ok.levelno == logging.INFO and ok.getMessage() == "things.get_thing ok"
    assert (ok.request_id, ok.method, ok.caller, ok.entrypoint, ok.outcome) == (
        "req-00000001",
        "get_thing",
        "person",
        "rpc",
        "ok",
    )
    assert isinstance(ok.duration_ms, float)

    expected = _worker_line(caplog, worker(Rpc(), "get_thing", dict(data)), errors.Forbidden("Not yours."))
    assert expected.levelno == logging.INFO and expected.exc_info is None
    assert expected.getMessage() == "things.get_thing answered Forbidden: Not yours."
    assert (expected.outcome, expected.status) == ("Forbidden", 403)

    fault = _worker_line(caplog, worker(Rpc(), "get_thing", dict(data)), KeyError("x"))
    assert fault.levelno == logging.ERROR and fault.exc_info is not None and fault.outcome == "fault"


def test_worker_log_gives_a_worker_without_request_id_a_new_one(caplog):
    data = {}
    line = _worker_line(caplog, worker(Rpc(), "get_thing", data))
    assert logs.valid_request_id(line.request_id) and data[logs.REQUEST_ID_KEY] == line.request_id
    assert not hasattr(line, "caller") or line.caller is None


def test_worker_log_names_the_event_of_a_handler(caplog):
    body = {"id": "evt-1", "type": "feed.post_created", "data": {}, "sig": "..."}
    line = _worker_line(caplog, worker(EventHandler("feed", "post_created"), "on_post", args=(body,)))
    assert (line.entrypoint, line.event, line.event_id) == ("event", "feed.post_created", "evt-1")


def test_annotate_adds_to_a_bound_line_only():
    logs.annotate(outcome="duplicate")
    assert logs.context() == {}
    with logs.bound(request_id="req-00000001"):
        logs.annotate(outcome="duplicate")
        assert logs.context() == {"request_id": "req-00000001", "outcome": "duplicate"}
    assert logs.context() == {}
