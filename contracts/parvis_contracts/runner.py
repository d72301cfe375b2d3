"""Run one service process: ``python -m parvis_contracts.runner services.identity.service:IdentityService``.

Patches eventlet, logs in ``PARVIS_LOG_FORMAT`` (JSON lines by default, see
:mod:`parvis_contracts.logs`), builds the nameko config from the environment, exposes
Prometheus metrics on ``PARVIS_METRICS_PORT`` (127.0.0.1 unless
``PARVIS_METRICS_HOST`` says otherwise; 0 disables), and stops gracefully on
SIGTERM/SIGINT: in-flight workers finish, then the process exits.
The gauge ``parvis_service_ready`` is 1 from the moment the service consumes
its queues until it starts stopping: ``python -m parvis_contracts.probe``
reads it (a container platform's readiness probe).
Several processes of one service share its queues (competing consumers).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402  (must run before anything imports socket/threading)

import argparse  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from . import logs, settings  # noqa: E402
from .config import nameko_config  # noqa: E402


def load_class(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", help="module:Class of the nameko service")
    args = parser.parse_args(argv)

    logs.configure()  # PARVIS_LOG_FORMAT lines on stderr, PARVIS_LOG_LEVEL
    cls = load_class(args.service)
    logs.set_service(cls.name)
    from prometheus_client import Gauge

    ready = Gauge("parvis_service_ready", "1 while the service consumes its queues", ["service"])
    port = settings.value("PARVIS_METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        start_http_server(port, addr=settings.value("PARVIS_METRICS_HOST"))

    runner = ServiceRunner(nameko_config(cls.name))
    runner.add_service(cls)
    stopping = eventlet.Event()

    def _stop(signum, _frame):
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner.start()
    ready.labels(cls.name).set(1)
    logging.getLogger("parvis").info("%s started (metrics port %s)", cls.name, port or "off")
    runner_thread = eventlet.spawn(runner.wait)
    while not stopping.ready() and not runner_thread.dead:
        eventlet.sleep(0.2)
    ready.labels(cls.name).set(0)
    if stopping.ready():
        with eventlet.Timeout(settings.value("PARVIS_STOP_TIMEOUT"), False):
            runner.stop()
        runner.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
