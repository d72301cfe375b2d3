"""Run the benchmarks and rewrite docs/performance.md.

    python -m bench [--quick] [--db sqlite|postgresql|both] [--size default|full|200k]
                    [--only baselines,gateway,timeline,post,mix,scaleout,growth,
                           translation,notifications] [--no-write]

Every run first measures its baselines (bare Flask under the gateway's gunicorn
settings, raw kombu request/reply, raw disk writes), then starts the platform
(deploy.launcher.Platform) on a RabbitMQ vhost and databases of its own, in a
temporary var dir, and runs the scenarios against it with wrk on loopback. The
figures are ratios to the baselines of the same run plus p50/p95/p99 latencies.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shlex
import shutil
import sys
import time
import traceback
import warnings
from pathlib import Path

from . import baselines, growth, notifications, scenarios, translation, world
from .report import Report
from .support import ROOT, BenchPlatform, Settings, ensure_wrk, machine_description, postgresql_available

SCENARIOS = (
    "baselines",
    "rpc",
    "gateway",
    "timeline",
    "post",
    "mix",
    "scaleout",
    "growth",
    "translation",
    "notifications",
)
PLATFORM_SCENARIOS = SCENARIOS[2:]  # all but the baselines run on the platform


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="short runs and small data (minutes, not tens of minutes)"
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--size",
        default="default",
        help="growth data: default (100k posts; 20k with --quick), full (1M), or a post count like 300k",
    )
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated scenarios among {', '.join(SCENARIOS)} "
        f"(baselines always run: the ratios need them)",
    )
    parser.add_argument("--duration", type=float, help="seconds of load per measurement")
    parser.add_argument("--connections", type=int, help="wrk connections for throughput runs")
    parser.add_argument("--communities", type=int, help="communities of the timeline member (default 20)")
    parser.add_argument("--posts", type=int, help="posts written before the timeline runs")
    parser.add_argument("--rpc-calls", type=int, help="RPC baseline: calls one in flight")
    parser.add_argument(
        "--fan-out-members", type=int, help="members of the big community (notifications; default 10,000)"
    )
    parser.add_argument("--announcements", type=int, help="announcements in each community (notifications)")
    parser.add_argument(
        "--output",
        default=str(ROOT / "docs" / "performance.md"),
        help="the page to rewrite (default docs/performance.md)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    args.only_set = only or set(SCENARIOS)
    return args


def quiet() -> None:
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    for name in ("alembic", "amqp", "parvis.launcher", "parvis.seed", "kombu", "nameko"):
        logging.getLogger(name).setLevel(logging.ERROR)


def run_platform(db: str, settings: Settings, report: Report, wanted: set) -> None:
    report.db = db
    report.say(f"== platform on {db}")
    with BenchPlatform(db, settings) as bp:
        w = world.build(bp, settings)

        def attempt(name, fn, *args):
            """One scenario; a failure is reported and the run goes on with the next."""
            try:
                return fn(*args)
            except Exception as exc:  # reported, not hidden
                report.note(f"[{db}] {name} failed: {type(exc).__name__}: {str(exc)[:300]}")
                traceback.print_exc()
                return None

        def idle():
            # background work of earlier steps (e.g. translating new posts) would load
            # the next measurement: wait until every queue is empty
            if not bp.wait_idle():
                report.note(f"[{db}] the platform's queues were still busy after 240 s")

        timeline = None
        if "gateway" in wanted:
            idle()
            attempt("gateway", scenarios.gateway, bp, w, settings, report)
        if "timeline" in wanted or "post" in wanted:
            idle()
            timeline = attempt("timeline", scenarios.timeline, bp, w, settings, report)
        if "post" in wanted and timeline:
            idle()
            attempt("post", scenarios.posting, bp, w, settings, report, timeline["p95"])
        if "mix" in wanted:
            idle()
            attempt("mix", scenarios.mix, bp, w, settings, report)
        if "scaleout" in wanted:
            idle()
            attempt("scale-out", scenarios.scaleout, bp, w, settings, report)
        if "translation" in wanted:
            idle()
            attempt("translation", translation.run, bp, w, settings, report)
        if "notifications" in wanted:
            idle()
            attempt("notifications", notifications.run, bp, settings, report)
        if "growth" in wanted:
            idle()
            attempt("growth", growth.run, bp, settings, report)


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    quiet()
    settings = Settings.make(args.quick, args.size)
    for name in ("duration", "connections", "communities", "fan_out_members", "announcements"):
        if getattr(args, name):
            setattr(settings, name, getattr(args, name))
    if args.posts:
        settings.seed_posts = args.posts
    if args.rpc_calls:
        settings.rpc_calls = args.rpc_calls
    if args.duration:
        settings.rpc_seconds = min(settings.rpc_seconds, args.duration)
    # the context secret and anything else a process writes go to the run's own dir
    os.environ["PARVIS_VAR_DIR"] = str(settings.work_dir / "var")
    command = "python -m bench " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    report = Report(command=command.strip(), machine=machine_description())
    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    ensure_wrk()
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in dbs and not postgresql_available():
        report.note("PostgreSQL at 127.0.0.1:5432 is not reachable: its runs are skipped.")
        dbs.remove("postgresql")
    wanted = args.only_set
    try:
        report.db = "-"
        report.say("== baselines")
        baselines.bare_flask(settings, report)
        if wanted & {"baselines", "rpc"}:
            baselines.rpc(settings, report)
        baselines.disk(settings, report)
        if wanted & set(PLATFORM_SCENARIOS):
            for db in dbs:
                run_platform(db, settings, report, wanted)
    finally:
        shutil.rmtree(settings.work_dir, ignore_errors=True)
    seconds = time.monotonic() - t0
    missed = [t for t in report.targets if t.met is False]
    report.say(f"== {len(report.targets)} targets, {len(missed)} missed, {seconds:.0f} s")
    if not args.no_write:
        report.write(Path(args.output), started, seconds)
        report.say(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
