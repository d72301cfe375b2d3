"""The gateway against the real identity service on the real RabbitMQ.

The Flask app is driven with its test client; every RPC goes through an
``RpcClient`` bound to this run's vhost. Nothing is mocked.
"""

import re
import uuid

import pytest
from babel.support import Translations
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.i18n import TRANSLATIONS_DIR
from parvis_contracts.client import RpcClient
from services.identity.service import IdentityService
from tests.support import bootstrap_acme

ADMIN_EMAIL, PASSWORD = "admin@acme.example", "correct horse battery"
API = "/api/v1"
FOREIGN = "http://evil.example"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def identity(start_service, rpc, tokens):
    container = start_service(IdentityService)
    container.boot = bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    return container


@pytest.fixture
def app(identity, rpc):
    return create_app({"RPC_CLIENT": rpc, "TESTING": True})


def sign_in(client, email, password=PASSWORD, **extra):
    response = client.post(f"{API}/auth/sign-in", json={"email": email, "password": password, **extra})
    assert response.status_code == 200, response.get_json()
    client.csrf = response.get_json()["csrf_token"]
    return response.get_json()


def write(client, method, path, **kwargs):
    """A cookie-authenticated API write carrying the session's CSRF token."""
    headers = kwargs.pop("headers", {})
    headers.setdefault("X-CSRF-Token", client.csrf)
    return client.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture
def admin(app):
    client = app.test_client()
    sign_in(client, ADMIN_EMAIL)
    return client


def host_org_id(identity):
    return identity.boot["organisation"]["id"]


def create_person(admin_client, email, name, **fields):
    body = {"email": email, "display_name": name, "password": PASSWORD, **fields}
    response = write(admin_client, "POST", f"{API}/admin/people", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_partner(admin_client, name="Partner Co"):
    response = write(
        admin_client, "POST", f"{API}/organisations", json={"name": name, "kind": "partner", "country": "DE"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def client_for(app, email, password=PASSWORD):
    client = app.test_client()
    sign_in(client, email, password)
    return client


def assert_error_shape(response, status, code=None):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "details"}
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    if code is not None:
        assert body["error"]["code"] == code
    return body


def csrf_from(html_response):
    match = CSRF_INPUT.search(html_response.get_data(as_text=True))
    assert match, "the page has no CSRF field"
    return match.group(1)


# ---------------------------------------------------------------- sign-in, sessions


def test_sign_in_sets_an_http_only_same_site_cookie(app):
    client = app.test_client()
    response = client.post(f"{API}/auth/sign-in", json={"email": ADMIN_EMAIL, "password": PASSWORD})
    assert response.status_code == 200
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("parvis_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http test request, PARVIS_COOKIE_SECURE unset
    body = response.get_json()
    assert body["person"]["email"] == ADMIN_EMAIL
    assert "admin" in body["person"]["roles"]
    assert body["csrf_token"] and body["expires_at"]
    assert "token" not in body  # only with issue_token

    session = client.get(f"{API}/auth/session")
    assert session.status_code == 200
    assert session.get_json()["person"]["email"] == ADMIN_EMAIL
    assert session.get_json()["csrf_token"] == body["csrf_token"]


def test_cookie_is_secure_over_https(app):
    response = app.test_client().post(
        f"{API}/auth/sign-in", base_url="https://localhost", json={"email": ADMIN_EMAIL, "password": PASSWORD}
    )
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("parvis_session="))
    assert "Secure" in cookie


def test_wrong_password_and_unknown_email_answer_the_same_401(app):
    client = app.test_client()
    wrong = client.post(f"{API}/auth/sign-in", json={"email": ADMIN_EMAIL, "password": "nope-nope"})
    unknown = client.post(
        f"{API}/auth/sign-in", json={"email": "nobody@acme.example", "password": "nope-nope"}
    )
    assert_error_shape(wrong, 401, "unauthenticated")
    assert wrong.get_json() == unknown.get_json()
    assert client.get_cookie("parvis_session") is None


def test_api_without_credentials_is_401(app):
    assert_error_shape(app.test_client().get(f"{API}/me"), 401, "unauthenticated")


def test_sign_out_ends_the_session(admin):
    assert write(admin, "POST", f"{API}/auth/sign-out").status_code == 204
    assert_error_shape(admin.get(f"{API}/me"), 401)


# ---------------------------------------------------------------- CSRF and bearer tokens


def test_cookie_writes_need_the_csrf_token(admin):
    refused = admin.patch(f"{API}/me", json={"job_title": "Chief"})
    body = assert_error_shape(refused, 403, "forbidden")
    assert body["error"]["details"] == {"reason": "csrf"}

    wrong = admin.patch(f"{API}/me", json={"job_title": "Chief"}, headers={"X-CSRF-Token": "x"})
    assert_error_shape(wrong, 403)

    accepted = write(admin, "PATCH", f"{API}/me", json={"job_title": "Chief"})
    assert accepted.status_code == 200
    assert accepted.get_json()["job_title"] == "Chief"


def test_a_foreign_origin_is_refused_even_with_the_token(admin):
    refused = write(
        admin,
        "PATCH",
        f"{API}/me",
        json={"job_title": "Evil"},
        headers={"X-CSRF-Token": admin.csrf, "Origin": FOREIGN},
    )
    body = assert_error_shape(refused, 403)
    assert body["error"]["details"] == {"reason": "origin"}
    same = write(
        admin,
        "PATCH",
        f"{API}/me",
        json={"job_title": "Fine"},
        headers={"X-CSRF-Token": admin.csrf, "Origin": "http://localhost"},
    )
    assert same.status_code == 200
    assert admin.get(f"{API}/me").get_json()["job_title"] == "Fine"


def test_sign_in_from_a_foreign_origin_is_refused(app):
    response = app.test_client().post(
        f"{API}/auth/sign-in", headers={"Origin": FOREIGN}, json={"email": ADMIN_EMAIL, "password": PASSWORD}
    )
    assert_error_shape(response, 403)


def test_bearer_token_works_without_csrf(app):
    issued = sign_in(app.test_client(), ADMIN_EMAIL, issue_token=True)
    token = issued["token"]
    client = app.test_client()  # no cookie at all
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get(f"{API}/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["email"] == ADMIN_EMAIL
    changed = client.patch(f"{API}/me", json={"department": "Platform"}, headers=headers)
    assert changed.status_code == 200
    assert changed.get_json()["department"] == "Platform"
    bad = client.get(f"{API}/me", headers={"Authorization": "Bearer not-a-session"})
    assert_error_shape(bad, 401)


# ---------------------------------------------------------------- profiles and visibility


def test_profile_edit_and_visibility_through_the_api(app, admin, identity):
    create_person(admin, "bea@acme.example", "Bea Berg")
    create_person(admin, "carl@acme.example", "Carl Cruz")
    bea = client_for(app, "bea@acme.example")
    changed = write(
        bea,
        "PATCH",
        f"{API}/me",
        json={
            "job_title": "Engineer",
            "skills": ["python", "sql"],
            "languages": ["fr", "en"],
            "birth_date": "1990-04-01",
            "education": "MSc Physics",
            "phone": "+33 1 23 45 67 89",
            "visibility": {"birth_date": "everyone", "education": "employees", "phone": "private"},
        },
    )
    assert changed.status_code == 200, changed.get_json()
    me = changed.get_json()
    assert me["visibility"] == {"birth_date": "everyone", "education": "employees", "phone": "private"}
    assert me["personal"]["phone"] == "+33 1 23 45 67 89"

    carl = client_for(app, "carl@acme.example")
    seen = carl.get(f"{API}/people/{me['id']}")
    assert seen.status_code == 200
    personal = seen.get_json()["personal"]
    assert personal.get("birth_date") == "1990-04-01"
    assert personal.get("education") == "MSc Physics"
    assert "phone" not in personal or personal["phone"] is None
    assert "email" not in seen.get_json() and "visibility" not in seen.get_json()

    invalid = write(bea, "PATCH", f"{API}/me", json={"visibility": {"phone": "friends"}})
    body = assert_error_shape(invalid, 422, "validation_failed")
    assert body["error"]["details"] == {
        "visibility": {"phone": ["Must be one of: everyone, employees, private."]}
    }


def test_profile_edit_through_the_html_form(app, admin):
    create_person(admin, "dora@acme.example", "Dora Diaz")
    dora = client_for(app, "dora@acme.example")
    page = dora.get("/me/edit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="profile-edit-form"' in html and 'data-testid="visibility-phone"' in html
    form = {
        "csrf_token": csrf_from(page),
        "display_name": "Dora Diaz",
        "job_title": "Buyer",
        "department": "Purchasing",
        "country": "es",
        "languages": "es, en",
        "preferred_language": "es",
        "skills": "negotiation, excel",
        "about": "Hola",
        "birth_date": "1985-12-24",
        "education": "MBA",
        "phone": "+34 600 000 000",
        "visibility_birth_date": "private",
        "visibility_education": "everyone",
        "visibility_phone": "employees",
    }

    refused = dora.post("/me/edit", data={k: v for k, v in form.items() if k != "csrf_token"})
    assert refused.status_code == 403
    assert 'data-testid="error-page"' in refused.get_data(as_text=True)

    saved = dora.post("/me/edit", data=form)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/me")
    me = dora.get(f"{API}/me").get_json()
    assert me["department"] == "Purchasing" and me["country"] == "ES"
    assert me["skills"] == ["negotiation", "excel"]
    assert me["visibility"] == {"birth_date": "private", "education": "everyone", "phone": "employees"}
    profile = dora.get("/me")
    html = profile.get_data(as_text=True)
    assert 'data-testid="profile-department">Purchasing' in html
    # she chose Spanish for the interface: the page now speaks it
    assert '<html lang="es">' in html and "Editar mi perfil" in html

    bad = dora.post("/me/edit", data={**form, "country": "Spain"})
    assert bad.status_code == 422
    assert 'data-testid="error-country"' in bad.get_data(as_text=True)


def test_time_zone_through_the_api_and_the_form(app, admin):
    create_person(admin, "tess@acme.example", "Tess Time")
    tess = client_for(app, "tess@acme.example")
    assert tess.get(f"{API}/me").get_json()["time_zone"] is None
    changed = write(tess, "PATCH", f"{API}/me", json={"time_zone": "Asia/Kolkata"})
    assert changed.status_code == 200 and changed.get_json()["time_zone"] == "Asia/Kolkata"
    bad = assert_error_shape(write(tess, "PATCH", f"{API}/me", json={"time_zone": "Mars/Base"}), 422)
    assert set(bad["error"]["details"]) == {"time_zone"}
    assert "time zone" in bad["error"]["details"]["time_zone"][0]
    assert tess.get(f"{API}/me").get_json()["time_zone"] == "Asia/Kolkata"  # nothing changed

    page = tess.get("/me/edit", query_string={"lang": "de"})
    html = page.get_data(as_text=True)
    assert "Zeitzone" in html  # the label, translated
    assert '<option value="Asia/Kolkata" selected>' in html and '<option value="Europe/Paris" >' in html
    form = {"csrf_token": csrf_from(page), "display_name": "Tess Time", "time_zone": "Europe/Paris"}
    assert tess.post("/me/edit", data=form).status_code == 302
    assert tess.get(f"{API}/me").get_json()["time_zone"] == "Europe/Paris"
    assert 'data-testid="profile-time-zone">Europe/Paris' in tess.get("/me").get_data(as_text=True)
    refused = tess.post("/me/edit", data={**form, "time_zone": "Nowhere/Town"})
    assert refused.status_code == 422 and 'data-testid="error-time_zone"' in refused.get_data(as_text=True)
    assert tess.post("/me/edit", data={**form, "time_zone": ""}).status_code == 302  # back to UTC
    assert tess.get(f"{API}/me").get_json()["time_zone"] is None


# ---------------------------------------------------------------- directory


def test_directory_search_filters_and_pages(app, admin):
    for i, (name, skill, dept) in enumerate(
        [("Anna Alpha", "python", "R&D"), ("Bob Beta", "python", "Sales"), ("Cleo Gamma", "design", "R&D")]
    ):
        create_person(admin, f"p{i}@acme.example", name, department=dept, country="FR", languages=["fr"])
        person = client_for(app, f"p{i}@acme.example")
        assert write(person, "PATCH", f"{API}/me", json={"skills": [skill]}).status_code == 200

    by_skill = admin.get(f"{API}/people?skill=python").get_json()
    assert sorted(p["display_name"] for p in by_skill["items"]) == ["Anna Alpha", "Bob Beta"]
    by_dept = admin.get(f"{API}/people", query_string={"department": "R&D"}).get_json()
    assert sorted(p["display_name"] for p in by_dept["items"]) == ["Anna Alpha", "Cleo Gamma"]
    by_name = admin.get(f"{API}/people?q=cleo").get_json()
    assert [p["display_name"] for p in by_name["items"]] == ["Cleo Gamma"]

    first = admin.get(f"{API}/people?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = admin.get(f"{API}/people", query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    seen = [p["id"] for p in first["items"] + second["items"]]
    assert len(seen) == len(set(seen))

    assert_error_shape(admin.get(f"{API}/people?limit=0"), 422, "validation_failed")

    page = admin.get("/people?skill=python&limit=1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('data-testid="person-card"') == 1
    assert 'data-testid="people-next"' in html


def test_directory_form_and_view_agree_and_a_bad_parameter_lists_nobody(app, admin):
    for email, name in (("nina@acme.example", "Nina North"), ("omar@acme.example", "Omar Ouest")):
        create_person(admin, email, name)
    form = admin.get("/people").get_data(as_text=True)
    name_input = re.search(r'<input[^>]*data-testid="people-search-q"[^>]*>', form).group(0)
    parameter = re.search(r'name="([^"]+)"', name_input).group(1)
    found = admin.get("/people", query_string={parameter: "nina"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    assert html.count('data-testid="person-card"') == 1 and "Nina North" in html
    assert 'value="nina" data-testid="people-search-q"' in html  # the box keeps it
    # the form's parameter is the API's (one name): the same person
    api = admin.get(f"{API}/people", query_string={parameter: "nina"}).get_json()["items"]
    assert [p["display_name"] for p in api] == ["Nina North"]
    # unknown, invalid (here or in the identity service): 422, the errors, nobody listed
    for bad, field in (
        ({"query": "nina"}, "query"),
        ({"limit": "lots"}, "limit"),
        ({"country": "Narnia"}, "country"),
        ({"q": "n" * 121}, "q"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ):
        refused = admin.get("/people", query_string=bad)
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422, (bad, text[:500])
        assert 'data-testid="person-card"' not in text and "people-results" not in text, bad
        assert 'data-testid="people-empty"' not in text, bad
        assert f'data-testid="error-{field}"' in text, (bad, text[text.find("field-errors") :][:300])
        assert 'data-testid="people-search-form"' in text  # the form, to correct it


# ---------------------------------------------------------------- guests and admin


def test_admin_creates_a_guest_who_accepts_the_invitation(app, admin):
    partner = create_partner(admin)
    created = write(
        admin,
        "POST",
        f"{API}/admin/people",
        json={
            "email": "gus@partner.example",
            "display_name": "Gus Guest",
            "org_id": partner["id"],
            "guest_expires_at": "2099-12-31",
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["person"]["guest"] is True and body["person"]["status"] == "invited"
    token = body["invitation_token"]
    assert body["invitation_url"].endswith(f"/invitations/{token}")

    visitor = app.test_client()
    info = visitor.get(f"{API}/auth/invitations/{token}")
    assert info.status_code == 200 and info.get_json()["display_name"] == "Gus Guest"
    accepted = visitor.post(f"{API}/auth/invitations/{token}", json={"password": PASSWORD})
    assert accepted.status_code == 200
    assert accepted.get_json()["person"]["guest"] is True
    assert visitor.get(f"{API}/me").get_json()["email"] == "gus@partner.example"
    assert_error_shape(visitor.get(f"{API}/auth/invitations/{token}"), 404)


def test_admin_creates_a_guest_through_the_html_form(app, admin):
    partner = create_partner(admin, "Supplier Ltd")
    page = admin.get("/admin/people/new")
    assert page.status_code == 200
    assert partner["name"] in page.get_data(as_text=True)
    created = admin.post(
        "/admin/people/new",
        data={
            "csrf_token": csrf_from(page),
            "email": "hal@supplier.example",
            "display_name": "Hal",
            "org_id": partner["id"],
            "roles": "member",
            "preferred_language": "en",
        },
    )
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    assert 'data-testid="person-created"' in html
    link = re.search(r'data-testid="invitation-link"', html)
    assert link and "/invitations/" in html
    listed = admin.get(f"{API}/admin/people?guest=true").get_json()
    assert "Hal" in [p["display_name"] for p in listed["items"]]


def test_a_guest_cannot_open_admin_nor_see_a_non_co_member(app, admin):
    partner = create_partner(admin)
    create_person(admin, "ivy@partner.example", "Ivy Ivers", org_id=partner["id"])
    employee = create_person(admin, "jon@acme.example", "Jon Jones")["person"]
    guest = client_for(app, "ivy@partner.example")

    assert_error_shape(guest.get(f"{API}/admin/people"), 403, "forbidden")
    page = guest.get("/admin/people")
    assert page.status_code == 403
    assert 'data-testid="error-page"' in page.get_data(as_text=True)
    assert guest.get("/admin/people/new").status_code == 403
    assert 'data-testid="nav-admin"' not in guest.get("/").get_data(as_text=True)

    hidden = guest.get(f"{API}/people/{employee['id']}")
    missing = guest.get(f"{API}/people/{uuid.uuid4()}")
    assert_error_shape(hidden, 404, "not_found")
    assert hidden.get_data() == missing.get_data()
    assert guest.get(f"/people/{employee['id']}").status_code == 404


def test_a_deactivated_person_is_out_at_the_next_request(app, admin):
    kim = create_person(admin, "kim@acme.example", "Kim Kraft")["person"]
    kim_client = client_for(app, "kim@acme.example")
    assert kim_client.get(f"{API}/me").status_code == 200
    assert kim_client.get("/").status_code == 200

    done = write(admin, "POST", f"{API}/admin/people/{kim['id']}/deactivate")
    assert done.status_code == 200 and done.get_json()["status"] == "deactivated"

    assert_error_shape(kim_client.get(f"{API}/me"), 401, "unauthenticated")
    page = kim_client.get("/people")
    assert page.status_code == 302 and "/sign-in" in page.headers["Location"]
    assert any(h.startswith("parvis_session=;") for h in page.headers.getlist("Set-Cookie"))

    again = write(admin, "POST", f"{API}/admin/people/{kim['id']}/reactivate")
    assert again.status_code == 200 and again.get_json()["status"] == "active"


def test_admin_roles_and_guest_expiry(app, admin):
    partner = create_partner(admin)
    lou = create_person(admin, "lou@acme.example", "Lou Lang")["person"]
    guest = create_person(admin, "max@partner.example", "Max", org_id=partner["id"])["person"]
    roles = write(
        admin,
        "PUT",
        f"{API}/admin/people/{lou['id']}/roles",
        json={"roles": ["member", "global_community_manager"]},
    )
    assert roles.status_code == 200
    assert sorted(roles.get_json()["roles"]) == ["global_community_manager", "member"]
    refused = write(admin, "PUT", f"{API}/admin/people/{guest['id']}/roles", json={"roles": ["admin"]})
    assert refused.status_code in (403, 422)
    assert_error_shape(refused, refused.status_code)
    expiry = write(
        admin,
        "PUT",
        f"{API}/admin/people/{guest['id']}/guest-expiry",
        json={"guest_expires_at": "2098-01-31"},
    )
    assert expiry.status_code == 200 and expiry.get_json()["guest_expires_at"] == "2098-01-31"

    page = admin.get("/admin/people")
    html = page.get_data(as_text=True)
    assert 'data-testid="admin-person-row"' in html and 'data-testid="admin-roles-form"' in html
    form = admin.post(
        f"/admin/people/{lou['id']}/roles", data={"csrf_token": csrf_from(page), "roles": ["member"]}
    )
    assert form.status_code == 302
    listed = admin.get(f"{API}/admin/people", query_string={"q": "Lou"}).get_json()["items"]
    assert [p["roles"] for p in listed if p["id"] == lou["id"]] == [["member"]]


def test_organisations_list_create_and_update(admin):
    org = create_partner(admin, "Reseller One")
    listed = admin.get(f"{API}/organisations").get_json()["items"]
    assert {"Acme", "Reseller One"} <= {o["name"] for o in listed}
    renamed = write(admin, "PATCH", f"{API}/organisations/{org['id']}", json={"name": "Reseller 1"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Reseller 1"
    bad = write(admin, "POST", f"{API}/organisations", json={"name": "X", "kind": "host"})
    assert_error_shape(bad, 422)


# ---------------------------------------------------------------- HTML sign-in and language


def test_html_sign_in_with_pre_session_csrf(app):
    client = app.test_client()
    page = client.get("/sign-in")
    token = csrf_from(page)
    assert client.get_cookie("parvis_csrf") is not None

    assert client.post("/sign-in", data={"email": ADMIN_EMAIL, "password": PASSWORD}).status_code == 403
    foreign = client.post(
        "/sign-in",
        headers={"Origin": FOREIGN},
        data={"csrf_token": token, "email": ADMIN_EMAIL, "password": PASSWORD},
    )
    assert foreign.status_code == 403

    wrong = client.post("/sign-in", data={"csrf_token": token, "email": ADMIN_EMAIL, "password": "wrong-one"})
    assert wrong.status_code == 401
    assert 'data-testid="sign-in-error"' in wrong.get_data(as_text=True)

    ok = client.post(
        "/sign-in", data={"csrf_token": token, "email": ADMIN_EMAIL, "password": PASSWORD, "next": "/people"}
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/people"
    assert client.get_cookie("parvis_session") is not None
    home = client.get("/")
    assert home.status_code == 200 and 'data-testid="nav-admin"' in home.get_data(as_text=True)

    evil_next = client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_from(home),
            "email": ADMIN_EMAIL,
            "password": PASSWORD,
            "next": "//evil.example/",
        },
    )
    assert evil_next.headers["Location"] == "/"


def test_language_switcher_and_preferred_language(app, admin):
    page = admin.get("/")
    switched = admin.post("/language", data={"csrf_token": csrf_from(page), "lang": "de", "next": "/people"})
    assert switched.status_code == 302 and switched.headers["Location"] == "/people"
    german = admin.get("/people").get_data(as_text=True)
    assert '<html lang="de">' in german and "Personen" in german
    assert '<html lang="fr">' in admin.get("/people?lang=fr").get_data(as_text=True)

    create_person(admin, "nina@acme.example", "Nina", preferred_language="fr")
    nina = client_for(app, "nina@acme.example")
    assert "Personnes" in nina.get("/people").get_data(as_text=True)

    visitor = app.test_client()
    spanish = visitor.get("/sign-in", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in spanish.get_data(as_text=True)
    assert '<html lang="en">' in visitor.get("/sign-in").get_data(as_text=True)


# ---------------------------------------------------------------- every page in every language


def translations(lang):
    return Translations.load(str(TRANSLATIONS_DIR), [lang])


PAGES = [  # (path or key, a string of that page that every language translates differently)
    ("/", "My communities"),
    ("/me", "Edit my profile"),
    ("/me/edit", "Personal details"),
    ("/me/password", "Current password"),
    ("/people", "More filters"),
    ("person", "Skip to content"),
    ("/admin/people", "Kind of account"),
    ("/admin/people/new", "Create the account"),
    ("/admin/organisations", "New organisation"),
    ("/no-such-page", "Page not found"),
    ("/api/v1/docs", "The OpenAPI description of the REST API:"),
]
ANONYMOUS_PAGES = [
    ("/sign-in", "Sign in with the e-mail address and password of your account."),
    ("invitation", "Activate my account"),
    (
        "/password-reset",
        "Enter the e-mail address of your account: we will send you a link to choose a new password.",
    ),
]


@pytest.mark.parametrize("lang", ["fr", "en", "es", "de"])
def test_every_page_renders_in_each_language(app, admin, lang):
    other = create_person(admin, f"r-{lang}@acme.example", "Rita")["person"]
    invited = write(
        admin,
        "POST",
        f"{API}/admin/people",
        json={"email": f"inv-{lang}@acme.example", "display_name": "Ivo"},
    ).get_json()
    catalogue = translations(lang)
    paths = {"person": f"/people/{other['id']}", "invitation": f"/invitations/{invited['invitation_token']}"}
    visitor = app.test_client()
    for client, pages in ((admin, PAGES), (visitor, ANONYMOUS_PAGES)):
        for key, msgid in pages:
            path = paths.get(key, key)
            response = client.get(path, query_string={"lang": lang})
            expected_status = 404 if key == "/no-such-page" else 200
            assert response.status_code == expected_status, (path, response.status_code)
            html = response.get_data(as_text=True)
            translated = catalogue.gettext(msgid)
            if lang != "en":
                assert translated != msgid, f"{msgid!r} has no {lang} translation"
            assert f'<html lang="{lang}">' in html, path
            assert translated in html or translated.replace("'", "&#39;") in html, (path, lang, translated)
            for header in (
                "Content-Security-Policy",
                "X-Content-Type-Options",
                "X-Frame-Options",
                "Referrer-Policy",
            ):
                assert header in response.headers
            assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
            assert "<script>" not in html  # no inline script


# ---------------------------------------------------------------- errors, OpenAPI, ops


def test_http_errors_share_the_one_shape(app, admin):
    assert_error_shape(app.test_client().get(f"{API}/no-such-route"), 404, "not_found")
    not_allowed = admin.delete(f"{API}/me", headers={"X-CSRF-Token": admin.csrf})
    assert_error_shape(not_allowed, 405, "method_not_allowed")
    assert "GET" in not_allowed.headers["Allow"]
    malformed = app.test_client().post(
        f"{API}/auth/sign-in", data="{not json", content_type="application/json"
    )
    assert_error_shape(malformed, 400)
    missing = app.test_client().post(f"{API}/auth/sign-in", json={"email": ADMIN_EMAIL})
    body = assert_error_shape(missing, 422, "validation_failed")
    assert "password" in body["error"]["details"]
    too_big = app.test_client().post(
        f"{API}/auth/sign-in", data="x" * (2 * 1024 * 1024), content_type="application/json"
    )
    assert_error_shape(too_big, 413, "payload_too_large")
    html_404 = admin.get("/no-such-page")
    assert html_404.status_code == 404 and html_404.mimetype == "text/html"
    json_404 = admin.get("/no-such-page", headers={"Accept": "application/json"})
    assert_error_shape(json_404, 404)


def _rule_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_openapi_is_valid_and_lists_every_api_route(app):
    client = app.test_client()
    spec = client.get(f"{API}/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    paths = spec["paths"]
    documented = {
        (path, method.upper())
        for path, item in paths.items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.rule in (f"{API}/openapi.json", f"{API}/docs"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((_rule_to_openapi(rule.rule), method))
    assert routes and routes <= documented, routes - documented
    assert documented <= routes, documented - routes

    def resolve(ref):
        node = spec
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)  # every reference resolves
    for path, method in documented:
        operation = paths[path][method.lower()]
        assert operation["responses"], (path, method)
        for name in re.findall(r"{([^}]+)}", path):
            params = operation.get("parameters", []) + paths[path].get("parameters", [])
            assert any(p.get("name") == name and p.get("in") == "path" for p in params)
    error = spec["components"]["schemas"]["Error"]
    assert error["properties"]["error"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert paths[f"{API}/auth/sign-in"]["post"]["security"] == []

    docs = client.get(f"{API}/docs")
    assert docs.status_code == 200


def test_healthz_reports_every_service_and_the_broker(app):
    response = app.test_client().get("/healthz")
    body = response.get_json()
    assert body["broker"]["status"] == "ok"
    assert body["services"]["identity"]["status"] == "ok"
    assert body["services"]["identity"]["database"] == "ok"
    # only identity runs in this test: the others are reported, and the whole is 503
    assert body["services"]["feed"]["status"] == "error"
    assert response.status_code == 503 and body["status"] == "degraded"
    # the probes do not depend on the services: one of them down keeps the gateway ready
    assert app.test_client().get("/livez").status_code == 200
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["broker"]["status"] == "ok"


def test_broker_unreachable_is_503_never_500(identity):
    dead = RpcClient({"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/"}, timeout=3)
    app = create_app({"RPC_CLIENT": dead, "TESTING": True, "HEALTH_BROKER_TIMEOUT": 1})
    client = app.test_client()
    try:
        sign = client.post(f"{API}/auth/sign-in", json={"email": ADMIN_EMAIL, "password": PASSWORD})
        assert_error_shape(sign, 503, "unavailable")
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["broker"]["status"] == "error"
        assert client.get("/readyz").status_code == 503
        assert client.get("/livez").status_code == 200
        bearer = client.get(f"{API}/me", headers={"Authorization": "Bearer whatever"})
        assert_error_shape(bearer, 503)
    finally:
        dead.close()


def test_metrics_expose_requests_latency_and_rpc_errors(app):
    client = app.test_client()
    client.get(f"{API}/me")
    client.post(f"{API}/auth/sign-in", json={"email": ADMIN_EMAIL, "password": "bad-password"})
    response = client.get("/metrics")
    assert response.status_code == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }
    assert (
        samples[
            (
                "parvis_gateway_requests_total",
                (("endpoint", "people.Me"), ("method", "GET"), ("status", "401")),
            )
        ]
        >= 1
    )
    assert any(name == "parvis_gateway_request_duration_seconds_bucket" for name, _ in samples)
    assert (
        samples[
            (
                "parvis_gateway_rpc_errors_total",
                (("error", "Unauthenticated"), ("method", "sign_in"), ("service", "identity")),
            )
        ]
        >= 1
    )


def test_admin_screens_and_invitation_through_html(app, admin):
    page = admin.get("/admin/organisations")
    assert 'data-testid="org-create-form"' in page.get_data(as_text=True)
    made = admin.post(
        "/admin/organisations",
        data={"csrf_token": csrf_from(page), "name": "Html Partner", "kind": "supplier", "country": "it"},
    )
    assert made.status_code == 302
    listing = admin.get("/admin/organisations").get_data(as_text=True)
    assert "Html Partner" in listing
    bad = admin.post("/admin/organisations", data={"csrf_token": csrf_from(page), "name": "", "kind": "host"})
    assert bad.status_code == 422

    new = admin.get("/admin/people/new")
    created = admin.post(
        "/admin/people/new",
        data={
            "csrf_token": csrf_from(new),
            "email": "olga@acme.example",
            "display_name": "Olga Ode",
            "roles": "member",
            "preferred_language": "fr",
        },
    )
    html = created.get_data(as_text=True)
    link = re.search(r'data-testid="invitation-link" value="[^"]*(/invitations/[^"]+)"', html) or re.search(
        r'value="[^"]*(/invitations/[^"]+)"', html
    )
    assert link, html
    invitation_path = link.group(1)

    visitor = app.test_client()
    form = visitor.get(invitation_path)
    assert form.status_code == 200 and "Olga Ode" in form.get_data(as_text=True)
    short = visitor.post(
        invitation_path,
        data={"csrf_token": csrf_from(form), "password": "short", "confirm_password": "short"},
    )
    assert short.status_code == 422
    accepted = visitor.post(
        invitation_path,
        data={"csrf_token": csrf_from(form), "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert accepted.status_code == 302
    home = visitor.get("/")
    assert home.status_code == 200 and "Olga Ode" in home.get_data(as_text=True)
    assert '<html lang="fr">' in home.get_data(as_text=True)  # her preferred language

    olga = admin.get(f"{API}/admin/people", query_string={"q": "Olga"}).get_json()["items"][0]
    listing = admin.get("/admin/people", query_string={"q": "Olga"})
    deactivated = admin.post(
        f"/admin/people/{olga['id']}/deactivate",
        data={"csrf_token": csrf_from(listing), "next": "/admin/people"},
    )
    assert deactivated.status_code == 302 and deactivated.headers["Location"] == "/admin/people"
    assert visitor.get("/").status_code == 302  # she is out
    row = admin.get("/admin/people", query_string={"q": "Olga"}).get_data(as_text=True)
    assert 'data-testid="admin-reactivate"' in row
    reactivated = admin.post(
        f"/admin/people/{olga['id']}/reactivate", data={"csrf_token": csrf_from(listing)}
    )
    assert reactivated.status_code == 302

    signed_out = admin.post("/sign-out", data={"csrf_token": csrf_from(listing)})
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]
    assert admin.get("/").status_code == 302
