"""Sessions through the gateway, on the real identity service whose clock the test moves.

Issue 7: "a fresh session id at sign-in, idle and absolute timeouts (shorter for guests),
revocation on deactivation and on guest removal at the next request; CSRF refused without
token or from a foreign Origin". The Flask app is driven with its test client; identity runs
in a nameko container on this run's vhost with a :class:`~tests.support.FakeClock` in place
of its clock (the only difference from production). The gateway remembers sessions while it
hears identity's events (``gateway/calls/identity.py``): the app waits until it hears them, so
the revocation tests below go through that memory. The timeout tests move identity's clock,
which the gateway's own clock does not follow: they turn the memory off
(``identity_asked_every_time``) and so test identity's rules alone.
A guest removed from a community while signed in is covered by the access matrix
(``tests/service/test_authz_matrix.py``, state ``guest_removed``).
"""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway import refusals
from gateway.app import create_app
from gateway.calls import identity as identity_calls
from services.identity.service import IdentityService
from tests.support import FakeClock, bootstrap_acme, clock_from, wait_until

ADMIN_EMAIL, PASSWORD = "admin@acme.example", "correct horse battery"
API = "/api/v1"
COOKIE = "parvis_session"
OWN = "http://localhost"
FOREIGN = "http://evil.example"
CLOCK = FakeClock()


class IdentityWithTestClock(IdentityService):
    clock = clock_from(CLOCK)


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def identity(start_service, rpc, tokens):
    # real time, so that the cookies the test client keeps have not expired yet
    CLOCK.now = datetime.now(UTC).replace(microsecond=0)
    container = start_service(IdentityWithTestClock, migrate="identity")
    container.boot = bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    return container


@pytest.fixture
def identity_asked_every_time(monkeypatch):
    """No memory of sessions in the gateway (ask before ``app``): for tests moving identity's clock."""
    monkeypatch.setenv("PARVIS_GATEWAY_SESSION_CACHE_SECONDS", "0")


@pytest.fixture
def app(identity, rpc):
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    mind = app.extensions[identity_calls.EXTENSION]
    if mind.session_seconds:
        wait_until(mind.hearing, timeout=15)
    yield app
    refusals.recorder(app).flush()  # nothing left for after this test's broker is gone


def sign_in(client, email, password=PASSWORD, **extra):
    response = client.post(f"{API}/auth/sign-in", json={"email": email, "password": password, **extra})
    assert response.status_code == 200, response.get_json()
    client.csrf = response.get_json()["csrf_token"]
    return response.get_json()


def cookie(client) -> str | None:
    found = client.get_cookie(COOKIE)
    return found.value if found else None


def write(client, method, path, csrf=None, **kwargs):
    headers = kwargs.pop("headers", {})
    headers.setdefault("X-CSRF-Token", csrf or client.csrf)
    return client.open(path, method=method, headers=headers, **kwargs)


def bearer(app, token, path=f"{API}/me"):
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})


def me(client):
    return client.get(f"{API}/me")


def assert_error(response, status, reason=None):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "details"}
    assert body["error"]["status"] == status and body["error"]["message"]
    if reason is not None:
        assert body["error"]["details"] == {"reason": reason}
    return body


@pytest.fixture
def admin(app):
    client = app.test_client()
    sign_in(client, ADMIN_EMAIL)
    return client


def create_person(admin_client, email, name, **fields):
    body = {"email": email, "display_name": name, "password": PASSWORD, **fields}
    response = write(admin_client, "POST", f"{API}/admin/people", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["person"]


def create_guest(admin_client, email, name):
    org = write(
        admin_client,
        "POST",
        f"{API}/organisations",
        json={"name": "Partner Co", "kind": "partner", "country": "DE"},
    )
    assert org.status_code == 201, org.get_json()
    return create_person(admin_client, email, name, org_id=org.get_json()["id"])


def presession_token(client) -> str:
    page = client.get("/sign-in")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    start = html.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    return html[start : html.index('"', start)]


# ---------------------------------------------------------------- a fresh session at sign-in


def test_signing_in_again_gives_a_new_token_and_ends_the_replaced_session(app, admin):
    first, first_csrf = cookie(admin), admin.csrf
    sign_in(admin, ADMIN_EMAIL)
    second = cookie(admin)
    assert second and second != first and admin.csrf != first_csrf
    assert_error(bearer(app, first), 401)  # the replaced session is over
    assert me(admin).status_code == 200
    # the CSRF token of the replaced session does not carry over to the new one
    assert_error(write(admin, "PATCH", f"{API}/me", csrf=first_csrf, json={"job_title": "X"}), 403, "csrf")
    assert write(admin, "PATCH", f"{API}/me", json={"job_title": "Y"}).status_code == 200


def test_html_sign_in_as_someone_else_replaces_the_session(app, admin):
    create_person(admin, "bea@acme.example", "Bea Berg")
    before = cookie(admin)
    html = admin.get("/people").get_data(as_text=True)
    start = html.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    token = html[start : html.index('"', start)]
    done = admin.post(
        "/sign-in", data={"csrf_token": token, "email": "bea@acme.example", "password": PASSWORD}
    )
    assert done.status_code == 302
    assert cookie(admin) not in (None, before)
    assert me(admin).get_json()["email"] == "bea@acme.example"
    assert_error(bearer(app, before), 401)


def test_a_cookie_planted_before_sign_in_is_never_promoted(app, admin):
    """Session fixation: whatever the browser held, sign-in answers a token identity chose."""
    create_person(admin, "vic@acme.example", "Vic Victim")
    # a value the attacker made up
    victim = app.test_client()
    victim.set_cookie(COOKIE, "attacker-chosen-" + "a" * 40)
    token = presession_token(victim)  # the dead cookie is cleared, the page shows
    assert (
        victim.post(
            "/sign-in", data={"csrf_token": token, "email": "vic@acme.example", "password": PASSWORD}
        ).status_code
        == 302
    )
    assert cookie(victim) != "attacker-chosen-" + "a" * 40
    assert me(victim).get_json()["email"] == "vic@acme.example"
    assert_error(bearer(app, "attacker-chosen-" + "a" * 40), 401)
    # a real session of the attacker's own account, planted in the victim's browser
    attacker = sign_in(app.test_client(), ADMIN_EMAIL, issue_token=True)["token"]
    victim = app.test_client()
    victim.set_cookie(COOKIE, attacker)
    sign_in(victim, "vic@acme.example")
    assert cookie(victim) != attacker
    assert me(victim).get_json()["email"] == "vic@acme.example"
    # the planted token never became the victim's session (it was ended when replaced)
    assert_error(bearer(app, attacker), 401)


def test_the_pre_sign_in_csrf_token_is_not_valid_once_signed_in(app):
    client = app.test_client()
    before = presession_token(client)
    assert (
        client.post(
            "/sign-in", data={"csrf_token": before, "email": ADMIN_EMAIL, "password": PASSWORD}
        ).status_code
        == 302
    )
    refused = client.post("/sign-out", data={"csrf_token": before})
    assert refused.status_code == 403
    assert me(client).status_code == 200


# ---------------------------------------------------------------- idle and absolute timeouts


def test_a_session_idle_for_more_than_two_hours_is_over(identity_asked_every_time, app, admin):
    CLOCK.advance(hours=2)
    assert me(admin).status_code == 200  # exactly at the limit
    CLOCK.advance(hours=2, seconds=1)
    assert_error(me(admin), 401)
    page = admin.get("/people")
    assert page.status_code == 302 and "/sign-in" in page.headers["Location"]
    assert any(h.startswith(f"{COOKIE}=;") for h in page.headers.getlist("Set-Cookie"))


def test_activity_keeps_a_session_but_not_past_twelve_hours(identity_asked_every_time, app, admin):
    start = CLOCK.now
    for _ in range(6):  # a request every 1 h 55: never idle
        CLOCK.advance(hours=1, minutes=55)
        assert me(admin).status_code == 200
    CLOCK.now = start + timedelta(hours=12) - timedelta(seconds=1)
    assert me(admin).status_code == 200
    CLOCK.advance(seconds=1)
    assert_error(me(admin), 401)


def test_a_guest_session_lasts_eight_hours_an_employee_session_twelve(identity_asked_every_time, app, admin):
    create_guest(admin, "gus@partner.example", "Gus Guest")
    create_person(admin, "eve@acme.example", "Eve Employee")
    start = CLOCK.now
    guest, employee = app.test_client(), app.test_client()
    guest_session = sign_in(guest, "gus@partner.example")
    employee_session = sign_in(employee, "eve@acme.example")
    for client, session, hours in ((guest, guest_session, 8), (employee, employee_session, 12)):
        expires = datetime.fromisoformat(session["expires_at"].replace("Z", "+00:00"))
        assert expires == start + timedelta(hours=hours)
        assert client.get_cookie(COOKIE).expires.replace(tzinfo=UTC) == expires
    for hour in range(1, 13):
        CLOCK.now = start + timedelta(hours=hour)
        assert (me(guest).status_code == 200) is (hour < 8), hour
        assert (me(employee).status_code == 200) is (hour < 12), hour


# ---------------------------------------------------------------- revocation at the next request


def test_deactivation_ends_cookie_and_bearer_sessions_at_the_next_request(app, admin):
    kim = create_person(admin, "kim@acme.example", "Kim Kraft")
    browser = app.test_client()
    sign_in(browser, "kim@acme.example")
    token = sign_in(app.test_client(), "kim@acme.example", issue_token=True)["token"]
    assert me(browser).status_code == 200 and bearer(app, token).status_code == 200
    done = write(admin, "POST", f"{API}/admin/people/{kim['id']}/deactivate")
    assert done.status_code == 200
    assert_error(me(browser), 401)
    assert_error(bearer(app, token), 401)


def test_a_guest_whose_access_the_admin_ends_is_out_at_the_next_request(app, admin):
    guest = create_guest(admin, "ola@partner.example", "Ola Guest")
    client = app.test_client()
    sign_in(client, "ola@partner.example")
    assert me(client).status_code == 200
    yesterday = (CLOCK.now.date() - timedelta(days=1)).isoformat()
    ended = write(
        admin, "PUT", f"{API}/admin/people/{guest['id']}/guest-expiry", json={"guest_expires_at": yesterday}
    )
    assert ended.status_code == 200, ended.get_json()
    assert_error(me(client), 401)


def test_a_role_taken_away_applies_at_the_next_request(app, admin):
    lou = create_person(admin, "lou@acme.example", "Lou Lang", roles=["member", "global_community_manager"])
    client = app.test_client()
    sign_in(client, "lou@acme.example")
    assert client.get(f"{API}/admin/audit").status_code == 200
    changed = write(admin, "PUT", f"{API}/admin/people/{lou['id']}/roles", json={"roles": ["member"]})
    assert changed.status_code == 200, changed.get_json()
    assert_error(client.get(f"{API}/admin/audit"), 403)
    assert me(client).status_code == 200  # the session itself goes on


# ---------------------------------------------------------------- CSRF and origin

CSRF_CASES = {
    # name: (how the token is chosen, extra headers, reason)
    "missing token": ("none", {}, "csrf"),
    "wrong token": ("wrong", {}, "csrf"),
    "token of another session of the same person": ("same_person", {}, "csrf"),
    "token of another person's session": ("other_person", {}, "csrf"),
    "pre-sign-in token": ("presession", {}, "csrf"),
    "foreign Origin": ("right", {"Origin": FOREIGN}, "origin"),
    "another port": ("right", {"Origin": "http://localhost:8001"}, "origin"),
    "null Origin": ("right", {"Origin": "null"}, "origin"),
    "no Origin, foreign Referer": ("right", {"Referer": f"{FOREIGN}/page"}, "origin"),
    "no Origin, Referer not a URL": ("right", {"Referer": "not a url"}, "origin"),
}


@pytest.fixture
def victim(app, admin):
    """A signed-in browser with the tokens the cases need."""
    create_person(admin, "una@acme.example", "Una Other")
    client = app.test_client()
    client.presession = presession_token(client)
    sign_in(client, ADMIN_EMAIL)
    client.tokens = {
        "none": None,
        "wrong": "x" * 43,
        "right": client.csrf,
        "presession": client.presession,
        "same_person": sign_in(app.test_client(), ADMIN_EMAIL)["csrf_token"],
        "other_person": sign_in(app.test_client(), "una@acme.example")["csrf_token"],
    }
    return client


@pytest.mark.parametrize("case", list(CSRF_CASES))
def test_a_cookie_api_write_is_refused(victim, case):
    which, headers, reason = CSRF_CASES[case]
    token = victim.tokens[which]
    if token is not None:
        headers = {**headers, "X-CSRF-Token": token}
    refused = victim.patch(f"{API}/me", json={"job_title": "Forged"}, headers=headers)
    assert_error(refused, 403, reason)
    assert me(victim).get_json()["job_title"] != "Forged"


@pytest.mark.parametrize("case", list(CSRF_CASES))
def test_a_cookie_html_form_is_refused(victim, case):
    which, headers, reason = CSRF_CASES[case]
    token = victim.tokens[which]
    data = {} if token is None else {"csrf_token": token}
    page = victim.post("/sign-out", data=data, headers=headers)
    assert page.status_code == 403
    assert 'data-testid="error-page"' in page.get_data(as_text=True)
    as_json = victim.post("/sign-out", data=data, headers={**headers, "Accept": "application/json"})
    assert_error(as_json, 403, reason)
    assert me(victim).status_code == 200  # still signed in: nothing happened


@pytest.mark.parametrize(
    "case", ["missing token", "wrong token", "foreign Origin", "null Origin", "no Origin, foreign Referer"]
)
def test_the_sign_in_form_is_refused(app, case):
    which, headers, reason = CSRF_CASES[case]
    client = app.test_client()
    token = {"none": None, "wrong": "x" * 43, "right": presession_token(client)}[which]
    data = {"email": ADMIN_EMAIL, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    refused = client.post("/sign-in", data=data, headers={**headers, "Accept": "application/json"})
    assert_error(refused, 403, reason)
    assert cookie(client) is None


def test_same_origin_writes_go_through(victim):
    """The controls: the right token with our Origin, our Referer, or neither header."""
    for headers in ({"Origin": OWN}, {"Referer": f"{OWN}/me/edit"}, {}):
        done = victim.patch(
            f"{API}/me", json={"job_title": "Fine"}, headers={**headers, "X-CSRF-Token": victim.csrf}
        )
        assert done.status_code == 200, (headers, done.get_json())
    signed_out = victim.post("/sign-out", data={"csrf_token": victim.csrf}, headers={"Referer": f"{OWN}/"})
    assert signed_out.status_code == 302
    assert_error(me(victim), 401)
