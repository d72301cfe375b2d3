"""Idempotent event handlers with a bounded number of tries.

    class IdentityService:
        db = Database(metadata)

        @idempotent_handler(events.COMMUNITIES_MEMBER_ADDED)
        def on_member_added(self, event: Envelope):
            ...   # change self.db; do NOT commit

The decorated method receives the authenticated :class:`Envelope`. The helper
skips events already processed (their ids are remembered in
``processed_events`` in the same transaction as the handler's changes), commits,
and acks. A failing handler is retried; after ``max_attempts`` failures (5 by
default) its message is rejected and RabbitMQ moves it to the dead-letter
queue, while other messages keep flowing. A message whose envelope is forged
or malformed goes to the dead-letter queue at once.

The request id of the worker that emitted the event travels as a message header (see
:mod:`parvis_contracts.outbox`): the handler's worker has it in its context data, its
lines (``parvis_contracts.logs``) and the RPCs and events it makes carry it on.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from datetime import UTC, datetime

from nameko.events import EventHandler
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from . import logs, settings
from .db import Database, ServiceSession
from .errors import ValidationFailed
from .events import Envelope, EventType
from .topology import find_subscription, handler_queue

log = logging.getLogger(__name__)


class IdempotentEventHandler(EventHandler):
    def __init__(self, event: EventType, max_attempts: int | None = None, **kwargs):
        self.event = event
        self.max_attempts = max_attempts or settings.value("PARVIS_HANDLER_MAX_ATTEMPTS")
        super().__init__(event.source, event.name, requeue_on_error=True, **kwargs)

    @property
    def handler_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        logs.install_worker_filter()
        super().setup()
        sub = find_subscription(self.event, self.container.service_name, self.method_name)
        if sub is None:
            raise RuntimeError(
                f"{self.handler_name} handles {self.event.key} but is not in the "
                "handles of its plug-in declaration (parvis_contracts.topology.SUBSCRIPTIONS)"
            )
        self.queue = handler_queue(sub)

    def _database(self) -> Database:
        for dep in self.container.dependencies:
            if isinstance(dep, Database):
                return dep
        raise RuntimeError("an idempotent handler needs a Database dependency")

    def handle_message(self, body, message):
        try:
            Envelope.from_message(body)
        except ValidationFailed as exc:
            log.error(
                "rejecting event on %s: %s",
                self.queue.name,
                exc,
                extra=self._log_fields(body, message),
            )
            self._reject(message)
            return
        super().handle_message(body, message)

    def _log_fields(self, body, message) -> dict:
        """What a line of this handler says: the handler, the event, its request id."""
        body = body if isinstance(body, dict) else {}
        return {
            "service": self.container.service_name,
            "method": self.method_name,
            "entrypoint": "event",
            "event": body.get("type"),
            "event_id": body.get("id"),
            "request_id": logs.valid_request_id(
                self.unpack_message_headers(message).get(logs.REQUEST_ID_KEY)
            ),
        }

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        attempts = self._record_failure(message.payload)
        if attempts >= self.max_attempts:
            log.error(
                "%s failed %d times on event %s: dead-lettered",
                self.handler_name,
                attempts,
                message.payload.get("id"),
                extra=self._log_fields(message.payload, message),
            )
            self._reject(message)
        else:
            self.queue_consumer.requeue_message(message)

    def _reject(self, message):
        if message.channel.connection:
            # the broker may have reclaimed it already
            with contextlib.suppress(ConnectionError):
                message.reject(requeue=False)

    def _record_failure(self, body) -> int:
        event_id = str(body.get("id"))
        table = self._database().metadata.tables["processed_events"]
        engine = self._database().engine
        key = (table.c.event_id == event_id) & (table.c.handler == self.handler_name)
        now = datetime.now(UTC)
        with engine.begin() as conn:
            row = conn.execute(select(table.c.attempts).where(key)).first()
            if row is None:
                try:
                    conn.execute(
                        insert(table).values(
                            event_id=event_id,
                            handler=self.handler_name,
                            status="failed",
                            attempts=1,
                            updated_at=now,
                        )
                    )
                    return 1
                except IntegrityError:
                    row = conn.execute(select(table.c.attempts).where(key)).first()
            conn.execute(update(table).where(key).values(attempts=table.c.attempts + 1, updated_at=now))
            return (row.attempts or 0) + 1


def _session_of(service) -> ServiceSession:
    for value in vars(service).values():
        if isinstance(value, ServiceSession):
            return value
    raise RuntimeError("an idempotent handler needs a Database dependency")


def idempotent_handler(event: EventType, **kwargs):
    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, body):
            envelope = Envelope.from_message(body)
            session = _session_of(self)
            table = _processed_table(session)
            name = f"{type(self).name}.{fn.__name__}"
            key = (table.c.event_id == envelope.id) & (table.c.handler == name)
            status = session.execute(select(table.c.status).where(key)).scalar()
            if status == "done":
                logs.annotate(outcome="duplicate")  # the worker's line says so
                log.info("%s: event %s (%s) already processed, skipped", name, envelope.id, envelope.type)
                return "duplicate"
            result = fn(self, envelope)
            now = datetime.now(UTC)
            if status is None:
                session.execute(
                    insert(table).values(
                        event_id=envelope.id, handler=name, status="done", attempts=0, updated_at=now
                    )
                )
            else:
                session.execute(update(table).where(key).values(status="done", updated_at=now))
            try:
                session.commit()
            except IntegrityError:
                # another replica processed it concurrently: its effect stands
                session.rollback()
                logs.annotate(outcome="duplicate")
                log.info(
                    "%s: event %s (%s) processed concurrently elsewhere", name, envelope.id, envelope.type
                )
                return "duplicate"
            return result

        return IdempotentEventHandler.decorator(event, **kwargs)(wrapper)

    return decorator


def told_by(event: EventType, rule, *args):
    """The idempotent handler of ``event`` for a service whose rules are plain functions: the
    payload, validated by the event's schema (unknown fields left out), is handed to
    ``rule(session, occurred_at, data, *args)`` in the handler's transaction.

    ``on_post_created = told_by(ev.FEED_POST_CREATED, notify.post_created)``
    """
    from marshmallow import EXCLUDE

    from .events import schema_of
    from .schemas import load

    def handle(self, envelope):
        data = load(schema_of(event)(), envelope.data, f"Invalid {event.key} event.", unknown=EXCLUDE)
        rule(_session_of(self), datetime.fromisoformat(envelope.occurred_at), data, *args)

    handle.__name__ = handle.__qualname__ = f"on_{event.name}"
    return idempotent_handler(event)(handle)


def _processed_table(session: ServiceSession):
    metadata = session.outbox_table.metadata if session.outbox_table is not None else None
    if metadata is None or "processed_events" not in metadata.tables:
        raise RuntimeError("the service's metadata lacks infrastructure_tables()")
    return metadata.tables["processed_events"]
