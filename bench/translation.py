"""Translation: what reading a translation costs, what translating costs, and how the
translation service scales.

1. A cached translation read (``POST /api/v1/translations`` for a post already
   translated) against a plain read of the same post (``GET /api/v1/posts/{id}``),
   alternated in short rounds on one connection (wrk).
2. Uncached translation of a 50-word French post into English with a warm engine:
   distinct posts, so each is a cache miss, timed one at a time through the API.
3. Throughput of the ``translation.translate`` RPC (distinct texts, several
   concurrent callers) with 1 then 2 translation replicas, with the CPU the engine
   (APy, one process and its pipelines) and the service used, to tell whether the
   engine was the shared bottleneck.

Needs Apertium's APy (started by the launcher); without it the scenario reports
"skipped: no Apertium".
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import threading
import time
import uuid
from pathlib import Path

from .report import Report
from .support import (
    BenchPlatform,
    LoadResult,
    Req,
    Settings,
    cpu_snapshot,
    latency_summary,
    ratio,
    wait_for,
    wrk,
)
from .world import World

JSON = {"Content-Type": "application/json"}
#: 50 words of French; ``{n}`` makes each text distinct (a distinct cache key)
FRENCH = (
    "Bonjour à toute l'équipe : la réunion trimestrielle numéro {n} aura lieu jeudi dans la "
    "grande salle du deuxième étage. Nous présenterons les résultats du projet, le budget de "
    "l'année prochaine et les nouvelles règles de sécurité. Merci de préparer vos questions "
    "et d'apporter vos ordinateurs portables avant neuf heures."
)
SOURCE, TARGET = "fr", "en"
CALLERS = 8  # concurrent RPC callers (a replica runs 4 workers by default)


# ---------------------------------------------------------------- CPU of a process tree


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        with contextlib.suppress(OSError, ValueError):
            todo += [
                int(c)
                for t in os.listdir(f"/proc/{p}/task")
                for c in Path(f"/proc/{p}/task/{t}/children").read_text().split()
            ]
    return pids


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def engine_cpu(platform) -> float:
    """CPU seconds of APy and every process under it (its translation pipelines)."""
    return sum(_cpu(p) for c in platform.children if c.name == "apertium" and c.pid for p in _tree(c.pid))


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


# ---------------------------------------------------------------- 1. cached read vs plain read


def interleaved(
    bp: BenchPlatform, settings: Settings, cases: list[tuple[Req, str]], rounds: int = 3
) -> list[LoadResult]:
    """Each ``(request, label)`` on one connection, alternating in ``rounds`` short rounds
    (as bench.growth does); percentiles are the medians of the rounds'."""
    seconds = max(1.0, settings.duration * 2 / rounds)
    results: list[list[LoadResult]] = [[] for _ in cases]
    for req, _ in cases:
        wrk(bp.base_url, [req], 1, 1, "warm-up", settings.work_dir)
    for _ in range(rounds):
        for i, (req, label) in enumerate(cases):
            results[i].append(wrk(bp.base_url, [req], seconds, 1, label, settings.work_dir))
    return [
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
        for runs, (_, label) in zip(results, cases, strict=True)
    ]


def cached_read(
    bp: BenchPlatform, world: World, settings: Settings, report: Report, target: str
) -> LoadResult:
    reader = world.members[0]
    pid = world.posts[0]
    body = json.dumps({"kind": "post", "id": pid, "target": target})
    first = reader.ok("POST", "/api/v1/translations", data=body, headers=JSON)
    again = reader.ok("POST", "/api/v1/translations", data=body, headers=JSON)
    if not again.get("cached"):
        report.note(
            f"[{report.db}] translation: the second translation of a post was not "
            f"answered from the cache (cached={again.get('cached')})"
        )
    plain, cached = interleaved(
        bp,
        settings,
        [
            (Req(f"/api/v1/posts/{pid}", headers=reader.headers), "GET /api/v1/posts/{id} (A/B)"),
            (
                Req("/api/v1/translations", "POST", headers={**reader.headers, **JSON}, body=body),
                f"POST /api/v1/translations, cached, {first['source']}->{target} (A/B)",
            ),
        ],
    )
    report.load("translation", plain)
    report.load("translation", cached)
    report.target(
        "translation",
        "cached translation read: p50 vs plain post read",
        ratio(cached.p50, plain.p50),
        "<=",
        1.2,
    )
    report.figure(
        "translation",
        "cached translation read vs plain post read: p95; throughput",
        f"{ratio(cached.p95, plain.p95):.2f}x; {ratio(cached.rps, plain.rps):.2f}x "
        f"({plain.rps:.0f} -> {cached.rps:.0f} req/s, 1 connection)",
    )
    return plain


# ---------------------------------------------------------------- 2. uncached translation


def uncached(bp: BenchPlatform, settings: Settings, report: Report, plain: LoadResult) -> None:
    """Posts of a French speaker in a community of her own: no other member, so no
    pre-translation fills the cache; each post is distinct, so each read is a miss."""
    author = bp.create_person("bench-traductrice", language=SOURCE)
    cid = author.ok(
        "POST",
        "/api/v1/communities",
        json={
            "name": f"Bench traduction {uuid.uuid4().hex[:4]}",
            "kind": "team",
            "visibility": "open",
            "description": "benchmark",
        },
    )["id"]
    run = uuid.uuid4().int % 9000 + 1000
    posts: list[str] = []

    def can_post():
        response = author.post(f"/api/v1/communities/{cid}/posts", json={"body": FRENCH.format(n=f"{run}0")})
        if response.status_code == 201:
            posts.append(response.json()["id"])
            return True
        return False

    wait_for(can_post, 60, 0.3, "the feed knows the new community's owner")
    count = 10 if settings.quick else 30
    for i in range(1, count + 1):
        posts.append(
            author.ok(
                "POST", f"/api/v1/communities/{cid}/posts", json={"body": FRENCH.format(n=f"{run}{i}")}
            )["id"]
        )
    bp.wait_idle(60)
    # warm: the engine's fr->en pipeline runs (first post, not measured)
    author.ok("POST", "/api/v1/translations", json={"kind": "post", "id": posts[0], "target": TARGET})
    samples, hits = [], 0
    for pid in posts[1:]:
        t0 = time.perf_counter()
        out = author.ok("POST", "/api/v1/translations", json={"kind": "post", "id": pid, "target": TARGET})
        samples.append((time.perf_counter() - t0) * 1000)
        hits += bool(out.get("cached"))
    summary = latency_summary(samples)
    report.latency_row(
        "translation",
        f"POST /api/v1/translations, uncached, 50-word French post "
        f"-> {TARGET}, warm engine ({out['engine']}, via {'/'.join(out['via'])})",
        summary,
        note=f"{summary['count']} distinct posts, one at a time, {hits} cache hits",
    )
    if hits:
        report.note(
            f"[{report.db}] translation: {hits} of {len(samples)} 'uncached' translations were cache hits"
        )
    report.figure(
        "translation",
        "uncached translation of a 50-word post: p50; p95 vs plain post read p50",
        f"{ratio(summary['p50'], plain.p50):.1f}x; "
        f"{ratio(summary['p95'], plain.p50):.1f}x ({summary['p50']:.0f} / "
        f"{summary['p95']:.0f} ms vs {plain.p50:.1f} ms)",
    )


# ---------------------------------------------------------------- 3. replicas


def _rpc_load(bp: BenchPlatform, principal: dict, seconds: float, tag: str) -> dict:
    """``translation.translate`` of distinct texts from CALLERS threads for ``seconds``."""
    client = bp.platform.client
    token = bp.platform.person_token(principal)  # a context lives 60 s: one per run
    stop = time.monotonic() + seconds
    counter = iter(range(10**9))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def caller():
        while time.monotonic() < stop:
            with lock:
                n = next(counter)
            text = FRENCH.format(n=f"{tag}{n}")
            t0 = time.perf_counter()
            try:
                client.call("translation", "translate", token, text=text, target=TARGET, source=SOURCE)
            except Exception as exc:  # counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)

    engine0, service0, machine0 = (
        engine_cpu(bp.platform),
        cpu_snapshot(bp.platform).get("translation", 0.0),
        machine_busy(),
    )
    t0 = time.monotonic()
    threads = [threading.Thread(target=caller, daemon=True) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    wall = time.monotonic() - t0
    machine1 = machine_busy()
    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "calls": len(latencies),
        "rps": len(latencies) / wall,
        "errors": len(errors),
        "summary": latency_summary(latencies),
        "first_error": errors[0] if errors else "",
        "engine_cores": (engine_cpu(bp.platform) - engine0) / wall,
        "service_cores": (cpu_snapshot(bp.platform).get("translation", 0.0) - service0) / wall,
        "machine": (machine1[0] - machine0[0]) / max(1, machine1[1] - machine0[1]),
        "cores": (machine1[0] - machine0[0]) / ticks / wall,
    }


def replicas(bp: BenchPlatform, settings: Settings, report: Report, principal: dict) -> None:
    seconds = max(4.0, settings.duration * 2)
    _rpc_load(bp, principal, 1.5, "w")  # warm: the pipelines and the workers
    one = _rpc_load(bp, principal, seconds, "a")
    bp.wait_idle(60)
    bp.platform.scale("translation", 2)
    try:
        time.sleep(8)  # the new replica connects and starts consuming
        _rpc_load(bp, principal, 1.5, "v")
        two = _rpc_load(bp, principal, seconds, "b")
    finally:
        bp.platform.scale("translation", 1)
    for n, r in ((1, one), (2, two)):
        if r["errors"]:
            report.note(
                f"[{report.db}] translation x{n}: {r['errors']} failed calls, the first: {r['first_error']}"
            )
        report.latency_row(
            "translation",
            f"translation.translate RPC, distinct 50-word texts, translation x{n}, {r['rps']:.1f} calls/s",
            r["summary"],
            note=f"{CALLERS} callers, {seconds:.0f} s, {r['errors']} errors; CPU "
            f"cores: engine {r['engine_cores']:.2f}, translation "
            f"{r['service_cores']:.2f}, machine {r['cores']:.2f} "
            f"({r['machine']:.0%} busy)",
        )
    report.figure(
        "translation",
        "translation service: throughput with 2 replicas vs 1 (translate RPC, cache misses)",
        f"{ratio(two['rps'], one['rps']):.2f}x ({one['rps']:.1f} -> {two['rps']:.1f} calls/s)",
    )
    report.figure("translation", "bottleneck with 2 replicas", bottleneck(two))


def bottleneck(r: dict) -> str:
    ncpu = os.cpu_count() or 1
    engine = (
        f"engine (APy, one process, and its pipelines) {r['engine_cores']:.2f} cores, "
        f"translation replicas {r['service_cores']:.2f}, machine {r['machine']:.0%} of "
        f"{ncpu} cores busy"
    )
    if r["engine_cores"] >= 0.8:
        return f"the engine: {engine}"
    if r["machine"] >= 0.9:
        others = max(0.0, r["cores"] - r["engine_cores"] - r["service_cores"])
        return (
            f"the machine's CPU, not the engine: {engine} ({others:.2f} cores used by "
            f"other processes: the platform's other services, other runs on the machine)"
        )
    return f"neither the engine nor the CPU saturated: {engine}"


# ---------------------------------------------------------------- the scenario


def run(bp: BenchPlatform, world: World, settings: Settings, report: Report) -> None:
    if bp.platform.apertium_url is None:
        report.note(f"[{report.db}] translation: skipped: no Apertium")
        return
    person = bp.create_person("bench-translation-rpc")
    principal = {"id": person.user_id, "roles": ["member"], "org_id": bp.accounts["admin"].get("org_id")}
    pairs = bp.platform.client.call("translation", "pairs", bp.platform.person_token(principal))
    served = {(p["source"], p["target"]) for p in pairs["pairs"]}
    if (SOURCE, TARGET) not in served:
        report.note(f"[{report.db}] translation: skipped: the engines do not serve {SOURCE}->{TARGET}")
        return
    target = next((t for t in ("fr", "es", "de") if ("en", t) in served), None)
    plain = None
    if target is None:
        report.note(f"[{report.db}] translation: no target served from English: cached read not measured")
    else:
        plain = cached_read(bp, world, settings, report, target)
    bp.wait_idle(60)
    if plain is not None:
        uncached(bp, settings, report, plain)
    bp.wait_idle(60)
    replicas(bp, settings, report, principal)
