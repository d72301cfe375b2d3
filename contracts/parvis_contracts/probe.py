"""Readiness probe of one service process: exit 0 when it consumes its queues.

``python -m parvis_contracts.probe [--port 9100]`` reads the process's own
metrics endpoint on 127.0.0.1 and looks for ``parvis_service_ready ... 1.0``
(set by :mod:`parvis_contracts.runner`). An RPC would not do: replicas share
their queue, so another replica could answer for a process that is stuck.
"""

from __future__ import annotations

import argparse
import sys
import urllib.request

from . import settings


def ready(metrics_text: str) -> bool:
    """True when the exposition text carries a ``parvis_service_ready`` sample of 1."""
    for line in metrics_text.splitlines():
        if line.startswith("parvis_service_ready{") or line.startswith("parvis_service_ready "):
            try:
                if float(line.rsplit(" ", 1)[1]) == 1.0:
                    return True
            except ValueError:
                continue
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=settings.value("PARVIS_METRICS_PORT", caller="probe"))
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    url = f"http://127.0.0.1:{args.port}/metrics"
    try:
        # a fixed http:// URL on loopback, never a user-supplied scheme
        with urllib.request.urlopen(url, timeout=args.timeout) as response:  # nosec B310
            text = response.read().decode("utf-8", "replace")
    except OSError as exc:
        print(f"not ready: {url}: {exc}", file=sys.stderr)
        return 1
    if ready(text):
        return 0
    print("not ready: parvis_service_ready is not 1", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
