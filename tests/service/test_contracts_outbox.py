"""The transactional outbox and its relay, on a real broker and a real database.

A small probe service (defined here, test-only) changes a table and emits an event in
one session, and handles that same event with an idempotent handler, so a test can
follow an event from commit to effect. Each test gets its own RabbitMQ vhost, so no
queue or dead letter survives from another test.
"""

import collections

import pytest
from kombu import Connection, Producer
from nameko.containers import ServiceContainer
from nameko.extensions import DependencyProvider
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, update

import parvis_contracts.outbox as outbox_module
from parvis_contracts import events as ev
from parvis_contracts import topology
from parvis_contracts.db import Database, infrastructure_tables, make_engine, session_factory
from parvis_contracts.entrypoints import CurrentCaller, rpc
from parvis_contracts.errors import BadRequest
from parvis_contracts.handlers import idempotent_handler
from parvis_contracts.outbox import publish_now
from tests.support import Vhost, wait_until

PROBE = "contracts_probe"
# A test-only event of the probe service, with the smallest payload schema there is.
EVENT = ev.EventType(PROBE, "thing_archived")
ev.SCHEMAS.setdefault(EVENT, ev.CommunityEventSchema)

metadata = MetaData()
things = Table("things", metadata, Column("id", String(60), primary_key=True))
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("community_id", String(60), nullable=False),
    Column("event_id", String(36), nullable=False),
)
outbox_table, processed_table = infrastructure_tables(metadata)

#: how many times the handler's own code ran, per community id (this process only)
HANDLER_RUNS: collections.Counter = collections.Counter()
#: how many handler workers were spawned (deliveries that reached the service)
DELIVERIES: collections.Counter = collections.Counter()


class CountDeliveries(DependencyProvider):
    def worker_setup(self, worker_ctx):
        DELIVERIES[worker_ctx.entrypoint.method_name] += 1


class ProbeService:
    name = PROBE

    db = Database(metadata)
    caller = CurrentCaller()
    deliveries = CountDeliveries()

    @rpc
    def make(self, thing_id, fail=False):
        self.db.execute(things.insert().values(id=thing_id))
        self.db.emit(EVENT, {"community_id": thing_id})
        if fail:
            raise BadRequest("Asked to fail before committing.")
        self.db.commit()
        return thing_id

    @idempotent_handler(EVENT)
    def on_archived(self, envelope):
        community_id = envelope.data["community_id"]
        HANDLER_RUNS[community_id] += 1
        if community_id.startswith("fail-"):
            raise RuntimeError("this handler always fails")
        self.db.execute(effects.insert().values(community_id=community_id, event_id=envelope.id))


SUBSCRIPTION = topology.Subscription(EVENT, PROBE, "on_archived")


@pytest.fixture(autouse=True)
def probe_subscription():
    topology.SUBSCRIPTIONS.append(SUBSCRIPTION)
    HANDLER_RUNS.clear()
    DELIVERIES.clear()
    yield SUBSCRIPTION
    topology.SUBSCRIPTIONS.remove(SUBSCRIPTION)


@pytest.fixture
def vhost():
    """A vhost of its own for every test: no queue or dead letter leaks between tests."""
    vh = Vhost().create()
    yield vh
    vh.delete()


class Probe:
    def __init__(self, service_config, databases):
        self.config = service_config
        self.url = databases.url(PROBE)
        self.engine = make_engine(self.url)
        metadata.create_all(self.engine)
        self.containers = []

    def start(self) -> ServiceContainer:
        container = ServiceContainer(ProbeService, dict(self.config, DB_URL=self.url))
        container.start()
        self.containers.append(container)
        return container

    def stop(self) -> None:
        while self.containers:
            self.containers.pop().stop()

    # --- reading the probe's database ------------------------------------
    def rows(self, table, *where):
        with self.engine.connect() as conn:
            return conn.execute(select(table).where(*where)).mappings().all()

    def effects_of(self, community_id) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(effects).where(effects.c.community_id == community_id)
            ).scalar()

    def emit_committed(self, *community_ids):
        """Commit events in the outbox as the service would, with no relay running."""
        Session = session_factory(self.engine, metadata)
        with Session() as session:
            envs = [session.emit(EVENT, {"community_id": cid}) for cid in community_ids]
            session.commit()
        return envs

    def publish(self, *bodies):
        """Put raw message bodies on the event's exchange, as a relay would."""
        with Connection(self.config["AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
            topology.declare_topology(conn)
            producer = Producer(conn.default_channel)
            for body in bodies:
                producer.publish(
                    body,
                    exchange=topology.event_exchange(EVENT.source),
                    routing_key=EVENT.name,
                    serializer="json",
                    delivery_mode=2,
                )

    def dead_letters(self) -> list:
        """Drain the dead-letter queue and return the bodies found in it."""
        found = []
        with Connection(self.config["AMQP_URI"]) as conn:
            queue = topology.dead_letter_queue()(conn.default_channel)
            queue.declare()
            while True:
                message = queue.get(no_ack=True)
                if message is None:
                    return found
                found.append(message.payload)

    def close(self):
        self.stop()
        self.engine.dispose()


@pytest.fixture
def probe(service_config, databases):
    p = Probe(service_config, databases)
    yield p
    p.close()


def published(probe, community_id):
    rows = [r for r in probe.rows(outbox_table) if r["payload"]["community_id"] == community_id]
    return rows and all(r["published_at"] is not None for r in rows)


# --- tests -------------------------------------------------------------------


def test_state_change_and_event_commit_together(probe, rpc, tokens):
    probe.start()
    assert rpc.call(PROBE, "make", tokens.system(), "c-ok") == "c-ok"
    with pytest.raises(BadRequest):
        rpc.call(PROBE, "make", tokens.system(), "c-rolled-back", fail=True)

    wait_until(lambda: probe.effects_of("c-ok") == 1)
    # the relay marks a row sent once the broker confirmed it: a handler may be faster
    wait_until(lambda: published(probe, "c-ok"))
    assert [r["id"] for r in probe.rows(things)] == ["c-ok"]
    rows = probe.rows(outbox_table)
    assert [r["payload"] for r in rows] == [{"community_id": "c-ok"}]
    assert rows[0]["published_at"] is not None
    # the rolled-back event was never published, so never handled
    rpc.call(PROBE, "make", tokens.system(), "c-later")
    wait_until(lambda: probe.effects_of("c-later") == 1)
    assert probe.effects_of("c-rolled-back") == 0
    assert HANDLER_RUNS["c-rolled-back"] == 0 and DELIVERIES["on_archived"] == 2


def test_relay_publishes_with_confirms_and_marks_rows_sent(probe, rpc, tokens, monkeypatch):
    connections = []

    class RecordingConnection(Connection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            connections.append(self)

    monkeypatch.setattr(outbox_module, "Connection", RecordingConnection)
    probe.start()
    for i in range(3):
        rpc.call(PROBE, "make", tokens.system(), f"c-{i}")
    wait_until(lambda: all(published(probe, f"c-{i}") for i in range(3)))
    wait_until(lambda: all(probe.effects_of(f"c-{i}") == 1 for i in range(3)))
    rows = probe.rows(outbox_table)
    assert len(rows) == 3 and all(r["published_at"] is not None for r in rows)
    # the relay's connection asked for publisher confirms, and its channel is in confirm mode
    assert connections, "the relay did not connect"
    relay_conn = connections[0]
    assert relay_conn.transport_options.get("confirm_publish") is True
    assert relay_conn.default_channel._confirm_selected is True


def test_relay_started_later_publishes_rows_left_unsent(probe):
    """A crash between commit and publish: the next relay finds the rows and sends them."""
    envs = probe.emit_committed("c-a", "c-b")
    assert all(r["published_at"] is None for r in probe.rows(outbox_table))
    probe.start()
    wait_until(lambda: probe.effects_of("c-a") == 1 and probe.effects_of("c-b") == 1)
    wait_until(lambda: published(probe, "c-a") and published(probe, "c-b"))
    assert {r["event_id"] for r in probe.rows(effects)} == {e.id for e in envs}


def test_row_published_but_not_marked_is_published_again_and_applied_once(probe, rpc, tokens):
    """A crash between publish and mark: the event goes out twice, its effect happens once."""
    probe.start()
    rpc.call(PROBE, "make", tokens.system(), "c-twice")
    wait_until(lambda: probe.effects_of("c-twice") == 1 and published(probe, "c-twice"))
    probe.stop()
    with probe.engine.begin() as conn:  # "the mark never happened"
        conn.execute(update(outbox_table).values(published_at=None))
    probe.start()
    wait_until(lambda: published(probe, "c-twice"))
    wait_until(lambda: DELIVERIES["on_archived"] == 2)  # delivered again...
    assert probe.effects_of("c-twice") == 1  # ...applied once
    assert HANDLER_RUNS["c-twice"] == 1
    done = probe.rows(processed_table)
    assert len(done) == 1 and done[0]["status"] == "done"
    assert done[0]["handler"] == f"{PROBE}.on_archived"


def test_declared_topology_keeps_events_emitted_before_the_consumer_starts(probe, vhost):
    with Connection(vhost.uri) as conn:
        topology.declare_topology(conn)
    for sub in topology.SUBSCRIPTIONS:
        queue = vhost.queue(sub.queue_name)
        assert queue["durable"] is True
        assert queue["arguments"]["x-dead-letter-exchange"] == topology.DLX_NAME
    assert vhost.queue(topology.DLQ_NAME)["durable"] is True

    # the event goes out before the probe ever consumed anything
    envs = probe.emit_committed("c-early")
    assert publish_now(probe.engine, outbox_table, {"AMQP_URI": vhost.uri}) == 1
    assert published(probe, "c-early")
    wait_until(lambda: vhost.queue(SUBSCRIPTION.queue_name).get("messages", 0) >= 1, timeout=15)

    probe.start()
    wait_until(lambda: probe.effects_of("c-early") == 1)
    assert probe.rows(effects)[0]["event_id"] == envs[0].id
    assert HANDLER_RUNS["c-early"] == 1
