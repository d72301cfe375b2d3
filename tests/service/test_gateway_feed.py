"""Community walls through the gateway: identity, communities and feed on the real RabbitMQ.

Posts, comments, likes, questions, announcements, the home timeline, hashtags,
mentions and reports, through the REST API and the web pages, with real
sign-in cookies. Nothing is mocked.
"""

import pytest
from test_gateway import API, assert_error_shape, csrf_from, write
from test_gateway_communities import network, private_community_with_guest  # noqa: F401  (fixture)
from test_gateway_documents import PDF, UNKNOWN_ID

from tests.support import wait_until


def post(client, cid, body, kind="message"):
    response = write(client, "POST", f"{API}/communities/{cid}/posts", json={"body": body, "kind": kind})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_guest_posts_employee_comments_guest_likes(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest, employee, manager = clients["guest"], clients["employee"], clients["manager"]

    created = post(
        guest, cid, f"Delivery plan for **week 12** #logistics cc @[Manon Manager]({people['manager']['id']})"
    )
    pid = created["id"]
    assert "<strong>week 12</strong>" in created["html"]
    assert created["hashtags"] == ["logistics"]
    assert created["mentions"] == [people["manager"]["id"]]

    comment = write(employee, "POST", f"{API}/posts/{pid}/comments", json={"body": "Thanks!"})
    assert comment.status_code == 201, comment.get_json()
    cmt = comment.get_json()
    reply = write(
        guest, "POST", f"{API}/posts/{pid}/comments", json={"body": "You're welcome", "parent_id": cmt["id"]}
    )
    assert reply.status_code == 201 and reply.get_json()["parent_id"] == cmt["id"]

    liked = write(guest, "POST", f"{API}/posts/{pid}/like")
    assert liked.get_json() == {"post_id": pid, "liked": True, "like_count": 1}
    assert_error_shape(write(guest, "POST", f"{API}/posts/{pid}/like"), 409, "conflict")
    likers = employee.get(f"{API}/posts/{pid}/likes").get_json()
    assert [entry["user_id"] for entry in likers["items"]] == [people["guest"]["id"]]
    assert likers["count"] == 1
    assert likers["people"][people["guest"]["id"]]["display_name"] == "Gus Guest"
    assert write(employee, "POST", f"{API}/comments/{cmt['id']}/like").get_json()["like_count"] == 1

    wall = employee.get(f"{API}/communities/{cid}/posts").get_json()
    assert [item["id"] for item in wall["items"]] == [pid]
    assert wall["items"][0]["like_count"] == 1 and wall["items"][0]["comment_count"] == 2
    assert wall["people"][people["guest"]["id"]]["display_name"] == "Gus Guest"
    comments = manager.get(f"{API}/posts/{pid}/comments").get_json()
    assert [c["id"] for c in comments["items"]][0] == cmt["id"]
    assert comments["people"][people["employee"]["id"]]["display_name"] == "Eric Employee"

    # mentions, edit history, hashtags
    mentions = manager.get(f"{API}/me/mentions").get_json()
    assert pid in [item["id"] for item in mentions["items"]]
    edited = write(guest, "PATCH", f"{API}/posts/{pid}", json={"body": "Plan v2 #logistics"})
    assert edited.status_code == 200 and edited.get_json()["version"] == 2
    versions = guest.get(f"{API}/posts/{pid}/versions").get_json()["items"]
    assert [v["version"] for v in versions] == [1, 2] and versions[-1]["current"] is True
    assert_error_shape(
        write(employee, "PATCH", f"{API}/posts/{pid}", json={"body": "mine"}), 403, "forbidden"
    )
    tagged = manager.get(f"{API}/hashtags/logistics/posts").get_json()
    assert [item["id"] for item in tagged["items"]] == [pid]

    # the manager's home timeline holds it; the outsider sees neither post nor comments
    timeline = manager.get(f"{API}/timeline").get_json()
    assert pid in [item["id"] for item in timeline["items"]]
    assert "new_count" in timeline and "last_visit_at" in timeline
    for path in (f"/posts/{pid}", f"/posts/{pid}/comments", f"/posts/{pid}/likes"):
        hidden = clients["outsider"].get(API + path)
        unknown = clients["outsider"].get(API + path.replace(pid, "no-such-post"))
        assert_error_shape(hidden, 404, "not_found")
        assert hidden.get_json()["error"]["message"] == unknown.get_json()["error"]["message"]

    # delete the comment, then the post
    assert write(employee, "DELETE", f"{API}/comments/{cmt['id']}").get_json()["deleted"]
    assert write(guest, "DELETE", f"{API}/posts/{pid}").get_json() == {"post_id": pid, "deleted": True}
    assert_error_shape(guest.get(f"{API}/posts/{pid}"), 404)


def test_questions_announcements_and_reports(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest, employee, manager = clients["guest"], clients["employee"], clients["manager"]

    question = post(employee, cid, "Who has the crane schedule?", kind="question")
    qid = question["id"]
    answer = write(guest, "POST", f"{API}/posts/{qid}/comments", json={"body": "I do"})
    aid = answer.get_json()["id"]
    unanswered = guest.get(
        f"{API}/communities/{cid}/posts", query_string={"kind": "question", "unanswered": "true"}
    ).get_json()
    assert [item["id"] for item in unanswered["items"]] == [qid]
    accepted = write(employee, "PUT", f"{API}/posts/{qid}/accepted-answer", json={"comment_id": aid})
    assert accepted.status_code == 200 and accepted.get_json()["accepted_comment_id"] == aid
    assert (
        guest.get(
            f"{API}/communities/{cid}/posts", query_string={"kind": "question", "unanswered": "true"}
        ).get_json()["items"]
        == []
    )
    cleared = write(manager, "PUT", f"{API}/posts/{qid}/accepted-answer", json={"comment_id": None})
    assert cleared.get_json()["accepted_comment_id"] is None

    refused = write(
        guest, "POST", f"{API}/communities/{cid}/posts", json={"body": "Hear ye", "kind": "announcement"}
    )
    assert_error_shape(refused, 403, "forbidden")
    announcement = post(manager, cid, "Site closed on Friday", kind="announcement")
    read = write(guest, "POST", f"{API}/posts/{announcement['id']}/read")
    assert read.get_json() == {"post_id": announcement["id"], "read": True, "read_count": 1}
    reads = manager.get(f"{API}/posts/{announcement['id']}/reads").get_json()
    assert [entry["user_id"] for entry in reads["read"]] == [people["guest"]["id"]]
    assert set(reads["unread"]) == {people["manager"]["id"], people["employee"]["id"]}
    assert reads["people"][people["employee"]["id"]]["display_name"] == "Eric Employee"
    assert_error_shape(guest.get(f"{API}/posts/{announcement['id']}/reads"), 403)

    report = write(
        employee,
        "POST",
        f"{API}/reports",
        json={"target_type": "comment", "target_id": aid, "reason": "Off topic"},
    )
    assert report.status_code == 201, report.get_json()
    rid = report.get_json()["id"]
    queue = manager.get(f"{API}/communities/{cid}/reports").get_json()
    assert [r["id"] for r in queue["items"]] == [rid]
    assert_error_shape(guest.get(f"{API}/communities/{cid}/reports"), 403)
    resolved = write(manager, "POST", f"{API}/reports/{rid}/resolve", json={"action": "hide"})
    assert resolved.get_json()["status"] == "hidden"
    bad = write(manager, "POST", f"{API}/reports/{rid}/resolve", json={"action": "burn"})
    assert_error_shape(bad, 422, "validation_failed")


def test_the_wall_through_the_web_pages(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest, employee = clients["guest"], clients["employee"]

    page = guest.get(f"/communities/{cid}")
    assert page.status_code == 200
    token = csrf_from(page)
    published = guest.post(
        f"/communities/{cid}/posts",
        data={"csrf_token": token, "body": "Hello <script>x</script> **all**", "kind": "message"},
    )
    assert published.status_code == 302
    pid = guest.get(f"{API}/communities/{cid}/posts").get_json()["items"][0]["id"]
    html = guest.get(f"/communities/{cid}").get_data(as_text=True)
    assert "<strong>all</strong>" in html and "<script>x" not in html
    assert f'data-post-id="{pid}"' in html and "Gus Guest" in html

    token = csrf_from(employee.get(f"/communities/{cid}"))
    commented = employee.post(
        f"/posts/{pid}/comments", data={"csrf_token": token, "body": "Welcome!", "community_id": cid}
    )
    assert commented.status_code == 302
    assert commented.headers["Location"].endswith(f"/communities/{cid}#post-{pid}")
    liked = guest.post(f"/posts/{pid}/like", data={"csrf_token": csrf_from(page), "community_id": cid})
    assert liked.status_code == 302
    without_token = guest.post(f"/posts/{pid}/unlike", data={"community_id": cid})
    assert without_token.status_code == 403

    html = employee.get(f"/communities/{cid}").get_data(as_text=True)
    assert "Welcome!" in html and "Eric Employee" in html
    assert 'data-testid="post-likers" data-count="1"' in html
    likers = employee.get(f"/posts/{pid}/likes")
    assert likers.status_code == 200 and "Gus Guest" in likers.get_data(as_text=True)

    # the home timeline shows the post; a page for the outsider is the 404 page
    home = employee.get("/", query_string={"lang": "fr"})
    assert home.status_code == 200 and f'data-post-id="{pid}"' in home.get_data(as_text=True)
    assert clients["outsider"].get(f"/posts/{pid}/likes").status_code == 404

    # archived: the composer disappears and writes answer 403
    archived = clients["manager"].post(
        f"/communities/{cid}/archive",
        data={"csrf_token": csrf_from(clients["manager"].get(f"/communities/{cid}/manage"))},
    )
    assert archived.status_code == 302
    assert 'data-testid="community-archived"' in guest.get(f"/communities/{cid}").get_data(as_text=True)
    refused = write(guest, "POST", f"{API}/communities/{cid}/posts", json={"body": "late"})
    if refused.status_code != 403:  # the feed's read model follows the event
        from tests.support import wait_until

        wait_until(lambda: write(guest, "POST", f"{API}/posts/{pid}/like").status_code == 403, timeout=15)
        refused = write(guest, "POST", f"{API}/communities/{cid}/posts", json={"body": "late"})
    assert_error_shape(refused, 403, "forbidden")


def test_questions_and_announcements_through_the_web_pages(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest, employee, manager = clients["guest"], clients["employee"], clients["manager"]

    # only managers are offered the announcement kind
    assert 'value="announcement"' not in guest.get(f"/communities/{cid}").get_data(as_text=True)
    page = manager.get(f"/communities/{cid}")
    assert 'value="announcement"' in page.get_data(as_text=True)
    token = csrf_from(page)
    assert (
        manager.post(
            f"/communities/{cid}/posts",
            data={"csrf_token": token, "body": "Fire drill at 10", "kind": "announcement"},
        ).status_code
        == 302
    )
    announcement = manager.get(f"{API}/communities/{cid}/posts").get_json()["items"][0]

    guest_page = guest.get(f"/communities/{cid}")
    assert 'data-testid="post-mark-read"' in guest_page.get_data(as_text=True)
    marked = guest.post(
        f"/posts/{announcement['id']}/read", data={"csrf_token": csrf_from(guest_page), "community_id": cid}
    )
    assert marked.status_code == 302
    assert 'data-testid="post-read"' in guest.get(f"/communities/{cid}").get_data(as_text=True)
    reads = manager.get(f"/posts/{announcement['id']}/reads")
    assert reads.status_code == 200
    html = reads.get_data(as_text=True)
    assert "Gus Guest" in html and "Eric Employee" in html
    assert guest.get(f"/posts/{announcement['id']}/reads").status_code == 403

    question = post(employee, cid, "Where is the key?", kind="question")
    answer = write(
        guest, "POST", f"{API}/posts/{question['id']}/comments", json={"body": "Under the mat"}
    ).get_json()
    employee_page = employee.get(f"/communities/{cid}")
    assert 'data-testid="comment-accept"' in employee_page.get_data(as_text=True)
    accepted = employee.post(
        f"/posts/{question['id']}/accept",
        data={"csrf_token": csrf_from(employee_page), "comment_id": answer["id"], "community_id": cid},
    )
    assert accepted.status_code == 302
    assert 'data-testid="comment-accepted"' in guest.get(
        f"/communities/{cid}", query_string={"lang": "fr"}
    ).get_data(as_text=True)
    assert employee.get(f"{API}/posts/{question['id']}").get_json()["accepted_comment_id"] == answer["id"]


def test_home_marks_what_is_new_since_the_last_visit(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest, manager = clients["guest"], clients["manager"]
    older = post(guest, cid, "Before your visit")
    first = manager.get("/")
    assert first.status_code == 200
    assert f'data-post-id="{older["id"]}"' in first.get_data(as_text=True)
    newer = post(guest, cid, "After your visit")
    second = manager.get("/", query_string={"lang": "fr"}).get_data(as_text=True)
    assert 'data-testid="timeline-new-count"' in second
    assert "1 nouveau(x) depuis votre dernière visite" in second
    marker = second.index('data-testid="timeline-last-visit"')
    assert (
        second.index(f'data-post-id="{newer["id"]}"') < marker < second.index(f'data-post-id="{older["id"]}"')
    )
    api = manager.get(f"{API}/timeline").get_json()
    assert api["last_visit_at"] is not None


# ---------------------------------------------------------------- language, attachments


@pytest.fixture
def docs_network(request, monkeypatch, tmp_path, start_service):
    """``network`` plus the documents service (blobs in a temporary directory)."""
    from services.documents.service import DocumentsService

    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    net = request.getfixturevalue("network")
    start_service(DocumentsService)
    return net


def bank_ready(client, cid):
    return lambda: client.get(f"{API}/communities/{cid}/documents").status_code == 200


def upload_document(client, cid, name, data=PDF):
    wait_until(bank_ready(client, cid), timeout=15)
    response = write(
        client,
        "POST",
        f"{API}/communities/{cid}/documents",
        query_string={"name": name},
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def wall_ids(client, cid):
    return [p["id"] for p in client.get(f"{API}/communities/{cid}/posts").get_json()["items"]]


def test_posts_state_their_language_and_attach_documents(docs_network):
    app, people, clients, partner = docs_network
    cid = private_community_with_guest(docs_network)
    guest, manager = clients["guest"], clients["manager"]
    for who in ("guest", "employee"):
        wait_until(bank_ready(clients[who], cid), timeout=15)
    plan = upload_document(manager, cid, "plan.pdf")

    created = write(
        guest,
        "POST",
        f"{API}/communities/{cid}/posts",
        json={"body": "Le plan est joint", "language": "fr", "attachments": [plan["id"]]},
    )
    assert created.status_code == 201, created.get_json()
    post = created.get_json()
    assert post["language"] == "fr"
    assert post["attachments"] == [
        {"id": plan["id"], "name": "plan.pdf", "content_type": "application/pdf", "size": len(PDF)}
    ]
    wall = clients["employee"].get(f"{API}/communities/{cid}/posts").get_json()
    assert wall["items"][0]["attachments"] == post["attachments"]

    comment = write(
        clients["employee"],
        "POST",
        f"{API}/posts/{post['id']}/comments",
        json={"body": "Gracias", "language": "es"},
    )
    assert comment.status_code == 201 and comment.get_json()["language"] == "es"
    edited = write(
        clients["employee"],
        "PATCH",
        f"{API}/comments/{comment.get_json()['id']}",
        json={"body": "Danke", "language": "de"},
    )
    assert edited.status_code == 200 and edited.get_json()["language"] == "de"

    assert_error_shape(
        write(guest, "POST", f"{API}/communities/{cid}/posts", json={"body": "x", "language": "zz"}),
        422,
        "validation_failed",
    )
    too_many = write(
        guest,
        "POST",
        f"{API}/communities/{cid}/posts",
        json={"body": "x", "attachments": [f"d-{i}" for i in range(11)]},
    )
    assert_error_shape(too_many, 422, "validation_failed")

    # an edit keeps the language, and replaces the attachments when given
    kept = write(guest, "PATCH", f"{API}/posts/{post['id']}", json={"body": "Le plan, v2"})
    assert kept.status_code == 200, kept.get_json()
    assert kept.get_json()["language"] == "fr" and kept.get_json()["attachments"]
    cleared = write(
        guest,
        "PATCH",
        f"{API}/posts/{post['id']}",
        json={"body": "Sans plan", "attachments": [], "language": None},
    )
    assert cleared.get_json()["attachments"] == [] and cleared.get_json()["language"] is None

    # the OpenAPI document describes the new fields
    spec = guest.get(f"{API}/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert {"language", "attachments"} <= set(schemas["PostCreate"]["properties"])
    assert "attachments" in schemas["Post"]["properties"]


def test_authz_attaching_a_foreign_or_unreadable_document_is_the_404_of_an_unknown_id(docs_network):
    """AUTHZ: a document of another community (readable or not by the poster) or one in the
    bin answers exactly like an id that does not exist, and nothing is written."""
    app, people, clients, partner = docs_network
    cid = private_community_with_guest(docs_network)
    guest, manager = clients["guest"], clients["manager"]
    own = upload_document(manager, cid, "own.pdf")
    binned = upload_document(manager, cid, "binned.pdf")
    assert write(manager, "DELETE", f"{API}/documents/{binned['id']}").status_code == 200
    other = write(
        manager, "POST", f"{API}/communities", json={"name": "Board", "kind": "team", "visibility": "private"}
    )
    assert other.status_code == 201, other.get_json()
    foreign = upload_document(manager, other.get_json()["id"], "board.pdf")
    assert guest.get(f"{API}/documents/{foreign['id']}").status_code == 404

    before = wall_ids(guest, cid)
    unknown = write(
        guest, "POST", f"{API}/communities/{cid}/posts", json={"body": "x", "attachments": [UNKNOWN_ID]}
    )
    assert_error_shape(unknown, 404, "not_found")
    assert unknown.get_json()["error"]["details"] == {"field": "attachments"}
    cases = [
        (guest, [foreign["id"]]),  # another community the guest cannot read
        (guest, [own["id"], foreign["id"]]),  # one bad among good ones
        (manager, [foreign["id"]]),  # another community the poster can read
        (guest, [binned["id"]]),
    ]  # in the bin
    for client, ids in cases:
        refused = write(
            client, "POST", f"{API}/communities/{cid}/posts", json={"body": "x", "attachments": ids}
        )
        assert refused.status_code == 404, (ids, refused.get_json())
        assert refused.get_json() == unknown.get_json()
    pid = write(
        guest, "POST", f"{API}/communities/{cid}/posts", json={"body": "mine", "attachments": [own["id"]]}
    ).get_json()["id"]
    refused = write(
        guest, "PATCH", f"{API}/posts/{pid}", json={"body": "changed", "attachments": [foreign["id"]]}
    )
    assert refused.get_json() == unknown.get_json()
    got = guest.get(f"{API}/posts/{pid}").get_json()
    assert got["body"] == "mine" and [a["id"] for a in got["attachments"]] == [own["id"]]
    assert wall_ids(guest, cid) == [pid, *before]


def test_attachments_and_language_through_the_web_pages(docs_network):
    app, people, clients, partner = docs_network
    cid = private_community_with_guest(docs_network)
    guest, manager = clients["guest"], clients["manager"]
    wait_until(bank_ready(guest, cid), timeout=15)
    plan = upload_document(manager, cid, "plan.pdf")

    page = guest.get(f"/communities/{cid}")
    html = page.get_data(as_text=True)
    assert 'data-testid="composer-attachments"' in html
    assert f'<option value="{plan["id"]}"' in html and "plan.pdf" in html
    # the person's preferred language (en, the default) is preselected
    assert '<option value="en" selected>' in html
    published = guest.post(
        f"/communities/{cid}/posts",
        data={
            "csrf_token": csrf_from(page),
            "body": "See the plan",
            "kind": "message",
            "language": "de",
            "attachments": [plan["id"]],
        },
    )
    assert published.status_code == 302
    post = guest.get(f"{API}/communities/{cid}/posts").get_json()["items"][0]
    assert post["language"] == "de" and [a["id"] for a in post["attachments"]] == [plan["id"]]
    html = clients["employee"].get(f"/communities/{cid}").get_data(as_text=True)
    assert f'href="/documents/{plan["id"]}"' in html
    assert f'href="/documents/{plan["id"]}/download"' in html
    assert clients["employee"].get(f"/documents/{plan['id']}/download").data == PDF

    # a comment with its language, an edit form showing the post's own language
    commented = guest.post(
        f"/posts/{post['id']}/comments",
        data={"csrf_token": csrf_from(page), "body": "Hola", "language": "es", "community_id": cid},
    )
    assert commented.status_code == 302
    comments = guest.get(f"{API}/posts/{post['id']}/comments").get_json()["items"]
    assert comments[0]["language"] == "es"
    edit = guest.get(f"/posts/{post['id']}/edit")
    edit_html = edit.get_data(as_text=True)
    assert '<option value="de" selected>' in edit_html
    assert f'<option value="{plan["id"]}" selected>' in edit_html
    saved = guest.post(
        f"/posts/{post['id']}/edit",
        data={
            "csrf_token": csrf_from(edit),
            "body": "No plan any more",
            "language": "",
            "attachments_shown": "1",
        },
    )
    assert saved.status_code == 302
    after = guest.get(f"{API}/posts/{post['id']}").get_json()
    assert after["attachments"] == [] and after["language"] is None

    # a document of another community: a message, nothing posted
    other = write(
        manager, "POST", f"{API}/communities", json={"name": "Board", "kind": "team", "visibility": "private"}
    ).get_json()
    foreign = upload_document(manager, other["id"], "board.pdf")
    before = wall_ids(guest, cid)
    refused = guest.post(
        f"/communities/{cid}/posts",
        data={"csrf_token": csrf_from(page), "body": "Sneaky", "attachments": [foreign["id"]]},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    assert "cannot be attached" in refused.get_data(as_text=True)
    assert wall_ids(guest, cid) == before


def test_a_documents_outage_answers_503_and_writes_nothing(network):
    """No documents service on the broker: a post with attachments is refused with a clear
    503; without attachments the wall works as before."""
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest = clients["guest"]
    refused = write(
        guest,
        "POST",
        f"{API}/communities/{cid}/posts",
        json={"body": "See attached", "attachments": [UNKNOWN_ID]},
    )
    assert_error_shape(refused, 503, "unavailable")
    assert wall_ids(guest, cid) == []
    page = guest.get(f"/communities/{cid}")
    assert page.status_code == 200
    assert 'data-testid="composer-attachments"' not in page.get_data(as_text=True)
    flashed = guest.post(
        f"/communities/{cid}/posts",
        data={"csrf_token": csrf_from(page), "body": "See attached", "attachments": [UNKNOWN_ID]},
        follow_redirects=True,
    )
    assert "try again later" in flashed.get_data(as_text=True)
    assert wall_ids(guest, cid) == []
    assert post(guest, cid, "no attachment")["attachments"] == []
