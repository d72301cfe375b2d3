"""PostgreSQL's plans for the feed's lists: a page reads about a page of rows from each
of my communities, whatever the table's size or the page's depth.

Run on PostgreSQL only (the service tier with ``PARVIS_TEST_DB=postgresql``, as
``./parvis test --postgres`` and CI run it). No timing: the test reads the plan of the
exact statement the feed issues (``EXPLAIN (ANALYZE, FORMAT JSON)``) and counts the
rows each node read. A regression to a plan that walks the global ``created_at``
index, filters the keyset's OR instead of starting a range at the cursor, or sorts all
of a member's posts reads thousands of rows here instead of a few dozen.
See docs/performance.md, "The timeline at 1M posts on PostgreSQL".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text

from parvis_contracts.db import make_engine, session_factory
from parvis_contracts.membership import Viewer
from parvis_contracts.migrations import upgrade
from services.feed import timeline
from services.feed.models import metadata
from tests.support import Databases, use_postgresql

pytestmark = pytest.mark.skipif(
    not use_postgresql(), reason="PostgreSQL's plans: run with PARVIS_TEST_DB=postgresql"
)

COMMUNITIES = 40  # busy ones, 500 posts each
POSTS = 20_000
QUIET_POSTS = 300  # one quiet community, all its posts older than any other
LIMIT = 20
BUSY = Viewer(id="busy-member", guest=False, admin=False)  # member of 10 busy communities
QUIET = Viewer(id="quiet-member", guest=False, admin=False)  # member of the quiet one only


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    dbs = Databases(tmp_path_factory.mktemp("plans"))
    url = dbs.url("feed")
    upgrade("feed", url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO communities (id, name, kind, visibility, archived, newcomers_see_history,"
                " languages, version) SELECT 'c' || lpad(i::text, 3, '0'), 'Community ' || i, 'team',"
                " 'open', false, true, '[]', 1 FROM generate_series(0, :n) AS i"
            ),
            {"n": COMMUNITIES},  # c040 is the quiet one
        )
        conn.execute(
            text(
                "INSERT INTO memberships (community_id, user_id, role, guest, joined_at, version, removed)"
                " SELECT 'c' || lpad(i::text, 3, '0'), :user, 'member', false, now() - interval '5 years',"
                " 1, false FROM generate_series(0, 9) AS i"
            ),
            {"user": BUSY.id},
        )
        conn.execute(
            text(
                "INSERT INTO memberships (community_id, user_id, role, guest, joined_at, version, removed)"
                " VALUES (:cid, :user, 'member', false, now() - interval '5 years', 1, false)"
            ),
            {"cid": f"c{COMMUNITIES:03d}", "user": QUIET.id},
        )
        posts = (
            "INSERT INTO posts (id, community_id, author_id, kind, body, html, mentions, hashtags,"
            " created_at, version, hidden, like_count, comment_count, read_count, attachments)"
            " SELECT 'post-' || lpad(i::text, 6, '0'), {community}, 'author', 'message', 'Post ' || i,"
            " '<p>Post ' || i || '</p>', '[]', '[]', {created}, 1, false, 0, 0, 0, '[]'"
            " FROM generate_series(1, :n) AS i"
        )
        # busy posts one minute apart, newest first, spread over the busy communities
        conn.execute(
            text(
                posts.format(
                    community=f"'c' || lpad((i % {COMMUNITIES})::text, 3, '0')",
                    created="now() - interval '1 hour' - i * interval '1 minute'",
                )
            ),
            {"n": POSTS},
        )
        conn.execute(
            text(
                posts.replace("'post-'", "'quiet-'").format(
                    community=f"'c{COMMUNITIES:03d}'",
                    created="now() - interval '3 years' - i * interval '1 minute'",
                )
            ),
            {"n": QUIET_POSTS},
        )
        conn.execute(text("ANALYZE"))
    yield engine
    engine.dispose()
    dbs.drop_all()


def _plans(engine, call) -> list[dict]:
    """Run ``call(session)``; the ANALYZE plan of each of its statements listing posts."""
    statements = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY" in statement and "FROM posts" in statement:
            statements.append((statement, parameters))

    session = session_factory(engine, metadata)()
    event.listen(engine, "before_cursor_execute", grab)
    try:
        call(session)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
        session.close()
    plans = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            raw = conn.connection.dbapi_connection.cursor()
            raw.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            plan = raw.fetchone()[0]
            plans.append((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return plans


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _posts_read(plan) -> tuple[int, list[dict]]:
    """Rows of ``posts`` the plan read (kept plus filtered out, over every loop)."""
    nodes = [n for n in _nodes(plan) if n.get("Relation Name") == "posts"]
    read = sum(
        (n["Actual Rows"] + n.get("Rows Removed by Filter", 0) + n.get("Rows Removed by Index Recheck", 0))
        * n["Actual Loops"]
        for n in nodes
    )
    return read, nodes


def _check(plan, communities: int, cursor: bool) -> None:
    read, nodes = _posts_read(plan)
    assert nodes, plan
    for node in nodes:
        # each community's newest posts, on its (community_id, created_at, id) index (a
        # bitmap scan when the planner expects only the few rows left at the end)
        assert node["Node Type"] in ("Index Scan", "Bitmap Heap Scan"), node
        scans = [n for n in _nodes(node) if n["Node Type"] in ("Index Scan", "Bitmap Index Scan")]
        assert scans, node
        for scan in scans:
            assert scan["Index Name"] == "ix_posts_community_created", node
            if cursor:
                # a range that starts at the cursor, not a filter over every newer row
                assert "created_at <=" in scan["Index Cond"], node
    # about one page per community (+1 row each: the page's extra row, a tie at the cursor)
    assert read <= communities * (LIMIT + 2), (read, plan)
    for node in _nodes(plan):
        if node["Node Type"] == "Sort":
            assert sum(child["Actual Rows"] for child in node["Plans"]) <= communities * (LIMIT + 1), node


def _cursor_of_page(engine, list_call, page: int) -> str:
    cursor = None
    for _ in range(page - 1):
        session = session_factory(engine, metadata)()
        try:
            cursor = list_call(session, cursor)["next_cursor"]
        finally:
            session.close()
        assert cursor
    return cursor


def _home(viewer):
    return lambda session, cursor: timeline.home(session, viewer, datetime.now(UTC), LIMIT, cursor)


@pytest.mark.parametrize("page", [1, 100])
def test_home_page_reads_a_page_per_community_at_any_depth(engine, page):
    cursor = _cursor_of_page(engine, _home(BUSY), page) if page > 1 else None
    (plan,) = _plans(engine, lambda session: _home(BUSY)(session, cursor))
    _check(plan, communities=10, cursor=cursor is not None)


def test_home_page_of_a_quiet_community_does_not_walk_the_busy_ones(engine):
    # the global created_at index would be read from the newest post down to the
    # quiet community's: the whole table
    (plan,) = _plans(engine, lambda session: _home(QUIET)(session, None))
    _check(plan, communities=1, cursor=False)


@pytest.mark.parametrize("page", [1, 10])
def test_wall_page_is_a_range_of_the_community_index_at_any_depth(engine, page):
    def wall(session, cursor):
        return timeline.wall(session, BUSY, "c007", None, False, LIMIT, cursor)

    cursor = _cursor_of_page(engine, wall, page) if page > 1 else None
    (plan,) = _plans(engine, lambda session: wall(session, cursor))
    _check(plan, communities=1, cursor=cursor is not None)


def test_the_pages_are_the_same_posts_as_the_rule_query(engine):
    """The per-community plan gives exactly the plain rule query's order."""
    from services.feed.models import Post

    query = timeline._base(BUSY, member_only=True).order_by(Post.created_at.desc(), Post.id.desc()).limit(150)
    session = session_factory(engine, metadata)()
    try:
        expected = [post.id for post, _ in session.execute(query)]
        seen, cursor = [], None
        while len(seen) < 150:
            page = timeline.home(session, BUSY, datetime.now(UTC), 30, cursor)
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
    finally:
        session.close()
    assert seen[:150] == expected
