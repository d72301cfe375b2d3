"""The read model of communities and membership, fed by the communities events."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden, NotFound, ValidationFailed
from parvis_contracts.events import Envelope
from services.feed.models import Community, Membership, metadata


def _state(world):
    s = world.session()
    communities = sorted(
        (c.id, c.name, c.visibility, c.archived, c.newcomers_see_history)
        for c in s.scalars(select(Community))
    )
    members = sorted(
        (m.community_id, m.user_id, m.role, m.guest, m.joined_at) for m in s.scalars(select(Membership))
    )
    return communities, members


def test_community_events_build_and_update_the_read_model(world):
    world.community("X", "open", name="Makers")
    s = world.session()
    x = s.get(Community, "X")
    assert (x.name, x.visibility, x.archived, x.newcomers_see_history) == ("Makers", "open", False, True)
    world.community(
        "X", "private", name="Makers (closed)", history=False, event=ev.COMMUNITIES_COMMUNITY_UPDATED
    )
    world.community(
        "X",
        "private",
        name="Makers (closed)",
        archived=True,
        history=False,
        event=ev.COMMUNITIES_COMMUNITY_ARCHIVED,
    )
    x = world.session().get(Community, "X")
    assert (x.name, x.visibility, x.archived, x.newcomers_see_history) == (
        "Makers (closed)",
        "private",
        True,
        False,
    )
    world.community("X", "private", event=ev.COMMUNITIES_COMMUNITY_REOPENED)
    assert world.session().get(Community, "X").archived is False


def test_the_same_event_twice_changes_nothing(world):
    events = [
        world.community("Y", "private"),
        world.join("Y", world.employee),
        world.deliver(
            ev.COMMUNITIES_MEMBER_ROLE_CHANGED,
            {"community_id": "Y", "user_id": world.employee.user_id, "role": "manager"},
        ),
    ]
    before = _state(world)
    handlers = ["on_community_created", "on_member_added", "on_member_role_changed"]
    for handler, body in zip(handlers, events, strict=True):
        assert getattr(world.svc(), handler)(body) == "duplicate"
    assert _state(world) == before
    # a removal replayed after a new join does not remove the new membership
    removal = world.leave("Y", world.employee)
    world.join("Y", world.employee)
    assert world.svc().on_member_removed(removal) == "duplicate"
    assert ("Y", world.employee.user_id) in {(c, u) for c, u, *_ in _state(world)[1]}
    with world.engine.connect() as conn:
        marks = conn.execute(select(func.count()).select_from(metadata.tables["processed_events"])).scalar()
    assert marks >= 5


def test_membership_gives_and_removal_takes_access(world):
    world.community("Z", "private")
    with pytest.raises(NotFound):
        world.svc(world.employee).community_wall(community_id="Z")
    world.join("Z", world.employee)
    assert world.svc(world.employee).community_wall(community_id="Z")["items"] == []
    post = world.post(world.employee, "Z")
    world.leave("Z", world.employee)
    with pytest.raises(NotFound):
        world.svc(world.employee).get_post(post_id=post["id"])


def test_role_changes_give_and_take_moderation(world):
    post = world.post(world.other_member, "A")
    with pytest.raises(Forbidden):
        world.svc(world.member).delete_post(post_id=post["id"])
    world.deliver(
        ev.COMMUNITIES_MEMBER_ROLE_CHANGED,
        {"community_id": "A", "user_id": world.member.user_id, "role": "manager"},
    )
    assert world.post(world.member, "A", kind="announcement")["kind"] == "announcement"
    world.deliver(
        ev.COMMUNITIES_MEMBER_ROLE_CHANGED,
        {"community_id": "A", "user_id": world.member.user_id, "role": "member"},
    )
    with pytest.raises(Forbidden):
        world.svc(world.member).delete_post(post_id=post["id"])


def test_member_added_before_its_community_is_known(world):
    world.join("LATE", world.employee)
    with pytest.raises(NotFound):
        world.svc(world.employee).community_wall(community_id="LATE")
    world.community("LATE", "private")
    assert world.svc(world.employee).community_wall(community_id="LATE")["items"] == []


def test_joined_at_defaults_to_when_the_event_occurred(world):
    world.deliver(ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "A", "user_id": world.employee.user_id})
    m = world.session().get(Membership, ("A", world.employee.user_id))
    assert m.joined_at is not None and m.role == "member"


@pytest.mark.parametrize(
    "handler, data",
    [
        (
            "on_community_created",
            {
                "community_id": "Q",
                "name": "Q",
                "kind": "team",
                "visibility": "public",
                "archived": False,
                "newcomers_see_history": True,
            },
        ),
        ("on_member_added", {"community_id": "A", "user_id": "u", "joined_at": "yesterday"}),
        ("on_member_added", {"community_id": "", "user_id": "u"}),
    ],
)
def test_a_malformed_payload_fails_the_handler_and_changes_nothing(world, handler, data):
    before = _state(world)
    # signed like a real event but not what the schema accepts
    body = Envelope(
        id="e-1", type="communities.x", occurred_at="2026-06-01T09:00:00+00:00", data=data
    ).to_message()
    with pytest.raises(ValidationFailed):
        getattr(world.svc(), handler)(body)
    assert _state(world) == before


def test_a_forged_event_is_refused(world):
    body = Envelope.new(
        ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "A", "user_id": world.employee.user_id}
    ).to_message(secret=b"forged")
    with pytest.raises(ValidationFailed):
        world.svc().on_member_added(body)
    assert world.session().get(Membership, ("A", world.employee.user_id)) is None


def test_a_late_older_member_added_does_not_give_the_wall_back(world):
    """Events carry the community's version: a removal (v6) delivered before the add it
    follows (v5) leaves a tombstone the late add cannot undo."""
    world.community("V", "private")
    world.join("V", world.manager, role="manager")
    removal = {"community_id": "V", "user_id": world.employee.user_id, "version": 6}
    world.deliver(ev.COMMUNITIES_MEMBER_REMOVED, removal)
    world.deliver(ev.COMMUNITIES_MEMBER_ADDED, {**removal, "version": 5})
    with pytest.raises(NotFound):
        world.svc(world.employee).community_wall(community_id="V")
    with pytest.raises(ValidationFailed):  # nor can anyone mention them there
        world.post(world.manager, "V", body=f"@[E]({world.employee.user_id})")
    world.deliver(ev.COMMUNITIES_MEMBER_ADDED, {**removal, "version": 7})
    assert world.svc(world.employee).community_wall(community_id="V")["items"] == []
