"""Notifications: an announcement reaches a whole community, never in the author's request
(issue 13, "Big communities").

A manager publishes announcements in two communities that differ only by their size:
10 members and ``Settings.fan_out_members`` (10,000). Both are created through the API by
the manager, and the same nine people join both through the API (English speakers, like
the manager: pre-translation has nothing to translate, in either community). The big
community's other members are bulk-inserted (:func:`add_members`).

The announcements alternate between the two communities (small then big, then big then
small), one at a time on one connection. After each POST the notifications database is
polled until every member but the author holds the post's notification (at most 60 s):
that is the fan-out's delay, and the next POST starts once the previous fan-out is done,
so each request is measured in the same conditions. The figures: the POST's p95 in the big
community against the small one's, the delay from the POST's answer until the last
member's notification exists, and the notifications service's CPU per announcement.

It writes only into the bench platform's own databases (:func:`add_members`) and reads
the notifications database; everything else goes through the gateway's API.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, func, inspect, select, text, update

from .growth import MEMBERSHIP_COLUMNS, Loader
from .report import Report
from .support import Api, BenchPlatform, Settings, cpu_snapshot, latency_summary, ratio, wait_for

SMALL = 10  # members of the small community, the manager included
FAN_OUT_WAIT = 60.0  # seconds: the bounded wait for every member's notification
POLL = 0.025  # seconds between two counts of the notifications written
COMMUNITY_MEMBER_COLUMNS = ["community_id", "user_id", "role", "guest", "org_id", "joined_at"]


class People:
    """The manager, the nine people in both communities, and the two communities."""

    def __init__(self, bp: BenchPlatform, run: str):
        self.manager = bp.create_person("bench-announcer")
        self.members = [bp.create_person(f"bench-listener-{i}") for i in range(SMALL - 1)]
        self.small = self._community(f"Bench small {run}")
        self.big = self._community(f"Bench big {run}")
        for api in self.members:
            for cid in (self.small, self.big):
                api.ok("POST", f"/api/v1/communities/{cid}/join")

    def _community(self, name: str) -> str:
        body = {"name": name, "kind": "team", "visibility": "open", "description": "benchmark"}
        return self.manager.ok("POST", "/api/v1/communities", json=body)["id"]


# ---------------------------------------------------------------- the big community


def add_members(bp: BenchPlatform, community_id: str, count: int) -> None:
    """``count`` more members of ``community_id``, bulk-inserted as the communities
    service and the ``communities.member_added`` events would have left them.

    The notifications handler fans out over its own read model only, so that one is what
    must hold the members. They also go where the events would have put them: the
    communities service's ``memberships`` (it owns them; its ``member_count`` follows) and
    every other service's copy of the shared read model (``parvis_contracts.membership``:
    feed, documents, translation), so that per-member work any of them did on a post (the
    feed in the author's request, translation grouping the members' languages) would show
    here too. The people themselves are not created: nothing on this path asks identity
    about a member.
    """
    from parvis_contracts.membership import MembershipReadModel
    from services.communities import models as communities

    joined = datetime.now(UTC) - timedelta(days=1)
    users = [str(uuid.uuid4()) for _ in range(count)]
    loader = Loader(bp.db_urls["communities"])
    try:
        with loader.engine.begin() as conn:
            version = conn.execute(
                select(communities.Community.version).where(communities.Community.id == community_id)
            ).scalar_one()
        org = bp.accounts["admin"].get("org_id")
        loader.rows(
            communities.Membership.__table__,
            [(community_id, u, "member", False, org, joined) for u in users],
            COMMUNITY_MEMBER_COLUMNS,
        )
        table = communities.Community.__table__
        with loader.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == community_id)
                .values(member_count=table.c.member_count + count)
            )
    finally:
        loader.close()
    read_model = MembershipReadModel(MetaData()).memberships
    rows = [(community_id, u, "member", False, joined, version, False) for u in users]
    for name, url in bp.db_urls.items():
        if name == "communities":
            continue
        loader = Loader(url)
        try:
            if _has_read_model(loader):
                loader.rows(read_model, rows, MEMBERSHIP_COLUMNS)
                if loader.postgres:  # what autovacuum would soon do; nothing runs it on SQLite
                    with loader.engine.begin() as conn:
                        conn.execute(text("ANALYZE memberships"))
        finally:
            loader.close()


def _has_read_model(loader: Loader) -> bool:
    found = inspect(loader.engine)
    if "memberships" not in found.get_table_names():
        return False
    return set(MEMBERSHIP_COLUMNS) <= {c["name"] for c in found.get_columns("memberships")}


# ---------------------------------------------------------------- the notifications database


class Inbox:
    """Counts, in the notifications service's database, who holds a post's announcement."""

    def __init__(self, db_url: str):
        from parvis_contracts.db import make_engine
        from services.notifications.models import MEMBERSHIP, Notification

        self.engine = make_engine(db_url)
        self.notification = Notification.__table__
        self.memberships = MEMBERSHIP.memberships

    def close(self) -> None:
        self.engine.dispose()

    def told(self, post_id: str) -> int:
        n = self.notification
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(n)
                .where(n.c.subject_kind == "post", n.c.subject_id == post_id, n.c.kind == "announcement")
            ).scalar_one()

    def members(self, community_id: str) -> int:
        m = self.memberships
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(m)
                .where(m.c.community_id == community_id, m.c.removed.is_(False))
            ).scalar_one()

    def wait_told(self, post_id: str, expected: int, since: float) -> tuple[float, int]:
        """(seconds from ``since`` until ``expected`` people hold the notification, or
        ``FAN_OUT_WAIT`` if they never did; how many did)."""
        deadline = since + FAN_OUT_WAIT
        told = 0
        while True:
            told = self.told(post_id)
            now = time.perf_counter()
            if told >= expected:
                return now - since, told
            if now > deadline:
                return FAN_OUT_WAIT, told
            time.sleep(POLL)


# ---------------------------------------------------------------- the scenario


def _announce(manager: Api, cid: str, i: int, run: str):
    body = {"kind": "announcement", "body": f"Announcement {i} of run {run}: the office is closed on Friday."}
    return manager.post(f"/api/v1/communities/{cid}/posts", json=body)


def _accepted(response) -> str | None:
    return response.json()["id"] if response.status_code == 201 else None


def run(bp: BenchPlatform, settings: Settings, report: Report) -> None:
    run_id = uuid.uuid4().hex[:6]
    big_size = max(SMALL + 1, settings.fan_out_members)
    people = People(bp, run_id)
    inbox = Inbox(bp.db_urls["notifications"])
    try:
        # the real joins reach the read model through events: wait for them before the
        # bulk insert, so that the count checked afterwards is exactly the big community's
        for cid in (people.small, people.big):
            wait_for(lambda c=cid: inbox.members(c) >= SMALL, 60, 0.2, "the read model knows the joins")
        add_members(bp, people.big, big_size - SMALL)
        members = {cid: inbox.members(cid) for cid in (people.small, people.big)}
        if (members[people.small], members[people.big]) != (SMALL, big_size):
            report.note(
                f"[{report.db}] notifications: the communities have {members[people.small]:,} and "
                f"{members[people.big]:,} members"
            )
        # warm-up, not measured: the first announcement of each (the feed learns the
        # manager's role from an event, so it is retried until the feed accepts it)
        for cid in (people.small, people.big):
            post_id = wait_for(
                lambda c=cid: _accepted(_announce(people.manager, c, 0, run_id)),
                60,
                0.3,
                "the feed accepts the manager's announcement",
            )
            seconds, told = inbox.wait_told(post_id, members[cid] - 1, time.perf_counter())
            if told < members[cid] - 1:
                raise RuntimeError(f"warm-up: {told} of {members[cid] - 1} told after {seconds:.0f} s")
        samples = measure(bp, people, inbox, members, settings.announcements, run_id)
    finally:
        inbox.close()
    publish(report, samples, members[people.small], members[people.big])


def measure(bp: BenchPlatform, people: People, inbox: Inbox, members: dict, count: int, run_id: str) -> dict:
    """``count`` announcements in each community, alternating; per community the POST
    latencies (ms), the fan-out delays (s), the notifications service's CPU (s) and the
    announcements that were not told to everyone in time."""
    samples = {cid: {"post": [], "delay": [], "cpu": [], "late": []} for cid in (people.small, people.big)}
    for i in range(count):
        order = (people.small, people.big) if i % 2 == 0 else (people.big, people.small)
        for cid in order:
            cpu0 = cpu_snapshot(bp.platform).get("notifications", 0.0)
            t0 = time.perf_counter()
            response = _announce(people.manager, cid, i + 1, run_id)
            answered = time.perf_counter()
            if response.status_code != 201:
                raise RuntimeError(f"announcement: HTTP {response.status_code} {response.text[:300]}")
            seconds, told = inbox.wait_told(response.json()["id"], members[cid] - 1, answered)
            s = samples[cid]
            s["post"].append((answered - t0) * 1000)
            s["delay"].append(seconds)
            s["cpu"].append(cpu_snapshot(bp.platform).get("notifications", 0.0) - cpu0)
            if told < members[cid] - 1:
                s["late"].append(told)
    return {"small": samples[people.small], "big": samples[people.big]}


def publish(report: Report, samples: dict, small: int, big: int) -> None:
    section = "notifications"
    note = "{n} announcements by the manager, one at a time on one connection, alternated"
    posts = {}
    for key, size in (("small", small), ("big", big)):
        posts[key] = summary = latency_summary(samples[key]["post"])
        report.latency_row(
            section,
            f"POST /api/v1/communities/{{id}}/posts, announcement to {size:,} members",
            summary,
            note=note.format(n=summary["count"]),
        )
    report.target(
        section,
        f"announcement in a community of {big:,}: POST p95 vs in a community of {small}",
        ratio(posts["big"]["p95"], posts["small"]["p95"]),
        "<=",
        1.1,
    )
    report.figure(
        section,
        f"announcement POST p50, community of {big:,} vs of {small}",
        f"{ratio(posts['big']['p50'], posts['small']['p50']):.2f}x "
        f"({posts['big']['p50']:.1f} ms vs {posts['small']['p50']:.1f} ms)",
    )
    delays = {key: [s * 1000 for s in samples[key]["delay"]] for key in ("small", "big")}
    for key, size in (("small", small), ("big", big)):
        summary = latency_summary(delays[key])
        report.latency_row(
            section,
            f"announcement to {size:,} members: from the POST's answer until every member's "
            f"notification exists",
            summary,
            note=f"{summary['count']} announcements, max {max(delays[key], default=math.nan):.0f} ms",
        )
    for key, size in (("small", small), ("big", big)):
        late = samples[key]["late"]
        if late:
            report.note(
                f"[{report.db}] notifications: {len(late)} announcements to {size:,} members were not "
                f"told to everyone within {FAN_OUT_WAIT:.0f} s (told: {', '.join(f'{n:,}' for n in late)})"
            )
    worst = max(samples["big"]["delay"], default=math.nan)
    report.target(
        section,
        f"announcement to {big:,} members: every member's notification, max delay after the POST",
        worst,
        "<=",
        30,
        unit=" s",
    )
    typical = max(latency_summary(samples["big"]["delay"])["p50"], 1e-3)
    cpu = {key: latency_summary(samples[key]["cpu"])["p50"] * 1000 for key in ("small", "big")}
    report.figure(
        section,
        f"notifications service CPU per announcement, median (to {small}; to {big:,} members)",
        f"{cpu['small']:.0f} ms; {cpu['big']:.0f} ms ({cpu['big'] / max(1, big - 1) * 1000:.0f} ms per "
        f"1,000 notifications; fan-out p50 {typical:.2f} s, {(big - 1) / typical:,.0f} notifications/s)",
    )
