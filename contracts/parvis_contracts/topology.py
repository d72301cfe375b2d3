"""Exchanges, queues and bindings of the platform, declared before any event flows.

Every event handler of every installed service is listed in :data:`SUBSCRIPTIONS`,
built from the services' plug-in declarations (:mod:`parvis_contracts.plugins`). The
launcher and the prepare job declare all of them; each outbox relay, before its first
publish, checks that they exist (and declares what is missing, if its broker user may),
so an event is never published to an exchange with no queue bound yet.
A handler that is not declared refuses to start: the list cannot drift.

Handler queues dead-letter to ``parvis.dlx`` -> ``parvis.dead-letters``.
"""

from __future__ import annotations

import logging

from kombu import Exchange, Queue

from . import events as ev
from . import settings
from .plugins import Subscription, event_schemas, subscriptions

__all__ = [
    "SUBSCRIPTIONS",
    "Subscription",
    "declare_topology",
    "find_subscription",
    "handler_queue",
    "dead_letter_queue",
    "event_exchange",
]

log = logging.getLogger(__name__)

DLX_NAME = "parvis.dlx"
DLQ_NAME = "parvis.dead-letters"


#: every handler of every installed service, from the plug-in declarations (their
#: ``handles``); built once per process, tests may add a probe subscription of their own
SUBSCRIPTIONS: list[Subscription] = subscriptions()


def event_exchange(source: str) -> Exchange:
    # identical to nameko's get_event_exchange so both can declare it
    return Exchange(f"{source}.events", type="topic", durable=True, auto_delete=False, delivery_mode=2)


def queue_type_arguments() -> dict:
    """``{"x-queue-type": ...}`` from ``PARVIS_QUEUE_TYPE`` ("quorum" in a RabbitMQ cluster).

    The type of a queue is fixed when it is declared (a policy cannot change it), so every
    durable queue of the services carries it: handler queues, the dead-letter queue and each
    service's RPC queue (``rpc-<service>``, see :mod:`parvis_contracts.entrypoints`). Reply
    queues of RPC clients are per process and expiring: they stay classic. Unset: classic
    queues, as before (a queue's type cannot change without deleting it).
    """
    queue_type = settings.value("PARVIS_QUEUE_TYPE")
    return {"x-queue-type": queue_type} if queue_type else {}


def queue_arguments() -> dict:
    args = {"x-dead-letter-exchange": DLX_NAME}
    args.update(queue_type_arguments())
    return args


def handler_queue(sub: Subscription) -> Queue:
    return Queue(
        sub.queue_name,
        exchange=event_exchange(sub.event.source),
        routing_key=sub.event.name,
        durable=True,
        auto_delete=False,
        queue_arguments=queue_arguments(),
    )


def dead_letter_queue() -> Queue:
    return Queue(
        DLQ_NAME,
        exchange=Exchange(DLX_NAME, type="topic", durable=True),
        routing_key="#",
        durable=True,
        queue_arguments=queue_type_arguments() or None,
    )


def find_subscription(event: ev.EventType, service: str, method: str) -> Subscription | None:
    for sub in SUBSCRIPTIONS:
        if (sub.event, sub.service, sub.method) == (event, service, method):
            return sub
    return None


def declare_topology(connection, strict: bool = False) -> None:
    """Declare every exchange, queue and binding of the platform (idempotent).

    ``strict``: declare each one (the launcher and the prepare job, whose broker user may
    configure them all: an existing one declared with other arguments is an error).
    Otherwise (an outbox relay, before its first publish, under its service's own broker
    user, which may not configure other services' queues: ``deploy/rabbitmq_users.py``)
    each one is first checked passively, which needs no permission, and only a missing
    one is declared: a user that may not declare it gets ``AccessRefused``, so the relay
    keeps retrying, and publishes nothing, until the prepare step has declared it.
    """
    if strict:
        channel = connection.default_channel
        dead_letter_queue()(channel).declare()
        for source in _all_sources():
            event_exchange(source)(channel).declare()
        for sub in SUBSCRIPTIONS:
            handler_queue(sub)(channel).declare()
        return
    # a passive declare of a missing entity closes its channel: a scratch one, never the
    # connection's default channel (the relay publishes on it)
    checker = _PassiveChecker(connection)
    try:
        dlq = dead_letter_queue()
        if not (checker.exchange_exists(DLX_NAME) and checker.queue_exists(DLQ_NAME)):
            dlq(checker.channel).declare()
        for source in _all_sources():
            if not checker.exchange_exists(event_exchange(source).name):
                event_exchange(source)(checker.channel).declare()
        for sub in SUBSCRIPTIONS:
            if not checker.queue_exists(sub.queue_name):
                handler_queue(sub)(checker.channel).declare()
    finally:
        checker.close()


class _PassiveChecker:
    """Passive declares on a channel of its own, opened again after each "not found"."""

    def __init__(self, connection):
        self.connection = connection
        self.channel = connection.channel()

    def _exists(self, declare) -> bool:
        try:
            declare(self.channel)
            return True
        except self.connection.channel_errors:  # 404: the broker closed the channel
            self.close()
            self.channel = self.connection.channel()
            return False

    def exchange_exists(self, name: str) -> bool:
        return self._exists(
            lambda channel: channel.exchange_declare(exchange=name, type="topic", passive=True)
        )

    def queue_exists(self, name: str) -> bool:
        return self._exists(lambda channel: channel.queue_declare(queue=name, passive=True))

    def close(self) -> None:
        try:
            self.channel.close()
        except Exception:  # already closed by the broker
            log.debug("scratch channel already closed", exc_info=True)


def _all_sources() -> list[str]:
    return sorted({sub.event.source for sub in SUBSCRIPTIONS} | set(_sources()))


def _sources():
    core = {value.source for value in vars(ev).values() if isinstance(value, ev.EventType)}
    return core | {event.source for event in event_schemas()}
