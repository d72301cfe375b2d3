"""The live hub: the bell's unread count pushed to open pages, as server-sent events.

A process of its own (``python -m gateway.live``; ``./parvis run`` starts it beside the
gateway), never a gunicorn worker thread: a page holds its stream for as long as it is open,
and the gateway's threads are for requests that end. It is eventlet: each stream a green
thread, a few green threads for its RPCs (:mod:`gateway.live.hub`), the HTTP side in
:mod:`gateway.live.server`.

    GET /live/notifications     the person of the session cookie; ``text/event-stream``:
                                ``retry: 2000``, ``event: unread`` ``data: {"unread": n}`` at
                                once and at every change, a comment every 15 s;
                                401 without a session that holds

The count comes from ``notifications.unread_count`` asked as the person; a change comes
from ``notifications.unread_changed`` (the notifications service names whose count may have
changed), heard on a queue of the hub process's own. The hub imports no service's code.

This module is what the gateway's pages need of the hub (the stream's address, and its
origin for the CSP): it imports neither eventlet nor the hub, the Flask app imports it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from parvis_contracts import settings

#: the stream of the bell, on the hub
PATH = "/live/notifications"
#: ``PARVIS_LIVE_URL=off``: no live count (each page load still counts)
OFF = "off"


def stream_url(page_host: str, secure: bool) -> str | None:
    """The address of the stream for a page served at ``page_host`` (``host[:port]``).

    ``PARVIS_LIVE_URL`` when set (production: the public address, a proxy routing
    ``/live/`` to the hub); otherwise the page's host at ``PARVIS_LIVE_PORT`` over plain
    HTTP, which only a plain-HTTP page may use (a browser blocks it from an HTTPS page):
    None then, and for ``off``.
    """
    configured = settings.value("PARVIS_LIVE_URL")
    if configured:
        configured = configured.strip()
        return None if configured.lower() == OFF else configured.rstrip("/") + PATH
    if secure:
        return None
    hostname = urlsplit(f"//{page_host}").hostname
    if not hostname:
        return None
    if ":" in hostname:
        hostname = f"[{hostname}]"
    return f"http://{hostname}:{settings.value('PARVIS_LIVE_PORT')}{PATH}"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, as a CSP source names it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def for_this_request() -> str | None:
    """:func:`stream_url` for the page the gateway is answering (Flask's request)."""
    from flask import current_app, request  # only the gateway's app asks this

    public_url = current_app.config.get("PUBLIC_URL") or ""
    return stream_url(request.host, request.is_secure or public_url.startswith("https://"))
