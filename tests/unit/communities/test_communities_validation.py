"""Every bad input answers ValidationFailed naming the field, and writes nothing."""

import pytest
from sqlalchemy import func, select

from parvis_contracts.errors import ValidationFailed
from services.communities.models import Community, Invitation, JoinRequest, Membership


def footprint(world):
    s = world.session()
    counts = [
        s.scalar(select(func.count()).select_from(t))
        for t in (Community, Membership, Invitation, JoinRequest)
    ]
    return counts, len(world.outbox()), s.scalar(select(func.sum(Community.member_count)))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": "ab"}, "name"),
        ({"name": "   a       "}, "name"),  # blanks do not count
        ({"name": "x" * 81}, "name"),
        ({"name": None}, "name"),
        ({"name": 42}, "name"),
        ({"kind": "club"}, "kind"),
        ({"kind": None}, "kind"),
        ({"visibility": "hidden"}, "visibility"),
        ({"description": "d" * 2001}, "description"),
        ({"description": None}, "description"),
        ({"languages": ["xx"]}, "languages"),
        ({"languages": "en"}, "languages"),
        ({"languages": ["english"]}, "languages"),
        ({"languages": ["en"] * 31}, "languages"),
        ({"picture": ""}, "picture"),
        ({"picture": "p" * 201}, "picture"),
        ({"newcomers_see_history": "perhaps"}, "newcomers_see_history"),
        ({"allowed_org_ids": "org-1"}, "allowed_org_ids"),
        ({"allowed_org_ids": [""]}, "allowed_org_ids"),
        ({"allowed_org_ids": [{"id": 1}]}, "allowed_org_ids"),
    ],
)
def test_create_validates_every_field(world, kwargs, field):
    before = footprint(world)
    args = {"name": "Valid name", "kind": "team", **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.outsider).create_community(**args)
    assert field in exc.value.details
    assert footprint(world) == before


def test_name_limits_are_inclusive(world):
    assert world.create(name="abc")["name"] == "abc"
    assert world.create(name="n" * 80, description="d" * 2000)["name"] == "n" * 80


@pytest.mark.parametrize(
    "changes, field",
    [
        ({}, "_schema"),  # the changes as a whole
        ("rename", "_schema"),
        (None, "_schema"),
        ({"colour": "blue"}, "colour"),  # a change: named as a create names it
        ({"name": "no"}, "name"),
        ({"kind": "guild"}, "kind"),
        ({"visibility": "public"}, "visibility"),
        ({"languages": ["zz"]}, "languages"),
        ({"archived": True}, "archived"),  # archive state has its own methods
        ({"member_count": 1000}, "member_count"),
    ],
)
def test_update_validates_changes(world, changes, field):
    before = footprint(world)
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.manager).update_community(community_id=world.A["id"], changes=changes)
    assert set(exc.value.details) == {field}  # details.<field>, never details.changes.<field>
    assert footprint(world) == before


BAD_IDS = ["", None, 12, "x" * 65, ["a"]]

ID_CALLS = {
    "get_community": lambda svc, v: svc.get_community(community_id=v),
    "list_members": lambda svc, v: svc.list_members(community_id=v),
    "join_community": lambda svc, v: svc.join_community(community_id=v),
    "leave_community": lambda svc, v: svc.leave_community(community_id=v),
    "request_to_join": lambda svc, v: svc.request_to_join(community_id=v),
    "archive_community": lambda svc, v: svc.archive_community(community_id=v),
    "reopen_community": lambda svc, v: svc.reopen_community(community_id=v),
    "accept_invitation": lambda svc, v: svc.accept_invitation(community_id=v),
    "decline_invitation": lambda svc, v: svc.decline_invitation(community_id=v),
    "list_join_requests": lambda svc, v: svc.list_join_requests(community_id=v),
    "invite": lambda svc, v: svc.invite(community_id=v, person_id="u-outsider"),
    "remove_member": lambda svc, v: svc.remove_member(community_id=v, user_id="u-member"),
    "approve_join_request": lambda svc, v: svc.approve_join_request(community_id=v, user_id="u-outsider"),
    "refuse_join_request": lambda svc, v: svc.refuse_join_request(community_id=v, user_id="u-outsider"),
    "set_member_role": lambda svc, v: svc.set_member_role(community_id=v, user_id="u-member", role="manager"),
}


@pytest.mark.parametrize("value", BAD_IDS, ids=repr)
@pytest.mark.parametrize("method", sorted(ID_CALLS))
def test_community_ids_are_validated(world, method, value):
    before = footprint(world)
    with pytest.raises(ValidationFailed) as exc:
        ID_CALLS[method](world.svc(world.manager), value)
    assert "community_id" in exc.value.details
    assert footprint(world) == before


@pytest.mark.parametrize("value", BAD_IDS, ids=repr)
def test_person_and_user_ids_are_validated(world, value):
    svc = lambda: world.svc(world.manager)  # noqa: E731
    cid = world.A["id"]
    checks = [
        (lambda: svc().invite(community_id=cid, person_id=value), "person_id"),
        (lambda: svc().remove_member(community_id=cid, user_id=value), "user_id"),
        (lambda: svc().set_member_role(community_id=cid, user_id=value, role="member"), "user_id"),
        (lambda: svc().approve_join_request(community_id=cid, user_id=value), "user_id"),
        (lambda: svc().refuse_join_request(community_id=cid, user_id=value), "user_id"),
    ]
    if value is not None:
        checks.append((lambda: svc().memberships_of(user_id=value), "user_id"))
    before = footprint(world)
    for call, field in checks:
        with pytest.raises(ValidationFailed) as exc:
            call()
        assert field in exc.value.details
    assert footprint(world) == before
    assert world.identity.calls[-1:] != [[value]]


@pytest.mark.parametrize("role", ["owner", "", None, 1])
def test_roles_are_an_enumeration(world, role):
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.manager).set_member_role(
            community_id=world.A["id"], user_id=world.member.user_id, role=role
        )
    assert "role" in exc.value.details


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"limit": None}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJhIl0"}, "cursor"),  # valid base64 of the wrong shape
        ({"cursor": ""}, "cursor"),
        ({"kind": "guild"}, "kind"),
        ({"visibility": "public"}, "visibility"),
        ({"query": "q" * 81}, "query"),
        ({"mine": "often"}, "mine"),
    ],
)
def test_directory_arguments_are_validated(world, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.outsider).list_communities(**kwargs)
    assert field in exc.value.details


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"cursor": "zz"}, "cursor"),
        ({"cursor": "0:"}, "cursor"),
    ],
)
def test_member_list_arguments_are_validated(world, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.member).list_members(community_id=world.A["id"], **kwargs)
    assert field in exc.value.details


def test_join_request_message_is_bounded(world):
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.outsider).request_to_join(community_id=world.B["id"], message="m" * 501)
    assert "message" in exc.value.details
    assert world.svc(world.manager).list_join_requests(community_id=world.B["id"])["items"] == []
