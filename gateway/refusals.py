"""Refused requests (401, 403) go to identity's audit log, without slowing any request.

The error handler calls :func:`note` (a dictionary update under a lock). A
background thread of the gateway process sends what accumulated every
``FLUSH_SECONDS`` in one RPC, ``identity.record_refusals``, as the system. The thread
starts at the first refusal and then lives as long as the process (one per process: it
keeps its own RPC connection, which a thread per burst would leak).

What is sent names the route's *rule* (``/api/v1/communities/<community_id>``, never
the concrete path, so no invitation token or other value of the URL reaches the
log), the method, the status, the client IP, the signed-in person if any and the
refusal's reason (``csrf``, ``origin``) when it has one. Equal refusals are counted,
not repeated; at most ``MAX_KEYS`` distinct ones are held between two sends (the rest
add to one overflow entry), and a send that fails is dropped (logged), so memory stays
bounded whatever the traffic. identity aggregates again per minute (see
``services/identity/audit.py``).
"""

from __future__ import annotations

import logging
import threading

from flask import current_app, g, request

from parvis_contracts.context import system_caller

log = logging.getLogger(__name__)

EXTENSION = "parvis_refusals"
FLUSH_SECONDS = 5.0
MAX_KEYS = 500
STATUSES = (401, 403)


class RefusalRecorder:
    def __init__(self, client, interval: float = FLUSH_SECONDS, max_keys: int = MAX_KEYS):
        self.client = client
        self.interval = interval
        self.max_keys = max_keys
        self.pending: dict[tuple, int] = {}
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.sent = 0
        self.failed = 0

    def note(self, ip, user_id, method, route, status, reason=None) -> None:
        key = (ip, user_id, method, route, status, reason)
        with self.lock:
            if key not in self.pending and len(self.pending) >= self.max_keys:
                key = (None, None, "*", "*", status, "overflow")
            self.pending[key] = self.pending.get(key, 0) + 1
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="parvis-refusals", daemon=True)
                self.thread.start()

    def _take(self) -> list[dict]:
        with self.lock:
            pending, self.pending = self.pending, {}
        return [
            {
                "ip": ip,
                "user_id": user_id,
                "method": method,
                "route": route,
                "status": status,
                "reason": reason,
                "count": min(count, 1_000_000),
            }
            for (ip, user_id, method, route, status, reason), count in pending.items()
        ]

    def flush(self) -> int:
        """Send what accumulated now; return how many refusals were sent."""
        batch = self._take()
        if not batch:
            return 0
        try:
            self.client.call("identity", "record_refusals", system_caller(), refusals=batch)
        except Exception as exc:  # identity away: the batch is dropped, requests unaffected
            self.failed += 1
            log.warning("refused requests not recorded in the audit log (%s: %s)", type(exc).__name__, exc)
            return 0
        sent = sum(item["count"] for item in batch)
        self.sent += sent
        return sent

    def _run(self) -> None:
        tick = threading.Event()
        while True:
            tick.wait(self.interval)
            try:
                self.flush()
            except Exception:  # pragma: no cover - flush already catches the RPC's failures
                log.exception("refused requests: send failed")


def recorder(app=None) -> RefusalRecorder:
    app = app or current_app
    found = app.extensions.get(EXTENSION)
    if found is None:
        from .rpc import EXTENSION as RPC

        found = app.extensions.setdefault(EXTENSION, RefusalRecorder(app.extensions[RPC]))
    return found


def note(status: int, details=None) -> None:
    """Called by the error handler for every answer it gives (only 401/403 count)."""
    if status not in STATUSES:
        return
    try:
        rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
        principal = g.get("principal") or {}
        reason = details.get("reason") if isinstance(details, dict) else None
        recorder().note(
            request.remote_addr,
            principal.get("id"),
            request.method,
            rule[:300],
            status,
            str(reason)[:40] if reason else None,
        )
    except Exception:  # never let the audit trail break an answer
        log.exception("could not note a refused request")
