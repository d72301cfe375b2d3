"""Error handlers: one JSON shape for the API, a friendly translated page for the UI."""

from __future__ import annotations

import logging

from flask import g, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from . import refusals
from .auth import is_api_request
from .errors import map_exception

log = logging.getLogger(__name__)


def wants_json() -> bool:
    if is_api_request() or request.path in ("/healthz", "/metrics"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def route_fields() -> dict:
    """Where the request went, for a log line: its route, not its path (a path may hold a
    secret, an invitation token, or a person's id); an unknown route's path, shortened."""
    rule = request.url_rule
    if rule is not None:
        return {"route": rule.rule}
    return {"path": request.path[:200]}


def where() -> str:
    fields = route_fields()
    return fields.get("route") or fields["path"]


def handle_error(exc):
    mapped = map_exception(exc)
    refusals.note(mapped.status, mapped.details)  # 401/403 to the audit log, batched
    g.error_code = mapped.code  # on the request's line (gateway.app)
    # an answer below 500 (404, 403, 422...) is an expected outcome: the request's INFO
    # line says it. A 5xx is a fault: ERROR, with its traceback.
    if mapped.status >= 500 and mapped.code == "internal_error":
        log.error("unhandled error on %s %s", request.method, where(), exc_info=exc)
    elif mapped.status >= 500:
        log.error("%s on %s %s: %s", mapped.code, request.method, where(), exc, exc_info=exc)

    if wants_json():
        response = jsonify(mapped.body())
        response.status_code = mapped.status
        if mapped.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="parvis"'
        for name, value in mapped.headers.items():
            response.headers[name] = value
        return response

    if mapped.status == 401:
        # the session is gone: clear the cookie and go to the sign-in page
        g.clear_session_cookie = True
        target = request.full_path if request.method == "GET" else None
        if target and target.endswith("?"):
            target = target[:-1]
        return redirect(
            url_for("web.sign_in", next=target) if target and target != "/" else url_for("web.sign_in")
        )

    try:
        body = render_template("error.html", error=mapped)
    except Exception:  # the error page itself failed: still answer, plainly
        log.exception("error page failed to render")
        body = f"<!doctype html><title>{mapped.status}</title><h1>{mapped.status}</h1>"
    return body, mapped.status, mapped.headers


def register(app) -> None:
    app.register_error_handler(HTTPException, handle_error)
    app.register_error_handler(Exception, handle_error)
