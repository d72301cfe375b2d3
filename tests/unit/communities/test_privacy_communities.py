"""Privacy (GDPR) in communities: one's memberships exported; an erased person forgotten."""

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden, ValidationFailed
from parvis_contracts.events import Envelope
from services.communities.models import Community, Invitation, JoinRequest, Membership


def erased(world, user_id):
    body = Envelope.new(
        ev.IDENTITY_USER_ERASED, {"user_id": user_id, "org_id": "org-host", "guest": False}
    ).to_message()
    return body, world.svc(None).on_user_erased(body)


def test_export_lists_memberships_created_communities_invitations_and_requests(world):
    world.svc(world.member).request_to_join(community_id=world.B["id"], message="Let me in")
    world.svc(world.manager).invite(community_id=world.S["id"], person_id=world.member.user_id)
    data = world.svc(world.member).export_person_data(person_id=world.member.user_id)
    assert [m["community_id"] for m in data["memberships"]] == [world.A["id"]]
    assert data["memberships"][0]["community_name"] == "Alpha private"
    assert [r["message"] for r in data["join_requests"]] == ["Let me in"]
    assert [i["community_id"] for i in data["invitations"]] == [world.S["id"]]
    assert data["invitations"][0]["invited_by"] == world.manager.user_id
    mine = world.svc(world.manager).export_person_data(person_id=world.manager.user_id)
    assert len(mine["communities_created"]) == 4


def test_only_the_person_or_an_admin_exports(world):
    with pytest.raises(Forbidden):
        world.svc(world.outsider).export_person_data(person_id=world.member.user_id)
    assert (
        world.svc(world.admin).export_person_data(person_id=world.member.user_id)["person_id"]
        == world.member.user_id
    )
    with pytest.raises(ValidationFailed):
        world.svc(world.member).export_person_data(person_id=None)


def test_an_erased_member_leaves_every_community_with_its_event(world):
    world.svc(world.member).request_to_join(community_id=world.B["id"], message="Let me in")
    world.svc(world.manager).invite(community_id=world.S["id"], person_id=world.member.user_id)
    world.svc(world.member).join_community(community_id=world.C["id"])
    before = world.session().get(Community, world.A["id"])
    count, version = before.member_count, before.version
    _, result = erased(world, world.member.user_id)
    assert result["memberships"] == 2 and result["left_without_manager"] == []
    session = world.session()
    assert (
        session.scalars(select(Membership).where(Membership.user_id == world.member.user_id)).first() is None
    )
    assert (
        session.scalars(select(Invitation).where(Invitation.person_id == world.member.user_id)).first()
        is None
    )
    assert (
        session.scalars(select(JoinRequest).where(JoinRequest.user_id == world.member.user_id)).first()
        is None
    )
    after = session.get(Community, world.A["id"])
    assert after.member_count == count - 1 and after.version > version
    removed = [p for t, p in world.outbox() if t == "member_removed" and p["user_id"] == world.member.user_id]
    assert {p["community_id"] for p in removed} == {world.A["id"], world.C["id"]}


def test_the_sole_manager_erased_leaves_the_community_without_manager(world, caplog):
    _, result = erased(world, world.manager.user_id)
    assert sorted(result["left_without_manager"]) == sorted(
        c["id"] for c in (world.A, world.B, world.C, world.S)
    )
    assert "has no manager any more" in caplog.text
    session = world.session()
    assert (
        session.scalars(
            select(Membership).where(Membership.community_id == world.A["id"], Membership.role == "manager")
        ).first()
        is None
    )
    # the members stay; an admin can appoint a new manager
    assert (
        session.get(Membership, {"community_id": world.A["id"], "user_id": world.member.user_id}) is not None
    )
    appointed = world.svc(world.admin).set_member_role(
        community_id=world.A["id"], user_id=world.member.user_id, role="manager"
    )
    assert appointed["role"] == "manager"


def test_invitations_sent_by_the_erased_person_no_longer_name_them(world):
    world.svc(world.manager).invite(community_id=world.S["id"], person_id=world.outsider.user_id)
    erased(world, world.manager.user_id)
    row = world.session().get(
        Invitation, {"community_id": world.S["id"], "person_id": world.outsider.user_id}
    )
    assert row is not None and row.invited_by is None


def test_the_event_twice_changes_nothing_the_second_time(world):
    body, _ = erased(world, world.member.user_id)
    events = world.outbox()
    assert world.svc(None).on_user_erased(body) == "duplicate"
    _, again = erased(world, world.member.user_id)  # a new event for the same person
    assert again["memberships"] == 0
    assert world.outbox() == events


def test_an_erased_person_cannot_be_invited(world):
    world.identity.add(world.outsider, status="erased")
    from parvis_contracts.errors import Conflict

    with pytest.raises(Conflict):
        world.svc(world.manager).invite(community_id=world.A["id"], person_id=world.outsider.user_id)
