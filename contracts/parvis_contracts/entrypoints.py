"""The RPC entrypoint every Parvis service uses instead of ``nameko.rpc.rpc``.

It verifies the signed caller context *before* a worker is spawned, so no
service code runs for a call with a missing, expired or forged context. By
default only signed-in people and system processes are accepted; an
entrypoint declared with ``anonymous=True`` (sign-in, invitation acceptance,
health) also accepts the gateway's signed anonymous context — still signed, so
a direct RPC without the platform secret is refused everywhere.

Inside a worker, :class:`CurrentCaller` gives the verified :class:`Caller`.
"""
from __future__ import annotations

import functools
import sys

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from sqlalchemy.exc import IntegrityError

from .context import CONTEXT_KEY, KIND_ANONYMOUS, Caller, verify
from .errors import Conflict, Unauthenticated


class AuthorisedRpc(Rpc):
    def __init__(self, anonymous: bool = False, **kwargs):
        self.anonymous = anonymous
        super().__init__(**kwargs)

    def handle_message(self, body, message):
        context = self.unpack_message_headers(message)
        try:
            caller = verify(context.get(CONTEXT_KEY))
            if caller.kind == KIND_ANONYMOUS and not self.anonymous:
                raise Unauthenticated("Sign in first.")
        except Unauthenticated:
            # reply with the error and ack, without running any service code
            self.rpc_consumer.handle_result(message, None, sys.exc_info())
            return
        super().handle_message(body, message)


rpc = AuthorisedRpc.decorator


class CurrentCaller(DependencyProvider):
    """Injects the verified caller of the current worker.

    The entrypoint has already refused bad contexts; event-handler workers,
    which have no caller, get ``None``.
    """

    def get_dependency(self, worker_ctx) -> Caller | None:
        token = worker_ctx.data.get(CONTEXT_KEY)
        if token is None:
            return None
        try:
            return verify(token)
        except Unauthenticated:
            return None


def transactional(fn):
    """Roll back whatever a failing call left in the session: never a half-written record."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except IntegrityError:
            self.db.rollback()
            raise Conflict("This change conflicts with existing data (it may already exist).") \
                from None
        except BaseException:
            self.db.rollback()
            raise
    return wrapper


def dump(schema_cls, data, **kwargs):
    return schema_cls(**kwargs).dump(data)
