"""The broker users of deploy/rabbitmq_users.py on the real RabbitMQ.

A vhost of its own and users with a prefix of their own (created through the management
API with the generator's ``apply``, as the Kubernetes Job does; deleted at the end): each
service's user declares and consumes its own queues and publishes its events, and is
refused (``AccessRefused``) on every other service's queues and exchanges; the gateway's
user is an RPC client only; the prepare user declares the whole topology; and two real
services and an RPC client run under their own users, events and nested RPCs included.
"""

import uuid
from urllib.parse import quote

import eventlet
import pytest
import requests
from amqp.exceptions import AccessRefused, NotAllowed
from kombu import Connection, Exchange, Producer, Queue
from nameko.containers import ServiceContainer
from sqlalchemy import column, create_engine, select, table

from deploy import rabbitmq_users as ru
from parvis_contracts import context as ctx
from parvis_contracts import dlq, topology
from parvis_contracts.client import RpcClient
from parvis_contracts.config import nameko_config
from parvis_contracts.events import IDENTITY_WATCH_PREFIX, LIVE_HUB_PREFIX, LIVE_HUB_UNREAD
from parvis_contracts.migrations import upgrade
from parvis_contracts.plugins import CORE_ORDER, service_plugins
from tests.support import MANAGEMENT, RABBIT_AUTH, Vhost, wait_until

PREFIX = f"ptest-{uuid.uuid4().hex[:8]}-"
#: the services the Parvis image ships: the core, then the plug-ins under services/
#: (notifications, search), each with its own broker user
SHIPPED = (
    *CORE_ORDER,
    *sorted(n for n, p in service_plugins().items() if not p.core and p.service.startswith("services.")),
)
RPC = Exchange(ru.RPC_EXCHANGE, type="topic", durable=True)


class World:
    def __init__(self, vhost, users, passwords):
        self.vhost = vhost
        self.users = {u.role: u for u in users}
        self.passwords = passwords

    def uri(self, role: str, vhost=None) -> str:
        user, vhost = self.users[role], vhost or self.vhost
        password = self.passwords[user.name]
        return f"amqp://{user.name}:{password}@127.0.0.1:5672/{quote(vhost.name, safe='')}"


@pytest.fixture(scope="module")
def world():
    vhost = Vhost("parvis-perms").create()
    users = ru.broker_users(prefix=PREFIX)
    passwords = {u.name: ru.new_password() for u in users}
    try:
        stale = ru.apply(MANAGEMENT, RABBIT_AUTH, users, passwords, vhost=vhost.name, delete_guest=False)
        assert stale == []
        w = World(vhost, users, passwords)
        with Connection(w.uri("prepare")) as conn:
            topology.declare_topology(conn, strict=True)
        yield w
    finally:
        for user in users:
            requests.delete(f"{MANAGEMENT}/users/{quote(user.name, safe='')}", auth=RABBIT_AUTH, timeout=10)
        vhost.delete()
        left = [u["name"] for u in requests.get(f"{MANAGEMENT}/users", auth=RABBIT_AUTH, timeout=10).json()]
        assert not [name for name in left if name.startswith(PREFIX)]


class Attempts:
    """One connection as one user; every attempt on a channel of its own (a refusal
    closes the channel, not the connection)."""

    def __init__(self, uri):
        self.connection = Connection(uri, transport_options={"confirm_publish": True})
        self.connection.ensure_connection(max_retries=2)

    def ok(self, action):
        channel = self.connection.channel()
        try:
            return action(channel)
        finally:
            if channel.is_open:
                channel.close()

    def refused(self, action) -> bool:
        channel = self.connection.channel()
        try:
            action(channel)
        except AccessRefused:
            return True
        finally:
            if channel.is_open:
                channel.close()
        return False

    def close(self):
        self.connection.release()


@pytest.fixture
def attempts():
    opened = []

    def open_as(uri):
        opened.append(Attempts(uri))
        return opened[-1]

    yield open_as
    for a in opened:
        a.close()


def rpc_queue(service):
    return Queue(f"rpc-{service}", exchange=RPC, routing_key=f"{service}.*", durable=True)


def reply_queue(client, routing_key=None):
    key = str(uuid.uuid4())
    return Queue(
        ru.REPLY_QUEUE.format(client, key),
        exchange=RPC,
        routing_key=routing_key or key,
        durable=False,
        queue_arguments={"x-expires": 300000},
    )


def declare(queue):
    return lambda channel: queue(channel).declare()


def get(name):
    return lambda channel: channel.basic_get(queue=name)


def publish(exchange, routing_key):
    def action(channel):
        Producer(channel).publish({"probe": 1}, exchange=exchange, routing_key=routing_key, retry=False)

    return action


def delete(name):
    return lambda channel: channel.queue_delete(queue=name)


def bind(queue_name, exchange, routing_key):
    return lambda channel: channel.queue_bind(queue=queue_name, exchange=exchange, routing_key=routing_key)


def subs(service):
    return service_plugins()[service].subscriptions


@pytest.mark.parametrize("service", SHIPPED)
def test_a_service_uses_its_own_queues_and_exchange(world, attempts, service):
    me = attempts(world.uri(service))
    # its RPC queue as nameko declares it, then consumed
    me.ok(declare(rpc_queue(service)))
    me.ok(get(f"rpc-{service}"))
    # a reply queue of its own (its RpcProxy's), bound with its uuid routing key
    mine = reply_queue(service)
    me.ok(declare(mine))
    me.ok(get(mine.name))
    # its handler queues, as the handlers declare them (dead-lettering to parvis.dlx)
    for sub in subs(service):
        me.ok(declare(topology.handler_queue(sub)))
        me.ok(get(sub.queue_name))
    # its outbox relay checks the topology without declaring it, then publishes
    me.ok(lambda channel: topology.declare_topology(me.connection))
    if ru.publishes(service_plugins()[service]):
        me.ok(publish(f"{service}.events", "probe"))
    # it answers RPCs (a reply goes to nameko-rpc with the caller's uuid)
    me.ok(publish(ru.RPC_EXCHANGE, str(uuid.uuid4())))


@pytest.mark.parametrize("service", SHIPPED)
def test_a_service_is_refused_everything_of_another(world, attempts, service):
    me = attempts(world.uri(service))
    mine = reply_queue(service)
    me.ok(declare(mine))
    for other in SHIPPED:
        if other == service:
            continue
        assert me.refused(get(f"rpc-{other}")), (service, f"rpc-{other}")
        assert me.refused(declare(rpc_queue(other))), (service, f"declare rpc-{other}")
        assert me.refused(lambda channel, o=other: channel.queue_purge(queue=f"rpc-{o}")), (service, other)
        assert me.refused(declare(reply_queue(other))), (service, f"reply queue of {other}")
        # nobody else's calls: its own reply queue cannot be bound to another service's keys
        assert me.refused(bind(mine.name, ru.RPC_EXCHANGE, f"{other}.*")), (service, f"bind {other}.*")
        for sub in subs(other):
            assert me.refused(get(sub.queue_name)), (service, sub.queue_name)
            assert me.refused(delete(sub.queue_name)), (service, "delete", sub.queue_name)
        if ru.publishes(service_plugins()[other]):
            assert me.refused(publish(f"{other}.events", "user_erased")), (service, f"{other}.events")
    assert me.refused(bind(mine.name, ru.RPC_EXCHANGE, "#")), service
    assert me.refused(get(topology.DLQ_NAME)), service
    assert me.refused(publish("", topology.DLQ_NAME)), service
    # an exchange it reads from (to bind its handler queues): its own events only
    for sub in subs(service)[:1]:
        assert me.refused(bind(sub.queue_name, f"{sub.event.source}.events", "#")), sub
        assert me.refused(bind(sub.queue_name, f"{sub.event.source}.events", "not_its_event")), sub


def test_the_gateway_is_an_rpc_client_and_a_listener_of_identitys_events_only(world, attempts):
    gateway = attempts(world.uri("gateway"))
    mine = reply_queue(ru.STANDALONE_CLIENT)
    gateway.ok(declare(mine))
    gateway.ok(get(mine.name))
    gateway.ok(publish(ru.RPC_EXCHANGE, "nobody.probe"))  # a call (to no queue: nothing left behind)
    # its queue of identity's events (gateway/calls/identity_events.py), bound as it binds it
    watch = Queue(f"{IDENTITY_WATCH_PREFIX}.probe.{uuid.uuid4().hex[:8]}", exclusive=True, auto_delete=True)
    gateway.ok(declare(watch))
    gateway.ok(bind(watch.name, "identity.events", "user_deactivated"))
    gateway.ok(get(watch.name))
    for source, key in (("identity", "#"), ("identity", "member_added"), ("communities", "member_added")):
        assert gateway.refused(bind(watch.name, f"{source}.events", key)), (source, key)
    for service in CORE_ORDER:
        assert gateway.refused(get(f"rpc-{service}")), service
        assert gateway.refused(declare(rpc_queue(service))), service
        assert gateway.refused(bind(mine.name, ru.RPC_EXCHANGE, f"{service}.*")), service
        for sub in subs(service):
            assert gateway.refused(get(sub.queue_name)), sub.queue_name
    for source in ("identity", "communities", "feed", "documents"):
        assert gateway.refused(publish(f"{source}.events", "user_erased")), source
    assert gateway.refused(lambda channel: topology.declare_topology(gateway.connection, strict=True))


def test_the_live_hub_makes_its_two_calls_and_hears_what_it_tells(world, attempts):
    live = attempts(world.uri("live"))
    mine = reply_queue(ru.STANDALONE_CLIENT)
    live.ok(declare(mine))
    live.ok(get(mine.name))
    for call in ru.LIVE_CALLS:  # to no queue: nothing left behind
        live.ok(publish(ru.RPC_EXCHANGE, call))
    for call in ("identity.sign_in", "identity.erase_person", "notifications.mark_all_read"):
        assert live.refused(publish(ru.RPC_EXCHANGE, call)), call
    # its queue (gateway/live/hub.py), bound as it binds it
    queue = Queue(f"{LIVE_HUB_PREFIX}.probe.{uuid.uuid4().hex[:8]}", exclusive=True, auto_delete=True)
    live.ok(declare(queue))
    source, unread = LIVE_HUB_UNREAD
    live.ok(bind(queue.name, f"{source}.events", unread))
    live.ok(bind(queue.name, "identity.events", "session_ended"))
    live.ok(get(queue.name))
    for exchange, key in ((source, "#"), ("identity", "user_created"), ("feed", "post_created")):
        assert live.refused(bind(queue.name, f"{exchange}.events", key)), (exchange, key)
    assert live.refused(publish(f"{source}.events", unread))
    for service in CORE_ORDER:
        assert live.refused(get(f"rpc-{service}")), service
        assert live.refused(bind(mine.name, ru.RPC_EXCHANGE, f"{service}.*")), service


def test_prepare_declares_the_topology_and_reaches_no_rpc(world, attempts):
    prepare = attempts(world.uri("prepare"))
    prepare.ok(lambda channel: topology.declare_topology(prepare.connection, strict=True))
    assert prepare.refused(get("rpc-identity"))
    assert prepare.refused(declare(reply_queue(ru.STANDALONE_CLIENT)))
    assert prepare.refused(publish(ru.RPC_EXCHANGE, "identity.sign_in"))
    assert prepare.refused(publish("identity.events", "user_erased"))
    # (it may read the handler queues: RabbitMQ wants read on a queue to declare it with a
    # dead-letter exchange; docs/security.md says so)
    assert prepare.refused(bind(topology.SUBSCRIPTIONS[0].queue_name, "identity.events", "#"))


def test_the_operator_reads_the_dead_letters_only(world, attempts):
    assert dlq.count(world.uri("operator")) == 0
    assert dlq.purge_person("p-1", world.uri("operator"))["examined"] == 0
    operator = attempts(world.uri("operator"))
    assert operator.refused(get("rpc-identity"))
    assert operator.refused(get(topology.SUBSCRIPTIONS[0].queue_name))
    assert operator.refused(publish(ru.RPC_EXCHANGE, "identity.sign_in"))


def test_a_user_is_refused_outside_its_vhost(world):
    other = Vhost("parvis-perms-other").create()
    try:
        user = world.users["feed"]
        uri = f"amqp://{user.name}:{world.passwords[user.name]}@127.0.0.1:5672/{quote(other.name, safe='')}"
        with pytest.raises(NotAllowed), Connection(uri) as conn:
            conn.ensure_connection(max_retries=0)
    finally:
        other.delete()


def test_definitions_hash_a_password_rabbitmq_accepts(world):
    user = ru.BrokerUser(
        role="defs",
        name=f"{PREFIX}defs",
        summary="a definitions probe",
        configure=(),
        write=(),
        read=(ru.escape("nothing"),),
    )
    password = ru.new_password()
    body = ru.definitions([user], world.vhost.name, {user.name: password})
    r = requests.post(f"{MANAGEMENT}/definitions", auth=RABBIT_AUTH, json=body, timeout=10)
    try:
        assert r.status_code in (200, 201, 204), r.text
        uri = f"amqp://{user.name}:{password}@127.0.0.1:5672/{quote(world.vhost.name, safe='')}"
        with Connection(uri) as conn:
            conn.ensure_connection(max_retries=0)
        with pytest.raises(AccessRefused), Connection(uri.replace(password, "wrong")) as conn:
            conn.ensure_connection(max_retries=0)
    finally:
        requests.delete(f"{MANAGEMENT}/users/{quote(user.name, safe='')}", auth=RABBIT_AUTH, timeout=10)


# --- real services under their own users -----------------------------------------------


@pytest.fixture
def running(world, databases):
    """identity and communities, each under its own broker user, started before the
    prepare step (as Kubernetes may do), then prepare; an RPC client under the gateway's."""
    from services.communities.service import CommunitiesService
    from services.identity.service import IdentityService

    vhost = Vhost("parvis-perms-run").create()
    ru.apply(
        MANAGEMENT, RABBIT_AUTH, world.users.values(), world.passwords, vhost=vhost.name, delete_guest=False
    )
    containers, client = [], None
    try:
        for cls in (IdentityService, CommunitiesService):
            url = databases.url(cls.name)
            upgrade(cls.name, url)
            config = dict(nameko_config(cls.name), AMQP_URI=world.uri(cls.name, vhost), DB_URL=url)
            container = ServiceContainer(cls, config)
            container.db_url = url
            try:
                with eventlet.Timeout(30):  # a refused declaration would keep it starting forever
                    container.start()
            except eventlet.Timeout:
                container.kill()
                pytest.fail(f"{cls.name} did not start under its own broker user")
            containers.append(container)
        # their outbox relays wait for the topology (they may not declare others' queues)
        with Connection(world.uri("prepare", vhost)) as conn:
            topology.declare_topology(conn, strict=True)
        client = RpcClient(dict(nameko_config(), AMQP_URI=world.uri("gateway", vhost)), timeout=10)
        yield {c.service_name: c for c in containers}, client
    finally:
        if client is not None:
            client.close()
        for container in containers:
            container.stop()
        vhost.delete()


def test_services_run_under_their_own_users(running):
    containers, rpc = running
    system = ctx.system_caller()
    boot = rpc.call(
        "identity",
        "bootstrap",
        system,
        host_name="Acme",
        host_country="FR",
        admin_email="admin@acme.example",
        admin_password="correct horse battery",
        admin_name="Ada Admin",
    )
    admin = boot["admin"]
    token = ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON,
            user_id=admin["id"],
            org_id=admin["org_id"],
            roles=frozenset(admin.get("roles", ["member"])),
            guest=admin["guest"],
        )
    )
    community = rpc.call(
        "communities",
        "create_community",
        token,
        name="Least privilege",
        kind="project",
        visibility="private",
        languages=["en"],
    )
    assert community["member_count"] == 1
    # a nested RPC: communities asks identity (its reply queue, under its own user)
    eve = rpc.call(
        "identity",
        "admin_create_person",
        token,
        email="eve@acme.example",
        display_name="Eve Employee",
        password="correct horse battery",
    )["person"]
    invitation = rpc.call("communities", "invite", token, community_id=community["id"], person_id=eve["id"])
    assert invitation["guest"] is False
    # communities published member_added under its own user; identity consumed it under its own
    engine = create_engine(containers["identity"].db_url)
    processed = table("processed_events", column("handler"), column("status"))

    def handled():
        with engine.connect() as conn:
            rows = conn.execute(select(processed.c.handler, processed.c.status)).all()
        return [r for r in rows if r.handler == "identity.on_member_added" and r.status == "done"]

    try:
        assert wait_until(handled, timeout=20)
    finally:
        engine.dispose()
