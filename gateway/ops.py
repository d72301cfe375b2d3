"""Operations endpoints: ``/healthz``, ``/livez``, ``/readyz`` and ``/metrics``.

* ``/livez``: the process answers HTTP (a container platform's liveness probe);
* ``/readyz``: and it reaches the message broker, without which it can serve
  nothing but errors (readiness: take this gateway out of rotation otherwise);
* ``/healthz``: the whole platform, every service in parallel (for people and
  dashboards; not a probe, or one slow service would empty every gateway).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, jsonify
from kombu import Connection

from parvis_contracts.context import anonymous_caller
from parvis_contracts.plugins import service_names

from . import metrics, rpc
from .errors import map_exception

ops = Blueprint("ops", __name__)


def broker_check(amqp_uri: str, timeout: float = 3.0) -> dict:
    started = time.perf_counter()
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
        return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as exc:  # report, never raise: health must answer
        return {"status": "error", "error": type(exc).__name__}


def _service_result(value) -> dict:
    if isinstance(value, BaseException):
        mapped = map_exception(value)
        return {"status": "error", "error": mapped.code, "message": mapped.message}
    if not isinstance(value, dict):
        return {"status": "error", "error": "bad_answer"}
    report = dict(value)
    report.setdefault("status", "ok")
    return report


@ops.route("/healthz")
def healthz():
    client = rpc.client()
    broker = broker_check(
        client.config["AMQP_URI"], timeout=float(current_app.config.get("HEALTH_BROKER_TIMEOUT", 3))
    )
    installed = service_names()
    if broker["status"] == "ok":
        results = rpc.call_parallel(
            {name: (name, "health", {}) for name in installed}, token=anonymous_caller()
        )
        services = {name: _service_result(results.get(name)) for name in installed}
    else:  # no service can answer without the broker: don't wait for each to fail
        services = {
            name: {
                "status": "error",
                "error": "unavailable",
                "message": "The message broker cannot be reached.",
            }
            for name in installed
        }
    healthy = broker["status"] == "ok" and all(s["status"] == "ok" for s in services.values())
    body = {"status": "ok" if healthy else "degraded", "broker": broker, "services": services}
    return _no_store(body, 200 if healthy else 503)


def _no_store(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@ops.route("/livez")
def livez():
    return _no_store({"status": "ok"}, 200)


@ops.route("/readyz")
def readyz():
    broker = broker_check(
        rpc.client().config["AMQP_URI"], timeout=float(current_app.config.get("HEALTH_BROKER_TIMEOUT", 3))
    )
    healthy = broker["status"] == "ok"
    return _no_store(
        {"status": "ok" if healthy else "unavailable", "broker": broker}, 200 if healthy else 503
    )


@ops.route("/metrics")
def metrics_endpoint():
    data, content_type = metrics.exposition()
    return Response(data, content_type=content_type)
