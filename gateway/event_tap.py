"""A process's own tap on some platform events: one transient queue, consumed until told to
stop, bound again after every loss.

The gateway's processes hear events without being services: each gateway process keeps its
caches of identity honest (:mod:`gateway.calls.identity_events`), the live hub tells its
streams (:mod:`gateway.live.hub`). Both need the same thing, written here once:

- a queue of their own (exclusive, auto-deleted, non-durable: every process hears every
  event, a dead one leaves nothing behind), bound to exchanges the platform declared (bound
  passively: a gateway's broker user may bind from them, not declare them);
- a loop that consumes it, checks the connection's heartbeats while nothing comes, and
  after a failure (the broker gone, an exchange not declared yet) tries again after a
  pause that doubles up to 5 s;
- envelopes checked as every handler checks them (the platform's signature); one that
  fails is logged and dropped.

How a process waits (a thread's ``Event.wait`` or eventlet's ``sleep``) and what it does
with an event are the caller's.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable

from kombu import Connection, Consumer, Exchange, Queue, binding

from parvis_contracts import events as ev
from parvis_contracts.errors import ValidationFailed
from parvis_contracts.topology import event_exchange

log = logging.getLogger(__name__)

FIRST_PAUSE, LONGEST_PAUSE = 0.2, 5.0


class EventTap:
    """``routes``: the events heard; ``prefix``: the queue's name before ``.<host>.<pid>.<random>``."""

    def __init__(self, amqp_uri: str, prefix: str, routes: Iterable[ev.EventType], heartbeat: int = 10):
        self.uri = amqp_uri
        self.prefix = prefix
        self.routes = tuple(routes)
        self.heartbeat = heartbeat

    def queue(self) -> Queue:
        exchanges = {}
        for event in self.routes:
            if event.source not in exchanges:
                declared = event_exchange(event.source)
                exchanges[event.source] = Exchange(declared.name, type=declared.type, passive=True)
        return Queue(
            f"{self.prefix}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}",
            bindings=[binding(exchanges[event.source], routing_key=event.name) for event in self.routes],
            exclusive=True,
            auto_delete=True,
            durable=False,
        )

    def consume(
        self,
        on_body: Callable[[object], None],
        stopping: Callable[[], bool],
        connected: Callable[[Connection], None],
        after_wait: Callable[[], None] | None = None,
    ) -> None:
        """Consume until ``stopping()``; ``connected(connection)`` once the queue is bound,
        ``after_wait()`` after each wait for messages (handled or timed out)."""
        with Connection(self.uri, heartbeat=self.heartbeat, connect_timeout=2) as connection:
            channel = connection.channel()
            with Consumer(
                channel,
                queues=[self.queue()],
                callbacks=[lambda body, _message: on_body(body)],
                no_ack=True,
                accept=["json"],
            ):
                connected(connection)
                while not stopping():
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        connection.heartbeat_check()
                    finally:
                        if after_wait is not None:
                            after_wait()

    def run(
        self,
        consume: Callable[[], None],
        stopping: Callable[[], bool],
        pause: Callable[[float], None],
        lost: Callable[[Exception | None], None],
        max_failures: int | None = None,
    ) -> None:
        """Call ``consume()`` again and again until ``stopping()``: ``lost(error)`` after each
        end (``None``: it ended without an error), then ``pause(seconds)``, doubling after
        failures; after ``max_failures`` failures in a row, give up."""
        failures, wait = 0, FIRST_PAUSE
        while not stopping() and (max_failures is None or failures < max_failures):
            error = None
            try:
                consume()
                failures, wait = 0, FIRST_PAUSE
            except Exception as exc:  # broker gone or refusing, an exchange not declared yet
                failures, error = failures + 1, exc
            finally:
                lost(error)
            pause(wait)
            wait = min(wait * 2, LONGEST_PAUSE)


def envelope_of(body, what: str) -> ev.Envelope | None:
    """The signed envelope in ``body``, or None (logged) when it does not verify."""
    try:
        return ev.Envelope.from_message(body)
    except ValidationFailed as exc:
        log.warning("%s refused: %s", what, exc)
        return None
