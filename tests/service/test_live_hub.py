"""The live hub (gateway/live) as it runs: its own process (``python -m gateway.live``) on a
free loopback port, identity, communities, feed and notifications on the real RabbitMQ,
people signed in through the gateway app with real session cookies. The stream is read
with http.client, as a browser's EventSource reads it: nothing is mocked.

The promise of issue 13: the bell's count changes within 2 seconds of the notification
being written, without a reload; a page that is not signed in gets nothing.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from test_gateway import API, write
from test_notifications import network, post  # noqa: F401  (the fixture, and a helper)

from deploy.launcher import free_port
from gateway.auth import SESSION_COOKIE
from gateway.live import PATH
from services.identity.service import IdentityService
from tests.support import wait_until

ROOT = Path(__file__).resolve().parents[2]
#: what a read of the stream waits at most: longer than any event expected in a test
READ_TIMEOUT = 8.0


class Hub:
    """``python -m gateway.live`` on loopback, for the gateway served at ``gateway_port``."""

    def __init__(self, amqp_uri: str, log_path: Path):
        self.port, self.gateway_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("PARVIS_PUBLIC_URL", "PARVIS_LIVE_URL")}
        env.update(
            PARVIS_AMQP_URI=amqp_uri,
            PARVIS_PORT=str(self.gateway_port),
            PARVIS_LOG_FORMAT="text",
            PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        )
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.live", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                cwd=str(ROOT),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def get(self, path: str, headers=None, method="GET") -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=READ_TIMEOUT)
        connection.request(method, path, headers=headers or {})
        return connection.getresponse()

    def answers(self, path: str) -> int | None:
        try:
            return self.get(path).status
        except OSError:
            assert self.process.poll() is None, self.log_path.read_text()
            return None

    def stop(self, timeout: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise


@pytest.fixture
def start_hub(vhost, tmp_path):
    hubs = []

    def start(ready: str = "/readyz") -> Hub:
        hub = Hub(vhost.uri, tmp_path / f"live-{len(hubs)}.log")
        hubs.append(hub)
        wait_until(lambda: hub.answers(ready) == 200, timeout=20, interval=0.1)
        return hub

    yield start
    for hub in hubs:
        hub.stop()


class Stream:
    """An open stream, read by a thread of its own: each event with the moment it arrived."""

    def __init__(self, response: http.client.HTTPResponse):
        self.response = response
        self.lines: list[str] = []
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name, data = None, []
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\r\n")
                self.lines.append(line)
                if line.startswith("event:"):
                    name = line.partition(":")[2].strip()
                elif line.startswith("data:"):
                    data.append(line.partition(":")[2].strip())
                elif line == "" and name:
                    self.events.put((name, json.loads("\n".join(data)), time.time()))
                    name, data = None, []
        except OSError:
            pass
        self.events.put(("<end>", None, time.time()))

    def next(self, timeout: float = READ_TIMEOUT):
        """The next event (bounded): ``(name, data, arrival time)``."""
        return self.events.get(timeout=timeout)


def open_stream(hub: Hub, client) -> Stream:
    token = client.get_cookie(SESSION_COOKIE).value
    response = hub.get(
        PATH,
        {"Cookie": f"{SESSION_COOKIE}={token}", "Origin": hub.origin, "Accept": "text/event-stream"},
    )
    assert response.status == 200, response.read()
    assert response.getheader("Content-Type").startswith("text/event-stream")
    assert response.getheader("Access-Control-Allow-Origin") == hub.origin
    assert response.getheader("Access-Control-Allow-Credentials") == "true"
    return Stream(response)


def test_the_bell_rings_within_two_seconds_of_the_notification_and_the_stream_ends_with_the_session(
    network, start_hub, monkeypatch
):
    app, people, clients, cid = network
    olivia, louise = clients["olivia"], clients["louise"]
    hub = start_hub()
    # the gateway's page names the hub's stream, and its policy lets the page reach it
    monkeypatch.setenv("PARVIS_LIVE_PORT", str(hub.port))
    page = olivia.get("/")  # served as http://localhost/ by the test client
    url = re.search(r'data-live-url="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert url == f"http://localhost:{hub.port}{PATH}"
    assert f"connect-src 'self' http://localhost:{hub.port};" in page.headers["Content-Security-Policy"]

    stream = open_stream(hub, olivia)
    assert stream.next()[:2] == ("unread", {"unread": 0})
    assert stream.lines[0] == "retry: 2000"

    mention = post(louise, cid, f"Bonjour @[Olivia Owens]({people['olivia']['id']}), le devis ?")
    name, data, arrived = stream.next()
    assert (name, data) == ("unread", {"unread": 1})
    (item,) = [i for i in olivia.get(f"{API}/notifications").get_json()["items"] if not i["read"]]
    assert item["post_id"] == mention["id"]
    written = datetime.fromisoformat(item["created_at"]).timestamp()
    assert arrived - written <= 2.0, f"the count came {arrived - written:.2f}s after the notification"

    # read on another page: this one hears it too
    assert write(olivia, "POST", f"{API}/notifications/read-all").get_json() == {"marked": 1}
    assert stream.next()[:2] == ("unread", {"unread": 0})

    # signed out elsewhere: the stream says so and ends (identity's event, no 30 s wait)
    louise_stream = open_stream(hub, louise)
    assert louise_stream.next()[:2] == ("unread", {"unread": 0})
    signed_out = write(olivia, "POST", f"{API}/auth/sign-out")
    assert signed_out.status_code in (200, 204), signed_out.get_data(as_text=True)
    assert stream.next(timeout=5)[0] == "signed-out"
    assert stream.next(timeout=5)[0] == "<end>"
    # and its cookie opens no stream any more
    token = olivia.get_cookie(SESSION_COOKIE)
    if token is not None:
        refused = hub.get(PATH, {"Cookie": f"{SESSION_COOKIE}={token.value}", "Origin": hub.origin})
        assert refused.status == 401

    # SIGTERM: the open streams end (browsers reconnect within 2 s) and the hub exits
    assert hub.stop(timeout=10) == 0
    assert louise_stream.next(timeout=5)[0] == "<end>"


def test_no_stream_without_a_session_nor_for_another_origin(start_service, start_hub):
    start_service(IdentityService)
    hub = start_hub(ready="/livez")
    anonymous = hub.get(PATH, {"Origin": hub.origin})
    assert anonymous.status == 401
    assert json.loads(anonymous.read())["error"]["code"] == "unauthenticated"
    # the browser may read the refusal: CORS for the gateway's origin, with credentials
    assert anonymous.getheader("Access-Control-Allow-Origin") == hub.origin
    assert anonymous.getheader("Access-Control-Allow-Credentials") == "true"
    forged = hub.get(PATH, {"Cookie": f"{SESSION_COOKIE}=not-a-session", "Origin": hub.origin})
    assert forged.status == 401
    # another site's page: refused before anything is asked, and no CORS grant
    foreign = hub.get(PATH, {"Cookie": f"{SESSION_COOKIE}=x", "Origin": "http://evil.example"})
    assert foreign.status == 403 and foreign.getheader("Access-Control-Allow-Origin") is None
    other_port = hub.get(PATH, {"Origin": f"http://127.0.0.1:{hub.port}"})
    assert other_port.status == 403
    preflight = hub.get(PATH, {"Origin": hub.origin}, method="OPTIONS")
    assert preflight.status == 204
    assert preflight.getheader("Access-Control-Allow-Origin") == hub.origin
