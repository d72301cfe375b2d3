"""Home timeline, wall paging (keyset, no gap, no duplicate) and the fixed statement count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from .helpers import ids


def _all_pages(fetch, limit, max_pages=100):
    seen, cursor = [], None
    for _ in range(max_pages):
        page = fetch(limit=limit, cursor=cursor)
        assert len(page["items"]) <= limit
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_keyset_paging_has_no_gap_and_no_duplicate_even_with_equal_timestamps(world, clock, limit):
    clock.tick = timedelta(0)  # many posts share one created_at: the id breaks ties
    made = []
    for i in range(17):
        made.append(world.post(world.member if i % 2 else world.manager, "A", body=f"p{i}")["id"])
        if i % 5 == 4:
            clock.advance(seconds=1)
    wall = _all_pages(lambda **kw: world.svc(world.member).community_wall(community_id="A", **kw), limit)
    assert sorted(wall) == sorted(made) and len(wall) == len(made)
    home = _all_pages(lambda **kw: world.svc(world.guest).home_timeline(**kw), limit)
    assert home == wall


def test_posts_written_while_paging_do_not_shift_the_pages(world):
    made = [world.post(world.member, "A", body=f"p{i}")["id"] for i in range(6)]
    first = world.svc(world.member).community_wall(community_id="A", limit=3)
    world.post(world.member, "A", body="newer")
    second = world.svc(world.member).community_wall(community_id="A", limit=3, cursor=first["next_cursor"])
    assert ids(first) + ids(second) == list(reversed(made))


def test_home_timeline_gathers_my_communities_newest_first(world):
    a = world.post(world.member, "A", body="in A")
    c = world.post(world.manager, "C", body="in C")
    b = world.post(world.manager, "B", body="in B")
    assert ids(world.svc(world.manager).home_timeline()) == [b["id"], c["id"], a["id"]]
    # open C is readable by the member, but the home timeline holds only their communities
    assert ids(world.svc(world.member).home_timeline()) == [a["id"]]
    assert ids(world.svc(world.employee).home_timeline()) == []
    assert world.svc(world.admin).home_timeline()["items"] == []
    world.join("C", world.member)
    assert ids(world.svc(world.member).home_timeline()) == [c["id"], a["id"]]
    item = world.svc(world.member).home_timeline()["items"][0]
    assert item["community_name"] == "Community C"


def test_home_timeline_says_what_is_new_since_my_last_visit(world, clock):
    old = world.post(world.manager, "A", body="old")
    first = world.svc(world.member).home_timeline()
    assert first["last_visit_at"] is None and first["new_count"] == 1
    clock.advance(hours=1)
    news = [world.post(world.manager, "A", body=f"new {i}")["id"] for i in range(3)]
    clock.advance(hours=1)
    page1 = world.svc(world.member).home_timeline(limit=2)
    assert page1["new_count"] == 3
    assert old["created_at"] < page1["last_visit_at"] < page1["items"][-1]["created_at"]
    assert [(p["id"], p["is_new"]) for p in page1["items"]] == [(news[2], True), (news[1], True)]
    page2 = world.svc(world.member).home_timeline(limit=2, cursor=page1["next_cursor"])
    assert [(p["id"], p["is_new"]) for p in page2["items"]] == [(news[0], True), (old["id"], False)]
    assert page2["last_visit_at"] == page1["last_visit_at"]
    # the visit was recorded by the first page: nothing is new now
    again = world.svc(world.member).home_timeline()
    assert again["new_count"] == 0 and not any(p["is_new"] for p in again["items"])


def test_unanswered_questions_and_kind_filter(world):
    q1 = world.post(world.member, "A", body="how?", kind="question")
    q2 = world.post(world.member, "A", body="why?", kind="question")
    world.post(world.member, "A", body="just saying")
    answer = world.svc(world.guest).create_comment(post_id=q1["id"], body="like this")
    world.svc(world.member).accept_answer(post_id=q1["id"], comment_id=answer["id"])
    assert ids(world.svc(world.member).community_wall(community_id="A", kind="question")) == [
        q2["id"],
        q1["id"],
    ]
    assert ids(world.svc(world.member).community_wall(community_id="A", unanswered=True)) == [q2["id"]]


# --- the statement count --------------------------------------------------------------


class StatementCounter:
    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.count += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._count)


def _fill(world, n):
    """``n`` posts in A and C (messages, questions, announcements) with comments and likes."""
    for i in range(n):
        cid = "A" if i % 2 else "C"
        kind = ("message", "question", "announcement")[i % 3]
        post = world.post(world.manager, cid, body=f"post {i} #tag @[M]({world.manager.user_id})", kind=kind)
        for j in range(2):
            world.svc(world.manager).create_comment(post_id=post["id"], body=f"c{j}")
        world.svc(world.manager).like_post(post_id=post["id"])
        if kind == "announcement":
            world.svc(world.manager).mark_announcement_read(post_id=post["id"])


def _count(world, call):
    counter = StatementCounter(world.engine)
    try:
        page = call(world.svc(world.manager))
    finally:
        counter.close()
    return counter.count, page


LISTS = {
    "home": lambda s: s.home_timeline(limit=100),
    "wall": lambda s: s.community_wall(community_id="A", limit=100),
    "hashtag": lambda s: s.hashtag_posts(tag="tag", limit=100),
    "mentions": lambda s: s.mentions_of_me(limit=100),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_page_costs_the_same_statements_for_5_and_50_posts(engine, clock, name, tmp_path):
    from parvis_contracts.db import session_factory
    from services.feed.models import metadata

    from .conftest import World  # a fresh world per size keeps the two runs comparable

    counts = {}
    for size in (5, 50):
        for table in reversed(metadata.sorted_tables):
            with engine.begin() as conn:
                conn.execute(table.delete())
        world = World(session_factory(engine, metadata), clock)
        world.engine = engine
        world.community("A", "private")
        world.community("C", "open")
        world.join("A", world.manager, role="manager")
        world.join("C", world.manager, role="manager")
        _fill(world, size)
        counts[size], page = _count(world, LISTS[name])
        assert len(page["items"]) in (size, size // 2 + size % 2, size // 2)
        assert all(p["comment_count"] == 2 and p["like_count"] == 1 for p in page["items"])
        world.close()
    assert counts[5] == counts[50], counts
    assert counts[50] <= 8
