"""Configuration from environment variables, with working defaults.

Every setting of the platform is read here so that one page lists them all
(``docs/configuration.md`` documents the same names).
"""
from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

SERVICES = ("identity", "communities", "feed", "documents", "translation")


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_bool(name: str, default: bool) -> bool:
    return (env(name, "1" if default else "0") or "").lower() in ("1", "true", "yes", "on")


def var_dir() -> Path:
    """Where embedded state lives (SQLite files, blobs, generated secrets)."""
    path = Path(env("PARVIS_VAR_DIR", str(Path.cwd() / "var")))
    path.mkdir(parents=True, exist_ok=True)
    return path


def blob_dir() -> Path:
    """Root of the local content-addressed blob store (``PARVIS_BLOB_DIR``)."""
    explicit = env("PARVIS_BLOB_DIR")
    path = Path(explicit) if explicit else var_dir() / "blobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def amqp_uri() -> str:
    return env("PARVIS_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


def db_url(service: str) -> str:
    """``PARVIS_<SERVICE>_DB_URL`` or an SQLite file per service under the var dir."""
    explicit = env(f"PARVIS_{service.upper()}_DB_URL")
    if explicit:
        return explicit
    return f"sqlite:///{var_dir() / (service + '.db')}"


def context_secret() -> bytes:
    """The platform secret (cached: it is read on every RPC)."""
    return _context_secret(env("PARVIS_CONTEXT_SECRET"), env("PARVIS_VAR_DIR"))


@functools.lru_cache(maxsize=8)
def _context_secret(value: str | None, _var_dir: str | None) -> bytes:
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


#: services whose worker limit differs from PARVIS_MAX_WORKERS's default: a translation
#: worker holds an engine call for tens of milliseconds to seconds (see docs/services/translation.md)
DEFAULT_MAX_WORKERS = {"translation": 4}


def max_workers(service: str | None = None) -> int:
    """``PARVIS_<SERVICE>_MAX_WORKERS``, else ``PARVIS_MAX_WORKERS``, else the default (10).

    nameko also takes it as the RPC prefetch count: a saturated replica leaves the
    rest of its queue to the other replicas.
    """
    default = env_int("PARVIS_MAX_WORKERS", DEFAULT_MAX_WORKERS.get(service or "", 10))
    if service:
        return env_int(f"PARVIS_{service.upper()}_MAX_WORKERS", default)
    return default


def nameko_config(service: str | None = None) -> dict:
    """The nameko configuration of a service process (``service`` given) or of an RPC client."""
    return {
        "AMQP_URI": amqp_uri(),
        "max_workers": max_workers(service),
        "parent_calls_tracked": 10,
        # a silent broker link is dropped after two missed intervals: 8 s notices it
        # within 20 s (py-amqp checks about once a second)
        "HEARTBEAT": env_int("PARVIS_AMQP_HEARTBEAT", 8),
        "PREFETCH_COUNT": env_int("PARVIS_PREFETCH_COUNT", 10),
    }
