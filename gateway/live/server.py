"""The live hub's HTTP side: an eventlet WSGI server (``python -m gateway.live``).

    GET     /live/notifications   the bell's stream (see :mod:`gateway.live`)
    OPTIONS /live/notifications   the CORS preflight
    GET     /livez                the process answers
    GET     /readyz               200 while the hub hears the events (503: counts only polled)
    GET     /metrics              Prometheus: streams open, refused, counts sent

**Who.** The gateway's session cookie (``parvis_session``), or ``Authorization: Bearer``,
resolved by ``identity.resolve_session`` with the signed anonymous context, as the gateway
resolves it (``touch=False``: an open page is not activity, the idle timeout holds); the
count is asked as the person, with the request context the gateway signs
(:func:`gateway.auth.caller_for`). No session that holds: 401.

**Where from.** The page is the gateway's, served on another port (or host): the hub answers
CORS with credentials for the gateway's origins only (``PARVIS_PUBLIC_URL``'s, and the
request's host at ``PARVIS_PORT``, the gateway's own); a request from any other origin is
refused (403) before anything is asked.

**How much.** ``PARVIS_LIVE_MAX_STREAMS`` streams per process and
``PARVIS_LIVE_MAX_STREAMS_PER_PERSON`` per person; beyond, and while identity is not
answering, the hub answers a stream that only says ``retry`` (a minute, give or take): the
browser comes back by itself (an error status would make ``EventSource`` give up for good;
the count stays right at each page load). SIGTERM: the hub stops accepting, ends every
stream (browsers reconnect within 2 s, to another hub or to this one restarted) and exits.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import signal
import socket
import sys
from urllib.parse import urlsplit

import eventlet
import eventlet.wsgi
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.http import parse_cookie

from parvis_contracts import config, logs, settings
from parvis_contracts.client import RpcClient
from parvis_contracts.errors import ParvisError
from parvis_contracts.plugins import PluginError

from .. import security
from ..auth import SESSION_COOKIE
from . import PATH
from .hub import NOT_ANSWERING, REFUSED, REGISTRY, Calls, Hub, Listener, Stream, unread_event

log = logging.getLogger("gateway.live")

#: connections beyond the streams (probes, refusals, preflights) the server accepts at once
SPARE_CONNECTIONS = 64
#: a client that sends its request this slowly, or stops reading its stream, is dropped
SOCKET_TIMEOUT = 30.0
#: what a browser is told to wait before it comes back, when the hub cannot hold its stream now
LATER_MS = 60_000
#: seconds SIGTERM gives the streams to end
STOP_GRACE = 5.0

EVENT_STREAM = [
    ("Content-Type", "text/event-stream; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("X-Accel-Buffering", "no"),  # nginx: do not buffer the stream
    ("X-Content-Type-Options", "nosniff"),
]


def bind_host(bind: str) -> str:
    """The host of ``PARVIS_BIND`` (``host``, ``host:port`` or ``[v6]:port``)."""
    if bind.startswith("["):
        return bind[1 : bind.index("]")]
    if bind.count(":") == 1:
        return bind.rpartition(":")[0]
    return bind


class _Body:
    """A stream's response body: its frames; the hub's seat given back however it ends
    (even if the server never starts reading it)."""

    def __init__(self, hub: Hub, stream: Stream):
        self._hub, self._stream = hub, stream
        self._frames = hub.run(stream)

    def __iter__(self):
        return self._frames

    def close(self) -> None:
        self._frames.close()
        self._hub.leave(self._stream)


class LiveApp:
    """The WSGI application."""

    def __init__(self, hub: Hub, listener: Listener, gateway_port: int, public_url: str | None):
        self.hub = hub
        self.listener = listener
        self.gateway_port = gateway_port
        self.public_url = public_url

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == PATH:
            return self.notifications(environ, start_response, method)
        if method != "GET":
            return self._json(start_response, 405, "method_not_allowed", "Only GET here.")
        if path == "/livez":
            return self._plain(start_response, "200 OK", b"ok\n")
        if path == "/readyz":
            if self.listener.live:
                return self._plain(start_response, "200 OK", b"ready\n")
            return self._plain(start_response, "503 Service Unavailable", b"events not heard\n")
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest(REGISTRY)]
        return self._json(start_response, 404, "not_found", "Nothing here.")

    # --- the stream -----------------------------------------------------------------

    def notifications(self, environ, start_response, method: str):
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self.origin_allowed(origin, environ.get("HTTP_HOST") or ""):
            REFUSED.labels("origin").inc()
            return self._json(start_response, 403, "forbidden", "Cross-site request refused.")
        cors = self.cors_headers(origin)
        if method == "OPTIONS":
            start_response(
                "204 No Content",
                cors
                + [
                    ("Access-Control-Allow-Methods", "GET"),
                    ("Access-Control-Allow-Headers", "Last-Event-ID, Cache-Control"),
                    ("Access-Control-Max-Age", "600"),
                ],
            )
            return []
        if method != "GET":
            return self._json(start_response, 405, "method_not_allowed", "Only GET here.", cors)
        token = self.session_token(environ)
        if not token:
            REFUSED.labels("unauthenticated").inc()
            return self._json(start_response, 401, "unauthenticated", "Sign in first.", cors)
        if self.hub.full():
            REFUSED.labels("busy").inc()
            return self._later(start_response, cors)
        try:
            resolved = self.hub.resolve(token)
        except NOT_ANSWERING:
            REFUSED.labels("unavailable").inc()
            return self._later(start_response, cors)
        except ParvisError:  # Unauthenticated, or a token identity refuses to read
            REFUSED.labels("unauthenticated").inc()
            return self._json(start_response, 401, "unauthenticated", "Sign in first.", cors)
        stream = Stream(token, resolved)
        if not self.hub.admit(stream):
            REFUSED.labels("busy" if self.hub.full() else "person_cap").inc()
            return self._later(start_response, cors)
        environ["eventlet.minimum_write_chunk_size"] = 0  # every frame as it is made
        start_response("200 OK", EVENT_STREAM + cors)
        return _Body(self.hub, stream)

    @staticmethod
    def session_token(environ) -> str | None:
        token = security.bearer_token(environ.get("HTTP_AUTHORIZATION"))
        if token:
            return token
        return parse_cookie(environ.get("HTTP_COOKIE") or "").get(SESSION_COOKIE) or None

    def origin_allowed(self, origin: str, host: str) -> bool:
        """The gateway's origins: ``PARVIS_PUBLIC_URL``'s, and this host at the gateway's port
        (a cookie is the host's whatever the port: the page that sends it is the gateway's)."""
        hostname = urlsplit(f"//{host}").hostname
        if hostname and ":" in hostname:
            hostname = f"[{hostname}]"
        own = f"http://{hostname}:{self.gateway_port}" if hostname else None
        if own is None and not self.public_url:
            return False
        return security.origin_allowed(origin, own or self.public_url, self.public_url)

    @staticmethod
    def cors_headers(origin: str | None) -> list[tuple[str, str]]:
        headers = [("Vary", "Origin")]
        if origin is not None:  # checked by the caller
            headers += [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
        return headers

    # --- answers --------------------------------------------------------------------

    @staticmethod
    def _later(start_response, cors):
        """A stream that only tells the browser when to come back (a minute, give or take:
        spread, so that browsers turned away together do not come back together)."""
        retry = int(LATER_MS * random.uniform(0.75, 1.25))  # nosec B311
        start_response("200 OK", EVENT_STREAM + cors)
        return [f"retry: {retry}\n\n: busy\n\n".encode()]

    @staticmethod
    def _plain(start_response, status: str, body: bytes):
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")])
        return [body]

    @staticmethod
    def _json(start_response, status: int, code: str, message: str, headers=()):
        """The platform's one error shape."""
        body = json.dumps(
            {"error": {"status": status, "code": code, "message": message, "details": {}}}
        ).encode()
        reason = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}
        start_response(
            f"{status} {reason[status]}",
            [("Content-Type", "application/json"), ("Cache-Control", "no-store"), *headers],
        )
        return [body]


# --- the process ------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.live", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=None, help="address to listen on (default: PARVIS_BIND's host)")
    parser.add_argument("--port", type=int, default=None, help="port (default: PARVIS_LIVE_PORT)")
    args = parser.parse_args(argv)
    logs.configure("live")
    host = args.host or bind_host(settings.value("PARVIS_BIND"))
    port = args.port or settings.value("PARVIS_LIVE_PORT")
    try:
        unread = unread_event()
    except PluginError as exc:
        log.error("%s", exc)
        return 2
    max_streams = settings.value("PARVIS_LIVE_MAX_STREAMS")
    calls = Calls(RpcClient())
    hub = Hub(
        calls,
        max_streams=max_streams,
        max_per_person=settings.value("PARVIS_LIVE_MAX_STREAMS_PER_PERSON"),
        check_seconds=settings.value("PARVIS_LIVE_SESSION_CHECK_SECONDS"),
    )
    listener = Listener(config.amqp_uri(), hub, unread, heartbeat=settings.value("PARVIS_AMQP_HEARTBEAT"))
    listener.start()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = eventlet.listen((host, port), family=family)
    app = LiveApp(hub, listener, settings.value("PARVIS_PORT"), settings.value("PARVIS_PUBLIC_URL"))
    server = eventlet.spawn(
        eventlet.wsgi.server,
        sock,
        app,
        log=logging.getLogger("gateway.live.access"),
        max_size=max_streams + SPARE_CONNECTIONS,
        minimum_chunk_size=0,
        keepalive=False,  # a stream is its connection's only request
        debug=False,  # never a traceback to a client
        socket_timeout=SOCKET_TIMEOUT,
    )
    stopping = eventlet.Event()

    def _stop(signum, _frame):
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("live hub on %s:%s (at most %s streams)", host, port, max_streams)
    while not stopping.ready() and not server.dead:
        eventlet.sleep(0.2)
    log.info("live hub stopping: %s streams to end", hub.open)
    hub.close_all()
    listener.stop()
    server.kill()  # no new connection; the open ones end as their streams do
    with eventlet.Timeout(STOP_GRACE, False):
        while hub.open:
            eventlet.sleep(0.05)
    with eventlet.Timeout(STOP_GRACE, False):  # a broker that does not answer is not waited for
        calls.stop()
    log.info("live hub stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
