"""A call context lifted off the bus is good for one call only (docs/security.md).

Real services on the real broker: identity (which keeps the audit log), communities,
and a probe service that calls identity itself through the services' ``RpcProxy``. A
queue of the test, bound to the RPC exchange with the routing key of one method,
receives a copy of a real request (the broker routes it to both queues): the context
that request carried — made by ``RpcClient`` or by the probe's proxy — is sent again
with raw kombu, to the same method, to another method of the same service and to
another service. Each is answered ``Unauthenticated`` without any service code running,
counted in ``parvis_rpc_refused_total`` and recorded in identity's audit log.
"""

import time
import uuid

import pytest
from kombu import Connection, Exchange, Producer, Queue
from nameko.containers import ServiceContainer
from prometheus_client import REGISTRY

from parvis_contracts import context as ctx
from parvis_contracts import entrypoints
from parvis_contracts.client import RpcClient
from parvis_contracts.entrypoints import CurrentCaller, RpcProxy, rpc
from services.communities.service import CommunitiesService
from services.identity.service import IdentityService
from tests.support import wait_until

HEADER = "nameko." + ctx.CONTEXT_KEY
RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)


class ProbeService:
    """Calls identity with the caller's context, as communities and feed do."""

    name = "ctx_probe"
    caller = CurrentCaller()
    identity = RpcProxy("identity")

    @rpc
    def relay_whoami(self):
        return {"me": self.caller.describe(), "identity": self.identity.whoami()}


class Bus:
    """Raw AMQP on the test's vhost: copies of requests, requests sent by hand, replies."""

    def __init__(self, uri):
        self.connection = Connection(uri)
        self.channel = self.connection.channel()
        self.reply_key = f"ctx-replay-{uuid.uuid4()}"
        self.replies = Queue(
            f"ctx-replies-{uuid.uuid4()}", RPC_EXCHANGE, routing_key=self.reply_key, exclusive=True
        )(self.channel)
        self.replies.declare()

    def tap(self, routing_key):
        """A queue that receives a copy of every request routed with ``routing_key``."""
        queue = Queue(f"ctx-tap-{uuid.uuid4()}", RPC_EXCHANGE, routing_key=routing_key, exclusive=True)(
            self.channel
        )
        queue.declare()
        return queue

    def take(self, queue, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = queue.get(no_ack=True)
            if message is not None:
                return message
            time.sleep(0.02)
        raise AssertionError(f"nothing arrived on {queue.name} within {timeout} s")

    def send(self, routing_key, headers, payload=None):
        """Publish a request as nameko would, with exactly these headers; its reply body."""
        correlation_id = str(uuid.uuid4())
        Producer(self.channel).publish(
            payload if payload is not None else {"args": [], "kwargs": {}},
            exchange=RPC_EXCHANGE,
            routing_key=routing_key,
            headers=headers,
            reply_to=self.reply_key,
            correlation_id=correlation_id,
            serializer="json",
            mandatory=True,
        )
        while True:
            reply = self.take(self.replies)
            if reply.properties.get("correlation_id") == correlation_id:
                return reply.payload

    def close(self):
        self.connection.release()


def refused(reply, words):
    error = reply.get("error") or {}
    assert error.get("exc_type") == "Unauthenticated", reply
    assert words in error.get("value", ""), reply
    return True


def counted(service, method, reason):
    labels = {"service": service, "method": method, "reason": reason}
    return REGISTRY.get_sample_value("parvis_rpc_refused_total", labels) or 0.0


def calls(service, method):
    return sum(
        REGISTRY.get_sample_value(
            "parvis_rpc_calls_total", {"service": service, "method": method, "outcome": outcome}
        )
        or 0.0
        for outcome in ("ok", "expected", "fault")
    )


def bus_refusals(rpc, tokens):
    """{(route, reason, caller): count} of the audit log's rows of refused bus calls."""
    page = rpc.call("identity", "audit_log", tokens.system(), action="access_refused", limit=200)
    found = {}
    for item in page["items"]:
        details = item["details"]
        if details.get("method") == "RPC":
            key = (details["route"], details["reason"], details.get("caller"))
            found[key] = found.get(key, 0) + item["count"]
    return found


@pytest.fixture
def platform(start_service, service_config, vhost, monkeypatch):
    # a report of refused calls at most every second (10 s in production): the audit
    # rows of this test come within the bounded wait below
    monkeypatch.setattr(entrypoints, "REFUSALS_EVERY", 1.0)
    start_service(IdentityService)
    start_service(CommunitiesService)
    probe = ServiceContainer(ProbeService, service_config)
    probe.start()
    bus = Bus(vhost.uri)
    yield bus
    bus.close()
    probe.stop()


def test_a_context_taken_off_the_bus_is_refused_everywhere_it_is_sent_again(platform, rpc, tokens):
    bus = platform
    tap = bus.tap("communities.whoami")
    token = tokens.person(user_id="u-77", org_id="org-7", roles=("member",))

    # a real call through the client: it is answered, and the test's queue got a copy
    me = rpc.call("communities", "whoami", token)
    assert me["user_id"] == "u-77"
    copy = bus.take(tap)
    lifted = copy.headers[HEADER]
    assert lifted != token  # the request context itself never goes on the wire
    assert ctx.verify(lifted).target == "communities.whoami"

    # the raw path works: a fresh context made the client's way is answered
    fresh = rpc.bound("communities", "whoami", token)
    assert bus.send("communities.whoami", {HEADER: fresh})["result"]["user_id"] == "u-77"
    bus.take(tap)  # (its copy)

    before = {
        "whoami": counted("communities", "whoami", ctx.REPLAYED),
        "health": counted("communities", "health", ctx.WRONG_TARGET),
        "identity": counted("identity", "whoami", ctx.WRONG_TARGET),
    }
    ran = {"whoami": calls("communities", "whoami"), "health": calls("communities", "health")}
    ran["identity"] = calls("identity", "whoami")
    headers = dict(copy.headers)
    # (a) the same method: replayed
    assert refused(bus.send("communities.whoami", headers, copy.payload), "already used")
    # (b) another method of the same service (one that even admits visitors): refused
    assert refused(bus.send("communities.health", headers), "not bound to this call")
    # (c) another service: refused
    assert refused(bus.send("identity.whoami", headers), "not bound to this call")
    # ...and the request context the gateway signs is refused on the wire as it is
    assert refused(bus.send("communities.whoami", {HEADER: token}), "not bound to this call")

    assert counted("communities", "whoami", ctx.REPLAYED) == before["whoami"] + 1
    assert counted("communities", "health", ctx.WRONG_TARGET) == before["health"] + 1
    assert counted("identity", "whoami", ctx.WRONG_TARGET) == before["identity"] + 1
    time.sleep(0.3)  # a worker would have been counted by now
    assert calls("communities", "whoami") == ran["whoami"]
    assert calls("communities", "health") == ran["health"]
    assert calls("identity", "whoami") == ran["identity"]

    expected = {
        ("communities.whoami", ctx.REPLAYED, ctx.KIND_PERSON),
        ("communities.health", ctx.WRONG_TARGET, ctx.KIND_PERSON),
        ("identity.whoami", ctx.WRONG_TARGET, ctx.KIND_PERSON),
    }
    assert wait_until(lambda: expected <= set(bus_refusals(rpc, tokens)), timeout=20)
    found = bus_refusals(rpc, tokens)
    assert all(found[key] == 1 for key in expected), found


def test_a_service_sends_each_downstream_call_its_own_bound_context(platform, rpc, tokens):
    bus = platform
    tap = bus.tap("identity.whoami")
    token = tokens.person(user_id="u-88", org_id="org-8", roles=("member", "global_community_manager"))

    answer = rpc.call("ctx_probe", "relay_whoami", token)
    # identity saw the same person as the probe: nothing of the person changed
    assert answer["identity"] == answer["me"]
    assert answer["me"]["user_id"] == "u-88"
    assert answer["me"]["roles"] == ["global_community_manager", "member"]

    copy = bus.take(tap)
    downstream = ctx.verify(copy.headers[HEADER])
    assert downstream.target == "identity.whoami" and downstream.user_id == "u-88"
    assert downstream.expires_at <= time.time() + ctx.settings.value("PARVIS_CONTEXT_CALL_TTL") + 1

    before = counted("identity", "whoami", ctx.REPLAYED)
    headers = dict(copy.headers)
    assert refused(bus.send("identity.whoami", headers, copy.payload), "already used")
    assert refused(bus.send("identity.get_me", headers), "not bound to this call")
    assert refused(bus.send("ctx_probe.relay_whoami", headers), "not bound to this call")
    assert counted("identity", "whoami", ctx.REPLAYED) == before + 1

    expected = {
        ("identity.whoami", ctx.REPLAYED, ctx.KIND_PERSON),
        ("identity.get_me", ctx.WRONG_TARGET, ctx.KIND_PERSON),
    }
    assert wait_until(lambda: expected <= set(bus_refusals(rpc, tokens)), timeout=20)


def test_a_flood_of_replays_is_one_report_and_a_few_audit_rows(platform, rpc, tokens):
    bus = platform
    tap = bus.tap("communities.whoami")
    rpc.call("communities", "whoami", tokens.person(user_id="u-99"))
    headers = dict(bus.take(tap).headers)
    before = counted("communities", "whoami", ctx.REPLAYED)
    for _ in range(60):
        assert refused(bus.send("communities.whoami", headers), "already used")
    assert counted("communities", "whoami", ctx.REPLAYED) == before + 60

    key = ("communities.whoami", ctx.REPLAYED, ctx.KIND_PERSON)
    assert wait_until(lambda: bus_refusals(rpc, tokens).get(key) == 60, timeout=20)
    page = rpc.call("identity", "audit_log", tokens.system(), action="access_refused", limit=200)
    rows = [item for item in page["items"] if item["details"].get("route") == "communities.whoami"]
    # one row per minute: a minute boundary may fall in the middle of the flood
    assert 1 <= len(rows) <= 2, rows
