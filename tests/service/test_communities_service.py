"""The communities service on the real RabbitMQ and a real database, with the real
identity service for guest invitations (SQLite, or PostgreSQL with PARVIS_TEST_DB)."""

import time

import pytest
from kombu import Connection, Queue

from parvis_contracts import context as ctx
from parvis_contracts import events as ev
from parvis_contracts.errors import Conflict, Forbidden, NotFound, Unauthenticated
from parvis_contracts.events import Envelope
from parvis_contracts.topology import declare_topology, event_exchange
from services.communities.service import CommunitiesService
from services.identity.service import IdentityService
from tests.support import bootstrap_acme, event_reader

PASSWORD = "correct horse battery"


@pytest.fixture
def community_events(broker):
    """A queue of our own bound to every communities event (before the service starts)."""
    yield from event_reader(broker, "communities")


@pytest.fixture
def network(start_service, rpc, tokens, community_events):
    """Identity (bootstrapped admin, a partner organisation, a guest, an employee) and
    communities, both running."""
    start_service(IdentityService)
    start_service(CommunitiesService)
    boot = bootstrap_acme(rpc, tokens, "admin@acme.example", PASSWORD)
    admin = boot["admin"]
    admin_token = token_for(admin)
    partner = rpc.call(
        "identity", "create_organisation", admin_token, name="Partner Co", kind="partner", country="DE"
    )
    guest = rpc.call(
        "identity",
        "admin_create_person",
        admin_token,
        email="gus@partner.example",
        display_name="Gus Guest",
        org_id=partner["id"],
        password=PASSWORD,
    )["person"]
    emp = rpc.call(
        "identity",
        "admin_create_person",
        admin_token,
        email="eve@acme.example",
        display_name="Eve Employee",
        password=PASSWORD,
    )["person"]

    class Network:
        pass

    n = Network()
    n.admin, n.partner, n.guest, n.employee = admin, partner, guest, emp
    return n


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


def test_create_invite_accept_with_events_and_real_identity(network, rpc, community_events):
    emp, guest = token_for(network.employee), token_for(network.guest)
    community = rpc.call(
        "communities",
        "create_community",
        emp,
        name="Supplier project",
        kind="project",
        visibility="private",
        languages=["en", "de"],
        allowed_org_ids=[network.partner["id"]],
    )
    assert community["my_role"] == "manager" and community["member_count"] == 1

    # the guest is looked up in identity: organisation and guest flag come from there
    invitation = rpc.call(
        "communities", "invite", emp, community_id=community["id"], person_id=network.guest["id"]
    )
    assert invitation["guest"] is True and invitation["org_id"] == network.partner["id"]
    with pytest.raises(NotFound):
        rpc.call(
            "communities",
            "invite",
            emp,
            community_id=community["id"],
            person_id="00000000-0000-0000-0000-000000000000",
        )
    with pytest.raises(NotFound):  # invisible to the guest until accepted
        rpc.call("communities", "get_community", guest, community_id=community["id"])
    mine = rpc.call("communities", "my_invitations", guest)["items"]
    assert [i["community_id"] for i in mine] == [community["id"]]
    member = rpc.call("communities", "accept_invitation", guest, community_id=community["id"])
    assert member["guest"] is True and member["role"] == "member"
    seen = rpc.call("communities", "get_community", guest, community_id=community["id"])
    assert seen["member_count"] == 2 and seen["access"] == "full"
    with pytest.raises(Forbidden):
        rpc.call("communities", "archive_community", guest, community_id=community["id"])
    with pytest.raises(Forbidden):
        rpc.call("communities", "create_community", guest, name="Guest's own", kind="team")

    events = community_events(4)
    assert [e.type for e in events] == [
        "communities.community_created",
        "communities.member_added",
        "communities.invitation_sent",
        "communities.member_added",
    ]
    assert events[0].data == {
        "community_id": community["id"],
        "name": "Supplier project",
        "kind": "project",
        "visibility": "private",
        "archived": False,
        "newcomers_see_history": True,
        "languages": ["en", "de"],
        "allowed_org_ids": [network.partner["id"]],
        "description": "",
        "version": 1,
    }
    assert events[1].data["user_id"] == network.employee["id"]
    assert events[1].data["role"] == "manager" and events[1].data["version"] == 1
    assert events[2].data == {
        "community_id": community["id"],
        "user_id": network.guest["id"],
        "by": network.employee["id"],
    }
    added = events[3].data
    assert (added["user_id"], added["role"], added["guest"]) == (network.guest["id"], "member", True)
    assert added["joined_at"]
    assert added["version"] == 2  # the community's version after the guest joined


def test_guest_of_an_organisation_not_allowed_is_refused(network, rpc, community_events):
    emp = token_for(network.employee)
    community = rpc.call(
        "communities", "create_community", emp, name="Internal only", kind="team", visibility="private"
    )
    with pytest.raises(Conflict):
        rpc.call("communities", "invite", emp, community_id=community["id"], person_id=network.guest["id"])
    rpc.call("communities", "archive_community", emp, community_id=community["id"])
    rpc.call("communities", "reopen_community", emp, community_id=community["id"])
    events = community_events(4)
    assert [e.type for e in events] == [
        "communities.community_created",
        "communities.member_added",
        "communities.community_archived",
        "communities.community_reopened",
    ]
    assert events[2].data["archived"] is True and events[2].data["name"] == "Internal only"


def test_join_requests_and_decisions_are_published(network, rpc, community_events):
    emp, admin = token_for(network.employee), token_for(network.admin)
    community = rpc.call(
        "communities", "create_community", emp, name="Quiet room", kind="team", visibility="private"
    )
    cid = community["id"]
    rpc.call("communities", "request_to_join", admin, community_id=cid, message="May I?")
    with pytest.raises(Conflict):  # asked twice: published once
        rpc.call("communities", "request_to_join", admin, community_id=cid)
    rpc.call("communities", "refuse_join_request", emp, community_id=cid, user_id=network.admin["id"])
    rpc.call("communities", "request_to_join", admin, community_id=cid)
    rpc.call("communities", "approve_join_request", emp, community_id=cid, user_id=network.admin["id"])

    events = community_events(7)
    assert [e.type for e in events] == [
        "communities.community_created",
        "communities.member_added",
        "communities.join_requested",
        "communities.join_refused",
        "communities.join_requested",
        "communities.member_added",
        "communities.join_approved",
    ]
    asked = {"community_id": cid, "user_id": network.admin["id"]}
    decided = {**asked, "by": network.employee["id"]}
    assert [e.data for e in events[2:5]] == [asked, decided, asked]
    assert events[5].data["user_id"] == network.admin["id"]
    assert events[6].data == decided
    assert community_events(1, timeout=1) == []  # nothing more


def test_employee_joins_open_community_and_admin_sees_metadata(network, rpc):
    emp, admin = token_for(network.employee), token_for(network.admin)
    open_one = rpc.call("communities", "create_community", admin, name="Coffee lovers", kind="interest")
    secret = rpc.call(
        "communities", "create_community", emp, name="Secret plan", kind="project", visibility="secret"
    )
    rpc.call("communities", "join_community", emp, community_id=open_one["id"])
    with pytest.raises(Conflict):
        rpc.call("communities", "join_community", emp, community_id=open_one["id"])
    listed = rpc.call("communities", "list_communities", admin)["items"]
    assert {(i["name"], i["access"], i["member_count"]) for i in listed} == {
        ("Coffee lovers", "full", 2),
        ("Secret plan", "metadata", 1),
    }
    with pytest.raises(Forbidden):
        rpc.call("communities", "list_members", admin, community_id=secret["id"])
    mine = rpc.call("communities", "memberships_of", emp)["items"]
    assert sorted(m["community"]["name"] for m in mine) == ["Coffee lovers", "Secret plan"]


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
def test_missing_or_forged_context_is_refused(network, rpc, make_token):
    token = make_token(network.admin)
    for method, kwargs in [
        ("list_communities", {}),
        ("create_community", {"name": "Forged one", "kind": "team"}),
        ("get_community", {"community_id": "x"}),
        ("my_invitations", {}),
    ]:
        with pytest.raises(Unauthenticated):
            rpc.call("communities", method, token, **kwargs)
    assert rpc.call("communities", "list_communities", token_for(network.admin))["items"] == []
