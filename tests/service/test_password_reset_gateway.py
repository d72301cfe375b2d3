"""Password reset through the gateway (API and pages), on the real identity service.

Issue 13: "password reset by e-mail: a single-use token, 30 minutes, throttled, the same
answer whether the address exists or not, every session ended after a reset"; "an expired
reset token: a clear 4xx, nothing changed". The mail itself is the notifications service's:
here the link's token is read from the ``identity.password_reset_requested`` event on a queue
of the test's own, as the mailer would. Identity runs in a nameko container on this test's
vhost with the test's clock (so a link expires without waiting). The rules one by one:
``tests/unit/identity/test_password_reset.py``. Also: ``identity.mail_profiles`` refused on the
bus to people and visitors, and ``person_invited`` published when an admin creates an account.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from babel.support import Translations
from kombu import Connection
from sqlalchemy import select
from test_gateway import csrf_from

from gateway import refusals
from gateway.app import create_app
from gateway.calls import identity as identity_calls
from gateway.i18n import TRANSLATIONS_DIR
from parvis_contracts import context as ctx
from parvis_contracts import events as ev
from parvis_contracts.db import make_engine
from parvis_contracts.errors import Forbidden, Unauthenticated, ValidationFailed
from parvis_contracts.topology import declare_topology
from services.identity.models import metadata
from services.identity.service import IdentityService
from tests.support import FakeClock, bootstrap_acme, clock_from, event_reader, wait_until

ADMIN_EMAIL, PASSWORD = "admin@acme.example", "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
API = "/api/v1"
CLOCK = FakeClock()


class IdentityWithTestClock(IdentityService):
    clock = clock_from(CLOCK)


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def identity_events(broker):
    """A queue of the test's own bound to every identity event (before identity starts)."""
    yield from event_reader(broker, "identity")


@pytest.fixture
def identity(start_service, rpc, tokens, identity_events):
    CLOCK.now = datetime.now(UTC).replace(microsecond=0)
    container = start_service(IdentityWithTestClock, migrate="identity")
    container.boot = bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    return container


@pytest.fixture
def app(identity, rpc):
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    mind = app.extensions[identity_calls.EXTENSION]
    if mind.session_seconds:
        wait_until(mind.hearing, timeout=15)  # the old session is refused through the memory
    yield app
    refusals.recorder(app).flush()


def sign_in(client, email, password=PASSWORD):
    response = client.post(f"{API}/auth/sign-in", json={"email": email, "password": password})
    client.csrf = (response.get_json() or {}).get("csrf_token")
    return response


@pytest.fixture
def admin(app):
    client = app.test_client()
    assert sign_in(client, ADMIN_EMAIL).status_code == 200
    return client


def create_person(admin, email, name, **fields):
    body = {"email": email, "display_name": name, "password": PASSWORD, **fields}
    response = admin.post(f"{API}/admin/people", json=body, headers={"X-CSRF-Token": admin.csrf})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def next_events(read, event, count=1, timeout=10.0) -> list[dict]:
    """The payloads of the next ``count`` events of ``event`` (others are skipped)."""
    found, deadline = [], time.time() + timeout
    while len(found) < count and time.time() < deadline:
        for envelope in read(1, timeout=max(0.1, deadline - time.time())):
            if envelope.type == event.key:
                found.append(envelope.data)
    return found


def no_more_events(read, event, wait=1.5) -> bool:
    return next_events(read, event, 1, timeout=wait) == []


def assert_error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message", "details"}
    assert body["error"]["status"] == status and body["error"]["message"]
    return body["error"]


def outbox_payloads(identity, event) -> list[dict]:
    engine = make_engine(identity.db_url)
    try:
        t = metadata.tables["outbox"]
        with engine.connect() as conn:
            return [
                dict(row.payload, published=row.published_at is not None)
                for row in conn.execute(select(t).where(t.c.event_type == event.name).order_by(t.c.id))
            ]
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the API


def test_request_event_confirm_old_session_refused_new_password_signs_in(
    app, admin, identity, identity_events
):
    eli = create_person(admin, "eli@acme.example", "Eli Employee", preferred_language="fr")["person"]
    old = app.test_client()
    assert sign_in(old, "eli@acme.example").status_code == 200
    assert old.get(f"{API}/me").status_code == 200
    next_events(identity_events, ev.IDENTITY_USER_CREATED)

    visitor = app.test_client()
    asked = visitor.post(f"{API}/auth/password-reset", json={"email": "ELI@acme.example"})
    unknown = visitor.post(f"{API}/auth/password-reset", json={"email": "nobody@acme.example"})
    assert asked.status_code == unknown.status_code == 202
    assert asked.get_json() == unknown.get_json() == {"requested": True}

    (event,) = next_events(identity_events, ev.IDENTITY_PASSWORD_RESET_REQUESTED)
    assert no_more_events(identity_events, ev.IDENTITY_PASSWORD_RESET_REQUESTED)  # none for nobody
    token = event["token"]
    assert {k: v for k, v in event.items() if k != "token"} == {
        "user_id": eli["id"],
        "email": "eli@acme.example",
        "display_name": "Eli Employee",
        "language": "fr",
        "expires_at": event["expires_at"],
    }
    expires = datetime.fromisoformat(event["expires_at"])
    assert (expires - CLOCK.now).total_seconds() == 30 * 60
    # once published, identity's outbox keeps no token, address or name
    wait_until(
        lambda: all(p["published"] for p in outbox_payloads(identity, ev.IDENTITY_PASSWORD_RESET_REQUESTED))
    )
    (stored,) = outbox_payloads(identity, ev.IDENTITY_PASSWORD_RESET_REQUESTED)
    assert stored["token"] is stored["email"] is stored["display_name"] is None
    assert stored["user_id"] == eli["id"]

    info = visitor.get(f"{API}/auth/password-reset/{token}")
    assert info.status_code == 200
    assert info.get_json() == {
        "display_name": "Eli Employee",
        "masked_email": "e…@acme.example",
        "expires_at": expires.isoformat(),
    }
    weak = assert_error(visitor.post(f"{API}/auth/password-reset/{token}", json={"password": "short"}), 422)
    assert "password" in weak["details"]
    assert old.get(f"{API}/me").status_code == 200  # nothing changed yet

    done = visitor.post(f"{API}/auth/password-reset/{token}", json={"password": NEW_PASSWORD})
    assert done.status_code == 204
    assert_error(old.get(f"{API}/me"), 401)  # every session ended
    assert sign_in(app.test_client(), "eli@acme.example", PASSWORD).status_code == 401
    fresh = app.test_client()
    assert sign_in(fresh, "eli@acme.example", NEW_PASSWORD).status_code == 200
    assert fresh.get(f"{API}/me").get_json()["id"] == eli["id"]

    # single use: the same link again is the 404 of an unknown one
    again = assert_error(visitor.post(f"{API}/auth/password-reset/{token}", json={"password": "x" * 12}), 404)
    unknown_link = assert_error(
        visitor.post(f"{API}/auth/password-reset/nope", json={"password": "x" * 12}), 404
    )
    assert again == unknown_link
    assert "expired" in again["message"]
    assert_error(visitor.get(f"{API}/auth/password-reset/{token}"), 404)


def test_an_expired_link_is_a_404_and_changes_nothing(app, admin, identity_events):
    create_person(admin, "eli@acme.example", "Eli Employee")
    visitor = app.test_client()
    assert visitor.post(f"{API}/auth/password-reset", json={"email": "eli@acme.example"}).status_code == 202
    (event,) = next_events(identity_events, ev.IDENTITY_PASSWORD_RESET_REQUESTED)
    CLOCK.advance(minutes=30)
    assert_error(visitor.get(f"{API}/auth/password-reset/{event['token']}"), 404)
    assert_error(
        visitor.post(f"{API}/auth/password-reset/{event['token']}", json={"password": NEW_PASSWORD}), 404
    )
    assert sign_in(app.test_client(), "eli@acme.example", PASSWORD).status_code == 200


def test_requests_are_throttled_per_address_silently_and_per_ip_with_429(app, admin, identity_events):
    create_person(admin, "eli@acme.example", "Eli Employee")
    visitor = app.test_client()
    for _ in range(5):
        response = visitor.post(f"{API}/auth/password-reset", json={"email": "eli@acme.example"})
        assert response.status_code == 202 and response.get_json() == {"requested": True}
    assert len(next_events(identity_events, ev.IDENTITY_PASSWORD_RESET_REQUESTED, count=4, timeout=5)) == 3
    for i in range(15):  # 20 requests from this address in all
        assert (
            visitor.post(f"{API}/auth/password-reset", json={"email": f"p{i}@acme.example"}).status_code
            == 202
        )
    refused = visitor.post(f"{API}/auth/password-reset", json={"email": "eli@acme.example"})
    error = assert_error(refused, 429)
    assert error["code"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60


def test_the_request_is_validated(app):
    visitor = app.test_client()
    assert_error(visitor.post(f"{API}/auth/password-reset", json={}), 422)
    assert_error(visitor.post(f"{API}/auth/password-reset", json={"email": "x" * 300}), 422)


# ---------------------------------------------------------------- the pages, in four languages


def translations(lang):
    return Translations.load(str(TRANSLATIONS_DIR), [lang])


def assert_translated(response, lang, msgid, **params):
    html = response.get_data(as_text=True)
    translated = translations(lang).gettext(msgid)
    if params:
        translated = translated % params
    if lang != "en":
        assert translated != msgid, f"{msgid!r} has no {lang} translation"
    assert f'<html lang="{lang}">' in html
    assert translated in html or translated.replace("'", "&#39;") in html, (lang, translated)


@pytest.mark.parametrize("lang", ["fr", "en", "es", "de"])
def test_the_pages_in_each_language(app, admin, identity_events, lang):
    create_person(admin, f"eli-{lang}@acme.example", "Eli Employee")
    old = app.test_client()
    assert sign_in(old, f"eli-{lang}@acme.example").status_code == 200
    visitor = app.test_client()
    sign_in_page = visitor.get("/sign-in", query_string={"lang": lang})
    assert 'href="/password-reset"' in sign_in_page.get_data(as_text=True)
    assert_translated(sign_in_page, lang, "Forgot your password?")

    form = visitor.get("/password-reset", query_string={"lang": lang})
    assert form.status_code == 200
    assert_translated(form, lang, "Send me a link")
    missing = visitor.post(
        "/password-reset", query_string={"lang": lang}, data={"csrf_token": csrf_from(form)}
    )
    assert missing.status_code == 400
    assert_translated(missing, lang, "Enter your e-mail address.")
    without_csrf = visitor.post("/password-reset", data={"email": f"eli-{lang}@acme.example"})
    assert without_csrf.status_code == 403
    sent = {}
    for email in (f"eli-{lang}@acme.example", f"nobody-{lang}@acme.example"):
        sent[email] = visitor.post(
            "/password-reset",
            query_string={"lang": lang},
            data={"csrf_token": csrf_from(form), "email": email},
        )
        assert sent[email].status_code == 200
        assert_translated(sent[email], lang, "Check your e-mail")
    known, unknown = (response.get_data(as_text=True) for response in sent.values())
    assert known.replace(f"eli-{lang}", "X") == unknown.replace(f"nobody-{lang}", "X")  # the same page
    (event,) = next_events(identity_events, ev.IDENTITY_PASSWORD_RESET_REQUESTED)

    link = f"/password-reset/{event['token']}"
    page = visitor.get(link, query_string={"lang": lang})
    assert page.status_code == 200
    assert_translated(page, lang, "Set my new password")
    assert "Eli Employee" in page.get_data(as_text=True)
    differ = visitor.post(
        link,
        query_string={"lang": lang},
        data={"csrf_token": csrf_from(page), "password": NEW_PASSWORD, "confirm_password": "something else"},
    )
    assert differ.status_code == 422
    assert_translated(differ, lang, "The two passwords differ.")
    done = visitor.post(
        link,
        query_string={"lang": lang},
        data={"csrf_token": csrf_from(page), "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/sign-in")
    signed_out = visitor.get("/sign-in", query_string={"lang": lang})
    assert_translated(signed_out, lang, "Your password is changed. Sign in with your new password.")
    assert_error(old.get(f"{API}/me"), 401)
    assert sign_in(app.test_client(), f"eli-{lang}@acme.example", NEW_PASSWORD).status_code == 200

    for dead in (link, "/password-reset/no-such-token"):
        invalid = visitor.get(dead, query_string={"lang": lang})
        assert invalid.status_code == 404
        assert_translated(
            invalid, lang, "This password reset link is unknown, already used or expired. Ask for a new one."
        )
        assert 'href="/password-reset"' in invalid.get_data(as_text=True)


# ---------------------------------------------------------------- for the mail: invitations, profiles


def test_an_invitation_publishes_person_invited_with_the_link_token(app, admin, identity, identity_events):
    created = admin.post(
        f"{API}/admin/people",
        json={"email": "ivy@acme.example", "display_name": "Ivy Invited", "preferred_language": "es"},
        headers={"X-CSRF-Token": admin.csrf},
    ).get_json()
    (event,) = next_events(identity_events, ev.IDENTITY_PERSON_INVITED)
    assert event["token"] == created["invitation_token"]
    assert created["invitation_url"].endswith(f"/invitations/{event['token']}")
    assert (event["user_id"], event["email"], event["language"], event["guest"], event["org_name"]) == (
        created["person"]["id"],
        "ivy@acme.example",
        "es",
        False,
        "Acme",
    )
    assert event["invited_by"] == identity.boot["admin"]["id"] and event["invited_by_name"] == "Ada Admin"
    wait_until(lambda: all(p["published"] for p in outbox_payloads(identity, ev.IDENTITY_PERSON_INVITED)))
    (stored,) = outbox_payloads(identity, ev.IDENTITY_PERSON_INVITED)
    assert stored["token"] is None and stored["email"] is None
    page = app.test_client().get(f"/invitations/{event['token']}")
    assert page.status_code == 200 and "Ivy Invited" in page.get_data(as_text=True)


def test_mail_profiles_for_the_platform_only(identity, rpc, tokens):
    admin = identity.boot["admin"]
    found = rpc.call("identity", "mail_profiles", tokens.system(), person_ids=[admin["id"], "nobody"])
    assert found == {
        admin["id"]: {
            "email": ADMIN_EMAIL,
            "display_name": "Ada Admin",
            "language": "en",
            "time_zone": None,
            "active": True,
        }
    }
    as_admin = ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON, user_id=admin["id"], org_id=admin["org_id"], roles=frozenset(admin["roles"])
        )
    )
    with pytest.raises(Forbidden):
        rpc.call("identity", "mail_profiles", as_admin, person_ids=[admin["id"]])
    with pytest.raises(Unauthenticated):
        rpc.call("identity", "mail_profiles", tokens.anonymous(), person_ids=[admin["id"]])
    with pytest.raises(ValidationFailed):
        rpc.call("identity", "mail_profiles", tokens.system(), person_ids=["x"] * 1001)
