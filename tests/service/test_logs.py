"""Logs that tell the truth, on real service containers and the real broker.

An RPC answered with NotFound (an expected outcome) is one INFO line without a traceback;
an unexpected exception is an ERROR line with its traceback; one request's id is on the
gateway's answer, on the service's line for its RPC, on the event the write emits (a
message header, outside the signed envelope) and on the line of the handler that
receives it.
"""

import json
import logging

import pytest
from kombu import Connection, Queue
from nameko.containers import ServiceContainer
from nameko.exceptions import RemoteError
from sqlalchemy import Column, MetaData, String, Table, select

from parvis_contracts import events as ev
from parvis_contracts import logs, topology
from parvis_contracts.db import Database, infrastructure_tables, make_engine
from parvis_contracts.entrypoints import CurrentCaller, rpc
from parvis_contracts.errors import NotFound
from parvis_contracts.handlers import idempotent_handler
from parvis_contracts.health import PlatformEntrypoints
from services.identity.service import IdentityService
from tests.service.test_gateway import (  # noqa: F401  (fixtures used by name)
    API,
    PASSWORD,
    admin,
    app,
    identity,
    write,
)
from tests.support import wait_until

PROBE = "logs_probe"
EVENT = ev.EventType(PROBE, "thing_made")
ev.SCHEMAS.setdefault(EVENT, ev.CommunityEventSchema)
REQUEST_ID = "req-logs-0001"

metadata = MetaData()
things = Table("things", metadata, Column("id", String(60), primary_key=True))
outbox_table, processed_table = infrastructure_tables(metadata)


class LogProbeService(PlatformEntrypoints):
    """A service as every Parvis service is: it inherits ``WorkerLog``."""

    name = PROBE
    db = Database(metadata)
    caller = CurrentCaller()

    @rpc
    def missing(self):
        raise NotFound("This thing does not exist or you cannot see it.")

    @rpc
    def boom(self):
        raise RuntimeError("an unexpected bug")

    @rpc
    def make(self, thing_id):
        self.db.execute(things.insert().values(id=thing_id))
        self.db.emit(EVENT, {"community_id": thing_id})
        self.db.commit()
        return thing_id

    @idempotent_handler(EVENT)
    def on_made(self, envelope):
        return envelope.id


class BareProbeService:
    """Without ``WorkerLog``: nameko's own worker line, told true by the contracts' filter."""

    name = "logs_bare_probe"
    caller = CurrentCaller()

    @rpc
    def missing(self):
        raise NotFound("This thing does not exist or you cannot see it.")

    @rpc
    def boom(self):
        raise RuntimeError("an unexpected bug")

    @rpc
    def unencodable(self):
        return {"when": object()}


@pytest.fixture
def probe_subscription():
    subscription = topology.Subscription(EVENT, PROBE, "on_made")
    topology.SUBSCRIPTIONS.append(subscription)
    yield subscription
    topology.SUBSCRIPTIONS.remove(subscription)


@pytest.fixture
def start_probe(service_config, databases, probe_subscription):
    containers, engines = [], []

    def start(cls):
        url = databases.url(cls.name)
        engine = make_engine(url)
        metadata.create_all(engine)
        engines.append(engine)
        container = ServiceContainer(cls, dict(service_config, DB_URL=url))
        container.start()
        container.engine = engine
        containers.append(container)
        return container

    yield start
    for container in containers:
        container.stop()
    for engine in engines:
        engine.dispose()


@pytest.fixture
def captured(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def worker_lines(caplog, method):
    return [r for r in caplog.records if r.name == "parvis.worker" and getattr(r, "method", None) == method]


def assert_no_error_and_no_traceback(records):
    assert [r.getMessage() for r in records if r.levelno >= logging.ERROR] == []
    assert [r.getMessage() for r in records if r.exc_info or r.exc_text] == []
    formatter = logs.JsonFormatter()
    for r in records:
        assert "exc_info" not in json.loads(formatter.format(r)), r.getMessage()


# ---------------------------------------------------------------- expected outcome, fault


def test_not_found_from_a_real_service_is_one_info_line_without_traceback(
    start_service, rpc, tokens, captured
):
    start_service(IdentityService)
    captured.clear()
    with pytest.raises(NotFound), logs.bound(request_id=REQUEST_ID):
        rpc.call("identity", "get_invitation", tokens.anonymous(), token="no-such-invitation")

    wait_until(lambda: worker_lines(captured, "get_invitation"))
    assert_no_error_and_no_traceback(captured.records)
    [line] = worker_lines(captured, "get_invitation")
    assert line.levelno == logging.INFO
    assert line.getMessage().startswith("identity.get_invitation answered NotFound: ")
    assert (line.outcome, line.status, line.request_id, line.caller, line.entrypoint) == (
        "NotFound",
        404,
        REQUEST_ID,
        "anonymous",
        "rpc",
    )
    assert isinstance(line.duration_ms, float)
    # nameko's own "error handling worker" line (a traceback at ERROR) is not written
    assert not [r for r in captured.records if r.name == "nameko.containers"]


def test_a_result_that_cannot_be_encoded_is_an_error_answer_and_the_service_lives_on(
    start_probe, rpc, tokens
):
    """The reply is encoded once (``SerialisedOnceResponder``): a result JSON cannot hold is
    answered as nameko's ``UnserializableValueError``, and the next call is served."""
    start_probe(BareProbeService)
    with pytest.raises(RemoteError, match="UnserializableValueError"):
        rpc.call("logs_bare_probe", "unencodable", tokens.system())
    with pytest.raises(NotFound, match="does not exist"):
        rpc.call("logs_bare_probe", "missing", tokens.system())


def test_an_unexpected_exception_is_an_error_line_with_its_traceback(start_probe, rpc, tokens, captured):
    start_probe(LogProbeService)
    captured.clear()
    with pytest.raises(NotFound):
        rpc.call(PROBE, "missing", tokens.system())
    with pytest.raises(RemoteError, match="RuntimeError"):
        rpc.call(PROBE, "boom", tokens.system())

    wait_until(lambda: worker_lines(captured, "boom"))
    [expected] = worker_lines(captured, "missing")
    assert expected.levelno == logging.INFO and not expected.exc_info
    errors = [r for r in captured.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    [fault] = errors
    assert fault is worker_lines(captured, "boom")[0]
    assert fault.getMessage() == "logs_probe.boom failed: RuntimeError: an unexpected bug"
    assert (fault.outcome, fault.caller) == ("fault", "system")
    data = json.loads(logs.JsonFormatter().format(fault))
    assert data["level"] == "ERROR" and data["method"] == "boom" and data["service"] == PROBE
    assert data["exc_info"].startswith("Traceback") and "RuntimeError: an unexpected bug" in data["exc_info"]


def test_without_worker_log_nameko_line_is_told_true_all_the_same(start_probe, rpc, tokens, captured):
    start_probe(BareProbeService)
    captured.clear()
    with pytest.raises(NotFound):
        rpc.call("logs_bare_probe", "missing", tokens.system())
    with pytest.raises(RemoteError):
        rpc.call("logs_bare_probe", "boom", tokens.system())

    def nameko_lines():
        return [r for r in captured.records if r.name == "nameko.containers"]

    wait_until(lambda: len(nameko_lines()) == 2)
    expected, fault = sorted(nameko_lines(), key=lambda r: r.method != "missing")
    assert expected.levelno == logging.INFO and expected.exc_info is None
    assert expected.getMessage().startswith("logs_bare_probe.missing answered NotFound")
    assert fault.levelno == logging.ERROR and fault.exc_info is not None and fault.method == "boom"


# ---------------------------------------------------------------- one request, one id


def test_the_request_id_rides_from_an_rpc_to_its_event_and_the_handler(start_probe, rpc, tokens, captured):
    container = start_probe(LogProbeService)
    captured.clear()
    with logs.bound(request_id=REQUEST_ID):
        rpc.call(PROBE, "make", tokens.system(), "t-1")
    assert logs.current_request_id() is None

    wait_until(lambda: worker_lines(captured, "on_made"))
    [made] = worker_lines(captured, "make")
    [handled] = worker_lines(captured, "on_made")
    assert made.request_id == handled.request_id == REQUEST_ID
    assert (handled.entrypoint, handled.event, handled.outcome) == ("event", EVENT.key, "ok")
    with container.engine.connect() as conn:
        row = conn.execute(select(outbox_table)).mappings().one()
    assert row["request_id"] == REQUEST_ID and handled.event_id == row["event_id"]

    # a call without a request id gets one of its own, which its event carries on
    captured.clear()
    rpc.call(PROBE, "make", tokens.system(), "t-2")
    wait_until(lambda: worker_lines(captured, "on_made"))
    [made], [handled] = worker_lines(captured, "make"), worker_lines(captured, "on_made")
    assert logs.valid_request_id(made.request_id) and made.request_id != REQUEST_ID
    assert handled.request_id == made.request_id


def test_one_request_id_on_the_answer_the_service_line_and_the_event(
    identity, admin, service_config, captured
):
    exchange = topology.event_exchange(ev.IDENTITY_USER_CREATED.source)
    with Connection(service_config["AMQP_URI"]) as conn:
        queue = Queue("logs-test-user-created", exchange, routing_key=ev.IDENTITY_USER_CREATED.name)
        queue(conn.default_channel).declare()
        captured.clear()
        response = write(
            admin,
            "POST",
            f"{API}/admin/people",
            json={"email": "rid@acme.example", "display_name": "Rid Person", "password": PASSWORD},
            headers={"X-Request-Id": REQUEST_ID},
        )
        assert response.status_code == 201, response.get_json()
        assert response.headers["X-Request-Id"] == REQUEST_ID

        person_id = response.get_json()["person"]["id"]
        bound = queue(conn.default_channel)
        seen = []

        def the_new_persons_event():
            got = bound.get(no_ack=True)
            if got is not None:
                seen.append(got)
            return next((m for m in seen if m.payload["data"]["user_id"] == person_id), None)

        # (the bootstrap's own user_created may come first: the relay publishes after commit)
        message = wait_until(the_new_persons_event, timeout=15)
    # the event: the id as a header, the signed envelope as it always was
    assert message.headers["nameko." + logs.REQUEST_ID_KEY] == REQUEST_ID
    body = message.payload
    assert set(body) == {"id", "type", "occurred_at", "data", "sig"}
    assert ev.Envelope.from_message(body).type == ev.IDENTITY_USER_CREATED.key

    # the service's line for that RPC (written once its worker ends, which may be just
    # after the answer went out), and the gateway's line for the request
    wait_until(lambda: worker_lines(captured, "admin_create_person"), timeout=10)
    [line] = worker_lines(captured, "admin_create_person")
    assert (line.request_id, line.caller, line.outcome) == (REQUEST_ID, "person", "ok")
    [request_line] = [r for r in captured.records if r.name == "gateway.requests"]
    assert (request_line.request_id, request_line.status, request_line.route) == (
        REQUEST_ID,
        201,
        "/api/v1/admin/people",
    )
    # every RPC of the request carried it (resolve_session of the gateway's sign-in check too)
    rpc_ids = {r.request_id for r in captured.records if r.name == "parvis.worker"}
    assert rpc_ids == {REQUEST_ID}


def test_every_answer_carries_a_request_id(app, captured):
    client = app.test_client()
    missing = client.get(f"{API}/people/nobody", headers={"X-Request-Id": "bad id!"})
    assert missing.status_code == 401
    made = missing.headers["X-Request-Id"]
    assert made != "bad id!" and logs.valid_request_id(made)
    unknown = client.get("/no-such-page", headers={"X-Request-Id": "client-chosen-42"})
    assert unknown.status_code == 404 and unknown.headers["X-Request-Id"] == "client-chosen-42"
    again = client.get("/no-such-page")
    assert logs.valid_request_id(again.headers["X-Request-Id"]) and again.headers["X-Request-Id"] != made
    # an expected refusal is no fault: INFO lines, no traceback
    assert_no_error_and_no_traceback(captured.records)
    assert logs.current_request_id() is None


def test_a_guest_walking_into_404s_and_403s_logs_no_error(identity, admin, app, captured):
    partner = write(
        admin, "POST", f"{API}/organisations", json={"name": "Partner Co", "kind": "partner", "country": "DE"}
    ).get_json()
    body = {"email": "guest@partner.example", "display_name": "Gus Guest", "password": PASSWORD}
    created = write(admin, "POST", f"{API}/admin/people", json={**body, "org_id": partner["id"]})
    assert created.status_code == 201, created.get_json()
    guest = app.test_client()
    signed = guest.post(f"{API}/auth/sign-in", json={"email": body["email"], "password": PASSWORD})
    assert signed.status_code == 200
    captured.clear()
    host_admin = admin.get(f"{API}/me").get_json()["id"]
    answers = [
        guest.get(f"{API}/people/{host_admin}").status_code,  # not sharing a community: 404
        guest.get(f"{API}/admin/people").status_code,  # 403
        guest.get(f"{API}/people/00000000-0000-0000-0000-000000000000").status_code,
    ]
    assert all(400 <= status < 500 for status in answers), answers
    assert_no_error_and_no_traceback(captured.records)
    outcomes = {getattr(r, "outcome", None) for r in captured.records if r.name == "parvis.worker"}
    assert "NotFound" in outcomes, outcomes
