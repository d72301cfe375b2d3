"""The outbox relay: publish committed events with confirms, then mark them sent.

Runs as a background thread of the service that owns the outbox. It wakes as
soon as a local commit recorded events, and otherwise polls (other replicas or
a crashed predecessor may have left rows). A crash between publish and marking
the row sent republishes the event: consumers are idempotent, so each event
still has exactly one effect. Rows are published in id order, each with the request id
of the worker that emitted it as a message header (:func:`event_headers`).

A published row keeps its payload (the privacy tools rewrite mentions there), except the
fields its event declares transient (``events.TRANSIENT_FIELDS``: a reset or invitation
token, the address it was mailed to), set to null in the same transaction that marks the
row sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime

from kombu import Connection, Exchange, Producer
from nameko.constants import HEADER_PREFIX
from sqlalchemy import select, update

from . import settings
from .config import amqp_uri
from .events import Envelope, EventType, kept_after_relay
from .logs import REQUEST_ID_KEY, valid_request_id
from .topology import declare_topology, event_exchange

log = logging.getLogger(__name__)


def event_headers(request_id: str | None) -> dict:
    """The message headers of an event: the request id of the worker that emitted it.

    Under nameko's header prefix, so a handler's worker finds it in its context data
    (``parvis.request_id``) and its own RPCs and events carry it on. Outside the signed
    envelope: the signature covers the id, type, time and data only.
    """
    request_id = valid_request_id(request_id)
    return {f"{HEADER_PREFIX}.{REQUEST_ID_KEY}": request_id} if request_id else {}


class OutboxRelay:
    def __init__(self, engine, table, config: dict | None = None):
        self.engine = engine
        self.table = table
        self.uri = (config or {}).get("AMQP_URI") or amqp_uri()
        self.batch = settings.value("PARVIS_OUTBOX_BATCH")
        self.poll = settings.value("PARVIS_OUTBOX_POLL_MS") / 1000
        self._wake = threading.Event()
        self._stopping = False
        self.published = 0
        #: event ids this relay published lately, for :meth:`wait_published`
        self._recent: deque = deque(maxlen=4096)
        self._sent = threading.Condition()

    def wake(self, _event_ids=None) -> None:
        self._wake.set()

    def wait_published(self, event_ids) -> bool:
        """Wake the relay, then wait until it published ``event_ids`` (committed rows).

        Bounded by ``PARVIS_OUTBOX_SYNC_MS``: a broker that is down does not hold the caller;
        the rows stay and go out later, as always. Another replica's relay may take the rows
        (PostgreSQL's skip-locked): the rows' ``published_at`` is read then. -> all published.
        """
        wanted = set(event_ids)
        deadline = time.monotonic() + settings.value("PARVIS_OUTBOX_SYNC_MS") / 1000
        self.wake()
        while True:
            with self._sent:
                if wanted.issubset(self._recent):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._sent.wait(min(left, 0.05))
            if not wanted.issubset(self._recent) and self._published_elsewhere(wanted):
                return True
        log.warning("events not yet published after the sync bound: the relay sends them later")
        return False

    def _published_elsewhere(self, wanted: set) -> bool:
        t = self.table
        query = select(t.c.event_id).where(t.c.event_id.in_(wanted), t.c.published_at.is_not(None))
        with self.engine.connect() as conn:
            return len(conn.execute(query).all()) == len(wanted)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def run(self) -> None:
        connection = None
        declared = False
        while not self._stopping:
            try:
                if connection is None:
                    connection = Connection(self.uri, transport_options={"confirm_publish": True})
                    connection.ensure_connection(max_retries=3)
                if not declared:
                    declare_topology(connection)
                    declared = True
                sent = self.publish_pending(connection)
            except Exception:  # broker or database hiccup: retry later
                log.exception("outbox relay failed; retrying")
                if connection is not None:
                    connection.release()
                connection, declared, sent = None, False, 0
                time.sleep(1)
            if not sent:
                self._wake.wait(self.poll)
                self._wake.clear()
        if connection is not None:
            connection.release()

    def publish_pending(self, connection) -> int:
        """Publish one batch; return how many rows were sent."""
        t = self.table
        query = select(t).where(t.c.published_at.is_(None)).order_by(t.c.id).limit(self.batch)
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(query).mappings().all()
            if not rows:
                return 0
            producer = Producer(connection.default_channel)
            for row in rows:
                event = EventType(row["source"], row["event_type"])
                env = Envelope(
                    id=row["event_id"], type=event.key, occurred_at=row["occurred_at"], data=row["payload"]
                )
                # confirm_publish makes this block until the broker has it
                producer.publish(
                    env.to_message(),
                    exchange=event_exchange(event.source),
                    routing_key=event.name,
                    serializer="json",
                    delivery_mode=2,
                    retry=True,
                    headers=event_headers(row.get("request_id")),
                )
            now = datetime.now(UTC)
            whole = []
            for row in rows:
                kept = kept_after_relay(EventType(row["source"], row["event_type"]), row["payload"])
                if kept is None:
                    whole.append(row["id"])
                else:  # a token or an address sent once: not kept once published
                    conn.execute(update(t).where(t.c.id == row["id"]).values(published_at=now, payload=kept))
            if whole:
                conn.execute(update(t).where(t.c.id.in_(whole)).values(published_at=now))
        self.published += len(rows)
        with self._sent:
            self._recent.extend(row["event_id"] for row in rows)
            self._sent.notify_all()
        return len(rows)


def publish_now(engine, table, config=None) -> int:
    """Drain the outbox once (used by tools and tests)."""
    relay = OutboxRelay(engine, table, config)
    with Connection(relay.uri, transport_options={"confirm_publish": True}) as conn:
        declare_topology(conn)
        total = 0
        while True:
            sent = relay.publish_pending(conn)
            total += sent
            if not sent:
                return total


__all__ = ["OutboxRelay", "publish_now", "event_headers", "Exchange"]
