"""The shared membership read model: versions, tombstones, redelivery, access rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import MetaData, select

from parvis_contracts import events as ev
from parvis_contracts.context import KIND_PERSON, Caller
from parvis_contracts.db import Database, infrastructure_tables, session_factory
from parvis_contracts.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from parvis_contracts.events import Envelope
from parvis_contracts.membership import (
    APPLIED,
    HANDLER_METHODS,
    STALE,
    MembershipEventHandlers,
    MembershipReadModel,
    Viewer,
    viewer_of,
)
from parvis_contracts.topology import SUBSCRIPTIONS
from tests.support import unit_engine

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

metadata = MetaData()
infrastructure_tables(metadata)
MODEL = MembershipReadModel(metadata)


class ProbeService(MembershipEventHandlers):
    name = "probe"
    db = Database(metadata)
    membership_model = MODEL


@pytest.fixture
def engine(tmp_path):
    yield from unit_engine(tmp_path, "membership", metadata)


@pytest.fixture
def rm(engine):
    model = ReadModel(session_factory(engine, metadata))
    yield model
    model.close()


class ReadModel:
    """Deliver signed events to the inherited handlers, read the tables back."""

    def __init__(self, Session):
        self.Session = Session
        self.opened = []

    def session(self):
        s = self.Session()
        self.opened.append(s)
        return s

    def deliver(self, event, data, body=None):
        body = body or Envelope.new(event, data).to_message()
        method = dict(HANDLER_METHODS)[event]
        result = getattr(worker_factory(ProbeService, db=self.session()), method)(body)
        return result, body

    def community(self, cid="K", version=None, event=ev.COMMUNITIES_COMMUNITY_CREATED, **kw):
        data = {
            "community_id": cid,
            "name": kw.pop("name", f"Community {cid}"),
            "kind": "team",
            "visibility": kw.pop("visibility", "private"),
            "archived": kw.pop("archived", False),
            "newcomers_see_history": kw.pop("history", True),
            "languages": ["fr"],
        }
        if version is not None:
            data["version"] = version
        return self.deliver(event, data)[0]

    def member(self, event, user, version=None, cid="K", role="member", joined_at=T0, guest=False):
        data = {
            "community_id": cid,
            "user_id": user,
            "role": role,
            "guest": guest,
            "joined_at": joined_at.isoformat(),
        }
        if version is not None:
            data["version"] = version
        return self.deliver(event, data)[0]

    def add(self, user, version=None, **kw):
        return self.member(ev.COMMUNITIES_MEMBER_ADDED, user, version, **kw)

    def remove(self, user, version=None, **kw):
        return self.member(ev.COMMUNITIES_MEMBER_REMOVED, user, version, **kw)

    def role(self, user, role, version=None, **kw):
        return self.member(ev.COMMUNITIES_MEMBER_ROLE_CHANGED, user, version, role=role, **kw)

    def rows(self):
        s = self.session()
        c, m = MODEL.communities, MODEL.memberships
        return (
            sorted(tuple(r) for r in s.execute(select(c))),
            sorted(tuple(r) for r in s.execute(select(m))),
        )

    def access(self, user, cid="K", guest=False, admin=False):
        return MODEL.access(self.session(), Viewer(user, guest, admin), cid)

    def close(self):
        for s in self.opened:
            s.close()


# --- ordering ---------------------------------------------------------------------------


def test_a_late_member_added_older_than_the_removal_does_not_resurrect(rm):
    rm.community(version=1)
    assert rm.add("u1", version=2) == APPLIED
    assert rm.remove("u1", version=4) == APPLIED
    assert rm.add("u1", version=3) == STALE  # delivered late
    assert MODEL.member(rm.session(), "K", "u1") is None
    with pytest.raises(NotFound):
        rm.access("u1")
    # the tombstone remembers the removal's version
    m = MODEL.memberships
    rows = rm.session().execute(select(m.c.user_id, m.c.removed, m.c.version)).all()
    assert [tuple(r) for r in rows] == [("u1", True, 4)]
    # a newer return is a new membership, from its own joined_at
    back = T0 + timedelta(days=3)
    assert rm.add("u1", version=5, joined_at=back) == APPLIED
    assert rm.access("u1").membership.joined_at == back


def test_a_removal_arriving_before_its_add_leaves_a_tombstone_the_add_cannot_undo(rm):
    rm.community(version=1)
    assert rm.remove("u1", version=3) == APPLIED
    assert rm.add("u1", version=2) == STALE
    assert MODEL.member_ids(rm.session(), "K") == []
    assert MODEL.community_ids_of(rm.session(), "u1") == []


def test_an_older_role_change_does_not_undo_a_newer_one(rm):
    rm.community(version=1)
    rm.add("u1", version=2)
    assert rm.role("u1", "member", version=6) == APPLIED
    assert rm.role("u1", "manager", version=5) == STALE
    assert rm.access("u1").is_manager is False
    # a role change newer than a late add: the add is stale, the role stays
    assert rm.role("u2", "manager", version=8) == APPLIED
    assert rm.add("u2", version=7) == STALE
    assert rm.access("u2").is_manager is True


def test_a_stale_community_update_is_ignored(rm):
    rm.community(version=1, visibility="private")
    assert (
        rm.community(version=5, archived=True, name="New name", event=ev.COMMUNITIES_COMMUNITY_ARCHIVED)
        == APPLIED
    )
    assert (
        rm.community(version=4, archived=False, name="Old name", event=ev.COMMUNITIES_COMMUNITY_UPDATED)
        == STALE
    )
    info = MODEL.community(rm.session(), "K")
    assert (info.name, info.archived, info.version, info.languages) == ("New name", True, 5, ["fr"])


def test_an_event_without_version_applies_only_while_nothing_newer_is_known(rm):
    assert rm.community(name="Legacy") == APPLIED  # no version: 0
    assert rm.community(name="Legacy again", event=ev.COMMUNITIES_COMMUNITY_UPDATED) == APPLIED
    assert rm.community(version=2, name="Versioned", event=ev.COMMUNITIES_COMMUNITY_UPDATED) == APPLIED
    assert rm.community(name="Legacy, late", event=ev.COMMUNITIES_COMMUNITY_UPDATED) == STALE
    assert MODEL.community(rm.session(), "K").name == "Versioned"
    assert rm.add("u1") == APPLIED and rm.remove("u1") == APPLIED and rm.add("u1") == APPLIED
    assert rm.access("u1").is_member


# --- redelivery ---------------------------------------------------------------------------


def test_redelivering_every_event_twice_changes_nothing(rm):
    bodies = []
    for event, data in [
        (
            ev.COMMUNITIES_COMMUNITY_CREATED,
            {
                "community_id": "K",
                "name": "K",
                "kind": "team",
                "visibility": "open",
                "archived": False,
                "newcomers_see_history": False,
                "version": 1,
            },
        ),
        (
            ev.COMMUNITIES_MEMBER_ADDED,
            {"community_id": "K", "user_id": "u1", "version": 2, "joined_at": T0.isoformat()},
        ),
        (
            ev.COMMUNITIES_MEMBER_ROLE_CHANGED,
            {
                "community_id": "K",
                "user_id": "u1",
                "role": "manager",
                "version": 3,
                "joined_at": T0.isoformat(),
            },
        ),
        (
            ev.COMMUNITIES_MEMBER_ADDED,
            {"community_id": "K", "user_id": "u2", "version": 4, "joined_at": T0.isoformat()},
        ),
        (
            ev.COMMUNITIES_MEMBER_REMOVED,
            {"community_id": "K", "user_id": "u2", "version": 5, "joined_at": T0.isoformat()},
        ),
    ]:
        result, body = rm.deliver(event, data)
        assert result == APPLIED
        bodies.append((event, data, body))
    before = rm.rows()
    for _ in range(2):
        for event, data, body in bodies:
            # the same message: the idempotent handler skips it
            assert rm.deliver(event, data, body=body)[0] == "duplicate"
            # the same change republished under a new event id: applying it again is a no-op
            rm.deliver(event, data)
    assert rm.rows() == before
    assert rm.access("u1").is_manager and MODEL.member(rm.session(), "K", "u2") is None


def test_a_malformed_event_fails_and_changes_nothing(rm):
    rm.community(version=1)
    before = rm.rows()
    for data in (
        {"community_id": "K", "user_id": "u1", "version": -1},
        {"community_id": "K", "user_id": "u1", "joined_at": "yesterday"},
        {"community_id": "", "user_id": "u1"},
    ):
        body = Envelope(
            id="e-x", type="communities.member_added", occurred_at=T0.isoformat(), data=data
        ).to_message()
        with pytest.raises(ValidationFailed):
            worker_factory(ProbeService, db=rm.session()).on_member_added(body)
    assert rm.rows() == before


def test_the_event_schemas_carry_the_version():
    member = ev.validate_payload(
        ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "K", "user_id": "u", "version": 7}
    )
    assert member["version"] == 7
    old = ev.validate_payload(ev.COMMUNITIES_MEMBER_REMOVED, {"community_id": "K", "user_id": "u"})
    assert old["version"] == 0


def test_every_handler_exists_and_the_feed_subscribes_to_each():
    for event, method in HANDLER_METHODS:
        entrypoints = getattr(MembershipEventHandlers, method).nameko_entrypoints
        assert [(e.source_service, e.event_type) for e in entrypoints] == [(event.source, event.name)]
    listed = {(s.event, s.method) for s in SUBSCRIPTIONS if s.service == "feed"}
    assert set(HANDLER_METHODS) <= listed


# --- access -----------------------------------------------------------------------------


def test_access_rules(rm):
    rm.community("P", visibility="private", version=1)
    rm.community("O", visibility="open", version=1)
    rm.add("m", cid="P", version=2)
    rm.add("g", cid="P", version=3, guest=True)
    rm.add("boss", cid="P", version=4, role="manager")
    unknown = pytest.raises(NotFound)
    with unknown as missing:
        rm.access("m", cid="nope")
    # members and invited guests read; employees, admins and other guests do not
    assert rm.access("m", cid="P").is_member and rm.access("g", cid="P", guest=True).is_member
    for user, guest in (("e", False), ("g2", True)):
        with pytest.raises(NotFound) as exc:
            rm.access(user, cid="P", guest=guest)
        assert (exc.value.message, exc.value.details) == (missing.value.message, missing.value.details)
    # an admin sees every community's card, so its content is forbidden, not unknown
    with pytest.raises(Forbidden):
        rm.access("admin", cid="P", admin=True)
    # open communities: every employee reads (writes need membership); guests do not
    assert rm.access("e", cid="O").is_member is False
    with pytest.raises(Forbidden):
        rm.access("e", cid="O").require_write()
    with pytest.raises(NotFound):
        rm.access("g", cid="O", guest=True)
    # moderation: managers and admins who can read; not members
    assert rm.access("boss", cid="P").can_moderate
    with pytest.raises(Forbidden):
        rm.access("m", cid="P").require_moderator()
    assert rm.access("admin", cid="O", admin=True).can_moderate
    # archived: every write is Forbidden, reading stays
    rm.community("P", visibility="private", archived=True, version=9, event=ev.COMMUNITIES_COMMUNITY_ARCHIVED)
    with pytest.raises(Forbidden):
        rm.access("boss", cid="P").require_write()


def test_newcomers_see_history_only_when_the_community_allows_it(rm):
    rm.community("N", history=False, version=1)
    rm.add("late", cid="N", version=2, joined_at=T0 + timedelta(days=1))
    access = rm.access("late", cid="N")
    assert not access.sees_date(T0) and access.sees_date(T0 + timedelta(days=2))
    rm.community("N", history=True, version=3, event=ev.COMMUNITIES_COMMUNITY_UPDATED)
    assert rm.access("late", cid="N").sees_date(T0)


def test_viewer_of_refuses_anyone_but_a_signed_in_person():
    with pytest.raises(Unauthenticated):
        viewer_of(None)
    v = viewer_of(Caller(kind=KIND_PERSON, user_id="p1", org_id="o", roles=frozenset({"admin"}), guest=False))
    assert v == Viewer("p1", False, True)
