"""The answer of every service's ``health`` RPC."""

from __future__ import annotations

import os
import socket

from sqlalchemy import text

from .logs import WorkerLog


def health_report(service: str, session) -> dict:
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, don't raise: health must answer
        database = f"error: {type(exc).__name__}"
    return {
        "service": service,
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "dialect": session.get_bind().dialect.name,
        "instance": f"{socket.gethostname()}:{os.getpid()}",
    }


class PlatformEntrypoints:
    """Entrypoints every Parvis service has; a service class inherits them.

    The service must define ``name``, ``db`` (a ``Database``) and ``caller``
    (a ``CurrentCaller``). It also inherits ``worker_log``: one log line per worker,
    with its request id (:class:`parvis_contracts.logs.WorkerLog`).
    """

    from .entrypoints import rpc as _rpc

    worker_log = WorkerLog()

    @_rpc(anonymous=True)
    def health(self):
        return health_report(self.name, self.db)

    @_rpc
    def whoami(self):
        """The verified caller as this service sees it (proves context propagation)."""
        return self.caller.describe()

    del _rpc
