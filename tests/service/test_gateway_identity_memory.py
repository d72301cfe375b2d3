"""The gateway's memory of identity: a known session and known cards cost no call to identity,
and every change identity makes is in effect at the next request, in every gateway process.

Two apps stand for two gateway processes (``left`` and ``right``), each with its own memory
and its own queue of identity's events; identity and communities run in nameko containers
on this test's vhost. What a process asks identity is counted by :class:`CountingClient`, the
real ``RpcClient`` that also writes down each call it sends. A change made through one process
(or straight over RPC) must hold at the very next request made through the other: no wait, no
retry.
"""

from collections import Counter

import pytest

from gateway import refusals
from gateway.app import create_app
from gateway.calls import identity as identity_calls
from parvis_contracts import context as ctx
from parvis_contracts.client import RpcClient
from services.communities.service import CommunitiesService
from services.identity.service import IdentityService
from tests.support import bootstrap_acme, wait_until

ADMIN_EMAIL, PASSWORD = "admin@acme.example", "correct horse battery"
API = "/api/v1"


class CountingClient(RpcClient):
    """``RpcClient`` that counts the calls it sends, by ``service.method``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent = Counter()

    def call(self, service, method, token, /, *args, **kwargs):
        self.sent[f"{service}.{method}"] += 1
        return super().call(service, method, token, *args, **kwargs)

    def call_async(self, service, method, token, /, *args, **kwargs):
        self.sent[f"{service}.{method}"] += 1
        return super().call_async(service, method, token, *args, **kwargs)


@pytest.fixture
def services(start_service, rpc, tokens):
    start_service(IdentityService)
    start_service(CommunitiesService)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)


def gateway(service_config):
    client = CountingClient(service_config, timeout=10)
    app = create_app({"RPC_CLIENT": client, "TESTING": True})
    app.calls = client
    app.memory = app.extensions[identity_calls.EXTENSION]
    wait_until(app.memory.hearing, timeout=15)
    return app


@pytest.fixture
def left(services, service_config):
    app = gateway(service_config)
    yield app
    finish(app)


@pytest.fixture
def right(services, service_config):
    app = gateway(service_config)
    yield app
    finish(app)


def finish(app):
    refusals.recorder(app).flush()
    app.memory.watch.stop()
    app.calls.close()


def sign_in(app, email, password=PASSWORD):
    """A bearer token of a new session, signed in through ``app``."""
    response = app.test_client().post(
        f"{API}/auth/sign-in", json={"email": email, "password": password, "issue_token": True}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def send(app, token, method, path, **kwargs):
    return app.test_client().open(path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def session(app, token):
    return send(app, token, "GET", f"{API}/auth/session")


def create_person(app, admin, email, name, **fields):
    body = {"email": email, "display_name": name, "password": PASSWORD, **fields}
    response = send(app, admin, "POST", f"{API}/admin/people", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["person"]


@pytest.fixture
def people(left):
    admin = sign_in(left, ADMIN_EMAIL)
    kim = create_person(left, admin, "kim@acme.example", "Kim Kraft")
    return {"admin": admin, "kim": kim}


def test_a_known_session_costs_no_call_to_identity(left, people):
    kim = sign_in(left, "kim@acme.example")
    assert session(left, kim).status_code == 200  # resolved once, remembered
    left.calls.sent.clear()
    for _ in range(5):
        answered = session(left, kim)
        assert answered.status_code == 200
        assert answered.get_json()["person"]["email"] == "kim@acme.example"
    assert left.calls.sent["identity.resolve_session"] == 0


def test_without_identity_events_every_request_asks_identity(left, people):
    kim = sign_in(left, "kim@acme.example")
    left.memory.watch.stop()
    wait_until(lambda: not left.memory.watch.live)
    left.calls.sent.clear()
    for _ in range(3):
        assert session(left, kim).status_code == 200
    assert left.calls.sent["identity.resolve_session"] == 3


def test_deactivation_through_one_gateway_holds_at_the_next_request_through_another(left, right, people):
    kim = sign_in(left, "kim@acme.example")
    assert session(left, kim).status_code == 200 and session(left, kim).status_code == 200
    done = send(right, people["admin"], "POST", f"{API}/admin/people/{people['kim']['id']}/deactivate")
    assert done.status_code == 200, done.get_json()
    assert session(left, kim).status_code == 401


def test_deactivation_over_rpc_holds_at_the_next_request(left, rpc, people):
    kim = sign_in(left, "kim@acme.example")
    assert session(left, kim).status_code == 200 and session(left, kim).status_code == 200
    admin = rpc.call("identity", "resolve_session", ctx.anonymous_caller(), session_token=people["admin"])
    token = ctx.sign(
        ctx.Caller(kind=ctx.KIND_PERSON, user_id=admin["person"]["id"], roles=frozenset({"admin"}))
    )
    rpc.call("identity", "deactivate_person", token, person_id=people["kim"]["id"])
    assert session(left, kim).status_code == 401


def test_sign_out_through_another_gateway_holds_at_the_next_request(left, right, people):
    kim = sign_in(left, "kim@acme.example")
    assert session(left, kim).status_code == 200 and session(right, kim).status_code == 200
    assert send(right, kim, "POST", f"{API}/auth/sign-out").status_code == 204
    assert session(left, kim).status_code == 401
    assert session(right, kim).status_code == 401


def test_a_password_change_ends_the_other_sessions_at_their_next_request(left, right, people):
    here, there = sign_in(left, "kim@acme.example"), sign_in(right, "kim@acme.example")
    assert session(right, there).status_code == 200 and session(right, there).status_code == 200
    changed = send(
        left, here, "PUT", f"{API}/me/password", json={"current_password": PASSWORD, "new_password": "n" * 16}
    )
    assert changed.status_code in (200, 204), changed.get_json()
    assert session(right, there).status_code == 401
    assert session(left, here).status_code == 200


def test_a_role_given_through_one_gateway_is_seen_at_the_next_request_through_another(left, right, people):
    kim = sign_in(left, "kim@acme.example")
    assert send(left, kim, "GET", f"{API}/admin/audit").status_code == 403  # remembered as a member
    given = send(
        right,
        people["admin"],
        "PUT",
        f"{API}/admin/people/{people['kim']['id']}/roles",
        json={"roles": ["member", "global_community_manager"]},
    )
    assert given.status_code == 200, given.get_json()
    assert send(left, kim, "GET", f"{API}/admin/audit").status_code == 200
    assert "global_community_manager" in session(left, kim).get_json()["person"]["roles"]


@pytest.fixture
def kims_card(left, people):
    """Kim's card as the admin sees it on the members page of Kim's community, through ``left``."""
    kim = sign_in(left, "kim@acme.example")
    body = {"name": "Rollout", "visibility": "open", "kind": "project"}
    created = send(left, kim, "POST", f"{API}/communities", json=body)
    assert created.status_code == 201, created.get_json()
    members = f"{API}/communities/{created.get_json()['id']}/members"

    def card():
        page = send(left, people["admin"], "GET", members)
        assert page.status_code == 200, page.get_json()
        return page.get_json()["people"][people["kim"]["id"]]

    card.kim = kim
    return card


def test_known_cards_cost_no_call_and_a_new_name_shows_at_the_next_request(left, right, kims_card):
    assert kims_card()["display_name"] == "Kim Kraft"
    left.calls.sent.clear()
    assert kims_card()["display_name"] == "Kim Kraft"
    assert left.calls.sent["identity.people_cards"] == 0
    renamed = send(right, kims_card.kim, "PATCH", f"{API}/me", json={"display_name": "Kim Kraft-Lee"})
    assert renamed.status_code == 200, renamed.get_json()
    assert kims_card()["display_name"] == "Kim Kraft-Lee"


def test_an_organisation_renamed_is_on_its_peoples_cards_at_the_next_request(left, right, people, kims_card):
    assert kims_card()["org_name"] == "Acme"
    org = people["kim"]["org_id"]
    renamed = send(right, people["admin"], "PATCH", f"{API}/organisations/{org}", json={"name": "Acme Group"})
    assert renamed.status_code == 200, renamed.get_json()
    assert kims_card()["org_name"] == "Acme Group"
