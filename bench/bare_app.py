"""The bare-Flask baseline: one JSON endpoint, nothing else (no auth, no RPC).

Served by gunicorn with the gateway's settings (``deploy/gunicorn_conf.py``, same
worker class, workers and threads), loaded by the same generator: the gateway's
throughput is reported as a ratio to this one.
"""
from flask import Flask, jsonify


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/json")
    def hello():
        return jsonify(ok=True, items=[{"id": str(i), "title": "hello"} for i in range(3)])

    return app
