"""The answer of every service's ``health`` RPC."""
from __future__ import annotations

import os
import socket

from sqlalchemy import text


def health_report(service: str, session) -> dict:
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, don't raise: health must answer
        database = f"error: {type(exc).__name__}"
    return {"service": service, "status": "ok" if database == "ok" else "degraded",
            "database": database, "dialect": session.get_bind().dialect.name,
            "instance": f"{socket.gethostname()}:{os.getpid()}"}
