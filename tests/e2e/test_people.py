"""People over the REST API, end to end: sign-in, the guest fence, invitations,
deactivation, throttling."""

import requests

from tests.platform_fixture import Api

TIMEOUT = 15


def test_admin_signs_in_through_the_api(parvis):
    admin = parvis.accounts["admin"]
    session = parvis.sign_in("admin")
    assert session["token"]
    assert session["person"]["email"] == admin["email"]
    assert "admin" in session["person"]["roles"]
    me = Api(parvis.base_url, session["token"]).get("/api/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["id"] == admin["id"]
    assert me.json()["org_id"] == parvis.organisations["host"]["id"]


def test_the_sign_in_sets_an_httponly_session_cookie(parvis):
    guest = parvis.accounts["guest"]
    browser = requests.Session()
    response = browser.post(
        parvis.url("/api/v1/auth/sign-in"),
        timeout=TIMEOUT,
        json={"email": guest["email"], "password": guest["password"]},
    )
    assert response.status_code == 200, response.text
    assert "token" not in response.json()
    cookie = response.headers["Set-Cookie"]
    assert "parvis_session=" in cookie and "HttpOnly" in cookie
    me = browser.get(parvis.url("/api/v1/me"), timeout=TIMEOUT)
    assert me.status_code == 200
    assert me.json()["guest"] is True


def test_guest_signs_in_and_sees_only_themself(parvis):
    guest = parvis.accounts["guest"]
    session = parvis.sign_in("guest")
    assert session["person"]["guest"] is True
    api = parvis.api("guest")
    page = api.get("/api/v1/people", params={"limit": 100})
    assert page.status_code == 200, page.text
    assert [card["id"] for card in page.json()["items"]] == [guest["id"]]
    # searching by an employee's name finds nobody
    found = api.get("/api/v1/people", params={"q": parvis.accounts["employee_fr"]["display_name"]})
    assert found.status_code == 200
    assert found.json()["items"] == []


def test_guest_gets_404_on_an_employee_profile_while_employees_see_the_guest(parvis):
    guest = parvis.accounts["guest"]
    employee = parvis.accounts["employee_fr"]
    as_guest = parvis.api("guest")
    hidden = as_guest.get(f"/api/v1/people/{employee['id']}")
    assert hidden.status_code == 404
    missing = as_guest.get("/api/v1/people/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    # exactly as a missing id: nothing tells the guest the person exists
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert hidden.json()["error"]["message"] == missing.json()["error"]["message"]

    as_employee = parvis.api("employee_fr")
    seen = as_employee.get(f"/api/v1/people/{guest['id']}")
    assert seen.status_code == 200, seen.text
    assert seen.json()["guest"] is True
    assert seen.json()["org_name"] == "Acme Supplies GmbH"
    directory = as_employee.get("/api/v1/people", params={"limit": 100})
    ids = {card["id"] for card in directory.json()["items"]}
    assert guest["id"] in ids and employee["id"] in ids


def test_admin_creates_a_person_who_accepts_the_invitation_and_signs_in(parvis):
    admin = parvis.api("admin")
    email = parvis.unique_email("invited")
    created = admin.post(
        "/api/v1/admin/people",
        json={
            "email": email,
            "display_name": "Inès Invitée",
            "preferred_language": "fr",
            "country": "FR",
            "job_title": "Juriste",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    token = body["invitation_token"]
    assert token and body["person"]["status"] == "invited"
    assert body["invitation_url"].endswith(token)

    # nobody can sign in before accepting
    early = requests.post(
        parvis.url("/api/v1/auth/sign-in"),
        timeout=TIMEOUT,
        json={"email": email, "password": "whatever-it-is-1"},
    )
    assert early.status_code == 401

    invitation = requests.get(parvis.url(f"/api/v1/auth/invitations/{token}"), timeout=TIMEOUT)
    assert invitation.status_code == 200
    assert invitation.json() == {"email": email, "display_name": "Inès Invitée"}

    password = "a-long-enough-passphrase"
    accepted = requests.post(
        parvis.url(f"/api/v1/auth/invitations/{token}"),
        timeout=TIMEOUT,
        json={"password": password, "issue_token": True},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["person"]["email"] == email

    # the invitation is used up
    again = requests.get(parvis.url(f"/api/v1/auth/invitations/{token}"), timeout=TIMEOUT)
    assert again.status_code == 404

    session = parvis.sign_in(email, password)
    me = Api(parvis.base_url, session["token"]).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["status"] == "active"
    assert me.json()["preferred_language"] == "fr"


def test_a_deactivated_person_is_out_at_the_next_request(parvis):
    admin = parvis.api("admin")
    email = parvis.unique_email("leaver")
    password = "leaver-password-123"
    created = admin.post(
        "/api/v1/admin/people", json={"email": email, "display_name": "Lea Leaver", "password": password}
    )
    assert created.status_code == 201, created.text
    person_id = created.json()["person"]["id"]

    session = parvis.sign_in(email, password)
    api = Api(parvis.base_url, session["token"])
    assert api.get("/api/v1/me").status_code == 200

    deactivated = admin.post(f"/api/v1/admin/people/{person_id}/deactivate")
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["status"] == "deactivated"

    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    # and no new session either
    again = requests.post(
        parvis.url("/api/v1/auth/sign-in"), timeout=TIMEOUT, json={"email": email, "password": password}
    )
    assert again.status_code == 401


def test_ten_wrong_passwords_lock_the_account_with_429(parvis):
    admin = parvis.api("admin")
    email = parvis.unique_email("target")
    password = "the-right-password-1"
    created = admin.post(
        "/api/v1/admin/people", json={"email": email, "display_name": "Tom Target", "password": password}
    )
    assert created.status_code == 201, created.text

    statuses = []
    for attempt in range(10):
        response = requests.post(
            parvis.url("/api/v1/auth/sign-in"),
            timeout=TIMEOUT,
            json={"email": email, "password": f"wrong-{attempt}-guess"},
        )
        statuses.append(response.status_code)
    assert statuses[0] == 401
    assert set(statuses) <= {401, 429}

    locked = requests.post(
        parvis.url("/api/v1/auth/sign-in"),
        timeout=TIMEOUT,
        json={"email": email, "password": "wrong-once-more"},
    )
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_requests"
    assert int(locked.headers["Retry-After"]) > 0
    # the right password does not get through either while the account is locked
    right = requests.post(
        parvis.url("/api/v1/auth/sign-in"), timeout=TIMEOUT, json={"email": email, "password": password}
    )
    assert right.status_code == 429
