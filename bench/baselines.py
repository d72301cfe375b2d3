"""Baselines, measured at the start of every run: bare Flask under the gateway's
server settings, the matched floor of one hop (the same Flask after one raw kombu
request/reply to a raw kombu echo server), a raw kombu request/reply (with and
without nameko's persistence and confirms, and the nameko RPC measured against it,
one call in flight and with 10 concurrent callers), and raw disk writes.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from . import rpc_roundtrip
from .report import Report
from .support import (
    BareFlask,
    Req,
    Settings,
    Vhost,
    _children,
    _cpu_seconds,
    gateway_shape,
    latency_summary,
    ratio,
    wrk,
)

CALLERS = 10


def bare_flask(settings: Settings, report: Report) -> dict:
    workers, threads = gateway_shape()
    with (
        Vhost() as vhost,
        rpc_roundtrip.EchoServers(vhost.uri, nameko=False),
        BareFlask(settings.work_dir, workers, threads, echo_uri=vhost.uri) as app,
    ):
        wrk(app.base_url, [Req("/json")], 1, settings.connections, "warm-up", settings.work_dir)
        pids = [app.process.pid] + _children(app.process.pid)
        before = sum(_cpu_seconds(p) for p in pids)
        result = wrk(
            app.base_url,
            [Req("/json")],
            settings.duration,
            settings.connections,
            "bare Flask GET /json",
            settings.work_dir,
        )
        cpu_ms = (sum(_cpu_seconds(p) for p in pids) - before) * 1000 / max(1, result.requests)
        one = wrk(
            app.base_url,
            [Req("/json")],
            settings.duration / 2,
            1,
            "bare Flask GET /json, 1 connection",
            settings.work_dir,
        )
        wrk(app.base_url, [Req("/kombu")], 1, settings.connections, "warm-up", settings.work_dir)
        floor = wrk(
            app.base_url,
            [Req("/kombu")],
            settings.duration,
            settings.connections,
            "matched floor: Flask + one raw kombu request/reply",
            settings.work_dir,
        )
        floor_one = wrk(
            app.base_url,
            [Req("/kombu")],
            settings.duration / 2,
            1,
            "matched floor, 1 connection",
            settings.work_dir,
        )
    report.baseline("floor_rps", floor.rps)
    report.baseline("floor_p50_one", floor_one.p50)
    report.load("baselines", floor, note=f"{ratio(floor.rps, result.rps):.2f}x bare Flask")
    report.load("baselines", floor_one)
    report.baseline("flask_rps", result.rps)
    report.figure(
        "baselines", "bare Flask: CPU ms per request (gunicorn master and workers)", f"{cpu_ms:.2f}"
    )
    report.baseline("flask_p95", result.p95)
    report.baseline("flask_p50_one", one.p50)
    report.load("baselines", result, note=f"gunicorn gthread {workers}x{threads}")
    report.load("baselines", one)
    return {"rps": result.rps, "p95": result.p95}


def rpc(settings: Settings, report: Report) -> None:
    with Vhost() as vhost, rpc_roundtrip.EchoServers(vhost.uri) as echo:
        samples = rpc_roundtrip.one_in_flight(echo, settings.rpc_calls)

        def raw_caller(persistent):
            def make():
                client = rpc_roundtrip.RawClient(vhost.uri, persistent)
                return client.call_one, client.close

            return make

        raw_rps = rpc_roundtrip.concurrent(raw_caller(True), CALLERS, settings.rpc_seconds)
        raw_plain_rps = rpc_roundtrip.concurrent(raw_caller(False), CALLERS, settings.rpc_seconds)
        nameko_rps = rpc_roundtrip.concurrent(
            lambda: (echo.plain, lambda: None), CALLERS, settings.rpc_seconds
        )
        parvis_rps = rpc_roundtrip.concurrent(
            lambda: (echo.authorised, lambda: None), CALLERS, settings.rpc_seconds
        )
        unconfirmed_rps = rpc_roundtrip.concurrent(
            lambda: (echo.unconfirmed, lambda: None), CALLERS, settings.rpc_seconds
        )
    base = statistics.median(samples["raw kombu (persistent + confirms)"])
    report.baseline("kombu_p50", base)
    report.baseline("kombu_rps", raw_rps)
    for name, values in samples.items():
        report.latency_row(
            "baselines",
            f"RPC one in flight: {name}",
            latency_summary(values),
            note=f"{statistics.median(values) / base:.2f}x raw kombu (persistent)",
        )
    nameko = statistics.median(samples["nameko rpc (reused proxy)"])
    parvis = statistics.median(samples["parvis rpc (signed context verified)"])
    report.target(
        "rpc",
        "nameko RPC p50 vs raw kombu (persistent + confirms), 1 in flight",
        ratio(nameko, base),
        "<=",
        2.5,
    )
    report.target(
        "rpc",
        "Parvis RPC p50 vs raw kombu (persistent + confirms), 1 in flight",
        ratio(parvis, base),
        "<=",
        2.5,
    )
    report.figure(
        "rpc",
        f"raw kombu, {CALLERS} callers: calls/s (persistent + confirms; transient)",
        f"{raw_rps:.0f}; {raw_plain_rps:.0f}",
    )
    report.figure(
        "rpc",
        f"nameko RPC, {CALLERS} callers: calls/s (plain; Parvis; Parvis, replies unconfirmed)",
        f"{nameko_rps:.0f}; {parvis_rps:.0f}; {unconfirmed_rps:.0f}",
    )
    report.figure(
        "rpc",
        "Parvis RPC, replies transient and unconfirmed vs confirmed: p50 1 in flight; "
        f"throughput {CALLERS} callers",
        f"{ratio(statistics.median(samples['parvis rpc, replies transient and unconfirmed']), parvis):.2f}x; "
        f"{ratio(unconfirmed_rps, parvis_rps):.2f}x",
    )
    report.target(
        "rpc",
        f"nameko RPC throughput vs raw kombu (persistent), {CALLERS} callers",
        ratio(nameko_rps, raw_rps),
        ">=",
        0.4,
    )
    report.target(
        "rpc",
        f"Parvis RPC throughput vs raw kombu (persistent), {CALLERS} callers",
        ratio(parvis_rps, raw_rps),
        ">=",
        0.4,
    )


def disk(settings: Settings, report: Report) -> None:
    """Sequential write + fsync (MB/s) and a 4 KiB write + fsync (what one commit costs)."""
    path = Path(settings.work_dir) / "disk-baseline.bin"
    block = os.urandom(1 << 20)
    t0 = time.perf_counter()
    with open(path, "wb") as fh:
        for _ in range(settings.disk_mb):
            fh.write(block)
        fh.flush()
        os.fsync(fh.fileno())
    seconds = time.perf_counter() - t0
    mbps = settings.disk_mb / seconds
    small = []
    with open(path, "r+b") as fh:
        for i in range(100 if settings.quick else 300):
            t = time.perf_counter()
            fh.seek((i % 64) * 4096)
            fh.write(block[:4096])
            fh.flush()
            os.fsync(fh.fileno())
            small.append((time.perf_counter() - t) * 1000)
    path.unlink(missing_ok=True)
    summary = latency_summary(small)
    report.baseline("disk_mbps", mbps)
    report.baseline("fsync_p50", summary["p50"])
    report.figure("disk", f"raw disk: {settings.disk_mb} MB sequential write + fsync", f"{mbps:.0f} MB/s")
    report.latency_row("baselines", "raw disk: 4 KiB write + fsync", summary)


def run(settings: Settings, report: Report) -> None:
    bare_flask(settings, report)
    rpc(settings, report)
    disk(settings, report)
