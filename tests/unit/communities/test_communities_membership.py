"""Membership flows, events through the outbox, counters, paging."""

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.communities.membership import LAST_MANAGER
from services.communities.models import Community

from .conftest import OTHER, PARTNER, person


def events_since(world, count, kind=None):
    found = world.outbox()[count:]
    return [(t, p) for t, p in found if kind is None or t == kind]


def stored_version(world, community_id):
    return world.session().scalar(select(Community.version).where(Community.id == community_id))


def stored_count(world, community_id):
    return world.session().scalar(select(Community.member_count).where(Community.id == community_id))


def test_create_publishes_full_state_and_the_manager_membership(world):
    before = len(world.outbox())
    made = world.create(
        name="  Data   Guild  ",
        kind="trade",
        visibility="private",
        description="Help each other",
        languages=["FR", "en", "fr"],
        picture="sha:abc",
        newcomers_see_history=False,
        allowed_org_ids=[PARTNER],
    )
    assert made["name"] == "Data Guild" and made["languages"] == ["fr", "en"]
    assert made["created_at"] == "2026-06-01T09:00:00+00:00"
    (t1, state), (t2, member) = events_since(world, before)
    assert (t1, t2) == ("community_created", "member_added")
    assert state == {
        "community_id": made["id"],
        "name": "Data Guild",
        "kind": "trade",
        "visibility": "private",
        "archived": False,
        "newcomers_see_history": False,
        "languages": ["fr", "en"],
        "allowed_org_ids": [PARTNER],
        "description": "Help each other",
        "version": 1,
    }
    assert member == {
        "community_id": made["id"],
        "user_id": world.manager.user_id,
        "role": "manager",
        "guest": False,
        "joined_at": "2026-06-01T09:00:00+00:00",
        "version": 1,
    }
    ev.validate_payload(ev.COMMUNITIES_COMMUNITY_CREATED, state)
    ev.validate_payload(ev.COMMUNITIES_MEMBER_ADDED, member)


def test_join_open_community_directly_once(world):
    before = len(world.outbox())
    joined = world.svc(world.outsider).join_community(community_id=world.C["id"])
    assert joined["role"] == "member" and joined["guest"] is False
    assert stored_count(world, world.C["id"]) == 2
    assert world.svc(world.outsider).get_community(community_id=world.C["id"])["my_role"] == "member"
    with pytest.raises(Conflict):
        world.svc(world.outsider).join_community(community_id=world.C["id"])
    assert [t for t, _ in events_since(world, before)] == ["member_added"]
    assert stored_count(world, world.C["id"]) == 2


def test_private_and_secret_communities_cannot_be_joined_directly(world):
    with pytest.raises(Forbidden):
        world.svc(world.outsider).join_community(community_id=world.B["id"])
    with pytest.raises(NotFound):
        world.svc(world.outsider).join_community(community_id=world.S["id"])
    with pytest.raises(NotFound):
        world.svc(world.guest).join_community(community_id=world.C["id"])


def test_join_request_approved(world):
    before = len(world.outbox())
    req = world.svc(world.outsider).request_to_join(community_id=world.B["id"], message="  Let me in  ")
    assert req["message"] == "Let me in"
    with pytest.raises(Conflict):  # asked again: no second event
        world.svc(world.outsider).request_to_join(community_id=world.B["id"])
    assert events_since(world, before) == [
        ("join_requested", {"community_id": world.B["id"], "user_id": world.outsider.user_id})
    ]
    listed = world.svc(world.manager).list_join_requests(community_id=world.B["id"])["items"]
    assert [r["user_id"] for r in listed] == [world.outsider.user_id]
    before = len(world.outbox())
    member = world.svc(world.manager).approve_join_request(
        community_id=world.B["id"], user_id=world.outsider.user_id
    )
    assert member["role"] == "member" and member["org_id"] == "org-host"
    (added, _), approved = events_since(world, before)
    assert added == "member_added"
    assert approved == (
        "join_approved",
        {"community_id": world.B["id"], "user_id": world.outsider.user_id, "by": world.manager.user_id},
    )
    assert world.svc(world.manager).list_join_requests(community_id=world.B["id"])["items"] == []
    assert world.svc(world.outsider).get_community(community_id=world.B["id"])["access"] == "full"
    with pytest.raises(Conflict):
        world.svc(world.outsider).request_to_join(community_id=world.B["id"])


def test_join_request_refused(world):
    world.svc(world.outsider).request_to_join(community_id=world.B["id"])
    before = len(world.outbox())
    assert world.svc(world.admin).refuse_join_request(
        community_id=world.B["id"], user_id=world.outsider.user_id
    ) == {"refused": True}
    assert events_since(world, before) == [
        (
            "join_refused",
            {"community_id": world.B["id"], "user_id": world.outsider.user_id, "by": world.admin.user_id},
        )
    ]
    with pytest.raises(NotFound):
        world.svc(world.manager).approve_join_request(
            community_id=world.B["id"], user_id=world.outsider.user_id
        )
    with pytest.raises(NotFound):
        world.svc(world.outsider).get_community(community_id=world.B["id"])
    with pytest.raises(NotFound):  # refused again: nothing more is published
        world.svc(world.manager).refuse_join_request(
            community_id=world.B["id"], user_id=world.outsider.user_id
        )
    assert len(world.outbox()) == before + 1


def test_decisions_of_the_system_caller_are_not_announced(world):
    """``by`` names a person: the system (an admin by its kind) has none to give."""
    world.svc(world.outsider).request_to_join(community_id=world.B["id"])
    world.svc(world.member).request_to_join(community_id=world.B["id"])
    before = len(world.outbox())
    world.svc(world.system).approve_join_request(community_id=world.B["id"], user_id=world.outsider.user_id)
    world.svc(world.system).refuse_join_request(community_id=world.B["id"], user_id=world.member.user_id)
    world.svc(world.system).invite(community_id=world.S["id"], person_id=world.outsider.user_id)
    assert [t for t, _ in events_since(world, before)] == ["member_added"]


def test_join_requests_only_for_private_communities_seen_by_employees(world):
    with pytest.raises(Conflict):
        world.svc(world.outsider).request_to_join(community_id=world.C["id"])
    with pytest.raises(NotFound):
        world.svc(world.outsider).request_to_join(community_id=world.S["id"])
    with pytest.raises(NotFound):
        world.svc(world.guest).request_to_join(community_id=world.B["id"])
    with pytest.raises(Conflict):
        world.svc(world.member).request_to_join(community_id=world.A["id"])
    with pytest.raises(Forbidden):  # secret: invitation only, also for an admin
        world.svc(world.admin).request_to_join(community_id=world.S["id"])


def test_invitation_accepted(world):
    before = len(world.outbox())
    invitation = world.svc(world.manager).invite(community_id=world.S["id"], person_id=world.outsider.user_id)
    assert invitation["guest"] is False and invitation["invited_by"] == world.manager.user_id
    assert world.identity.calls[-1] == [world.outsider.user_id]
    mine = world.svc(world.outsider).my_invitations()["items"]
    assert [i["community"]["name"] for i in mine] == ["Sierra secret"]
    assert "description" not in mine[0]["community"]
    with pytest.raises(Conflict):  # invited again: no second event
        world.svc(world.manager).invite(community_id=world.S["id"], person_id=world.outsider.user_id)
    assert events_since(world, before) == [
        (
            "invitation_sent",
            {"community_id": world.S["id"], "user_id": world.outsider.user_id, "by": world.manager.user_id},
        )
    ]
    before = len(world.outbox())
    member = world.svc(world.outsider).accept_invitation(community_id=world.S["id"])
    assert member["role"] == "member"
    assert [t for t, _ in events_since(world, before)] == ["member_added"]
    assert world.svc(world.outsider).my_invitations()["items"] == []
    with pytest.raises(NotFound):
        world.svc(world.outsider).accept_invitation(community_id=world.S["id"])
    with pytest.raises(Conflict):
        world.svc(world.manager).invite(community_id=world.S["id"], person_id=world.outsider.user_id)


def test_invitation_declined(world):
    world.svc(world.manager).invite(community_id=world.B["id"], person_id=world.outsider.user_id)
    assert world.svc(world.outsider).decline_invitation(community_id=world.B["id"]) == {"declined": True}
    with pytest.raises(NotFound):
        world.svc(world.outsider).accept_invitation(community_id=world.B["id"])
    with pytest.raises(NotFound):  # someone else's invitation is not yours to accept
        world.svc(world.manager).invite(community_id=world.B["id"], person_id=world.outsider.user_id)
        world.svc(world.member).accept_invitation(community_id=world.B["id"])


def test_invite_unknown_or_deactivated_person(world):
    with pytest.raises(NotFound) as exc:
        world.svc(world.manager).invite(community_id=world.A["id"], person_id="u-nobody")
    assert "person" in exc.value.message
    ghost = person("u-ghost")
    world.identity.add(ghost, status="deactivated")
    with pytest.raises(Conflict):
        world.svc(world.manager).invite(community_id=world.A["id"], person_id=ghost.user_id)


def test_guest_invitation_needs_an_allowed_organisation(world):
    with pytest.raises(Conflict) as exc:
        world.svc(world.manager).invite(community_id=world.A["id"], person_id=world.stranger.user_id)
    assert exc.value.details == {"org_id": OTHER}
    with pytest.raises(Conflict):
        world.svc(world.manager).invite(community_id=world.B["id"], person_id=world.guest.user_id)
    world.svc(world.manager).update_community(
        community_id=world.A["id"], changes={"allowed_org_ids": [PARTNER, OTHER]}
    )
    inv = world.svc(world.manager).invite(community_id=world.A["id"], person_id=world.stranger.user_id)
    assert inv["guest"] is True and inv["org_id"] == OTHER
    # the organisation taken off the list before acceptance: the guest cannot come in
    world.svc(world.manager).update_community(
        community_id=world.A["id"], changes={"allowed_org_ids": [PARTNER]}
    )
    with pytest.raises(Conflict):
        world.svc(world.stranger).accept_invitation(community_id=world.A["id"])


def test_guest_membership_is_flagged_in_events(world):
    member_added = [
        p for t, p in world.outbox() if t == "member_added" and p["user_id"] == world.guest.user_id
    ]
    assert member_added == [
        {
            "community_id": world.A["id"],
            "user_id": world.guest.user_id,
            "role": "member",
            "guest": True,
            "joined_at": "2026-06-01T09:00:00+00:00",
            "version": member_added[0]["version"],
        }
    ]
    assert member_added[0]["version"] > 1


def test_leave_and_last_manager(world):
    before = len(world.outbox())
    version = stored_version(world, world.A["id"])
    assert world.svc(world.member).leave_community(community_id=world.A["id"]) == {"left": True}
    assert events_since(world, before) == [
        (
            "member_removed",
            {
                "community_id": world.A["id"],
                "user_id": world.member.user_id,
                "role": "member",
                "guest": False,
                "joined_at": "2026-06-01T09:00:00+00:00",
                "version": version + 1,
            },
        )
    ]
    assert stored_count(world, world.A["id"]) == 2
    with pytest.raises(NotFound):
        world.svc(world.member).get_community(community_id=world.A["id"])
    with pytest.raises(Conflict) as exc:
        world.svc(world.manager).leave_community(community_id=world.A["id"])
    assert exc.value.message == LAST_MANAGER
    with pytest.raises(Conflict):
        world.svc(world.outsider).leave_community(community_id=world.C["id"])
    with pytest.raises(NotFound):
        world.svc(world.outsider).leave_community(community_id=world.S["id"])


def test_hand_over_then_leave(world):
    before = len(world.outbox())
    promoted = world.svc(world.manager).set_member_role(
        community_id=world.A["id"], user_id=world.member.user_id, role="manager"
    )
    assert promoted["role"] == "manager"
    # the same role again changes nothing
    world.svc(world.manager).set_member_role(
        community_id=world.A["id"], user_id=world.member.user_id, role="manager"
    )
    assert [t for t, _ in events_since(world, before)] == ["member_role_changed"]
    assert events_since(world, before)[0][1]["role"] == "manager"
    world.svc(world.manager).leave_community(community_id=world.A["id"])
    # the new manager now manages
    world.svc(world.member).archive_community(community_id=world.A["id"])


def test_demoting_the_last_manager_and_guest_managers_are_refused(world):
    with pytest.raises(Conflict):
        world.svc(world.manager).set_member_role(
            community_id=world.A["id"], user_id=world.manager.user_id, role="member"
        )
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.manager).set_member_role(
            community_id=world.A["id"], user_id=world.guest.user_id, role="manager"
        )
    assert "role" in exc.value.details
    with pytest.raises(NotFound):
        world.svc(world.manager).set_member_role(
            community_id=world.A["id"], user_id=world.outsider.user_id, role="manager"
        )


def test_removed_guest_loses_the_community_at_once(world):
    assert world.svc(world.guest).get_community(community_id=world.A["id"])
    before = len(world.outbox())
    world.svc(world.manager).remove_member(community_id=world.A["id"], user_id=world.guest.user_id)
    assert [(t, p["guest"]) for t, p in events_since(world, before)] == [("member_removed", True)]
    with pytest.raises(NotFound):
        world.svc(world.guest).get_community(community_id=world.A["id"])
    assert world.svc(world.guest).list_communities()["items"] == []
    with pytest.raises(NotFound):
        world.svc(world.manager).remove_member(community_id=world.A["id"], user_id=world.guest.user_id)
    with pytest.raises(Conflict):
        world.svc(world.admin).remove_member(community_id=world.A["id"], user_id=world.manager.user_id)


def test_settings_update_publishes_full_state_and_noop_publishes_nothing(world):
    before = len(world.outbox())
    got = world.svc(world.manager).update_community(
        community_id=world.A["id"],
        changes={
            "name": "Alpha renamed",
            "kind": "project",
            "visibility": "secret",
            "languages": ["de"],
            "newcomers_see_history": False,
            "description": "About",
            "picture": None,
        },
    )
    assert got["name"] == "Alpha renamed" and got["visibility"] == "secret"
    [(t, state)] = events_since(world, before)
    assert t == "community_updated"
    assert state == {
        "community_id": world.A["id"],
        "name": "Alpha renamed",
        "kind": "project",
        "visibility": "secret",
        "archived": False,
        "newcomers_see_history": False,
        "languages": ["de"],
        "allowed_org_ids": [PARTNER],
        "description": "About",
        "version": stored_version(world, world.A["id"]),
    }
    world.svc(world.manager).update_community(community_id=world.A["id"], changes={"name": "Alpha renamed"})
    assert len(world.outbox()) == before + 1
    # a change that changes nothing does not move the version either
    assert stored_version(world, world.A["id"]) == state["version"]
    # now secret: the outsider no longer even sees the name
    assert "Alpha renamed" not in {i["name"] for i in world.svc(world.outsider).list_communities()["items"]}


def test_archive_and_reopen_publish_full_state(world):
    before = len(world.outbox())
    world.svc(world.manager).archive_community(community_id=world.C["id"])
    world.svc(world.manager).reopen_community(community_id=world.C["id"])
    world.svc(world.manager).reopen_community(community_id=world.C["id"])  # no-op
    found = events_since(world, before)
    assert [(t, p["archived"]) for t, p in found] == [
        ("community_archived", True),
        ("community_reopened", False),
    ]
    for t, p in found:
        ev.validate_payload(ev.EventType("communities", t), p)
        assert p["name"] == "Charlie open" and p["visibility"] == "open"


def test_directory_is_keyset_paged_by_name_and_filtered(world):
    for name in ("Zeta ideas", "beta hobby", "Delta support"):
        world.create(world.outsider, name=name, kind="interest" if "hobby" in name else "ideas")
    seen, cursor = [], None
    for _ in range(10):
        page = world.svc(world.outsider).list_communities(limit=2, cursor=cursor)
        seen += [i["name"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [
        "Alpha private",
        "beta hobby",
        "Bravo private",
        "Charlie open",
        "Delta support",
        "Zeta ideas",
    ]
    svc = world.svc(world.outsider)
    assert [i["name"] for i in svc.list_communities(query="ETA")["items"]] == ["beta hobby", "Zeta ideas"]
    assert [i["name"] for i in world.svc(world.outsider).list_communities(kind="interest")["items"]] == [
        "beta hobby"
    ]
    assert [i["name"] for i in world.svc(world.outsider).list_communities(visibility="private")["items"]] == [
        "Alpha private",
        "Bravo private",
    ]
    assert world.svc(world.outsider).list_communities(query="100%_")["items"] == []


def test_member_count_is_stored_and_follows_every_change(world):
    world.svc(world.outsider).join_community(community_id=world.C["id"])
    world.svc(world.member).join_community(community_id=world.C["id"])
    world.svc(world.member).leave_community(community_id=world.C["id"])
    assert stored_count(world, world.C["id"]) == 2
    assert world.svc(world.admin).get_community(community_id=world.C["id"])["member_count"] == 2
    assert stored_count(world, world.A["id"]) == 3


def test_member_list_is_paged_managers_first(world):
    for i in range(4):
        newcomer = person(f"u-c{i}")
        world.identity.add(newcomer)
        world.add_member(world.C, newcomer)
    world.svc(world.manager).set_member_role(community_id=world.C["id"], user_id="u-c3", role="manager")
    seen, cursor = [], None
    for _ in range(10):
        page = world.svc(world.member).list_members(community_id=world.C["id"], limit=2, cursor=cursor)
        seen += [(m["role"], m["user_id"]) for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [
        ("manager", "u-c3"),
        ("manager", world.manager.user_id),
        ("member", "u-c0"),
        ("member", "u-c1"),
        ("member", "u-c2"),
    ]


def test_memberships_of_the_caller_themself(world):
    mine = world.svc(world.guest).memberships_of()["items"]
    assert [(m["community_id"], m["role"], m["guest"]) for m in mine] == [(world.A["id"], "member", True)]
    assert mine[0]["community"]["name"] == "Alpha private"
    assert world.svc(world.guest).memberships_of(user_id=world.guest.user_id) == {"items": mine}
    with pytest.raises(Forbidden):
        world.svc(world.outsider).memberships_of(user_id=world.guest.user_id)
    by_admin = world.svc(world.admin).memberships_of(user_id=world.manager.user_id)["items"]
    assert len(by_admin) == 4 and all(m["community"]["access"] == "metadata" for m in by_admin)


def test_identity_unreachable_answers_unavailable_and_writes_nothing(world, monkeypatch):
    from nameko.exceptions import UnknownService

    from parvis_contracts.errors import Unavailable

    def down(person_ids):
        raise UnknownService("identity")

    monkeypatch.setattr(world.identity, "people_cards", down)
    before = len(world.outbox())
    with pytest.raises(Unavailable):
        world.svc(world.manager).invite(community_id=world.B["id"], person_id=world.outsider.user_id)
    assert len(world.outbox()) == before
    assert world.svc(world.outsider).my_invitations()["items"] == []


def test_every_change_moves_the_version_and_every_event_carries_it(world):
    """The version orders a community's events for the read models of other services."""
    cid = world.C["id"]
    before = len(world.outbox())
    world.svc(world.outsider).join_community(community_id=cid)
    world.svc(world.manager).set_member_role(community_id=cid, user_id=world.outsider.user_id, role="manager")
    world.svc(world.manager).update_community(community_id=cid, changes={"description": "x"})
    world.svc(world.outsider).leave_community(community_id=cid)
    world.svc(world.manager).archive_community(community_id=cid)
    world.svc(world.manager).reopen_community(community_id=cid)
    found = events_since(world, before)
    assert [t for t, _ in found] == [
        "member_added",
        "member_role_changed",
        "community_updated",
        "member_removed",
        "community_archived",
        "community_reopened",
    ]
    versions = [p["version"] for _, p in found]
    assert versions == sorted(set(versions)) and versions[-1] == stored_version(world, cid)
    # a refused change (the last manager leaving) leaves the version where it was
    with pytest.raises(Conflict):
        world.svc(world.manager).leave_community(community_id=cid)
    assert stored_version(world, cid) == versions[-1]
