"""One test per access rule (contracts/parvis_contracts/authz_rules.yaml), communities RPC level."""

import pytest

from parvis_contracts.context import KIND_ANONYMOUS, Caller
from parvis_contracts.errors import Forbidden, NotFound, Unauthenticated, not_found

from .conftest import PARTNER, person

NOT_FOUND = not_found("community").message


def names(page):
    return {item["name"]: item["access"] for item in page["items"]}


def assert_invisible(call):
    """404 with exactly the body of an unknown id."""
    with pytest.raises(NotFound) as exc:
        call()
    assert exc.value.message == NOT_FOUND and exc.value.details == {}


# --- listing ---------------------------------------------------------------------


def test_admin_lists_everything_but_only_metadata_of_private_and_secret(world):
    page = world.svc(world.admin).list_communities()
    assert names(page) == {
        "Alpha private": "metadata",
        "Bravo private": "metadata",
        "Charlie open": "full",
        "Sierra secret": "metadata",
    }
    secret = next(i for i in page["items"] if i["name"] == "Sierra secret")
    assert "description" not in secret and secret["member_count"] == 1


def test_member_lists_own_open_and_private_names_but_not_secret(world):
    assert names(world.svc(world.member).list_communities()) == {
        "Alpha private": "full",
        "Bravo private": "metadata",
        "Charlie open": "full",
    }


def test_employee_outside_lists_open_and_private_names_never_secret(world):
    assert names(world.svc(world.outsider).list_communities()) == {
        "Alpha private": "metadata",
        "Bravo private": "metadata",
        "Charlie open": "full",
    }


def test_employee_lists_secret_community_once_member(world):
    world.add_member(world.S, world.outsider)
    assert names(world.svc(world.outsider).list_communities())["Sierra secret"] == "full"


def test_guest_lists_only_their_communities(world):
    assert names(world.svc(world.guest).list_communities()) == {"Alpha private": "full"}
    assert world.svc(world.stranger).list_communities()["items"] == []


def test_mine_lists_only_memberships(world):
    assert names(world.svc(world.member).list_communities(mine=True)) == {"Alpha private": "full"}


# --- reading A (private, with a guest) ---------------------------------------------


def test_read_private_community_members_and_invited_guest(world):
    for who in (world.manager, world.member, world.guest):
        got = world.svc(who).get_community(community_id=world.A["id"])
        assert got["access"] == "full" and got["description"] == ""
        members = world.svc(who).list_members(community_id=world.A["id"])["items"]
        assert {m["user_id"] for m in members} == {
            world.manager.user_id,
            world.member.user_id,
            world.guest.user_id,
        }


def test_read_private_community_admin_metadata_only(world):
    got = world.svc(world.admin).get_community(community_id=world.A["id"])
    assert got["access"] == "metadata" and "description" not in got
    assert got["member_count"] == 3 and got["name"] == "Alpha private"
    with pytest.raises(Forbidden):
        world.svc(world.admin).list_members(community_id=world.A["id"])


def test_read_private_community_outsiders_get_the_unknown_id_answer(world):
    for who in (world.outsider, world.stranger):
        assert_invisible(lambda w=who: world.svc(w).get_community(community_id=world.A["id"]))
        assert_invisible(lambda w=who: world.svc(w).list_members(community_id=world.A["id"]))
    assert_invisible(lambda: world.svc(world.outsider).get_community(community_id="nope"))


def test_read_b_and_s_404_for_everyone_outside_admin_metadata(world):
    for community in (world.B, world.S):
        for who in (world.member, world.outsider, world.guest):
            assert_invisible(lambda w=who, c=community: world.svc(w).get_community(community_id=c["id"]))
        got = world.svc(world.admin).get_community(community_id=community["id"])
        assert got["access"] == "metadata"


def test_read_open_community_every_employee_but_no_guest(world):
    for who in (world.admin, world.outsider, world.member):
        assert world.svc(who).get_community(community_id=world.C["id"])["access"] == "full"
        assert world.svc(who).list_members(community_id=world.C["id"])["items"]
    assert_invisible(lambda: world.svc(world.guest).get_community(community_id=world.C["id"]))
    assert_invisible(lambda: world.svc(world.guest).list_members(community_id=world.C["id"]))


# --- manager actions on A ----------------------------------------------------------

MANAGER_ACTIONS = {
    "invite employee": lambda w, svc: svc.invite(community_id=w.A["id"], person_id=w.outsider.user_id),
    "invite guest": lambda w, svc: svc.invite(community_id=w.A["id"], person_id=w.extra_guest.user_id),
    "list join requests": lambda w, svc: svc.list_join_requests(community_id=w.A["id"]),
    "approve join request": lambda w, svc: svc.approve_join_request(
        community_id=w.A["id"], user_id=w.outsider.user_id
    ),
    "refuse join request": lambda w, svc: svc.refuse_join_request(
        community_id=w.A["id"], user_id=w.outsider.user_id
    ),
    "appoint manager": lambda w, svc: svc.set_member_role(
        community_id=w.A["id"], user_id=w.member.user_id, role="manager"
    ),
    "remove member": lambda w, svc: svc.remove_member(community_id=w.A["id"], user_id=w.member.user_id),
    "update settings": lambda w, svc: svc.update_community(
        community_id=w.A["id"], changes={"description": "New words"}
    ),
    "archive": lambda w, svc: svc.archive_community(community_id=w.A["id"]),
    "reopen": lambda w, svc: svc.reopen_community(community_id=w.A["id"]),
}


@pytest.fixture
def manager_world(world):
    world.extra_guest = person("u-guest-2", PARTNER, guest=True)
    world.identity.add(world.extra_guest)
    world.svc(world.outsider).request_to_join(community_id=world.A["id"])
    return world


@pytest.mark.parametrize("action", sorted(MANAGER_ACTIONS))
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_manager_actions_allowed_to_managers_and_admins(manager_world, action, who):
    w = manager_world
    MANAGER_ACTIONS[action](w, w.svc(getattr(w, who)))


@pytest.mark.parametrize("action", sorted(MANAGER_ACTIONS))
@pytest.mark.parametrize("who", ["member", "guest"])
def test_manager_actions_forbidden_to_members_and_guests(manager_world, action, who):
    w = manager_world
    with pytest.raises(Forbidden):
        MANAGER_ACTIONS[action](w, w.svc(getattr(w, who)))


@pytest.mark.parametrize("action", sorted(MANAGER_ACTIONS))
@pytest.mark.parametrize("who", ["outsider", "stranger"])
def test_manager_actions_invisible_to_people_outside(manager_world, action, who):
    w = manager_world
    assert_invisible(lambda: MANAGER_ACTIONS[action](w, w.svc(getattr(w, who))))


def test_manager_action_on_open_community_is_403_for_an_employee_who_sees_it(world):
    with pytest.raises(Forbidden):
        world.svc(world.outsider).archive_community(community_id=world.C["id"])
    assert_invisible(lambda: world.svc(world.guest).archive_community(community_id=world.C["id"]))


# --- creating ----------------------------------------------------------------------


def test_employees_create_communities_guests_cannot(world):
    created = world.create(world.outsider, name="Outsider's own")
    assert created["my_role"] == "manager" and created["member_count"] == 1
    assert world.create(world.admin, name="Admin's own")["my_role"] == "manager"
    before = len(world.outbox())
    with pytest.raises(Forbidden):
        world.create(world.guest, name="Guest's own")
    with pytest.raises(Forbidden):
        world.create(world.system, name="Nobody's own")
    assert len(world.outbox()) == before


# --- archived: read stays, writes 403 for everyone, reopen by managers/admins ----------

ARCHIVED_WRITES = {
    "invite": lambda w, svc: svc.invite(community_id=w.A["id"], person_id=w.outsider.user_id),
    "update": lambda w, svc: svc.update_community(community_id=w.A["id"], changes={"name": "Renamed"}),
    "archive again": lambda w, svc: svc.archive_community(community_id=w.A["id"]),
    "appoint": lambda w, svc: svc.set_member_role(
        community_id=w.A["id"], user_id=w.member.user_id, role="manager"
    ),
    "remove": lambda w, svc: svc.remove_member(community_id=w.A["id"], user_id=w.member.user_id),
    "leave": lambda w, svc: svc.leave_community(community_id=w.A["id"]),
}


@pytest.mark.parametrize("action", sorted(ARCHIVED_WRITES))
@pytest.mark.parametrize("who", ["admin", "manager", "member", "guest"])
def test_archived_community_refuses_every_write(world, action, who):
    world.svc(world.manager).archive_community(community_id=world.A["id"])
    before = len(world.outbox())
    with pytest.raises(Forbidden):
        ARCHIVED_WRITES[action](world, world.svc(getattr(world, who)))
    assert len(world.outbox()) == before


def test_archived_community_refuses_joining_requests_and_accepting(world):
    world.svc(world.manager).invite(community_id=world.C["id"], person_id=world.admin.user_id)
    for community in (world.B, world.C):
        world.svc(world.manager).archive_community(community_id=community["id"])
    with pytest.raises(Forbidden):
        world.svc(world.outsider).join_community(community_id=world.C["id"])
    with pytest.raises(Forbidden):
        world.svc(world.outsider).request_to_join(community_id=world.B["id"])
    with pytest.raises(Forbidden):
        world.svc(world.admin).accept_invitation(community_id=world.C["id"])


def test_archived_community_stays_readable_and_reopens(world):
    archived = world.svc(world.manager).archive_community(community_id=world.A["id"])
    assert archived["archived"] is True and archived["archived_at"]
    assert world.svc(world.guest).get_community(community_id=world.A["id"])["archived"] is True
    assert world.svc(world.member).list_members(community_id=world.A["id"])["items"]
    with pytest.raises(Forbidden):
        world.svc(world.member).reopen_community(community_id=world.A["id"])
    reopened = world.svc(world.admin).reopen_community(community_id=world.A["id"])
    assert reopened["archived"] is False
    world.svc(world.manager).update_community(community_id=world.A["id"], changes={"description": "Back"})


# --- callers ------------------------------------------------------------------------


@pytest.mark.parametrize("caller", [None, Caller(kind=KIND_ANONYMOUS), Caller(kind="person", user_id=None)])
def test_no_signed_in_caller_is_refused(world, caller):
    with pytest.raises(Unauthenticated):
        world.svc(caller).list_communities()
    with pytest.raises(Unauthenticated):
        world.svc(caller).get_community(community_id=world.C["id"])
    with pytest.raises(Unauthenticated):
        world.svc(caller).create_community(name="Sneaky", kind="team")
