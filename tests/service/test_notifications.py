"""Notifications through the gateway: identity, communities, feed and notifications on the
real RabbitMQ, people signed in with real cookies. The notifications service learns
everything from the other services' events; nothing is mocked.
"""

import re

import pytest
from test_gateway import ADMIN_EMAIL, API, PASSWORD, assert_error_shape, client_for, create_person, write

from gateway.app import create_app
from services.communities.service import CommunitiesService
from services.feed.service import FeedService
from services.identity.service import IdentityService
from services.notifications.service import NotificationsService
from tests.support import bootstrap_acme, wait_until


@pytest.fixture
def network(start_service, rpc, tokens):
    for cls in (IdentityService, CommunitiesService, FeedService, NotificationsService):
        start_service(cls)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    admin = client_for(app, ADMIN_EMAIL)
    people = {
        "louise": create_person(admin, "louise@acme.example", "Louise Leroy", preferred_language="fr")[
            "person"
        ],
        "olivia": create_person(admin, "olivia@acme.example", "Olivia Owens", preferred_language="en")[
            "person"
        ],
        "marc": create_person(admin, "marc@acme.example", "Marc Martin", preferred_language="fr")["person"],
        "eve": create_person(admin, "eve@acme.example", "Eve Outsider")["person"],
    }
    clients = {key: client_for(app, person["email"]) for key, person in people.items()}
    made = write(
        clients["louise"],
        "POST",
        f"{API}/communities",
        json={"name": "Achats Europe", "kind": "project", "visibility": "private"},
    )
    assert made.status_code == 201, made.get_json()
    cid = made.get_json()["id"]
    for who in ("olivia", "marc"):
        invited = write(
            clients["louise"],
            "POST",
            f"{API}/communities/{cid}/invitations",
            json={"person_id": people[who]["id"]},
        )
        assert invited.status_code == 201, invited.get_json()
        accepted = write(clients[who], "POST", f"{API}/me/invitations/{cid}/accept")
        assert accepted.status_code == 200, accepted.get_json()
    for who in ("louise", "olivia", "marc"):
        wait_until(
            lambda c=clients[who]: c.get(f"{API}/communities/{cid}/posts").status_code == 200, timeout=20
        )
        wait_until(
            lambda c=clients[who]: c.get(f"{API}/communities/{cid}/notification-level").status_code == 200,
            timeout=20,
        )
    return app, people, clients, cid


def unread(client) -> int:
    response = client.get(f"{API}/notifications/unread-count")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["unread"]


def post(client, cid, body, kind="message"):
    response = write(client, "POST", f"{API}/communities/{cid}/posts", json={"body": body, "kind": kind})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_mention_rings_the_bell_and_opening_it_reads_it(network):
    app, people, clients, cid = network
    olivia = clients["olivia"]
    # the invitations were settled by joining: they are read, the bell is quiet
    assert unread(olivia) == 0
    mention = post(clients["louise"], cid, f"Bonjour @[Olivia Owens]({people['olivia']['id']}), le devis ?")
    wait_until(lambda: unread(olivia) == 1, timeout=20)
    page = olivia.get(f"{API}/notifications").get_json()
    (item,) = [i for i in page["items"] if not i["read"]]
    assert item["kind"] == "mention" and item["post_id"] == mention["id"]
    assert item["community_name"] == "Achats Europe"
    assert page["people"][people["louise"]["id"]]["display_name"] == "Louise Leroy"
    # every page shows the bell with its count, without JavaScript
    home = olivia.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'data-testid="bell-count"[^>]*>1<', home)
    listing = olivia.get("/notifications").get_data(as_text=True)
    assert "Louise Leroy mentioned you in a post" in listing
    # opening it (a form) marks it read and leads to the post
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)
    opened = olivia.post(f"/notifications/{item['id']}/open", data={"csrf_token": csrf})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/posts/{mention['id']}")
    assert unread(olivia) == 0
    assert 'data-testid="bell-count"' not in olivia.get("/").get_data(as_text=True)


def test_likes_are_gathered_in_the_readers_language_and_comments_reach_followers(network):
    app, people, clients, cid = network
    mine = post(clients["louise"], cid, "Nouveau fournisseur retenu.")
    for who in ("olivia", "marc"):
        liked = write(clients[who], "POST", f"{API}/posts/{mine['id']}/like")
        assert liked.status_code in (200, 201), liked.get_json()
    louise = clients["louise"]

    def likes():
        items = louise.get(f"{API}/notifications").get_json()["items"]
        return [i for i in items if i["kind"] == "like"]

    wait_until(lambda: likes() and likes()[0]["actor_count"] == 2, timeout=20)
    assert unread(louise) == 1
    french = louise.get("/notifications", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert re.search(
        r"(Marc Martin et Olivia Owens|Olivia Owens et Marc Martin) ont aimé votre publication", french
    )
    commented = write(clients["marc"], "POST", f"{API}/posts/{mine['id']}/comments", json={"body": "Bravo"})
    assert commented.status_code == 201, commented.get_json()
    wait_until(lambda: unread(louise) == 2, timeout=20)
    kinds = {i["kind"] for i in louise.get(f"{API}/notifications?unread_only=true").get_json()["items"]}
    assert kinds == {"like", "comment"}
    marked = write(louise, "POST", f"{API}/notifications/read-all")
    assert marked.get_json() == {"marked": 2} and unread(louise) == 0


def test_a_join_request_reaches_the_managers_and_the_answer_the_requester(network):
    app, people, clients, cid = network
    asked = write(
        clients["eve"], "POST", f"{API}/communities/{cid}/join-requests", json={"message": "Bonjour"}
    )
    assert asked.status_code in (200, 201), asked.get_json()
    wait_until(lambda: unread(clients["louise"]) == 1, timeout=20)
    assert unread(clients["olivia"]) == 0  # managers only
    refused = write(
        clients["louise"], "POST", f"{API}/communities/{cid}/join-requests/{people['eve']['id']}/refuse"
    )
    assert refused.status_code in (200, 204), refused.get_json()
    wait_until(lambda: unread(clients["eve"]) == 1, timeout=20)
    (item,) = clients["eve"].get(f"{API}/notifications").get_json()["items"]
    assert item["kind"] == "join_refused"


def test_a_member_removed_no_longer_sees_what_they_were_told(network):
    app, people, clients, cid = network
    post(clients["louise"], cid, f"@[Marc Martin]({people['marc']['id']}) merci")
    wait_until(lambda: unread(clients["marc"]) == 1, timeout=20)
    removed = write(clients["louise"], "DELETE", f"{API}/communities/{cid}/members/{people['marc']['id']}")
    assert removed.status_code in (200, 204)
    wait_until(lambda: unread(clients["marc"]) == 0, timeout=20)
    kinds = [i["kind"] for i in clients["marc"].get(f"{API}/notifications").get_json()["items"]]
    assert kinds == ["invitation"]  # his own invitation stays; the mention went with his access


def test_bad_input_and_someone_elses_notification(network):
    app, people, clients, cid = network
    post(clients["louise"], cid, f"@[Olivia Owens]({people['olivia']['id']}) voir le devis")
    wait_until(lambda: unread(clients["olivia"]) == 1, timeout=20)
    item = clients["olivia"].get(f"{API}/notifications").get_json()["items"][0]
    stolen = write(clients["marc"], "POST", f"{API}/notifications/{item['id']}/read")
    assert_error_shape(stolen, 404, "not_found")
    assert unread(clients["olivia"]) == 1
    loud = write(
        clients["olivia"], "PUT", f"{API}/communities/{cid}/notification-level", json={"level": "loud"}
    )
    assert_error_shape(loud, 422)
    cursor = clients["olivia"].get(f"{API}/notifications?cursor=not-a-cursor")
    assert_error_shape(cursor, 422)
    kind = write(
        clients["olivia"], "PUT", f"{API}/follows/person/{people['louise']['id']}", json={"following": True}
    )
    assert_error_shape(kind, 422)
    assert_error_shape(app.test_client().get(f"{API}/notifications/unread-count"), 401)
