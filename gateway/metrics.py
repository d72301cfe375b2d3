"""Prometheus metrics of the gateway.

Under gunicorn with several worker processes, set ``PROMETHEUS_MULTIPROC_DIR``
(an empty directory, wiped at each start, and ``child_exit`` calling
``prometheus_client.multiprocess.mark_process_dead``): every worker writes its
samples there and ``/metrics`` aggregates them. Without it the default
registry of the process is exposed.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

REQUESTS = Counter(
    "parvis_gateway_requests_total", "HTTP requests answered by the gateway", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "parvis_gateway_request_duration_seconds",
    "Time to answer an HTTP request",
    ["endpoint", "method"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RPC_CALLS = Counter(
    "parvis_gateway_rpc_calls_total",
    "RPC calls the gateway sent, by service and method (what a page costs the services)",
    ["service", "method"],
)
IDENTITY_MEMORY = Counter(
    "parvis_gateway_identity_memory_total",
    "Sessions and cards the gateway found in its memory of identity (hit) or asked identity for (miss)",
    ["kind", "outcome"],
)
RPC_ERRORS = Counter(
    "parvis_gateway_rpc_errors_total",
    "RPC calls from the gateway that failed, by error type",
    ["service", "method", "error"],
)


def exposition() -> tuple[bytes, str]:
    """The metrics text and its content type (aggregated across processes if configured)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
