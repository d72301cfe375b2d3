"""The audit log and idle-guest expiry through the gateway, on the real identity service.

The Flask app is driven with its test client; every RPC goes to the real identity
service on this run's vhost. Time is not faked here: an idle guest is made idle by
ageing their rows in identity's database, then the service's own maintenance timer
entrypoint runs (``entrypoint_hook``), as it would at its next tick.
"""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import update

from gateway import refusals
from gateway.app import create_app
from parvis_contracts.db import make_engine
from services.identity.models import Person, SessionRecord
from services.identity.service import IdentityService
from tests.support import bootstrap_acme

ADMIN_EMAIL, PASSWORD = "admin@acme.example", "correct horse battery"
API = "/api/v1"


@pytest.fixture
def identity(start_service, rpc, tokens):
    container = start_service(IdentityService)
    container.boot = bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    return container


@pytest.fixture
def app(identity, rpc):
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    yield app
    refusals.recorder(app).flush()  # nothing left for after this test's broker is gone


def sign_in(client, email, password=PASSWORD, status=200):
    response = client.post(
        f"{API}/auth/sign-in", json={"email": email, "password": password, "issue_token": True}
    )
    assert response.status_code == status, response.get_json()
    if status == 200:
        client.csrf = response.get_json()["csrf_token"]
    return response.get_json()


def write(client, method, path, **kwargs):
    return client.open(path, method=method, headers={"X-CSRF-Token": client.csrf}, **kwargs)


def person(admin, email, name, **fields):
    response = write(
        admin,
        "POST",
        f"{API}/admin/people",
        json={"email": email, "display_name": name, "password": PASSWORD, **fields},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["person"]


def audit(client, **query):
    response = client.get(f"{API}/admin/audit", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def all_rows(client):
    items, cursor = [], None
    for _ in range(50):
        page = audit(client, limit=200, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("the audit log does not end")


@pytest.fixture
def admin(app):
    client = app.test_client()
    client.signed = sign_in(client, ADMIN_EMAIL)
    return client


def test_sign_ins_appear_to_admins_and_non_admins_get_403(app, admin):
    emp = person(admin, "eli@acme.example", "Eli Employee")
    eli = app.test_client()
    failed = sign_in(eli, "eli@acme.example", "not the password", status=401)
    assert failed["error"]["code"] == "unauthenticated"
    signed = sign_in(eli, "eli@acme.example")

    rows = audit(admin, subject=emp["id"])["items"]
    actions = [r["action"] for r in rows]
    assert actions[:3] == ["sign_in", "sign_in_failed", "person_created"]  # newest first
    assert rows[0]["subject_name"] == "Eli Employee" and rows[0]["details"]["ip"]
    assert rows[1]["details"]["reason"] == "bad_credentials"
    assert rows[2]["actor_id"] == admin.signed["person"]["id"]
    only = audit(admin, action="sign_in_failed")["items"]
    assert {r["action"] for r in only} == {"sign_in_failed"}

    # a non-admin: 403 on the API and on the page; a visitor: 401
    refused = eli.get(f"{API}/admin/audit")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert eli.get("/admin/audit").status_code == 403
    assert app.test_client().get(f"{API}/admin/audit").status_code == 401
    bad = admin.get(f"{API}/admin/audit", query_string={"action": "nope", "limit": 0})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]) == {"action", "limit"}

    # the refusals reach the log (batched by the gateway, sent here at once)
    refusals.recorder(app).flush()
    refused_rows = audit(admin, action="access_refused")["items"]
    by_route = {(r["details"]["route"], r["details"]["status"]): r for r in refused_rows}
    mine = by_route[("/api/v1/admin/audit", 403)]
    assert mine["actor_id"] == emp["id"] and mine["count"] == 1
    assert by_route[("/admin/audit", 403)]["count"] == 1
    assert ("/api/v1/admin/audit", 401) in by_route

    # no password, session token, CSRF token or cookie in any row
    text = json.dumps(all_rows(admin))
    for secret in (
        PASSWORD,
        "not the password",
        signed["token"],
        signed["csrf_token"],
        admin.signed["token"],
        admin.signed["csrf_token"],
    ):
        assert secret not in text
    for word in ("password", "token", "cookie", "csrf", "session_id"):
        assert word not in text.lower()


def test_the_audit_page_is_linked_from_the_admin_pages_and_lists_events(admin):
    people_page = admin.get("/admin/people").get_data(as_text=True)
    assert 'data-testid="admin-tab-audit"' in people_page and 'href="/admin/audit"' in people_page
    admin.get("/logout-does-not-exist")  # nothing recorded for a 404
    page = admin.get("/admin/audit?lang=fr")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Journal d&#39;audit" in html or "Journal d'audit" in html
    assert 'data-action="sign_in"' in html
    filtered = admin.get("/admin/audit", query_string={"action": "roles_changed"})
    assert 'data-testid="audit-empty"' in filtered.get_data(as_text=True)
    assert admin.get("/admin/audit", query_string={"action": "nope"}).status_code == 422


def test_an_idle_guest_is_expired_by_the_timer_and_an_admin_can_reactivate(app, admin, identity, rpc, tokens):
    partner = write(
        admin, "POST", f"{API}/organisations", json={"name": "Partner Co", "kind": "partner", "country": "DE"}
    ).get_json()
    guest = person(admin, "gwen@partner.example", "Gwen Guest", org_id=partner["id"])
    gwen = app.test_client()
    signed = sign_in(gwen, "gwen@partner.example")
    assert gwen.get(f"{API}/me").status_code == 200

    # ninety-one days without being seen (PARVIS_GUEST_INACTIVE_DAYS defaults to 90)
    long_ago = datetime.now(UTC) - timedelta(days=91)
    engine = make_engine(identity.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(Person)
                .where(Person.id == guest["id"])
                .values(updated_at=long_ago, created_at=long_ago)
            )
            conn.execute(
                update(SessionRecord)
                .where(SessionRecord.person_id == guest["id"])
                .values(last_seen_at=long_ago, created_at=long_ago)
            )
    finally:
        engine.dispose()
    with entrypoint_hook(identity, "maintain") as maintain:
        done = maintain()
    assert done["guests_expired"] == 1

    # the same 401 as any refused sign-in; the open session is over too
    refused = sign_in(app.test_client(), "gwen@partner.example", status=401)
    assert refused["error"]["code"] == "unauthenticated"
    assert (
        app.test_client().get(f"{API}/me", headers={"Authorization": f"Bearer {signed['token']}"}).status_code
        == 401
    )
    row = audit(admin, subject=guest["id"], action="guest_expired")["items"][0]
    assert row["details"]["reason"] == "inactive" and row["details"]["inactive_days"] == 90

    # the usual reactivation lets them in again
    back = write(admin, "POST", f"{API}/admin/people/{guest['id']}/reactivate")
    assert back.status_code == 200 and back.get_json()["status"] == "active"
    sign_in(app.test_client(), "gwen@partner.example")
    with entrypoint_hook(identity, "maintain") as maintain:
        assert maintain()["guests_expired"] == 0
    rows = audit(admin, subject=guest["id"])["items"]
    assert [r["action"] for r in rows[:4]] == [
        "sign_in",
        "person_reactivated",
        "sign_in_failed",
        "guest_expired",
    ]
    assert rows[2]["details"]["reason"] == "not_allowed"
