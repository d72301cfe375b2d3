"""The benchmark suite runs: ``python -m bench`` on tiny sizes prints ratio lines
and writes the generated block of the performance page (no timing is asserted:
benchmarks print figures, tests check that they are produced)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import BEGIN, END
from tests.support import PG_ADMIN_URL, use_postgresql

ROOT = Path(__file__).resolve().parent.parent.parent
RATIO = re.compile(
    r"^ratio \[(?P<db>[^\]]+)\] (?P<label>.+) = (?P<value>\d+\.\d+)x "
    r"\(target (?:<=|>=) [\d.]+x\) (?:met|MISSED)$",
    re.M,
)


@pytest.mark.slow
def test_bench_quick_run_prints_ratios_and_writes_the_page(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text(
        "# Performance\n\nintro\n\n" + BEGIN + "\nold\n" + END + "\n\n## What it shows\n\nhand-written\n"
    )
    db = "postgresql" if use_postgresql() else "sqlite"
    env = dict(os.environ, PARVIS_BENCH_PG_URL=PG_ADMIN_URL)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--db",
            db,
            "--only",
            "baselines,timeline,notifications",
            "--duration",
            "1",
            "--communities",
            "2",
            "--posts",
            "4",
            "--rpc-calls",
            "30",
            "--fan-out-members",
            "300",
            "--announcements",
            "2",
            "--output",
            str(page),
        ],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    ratios = {m["label"]: float(m["value"]) for m in RATIO.finditer(proc.stdout)}
    assert any(label.startswith("nameko RPC p50 vs raw kombu") for label in ratios), proc.stdout
    # a ratio line for the timeline; its value is a measurement, not asserted
    assert any(label.startswith("home timeline") for label in ratios), proc.stdout
    assert "SQL statements per page" in proc.stdout
    assert any(label.startswith("announcement in a community of 300") for label in ratios), proc.stdout
    text = page.read_text()
    assert "old" not in text and "hand-written" in text and "intro" in text
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert "python -m bench --quick" in block
    assert re.search(
        rf"\| {db} \| timeline \| home timeline.* matched floor \| \d+\.\d+x \| >= 0\.6x \|", block
    )
    assert "| - | rpc |" in block
    assert re.search(rf"\| {db} \| notifications \| announcement to 300 members: .*\| <= 30 s \|", block)
