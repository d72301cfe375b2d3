"""The gateway's call layer: the code that asks services, and remembers their answers.

One module per service (``identity``, ``communities``, ``feed``, ``documents``,
``translation``), each a set of small named functions, one per operation the gateway
uses: ``feed.home_timeline(limit=20)``. ``api/`` and ``web/`` ask through here and
nowhere else (``tests/contracts/test_boundaries.py``); a module here is the only home of a
cache of a service's answers (identity's sessions and cards, the translation memo, the
served pairs, the languages detected).

Most operations are written with :func:`operations`: the decorated function's body turns
the gateway's arguments into the service method's keyword arguments, and the decorator
makes it an :class:`Operation`. Calling one sends the call as the request's caller and
returns the answer; ``.pending(...)`` describes the same call without sending it, so a
page sends its independent calls at once with :func:`parallel`::

    found = parallel(community=communities.get_community.pending(community_id),
                     wall=feed.community_wall.pending(community_id, limit=20))
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

from nameko.exceptions import RpcTimeout, UnknownService

from parvis_contracts.errors import Unavailable

from .. import rpc

#: what a call to a service that is not answering raises: a page may render without it
UNANSWERED = (Unavailable, RpcTimeout, UnknownService)


class Pending(NamedTuple):
    """One call described, not sent yet (for :func:`parallel`)."""

    service: str
    method: str
    kwargs: dict
    shape: Callable | None = None


class Operation:
    """One operation of a service, as the gateway calls it.

    ``build(*args, **kwargs)`` gives the method's keyword arguments; ``shape``, when
    given, turns the answer into what the gateway uses (e.g. a list as ``{"items": ...}``).
    """

    def __init__(self, service: str, build: Callable, method: str | None, anonymous: bool, shape):
        functools.update_wrapper(self, build)
        self.service = service
        self.method = method or build.__name__
        self.build = build
        self.anonymous = anonymous
        self.shape = shape

    def __call__(self, *args, **kwargs):
        send = rpc.call_anonymous if self.anonymous else rpc.call
        answer = send(self.service, self.method, **self.build(*args, **kwargs))
        return self.shape(answer) if self.shape else answer

    def pending(self, *args, **kwargs) -> Pending:
        if self.anonymous:
            raise TypeError(f"{self.service}.{self.method} is anonymous: call it on its own")
        return Pending(self.service, self.method, self.build(*args, **kwargs), self.shape)

    def __repr__(self) -> str:
        return f"<operation {self.service}.{self.method}>"


def operations(service: str):
    """The decorator that makes a module's functions operations of ``service``.

    ``@operation`` names the method after the function; ``@operation(method=...)`` names
    it otherwise, ``anonymous=True`` sends it with the gateway's signed anonymous context
    (sign-in, invitations), ``shape=`` shapes the answer.
    """

    def operation(build=None, *, method: str | None = None, anonymous: bool = False, shape=None):
        def make(function: Callable) -> Operation:
            return Operation(service, function, method, anonymous, shape)

        return make(build) if build is not None else make

    return operation


def parallel(**calls: Pending) -> dict:
    """Send every call at once as the request's caller, then collect.

    -> ``name: answer``, or ``name: exception`` for a call that failed, so a page can show
    what it got.
    """
    results = rpc.call_parallel({name: (c.service, c.method, c.kwargs) for name, c in calls.items()})
    for name, call in calls.items():
        if call.shape and not isinstance(results.get(name), BaseException):
            results[name] = call.shape(results[name])
    return results


def as_items(answer) -> dict:
    """A list answer (or an ``{"items": [...]}`` one) as a dict with ``items``."""
    if isinstance(answer, dict):
        return {**answer, "items": answer.get("items") or []}
    return {"items": list(answer or [])}


def page_kwargs(args: dict, default_limit: int = 20) -> dict:
    """``limit`` and ``cursor`` of a listing's query arguments, as the services name them."""
    kwargs = {"limit": args.get("limit", default_limit)}
    if args.get("cursor"):
        kwargs["cursor"] = args["cursor"]
    return kwargs


def keyed(idempotency_key: str | None) -> dict:
    """The keyword for an ``Idempotency-Key``, when the request sent one."""
    return {} if idempotency_key is None else {"idempotency_key": idempotency_key}
