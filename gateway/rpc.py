"""RPC from request handlers: the app's one ``RpcClient``, the request's caller context."""

from __future__ import annotations

from flask import current_app, g

from parvis_contracts.client import RpcClient
from parvis_contracts.context import anonymous_caller

from .metrics import RPC_CALLS, RPC_ERRORS

EXTENSION = "parvis_rpc"


def client() -> RpcClient:
    return current_app.extensions[EXTENSION]


def _token() -> str:
    token = g.get("caller_token")
    if token:
        return token
    return anonymous_caller(lang=g.get("lang"))


def _record(service: str, method: str, exc: BaseException) -> None:
    RPC_ERRORS.labels(service, method, type(exc).__name__).inc()


def call(service: str, method: str, /, **kwargs):
    """Call as the request's caller (the signed-in person, else anonymous)."""
    return call_as(_token(), service, method, **kwargs)


def call_anonymous(service: str, method: str, /, **kwargs):
    """Call with the gateway's signed anonymous context (sign-in, invitations)."""
    return call_as(anonymous_caller(lang=g.get("lang")), service, method, **kwargs)


def call_as(caller_token: str, service: str, method: str, /, **kwargs):
    RPC_CALLS.labels(service, method).inc()
    try:
        return client().call(service, method, caller_token, **kwargs)
    except Exception as exc:
        _record(service, method, exc)
        raise


def call_parallel(calls: dict, token: str | None = None) -> dict:
    """Send every ``name: (service, method, kwargs)`` at once, then collect.

    Returns ``name: result`` or ``name: exception`` for the ones that failed,
    so a page can show what it got.
    """
    token = token or _token()
    pending = {}
    results = {}
    for name, (service, method, kwargs) in calls.items():
        RPC_CALLS.labels(service, method).inc()
        try:
            pending[name] = (service, method, client().call_async(service, method, token, **kwargs))
        except Exception as exc:
            _record(service, method, exc)
            results[name] = exc
    for name, (service, method, reply) in pending.items():
        try:
            results[name] = reply.result()
        except Exception as exc:
            _record(service, method, exc)
            results[name] = exc
    return results
