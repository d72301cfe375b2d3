"""The canary test: a guest never reads anything of a community they are not in.

A private community (and a secret one) of the host company is filled with one unique string,
the canary, everywhere something can hold text: the communities' names and descriptions, posts
and comments, a hashtag, a report, a folder, a file's name and its text, a wiki page (title,
body, a second revision), a translation of the post (made by a member, so the translation
service's cache holds it), and the profile fields of an employee who shares no community with
the guest. The guest has a community of their own with the same manager.

Then, as that guest, every operation of the gateway's OpenAPI document is called with every id
of that world in its path parameters (reads with a prefix of the canary as search text in their
string query parameters; writes with bodies aimed at the canary's ids), and every page of the web UI
is opened the same way: no answer (body or header) holds the canary, and none is a 5xx.

The same walk as a member of the community finds the canary: the walk reaches the content,
so its silence for the guest means something; the search finds the canary's texts for a
member and nothing for the guest. Identity, communities, feed, documents, translation,
notifications and search run on the real RabbitMQ, translation on the real Apertium server.
"""

from __future__ import annotations

import itertools
import re
import uuid

import pytest
from apy_support import apertium_only, apy  # noqa: F401  (fixture)
from test_gateway import ADMIN_EMAIL, API, PASSWORD, client_for, create_partner, create_person, write

from gateway.app import create_app
from services.agenda.service import AgendaService
from services.communities.service import CommunitiesService
from services.documents.service import DocumentsService
from services.feed.service import FeedService
from services.identity.service import IdentityService
from services.notifications.service import NotificationsService
from services.search.service import SearchService
from services.translation.service import TranslationService
from tests.support import bootstrap_acme, wait_until

CANARY = f"kanari{uuid.uuid4().hex[:10]}"
#: what the walk searches for: a prefix of the canary, so that a page echoing the search box
#: does not count, while anything found by it (which holds the whole canary) does
SEARCH = CANARY[:-3]
#: never called as the guest: they would end the walk (sign-out, erasure, a new password)
SKIPPED = {
    ("post", "/api/v1/auth/sign-out"),
    ("post", "/api/v1/me/erase"),
    ("put", "/api/v1/me/password"),
    ("post", "/api/v1/auth/sign-in"),
}


def canary(label: str) -> str:
    return f"{CANARY}{label}"


#: the canary's texts the search indexes (one word each: the canary and its label)
SEARCHED = ("post", "comment", "pagetitle", "pagebody2", "file", "secretpost")
#: the employee's profile (found as a person) and the communities' names and descriptions
SEARCHED_PEOPLE = ("job", "dept", "about", "school", "skill")
SEARCHED_COMMUNITIES = ("name", "desc", "secret", "secretdesc")


def search_finds(client, label: str) -> list:
    response = client.get(f"{API}/search", query_string={"q": canary(label)})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


@pytest.fixture
def world(start_service, rpc, tokens, apy, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    apertium_only(monkeypatch, apy)
    for cls in (
        IdentityService,
        CommunitiesService,
        FeedService,
        DocumentsService,
        TranslationService,
        NotificationsService,
        SearchService,
        AgendaService,
    ):
        start_service(cls)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    admin = client_for(app, ADMIN_EMAIL)
    partner = create_partner(admin, "Partner Co")
    people = {
        "manager": create_person(admin, "manon@acme.example", "Manon Manager")["person"],
        "employee": create_person(admin, "eric@acme.example", "Eric Employee")["person"],
        "guest": create_person(admin, "gus@partner.example", "Gus Guest", org_id=partner["id"])["person"],
    }
    clients = {key: client_for(app, person["email"]) for key, person in people.items()}
    manager, employee, guest = clients["manager"], clients["employee"], clients["guest"]

    def ok(response, status=(200, 201)):
        assert response.status_code in status, (response.status_code, response.get_json())
        return response.get_json()

    def community(client, **fields):
        return ok(
            write(
                client,
                "POST",
                f"{API}/communities",
                json={"kind": "project", "visibility": "private", **fields},
            )
        )["id"]

    def invite(cid, who):
        ok(
            write(
                manager, "POST", f"{API}/communities/{cid}/invitations", json={"person_id": people[who]["id"]}
            )
        )
        ok(write(clients[who], "POST", f"{API}/me/invitations/{cid}/accept"))

    # the employee's profile: every text field, visible to everyone who may see them
    ok(
        write(
            employee,
            "PATCH",
            f"{API}/me",
            json={
                "job_title": canary("job"),
                "department": canary("dept"),
                "about": canary("about"),
                "education": canary("school"),
                "skills": [canary("skill")],
                "visibility": {"birth_date": "everyone", "education": "everyone", "phone": "everyone"},
            },
        )
    )

    secret = community(manager, name=canary("secret"), visibility="secret", description=canary("secretdesc"))
    cid = community(manager, name=canary("name"), description=canary("desc"), languages=["fr", "en", "es"])
    own = community(
        manager, name="Guest corner", description="Where the partner works", allowed_org_ids=[partner["id"]]
    )
    invite(cid, "employee")
    invite(own, "guest")
    for client, where in ((manager, cid), (employee, cid), (guest, own), (manager, secret)):
        wait_until(
            lambda c=client, w=where: c.get(f"{API}/communities/{w}/posts").status_code == 200, timeout=20
        )
        wait_until(
            lambda c=client, w=where: c.get(f"{API}/communities/{w}/documents").status_code == 200, timeout=20
        )

    ids: dict[str, list[str]] = {"community_id": [cid, secret, own]}
    post = ok(
        write(
            manager,
            "POST",
            f"{API}/communities/{cid}/posts",
            json={
                "body": f"Bonjour à tous, voici le projet {canary('post')} #{canary('tag')}",
                "language": "fr",
            },
        )
    )
    secret_post = ok(
        write(
            manager,
            "POST",
            f"{API}/communities/{secret}/posts",
            json={"body": f"Réunion {canary('secretpost')}"},
        )
    )
    guest_post = ok(
        write(
            manager, "POST", f"{API}/communities/{own}/posts", json={"body": "Welcome to the partner corner"}
        )
    )
    comment = ok(
        write(
            employee,
            "POST",
            f"{API}/posts/{post['id']}/comments",
            json={"body": f"Merci {canary('comment')}"},
        )
    )
    ok(write(employee, "POST", f"{API}/posts/{post['id']}/like"))
    report = ok(
        write(
            employee,
            "POST",
            f"{API}/reports",
            json={"target_type": "comment", "target_id": comment["id"], "reason": canary("report")},
        )
    )
    folder = ok(write(manager, "POST", f"{API}/communities/{cid}/folders", json={"name": canary("folder")}))
    document = ok(
        write(
            manager,
            "POST",
            f"{API}/communities/{cid}/documents",
            query_string={
                "name": f"{canary('file')}.txt",
                "folder_id": folder["id"],
                "comment": canary("version"),
            },
            data=f"Texte secret {canary('filetext')}\n".encode(),
            headers={"Content-Type": "application/octet-stream"},
        )
    )
    page = ok(
        write(
            manager,
            "POST",
            f"{API}/communities/{cid}/pages",
            json={"title": canary("pagetitle"), "body": f"Page {canary('pagebody')}"},
        )
    )
    ok(
        write(
            manager,
            "PUT",
            f"{API}/pages/{page['id']}",
            json={
                "title": canary("pagetitle"),
                "body": f"Page {canary('pagebody2')}",
                "base_revision": 1,
                "comment": canary("pagecomment"),
            },
        )
    )
    translated = ok(
        write(
            employee, "POST", f"{API}/translations", json={"kind": "post", "id": post["id"], "target": "es"}
        )
    )
    assert CANARY in translated["markdown"]
    # an event of the community (the agenda learns membership from the communities' events)
    wait_until(lambda: manager.get(f"{API}/communities/{cid}/events").status_code == 200, timeout=20)
    event = ok(
        write(
            manager,
            "POST",
            f"{API}/communities/{cid}/events",
            json={
                "title": canary("eventtitle"),
                "description": canary("eventdesc"),
                "place": canary("eventplace"),
                "time_zone": "Europe/Paris",
                "start": "2030-01-10T10:00",
                "end": "2030-01-10T12:00",
                "sessions": [
                    {"start": "2030-01-10T10:00", "title": canary("session"), "speaker": canary("speaker")}
                ],
            },
        ),
        (201,),
    )
    ok(
        write(
            employee,
            "PUT",
            f"{API}/events/{event['id']}/rsvp",
            json={"status": "going", "note": canary("rsvp")},
        )
    )
    feed = ok(write(employee, "POST", f"{API}/agenda/feeds", json={"community_id": cid}), (201,))

    ids.update(
        {
            "post_id": [post["id"], secret_post["id"], guest_post["id"]],
            "comment_id": [comment["id"]],
            "report_id": [report["id"]],
            "folder_id": [folder["id"]],
            "document_id": [document["id"]],
            "page_id": [page["id"]],
            "person_id": [people["employee"]["id"], people["manager"]["id"]],
            "user_id": [people["employee"]["id"], people["manager"]["id"]],
            "tag": [canary("tag")],
            "number": ["1"],
            "term_id": [str(uuid.uuid4())],
            "org_id": [partner["id"]],
            # not the feed's own token: a secret link is a credential, whoever holds it
            "token": ["x" * 32],
            "event_id": [event["id"]],
            "feed_id": [feed["id"]],
        }
    )
    return {
        "app": app,
        "clients": clients,
        "ids": ids,
        "cid": cid,
        "post": post,
        "comment": comment,
        "page": page,
        "document": document,
        "event": event,
    }


# ------------------------------------------------------------------ the walk


def bodies(world, path: str) -> list[dict | None]:
    """Write bodies aimed at the canary's contents, for the operations that take ids in them."""
    post, comment, page = world["post"], world["comment"], world["page"]
    if path == "/api/v1/translations":
        return [
            {"kind": "post", "id": post["id"], "target": "es"},
            {"kind": "comment", "id": comment["id"], "target": "en"},
            {"kind": "page", "id": page["id"], "target": "en"},
        ]
    if path == "/api/v1/reports":
        return [{"target_type": "comment", "target_id": comment["id"], "reason": "spam"}]
    if path.endswith("/invitations"):
        return [{"person_id": world["ids"]["person_id"][0]}]
    if path == "/api/v1/posts/{post_id}/accepted-answer":
        return [{"comment_id": comment["id"]}]
    return [{}]


def fill(path: str, ids: dict, values: tuple) -> str:
    names = re.findall(r"{(\w+)}", path)
    for name, value in zip(names, values, strict=True):
        path = path.replace("{" + name + "}", value)
    return path


def combinations(path: str, ids: dict):
    names = re.findall(r"{(\w+)}", path)
    return itertools.product(*(ids.get(name, ["unknown"]) for name in names))


def search_query(operation: dict) -> dict:
    query = {}
    for parameter in operation.get("parameters", []):
        if (
            parameter.get("in") == "query"
            and parameter.get("schema", {}).get("type") == "string"
            and parameter["name"] in ("q", "query", "name", "skill", "department", "subject", "prefix")
        ):
            query[parameter["name"]] = SEARCH
    return query


def leaks(response, url: str = "") -> list[str]:
    """Where the canary is in an answer; a canary-named value the walk put in the URL (the tag)
    may be echoed back (a tag page names its tag), anything else of the canary may not."""
    body = response.get_data()
    for echoed in re.findall(re.escape(CANARY) + r"\w*", url):
        body = body.replace(echoed.encode(), b"")
    found = []
    if CANARY.encode() in body:
        found.append("body")
    found += [f"header {name}" for name, value in response.headers.items() if CANARY in value]
    return found


def walk_api(world, client, writes: bool) -> tuple[list, list, int]:
    """Every read (``writes``: every write) with every id; returns (leaks, server errors,
    requests made). Writes aim only at the canary's world: the guest's own community and post
    are left out, so the walk cannot take the guest out of it."""
    spec = client.get(f"{API}/openapi.json").get_json()
    ids = world["ids"]
    if writes:
        ids = {
            name: values[:2] if name in ("community_id", "post_id") else values
            for name, values in ids.items()
        }
    found, errors, count = [], [], 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters" or (method, path) in SKIPPED:
                continue
            if (method != "get") != writes:
                continue
            for values in combinations(path, ids):
                url = fill(path, ids, values)
                if method == "get":
                    requests = [
                        lambda u=url: client.get(u),
                        lambda u=url, o=operation: client.get(u, query_string=search_query(o)),
                    ]
                else:
                    requests = [
                        lambda u=url, b=body, m=method: write(client, m.upper(), u, json=b)
                        for body in bodies(world, path)
                    ]
                for request in requests:
                    response = request()
                    response.get_data()  # a streamed answer ends before the next request
                    count += 1
                    where = f"{method.upper()} {url} -> {response.status_code}"
                    if response.status_code >= 500:
                        errors.append(where)
                    if leaks(response, url):
                        found.append(f"{where}: canary in {', '.join(leaks(response, url))}")
    return found, errors, count


def walk_pages(world, client) -> tuple[list, list, int]:
    found, errors, count = [], [], 0
    for rule in world["app"].url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static/")):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for values in combinations(path, world["ids"]):
            url = fill(path, world["ids"], values)
            for query in ({}, {"q": SEARCH}):
                response = client.get(url, query_string=query)
                response.get_data()
                count += 1
                where = f"GET {url} -> {response.status_code}"
                if response.status_code >= 500:
                    errors.append(where)
                if leaks(response, url):
                    found.append(f"{where}: canary in {', '.join(leaks(response, url))}")
    return found, errors, count


def test_a_guest_reads_no_canary_through_any_operation_or_page(world):
    guest, employee = world["clients"]["guest"], world["clients"]["employee"]
    # the walk reaches the content: a member finds the canary through it, API and pages
    seen, _, _ = walk_api(world, employee, writes=False)
    seen_pages, _, _ = walk_pages(world, employee)
    assert any(f"/api/v1/posts/{world['post']['id']} " in line for line in seen), seen
    assert any(f"/api/v1/documents/{world['document']['id']}/download" in line for line in seen), seen
    assert any(f"/pages/{world['page']['id']} " in line for line in seen_pages), seen_pages
    assert any(f"/api/v1/events/{world['event']['id']} " in line for line in seen), seen
    assert any(f"/events/{world['event']['id']} " in line for line in seen_pages), seen_pages

    # the search finds the canary's texts for a member (the index followed the events), and
    # nothing of them for the guest, through the API and the results page (which echoes the
    # query: it is the results that must not be there)
    manager = world["clients"]["manager"]
    for label in SEARCHED:
        wait_until(lambda label=label: search_finds(manager, label), timeout=20)
    assert search_finds(employee, "post") and search_finds(employee, "secretpost") == []
    for label in SEARCHED:
        assert search_finds(guest, label) == [], label
        page = guest.get("/search", query_string={"q": canary(label)})
        assert page.status_code == 200 and 'data-testid="search-result"' not in page.get_data(as_text=True)
    # people and communities: the employee's profile and the communities' names and
    # descriptions are found by whoever may see them (the secret one by its member only),
    # never by the guest, who shares no community with the employee; nor does the
    # expertise finder or the suggestions show them the employee or the canary's skill
    for label in (*SEARCHED_PEOPLE, *SEARCHED_COMMUNITIES):
        wait_until(lambda label=label: search_finds(manager, label), timeout=20)
    assert search_finds(employee, "name") and search_finds(employee, "secret") == []
    for label in (*SEARCHED_PEOPLE, *SEARCHED_COMMUNITIES):
        assert search_finds(guest, label) == [], label
    skill = {"skill": canary("skill")}
    experts = f"{API}/people/experts"
    wait_until(lambda: manager.get(experts, query_string=skill).get_json()["items"], timeout=20)
    assert guest.get(f"{API}/people/experts", query_string=skill).get_json()["items"] == []
    assert guest.get(f"{API}/people/skills", query_string={"prefix": SEARCH}).get_json()["items"] == []
    assert manager.get(f"{API}/people/skills", query_string={"prefix": SEARCH}).get_json()["items"]

    found, errors, count = walk_api(world, guest, writes=False)
    found_pages, page_errors, page_count = walk_pages(world, guest)
    written, write_errors, write_count = walk_api(world, guest, writes=True)
    assert count > 100 and page_count > 100 and write_count > 80
    assert not (found + found_pages + written), "\n".join(found + found_pages + written)
    assert not (errors + page_errors + write_errors), "\n".join(errors + page_errors + write_errors)
    # and the guest's own community still answers them: the walk was not simply locked out
    assert guest.get(f"{API}/communities/{world['ids']['community_id'][2]}/posts").status_code == 200
