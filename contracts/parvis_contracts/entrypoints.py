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
import inspect
import logging
import sys

from kombu import Queue
from nameko.extensions import DependencyProvider
from nameko.rpc import RPC_QUEUE_TEMPLATE, ReplyListener, Rpc, RpcConsumer, get_rpc_exchange
from nameko.rpc import RpcProxy as NamekoRpcProxy
from sqlalchemy.exc import IntegrityError

from . import logs
from .client import BROKER_ERRORS
from .context import CONTEXT_KEY, KIND_ANONYMOUS, Caller, verify
from .errors import Conflict, Unauthenticated
from .topology import queue_type_arguments

log = logging.getLogger(__name__)


class TypedRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, declaring ``rpc-<service>`` with ``PARVIS_QUEUE_TYPE``,
    and surviving a reply it cannot send.

    nameko declares the queue without arguments; a quorum queue must say so when it is
    declared. Without the setting the queue is the same classic queue as nameko's.

    A reply that cannot be published (the broker went away during the call, after
    nameko's publish retries) would escape the worker and kill the whole service; here
    it is logged and the request is left unacknowledged: the caller gets its timeout
    (504), the broker redelivers the request once the service is back, unless it expired
    (:class:`~parvis_contracts.client.RpcClient` requests expire with the caller's timeout)
    — a write sent with an ``Idempotency-Key`` then answers its first answer.
    """

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_ERRORS as exc:
            log.warning(
                "reply to %s not sent, the broker cannot be reached: %s",
                message.delivery_info.get("routing_key"),
                exc,
            )
            return result, exc_info

    def setup(self):
        arguments = queue_type_arguments()
        if self.queue is None and arguments:
            service_name = self.container.service_name
            self.queue = Queue(
                RPC_QUEUE_TEMPLATE.format(service_name),
                exchange=get_rpc_exchange(self.container.config),
                routing_key=f"{service_name}.*",
                durable=True,
                queue_arguments=arguments,
            )
            self.queue_consumer.register_provider(self)
            self._registered = True
        super().setup()


def transient(queue: Queue) -> Queue:
    """The same reply queue, not durable.

    nameko's reply queues are durable classic queues (kombu's default). In a cluster, a
    durable classic queue whose node stopped cannot be declared again until that node
    returns, so a service would loop on reconnecting with every queue it consumes (its
    RPC queue too). A transient queue is dropped with its node and declared again on the
    node the service reconnects to. Replies in flight are lost either way (the caller
    times out).
    """
    return Queue(
        queue.name,
        exchange=queue.exchange,
        routing_key=queue.routing_key,
        durable=False,
        queue_arguments=queue.queue_arguments,
    )


class TransientReplyListener(ReplyListener):
    def setup(self):
        super().setup()
        self.queue = transient(self.queue)


class RpcProxy(NamekoRpcProxy):
    """``nameko.rpc.RpcProxy`` whose reply queue survives the loss of a broker node."""

    rpc_reply_listener = TransientReplyListener()


class AuthorisedRpc(Rpc):
    rpc_consumer = TypedRpcConsumer()

    _signature = None

    def __init__(self, anonymous: bool = False, **kwargs):
        self.anonymous = anonymous
        # an answer given on purpose (NotFound, Forbidden... any ParvisError below 500)
        # is an expected outcome, not a fault: parvis_contracts.logs logs it at INFO
        kwargs.setdefault("expected_exceptions", logs.EXPECTED_ERRORS)
        super().__init__(**kwargs)

    def setup(self):
        logs.install_worker_filter()
        super().setup()

    def check_signature(self, args, kwargs):
        """nameko's check (``inspect.getcallargs`` on every call), with the signature
        computed once; a call that does not bind gets nameko's own error."""
        signature = self._signature
        if signature is None:
            fn = getattr(self.container.service_cls, self.method_name)
            # as getcallargs sees it: the outer function, not what it wraps
            signature = self._signature = inspect.signature(fn, follow_wrapped=False)
        try:
            signature.bind(None, *args, **kwargs)
        except TypeError:
            super().check_signature(args, kwargs)

    def handle_message(self, body, message):
        context = self.unpack_message_headers(message)
        try:
            caller = verify(context.get(CONTEXT_KEY))
            if caller.kind == KIND_ANONYMOUS and not self.anonymous:
                raise Unauthenticated("Sign in first.")
        except Unauthenticated as exc:
            # reply with the error and ack, without running any service code
            log.info(
                "%s.%s refused: %s",
                self.container.service_name,
                self.method_name,
                exc,
                extra={
                    "service": self.container.service_name,
                    "method": self.method_name,
                    "entrypoint": "rpc",
                    "outcome": "Unauthenticated",
                    "status": exc.status,
                    "request_id": logs.valid_request_id(context.get(logs.REQUEST_ID_KEY)),
                },
            )
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
            raise Conflict("This change conflicts with existing data (it may already exist).") from None
        except BaseException:
            self.db.rollback()
            raise

    return wrapper


#: one instance per (schema class, options): building a marshmallow schema deep-copies
#: its fields, which cost more than the dump itself; dumping keeps no state on it
_DUMPERS: dict = {}
_DUMPERS_MAX = 1024


def dump(schema_cls, data, **kwargs):
    try:
        key = (schema_cls, tuple(sorted(kwargs.items())))
        schema = _DUMPERS.get(key)
    except TypeError:  # an unhashable option (a list for ``only``): build one
        return schema_cls(**kwargs).dump(data)
    if schema is None:
        schema = schema_cls(**kwargs)
        if len(_DUMPERS) < _DUMPERS_MAX:  # schema classes are module-level: a few dozen
            _DUMPERS[key] = schema
    return schema.dump(data)
