"""The broker users of deploy/rabbitmq_users.py: what each may configure, write and read.

RabbitMQ searches each regex in a resource's name (unanchored, as ``re.search`` does here):
every name a process must use matches its regexes, and the names only other processes
should use do not. The real broker's refusals are proved in
tests/service/test_rabbitmq_permissions.py; here, every service and a plug-in.
"""

from __future__ import annotations

import base64
import hashlib
import re
import stat
import uuid
from pathlib import Path

import pytest
import yaml
from marshmallow import Schema

from deploy import rabbitmq_users as ru
from parvis_contracts import events as ev
from parvis_contracts import topology
from parvis_contracts.plugins import CORE_ORDER, PluginError, ServicePlugin, service_plugins

ROOT = Path(__file__).resolve().parents[3]
#: the services the Parvis package ships: the core and the plug-ins under services/
#: (notifications); a plug-in installed from its own package (kudos) is not in the image
CORE = {name: p for name, p in service_plugins().items() if p.core or p.service.startswith("services.")}
USERS = {u.role: u for u in ru.broker_users(CORE)}
SOURCES = ru.event_sources(CORE)


def may(user: ru.BrokerUser, what: str, name: str) -> bool:
    return re.search(user.permissions[what], name) is not None


def may_bind(user: ru.BrokerUser, exchange: str, routing_key: str) -> bool:
    """Topic rules: no rule for the exchange means any key."""
    rules = [t for t in user.topics if t.exchange == exchange]
    return all(re.search(t.read, routing_key) for t in rules)


def may_publish_key(user: ru.BrokerUser, exchange: str, routing_key: str) -> bool:
    rules = [t for t in user.topics if t.exchange == exchange]
    return all(re.search(t.write, routing_key) for t in rules)


def reply(client: str) -> str:
    return ru.REPLY_QUEUE.format(client, uuid.uuid4())


def queues_of(service: str) -> list[str]:
    return [sub.queue_name for sub in CORE[service].subscriptions]


def test_the_names_are_nameko_s():
    import nameko.rpc
    import nameko.standalone.rpc

    assert nameko.rpc.get_rpc_exchange({}).name == ru.RPC_EXCHANGE
    assert nameko.rpc.RPC_QUEUE_TEMPLATE == ru.RPC_QUEUE
    assert nameko.rpc.RPC_REPLY_QUEUE_TEMPLATE == ru.REPLY_QUEUE
    assert '"standalone_rpc_proxy"' in Path(nameko.standalone.rpc.__file__).read_text()
    assert re.fullmatch(ru.UUID, str(uuid.uuid4()))


@pytest.mark.parametrize("service", CORE_ORDER)
def test_a_service_may_use_what_it_must(service):
    user = USERS[service]
    assert user.name == f"parvis-{service}"
    subs = CORE[service].subscriptions
    own = [ru.RPC_EXCHANGE, f"rpc-{service}", reply(service), *queues_of(service)]
    for name in own:
        for what in ("configure", "write", "read"):
            assert may(user, what, name), (service, what, name)
    for sub in subs:
        exchange = f"{sub.event.source}.events"
        # kombu declares a handler queue's exchange, the binding reads from it
        assert may(user, "configure", exchange) and may(user, "read", exchange), exchange
        assert may_bind(user, exchange, sub.event.name), sub
    if subs:  # its handler queues dead-letter to parvis.dlx
        assert may(user, "write", topology.DLX_NAME)
    if ru.publishes(CORE[service]):
        assert may(user, "write", f"{service}.events")
    # its RPC queue's binding and its reply queues' bindings
    assert may_bind(user, ru.RPC_EXCHANGE, f"{service}.*")
    assert may_bind(user, ru.RPC_EXCHANGE, str(uuid.uuid4()))
    # replies to any caller, calls to any service
    assert may_publish_key(user, ru.RPC_EXCHANGE, str(uuid.uuid4()))
    assert may_publish_key(user, ru.RPC_EXCHANGE, "identity.people_cards")


@pytest.mark.parametrize("service", CORE_ORDER)
def test_a_service_may_not_use_what_is_another_s(service):
    user = USERS[service]
    for other in CORE_ORDER:
        if other == service:
            continue
        for what in ("configure", "write", "read"):
            for name in (f"rpc-{other}", reply(other), *queues_of(other)):
                assert not may(user, what, name), (service, what, name)
        assert not may(user, "write", f"{other}.events"), (service, other)
        # no binding of its own queues to another service's calls
        assert not may_bind(user, ru.RPC_EXCHANGE, f"{other}.*")
        assert not may_bind(user, ru.RPC_EXCHANGE, f"{other}.sign_in")
    subscribed = {sub.event.source for sub in CORE[service].subscriptions}
    for source in SOURCES:
        if source not in subscribed:
            assert not may(user, "read", f"{source}.events"), (service, source)
            assert not may(user, "configure", f"{source}.events"), (service, source)
        else:  # only the events it handles
            assert not may_bind(user, f"{source}.events", "#")
            assert not may_bind(user, f"{source}.events", "*")
    for what in ("configure", "write", "read"):
        for name in (
            reply(ru.STANDALONE_CLIENT),
            topology.DLQ_NAME,
            ru.DEFAULT_EXCHANGE,
            "amq.topic",
            f"rpc-{service}-evil",
            f"xrpc-{service}",
            f"rpc-{service}.x",
            f"{reply(service)}x",
            f"{ru.RPC_EXCHANGE}x",
            f"evt-identity-user_erased--{service}.not_a_handler",
        ):
            assert not may(user, what, name), (service, what, name)
    for key in ("#", "*.*", "*"):
        assert not may_bind(user, ru.RPC_EXCHANGE, key), (service, key)


def test_feed_in_particular():
    feed = USERS["feed"]
    assert not may(feed, "read", "rpc-identity")
    assert not any(may(feed, "read", q) for q in queues_of("identity"))
    assert not may(feed, "write", "identity.events")
    assert may(feed, "write", "feed.events") and may(feed, "read", "rpc-feed")


def test_the_gateway_is_an_rpc_client_and_a_listener_of_identitys_events_only():
    gateway = USERS["gateway"]
    watch = f"{ev.IDENTITY_WATCH_PREFIX}.host.123.0a1b2c3d"
    for what in ("configure", "write", "read"):
        assert may(gateway, what, ru.RPC_EXCHANGE)
        assert may(gateway, what, reply(ru.STANDALONE_CLIENT))
        assert may(gateway, what, watch)
        assert not may(gateway, what, ev.IDENTITY_WATCH_PREFIX + "x")  # only its own names
    assert may_bind(gateway, ru.RPC_EXCHANGE, str(uuid.uuid4()))
    for service in CORE_ORDER:
        assert not may_bind(gateway, ru.RPC_EXCHANGE, f"{service}.*")
        for what in ("configure", "write", "read"):
            for name in (f"rpc-{service}", reply(service), *queues_of(service)):
                assert not may(gateway, what, name), (what, name)
    for source in SOURCES:
        for what in ("configure", "write"):
            assert not may(gateway, what, f"{source}.events")
        # it binds from identity's exchange, with the keys of the events it watches only
        assert may(gateway, "read", f"{source}.events") is (source == "identity")
    for event in ev.IDENTITY_WATCHED:
        assert may_bind(gateway, "identity.events", event.name)
    for key in ("#", "*", "user_created", "member_added"):
        assert not may_bind(gateway, "identity.events", key), key
    assert not may_publish_key(gateway, "identity.events", "user_erased")
    assert not may(gateway, "write", topology.DLX_NAME)


def test_the_live_hub_makes_two_calls_and_hears_unread_changed_and_identitys_person_events():
    live = USERS["live"]
    assert live.name == "parvis-live"
    queue = f"{ev.LIVE_HUB_PREFIX}.host.123.0a1b2c3d"
    for what in ("configure", "write", "read"):
        assert may(live, what, ru.RPC_EXCHANGE)
        assert may(live, what, reply(ru.STANDALONE_CLIENT))
        assert may(live, what, queue)
        assert not may(live, what, ev.LIVE_HUB_PREFIX + "x")
        assert not may(live, what, f"{ev.IDENTITY_WATCH_PREFIX}.host.1.x")  # the gateway's
    # its calls: a session, a count; nothing else
    assert may_publish_key(live, ru.RPC_EXCHANGE, "identity.resolve_session")
    assert may_publish_key(live, ru.RPC_EXCHANGE, "notifications.unread_count")
    for key in ("identity.sign_in", "identity.erase_person", "notifications.mark_all_read", "feed.x"):
        assert not may_publish_key(live, ru.RPC_EXCHANGE, key), key
    assert may_bind(live, ru.RPC_EXCHANGE, str(uuid.uuid4()))
    assert not may_bind(live, ru.RPC_EXCHANGE, "notifications.*")
    source, unread = ev.LIVE_HUB_UNREAD
    for exchange in SOURCES:
        for what in ("configure", "write"):
            assert not may(live, what, f"{exchange}.events")
        assert may(live, "read", f"{exchange}.events") is (exchange in (source, "identity"))
    assert may_bind(live, f"{source}.events", unread)
    assert not may_bind(live, f"{source}.events", "#")
    for event in ev.IDENTITY_PERSON_EVENTS:
        assert may_bind(live, "identity.events", event.name)
    for key in ("#", "organisation_updated", "user_created"):
        assert not may_bind(live, "identity.events", key), key
    assert not may_publish_key(live, f"{source}.events", unread)
    for service in CORE_ORDER:
        for what in ("configure", "write", "read"):
            for name in (f"rpc-{service}", reply(service), *queues_of(service)):
                assert not may(live, what, name), (what, name)


def test_the_live_hub_hears_the_event_the_notifications_plugin_declares():
    source, name = ev.LIVE_HUB_UNREAD
    declared = {(e.source, e.name) for e in CORE[source].events}
    assert (source, name) in declared


def test_the_search_plugin_hears_what_it_indexes_and_publishes_nothing():
    """Like notifications, search consumes the feed's, the documents', the communities' and
    identity's events; unlike it, it publishes none and no other service's queue is its."""
    user = USERS["search"]
    assert user.name == "parvis-search"
    assert {sub.event.source for sub in CORE["search"].subscriptions} == {
        "feed",
        "documents",
        "communities",
        "identity",
    }
    for sub in CORE["search"].subscriptions:
        for what in ("configure", "write", "read"):
            assert may(user, what, sub.queue_name), (what, sub)
        assert may_bind(user, f"{sub.event.source}.events", sub.event.name), sub
    assert may_bind(user, "feed.events", "post_created") and not may_bind(user, "feed.events", "post_liked")
    assert not may_bind(user, "identity.events", "#")
    assert not ru.publishes(CORE["search"])
    assert not may(user, "write", "search.events")
    for source in ("feed", "documents", "communities", "identity", "notifications"):
        assert not may(user, "write", f"{source}.events"), source
    for other in (*CORE_ORDER, "notifications"):
        for what in ("configure", "write", "read"):
            for name in (f"rpc-{other}", reply(other), *queues_of(other)):
                assert not may(user, what, name), (what, name)
    assert may_bind(user, ru.RPC_EXCHANGE, "search.*")  # its RPC queue's binding
    assert not may_bind(user, ru.RPC_EXCHANGE, "feed.*")


def test_prepare_may_declare_the_whole_topology_and_no_rpc():
    # the topology is every installed service's (plug-ins included), and so is prepare's user
    installed = service_plugins()
    prepare = ru.prepare_user(installed)
    sources = ru.event_sources(installed)
    assert set(sources) == set(topology._all_sources())
    exchanges = [topology.DLX_NAME, *(f"{s}.events" for s in sources)]
    queues = [topology.DLQ_NAME, *(sub.queue_name for sub in topology.SUBSCRIPTIONS)]
    for name in exchanges + queues:
        assert may(prepare, "configure", name), name
    for name in queues:  # bindings
        assert may(prepare, "write", name), name
    for name in exchanges:
        assert may(prepare, "read", name), name
    for sub in topology.SUBSCRIPTIONS:  # declared with a dead-letter exchange: read on it
        assert may(prepare, "read", sub.queue_name)
        assert may_bind(prepare, f"{sub.event.source}.events", sub.event.name)
    assert may(prepare, "write", topology.DLX_NAME)
    for what in ("configure", "write", "read"):
        for name in (ru.RPC_EXCHANGE, "rpc-identity", reply(ru.STANDALONE_CLIENT), ru.DEFAULT_EXCHANGE):
            assert not may(prepare, what, name), (what, name)
    assert not may(prepare, "write", "identity.events")
    assert not may_bind(prepare, "identity.events", "#")


def test_the_operator_reaches_the_dead_letters_only():
    operator = USERS["operator"]
    assert may(operator, "configure", topology.DLQ_NAME) and may(operator, "configure", topology.DLX_NAME)
    assert may(operator, "read", topology.DLQ_NAME) and may(operator, "write", topology.DLQ_NAME)
    assert may(operator, "write", ru.DEFAULT_EXCHANGE)  # kept messages go back by the default exchange
    for what in ("configure", "write", "read"):
        for name in (ru.RPC_EXCHANGE, "rpc-identity", "identity.events", *queues_of("feed")):
            assert not may(operator, what, name), (what, name)


def test_a_plugin_gets_its_user_from_its_declaration():
    polls_created = ev.EventType("polls", "poll_created")
    polls = ServicePlugin(
        name="polls",
        service="parvis_polls.service:PollsService",
        migrations="parvis_polls:migrations",
        handles=((ev.IDENTITY_USER_ERASED, "on_user_erased"),),
        events={polls_created: Schema},
    )
    users = {u.role: u for u in ru.broker_users({**CORE, "polls": polls})}
    mine = users["polls"]
    queue = "evt-identity-user_erased--polls.on_user_erased"
    for what in ("configure", "write", "read"):
        assert may(mine, what, "rpc-polls") and may(mine, what, queue)
    assert may(mine, "write", "polls.events") and not may(mine, "write", "identity.events")
    assert may_bind(mine, "identity.events", "user_erased") and not may_bind(mine, "identity.events", "#")
    assert not may(users["feed"], "read", queue) and not may(users["feed"], "read", "rpc-polls")
    assert may(users["prepare"], "configure", queue) and may(users["prepare"], "configure", "polls.events")
    with pytest.raises(PluginError):
        ru.broker_users({**CORE, "gateway": polls})


def test_every_regex_is_anchored_and_quotable():
    for user in USERS.values():
        for value in [*user.permissions.values(), *(t.read for t in user.topics)]:
            assert value == ru.NOTHING or (value.startswith("^(") and value.endswith(")$")), value
            assert "'" not in value
            re.compile(value)


def test_definitions_carry_no_password_or_its_rabbitmq_hash():
    users = list(USERS.values())
    bare = ru.definitions(users, vhost="/")
    assert {u["name"] for u in bare["users"]} == {u.name for u in users}
    assert all(u["password_hash"] == "" and "password" not in u for u in bare["users"])
    assert bare["vhosts"] == [{"name": "/"}]
    feed = next(p for p in bare["permissions"] if p["user"] == "parvis-feed")
    assert feed == {"user": "parvis-feed", "vhost": "/", **USERS["feed"].permissions}
    topics = [t for t in bare["topic_permissions"] if t["user"] == "parvis-feed"]
    assert {t["exchange"] for t in topics} == {"nameko-rpc", "communities.events", "identity.events"}
    hashed = ru.definitions(users, passwords={"parvis-feed": "s3cret"}, with_vhost=False)
    assert "vhosts" not in hashed
    raw = base64.b64decode(next(u for u in hashed["users"] if u["name"] == "parvis-feed")["password_hash"])
    salt, digest = raw[:4], raw[4:]
    assert digest == hashlib.sha256(salt + b"s3cret").digest()


def test_the_commands_read_passwords_at_run_time_and_drop_guest():
    script = ru.commands(USERS.values(), vhost="/")
    for user in USERS.values():
        assert f"user {user.name} '{user.permissions['configure']}'" in script
    assert script.count("set_topic_permissions") == sum(len(u.topics) for u in USERS.values())
    assert "$PARVIS_AMQP_PASSWORD_DIR/$1" in script
    assert "delete_user guest" in script
    assert "delete_user guest" not in ru.commands(USERS.values(), keep_guest=True)


def test_passwords_are_made_once_readable_by_their_owner_only(tmp_path, monkeypatch):
    users = list(USERS.values())
    made = ru.write_password_files(users, tmp_path / "amqp")
    assert len(made) == len(users)
    path = tmp_path / "amqp" / "parvis-feed"
    first = path.read_text()
    assert re.fullmatch(r"[0-9a-f]{48}", first)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ru.write_password_files(users, tmp_path / "amqp") == []
    assert ru.load_passwords(users, password_dir=str(tmp_path / "amqp"))["parvis-feed"] == first
    env_file = tmp_path / ".env"
    made = ru.write_env_file(users, str(env_file), "PARVIS_RABBITMQ_PASSWORD_")
    assert "PARVIS_RABBITMQ_PASSWORD_FEED" in made and ru.write_env_file(users, str(env_file), "X_") != []
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    monkeypatch.setenv("RABBITMQ_PASSWORD_FEED", "abc")
    assert ru.load_passwords([USERS["feed"]], password_env="RABBITMQ_PASSWORD_") == {"parvis-feed": "abc"}
    with pytest.raises(SystemExit):
        ru.load_passwords([USERS["gateway"]], password_env="RABBITMQ_PASSWORD_")


# --- deploy/ uses them ------------------------------------------------------------------


def test_the_users_job_is_what_the_generator_makes():
    committed = [d for d in yaml.safe_load_all((ROOT / "deploy/k8s/rabbitmq-users.yaml").read_text()) if d]
    assert committed == ru.kubernetes(USERS.values())


def test_compose_gives_each_process_its_own_user_and_no_guest():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert "PARVIS_AMQP_URI" not in compose["x-parvis"]["environment"]
    expected = {**{s: s for s in CORE_ORDER}, "gateway": "gateway", "prepare": "prepare", "seed": "gateway"}
    for name, role in expected.items():
        uri = services[name]["environment"]["PARVIS_AMQP_URI"]
        assert uri.startswith(f"amqp://parvis-{role}:${{PARVIS_RABBITMQ_PASSWORD_{role.upper()}:?"), (
            name,
            uri,
        )
        assert "guest" not in uri
    users = services["rabbitmq-users"]
    assert users["command"][0] == "rabbitmq-users"
    for user in USERS.values():
        assert user.password_variable() in users["environment"], user.name
    assert (
        services["prepare"]["depends_on"]["rabbitmq-users"]["condition"] == "service_completed_successfully"
    )
    assert services["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_USER"] != "guest"


def test_the_cluster_script_can_create_the_users():
    script = (ROOT / "deploy" / "rabbitmq_cluster.sh").read_text()
    assert "--users" in script and "deploy.rabbitmq_users definitions" in script
    assert "import_definitions" in script
