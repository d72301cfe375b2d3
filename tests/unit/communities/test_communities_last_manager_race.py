"""Two managers stepping down, leaving or demoting each other at the same moment never
leave a community without a manager: every such write locks the community row first.

Runs on SQLite and, with ``PARVIS_TEST_DB=postgresql``, on PostgreSQL, where the test
also sees the second writer waiting on the row lock before it counts the managers.
"""

from __future__ import annotations

import threading

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import event, func, select, text

from parvis_contracts.errors import Conflict, Forbidden, NotFound
from services.communities.access import lock
from services.communities.models import Membership
from services.communities.service import CommunitiesService
from tests.support import wait_until


def _managers(world, cid):
    return world.session().scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.community_id == cid, Membership.role == "manager")
    )


@pytest.fixture
def two_managers(world):
    """A with two managers: ``manager`` and ``member`` (appointed)."""
    cid = world.A["id"]
    world.svc(world.manager).set_member_role(community_id=cid, user_id=world.member.user_id, role="manager")
    assert _managers(world, cid) == 2
    return cid


# what a manager (``me``) can do that would drop a manager (``me`` or ``other``)
ACTIONS = {
    "steps down": lambda svc, cid, me, other: svc.set_member_role(
        community_id=cid, user_id=me, role="member"
    ),
    "leaves": lambda svc, cid, me, other: svc.leave_community(community_id=cid),
    "demotes the other": lambda svc, cid, me, other: svc.set_member_role(
        community_id=cid, user_id=other, role="member"
    ),
    "removes the other": lambda svc, cid, me, other: svc.remove_member(community_id=cid, user_id=other),
}


def _act(world, session, action, cid, me, other):
    svc = worker_factory(
        CommunitiesService, db=session, caller=me, clock=world.clock, identity=world.identity
    )
    return ACTIONS[action](svc, cid, me.user_id, other.user_id)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_writes_that_can_drop_a_manager_lock_the_community_first(world, engine, two_managers, action):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        _act(world, world.session(), action, two_managers, world.member, world.manager)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # the lock is the very first statement: nothing it guards was read before it
    assert statements[0].startswith("UPDATE communities SET version=(communities.version +")
    counts = [i for i, s in enumerate(statements) if "count(*)" in s]
    assert counts and counts[0] > 0
    assert _managers(world, two_managers) == 1


# (what the first manager does, what the second does meanwhile, what the second gets)
RACES = [
    ("steps down", "steps down", Conflict),
    ("steps down", "leaves", Conflict),
    ("leaves", "leaves", Conflict),
    ("leaves", "steps down", Conflict),
    # each demotes the other: the second is no longer a manager when its turn comes
    ("demotes the other", "demotes the other", Forbidden),
    ("removes the other", "removes the other", NotFound),
]


@pytest.mark.parametrize("first, second, refused", RACES, ids=[f"{a} | {b}" for a, b, _ in RACES])
def test_concurrent_step_downs_leave_one_manager(world, engine, two_managers, first, second, refused):
    cid = two_managers
    first_session, second_session = world.Session(), world.Session()
    outcome: dict = {}

    def run_second():
        try:
            outcome["second"] = _act(world, second_session, second, cid, world.member, world.manager)
        except Exception as exc:  # noqa: BLE001 - the answer is what the test checks
            outcome["second"] = exc

    try:
        lock(first_session, cid)  # the first writer holds the community's lock
        other = threading.Thread(target=run_second)
        other.start()
        if engine.dialect.name == "postgresql":
            # the second writer is waiting for the row lock, before it counted anything
            wait_until(lambda: _waiting_on_a_lock(engine) >= 1, timeout=30)
            assert other.is_alive()
        _act(world, first_session, first, cid, world.manager, world.member)
        other.join(timeout=60)
        assert not other.is_alive()
    finally:
        first_session.close()
        second_session.close()
    assert isinstance(outcome["second"], refused), outcome["second"]
    assert _managers(world, cid) == 1


def test_sequential_step_downs_keep_the_last_manager(world, two_managers):
    cid = two_managers
    world.svc(world.manager).set_member_role(community_id=cid, user_id=world.manager.user_id, role="member")
    for action in ("steps down", "leaves"):
        with pytest.raises(Conflict):
            _act(world, world.session(), action, cid, world.member, world.manager)
    for action in ("demotes the other", "removes the other"):
        with pytest.raises(Conflict):
            _act(world, world.session(), action, cid, world.admin, world.member)
    assert _managers(world, cid) == 1


def _waiting_on_a_lock(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        ).scalar()
