"""Where a request's CPU goes: the platform's processes sampled under load, split by layer.

    python -m bench.profile [--path timeline|session] [--db sqlite|postgresql] [--seconds 20]

Starts the platform as the bench does (:class:`~bench.support.BenchPlatform` and the same
world: 20 communities, members of all of them), loads one path with ``wrk`` on 8
connections, and meanwhile samples every gateway worker and every service process with
py-spy (``--gil``: only the thread holding the GIL, i.e. Python's own CPU; ``--nonblocking``:
the process is not paused). Each sample is given to the layer of the innermost frame that
belongs to a known layer (a JSON encoding called by kombu counts as JSON, a query run by
Parvis code as SQL). The CPU each process used during the load (``/proc``) is split in the
shares its samples give, per request: milliseconds of CPU per request, by process and layer.

py-spy needs the right to read other processes' memory (root, or ``ptrace_scope`` 0); it is
in the dev requirements. Figures from a loaded machine are noise: read the shares.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from . import scenarios, world
from .__main__ import quiet
from .support import BenchPlatform, Settings, _children, cpu_snapshot, wrk

#: (layer, what a frame's file path contains): the first layer whose mark a frame carries
LAYERS = (
    ("SQL", ("sqlalchemy/", "sqlite3", "psycopg")),
    ("marshmallow", ("marshmallow/", "webargs/")),
    ("JSON", ("json/", "kombu/utils/json")),
    ("AMQP and nameko", ("amqp/", "kombu/", "nameko/", "eventlet/")),
    ("HTTP (gunicorn, Flask)", ("gunicorn/", "flask/", "werkzeug/", "flask_smorest/", "jinja2/")),
    ("logs and metrics", ("logging/", "prometheus_client/", "parvis_contracts/logs.py")),
    ("Parvis", ("services/", "gateway/", "parvis_contracts/", "parvis_")),
)
OTHER = "other (stdlib, threads)"
PATHS = {
    "timeline": lambda w: scenarios.timeline_reqs(w),
    "session": lambda w: [scenarios.Req("/api/v1/auth/session", headers=m.headers) for m in w.members],
}


def layer_of(stack: list[str]) -> str:
    """The layer of a sample: its innermost frame that carries a layer's mark."""
    for frame in reversed(stack):
        where = frame[frame.rfind("(") + 1 :]
        for layer, marks in LAYERS:
            if any(mark in where for mark in marks):
                return layer
    return OTHER


def shares(raw_files: list[Path]) -> dict[str, float]:
    """``layer -> share`` of the samples in py-spy ``--format raw`` files."""
    counts: Counter = Counter()
    for path in raw_files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                counts[layer_of(stack.split(";"))] += int(count)
    total = sum(counts.values())
    return {layer: n / total for layer, n in counts.items()} if total else {}


def sample(pids: list[int], seconds: float, out: Path) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            ["py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "250"]
            + ["--format", "raw", "--gil", "--nonblocking", "--output", str(out / f"{pid}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", choices=sorted(PATHS), default="timeline")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    quiet()
    settings = Settings.make(True, "default")
    with BenchPlatform(args.db, settings) as bp, tempfile.TemporaryDirectory() as tmp:
        w = world.build(bp, settings)
        bp.wait_idle()
        reqs = PATHS[args.path](w)
        wrk(bp.base_url, reqs, 2, 8, "warm-up", settings.work_dir)
        processes = {}
        for child in bp.platform.children:
            if child.pid is not None:
                name = child.service or child.name
                processes.setdefault(name, []).extend([child.pid, *_children(child.pid)])
        folders = {name: Path(tmp) / name for name in processes}
        spies = []
        for name, pids in processes.items():
            folders[name].mkdir()
            spies += sample(pids, args.seconds, folders[name])
        before = cpu_snapshot(bp.platform)
        load = wrk(bp.base_url, reqs, args.seconds, 8, f"{args.path} under py-spy", settings.work_dir)
        after = cpu_snapshot(bp.platform)
        for spy in spies:
            spy.wait(timeout=args.seconds + 60)
        print(f"{args.path} on {args.db}: {load.rps:.0f} req/s under sampling, {load.requests} requests")
        print(f"{'process':<14}{'CPU ms/request':>15}  layers (ms per request)")
        for name in sorted(processes, key=lambda n: before.get(n, 0.0) - after.get(n, 0.0)):
            used = (after.get(name, 0.0) - before.get(name, 0.0)) * 1000 / max(load.requests, 1)
            if used < 0.05:
                continue
            split = shares(sorted(folders[name].glob("*.txt")))
            parts = ", ".join(
                f"{layer} {used * share:.2f}" for layer, share in sorted(split.items(), key=lambda kv: -kv[1])
            )
            print(f"{name:<14}{used:>15.2f}  {parts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
