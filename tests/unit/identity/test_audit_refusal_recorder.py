"""The gateway's refused-request recorder: bounded, secret-free, never in a request's way.

A real Flask app with a recording stand-in for the RPC client (no broker); what identity
does with a batch is tested in test_audit.py and, end to end, in the service tier.
"""

import pytest

from gateway import refusals
from parvis_contracts.blobs import LocalBlobStore
from parvis_contracts.context import KIND_SYSTEM, verify


class Client:
    def __init__(self, fail=False):
        self.calls = []
        self.fail = fail

    def call(self, service, method, token, /, **kwargs):
        if self.fail:
            raise ConnectionError("broker away")
        self.calls.append((service, method, verify(token).kind, kwargs))
        return {}


@pytest.fixture
def app(tmp_path):
    from gateway.app import create_app

    client = Client()
    app = create_app(
        {"RPC_CLIENT": client, "TESTING": True, "BLOB_STORE": LocalBlobStore(tmp_path / "blobs")}
    )
    app.extensions[refusals.EXTENSION] = refusals.RefusalRecorder(client, interval=3600)
    return app


def sent(app):
    client = app.extensions[refusals.EXTENSION].client
    return [item for *_, kwargs in client.calls for item in kwargs["refusals"]]


def test_refused_requests_are_counted_by_route_rule_and_sent_as_the_system(app):
    http = app.test_client()
    token = "secret-invitation-token-123"
    for _ in range(3):
        assert http.get("/api/v1/me").status_code == 401
    assert http.get("/api/v1/admin/audit?cursor=abc").status_code == 401
    assert http.post(f"/invitations/{token}", data={"password": "x"}).status_code == 403
    assert http.get("/api/v1/nowhere").status_code == 404  # not a refusal
    recorder = app.extensions[refusals.EXTENSION]
    assert recorder.flush() == 5
    [(service, method, kind, _)] = recorder.client.calls
    assert (service, method, kind) == ("identity", "record_refusals", KIND_SYSTEM)
    items = {(i["method"], i["route"], i["status"]): i for i in sent(app)}
    assert items[("GET", "/api/v1/me", 401)]["count"] == 3
    assert ("GET", "/api/v1/admin/audit", 401) in items
    csrf = items[("POST", "/invitations/<string:token>", 403)]
    assert csrf["reason"] == "csrf"
    assert token not in str(sent(app)) and "abc" not in str(sent(app))
    assert recorder.flush() == 0  # nothing twice


def test_distinct_refusals_are_bounded_and_a_failed_send_is_dropped():
    client = Client(fail=True)
    recorder = refusals.RefusalRecorder(client, interval=3600, max_keys=10)
    for n in range(1000):
        recorder.note(f"10.0.{n // 250}.{n % 250}", None, "GET", "/api/v1/me", 401)
    assert len(recorder.pending) == 11  # 10, and one overflow entry
    assert recorder.pending[(None, None, "*", "*", 401, "overflow")] == 990
    assert recorder.flush() == 0 and recorder.failed == 1
    assert recorder.pending == {}  # dropped, memory stays flat


def test_one_background_thread_sends_what_accumulates():
    from tests.support import wait_until

    client = Client()
    recorder = refusals.RefusalRecorder(client, interval=0.05)
    recorder.note("10.0.0.1", "p-1", "GET", "/api/v1/admin/audit", 403)
    wait_until(lambda: client.calls, timeout=10)
    thread = recorder.thread
    recorder.note("10.0.0.2", None, "GET", "/api/v1/me", 401)
    wait_until(lambda: len(client.calls) == 2, timeout=10)
    assert recorder.thread is thread and thread.is_alive()  # one thread, kept
    assert client.calls[0][3]["refusals"][0]["user_id"] == "p-1"
    assert client.calls[1][3]["refusals"][0]["route"] == "/api/v1/me"
