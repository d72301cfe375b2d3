"""The bare-Flask baselines: a JSON endpoint with nothing else (no auth, no RPC), and the
matched floor of one hop: the same endpoint after one raw kombu request/reply.

Served by gunicorn with the gateway's settings (``deploy/gunicorn_conf.py``, same
worker class, workers and threads), loaded by the same generator: the gateway's
throughput is reported as a ratio to both. ``/kombu`` sends one transient request to
the raw echo server of ``bench.rpc_roundtrip`` on ``BENCH_ECHO_URI`` and waits for its
reply, through a connection and reply queue kept per thread (as the gateway keeps its
RPC proxies): what one AMQP hop costs with nothing of nameko or Parvis around it.
"""

import os
import threading

from flask import Flask, jsonify

_local = threading.local()


def _echo_client():
    client = getattr(_local, "client", None)
    if client is None:
        from bench.rpc_roundtrip import RawClient

        client = _local.client = RawClient(os.environ["BENCH_ECHO_URI"], persistent=False)
    return client


def _body():
    return jsonify(ok=True, items=[{"id": str(i), "title": "hello"} for i in range(3)])


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/json")
    def hello():
        return _body()

    @app.get("/kombu")
    def one_hop():
        _echo_client().call_one()
        return _body()

    return app
