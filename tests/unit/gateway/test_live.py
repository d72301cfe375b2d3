"""The live hub's rules without a broker: where a page finds its stream, what the hub's
WSGI side answers whom, and what a stream sends when (gateway/live). Its run against the
real services is tests/service/test_live_hub.py."""

from __future__ import annotations

import json

import pytest

from gateway import live, security
from gateway.auth import SESSION_COOKIE
from gateway.live.hub import Hub, Stream, frame
from gateway.live.server import LiveApp, _Body, bind_host
from parvis_contracts.context import verify
from parvis_contracts.errors import Unauthenticated

PERSON = {"id": "p-1", "org_id": "org-1", "roles": ["member"], "guest": False}


# --- where a page finds its stream ------------------------------------------------------


@pytest.fixture
def unset(monkeypatch):
    for name in ("PARVIS_LIVE_URL", "PARVIS_LIVE_PORT", "PARVIS_PORT", "PARVIS_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_by_default_the_page_s_host_at_the_next_port_over_plain_http(unset):
    assert live.stream_url("127.0.0.1:8000", secure=False) == "http://127.0.0.1:8001/live/notifications"
    unset.setenv("PARVIS_PORT", "9000")
    assert live.stream_url("social.test:9000", secure=False) == "http://social.test:9001/live/notifications"
    unset.setenv("PARVIS_LIVE_PORT", "9999")
    assert live.stream_url("[::1]:9000", secure=False) == "http://[::1]:9999/live/notifications"
    # an HTTPS page could not reach a plain-HTTP hub: no stream rather than a blocked one
    assert live.stream_url("social.test", secure=True) is None


def test_the_configured_address_wins_and_off_turns_it_off(unset):
    unset.setenv("PARVIS_LIVE_URL", "https://social.example.com/")
    assert live.stream_url("anything:8000", secure=True) == "https://social.example.com/live/notifications"
    unset.setenv("PARVIS_LIVE_URL", "off")
    assert live.stream_url("127.0.0.1:8000", secure=False) is None
    assert live.origin("http://[::1]:8001/live/notifications") == "http://[::1]:8001"


def test_the_pages_policy_lets_their_script_reach_the_hub_and_nothing_else():
    assert "connect-src 'self';" in security.CONTENT_SECURITY_POLICY
    policy = security.content_security_policy(connect=("http://127.0.0.1:8001",))
    assert "connect-src 'self' http://127.0.0.1:8001;" in policy
    assert policy.replace(" http://127.0.0.1:8001", "") == security.CONTENT_SECURITY_POLICY


def test_the_hub_listens_on_the_gateway_s_host():
    assert bind_host("127.0.0.1") == "127.0.0.1"
    assert bind_host("0.0.0.0:8000") == "0.0.0.0"  # nosec B104 (a parsed value)
    assert bind_host("[::]:8000") == "::"


# --- a hub without a broker ---------------------------------------------------------------


class FakeCalls:
    """identity and notifications as the hub asks them: who holds which session, counts."""

    def __init__(self):
        self.sessions = {"good": {"session_id": "s-1", "valid_until": None, "person": PERSON}}
        self.counts = {"p-1": 0}
        self.asked: list[str] = []

    def call(self, token, service, method, **kwargs):
        self.asked.append(f"{service}.{method}")
        caller = verify(token)
        if method == "resolve_session":
            assert caller.kind == "anonymous" and kwargs["touch"] is False
            if kwargs["session_token"] not in self.sessions:
                raise Unauthenticated("Your session has ended.")
            return self.sessions[kwargs["session_token"]]
        assert (service, method) == ("notifications", "unread_count")
        assert caller.kind == "person" and caller.session_id == "s-1"  # as the gateway signs it
        return {"unread": self.counts[caller.user_id]}


class FakeListener:
    live = True


def make_hub(calls=None, max_streams=10, max_per_person=2) -> Hub:
    hub = Hub(
        calls or FakeCalls(), max_streams=max_streams, max_per_person=max_per_person, check_seconds=3600
    )
    hub.hearing = True
    return hub


def app_for(hub, public_url=None) -> LiveApp:
    return LiveApp(hub, FakeListener(), gateway_port=8000, public_url=public_url)


def call(app, path="/live/notifications", method="GET", **headers):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_HOST": "127.0.0.1:8001"}
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    answer = {}

    def start_response(status, response_headers):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

    answer["body"] = app(environ, start_response)
    return answer


def test_no_session_no_stream_and_the_answer_is_the_platforms_error_shape():
    app = app_for(make_hub())
    for headers in ({}, {"cookie": f"{SESSION_COOKIE}=gone"}, {"authorization": "Bearer gone"}):
        answer = call(app, origin="http://127.0.0.1:8000", **headers)
        assert answer["status"] == 401, headers
        assert json.loads(b"".join(answer["body"]))["error"]["code"] == "unauthenticated"
        assert answer["headers"]["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"


def test_cors_for_the_gateway_s_origins_only():
    app = app_for(make_hub(), public_url="https://social.example.com")
    for origin in ("http://127.0.0.1:8000", "https://social.example.com"):
        answer = call(app, method="OPTIONS", origin=origin)
        assert answer["status"] == 204
        assert answer["headers"]["Access-Control-Allow-Origin"] == origin
        assert answer["headers"]["Access-Control-Allow-Credentials"] == "true"
    for origin in ("http://127.0.0.1:8001", "https://evil.example", "null", "http://127.0.0.1"):
        answer = call(app, origin=origin, cookie=f"{SESSION_COOKIE}=good")
        assert answer["status"] == 403, origin
        assert "Access-Control-Allow-Origin" not in answer["headers"]


def test_a_stream_opens_for_a_session_and_gives_its_seat_back_however_it_ends():
    hub = make_hub()
    answer = call(app_for(hub), cookie=f"{SESSION_COOKIE}=good")
    assert answer["status"] == 200
    assert answer["headers"]["Content-Type"].startswith("text/event-stream")
    assert isinstance(answer["body"], _Body) and hub.open == 1
    answer["body"].close()  # the server never read it: the seat comes back all the same
    assert hub.open == 0 and hub.by_person == {}


def test_caps_per_person_and_in_total_tell_the_browser_to_come_back_later():
    hub = make_hub(max_streams=3, max_per_person=2)
    app = app_for(hub)
    opened = [call(app, cookie=f"{SESSION_COOKIE}=good") for _ in range(2)]
    assert [a["status"] for a in opened] == [200, 200]
    third = call(app, cookie=f"{SESSION_COOKIE}=good")
    # a 200 that only says when to come back: an error status would stop EventSource for good
    assert third["status"] == 200 and hub.open == 2
    body = b"".join(third["body"]).decode()
    assert body.startswith("retry: ") and 45_000 <= int(body.split()[1]) <= 75_000
    hub.calls.sessions["other"] = {"session_id": "s-2", "person": {**PERSON, "id": "p-2"}}
    hub.calls.counts["p-2"] = 0
    assert call(app, cookie=f"{SESSION_COOKIE}=other")["status"] == 200 and hub.open == 3
    hub.calls.asked.clear()
    full = call(app, cookie=f"{SESSION_COOKIE}=other")
    assert full["status"] == 200 and hub.calls.asked == []  # refused before asking anyone
    for answer in opened:
        answer["body"].close()
    assert hub.open == 1


def test_a_stream_sends_the_count_at_once_then_each_change_and_ends_with_its_session():
    calls = FakeCalls()
    hub = make_hub(calls)
    stream = Stream("good", calls.sessions["good"])
    assert hub.admit(stream)
    frames = hub.run(stream)
    assert next(frames) == b"retry: 2000\n\n"
    assert next(frames) == frame("unread", {"unread": 0})
    calls.counts["p-1"] = 3
    hub.unread_changed(["someone-else", "p-1"])
    assert next(frames) == b'event: unread\ndata: {"unread":3}\n\n'
    # an identity event about the person: the session is checked at once; it ended
    del calls.sessions["good"]
    hub.person_changed("p-1")
    assert next(frames) == frame("signed-out", {})
    with pytest.raises(StopIteration):
        next(frames)
    assert hub.open == 0


def test_stopping_ends_every_stream():
    calls = FakeCalls()
    hub = make_hub(calls)
    stream = Stream("good", calls.sessions["good"])
    hub.admit(stream)
    frames = hub.run(stream)
    next(frames), next(frames)
    hub.close_all()
    with pytest.raises(StopIteration):
        next(frames)
    assert hub.open == 0 and hub.full()
