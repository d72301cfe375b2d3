"""gunicorn settings of the gateway (``gunicorn --config python:deploy.gunicorn_conf``).

Command-line options (bind, workers, threads) given by the launcher or the
container entrypoint take precedence over the defaults here.
"""

import os

from parvis_contracts import logs, settings

worker_class = "gthread"
workers = settings.value("PARVIS_GATEWAY_WORKERS")
threads = settings.value("PARVIS_GATEWAY_THREADS")
bind = settings.value("PARVIS_BIND", caller="gunicorn")
graceful_timeout = 20
timeout = 60
keepalive = 5
# a worker's temporary heartbeat file in memory, not on a possibly slow disk
# (bandit B108 flags the fixed path: it holds gunicorn's heartbeat files only)
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # nosec B108
# every line (the app's, one per request with its X-Request-Id, and gunicorn's own) in
# PARVIS_LOG_FORMAT (JSON by default) on stderr, at PARVIS_LOG_LEVEL; no separate access log
logconfig_dict = logs.dict_config("gateway")


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the shared Prometheus directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
