"""One database per service: engine, session provider, transactional outbox.

``Database`` is a nameko ``DependencyProvider``. Each worker gets its own
:class:`ServiceSession`; the worker commits explicitly. ``session.emit(event,
data)`` writes the event into the ``outbox`` table of the same database, so a
state change and its event commit (or roll back) together; the row keeps the
worker's request id, which the relay sends as a message header. The outbox relay,
a background thread of the same service process, publishes pending rows with
publisher confirms and marks them sent (see :mod:`parvis_contracts.outbox`).

SQLite (the default) runs in WAL mode with a busy timeout and foreign keys on;
any other SQLAlchemy URL (PostgreSQL in production) comes from
``PARVIS_<SERVICE>_DB_URL``.
"""

from __future__ import annotations

import uuid
import weakref
from datetime import UTC

from nameko.extensions import DependencyProvider
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    create_engine,
    event,
    func,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import settings
from .config import db_url
from .events import Envelope, EventType
from .logs import REQUEST_ID_KEY, current_request_id, valid_request_id


def new_id() -> str:
    return str(uuid.uuid4())


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite forgets the zone, PostgreSQL keeps it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        busy_timeout_ms = settings.value("PARVIS_SQLITE_BUSY_TIMEOUT_MS")
        kwargs.setdefault("connect_args", {"timeout": busy_timeout_ms / 1000, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # SQLite waits for a lock inside C: under eventlet that freezes the whole
            # process, heartbeats included, so the wait stays short (PARVIS_SQLITE_BUSY_TIMEOUT_MS)
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.close()

        return engine
    cooperative_postgres_waits()
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_engine(url, **kwargs)


def cooperative_postgres_waits() -> None:
    """Under eventlet, psycopg waits for the server through the green ``select``.

    psycopg picks its C wait (a ``poll`` that never yields) unless gevent patched
    ``select``; it does not know eventlet. With it, every query of a service process
    stopped all its green threads until the server answered: heartbeats, other
    workers, and a worker whose open transaction held the row lock that query waited
    for (the process then froze until something timed out). The Python ``wait_select``
    goes through eventlet's patched ``select`` and lets them run."""
    from eventlet import patcher

    if not patcher.is_monkey_patched("select"):
        return
    try:
        from psycopg import waiting
    except ImportError:  # another driver: nothing to choose
        return
    waiting.wait = waiting.wait_select


def infrastructure_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Add the ``outbox`` and ``processed_events`` tables to a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("source", String(40), nullable=False),
        Column("event_type", String(80), nullable=False),
        Column("occurred_at", String(40), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True, index=True),
        # the request id of the worker that emitted the event (a message header, never
        # in the signed envelope); null for rows written before it existed
        Column("request_id", String(64), nullable=True),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("handler", String(120), primary_key=True),
        Column("status", String(10), nullable=False),  # done | failed
        Column("attempts", Integer, nullable=False, default=0),
        Column("updated_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    )
    return outbox, processed


class ServiceSession(Session):
    """A SQLAlchemy session that can also record events in the outbox."""

    outbox_table: Table | None = None
    _on_events_committed = None

    def emit(self, event: EventType, data: dict) -> Envelope:
        if self.outbox_table is None:
            raise RuntimeError("this service's metadata has no outbox table")
        env = Envelope.new(event, data)
        self.execute(
            self.outbox_table.insert().values(
                event_id=env.id,
                source=event.source,
                event_type=event.name,
                occurred_at=env.occurred_at,
                payload=env.data,
                request_id=self.request_id(),
            )
        )
        self.info.setdefault("emitted", []).append(env.id)
        return env

    def request_id(self) -> str | None:
        """The request id of the worker this session serves (its context data), if any."""
        data = self.info.get("context_data")
        found = data.get(REQUEST_ID_KEY) if data is not None else None
        return valid_request_id(found) or current_request_id()

    def commit(self) -> None:
        super().commit()
        emitted = self.info.pop("emitted", None)
        if emitted and self._on_events_committed:
            self._on_events_committed(emitted)

    def rollback(self) -> None:
        super().rollback()
        self.info.pop("emitted", None)  # those rows are gone: nobody waits for them


def session_factory(engine: Engine, metadata: MetaData, on_events=None) -> sessionmaker:
    """Sessions on ``engine``; ``on_events(event_ids)`` after a commit that recorded events."""
    outbox = metadata.tables.get("outbox")
    cls = type(
        "BoundServiceSession",
        (ServiceSession,),
        {"outbox_table": outbox, "_on_events_committed": staticmethod(on_events) if on_events else None},
    )
    return sessionmaker(engine, class_=cls, expire_on_commit=False)


class Database(DependencyProvider):
    """Session per worker on the service's own database, plus the outbox relay.

    ``publish_before_reply``: a commit that recorded events returns only once the relay has
    published them (bounded by ``PARVIS_OUTBOX_SYNC_MS``), so a caller that has the answer
    knows that whoever listens has been told. Identity uses it: its events make the
    gateways forget sessions and cards, and a revocation must hold at the next request.
    """

    def __init__(self, metadata: MetaData, relay: bool = True, publish_before_reply: bool = False):
        self.metadata = metadata
        self.relay_enabled = relay and "outbox" in metadata.tables
        self.publish_before_reply = publish_before_reply and self.relay_enabled
        self.relay = None
        self.sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def setup(self):
        from .outbox import OutboxRelay

        service = self.container.service_name
        self.engine = make_engine(self.container.config.get("DB_URL") or db_url(service))
        if self.relay_enabled:
            self.relay = OutboxRelay(self.engine, self.metadata.tables["outbox"], self.container.config)
        on_events = None
        if self.relay:
            on_events = self.relay.wait_published if self.publish_before_reply else self.relay.wake
        self.Session = session_factory(self.engine, self.metadata, on_events)

    def start(self):
        if self.relay:
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self):
        if self.relay:
            self.relay.stop()
        self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        session = self.Session()
        # the worker's context data, read when an event is emitted: its request id
        # (parvis_contracts.logs.WorkerLog may set one after this, in worker_setup)
        session.info["context_data"] = worker_ctx.data
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
