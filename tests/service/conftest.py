"""Service tier: one real nameko service container on the real RabbitMQ.

eventlet must patch the standard library before anything else imports it,
so this tier runs in its own pytest process (see ``./parvis test``).
"""

import eventlet

eventlet.monkey_patch()  # noqa: E402

import functools  # noqa: E402

import pytest  # noqa: E402
from kombu import Connection  # noqa: E402
from kombu.mixins import ConsumerMixin  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402

from parvis_contracts import context as ctx  # noqa: E402
from parvis_contracts.client import RpcClient  # noqa: E402
from parvis_contracts.config import nameko_config  # noqa: E402
from parvis_contracts.migrations import upgrade  # noqa: E402
from parvis_contracts.topology import declare_topology  # noqa: E402
from tests.support import Databases, Vhost  # noqa: E402

# A nameko consumer notices a stop request only when its ``drain_events`` wait
# times out (kombu's ``safety_interval``, 1 s): stopping a container then takes
# 2 s, and this tier stops one or more for every test. Tests poll faster; the
# services keep kombu's default in production, where stops are rare.
ConsumerMixin.consume = functools.partialmethod(ConsumerMixin.consume, safety_interval=0.02)


@pytest.fixture
def vhost():
    """A vhost of its own for every test: durable queues (which the topology declares
    for every subscriber) must not carry one test's events into the next."""
    vh = Vhost().create()
    yield vh
    vh.delete()


@pytest.fixture
def broker(vhost):
    """A connection to the test's vhost, with the platform's topology declared."""
    with Connection(vhost.uri) as conn:
        conn.ensure_connection(max_retries=3)
        declare_topology(conn)
        yield conn


@pytest.fixture(scope="module")
def module_vhost():
    """For modules that start their services once for all their tests."""
    vh = Vhost().create()
    yield vh
    vh.delete()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


@pytest.fixture
def service_config(vhost):
    config = nameko_config()
    config["AMQP_URI"] = vhost.uri
    return config


@pytest.fixture
def start_service(service_config, databases):
    """Start a service class on a fresh, migrated database; stop it afterwards.

    Returns the container; ``container.db_url`` is the database it uses.
    """
    containers = []

    def start(cls, migrate: str | None = None):
        service = migrate or cls.name
        url = databases.url(service)
        upgrade(service, url)
        config = dict(service_config, DB_URL=url)
        container = ServiceContainer(cls, config)
        container.db_url = url
        container.start()
        containers.append(container)
        return container

    yield start
    # the last started first: a service's timer may still be asking the ones started before
    for container in reversed(containers):
        container.stop()


@pytest.fixture
def rpc(service_config):
    client = RpcClient(service_config, timeout=10)
    yield client
    client.close()


def person_token(user_id="u-1", roles=("member",), guest=False, org_id="org-1", **kw):
    return ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON, user_id=user_id, org_id=org_id, roles=frozenset(roles), guest=guest, **kw
        )
    )


@pytest.fixture
def tokens():
    class Tokens:
        system = staticmethod(ctx.system_caller)
        anonymous = staticmethod(ctx.anonymous_caller)
        person = staticmethod(person_token)

    return Tokens
