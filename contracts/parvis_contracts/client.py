"""RPC client for processes outside nameko (the gateway, the launcher, tests).

A ``ClusterRpcProxy`` is expensive to create (a reply queue each) and not
thread-safe, so :class:`RpcClient` keeps one started proxy per thread and
reuses it for every call. The caller context is set per call, and so is the request id
bound by :func:`parvis_contracts.logs.bind` (the gateway's request), under
:data:`parvis_contracts.logs.REQUEST_ID_KEY`.

A caller gives the request context it signed (``parvis_contracts.context.sign``); it
never goes on the wire as it is: each call carries a copy bound to its target
(``context.bind``: ``service.method``, a one-time nonce, ``PARVIS_CONTEXT_CALL_TTL``),
made here after verifying the request context (remembered: the gateway sends several
calls per request with the same one). A token that does not verify, or is already
bound, is sent unchanged, for the service to refuse or judge.

    client = RpcClient()
    client.call("identity", "get_profile", token, user_id="...")
    futures = [client.call_async("identity", "health", token) for ...]   # in parallel
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import socket
import sys
import threading

from amqp.exceptions import ChannelError as AmqpChannelError
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Connection, Queue
from kombu.exceptions import OperationalError
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import MethodProxy
from nameko.standalone.rpc import ClusterRpcProxy, PollingQueueConsumer, SingleThreadedReplyListener

from . import settings
from .config import nameko_config
from .context import CONTEXT_KEY, bind, verify
from .errors import Unauthenticated, Unavailable
from .logs import REQUEST_ID_KEY, current_request_id

log = logging.getLogger(__name__)


def _remember_no_librabbitmq() -> None:
    """kombu tries ``import librabbitmq`` each time a ``Connection`` is built outside
    eventlet, and nameko builds one per published request; a failed import is not
    remembered, so every RPC of the gateway searched ``sys.path`` for it. When it is not
    installed, say so once (``None`` in ``sys.modules``: the import fails at once)."""
    if "librabbitmq" not in sys.modules and importlib.util.find_spec("librabbitmq") is None:
        sys.modules["librabbitmq"] = None


_remember_no_librabbitmq()

#: what a broker that is down, restarting or frozen raises at a client
BROKER_ERRORS = (OSError, ConnectionError, OperationalError, AmqpConnectionError)
#: ... and at an RPC client only: a channel error while (re)declaring its reply queue, e.g.
#: 404 "process is stopped by supervisor" while a stopping node's queues go away
CLIENT_BROKER_ERRORS = BROKER_ERRORS + (AmqpChannelError,)


def _no_resend_after_timeout(exc, _interval):
    """kombu's retry errback: a publish that timed out may have reached the broker.

    Resending it could run the call twice, so the error goes to the caller (503) instead;
    a connection the broker closed or refused (a restart) is retried once.
    """
    if isinstance(exc, socket.timeout):
        raise exc


def publish_options(amqp_uri: str) -> tuple[dict, dict]:
    """(transport options, retry policy) of the request publisher of an RPC client.

    Bounded: a broker that is down answers within a connect, a frozen one within
    ``PARVIS_AMQP_CLIENT_TIMEOUT`` seconds (default 5, the RPC timeout) for the publish
    confirm, so a request never hangs on the broker. Every node of a ``;``-separated
    failover list is tried once.
    """
    seconds = settings.value("PARVIS_AMQP_CLIENT_TIMEOUT")
    nodes = max(1, len([uri for uri in amqp_uri.split(";") if uri.strip()]))
    transport = {
        "connect_timeout": min(seconds, 2),
        "read_timeout": seconds,
        "write_timeout": seconds,
        "max_retries": nodes - 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
    retry = {
        "max_retries": nodes,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
        "errback": _no_resend_after_timeout,
    }
    return transport, retry


class _BoundedReplyConsumer(PollingQueueConsumer):
    """nameko's reply consumer, connecting with the same bounds as the publisher."""

    _bounded = False

    def _setup_consumer(self):
        if not self._bounded:
            config = self.provider.container.config
            transport, _retry = publish_options(config[AMQP_URI_CONFIG_KEY])
            self.connection = Connection(
                config[AMQP_URI_CONFIG_KEY],
                ssl=config.get(AMQP_SSL_CONFIG_KEY),
                login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
                connect_timeout=transport["connect_timeout"],
            )
            self._bounded = True
            self._retries = {
                key: transport[key]
                for key in ("max_retries", "interval_start", "interval_step", "interval_max")
            }
        # connect here, bounded (kombu's lazy connect would wait 2 s before its one retry)
        self.connection.ensure_connection(**self._retries)
        super()._setup_consumer()


class _BoundedReplyListener(SingleThreadedReplyListener):
    def __init__(self, timeout=None):
        super().__init__(timeout=timeout)
        self.queue_consumer = _BoundedReplyConsumer(timeout=timeout)

    def setup(self):
        # a transient reply queue (see parvis_contracts.entrypoints.transient): declared
        # before the consumer starts, which happens in register_provider
        original = self.queue_consumer.register_provider

        def register(provider):
            provider.queue = Queue(
                provider.queue.name,
                exchange=provider.queue.exchange,
                routing_key=provider.queue.routing_key,
                durable=False,
                queue_arguments=provider.queue.queue_arguments,
            )
            original(provider)

        self.queue_consumer.register_provider = register
        super().setup()


def _replies_alive(standalone) -> bool:
    """False when the proxy's reply connection is gone, or closed by the broker.

    A node that stops sends its clients a close; reading what is already there (without
    waiting) finds it before a request is sent whose reply could not come back.
    """
    consumer = getattr(standalone._reply_listener.queue_consumer, "consumer", None)
    channel = getattr(consumer, "channel", None)
    connection = getattr(channel, "connection", None)
    if connection is None:
        return False
    try:
        connection.drain_events(timeout=0)
    except TimeoutError:
        return True  # nothing pending: the usual case
    except CLIENT_BROKER_ERRORS:
        return False
    return True


class RpcClient:
    def __init__(self, config: dict | None = None, timeout: float | None = None, secret: bytes | None = None):
        """``secret``: the platform secret the caller's tokens are signed with, when it is not
        this process's own (``config.context_secret``): the launcher's platform in its var dir."""
        self.config = config or nameko_config()
        self.secret = secret
        self.timeout = timeout if timeout is not None else settings.value("PARVIS_RPC_TIMEOUT")
        self._local = threading.local()
        self._all: list[ClusterRpcProxy] = []
        self._lock = threading.Lock()
        self._transport_options, self._retry_policy = publish_options(self.config["AMQP_URI"])

    def _proxy(self):
        holder = getattr(self._local, "holder", None)
        if holder is not None and not _replies_alive(holder[0]):
            # its reply channel was closed under it (the broker node went away):
            # a new proxy, on whichever node answers now
            self._reset()
            holder = None
        if holder is None:
            standalone = ClusterRpcProxy(
                self.config, context_data={}, timeout=self.timeout, reply_listener_cls=_BoundedReplyListener
            )
            proxy = standalone.start()
            holder = self._local.holder = (standalone, proxy)
            with self._lock:
                self._all.append(standalone)
        return holder

    def _reset(self) -> None:
        holder = getattr(self._local, "holder", None)
        self._local.holder = None
        if holder is not None:
            with self._lock:
                if holder[0] in self._all:
                    self._all.remove(holder[0])
            # drop the socket without the AMQP close handshake: a broker that is frozen
            # would never answer it (the call would hang)
            consumer = getattr(holder[0]._reply_listener, "queue_consumer", None)
            connection = getattr(consumer, "connection", None)
            try:
                if connection is not None:
                    connection.collect()
            except Exception:  # connection already gone
                pass

    def bound(self, service: str, method: str, token) -> str:
        """The context a call of ``service.method`` carries for the request context ``token``."""
        try:
            caller = verify(token, secret=self.secret)
        except Unauthenticated:
            return token  # not ours to fix: the service refuses it (and counts it)
        if caller.target is not None:
            return token  # already bound: never re-bound (the service judges it)
        return bind(caller, service, method, secret=self.secret)

    def _method(self, service: str, method: str, token: str):
        standalone, _proxy = self._proxy()
        data = standalone._worker_ctx.data
        data[CONTEXT_KEY] = self.bound(service, method, token)
        # the request id of the current request (the gateway binds it), or none: a
        # proxy serves one request after another on its thread, never a stale id
        request_id = current_request_id()
        if request_id:
            data[REQUEST_ID_KEY] = request_id
        else:
            data.pop(REQUEST_ID_KEY, None)
        # what ``proxy.<service>.<method>`` builds, with a bounded publisher; a request
        # expires when its caller stops waiting (it never runs after a 504 or a restart)
        options = {"expiration": self.timeout} if self.timeout else {}
        method_proxy = MethodProxy(
            standalone._worker_ctx,
            service,
            method,
            standalone._reply_listener,
            retry_policy=self._retry_policy,
            **options,
        )
        method_proxy.publisher.transport_options = dict(self._transport_options)
        return method_proxy

    def call(self, service: str, method: str, token: str, /, *args, **kwargs):
        try:
            return self._method(service, method, token)(*args, **kwargs)
        except (RpcTimeout, UnknownService):
            raise
        except CLIENT_BROKER_ERRORS as exc:
            self._reset()
            raise Unavailable("The platform's message broker cannot be reached.") from exc

    def call_async(self, service: str, method: str, token: str, /, *args, **kwargs):
        """Send now, wait later with ``.result()``: independent calls run in parallel."""
        # (service, method, token are positional-only so that an RPC may take a
        # keyword argument named ``token``, e.g. identity.accept_invitation)
        try:
            return self._method(service, method, token).call_async(*args, **kwargs)
        except (RpcTimeout, UnknownService):
            raise
        except CLIENT_BROKER_ERRORS as exc:
            self._reset()
            raise Unavailable("The platform's message broker cannot be reached.") from exc

    def close(self) -> None:
        with self._lock:
            proxies, self._all = self._all, []
        for standalone in proxies:
            with contextlib.suppress(Exception):
                standalone.stop()
        self._local = threading.local()
