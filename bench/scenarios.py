"""Scenarios on a running platform: the gateway's cost, the home timeline, posting
to a wall, the mixed load and scale-out of the feed service."""

from __future__ import annotations

import json
import random
import time
import uuid
from pathlib import Path

import requests

from . import sqlcount
from .report import Report
from .support import (
    BenchPlatform,
    Req,
    Settings,
    cpu_per_request,
    cpu_snapshot,
    latency_summary,
    ratio,
    wait_for,
    wrk,
)
from .world import World

JSON = {"Content-Type": "application/json"}


def _flask(report: Report) -> float:
    return report.baselines["flask_rps"]


def _floor(report: Report) -> float:
    """Flask + one raw kombu request/reply: the matched floor of a one-hop endpoint."""
    return report.baselines["floor_rps"]


def rpc_calls(bp: BenchPlatform) -> dict[str, float]:
    """``service.method -> calls`` the gateway has sent so far (its ``/metrics``, all workers)."""
    text = requests.get(f"{bp.base_url}/metrics", timeout=10).text
    calls: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith("parvis_gateway_rpc_calls_total{"):
            continue
        labels, _, value = line.rpartition(" ")
        fields = dict(part.split("=", 1) for part in labels[labels.index("{") + 1 : -1].split(","))
        name = f"{fields['service'].strip(chr(34))}.{fields['method'].strip(chr(34))}"
        calls[name] = calls.get(name, 0.0) + float(value)
    return calls


def rpcs_per_request(before: dict, after: dict, requests_done: int) -> str:
    """``feed.home_timeline 1.00; total 1.00``: calls the gateway sent per request, by method."""
    if not requests_done:
        return "n/a"
    sent = {name: (after.get(name, 0.0) - before.get(name, 0.0)) / requests_done for name in after}
    parts = [
        f"{name} {value:.2f}" for name, value in sorted(sent.items(), key=lambda kv: -kv[1]) if value >= 0.005
    ]
    return "; ".join(parts + [f"total {sum(sent.values()):.2f}"])


def timeline_reqs(world: World, limit: int = 20) -> list[Req]:
    return [Req(f"/api/v1/timeline?limit={limit}", headers=m.headers) for m in world.members]


def post_reqs(world: World, label: str) -> list[Req]:
    rng = random.Random(11)
    reqs = []
    for i, member in enumerate(world.members):
        for _ in range(3):
            cid = world.communities[rng.randrange(len(world.communities))]
            body = json.dumps({"body": f"{world.post_body(i)} ({label})"})
            reqs.append(
                Req(f"/api/v1/communities/{cid}/posts", "POST", headers={**member.headers, **JSON}, body=body)
            )
    return reqs


def gateway(bp: BenchPlatform, world: World, settings: Settings, report: Report) -> None:
    """``GET /api/v1/auth/session``: the sign-in check of a known session (remembered by the
    gateway while it hears identity's events: no RPC)."""
    reqs = [Req("/api/v1/auth/session", headers=m.headers) for m in world.members]
    wrk(bp.base_url, reqs, 1, settings.connections, "warm-up", settings.work_dir)
    before, calls_before = cpu_snapshot(bp.platform), rpc_calls(bp)
    result = wrk(
        bp.base_url,
        reqs,
        settings.duration,
        settings.connections,
        "GET /api/v1/auth/session (known session)",
        settings.work_dir,
    )
    report.figure(
        "gateway",
        "CPU ms per request of each process, GET /api/v1/auth/session",
        cpu_per_request(before, cpu_snapshot(bp.platform), result.requests),
    )
    report.figure(
        "gateway",
        "RPCs per request, GET /api/v1/auth/session",
        rpcs_per_request(calls_before, rpc_calls(bp), result.requests),
    )
    one = wrk(
        bp.base_url,
        reqs,
        settings.duration / 2,
        1,
        "GET /api/v1/auth/session, 1 connection",
        settings.work_dir,
    )
    report.load("gateway", result)
    report.load("gateway", one)
    report.target(
        "gateway",
        "GET /api/v1/auth/session: throughput vs the matched floor (Flask + one raw kombu hop)",
        ratio(result.rps, _floor(report)),
        ">=",
        0.8,
    )
    report.figure(
        "gateway",
        "GET /api/v1/auth/session: throughput vs bare Flask",
        f"{ratio(result.rps, _flask(report)):.2f}x",
    )
    report.figure(
        "gateway",
        "gateway endpoint with one RPC: p50 at 1 connection vs bare Flask",
        f"{ratio(one.p50, report.baselines['flask_p50_one']):.1f}x "
        f"({one.p50:.1f} ms vs {report.baselines['flask_p50_one']:.1f} ms)",
    )


def timeline(bp: BenchPlatform, world: World, settings: Settings, report: Report) -> dict:
    reqs = timeline_reqs(world)
    wrk(bp.base_url, reqs, 1, settings.connections, "warm-up", settings.work_dir)
    before, calls_before = cpu_snapshot(bp.platform), rpc_calls(bp)
    result = wrk(
        bp.base_url,
        reqs,
        settings.duration,
        settings.connections,
        f"GET /api/v1/timeline?limit=20 (member of {len(world.communities)})",
        settings.work_dir,
    )
    report.figure(
        "timeline",
        "CPU ms per request of each process, GET /api/v1/timeline",
        cpu_per_request(before, cpu_snapshot(bp.platform), result.requests),
    )
    report.figure(
        "timeline",
        "RPCs per request, GET /api/v1/timeline",
        rpcs_per_request(calls_before, rpc_calls(bp), result.requests),
    )
    report.load("timeline", result)
    report.target(
        "timeline",
        f"home timeline, member of {len(world.communities)} communities, "
        f"page of 20: throughput vs the matched floor",
        ratio(result.rps, _floor(report)),
        ">=",
        0.6,
    )
    report.figure(
        "timeline", "home timeline: throughput vs bare Flask", f"{ratio(result.rps, _flask(report)):.2f}x"
    )
    try:
        statements(bp, world, report)
    except Exception as exc:  # the feed's code changed under the bench
        report.note(f"[{report.db}] SQL statement count failed: {type(exc).__name__}: {exc}")
    return {"p95": result.p95, "rps": result.rps}


def statements(bp: BenchPlatform, world: World, report: Report) -> None:
    """Statements per page: member of N communities, pages 1-3, page sizes 20 and 5,
    and a member of one community."""
    db_url = bp.db_urls["feed"]
    member = world.members[-1]
    by_page = sqlcount.timeline_statements(db_url, member.user_id, 20, pages=3)
    small = sqlcount.timeline_statements(db_url, member.user_id, 5, pages=2)
    loner = bp.create_person("bench-loner")
    loner.ok("POST", f"/api/v1/communities/{world.communities[0]}/join")
    world.members[0].ok(
        "POST", f"/api/v1/communities/{world.communities[0]}/posts", json={"body": world.post_body(30_000)}
    )
    # the feed learns the membership from an event: wait until the loner sees posts
    wait_for(
        lambda: loner.ok("GET", "/api/v1/timeline?limit=1")["items"],
        30,
        0.3,
        "the new member's timeline shows posts",
    )
    alone = sqlcount.timeline_statements(db_url, loner.user_id, 20, pages=1)
    firsts = [c[0] for c in (by_page, small, alone) if c]
    others = by_page[1:] + small[1:]
    report.figure(
        "timeline",
        "SQL statements per timeline page: first pages (member of "
        f"{len(world.communities)}, 20 items; 5 items; member of 1) / cursor pages",
        f"{' '.join(map(str, firsts))} / {' '.join(map(str, others))}",
    )
    spread = max(max(firsts) - min(firsts), (max(others) - min(others)) if others else 0)
    report.target(
        "timeline",
        "SQL statements per page: spread across page size, communities, page number",
        float(spread),
        "<=",
        0,
        unit=" stmt",
    )


def posting(bp: BenchPlatform, world: World, settings: Settings, report: Report, timeline_p95: float) -> None:
    reqs = post_reqs(world, "load")
    before = cpu_snapshot(bp.platform)
    result = wrk(
        bp.base_url,
        reqs,
        settings.duration,
        settings.connections,
        "POST /api/v1/communities/{id}/posts",
        settings.work_dir,
    )
    right_after = cpu_snapshot(bp.platform)
    bp.wait_idle()
    report.figure(
        "post",
        "CPU ms per post of each process, during the load",
        cpu_per_request(before, right_after, result.requests),
    )
    report.figure(
        "post",
        "CPU ms per post of each process, with the asynchronous work it starts (events: translation...)",
        cpu_per_request(before, cpu_snapshot(bp.platform), result.requests),
    )
    report.load("post", result)
    report.target(
        "post",
        "post to a wall: p95 vs home timeline p95 (same connections)",
        ratio(result.p95, timeline_p95),
        "<=",
        1.5,
    )
    visible = visibility(world, settings)
    summary = latency_summary(visible)
    report.latency_row(
        "post",
        "post, then visible in another member's timeline",
        summary,
        note=f"{summary['count']} samples, from the POST's start, one at a time",
    )
    report.target("post", "post visible to members: p95", summary["p95"], "<=", 100, unit=" ms")


def visibility(world: World, settings: Settings) -> list[float]:
    author, reader = world.members[0], world.members[-1]
    cid = world.communities[0]
    samples = []
    for i in range(settings.visibility_samples):
        t0 = time.perf_counter()
        pid = author.ok(
            "POST", f"/api/v1/communities/{cid}/posts", json={"body": world.post_body(10_000 + i)}
        )["id"]
        deadline = t0 + 10
        while time.perf_counter() < deadline:
            page = reader.ok("GET", "/api/v1/timeline?limit=5")
            if any(item["id"] == pid for item in page["items"]):
                break
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def documents_upload(bp: BenchPlatform, world: World) -> Req | None:
    """An upload request for the mix, if the documents API takes uploads (probed once)."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "gateway" / "api" / "documents.py").exists():
        return None
    cid = world.communities[0]
    body = "Bench upload: minutes of the weekly meeting.\n" * 20
    member = world.members[-1]
    try:
        response = member.post(
            f"/api/v1/communities/{cid}/documents?name=bench-probe-{uuid.uuid4().hex[:6]}.txt",
            data=body.encode(),
            headers={"Content-Type": "text/plain"},
        )
    except requests.RequestException:
        return None
    if response.status_code != 201:
        return None
    return Req(
        f"/api/v1/communities/{cid}/documents?name=bench-{world.run_id}-",
        "POST",
        headers={**member.headers, "Content-Type": "text/plain"},
        body=body,
        kind="upload",
    )


def mix_reqs(world: World, upload: Req | None) -> list[Req]:
    rng = random.Random(5)
    reqs: list[Req] = []

    def add(req: Req, share: float, count: int):
        for _ in range(count):
            reqs.append(Req(req.path, req.method, req.headers, req.body, share / count, req.kind))

    for member in world.members:
        h = member.headers
        n = len(world.members)
        add(Req("/api/v1/timeline?limit=20", headers=h), 0.50 / n, 1)
        for _ in range(4):
            cid = rng.choice(world.communities)
            pid = rng.choice(world.posts)
            add(Req(f"/api/v1/communities/{cid}/posts?limit=20", headers=h), 0.20 / n / 4, 1)
            add(Req(f"/api/v1/posts/{pid}", headers=h), 0.10 / n / 4, 1)
            add(Req(f"/api/v1/posts/{pid}/comments", headers=h), 0.10 / n / 4, 1)
            cid = rng.choice(world.communities)
            add(
                Req(
                    f"/api/v1/communities/{cid}/posts",
                    "POST",
                    {**h, **JSON},
                    json.dumps({"body": world.post_body(20_000)}),
                ),
                0.05 / n / 4,
                1,
            )
            pid = rng.choice(world.posts)
            add(
                Req(
                    f"/api/v1/posts/{pid}/comments",
                    "POST",
                    {**h, **JSON},
                    json.dumps({"body": "Thanks, noted."}),
                ),
                0.02 / n / 4,
                1,
            )
            pid = rng.choice(world.posts)
            add(Req(f"/api/v1/posts/{pid}/like", "POST", h, kind="like"), 0.02 / n / 4, 1)
    if upload is not None:
        add(upload, 0.01, 1)
    return reqs


def mix(bp: BenchPlatform, world: World, settings: Settings, report: Report) -> None:
    upload = documents_upload(bp, world)
    if upload is None:
        report.note(
            f"[{report.db}] mix: uploads left out (the documents API did not accept a "
            f"test upload); the 1% goes to reads."
        )
    reqs = mix_reqs(world, upload)
    connections = max(1, settings.connections // 2)
    result = wrk(
        bp.base_url,
        reqs,
        settings.duration * 2,
        connections,
        "mix: 90% reads, 5% posts, 4% likes/comments" + (", 1% uploads" if upload else ""),
        settings.work_dir,
    )
    report.load("mix", result, note=f"{connections} connections (half the gateway's threads)")
    report.target("mix", "mix: p95", result.p95, "<=", 50, unit=" ms")
    report.target("mix", "mix: p99", result.p99, "<=", 200, unit=" ms")
    report.target("mix", "mix: errors (5xx, socket errors, timeouts)", float(result.errors), "<=", 0, unit="")


def scaleout(bp: BenchPlatform, world: World, settings: Settings, report: Report) -> None:
    """Feed writes (Markdown rendering, mentions, hashtags, outbox) with 1, then 2 replicas."""
    reqs = post_reqs(world, "scale-out")
    connections = settings.connections
    one = wrk(bp.base_url, reqs, settings.duration, connections, "posts, feed x1", settings.work_dir)
    bp.wait_idle()  # the translations the first run started are done
    bp.platform.scale("feed", 2)
    time.sleep(8)  # the new replica connects and starts consuming
    wrk(bp.base_url, reqs, 1, connections, "warm-up", settings.work_dir)
    two = wrk(bp.base_url, reqs, settings.duration, connections, "posts, feed x2", settings.work_dir)
    bp.platform.scale("feed", 1)
    report.load("scale-out", one)
    report.load("scale-out", two)
    report.figure(
        "scale-out",
        "feed writes: throughput with 2 replicas vs 1",
        f"{ratio(two.rps, one.rps):.2f}x ({one.rps:.0f} -> {two.rps:.0f} posts/s)",
    )
