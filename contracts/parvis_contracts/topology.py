"""Exchanges, queues and bindings of the platform, declared before any event flows.

Every event handler of every installed service is listed in :data:`SUBSCRIPTIONS`,
built from the services' plug-in declarations (:mod:`parvis_contracts.plugins`). The
launcher (and each outbox relay, before its first publish) declares all of
them, so an event is never published to an exchange with no queue bound yet.
A handler that is not declared refuses to start: the list cannot drift.

Handler queues dead-letter to ``parvis.dlx`` -> ``parvis.dead-letters``.
"""

from __future__ import annotations

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


def declare_topology(connection) -> None:
    """Declare every exchange, queue and binding of the platform (idempotent)."""
    channel = connection.default_channel
    dead_letter_queue()(channel).declare()
    for source in {sub.event.source for sub in SUBSCRIPTIONS} | set(_sources()):
        event_exchange(source)(channel).declare()
    for sub in SUBSCRIPTIONS:
        handler_queue(sub)(channel).declare()


def _sources():
    core = {value.source for value in vars(ev).values() if isinstance(value, ev.EventType)}
    return core | {event.source for event in event_schemas()}
