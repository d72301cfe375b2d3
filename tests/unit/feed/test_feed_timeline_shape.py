"""The home timeline's query shape (``services.feed.timeline._home_query``) gives exactly
the posts and the order of the plain rule query, on SQLite and PostgreSQL alike, and a
cursor page is an index range on every database.

PostgreSQL reads the home page per membership (a ``LATERAL`` subquery on the
``(community_id, created_at, id)`` index); SQLite runs the plain join. Both must page
like the reference: the readable posts of my communities (``timeline._base`` with
``member_only``), newest first, ties broken by id. The PostgreSQL plans themselves are
checked in ``tests/service/test_feed_timeline_plans.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text

from parvis_contracts.membership import Viewer
from services.feed import timeline
from services.feed.models import Post

from .test_feed_timeline import _all_pages


def _reference(world, caller) -> list[str]:
    """Every post ``caller``'s home timeline may show, in its order (no paging)."""
    viewer = Viewer(id=caller.user_id, guest=caller.guest, admin=caller.is_admin)
    query = timeline._base(viewer, member_only=True).order_by(Post.created_at.desc(), Post.id.desc())
    with world.session() as session:
        return [post.id for post, _ in session.execute(query)]


def _home_pages(world, caller, limit) -> list[str]:
    return _all_pages(lambda **kw: world.svc(caller).home_timeline(**kw), limit)


@pytest.fixture
def busy(world, clock):
    """The member's communities with every rule of the home timeline at work:

    A private (member since the start), N private without history for newcomers (the
    member joins half-way), L left by the member (a tombstone), C open but not joined;
    posts with equal timestamps, a deleted post and a hidden one."""
    world.community("N", "private", history=False)
    world.community("L", "private")
    world.join("N", world.manager, role="manager")
    world.join("L", world.manager, role="manager")
    world.join("L", world.member)
    made = []
    for i in range(24):
        if i % 6 == 0:
            clock.tick = timedelta(0)  # a run of posts sharing one created_at
        if i % 6 == 3:
            clock.tick = timedelta(milliseconds=1)
        cid = ("A", "N", "L", "C")[i % 4]
        made.append(world.post(world.manager, cid, body=f"p{i}")["id"])
        if i == 11:
            world.join("N", world.member, joined_at=clock.now)
            clock.advance(seconds=1)
    world.leave("L", world.member)
    world.svc(world.manager).delete_post(post_id=made[20])  # in A
    report = world.svc(world.member).report_content(target_type="post", target_id=made[16], reason="spam")
    world.svc(world.manager).resolve_report(report_id=report["id"], action="hide")
    return made


@pytest.mark.parametrize("limit", [1, 2, 5, 50])
def test_home_pages_are_the_rule_query_in_order(world, busy, limit):
    expected = _reference(world, world.member)
    # the rules bite: only A, and N since joining; nothing deleted or hidden
    assert busy[20] not in expected and busy[16] not in expected
    assert {busy[i] for i in (0, 4, 8)} <= set(expected)  # A
    assert busy[1] not in expected and busy[5] not in expected  # N, before joining
    assert busy[13] in expected and busy[17] in expected  # N, after joining
    assert not {busy[i] for i in range(2, 24, 4)} & set(expected)  # L, left
    assert not {busy[i] for i in range(3, 24, 4)} & set(expected)  # C, not joined
    assert _home_pages(world, world.member, limit) == expected


def test_a_member_of_no_community_and_one_of_many(world, busy):
    assert _home_pages(world, world.employee, 3) == [] == _reference(world, world.employee)
    expected = _reference(world, world.manager)
    assert len(expected) == 22  # every community but the deleted and the hidden post
    assert _home_pages(world, world.manager, 4) == expected


def _posts_plan_of_cursor_page(world, caller, list_call) -> list[str]:
    """SQLite's plan lines for the posts table in the query of a page reached by cursor."""
    cursor = list_call(world.svc(caller), None)["next_cursor"]
    assert cursor
    statements = []

    def grab(conn, cur, statement, parameters, context, executemany):
        if "ORDER BY" in statement and "posts" in statement:
            statements.append((statement, parameters))

    event.listen(world.engine, "before_cursor_execute", grab)
    try:
        list_call(world.svc(caller), cursor)
    finally:
        event.remove(world.engine, "before_cursor_execute", grab)
    assert len(statements) == 1, statements
    statement, parameters = statements[0]
    with world.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return [row[-1] for row in rows]


def test_a_cursor_page_is_an_index_range_on_sqlite(world, busy):
    if world.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan (PostgreSQL: tests/service/test_feed_timeline_plans.py)")
    with world.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    calls = {
        "home": lambda svc, cursor: svc.home_timeline(limit=2, cursor=cursor),
        "wall": lambda svc, cursor: svc.community_wall(community_id="A", limit=2, cursor=cursor),
    }
    for name, call in calls.items():
        plan = _posts_plan_of_cursor_page(world, world.manager, call)
        posts = [line for line in plan if line.split()[1:2] == ["posts"]]
        # the keyset's OR alone made SQLite read both of its branches (MULTI-INDEX OR)
        # and sort every older post; with the bound the posts are one index range
        # that starts at the cursor (on whichever index the statistics favour)
        assert posts and all(
            line.startswith("SEARCH posts USING") and "created_at<?)" in line for line in posts
        ), (
            name,
            plan,
        )
        assert not any("MULTI-INDEX OR" in line for line in plan), (name, plan)
