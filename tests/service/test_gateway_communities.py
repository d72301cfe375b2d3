"""Communities through the gateway: identity, communities and feed on the real RabbitMQ.

People are created through the gateway's admin API; every other step goes through
the Flask test client with real sign-in cookies (and their CSRF tokens). Nothing
is mocked: the feed learns memberships from the communities service's events.
"""

import re

import pytest
from test_gateway import (
    ADMIN_EMAIL,
    API,
    PASSWORD,
    assert_error_shape,
    client_for,
    create_partner,
    create_person,
    csrf_from,
    write,
)

from gateway.app import create_app
from services.communities.service import CommunitiesService
from services.feed.service import FeedService
from services.identity.service import IdentityService
from tests.support import bootstrap_acme, wait_until

UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def network(start_service, rpc, tokens):
    for cls in (IdentityService, CommunitiesService, FeedService):
        start_service(cls)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    admin = client_for(app, ADMIN_EMAIL)
    partner = create_partner(admin, "Partner Co")
    people = {
        "manager": create_person(admin, "manon@acme.example", "Manon Manager")["person"],
        "employee": create_person(admin, "eric@acme.example", "Eric Employee")["person"],
        "outsider": create_person(admin, "olga@acme.example", "Olga Outsider")["person"],
        "guest": create_person(admin, "gus@partner.example", "Gus Guest", org_id=partner["id"])["person"],
    }
    clients = {key: client_for(app, person["email"]) for key, person in people.items()}
    clients["admin"] = admin
    return app, people, clients, partner


def create_community(client, **fields):
    body = {"name": "Supplier project", "kind": "project", "visibility": "private", **fields}
    response = write(client, "POST", f"{API}/communities", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def wall_readable(client, community_id):
    """For wait_until: the feed's read model knows the membership."""
    return lambda: client.get(f"{API}/communities/{community_id}/posts").status_code == 200


def private_community_with_guest(network):
    """A private community of the manager, with the employee and the guest in it."""
    app, people, clients, partner = network
    community = create_community(
        clients["manager"], allowed_org_ids=[partner["id"]], languages=["fr", "en"], description="Deliveries"
    )
    cid = community["id"]
    for who in ("employee", "guest"):
        invited = write(
            clients["manager"],
            "POST",
            f"{API}/communities/{cid}/invitations",
            json={"person_id": people[who]["id"]},
        )
        assert invited.status_code == 201, invited.get_json()
        mine = clients[who].get(f"{API}/me/invitations").get_json()["items"]
        assert [i["community_id"] for i in mine] == [cid]
        accepted = write(clients[who], "POST", f"{API}/me/invitations/{cid}/accept")
        assert accepted.status_code == 200, accepted.get_json()
        assert accepted.get_json()["user_id"] == people[who]["id"]
    for who in ("manager", "employee", "guest"):
        wait_until(wall_readable(clients[who], cid), timeout=15)
    return cid


# ---------------------------------------------------------------- REST API


def test_create_invite_accept_and_members_with_names(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)

    got = clients["guest"].get(f"{API}/communities/{cid}").get_json()
    assert got["my_role"] == "member" and got["access"] == "full"
    assert got["member_count"] == 3 and got["languages"] == ["fr", "en"]

    members = clients["employee"].get(f"{API}/communities/{cid}/members").get_json()
    assert members["items"][0]["user_id"] == people["manager"]["id"]
    assert members["items"][0]["role"] == "manager"
    assert {m["user_id"] for m in members["items"]} == {
        people[k]["id"] for k in ("manager", "employee", "guest")
    }
    assert members["people"][people["guest"]["id"]]["display_name"] == "Gus Guest"

    listed = clients["guest"].get(f"{API}/communities", query_string={"mine": "true"})
    assert [c["id"] for c in listed.get_json()["items"]] == [cid]
    search = clients["outsider"].get(f"{API}/communities", query_string={"query": "supplier"})
    assert [(c["id"], c["access"]) for c in search.get_json()["items"]] == [(cid, "metadata")]

    # the manager appoints the employee, who can then remove nobody but is a manager
    role = write(
        clients["manager"],
        "PUT",
        f"{API}/communities/{cid}/members/{people['employee']['id']}/role",
        json={"role": "manager"},
    )
    assert role.status_code == 200 and role.get_json()["role"] == "manager"
    bad_role = write(
        clients["manager"],
        "PUT",
        f"{API}/communities/{cid}/members/{people['guest']['id']}/role",
        json={"role": "owner"},
    )
    assert_error_shape(bad_role, 422, "validation_failed")

    renamed = write(
        clients["employee"],
        "PATCH",
        f"{API}/communities/{cid}",
        json={"description": "Deliveries and planning"},
    )
    assert renamed.status_code == 200
    assert renamed.get_json()["description"] == "Deliveries and planning"
    forbidden = write(clients["guest"], "PATCH", f"{API}/communities/{cid}", json={"description": "mine now"})
    assert_error_shape(forbidden, 403, "forbidden")

    removed = write(clients["manager"], "DELETE", f"{API}/communities/{cid}/members/{people['guest']['id']}")
    assert removed.status_code == 200 and removed.get_json() == {"removed": True}


def test_an_outsider_gets_the_same_404_as_for_an_unknown_id(network):
    app, people, clients, partner = network
    secret = create_community(clients["manager"], name="Board room", visibility="secret")
    outsider = clients["outsider"]
    for path in ("", "/members", "/posts"):
        hidden = outsider.get(f"{API}/communities/{secret['id']}{path}")
        unknown = outsider.get(f"{API}/communities/{UNKNOWN_ID}{path}")
        assert_error_shape(hidden, 404, "not_found")
        assert hidden.get_json() == unknown.get_json(), path
    join = write(outsider, "POST", f"{API}/communities/{secret['id']}/join")
    assert join.get_json() == write(outsider, "POST", f"{API}/communities/{UNKNOWN_ID}/join").get_json()

    # the web page: the normal 404 page, the same for both
    page = outsider.get(f"/communities/{secret['id']}")
    unknown_page = outsider.get(f"/communities/{UNKNOWN_ID}")
    assert page.status_code == unknown_page.status_code == 404
    assert page.mimetype == "text/html"
    # identical but for the page's own address (the language switcher's "next")
    assert page.get_data(as_text=True).replace(secret["id"], "ID") == unknown_page.get_data(
        as_text=True
    ).replace(UNKNOWN_ID, "ID")
    assert 'data-testid="error-page"' in page.get_data(as_text=True)


def test_join_open_leave_and_join_requests(network):
    app, people, clients, partner = network
    open_one = create_community(clients["manager"], name="Coffee lovers", kind="interest", visibility="open")
    joined = write(clients["employee"], "POST", f"{API}/communities/{open_one['id']}/join")
    assert joined.status_code == 200 and joined.get_json()["role"] == "member"
    again = write(clients["employee"], "POST", f"{API}/communities/{open_one['id']}/join")
    assert_error_shape(again, 409, "conflict")
    left = write(clients["employee"], "POST", f"{API}/communities/{open_one['id']}/leave")
    assert left.get_json() == {"left": True}
    last = write(clients["manager"], "POST", f"{API}/communities/{open_one['id']}/leave")
    assert_error_shape(last, 409, "conflict")

    private = create_community(clients["manager"], name="Private club")
    pid = private["id"]
    asked = write(
        clients["outsider"],
        "POST",
        f"{API}/communities/{pid}/join-requests",
        json={"message": "Please let me in"},
    )
    assert asked.status_code == 201 and asked.get_json()["message"] == "Please let me in"
    asked2 = write(clients["employee"], "POST", f"{API}/communities/{pid}/join-requests", json={})
    assert asked2.status_code == 201
    pending = clients["manager"].get(f"{API}/communities/{pid}/join-requests").get_json()
    assert [r["user_id"] for r in pending["items"]] == [people["outsider"]["id"], people["employee"]["id"]]
    assert pending["people"][people["outsider"]["id"]]["display_name"] == "Olga Outsider"

    approved = write(
        clients["manager"],
        "POST",
        f"{API}/communities/{pid}/join-requests/{people['outsider']['id']}/approve",
    )
    assert approved.status_code == 200 and approved.get_json()["role"] == "member"
    # a plain member may not see the requests
    assert_error_shape(clients["outsider"].get(f"{API}/communities/{pid}/join-requests"), 403)
    refused = write(
        clients["manager"], "POST", f"{API}/communities/{pid}/join-requests/{people['employee']['id']}/refuse"
    )
    assert refused.get_json() == {"refused": True}
    assert clients["manager"].get(f"{API}/communities/{pid}/join-requests").get_json()["items"] == []

    # declining an invitation
    write(
        clients["manager"],
        "POST",
        f"{API}/communities/{pid}/invitations",
        json={"person_id": people["employee"]["id"]},
    )
    declined = write(clients["employee"], "POST", f"{API}/me/invitations/{pid}/decline")
    assert declined.get_json() == {"declined": True}
    assert clients["employee"].get(f"{API}/me/invitations").get_json()["items"] == []


def test_archived_community_refuses_writes_with_403(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    archived = write(clients["manager"], "POST", f"{API}/communities/{cid}/archive")
    assert archived.status_code == 200 and archived.get_json()["archived"] is True

    patch = write(clients["manager"], "PATCH", f"{API}/communities/{cid}", json={"description": "too late"})
    assert_error_shape(patch, 403, "forbidden")

    def post_refused():
        response = write(
            clients["guest"], "POST", f"{API}/communities/{cid}/posts", json={"body": "still here?"}
        )
        return response.status_code == 403 and response

    refused = wait_until(post_refused, timeout=15)
    assert_error_shape(refused, 403, "forbidden")
    assert clients["guest"].get(f"{API}/communities/{cid}/posts").status_code == 200

    reopened = write(clients["manager"], "POST", f"{API}/communities/{cid}/reopen")
    assert reopened.status_code == 200 and reopened.get_json()["archived"] is False


def test_csrf_and_validation_on_community_writes(network):
    app, people, clients, partner = network
    no_token = clients["manager"].post(f"{API}/communities", json={"name": "No token", "kind": "team"})
    assert_error_shape(no_token, 403, "forbidden")
    bad = write(clients["manager"], "POST", f"{API}/communities", json={"name": "Bad kind", "kind": "party"})
    body = assert_error_shape(bad, 422, "validation_failed")
    assert "kind" in body["error"]["details"]
    short = write(clients["manager"], "POST", f"{API}/communities", json={"name": "ab", "kind": "team"})
    assert_error_shape(short, 422, "validation_failed")
    guest = write(clients["guest"], "POST", f"{API}/communities", json={"name": "Guest room", "kind": "team"})
    assert_error_shape(guest, 403, "forbidden")


def test_post_and_patch_refuse_a_field_in_the_one_shape(network):
    """details.<field> for a create and an update alike, whoever refuses it: the gateway's
    schema or the service behind it."""
    app, people, clients, partner = network
    cid = create_community(clients["manager"])["id"]
    # 3..80 characters after collapsing blanks: " a  " passes the gateway's length rule and
    # is refused by the service (it collapses to "a")
    for name in ("ab", "n" * 81, " a  "):
        created = write(clients["manager"], "POST", f"{API}/communities", json={"name": name, "kind": "team"})
        patched = write(clients["manager"], "PATCH", f"{API}/communities/{cid}", json={"name": name})
        for refused in (created, patched):
            details = assert_error_shape(refused, 422, "validation_failed")["error"]["details"]
            assert list(details) == ["name"], details
    nothing = write(clients["manager"], "PATCH", f"{API}/communities/{cid}", json={})
    assert list(assert_error_shape(nothing, 422)["error"]["details"]) == ["_schema"]
    listed = clients["manager"].get(f"{API}/communities", query_string={"limit": 0, "kind": "party"})
    assert set(assert_error_shape(listed, 422)["error"]["details"]) == {"limit", "kind"}
    # the edges the API reference states are the ones the service accepts
    for name in ("abc", "n" * 80):
        assert (
            write(clients["manager"], "PATCH", f"{API}/communities/{cid}", json={"name": name}).status_code
            == 200
        )
    spec = app.test_client().get(f"{API}/openapi.json").get_json()["components"]["schemas"]
    for schema in ("CommunityCreate", "CommunityUpdate"):
        name = spec[schema]["properties"]["name"]
        assert (name["minLength"], name["maxLength"]) == (3, 80), name


def test_openapi_lists_the_community_and_feed_routes(network):
    app, people, clients, partner = network
    spec = app.test_client().get(f"{API}/openapi.json").get_json()
    paths = spec["paths"]
    for path, method in [
        ("/communities", "get"),
        ("/communities", "post"),
        ("/communities/{community_id}", "patch"),
        ("/communities/{community_id}/members/{user_id}/role", "put"),
        ("/me/invitations/{community_id}/accept", "post"),
        ("/communities/{community_id}/join-requests/{user_id}/approve", "post"),
        ("/timeline", "get"),
        ("/communities/{community_id}/posts", "post"),
        ("/posts/{post_id}", "delete"),
        ("/posts/{post_id}/accepted-answer", "put"),
        ("/comments/{comment_id}/like", "delete"),
        ("/hashtags/{tag}/posts", "get"),
        ("/reports/{report_id}/resolve", "post"),
        ("/me/mentions", "get"),
    ]:
        assert method in paths[API + path], (path, method)


# ---------------------------------------------------------------- web UI


def test_directory_create_form_and_community_page(network):
    app, people, clients, partner = network
    manager = clients["manager"]
    page = manager.get("/communities")
    assert page.status_code == 200
    token = csrf_from(page)
    created = manager.post(
        "/communities",
        data={
            "csrf_token": token,
            "name": "Web makers",
            "kind": "team",
            "visibility": "open",
            "description": "We make the web",
            "languages": "fr, en",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    location = created.headers["Location"]
    community_page = manager.get(location)
    assert community_page.status_code == 200
    assert "Web makers" in community_page.get_data(as_text=True)
    # the wall (and its composer) shows once the feed has heard of the new community
    wait_until(
        lambda: 'data-testid="wall-composer"' in manager.get(location).get_data(as_text=True), timeout=15
    )
    listed = manager.get("/communities", query_string={"query": "makers"})
    assert "Web makers" in listed.get_data(as_text=True)

    invalid = manager.post(
        "/communities", data={"csrf_token": token, "name": "x", "kind": "team", "visibility": "open"}
    )
    assert invalid.status_code == 422
    assert 'data-testid="error-name"' in invalid.get_data(as_text=True)


def test_directory_search_refuses_a_bad_parameter_without_listing_everyone(network):
    app, people, clients, partner = network
    manager = clients["manager"]
    create_community(manager, name="Web makers", visibility="open")
    create_community(manager, name="Supply chain", visibility="open")
    form = manager.get("/communities").get_data(as_text=True)
    box = re.search(r'<input[^>]*data-testid="communities-search-q"[^>]*>', form).group(0)
    parameter = re.search(r'name="([^"]+)"', box).group(1)
    found = manager.get("/communities", query_string={parameter: "makers"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and html.count('data-testid="community-card"') == 1
    assert "Web makers" in html
    # the form's parameter is the API's: the same community
    api = manager.get(f"{API}/communities", query_string={parameter: "makers"}).get_json()
    assert [c["name"] for c in api["items"]] == ["Web makers"]
    for bad, field in (
        ({"q": "makers"}, "q"),
        ({"kind": "party"}, "kind"),
        ({"limit": "lots"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ):
        refused = manager.get("/communities", query_string=bad)
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422, (bad, text[:300])
        assert 'data-testid="community-card"' not in text, bad  # nobody's list
        assert 'data-testid="communities-empty"' not in text, bad  # nor "no match"
        assert f'data-testid="search-error-{field}"' in text, bad
        assert 'data-testid="communities-search-form"' in text


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_community_pages_render_translated(network, lang):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    expectations = {"fr": ("Communautés", "Membres"), "de": ("Communitys", "Mitglieder")}
    for path in (
        "/communities",
        f"/communities/{cid}",
        f"/communities/{cid}/members",
        f"/communities/{cid}/manage",
        "/",
    ):
        response = clients["manager"].get(path, query_string={"lang": lang})
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        assert "<script>" not in html
    directory = clients["manager"].get("/communities", query_string={"lang": lang})
    assert expectations[lang][0] in directory.get_data(as_text=True)
    members = clients["manager"].get(f"/communities/{cid}/members", query_string={"lang": lang})
    assert expectations[lang][1] in members.get_data(as_text=True)


def test_manager_tools_through_the_web_pages(network):
    app, people, clients, partner = network
    manager, guest, employee = clients["manager"], clients["guest"], clients["employee"]
    community = create_community(manager, name="Tools room")
    cid = community["id"]
    manage = manager.get(f"/communities/{cid}/manage", query_string={"q": "Gus"})
    assert manage.status_code == 200
    html = manage.get_data(as_text=True)
    token = csrf_from(manage)
    # the guest's organisation is not allowed yet: the invitation is refused, politely
    assert f'data-org-id="{partner["id"]}"' in html
    refused = manager.post(
        f"/communities/{cid}/invite", data={"csrf_token": token, "person_id": people["guest"]["id"]}
    )
    assert refused.status_code == 302
    assert 'data-testid="flash-error"' in manager.get(refused.headers["Location"]).get_data(as_text=True)
    allowed = manager.post(
        f"/communities/{cid}/allowed-organisations", data={"csrf_token": token, "org_id": partner["id"]}
    )
    assert allowed.status_code == 302
    assert manager.get(f"{API}/communities/{cid}").get_json()["allowed_org_ids"] == [partner["id"]]
    invited = manager.post(
        f"/communities/{cid}/invite", data={"csrf_token": token, "person_id": people["guest"]["id"]}
    )
    assert invited.status_code == 302

    # the guest sees the invitation in the directory and accepts it there
    directory = guest.get("/communities")
    assert f'data-community-id="{cid}"' in directory.get_data(as_text=True)
    accepted = guest.post(f"/communities/{cid}/invitation/accept", data={"csrf_token": csrf_from(directory)})
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith(f"/communities/{cid}")
    assert guest.get(f"{API}/communities/{cid}").get_json()["my_role"] == "member"

    # an employee asks to join; the manager approves, then appoints them
    assert employee.get(f"/communities/{cid}").status_code == 404  # private: not a member
    page = employee.get("/communities", query_string={"query": "Tools"})
    assert 'data-testid="request-join"' in page.get_data(as_text=True)
    asked = employee.post(
        f"/communities/{cid}/request",
        data={"csrf_token": csrf_from(page), "message": "Me too", "next": "/communities"},
    )
    assert asked.status_code == 302 and asked.headers["Location"].endswith("/communities")
    requests_page = manager.get(f"/communities/{cid}/manage").get_data(as_text=True)
    assert "Me too" in requests_page and "Eric Employee" in requests_page
    approved = manager.post(
        f"/communities/{cid}/requests/{people['employee']['id']}/approve", data={"csrf_token": token}
    )
    assert approved.status_code == 302
    members = manager.get(f"/communities/{cid}/members").get_data(as_text=True)
    assert "Eric Employee" in members and "Gus Guest" in members
    appointed = manager.post(
        f"/communities/{cid}/members/{people['employee']['id']}/role",
        data={"csrf_token": token, "role": "manager"},
    )
    assert appointed.status_code == 302
    assert employee.get(f"{API}/communities/{cid}").get_json()["my_role"] == "manager"
    # a plain member (the guest) has no manager tools
    assert guest.get(f"/communities/{cid}/manage").status_code == 403

    archived = manager.post(f"/communities/{cid}/archive", data={"csrf_token": token})
    assert archived.status_code == 302
    assert manager.get(f"{API}/communities/{cid}").get_json()["archived"] is True
    reopened = manager.post(f"/communities/{cid}/reopen", data={"csrf_token": token})
    assert reopened.status_code == 302
    assert manager.get(f"{API}/communities/{cid}").get_json()["archived"] is False
