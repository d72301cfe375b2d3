"""The gateway's app factory.

    gunicorn --worker-class gthread --workers 2 --threads 4 'gateway.app:create_app()'

Configuration comes from the environment through ``parvis_contracts.config``
(``PARVIS_PUBLIC_URL``, ``PARVIS_COOKIE_SECURE``, ``PARVIS_RPC_TIMEOUT``,
``PARVIS_GATEWAY_MAX_BODY`` ...); ``config`` overrides it (tests pass
``{"RPC_CLIENT": rpc, "TESTING": True}``, and may inject ``BLOB_STORE``, the
content-addressed store of profile photos, else ``PARVIS_BLOB_DIR``).

Every answer carries ``X-Request-Id`` (the client's, when valid, else a new one); the
same id goes with every RPC of the request and is logged by the gateway and the
services (``parvis_contracts.logs``). Logging itself is set up by gunicorn's config
(``deploy/gunicorn_conf.py``: ``PARVIS_LOG_FORMAT`` lines).
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import Flask, g, request
from flask_babel import Babel

from parvis_contracts import logs, settings
from parvis_contracts.client import RpcClient
from parvis_contracts.config import context_secret

from . import auth, handlers, i18n, live, metrics, rpc, security
from .calls.identity import init_identity_memory

log = logging.getLogger(__name__)
#: one line per request: method, route, status, duration, request id, caller kind
request_log = logging.getLogger("gateway.requests")
#: asked by probes and Prometheus, not people
MACHINE_ENDPOINTS = frozenset({"ops.healthz", "ops.livez", "ops.readyz", "ops.metrics_endpoint"})


def _locale_selector():
    principal = g.get("principal") or {}
    return i18n.select_locale(
        query=request.args.get("lang"),
        cookie=request.cookies.get(auth.LANG_COOKIE),
        preferred=principal.get("preferred_language"),
        accept_best=request.accept_languages.best_match(i18n.LANGUAGES),
    )


def _start_request():
    """The request's clock and id: a valid ``X-Request-Id`` it brought, else a new one.

    Bound to the request's thread, so every line the gateway logs for it and every RPC
    it makes (``RpcClient``) carry it; answered in ``X-Request-Id``.
    """
    g.started = time.perf_counter()
    g.request_id = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
    g.log_token = logs.bind(request_id=g.request_id, method=request.endpoint, http_method=request.method)


def _log_request(response):
    """``X-Request-Id`` on every answer, and one line per request."""
    request_id = g.get("request_id") or logs.request_id_from(None)
    response.headers[logs.REQUEST_ID_HEADER] = request_id
    started = g.get("started")
    status = response.status_code
    fields = {
        "request_id": request_id,
        "method": request.endpoint,
        "http_method": request.method,
        "status": status,
        "caller": "person" if g.get("principal") else "anonymous",
        "code": g.get("error_code"),
        **handlers.route_fields(),
    }
    if started is not None:
        fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    # a 5xx is logged as the fault it is by the error handler; this line only counts it.
    # Probes and scrapes answered well come every few seconds: DEBUG
    if status >= 500:
        level = logging.WARNING
    elif request.endpoint in MACHINE_ENDPOINTS and status < 400:
        level = logging.DEBUG
    else:
        level = logging.INFO
    request_log.log(level, "%s %s %s", request.method, handlers.where(), status, extra=fields)
    return response


def _end_request(_exc=None):
    token = g.pop("log_token", None)
    if token is not None:
        logs.unbind(token)


def _observe(response):
    endpoint = request.endpoint or ("unknown" if response.status_code == 404 else "none")
    metrics.REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    started = g.get("started")
    if started is not None:
        metrics.LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - started)
    return response


def _security_headers(response):
    stream = live.for_this_request()
    if stream and live.origin(stream) != live.origin(request.host_url):
        # the bell's script may reach the live hub, and nothing else beyond this origin
        policy = security.content_security_policy(connect=(live.origin(stream),))
        response.headers.setdefault("Content-Security-Policy", policy)
    for name, value in security.SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/") or response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder="static", template_folder="templates")
    secret = context_secret()
    app.config.update(
        # Flask's own signing key (flash messages) is derived, never stored
        SECRET_KEY=hashlib.sha256(b"parvis-gateway-flask:" + secret).hexdigest(),
        PARVIS_SECRET=secret,
        PUBLIC_URL=settings.value("PARVIS_PUBLIC_URL"),
        MAX_CONTENT_LENGTH=settings.value("PARVIS_GATEWAY_MAX_BODY"),
        SESSION_COOKIE_NAME="parvis_flash",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
        API_TITLE="Parvis API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT_LANGUAGE,
        BABEL_TRANSLATION_DIRECTORIES=str(i18n.TRANSLATIONS_DIR),
        DIRECTORY_PAGE_SIZE=20,
    )
    if config:
        app.config.update(config)
    if settings.value("PARVIS_COOKIE_SECURE") or (app.config.get("PUBLIC_URL") or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True

    client = app.config.get("RPC_CLIENT") or RpcClient()
    app.extensions[rpc.EXTENSION] = client
    init_identity_memory(app, client)

    if i18n.stale_catalogs():
        compiled = i18n.compile_catalogs()
        log.info("compiled %d translation catalogues", len(compiled))
    Babel(app, locale_selector=_locale_selector)

    from .files.photos import init_photos, prepare_upload

    init_photos(app)

    app.before_request(_start_request)
    app.before_request(prepare_upload)  # an upload's own size limit, before any form parsing
    app.before_request(auth.authenticate)
    app.after_request(_log_request)  # registered first, so it runs last
    app.teardown_request(_end_request)
    app.after_request(auth.finish)
    app.after_request(_security_headers)
    app.after_request(_observe)

    from .api import init_api
    from .ops import ops
    from .web import init_web

    init_api(app)
    app.register_blueprint(ops)
    init_web(app)
    handlers.register(app)
    return app
