"""Growth: how the read paths behave as the feed database grows.

The data is bulk-inserted straight into the running platform's feed database
(SQLAlchemy Core executemany on SQLite, COPY on PostgreSQL) — never one RPC per
post: communities and memberships into the feed's read model, then posts spread
over 200 communities, then likes. Three new people read through the gateway:
members of 5, 20 and 50 of those communities. Every figure is a latency ratio
measured in this run (one connection, wrk).

``python -m bench.growth --explain [--posts 1m] [--db postgresql|sqlite]`` loads the
same data into a scratch feed database (no platform) and prints the plans of the
feed's own timeline and wall queries (docs/performance.md, "The timeline at 1M posts
on PostgreSQL").
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text, update

from . import sqlcount
from .report import Report
from .support import BenchPlatform, LoadResult, Req, Settings, ratio, wrk

COMMUNITIES = 200
CHUNK = 20_000
COMMUNITY_COLUMNS = [
    "id",
    "name",
    "kind",
    "visibility",
    "archived",
    "newcomers_see_history",
    "languages",
    "version",
]
MEMBERSHIP_COLUMNS = ["community_id", "user_id", "role", "guest", "joined_at", "version", "removed"]
POST_COLUMNS = [
    "id",
    "community_id",
    "author_id",
    "kind",
    "body",
    "html",
    "mentions",
    "hashtags",
    "created_at",
    "version",
    "hidden",
    "like_count",
    "comment_count",
    "read_count",
]


class Loader:
    """Bulk writes into the feed database of the running platform."""

    def __init__(self, db_url: str):
        from parvis_contracts.db import make_engine
        from services.feed import models

        self.models = models
        self.url = db_url
        self.engine = make_engine(db_url)
        self.postgres = not db_url.startswith("sqlite")

    def close(self):
        self.engine.dispose()

    def rows(self, table, rows, columns):
        """Insert ``rows`` (tuples in ``columns`` order)."""
        if not rows:
            return
        if self.postgres:
            import psycopg

            url = self.url.replace("postgresql+psycopg://", "postgresql://", 1)
            with psycopg.connect(url) as conn, conn.cursor() as cur:
                with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        with self.engine.begin() as conn:
            for i in range(0, len(rows), CHUNK):
                conn.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows[i : i + CHUNK]])

    def analyze(self):
        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _json(value, postgres):
    import json

    return json.dumps(value) if postgres else value


class GrowthData:
    def __init__(self, loader: Loader, authors: list[str], run: str):
        self.loader = loader
        self.authors = authors
        self.run = run
        self.communities = [f"growth-{run}-{i:03d}" for i in range(COMMUNITIES)]
        self.posts = 0
        self.origin = datetime.now(UTC) - timedelta(hours=1)

    def add_communities(self, members: dict[str, int]) -> None:
        m = self.loader.models
        pg = self.loader.postgres
        self.loader.rows(
            m.Community.__table__,
            [
                (cid, f"Growth {i}", "team", "open", False, True, _json([], pg), 1)
                for i, cid in enumerate(self.communities)
            ],
            COMMUNITY_COLUMNS,
        )
        joined = self.origin - timedelta(days=400)
        rows = [
            (cid, user, "member", False, joined, 1, False)
            for user, count in members.items()
            for cid in self.communities[:count]
        ]
        self.loader.rows(m.Membership.__table__, rows, MEMBERSHIP_COLUMNS)

    def _post(self, community_id: str, author_id: str, body: str, created_at: datetime) -> tuple:
        """A row of ``POST_COLUMNS``: a live message with no like, comment or mention."""
        empty = _json([], self.loader.postgres)
        return (
            str(uuid.uuid4()),
            community_id,
            author_id,
            "message",
            body,
            f"<p>{body}</p>",
            empty,
            empty,
            created_at,
            1,
            False,
            0,
            0,
            0,
        )

    def add_posts(self, total: int, spacing: timedelta) -> float:
        """Grow to ``total`` posts, each older than the previous; returns rows/s."""
        m = self.loader.models
        t0 = time.perf_counter()
        start = self.posts
        for base in range(start, total, CHUNK * 5):
            rows = [
                self._post(
                    self.communities[i % COMMUNITIES],
                    self.authors[i % len(self.authors)],
                    f"Growth post {i}: weekly figures and next steps.",
                    self.origin - spacing * i,
                )
                for i in range(base, min(total, base + CHUNK * 5))
            ]
            self.loader.rows(m.Post.__table__, rows, POST_COLUMNS)
        self.posts = total
        self.loader.analyze()
        return (total - start) / (time.perf_counter() - t0)

    def add_quiet_community(self, user_id: str, posts: int) -> str:
        """A community whose ``posts`` are all older than any other, and its one member."""
        m = self.loader.models
        cid = f"growth-{self.run}-quiet"
        pg = self.loader.postgres
        self.loader.rows(
            m.Community.__table__,
            [(cid, "Growth quiet", "team", "open", False, True, _json([], pg), 1)],
            COMMUNITY_COLUMNS,
        )
        joined = self.origin - timedelta(days=800)
        self.loader.rows(
            m.Membership.__table__, [(cid, user_id, "member", False, joined, 1, False)], MEMBERSHIP_COLUMNS
        )
        oldest = self.origin - timedelta(days=400)
        rows = [
            self._post(cid, self.authors[0], f"Quiet post {i}.", oldest - timedelta(hours=i))
            for i in range(posts)
        ]
        self.loader.rows(m.Post.__table__, rows, POST_COLUMNS)
        return cid

    def add_post_with_likes(self, likes: int) -> str:
        m = self.loader.models
        row = self._post(self.communities[0], self.authors[0], f"A post with {likes} likes.", self.origin)
        pid = row[0]
        self.loader.rows(m.Post.__table__, [row], POST_COLUMNS)
        when = self.origin
        for base in range(0, likes, CHUNK * 5):
            rows = [(pid, f"bench-liker-{i}", when) for i in range(base, min(likes, base + CHUNK * 5))]
            self.loader.rows(m.PostLike.__table__, rows, ["post_id", "user_id", "created_at"])
        with self.loader.engine.begin() as conn:
            conn.execute(
                update(m.Post.__table__).where(m.Post.__table__.c.id == pid).values(like_count=likes)
            )
        return pid


def _measure(bp: BenchPlatform, settings: Settings, path: str, api, label: str) -> LoadResult:
    return _interleaved(bp, settings, [(path, api, label)])[0]


def _interleaved(bp: BenchPlatform, settings: Settings, cases, rounds: int = 3) -> list[LoadResult]:
    """Measure each ``(path, api, label)`` with one connection, alternating between the
    cases in ``rounds`` short rounds, so that a change of the machine's load during the
    run hits every case alike; each percentile is the median of the rounds'."""
    seconds = max(1.0, settings.duration * 2 / rounds)
    results: list[list[LoadResult]] = [[] for _ in cases]
    for path, api, _ in cases:
        wrk(bp.base_url, [Req(path, headers=api.headers)], 1, 1, "warm-up", settings.work_dir)
    for _ in range(rounds):
        for i, (path, api, label) in enumerate(cases):
            results[i].append(
                wrk(bp.base_url, [Req(path, headers=api.headers)], seconds, 1, label, settings.work_dir)
            )
    combined = []
    for runs, (_, _, label) in zip(results, cases, strict=True):
        combined.append(
            LoadResult(
                label=label,
                requests=sum(r.requests for r in runs),
                seconds=sum(r.seconds for r in runs),
                p50=statistics.median(r.p50 for r in runs),
                p95=statistics.median(r.p95 for r in runs),
                p99=statistics.median(r.p99 for r in runs),
                errors=sum(r.errors for r in runs),
                rejected=sum(r.rejected for r in runs),
                connections=1,
            )
        )
    return combined


def _cursor_of_page(api, page: int) -> str | None:
    cursor = None
    for _ in range(page - 1):
        path = "/api/v1/timeline?limit=20" + (f"&cursor={cursor}" if cursor else "")
        cursor = api.ok("GET", path)["next_cursor"]
        if cursor is None:
            return None
    return cursor


def run(bp: BenchPlatform, settings: Settings, report: Report) -> None:
    authors = [m.user_id for m in bp.employees()]
    people = {n: bp.create_person(f"bench-growth-{n}") for n in (5, 20, 50)}
    loader = Loader(bp.db_urls["feed"])
    data = GrowthData(loader, authors, uuid.uuid4().hex[:6])
    large, small = settings.growth_large, settings.growth_small
    spacing = timedelta(days=365) / large
    try:
        data.add_communities({api.user_id: n for n, api in people.items()})
        rate = data.add_posts(small, spacing)
        u20 = people[20]
        first_small = _measure(
            bp, settings, "/api/v1/timeline?limit=20", u20, f"timeline page 1, member of 20, {small:,} posts"
        )
        report.load("growth", first_small)
        rate = data.add_posts(large, spacing)
        report.figure(
            "growth",
            "bulk insert rate (posts/s, " + ("COPY" if loader.postgres else "Core executemany") + ")",
            f"{rate:,.0f}",
        )
        first_large = _measure(
            bp, settings, "/api/v1/timeline?limit=20", u20, f"timeline page 1, member of 20, {large:,} posts"
        )
        report.load("growth", first_large)
        report.target(
            "growth",
            f"timeline p95 at {large:,} posts vs at {small:,}",
            ratio(first_large.p95, first_small.p95),
            "<=",
            1.3,
        )
        cursor = _cursor_of_page(u20, 100)
        if cursor is None:
            report.note(f"[{report.db}] growth: fewer than 100 pages visible, page 100 not measured")
        else:
            first, deep = _interleaved(
                bp,
                settings,
                [
                    ("/api/v1/timeline?limit=20", u20, f"timeline page 1, {large:,} posts (A/B)"),
                    (
                        f"/api/v1/timeline?limit=20&cursor={cursor}",
                        u20,
                        f"timeline page 100 by cursor, {large:,} posts (A/B)",
                    ),
                ],
            )
            report.load("growth", first)
            report.load("growth", deep)
            report.target(
                "growth", "timeline page 100 by cursor: p95 vs page 1", ratio(deep.p95, first.p95), "<=", 1.2
            )
        five, fifty = _interleaved(
            bp,
            settings,
            [
                ("/api/v1/timeline?limit=20", people[5], f"timeline page 1, member of 5, {large:,} posts"),
                ("/api/v1/timeline?limit=20", people[50], f"timeline page 1, member of 50, {large:,} posts"),
            ],
        )
        report.load("growth", five)
        report.load("growth", fifty)
        report.target(
            "growth", "timeline p95, member of 50 communities vs of 5", ratio(fifty.p95, five.p95), "<=", 2.0
        )
        try:
            counts = {
                n: sqlcount.timeline_statements(bp.db_urls["feed"], people[n].user_id, 20, 2) for n in (5, 50)
            }
            report.figure(
                "growth",
                f"SQL statements, pages 1-2, at {large:,} posts (member of 5; of 50)",
                f"{counts[5]}; {counts[50]}",
            )
        except Exception as exc:  # the feed's code changed under the bench
            report.note(f"[{report.db}] growth: SQL statement count failed: {exc}")
        few = data.add_post_with_likes(10)
        many = data.add_post_with_likes(settings.growth_likes)
        loader.analyze()
        r_few, r_many = _interleaved(
            bp,
            settings,
            [
                (f"/api/v1/posts/{few}", u20, "GET a post with 10 likes"),
                (f"/api/v1/posts/{many}", u20, f"GET a post with {settings.growth_likes:,} likes"),
            ],
        )
        report.load("growth", r_few)
        report.load("growth", r_many)
        report.target(
            "growth",
            f"read a post with {settings.growth_likes:,} likes: p95 vs one with 10",
            ratio(r_many.p95, r_few.p95),
            "<=",
            1.2,
        )
    finally:
        loader.close()


# ---------------------------------------------------------------- query plans


def _statements(engine, call) -> list[tuple[str, object]]:
    """The statements ``call()`` sends that list or count posts (the feed's own code)."""
    from sqlalchemy import event

    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM posts" in statement and ("ORDER BY" in statement or "count(" in statement):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen


def _plan(engine, statement, parameters) -> list[str]:
    """PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)``; SQLite: ``EXPLAIN QUERY PLAN`` and the
    median time of 5 runs of the statement (SQLite has no ``ANALYZE`` for a plan)."""
    postgres = engine.dialect.name == "postgresql"
    explain = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute(explain + statement, parameters)
        if postgres:
            return [row[0] for row in cursor.fetchall()]
        lines = [f"{row[0]:>4} {row[1]:>4} {row[3]}" for row in cursor.fetchall()]
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            cursor.execute(statement, parameters).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
        return [*lines, f"time: {statistics.median(times):.2f} ms (median of 5 runs)"]


def explain(db: str, posts: int) -> None:
    """Print the plans of the feed's timeline and wall queries on the growth data.

    A scratch feed database (its Alembic head) gets the growth scenario's data —
    200 communities, ``posts`` posts over a year — and a quiet community whose
    3,000 posts are all older than the others. Then the feed's own functions
    (``services.feed.timeline``) run for a member of 20 of the busy communities and
    for the quiet community's one member, and every statement listing or counting
    posts is explained: ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY
    PLAN`` on SQLite. The database is dropped at the end."""
    import tempfile

    from sqlalchemy.orm import Session

    from parvis_contracts.membership import Viewer
    from parvis_contracts.migrations import upgrade
    from services.feed import timeline

    from .support import BenchDatabases

    with tempfile.TemporaryDirectory(prefix="parvis-explain-") as tmp:
        dbs = BenchDatabases(db, tmp)
        url = dbs.url("feed_explain")
        loader = None
        try:
            upgrade("feed", url)
            loader = Loader(url)
            data = GrowthData(loader, [f"bench-author-{i}" for i in range(30)], uuid.uuid4().hex[:6])
            member, quiet = (
                Viewer("bench-member-20", False, False),
                Viewer("bench-member-quiet", False, False),
            )
            data.add_communities({member.id: 20})
            data.add_quiet_community(quiet.id, 3_000)
            t0 = time.perf_counter()
            data.add_posts(posts, timedelta(days=365) / posts)
            print(f"{posts:,} posts + 3,000 quiet ones loaded in {time.perf_counter() - t0:.0f} s ({db})")
            engine = loader.engine
            wall_of = data.communities[7]

            def home(viewer, cursor=None):
                with Session(engine) as session:
                    return timeline.home(session, viewer, datetime.now(UTC), 20, cursor)

            def wall(cursor=None):
                with Session(engine) as session:
                    return timeline.wall(session, member, wall_of, None, False, 20, cursor)

            def cursor_of(page_of, page):
                cursor = None
                for _ in range(page - 1):
                    cursor = page_of(cursor)["next_cursor"]
                    if cursor is None:  # fewer pages than that
                        return None
                return cursor

            home(member)  # the first visit ever counts every post; the plans are of the next ones
            home(quiet)
            deep_home = cursor_of(lambda c: home(member, c), 100)
            deep_wall = cursor_of(wall, 100)
            cases = [
                ("home timeline page 1, member of 20", lambda: home(member)),
                ("home timeline page 100 by cursor, member of 20", lambda: home(member, deep_home)),
                ("wall page 100 by cursor", lambda: wall(deep_wall)),
                ("home timeline page 1, member of the quiet community only", lambda: home(quiet)),
            ]
            for label, call in cases:
                print(f"\n== {label}")
                if "page 100" in label and (deep_wall if "wall" in label else deep_home) is None:
                    print("   (fewer than 100 pages: not explained)")
                    continue
                for statement, parameters in _statements(engine, call):
                    print("   " + " ".join(statement.split()))
                    print("\n".join("   " + line for line in _plan(engine, statement, parameters)))
        finally:
            if loader is not None:
                loader.close()
            dbs.drop_all()


if __name__ == "__main__":
    import argparse

    from .support import parse_count

    parser = argparse.ArgumentParser(
        prog="python -m bench.growth", description=explain.__doc__.splitlines()[0]
    )
    parser.add_argument("--explain", action="store_true", required=True, help="print the query plans")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--posts", default="1m", help="posts in the busy communities (default 1m)")
    args = parser.parse_args()
    explain(args.db, parse_count(args.posts))
