"""Growth: how the read paths behave as the feed database grows.

The data is bulk-inserted straight into the running platform's feed database
(SQLAlchemy Core executemany on SQLite, COPY on PostgreSQL) — never one RPC per
post: communities and memberships into the feed's read model, then posts spread
over 200 communities, then likes. Three new people read through the gateway:
members of 5, 20 and 50 of those communities. Every figure is a latency ratio
measured in this run (one connection, wrk).
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
        cols = [
            "id",
            "name",
            "kind",
            "visibility",
            "archived",
            "newcomers_see_history",
            "languages",
            "version",
        ]
        self.loader.rows(
            m.Community.__table__,
            [
                (cid, f"Growth {i}", "team", "open", False, True, _json([], pg), 1)
                for i, cid in enumerate(self.communities)
            ],
            cols,
        )
        joined = self.origin - timedelta(days=400)
        cols = ["community_id", "user_id", "role", "guest", "joined_at", "version", "removed"]
        rows = [
            (cid, user, "member", False, joined, 1, False)
            for user, count in members.items()
            for cid in self.communities[:count]
        ]
        self.loader.rows(m.Membership.__table__, rows, cols)

    def add_posts(self, total: int, spacing: timedelta) -> float:
        """Grow to ``total`` posts, each older than the previous; returns rows/s."""
        m = self.loader.models
        pg = self.loader.postgres
        cols = [
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
        empty = _json([], pg)
        t0 = time.perf_counter()
        start = self.posts
        for base in range(start, total, CHUNK * 5):
            rows = []
            for i in range(base, min(total, base + CHUNK * 5)):
                body = f"Growth post {i}: weekly figures and next steps."
                rows.append(
                    (
                        str(uuid.uuid4()),
                        self.communities[i % COMMUNITIES],
                        self.authors[i % len(self.authors)],
                        "message",
                        body,
                        f"<p>{body}</p>",
                        empty,
                        empty,
                        self.origin - spacing * i,
                        1,
                        False,
                        0,
                        0,
                        0,
                    )
                )
            self.loader.rows(m.Post.__table__, rows, cols)
        self.posts = total
        self.loader.analyze()
        return (total - start) / (time.perf_counter() - t0)

    def add_post_with_likes(self, likes: int) -> str:
        m = self.loader.models
        pg = self.loader.postgres
        pid = str(uuid.uuid4())
        body = f"A post with {likes} likes."
        empty = _json([], pg)
        cols = [
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
        self.loader.rows(
            m.Post.__table__,
            [
                (
                    pid,
                    self.communities[0],
                    self.authors[0],
                    "message",
                    body,
                    f"<p>{body}</p>",
                    empty,
                    empty,
                    self.origin,
                    1,
                    False,
                    0,
                    0,
                    0,
                )
            ],
            cols,
        )
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
