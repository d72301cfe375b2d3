"""Memory of a document upload: does a 1 GB upload cost the gateway more than a 1 MB one?

    python -m bench.upload_memory [--big-mb 1024] [--small-mb 1]

Starts the whole platform (its own vhost, SQLite databases and var dir, local-disk
blobs), creates a community, then uploads through the REST API a small file and a
big one, both generated on the fly by the client (never held in memory: a
file-like object that makes its bytes as they are read, sent with Content-Length).
Before each upload the peak-RSS mark of every gateway worker process and of the
documents service is reset (``/proc/<pid>/clear_refs``); after it, each process's
peak (``VmHWM``) is read. Prints the peaks, the difference big - small and the
ratio, and whether the difference stays within the 16 MB budget. Then downloads
the big file and checks its SHA-256 while reading the same peaks.

Linux only (``/proc``). Nothing but 127.0.0.1 is contacted; every wait is bounded.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import sys
import time
from pathlib import Path

import requests

from .support import BenchPlatform, Settings, wait_for

BUDGET_MB = 16.0
BLOCK = 1024 * 1024


class Generated(io.RawIOBase):
    """``size`` bytes made on the fly (a repeated pseudo-random block), hashed as read."""

    def __init__(self, size: int, seed: int = 7):
        self.size = size
        self.sent = 0
        state = seed
        block = bytearray(BLOCK)
        for i in range(BLOCK):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            block[i] = state >> 16 & 0xFF
        self.block = bytes(block)
        self.hasher = hashlib.sha256()

    def __len__(self) -> int:
        return self.size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self.sent
        n = min(n, self.size - self.sent, BLOCK)
        if n <= 0:
            return b""
        offset = self.sent % BLOCK
        piece = self.block[offset : offset + n]
        if len(piece) < n:
            piece += self.block[: n - len(piece)]
        self.sent += n
        self.hasher.update(piece)
        return piece


# ---------------------------------------------------------------- /proc


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for {pid}")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def reset_peak(pid: int) -> bool:
    """Set the peak-RSS mark back to the current RSS (Linux >= 4.0, same user or root)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(pids: dict[str, int], action) -> dict[str, dict]:
    """Run ``action``; for each process: RSS before, peak during (MB)."""
    resettable = all(reset_peak(pid) for pid in pids.values())
    before = {name: rss_kb(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    return {
        "_seconds": elapsed,
        "_reset": resettable,
        **{
            name: {"rss_before_mb": before[name] / 1024, "peak_mb": peak_kb(pid) / 1024}
            for name, pid in pids.items()
        },
    }


# ---------------------------------------------------------------- the run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-mb", type=int, default=1)
    parser.add_argument("--big-mb", type=int, default=1024)
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").exists():
        print("needs Linux /proc", file=sys.stderr)
        return 2

    big_bytes = args.big_mb * BLOCK
    os.environ["PARVIS_DOCUMENTS_MAX_BYTES"] = str(big_bytes + BLOCK)  # inherited by children
    os.environ.pop("PARVIS_BLOB_BACKEND", None)  # local disk
    settings = Settings.make(quick=True, size="default")
    try:
        results, pids = run(settings, args, big_bytes)
    finally:
        shutil.rmtree(settings.work_dir, ignore_errors=True)  # the big file goes too
    report(results, args, pids)
    worst = max(results["big"][name]["peak_mb"] - results["small"][name]["peak_mb"] for name in pids)
    return 0 if worst <= BUDGET_MB else 1


def run(settings: Settings, args, big_bytes: int) -> tuple[dict, dict]:
    with BenchPlatform("sqlite", settings) as bp:
        platform = bp.platform
        gateway = next(c for c in platform.children if c.name == "gateway")
        documents = next(c for c in platform.children if c.service == "documents")
        workers = wait_for(lambda: children_of(gateway.pid), 30, what="gateway workers")
        pids = {f"gateway-worker-{i + 1}": pid for i, pid in enumerate(sorted(workers))}
        pids["documents-service"] = documents.pid

        admin = bp.api("admin")
        community = admin.ok(
            "POST",
            "/api/v1/communities",
            json={"name": "Upload bench", "kind": "project", "visibility": "private"},
        )
        cid = community["id"]
        wait_for(
            lambda: admin.get(f"/api/v1/communities/{cid}/documents").status_code == 200,
            30,
            interval=0.3,
            what="documents read model",
        )
        # warm every worker up (imports, first RPC, catalogues) before measuring
        for _ in range(8):
            admin.get(f"/api/v1/communities/{cid}/documents")

        results = {}
        for label, size in (("small", args.small_mb * BLOCK), ("big", big_bytes)):
            body = Generated(size)
            answer = {}

            def upload(body=body, answer=answer, label=label):
                response = admin.session.post(
                    f"{bp.base_url}/api/v1/communities/{cid}/documents",
                    params={"name": f"{label}.bin"},
                    data=body,
                    timeout=900,
                    headers={"Content-Type": "application/octet-stream"},
                )
                if response.status_code != 201:
                    raise RuntimeError(f"upload {label}: HTTP {response.status_code} {response.text[:300]}")
                answer.update(response.json())

            results[label] = measure(pids, upload)
            if answer["sha256"] != body.hasher.hexdigest() or answer["size"] != size:
                raise RuntimeError(f"{label}: the stored file differs from what was sent")
            results[label]["_doc"] = answer

        big_doc = results["big"]["_doc"]

        def download():
            hasher, total = hashlib.sha256(), 0
            with requests.get(
                f"{bp.base_url}/api/v1/documents/{big_doc['id']}/download",
                headers=admin.headers,
                stream=True,
                timeout=900,
            ) as response:
                response.raise_for_status()
                for chunk in response.iter_content(BLOCK):
                    hasher.update(chunk)
                    total += len(chunk)
            if hasher.hexdigest() != big_doc["sha256"] or total != big_bytes:
                raise RuntimeError("the downloaded file differs from the upload")

        results["download"] = measure(pids, download)
    return results, pids


def report(results: dict, args, pids: dict) -> None:
    print(f"# upload memory: {args.small_mb} MB vs {args.big_mb} MB, generated on the fly")
    print(f"peak marks reset before each step: {results['small']['_reset']}")
    print(
        f"{'process':22} {'peak 1 MB':>10} {'peak big':>10} {'big - small':>12} "
        f"{'ratio':>7} {'peak download':>14}"
    )
    for name in pids:
        small = results["small"][name]["peak_mb"]
        big = results["big"][name]["peak_mb"]
        down = results["download"][name]["peak_mb"]
        print(f"{name:22} {small:9.1f}M {big:9.1f}M {big - small:+11.1f}M {big / small:7.3f} {down:13.1f}M")
    seconds = results["big"]["_seconds"]
    print(
        f"big upload: {seconds:.1f} s ({args.big_mb / seconds:.0f} MB/s); "
        f"download: {results['download']['_seconds']:.1f} s"
    )
    worst = max(results["big"][n]["peak_mb"] - results["small"][n]["peak_mb"] for n in pids)
    verdict = "within" if worst <= BUDGET_MB else "OVER"
    print(f"largest growth big - small: {worst:+.1f} MB ({verdict} the {BUDGET_MB:.0f} MB budget)")


if __name__ == "__main__":
    sys.exit(main())
