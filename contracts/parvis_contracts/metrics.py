"""Prometheus metrics: every entrypoint's calls, latency and errors, per method, and the
calls refused before any worker ran (``parvis_rpc_refused_total``).

Add ``metrics = Metrics()`` to a service class; the runner exposes the
registry over HTTP on ``PARVIS_METRICS_PORT`` (``/metrics``).
"""

from __future__ import annotations

import time
import weakref

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Histogram

from .logs import outcome_of

#: ``outcome``: ``ok``, ``expected`` (a ParvisError below 500: not found, forbidden...) or ``fault``
CALLS = Counter("parvis_rpc_calls_total", "Entrypoint calls handled", ["service", "method", "outcome"])
LATENCY = Histogram(
    "parvis_rpc_duration_seconds",
    "Entrypoint handling time",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter("parvis_rpc_errors_total", "Entrypoint errors by type", ["service", "method", "error"])
#: counted by the RPC entrypoint (``parvis_contracts.entrypoints``) for every call whose
#: caller context it refuses; reasons: ``parvis_contracts.context.REASONS``
REFUSED = Counter(
    "parvis_rpc_refused_total",
    "RPC calls refused before any service code ran, by the reason their caller context failed",
    ["service", "method", "reason"],
)


class Metrics(DependencyProvider):
    def __init__(self):
        self.started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        start = self.started.pop(worker_ctx, None)
        service = self.container.service_name
        method = worker_ctx.entrypoint.method_name
        if start is not None:
            LATENCY.labels(service, method).observe(time.perf_counter() - start)
        # an answer given on purpose (NotFound, Forbidden...) is not an error: ``expected``,
        # as the worker's log line says; ``fault`` is what an alert should watch
        CALLS.labels(service, method, outcome_of(exc_info[1] if exc_info else None)).inc()
        if exc_info is not None:
            ERRORS.labels(service, method, exc_info[0].__name__).inc()

    def get_dependency(self, worker_ctx):
        return None
