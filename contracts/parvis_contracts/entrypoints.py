"""The RPC entrypoint every Parvis service uses instead of ``nameko.rpc.rpc``.

It accepts a call only with a call context bound to it (``parvis_contracts.context``):
signed, not expired, made for this service and method, its nonce never used before in
this process — checked *before* a worker is spawned, so no service code runs for a call
refused. By default only signed-in people and system processes are accepted; an
entrypoint declared with ``anonymous=True`` (sign-in, invitation acceptance, health)
also accepts the gateway's signed anonymous context — still signed and bound, so a
direct RPC without the platform secret is refused everywhere. A refusal is counted
(``parvis_rpc_refused_total``) and reported to identity's audit log, at most one message
per service process every :data:`REFUSALS_EVERY` seconds (:class:`RefusalReporter`).

Inside a worker, :class:`CurrentCaller` gives the verified :class:`Caller`; the
services' :class:`RpcProxy` sends each downstream call a fresh context bound to its
target, made from that caller.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
import time

import eventlet
import kombu.serialization
from kombu import Queue
from kombu.entity import PERSISTENT_DELIVERY_MODE, TRANSIENT_DELIVERY_MODE
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.exceptions import ContainerBeingKilled, MalformedRequest, UnserializableValueError, serialize
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import (
    RPC_QUEUE_TEMPLATE,
    MethodProxy,
    ReplyListener,
    Responder,
    Rpc,
    RpcConsumer,
    ServiceProxy,
    get_rpc_exchange,
)
from nameko.rpc import RpcProxy as NamekoRpcProxy
from sqlalchemy.exc import IntegrityError

from . import logs, settings
from .client import BROKER_ERRORS
from .context import CONTEXT_KEY, KIND_SYSTEM, MALFORMED, NONCES, Caller, accept, bind
from .errors import Conflict, Unauthenticated
from .metrics import REFUSED
from .topology import queue_type_arguments

log = logging.getLogger(__name__)


class SerialisedOnceResponder(Responder):
    """nameko's reply, encoded once.

    nameko encodes every result twice: once to check that it can be encoded at all (a
    result that cannot would otherwise kill the container), then again to publish it. A
    page of posts is the largest thing a service answers: here the first encoding is the
    one published. Everything else is nameko's: persistent, with a publisher confirm —
    unless ``PARVIS_RPC_REPLY_CONFIRMS`` is off: then a reply is transient and unconfirmed
    (a reply the broker loses is the caller's time-out either way; with the confirm, a
    reply that could not be published leaves the request to be delivered again).
    """

    def send_response(self, result, exc_info):
        error = serialize(exc_info[1]) if exc_info is not None else None
        serializer = kombu.serialization.registry.type_to_name[self.message.properties["content_type"]]
        try:
            encoded = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception:
            exc_info = sys.exc_info()
            result, error = None, serialize(UnserializableValueError(result))
            encoded = kombu.serialization.dumps({"result": None, "error": error}, serializer)
        content_type, content_encoding, body = encoded
        publisher = self.publisher_cls(self.amqp_uri, ssl=self.ssl, login_method=self.login_method)
        confirmed = settings.value("PARVIS_RPC_REPLY_CONFIRMS")
        publisher.publish(
            body,
            use_confirms=confirmed,
            delivery_mode=PERSISTENT_DELIVERY_MODE if confirmed else TRANSIENT_DELIVERY_MODE,
            content_type=content_type,
            content_encoding=content_encoding,
            exchange=self.exchange,
            routing_key=self.message.properties["reply_to"],
            correlation_id=self.message.properties.get("correlation_id"),
        )
        return result, exc_info


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
            responder = SerialisedOnceResponder(
                self.container.config[AMQP_URI_CONFIG_KEY],
                get_rpc_exchange(self.container.config),
                None,  # the reply is encoded as the request was
                message,
                ssl=self.container.config.get(AMQP_SSL_CONFIG_KEY),
                login_method=self.container.config.get(LOGIN_METHOD_CONFIG_KEY),
            )
            result, exc_info = responder.send_response(result, exc_info)
            self.queue_consumer.ack_message(message)
            return result, exc_info
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


#: where the entrypoint leaves the caller it accepted, in the worker's context data (a
#: ``Caller`` object, never a header: :class:`BoundMethodProxy` does not send it on)
VERIFIED_KEY = "parvis_verified_caller"


def verified_caller(data) -> Caller | None:
    caller = data.get(VERIFIED_KEY)
    return caller if isinstance(caller, Caller) else None


class BoundMethodProxy(MethodProxy):
    """nameko's ``MethodProxy``, whose call carries a context bound to its own target.

    nameko copies the worker's context data into the request's headers, the caller's
    context with them: the call context the worker received would go on, usable at
    the next service for as long as it lives. Here that header is replaced by a fresh
    context bound to ``<service>.<method>`` of this call, made from the caller the
    entrypoint verified; a worker without one (an event handler, a timer) sends none,
    as before (the target refuses a call that needs a caller).
    """

    def get_message_headers(self, worker_ctx):
        skip = (CONTEXT_KEY, VERIFIED_KEY)
        headers = {
            self._get_header_name(key): value
            for key, value in worker_ctx.context_data.items()
            if value is not None and key not in skip
        }
        caller = verified_caller(worker_ctx.data)
        if caller is not None:
            headers[self._get_header_name(CONTEXT_KEY)] = bind(caller, self.service_name, self.method_name)
        return headers


class BoundServiceProxy(ServiceProxy):
    def __getattr__(self, name):
        return BoundMethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, **self.options)


class RpcProxy(NamekoRpcProxy):
    """``nameko.rpc.RpcProxy`` whose calls carry a context bound to their target (see
    :class:`BoundMethodProxy`), and whose reply queue survives the loss of a broker node."""

    rpc_reply_listener = TransientReplyListener()

    def get_dependency(self, worker_ctx):
        return BoundServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, **self.options)


class _SystemMethodProxy(BoundMethodProxy):
    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        headers[self._get_header_name(CONTEXT_KEY)] = bind(
            Caller(kind=KIND_SYSTEM), self.service_name, self.method_name
        )
        return headers


class _SystemServiceProxy(ServiceProxy):
    def __getattr__(self, name):
        listener = self.reply_listener
        return _SystemMethodProxy(self.worker_ctx, self.service_name, name, listener, **self.options)


class SystemRpcProxy(RpcProxy):
    """Calls made as the platform itself (a context of the system kind), whoever the worker
    serves: for a service's own timers (a mail sender asking identity for addresses), never
    for an entrypoint that answers a person — it would lend them the system's rights."""

    rpc_reply_listener = TransientReplyListener()

    def get_dependency(self, worker_ctx):
        return _SystemServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, **self.options)


#: at most one report of refused calls per service process this often, seconds
REFUSALS_EVERY = 10.0
#: how often the reporter looks for something to send, seconds
REFUSALS_TICK = 0.5
#: distinct (method, reason, caller kind) held between two reports; the rest is one entry
REFUSAL_KEYS = 200
#: seconds a report waits for identity before it is dropped
REFUSALS_TIMEOUT = 5.0


class _ReporterContext:
    """What a ``MethodProxy`` reads of a worker, for the reporter's own call as the system."""

    def __init__(self, container):
        self.container = container
        self.data = {VERIFIED_KEY: Caller(kind=KIND_SYSTEM)}

    @property
    def context_data(self):
        return dict(self.data)


class RefusalReporter(SharedExtension):
    """Counts the calls the service's entrypoints refuse and reports them to the audit log.

    :meth:`note` (the entrypoint, for every refusal) counts the refusal in
    ``parvis_rpc_refused_total`` and in a small table by (method, reason, caller kind):
    at most :data:`REFUSAL_KEYS` entries, the rest in one overflow entry. A thread of
    the container sends that table to ``identity.record_refusals`` as the system, in
    one call, as soon as there is something to send but at most once every
    :data:`REFUSALS_EVERY` seconds; a report identity does not take in
    :data:`REFUSALS_TIMEOUT` seconds is dropped (logged). A flood of refused calls is
    therefore one message every few seconds, and identity keeps a bounded number of
    rows of it a minute (``PARVIS_AUDIT_REFUSALS_PER_MINUTE``).
    """

    reply_listener = TransientReplyListener()

    def __init__(self):
        self.pending: dict[tuple, int] = {}
        self.last_sent: float | None = None
        self.sent = 0
        self.failed = 0

    def start(self):
        self.container.spawn_managed_thread(self._run, identifier="parvis-refusals")

    def note(self, method: str, reason: str, kind: str | None) -> bool:
        """Count one refusal; True when it is the first of its kind since the last report."""
        REFUSED.labels(self.container.service_name, method, reason).inc()
        key = (method, reason, kind or "unknown")
        if key not in self.pending and len(self.pending) >= REFUSAL_KEYS:
            key = ("*", "overflow", "unknown")
        first = key not in self.pending
        self.pending[key] = self.pending.get(key, 0) + 1
        return first

    def _run(self):
        while True:
            eventlet.sleep(REFUSALS_TICK)
            due = self.last_sent is None or time.monotonic() - self.last_sent >= REFUSALS_EVERY
            if self.pending and due:
                self.last_sent = time.monotonic()
                self.flush()

    def batch(self) -> list[dict]:
        pending, self.pending = self.pending, {}
        service = self.container.service_name
        return [
            {
                "ip": None,
                "user_id": None,
                "method": "RPC",
                "route": f"{service}.{method}",
                "status": 401,
                "reason": reason,
                "caller": kind,
                "count": min(count, 1_000_000),
            }
            for (method, reason, kind), count in pending.items()
        ]

    def flush(self) -> int:
        """Send what accumulated now; return how many refusals identity took."""
        batch = self.batch()
        if not batch:
            return 0
        proxy = BoundMethodProxy(
            _ReporterContext(self.container), "identity", "record_refusals", self.reply_listener
        )
        try:
            with eventlet.Timeout(REFUSALS_TIMEOUT):
                proxy.call_async(refusals=batch).result()
        except (Exception, eventlet.Timeout) as exc:  # identity away: dropped, calls unaffected
            self.failed += 1
            log.warning(
                "refused calls of %s not recorded in the audit log (%s: %s)",
                self.container.service_name,
                type(exc).__name__,
                exc,
            )
            return 0
        sent = sum(item["count"] for item in batch)
        self.sent += sent
        return sent


class AuthorisedRpc(Rpc):
    rpc_consumer = TypedRpcConsumer()
    refusals = RefusalReporter()

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
        """nameko's ``Rpc.handle_message``, with the call context accepted first."""
        context = self.unpack_message_headers(message)
        try:
            caller = accept(
                context.get(CONTEXT_KEY),
                self.container.service_name,
                self.method_name,
                anonymous=self.anonymous,
                redelivered=bool((message.delivery_info or {}).get("redelivered")),
            )
        except Unauthenticated as exc:
            self._refuse(message, context, exc)
            return
        try:
            args = body["args"]
            kwargs = body["kwargs"]
        except (KeyError, TypeError):
            raise MalformedRequest("Message missing `args` or `kwargs`") from None
        self.check_signature(args, kwargs)
        context[VERIFIED_KEY] = caller
        handle_result = functools.partial(self.handle_result, message)
        try:
            self.container.spawn_worker(self, args, kwargs, context_data=context, handle_result=handle_result)
        except ContainerBeingKilled:
            self.rpc_consumer.requeue_message(message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        result, exc_info = self.rpc_consumer.handle_result(message, result, exc_info)
        caller = verified_caller(worker_ctx.data)
        if caller is not None and message.acknowledged:
            NONCES.done(caller.nonce)  # answered: a copy delivered again is a replay
        return result, exc_info

    def _refuse(self, message, context, exc: Unauthenticated) -> None:
        """Reply ``Unauthenticated`` and acknowledge, without running any service code;
        count it, and log the first of its kind since the last report."""
        service, method = self.container.service_name, self.method_name
        reason = getattr(exc, "reason", MALFORMED)
        first = self.refusals.note(method, reason, getattr(exc, "caller_kind", None))
        log.log(
            logging.INFO if first else logging.DEBUG,
            "%s.%s refused (%s): %s",
            service,
            method,
            reason,
            exc,
            extra={
                "service": service,
                "method": method,
                "entrypoint": "rpc",
                "outcome": "Unauthenticated",
                "status": exc.status,
                "reason": reason,
                "request_id": logs.valid_request_id(context.get(logs.REQUEST_ID_KEY)),
            },
        )
        try:
            raise Unauthenticated(exc.message)  # the registered class, as it crosses nameko
        except Unauthenticated:
            self.rpc_consumer.handle_result(message, None, sys.exc_info())


rpc = AuthorisedRpc.decorator


class CurrentCaller(DependencyProvider):
    """Injects the caller the entrypoint accepted for the current worker.

    Taken from the worker's context data, where :class:`AuthorisedRpc` left it (never
    from a header: a token a message carries is not verified again here). Workers not
    started by that entrypoint (event handlers, timers) get ``None``.
    """

    def get_dependency(self, worker_ctx) -> Caller | None:
        return verified_caller(worker_ctx.data)


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
