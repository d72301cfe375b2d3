"""Configuration from environment variables, with working defaults.

The settings themselves (name, type, default, meaning) are declared once, in
:mod:`parvis_contracts.settings` (``docs/configuration.md`` documents the same names);
the functions here are the typed shortcuts the rest of the code has always imported.
"""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

from . import settings


def env(name: str, default: str | None = None) -> str | None:
    """The text of any variable, ``default`` when unset or empty (prefer ``settings.value``)."""
    value = settings.raw(name)
    return value if value is not None else default


def env_int(name: str, default: int) -> int:
    """``env`` as an int; a malformed value raises a ValueError naming the variable."""
    value = settings.raw(name)
    return default if value is None else settings.convert(name, settings.INT, value)


def env_bool(name: str, default: bool) -> bool:
    """True for 1/true/yes/on (any case), False for any other non-empty value."""
    value = settings.raw(name)
    return default if value is None else value.lower() in settings.TRUE


def var_dir() -> Path:
    """Where embedded state lives (SQLite files, blobs, generated secrets)."""
    path = settings.value("PARVIS_VAR_DIR")
    path.mkdir(parents=True, exist_ok=True)
    return path


def blob_dir() -> Path:
    """Root of the local content-addressed blob store (``PARVIS_BLOB_DIR``)."""
    path = settings.value("PARVIS_BLOB_DIR")
    path.mkdir(parents=True, exist_ok=True)
    return path


def amqp_uri() -> str:
    return settings.value("PARVIS_AMQP_URI")


def db_url(service: str) -> str:
    """``PARVIS_<SERVICE>_DB_URL`` or an SQLite file per service under the var dir."""
    name = f"PARVIS_{service.upper()}_DB_URL"
    if not settings.is_set(name):
        var_dir()  # the directory of the SQLite file
    return settings.value(name)


def context_secret() -> bytes:
    """The platform secret (cached: it is read on every RPC)."""
    return _context_secret(settings.value("PARVIS_CONTEXT_SECRET"), settings.value("PARVIS_VAR_DIR"))


@functools.lru_cache(maxsize=8)
def _context_secret(value: str | None, _var_dir: Path) -> bytes:
    """The key that signs caller contexts and event envelopes.

    ``PARVIS_CONTEXT_SECRET`` in production (from a Kubernetes Secret). On a
    laptop the launcher generates one into the var dir, readable by its owner
    only; the repository never holds a secret.
    """
    if value:
        return value.encode()
    path = var_dir() / "context-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def max_workers(service: str | None = None) -> int:
    """``PARVIS_<SERVICE>_MAX_WORKERS``, else ``PARVIS_MAX_WORKERS``, else the default of the
    service's plug-in declaration (10 unless it says otherwise; translation: 4).

    nameko also takes it as the RPC prefetch count: a saturated replica leaves the
    rest of its queue to the other replicas.
    """
    if service:
        return settings.value(f"PARVIS_{service.upper()}_MAX_WORKERS")
    return settings.value("PARVIS_MAX_WORKERS")


def nameko_config(service: str | None = None) -> dict:
    """The nameko configuration of a service process (``service`` given) or of an RPC client."""
    return {
        "AMQP_URI": amqp_uri(),
        "max_workers": max_workers(service),
        "parent_calls_tracked": 10,
        # a silent broker link is dropped after two missed intervals: 8 s notices it
        # within 20 s (py-amqp checks about once a second)
        "HEARTBEAT": settings.value("PARVIS_AMQP_HEARTBEAT"),
        "PREFETCH_COUNT": settings.value("PARVIS_PREFETCH_COUNT"),
    }
