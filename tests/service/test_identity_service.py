"""The identity service on the real RabbitMQ and a real database (SQLite or PostgreSQL)."""

import time

import pytest
from kombu import Connection, Producer, Queue
from sqlalchemy import create_engine, func, select

from parvis_contracts import context as ctx
from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden, NotFound, TooManyRequests, Unauthenticated, ValidationFailed
from parvis_contracts.events import Envelope
from parvis_contracts.topology import declare_topology, event_exchange, find_subscription
from services.identity.models import SharedCommunity, metadata
from services.identity.service import IdentityService
from tests.support import bootstrap_acme, wait_until

ADMIN_EMAIL, PASSWORD = "admin@acme.example", "correct horse battery"


@pytest.fixture
def identity(start_service, rpc, tokens, broker):
    # bind our own queue first, so the relay's user_created events are kept for us
    created = Queue(
        "test-identity-user-created",
        exchange=event_exchange("identity"),
        routing_key=ev.IDENTITY_USER_CREATED.name,
        durable=False,
        auto_delete=False,
    )
    created(broker.default_channel).declare()
    container = start_service(IdentityService)
    boot = bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    container.boot = boot
    container.created_queue = created
    yield container
    created(broker.default_channel).delete()


def admin_token(identity):
    admin = identity.boot["admin"]
    return ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON, user_id=admin["id"], org_id=admin["org_id"], roles=frozenset(admin["roles"])
        )
    )


def token_for(person, **kw):
    return ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON,
            user_id=person["id"],
            org_id=person["org_id"],
            roles=frozenset(person.get("roles", ["member"])),
            guest=person["guest"],
            **kw,
        )
    )


def test_bootstrap_is_idempotent_and_reserved_to_the_system(identity, rpc, tokens):
    assert identity.boot["created"] == {"organisation": True, "admin": True}
    assert identity.boot["organisation"]["is_host"] is True
    again = bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    assert again["created"] == {"organisation": False, "admin": False}
    assert again["admin"]["id"] == identity.boot["admin"]["id"]
    with pytest.raises(Forbidden):
        rpc.call(
            "identity",
            "bootstrap",
            admin_token(identity),
            host_name="Acme",
            host_country="FR",
            admin_email="x@acme.example",
            admin_password=PASSWORD,
            admin_name="X",
        )
    with pytest.raises(Unauthenticated):
        rpc.call(
            "identity",
            "bootstrap",
            tokens.anonymous(),
            host_name="Acme",
            host_country="FR",
            admin_email="x@acme.example",
            admin_password=PASSWORD,
            admin_name="X",
        )


def test_sign_in_resolve_sign_out(identity, rpc, tokens):
    anon = tokens.anonymous()
    with pytest.raises(Unauthenticated) as exc:
        rpc.call("identity", "sign_in", anon, email=ADMIN_EMAIL, password="wrong password")
    assert exc.value.message == "E-mail or password is incorrect."
    with pytest.raises(Unauthenticated) as unknown:
        rpc.call("identity", "sign_in", anon, email="nobody@acme.example", password=PASSWORD)
    assert unknown.value.message == exc.value.message
    session = rpc.call(
        "identity",
        "sign_in",
        anon,
        email="ADMIN@acme.example",
        password=PASSWORD,
        user_agent="pytest",
        ip="127.0.0.1",
    )
    assert session["person"]["roles"] == ["admin", "member"]
    resolved = rpc.call("identity", "resolve_session", anon, session_token=session["session_token"])
    assert resolved["person"]["id"] == identity.boot["admin"]["id"]
    assert resolved["expires_at"] == session["expires_at"]
    me = rpc.call("identity", "get_me", admin_token(identity))
    assert me["email"] == ADMIN_EMAIL
    assert rpc.call("identity", "sign_out", anon, session_token=session["session_token"]) == {
        "signed_out": True
    }
    with pytest.raises(Unauthenticated):
        rpc.call("identity", "resolve_session", anon, session_token=session["session_token"])
    with pytest.raises(ValidationFailed):
        rpc.call("identity", "sign_in", anon, email=ADMIN_EMAIL, password=None)


def test_throttling_over_rpc(identity, rpc, tokens):
    anon = tokens.anonymous()
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            rpc.call("identity", "sign_in", anon, email=ADMIN_EMAIL, password="wrong password")
    with pytest.raises(TooManyRequests) as exc:
        rpc.call("identity", "sign_in", anon, email=ADMIN_EMAIL, password=PASSWORD)
    # nameko stringifies non-string values inside an error's arguments on the wire
    assert 0 < int(exc.value.details["retry_after"]) <= 900


@pytest.mark.parametrize(
    "make_token",
    [
        lambda person: None,
        lambda person: "garbage",
        lambda person: token_for(person, expires_at=int(time.time()) - 5),
        lambda person: ctx.sign(
            ctx.Caller(kind=ctx.KIND_PERSON, user_id=person["id"], roles=frozenset(["admin"])),
            secret=b"not the secret",
        ),
        lambda person: ctx.anonymous_caller(),
    ],
    ids=["missing", "malformed", "expired", "forged", "anonymous"],
)
def test_person_methods_refuse_bad_contexts(identity, rpc, make_token):
    admin = identity.boot["admin"]
    token = make_token(admin)
    for method, kwargs in [
        ("get_me", {}),
        ("search_people", {}),
        ("get_person", {"person_id": admin["id"]}),
        ("admin_list_people", {}),
        ("deactivate_person", {"person_id": admin["id"]}),
    ]:
        with pytest.raises(Unauthenticated):
            rpc.call("identity", method, token, **kwargs)
    # and nothing changed
    assert rpc.call("identity", "get_me", admin_token(identity))["id"] == admin["id"]


def test_anonymous_methods_still_need_a_signed_context(identity, rpc):
    for token in (None, "a.b"):
        with pytest.raises(Unauthenticated):
            rpc.call("identity", "sign_in", token, email=ADMIN_EMAIL, password=PASSWORD)


def test_the_relay_publishes_user_created(identity, rpc, broker):
    admin = identity.boot["admin"]
    queue = broker.SimpleQueue(identity.created_queue)
    try:
        message = queue.get(block=True, timeout=10)
        body = Envelope.from_message(message.payload)
        message.ack()
        assert body.type == "identity.user_created"
        assert body.data == {
            "user_id": admin["id"],
            "org_id": admin["org_id"],
            "guest": False,
            "preferred_language": "en",
        }
    finally:
        queue.close()


def _publish(broker, event, data=None, body=None):
    body = body or Envelope.new(event, data).to_message()
    producer = Producer(broker.default_channel)
    producer.publish(
        body,
        exchange=event_exchange(event.source),
        routing_key=event.name,
        serializer="json",
        delivery_mode=2,
    )
    return body


def test_guest_directory_follows_community_events(identity, rpc, broker, vhost):
    admin = admin_token(identity)
    partner = rpc.call(
        "identity", "create_organisation", admin, name="Partner Co", kind="supplier", country="DE"
    )
    guest = rpc.call(
        "identity",
        "admin_create_person",
        admin,
        email="gus@partner.example",
        display_name="Gus Guest",
        org_id=partner["id"],
        password=PASSWORD,
    )["person"]
    mate = rpc.call(
        "identity",
        "admin_create_person",
        admin,
        email="mia@acme.example",
        display_name="Mia Mate",
        password=PASSWORD,
    )["person"]
    guest_token = token_for(guest)

    def visible():
        return [c["id"] for c in rpc.call("identity", "search_people", guest_token)["items"]]

    assert visible() == [guest["id"]]
    with pytest.raises(NotFound):
        rpc.call("identity", "get_person", guest_token, person_id=mate["id"])

    _publish(broker, ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "c-1", "user_id": guest["id"]})
    body = _publish(
        broker, ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "c-1", "user_id": mate["id"], "role": "manager"}
    )
    wait_until(lambda: mate["id"] in visible(), timeout=15)
    assert rpc.call("identity", "get_person", guest_token, person_id=mate["id"])["id"] == mate["id"]

    # the same event delivered again changes nothing
    _publish(broker, ev.COMMUNITIES_MEMBER_ADDED, body=body)
    queue_name = find_subscription(ev.COMMUNITIES_MEMBER_ADDED, "identity", "on_member_added").queue_name
    wait_until(
        lambda: vhost.queue(queue_name).get("message_stats", {}).get("ack", 0) >= 3, timeout=20, interval=0.5
    )
    engine = create_engine(identity.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(SharedCommunity.community_id, SharedCommunity.user_id)).all()
            processed = metadata.tables["processed_events"]
            marks = conn.execute(select(func.count()).select_from(processed)).scalar()
    finally:
        engine.dispose()
    assert sorted(rows) == sorted([("c-1", guest["id"]), ("c-1", mate["id"])])
    assert marks == 2
    assert sorted(visible()) == sorted([guest["id"], mate["id"]])

    _publish(broker, ev.COMMUNITIES_MEMBER_REMOVED, {"community_id": "c-1", "user_id": mate["id"]})
    wait_until(lambda: mate["id"] not in visible(), timeout=15)
    with pytest.raises(NotFound):
        rpc.call("identity", "get_person", guest_token, person_id=mate["id"])


def test_deactivation_over_rpc_ends_the_session(identity, rpc, tokens):
    admin = admin_token(identity)
    person = rpc.call(
        "identity",
        "admin_create_person",
        admin,
        email="dan@acme.example",
        display_name="Dan Deact",
        password=PASSWORD,
    )["person"]
    session = rpc.call("identity", "sign_in", tokens.anonymous(), email="dan@acme.example", password=PASSWORD)
    rpc.call("identity", "deactivate_person", admin, person_id=person["id"])
    with pytest.raises(Unauthenticated):
        rpc.call("identity", "resolve_session", tokens.anonymous(), session_token=session["session_token"])
    with pytest.raises(Unauthenticated):
        rpc.call("identity", "get_me", token_for(person))


def test_invitation_over_rpc(identity, rpc, tokens):
    created = rpc.call(
        "identity",
        "admin_create_person",
        admin_token(identity),
        email="ivy@acme.example",
        display_name="Ivy Invited",
    )
    anon = tokens.anonymous()
    assert rpc.call("identity", "get_invitation", anon, token=created["invitation_token"]) == {
        "email": "ivy@acme.example",
        "display_name": "Ivy Invited",
    }
    session = rpc.call(
        "identity",
        "accept_invitation",
        anon,
        token=created["invitation_token"],
        password="a long enough password",
    )
    assert (
        rpc.call("identity", "resolve_session", anon, session_token=session["session_token"])["person"][
            "email"
        ]
        == "ivy@acme.example"
    )


def test_health(identity, rpc, tokens):
    report = rpc.call("identity", "health", tokens.anonymous())
    assert report["service"] == "identity" and report["database"] == "ok"
