"""The wall's web screens through the gateway: identity, communities and feed on the real
RabbitMQ, driven with the Flask test client, real sign-in cookies and CSRF tokens.

Edit with history, delete a comment, report and the managers' queue, hashtag and
mention pages, community settings and the Markdown preview. Nothing is mocked.
"""

import re

import pytest
from test_gateway import API, csrf_from, write
from test_gateway_communities import UNKNOWN_ID, network, private_community_with_guest  # noqa: F401  (fixture)


def post(client, cid, body, kind="message"):
    response = write(client, "POST", f"{API}/communities/{cid}/posts", json={"body": body, "kind": kind})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def comment(client, pid, body):
    response = write(client, "POST", f"{API}/posts/{pid}/comments", json={"body": body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def html_of(response) -> str:
    return response.get_data(as_text=True)


def flashes(client, response, category) -> str:
    """The flash messages of ``category`` on the page a redirect leads to."""
    assert response.status_code == 302, html_of(response)[:500]
    page = html_of(client.get(response.headers["Location"]))
    return " ".join(re.findall(rf'data-testid="flash-{category}">([^<]*)<', page))


def has_testid(html: str, testid: str, item_id: str) -> bool:
    """Is ``testid`` in the markup of the post ``item_id`` (up to its comments) or of the
    comment ``item_id`` (up to the next comment)?"""
    post_marker = f'data-testid="post" data-post-id="{item_id}"'
    if post_marker in html:
        start = html.index(post_marker)
        end = html.find('data-testid="comments"', start)
    else:
        start = html.index(f'data-testid="comment" data-comment-id="{item_id}"')
        ends = [
            i
            for i in (
                html.find('data-testid="comment" ', start + 10),
                html.find('data-testid="comment-form"', start),
                html.find('data-testid="post" ', start),
            )
            if i > 0
        ]
        end = min(ends) if ends else len(html)
    return f'data-testid="{testid}"' in html[start:end]


# ---------------------------------------------------------------- edit and history


def test_authors_edit_their_post_and_comment_and_everyone_sees_the_history(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest, manager, employee = clients["guest"], clients["manager"], clients["employee"]
    pid = post(guest, cid, "Delivery on **Monday**")["id"]
    cmt = comment(employee, pid, "Noted, Monday")["id"]

    # only the author is offered the edit link
    assert has_testid(html_of(guest.get(f"/communities/{cid}")), "post-edit", pid)
    manager_wall = html_of(manager.get(f"/communities/{cid}"))
    assert not has_testid(manager_wall, "post-edit", pid)
    assert has_testid(manager_wall, "post-delete", pid)  # managers delete, they do not edit

    form = guest.get(f"/posts/{pid}/edit")
    assert form.status_code == 200 and "Delivery on **Monday**" in html_of(form)
    token = csrf_from(form)
    empty = guest.post(f"/posts/{pid}/edit", data={"csrf_token": token, "body": "   "})
    assert empty.status_code == 422 and 'data-testid="error-body"' in html_of(empty)
    saved = guest.post(f"/posts/{pid}/edit", data={"csrf_token": token, "body": "Delivery on **Tuesday**"})
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/communities/{cid}#post-{pid}")
    got = guest.get(f"{API}/posts/{pid}").get_json()
    assert got["body"] == "Delivery on **Tuesday**" and got["version"] == 2

    wall = html_of(employee.get(f"/communities/{cid}"))
    assert has_testid(wall, "post-edited", pid)
    assert f'href="/posts/{pid}/history"' in wall
    history = employee.get(f"/posts/{pid}/history")
    assert history.status_code == 200
    page = html_of(history)
    versions = re.findall(r'data-testid="version" data-version="(\d+)"', page)
    assert versions == ["2", "1"]  # newest first
    assert page.index("<strong>Tuesday</strong>") < page.index("<strong>Monday</strong>")
    assert 'data-testid="version-current"' in page and "Gus Guest" in page

    # a manager may not edit someone else's text, not even by posting the form
    assert manager.get(f"/posts/{pid}/edit").status_code == 403
    refused = manager.post(
        f"/posts/{pid}/edit",
        data={"csrf_token": csrf_from(manager.get(f"/communities/{cid}")), "body": "Rewritten"},
    )
    assert refused.status_code == 403
    assert guest.get(f"{API}/posts/{pid}").get_json()["body"] == "Delivery on **Tuesday**"
    # an outsider gets the 404 of an unknown post, on every screen
    for path in (f"/posts/{pid}/edit", f"/posts/{pid}/history", f"/posts/{pid}"):
        assert clients["outsider"].get(path).status_code == 404, path
        assert clients["outsider"].get(path.replace(pid, UNKNOWN_ID)).status_code == 404
    # without the CSRF token nothing changes
    assert guest.post(f"/posts/{pid}/edit", data={"body": "no token"}).status_code == 403

    # the comment: its author edits it, the history shows both versions
    assert has_testid(html_of(employee.get(f"/communities/{cid}")), "comment-edit", cmt)
    assert not has_testid(html_of(guest.get(f"/communities/{cid}")), "comment-edit", cmt)
    edit_page = employee.get(f"/comments/{cmt}/edit")
    assert edit_page.status_code == 200
    done = employee.post(
        f"/comments/{cmt}/edit", data={"csrf_token": csrf_from(edit_page), "body": "Noted, Tuesday"}
    )
    assert done.status_code == 302
    assert "Your changes are saved." in flashes(employee, done, "success")
    wall = html_of(guest.get(f"/communities/{cid}"))
    assert "Noted, Tuesday" in wall and f'href="/comments/{cmt}/history"' in wall
    comment_history = html_of(guest.get(f"/comments/{cmt}/history"))
    assert "Noted, Monday" in comment_history and "Noted, Tuesday" in comment_history
    assert guest.get(f"/comments/{cmt}/edit").status_code == 403
    assert (
        manager.post(
            f"/comments/{cmt}/edit",
            data={"csrf_token": csrf_from(manager.get(f"/communities/{cid}")), "body": "x"},
        ).status_code
        == 403
    )

    # the post's own page shows it with its comments and actions
    single = guest.get(f"/posts/{pid}")
    assert single.status_code == 200
    assert "Noted, Tuesday" in html_of(single) and 'data-testid="post-edit"' in html_of(single)


# ---------------------------------------------------------------- delete, report, queue


def test_delete_comments_report_and_the_managers_queue(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest, manager, employee = clients["guest"], clients["manager"], clients["employee"]
    pid = post(guest, cid, "Crane arrives at 8")["id"]
    rude = comment(employee, pid, "What a silly plan")["id"]
    kept = comment(employee, pid, "Fine by me")["id"]
    mine = comment(guest, pid, "Thanks")["id"]

    guest_wall = html_of(guest.get(f"/communities/{cid}"))
    token = csrf_from(guest.get(f"/communities/{cid}"))
    assert has_testid(guest_wall, "comment-delete", mine)
    assert not has_testid(guest_wall, "comment-delete", kept)
    assert has_testid(guest_wall, "comment-report-toggle", kept)
    assert not has_testid(guest_wall, "comment-report-toggle", mine)  # not your own

    # a plain member may not delete someone else's comment; the author and managers may
    refused = guest.post(f"/comments/{kept}/delete", data={"csrf_token": token})
    assert flashes(guest, refused, "error")
    assert kept in [c["id"] for c in guest.get(f"{API}/posts/{pid}/comments").get_json()["items"]]
    own = guest.post(f"/comments/{mine}/delete", data={"csrf_token": token})
    assert "Comment deleted." in flashes(guest, own, "success")
    by_manager = manager.post(
        f"/comments/{kept}/delete", data={"csrf_token": csrf_from(manager.get(f"/communities/{cid}"))}
    )
    assert by_manager.status_code == 302
    remaining = [c["id"] for c in guest.get(f"{API}/posts/{pid}/comments").get_json()["items"]]
    assert remaining == [rude]
    assert (
        clients["outsider"]
        .post(
            f"/comments/{rude}/delete",
            data={"csrf_token": csrf_from(clients["outsider"].get("/communities"))},
        )
        .status_code
        == 404
    )

    # the guest reports the rude comment without a reason, then again: refused politely
    reported = guest.post(f"/comments/{rude}/report", data={"csrf_token": token, "reason": ""})
    assert "managers of the community" in flashes(guest, reported, "success")
    again = guest.post(f"/comments/{rude}/report", data={"csrf_token": token, "reason": "x"})
    assert "already reported" in flashes(guest, again, "error")
    post_report = employee.post(
        f"/posts/{pid}/report",
        data={"csrf_token": csrf_from(employee.get(f"/communities/{cid}")), "reason": "Wrong   time"},
    )
    assert post_report.status_code == 302

    # the queue: managers only, linked from the community page
    assert 'data-testid="tab-reports"' in html_of(manager.get(f"/communities/{cid}"))
    assert 'data-testid="tab-reports"' not in html_of(guest.get(f"/communities/{cid}"))
    assert guest.get(f"/communities/{cid}/reports").status_code == 403
    assert clients["outsider"].get(f"/communities/{cid}/reports").status_code == 404
    queue = manager.get(f"/communities/{cid}/reports")
    assert queue.status_code == 200
    page = html_of(queue)
    ids = re.findall(r'data-testid="report" data-report-id="([^"]+)" data-target-id="([^"]+)"', page)
    assert [target for _, target in ids] == [rude, pid]  # oldest first
    assert "What a silly plan" in page and "No reason given." in page
    assert "Wrong time" in page and "Gus Guest" in page
    report_id = ids[0][0]

    hidden = manager.post(
        f"/reports/{report_id}/hide",
        data={"csrf_token": csrf_from(queue), "community_id": cid, "next": f"/communities/{cid}/reports"},
    )
    assert hidden.status_code == 302 and hidden.headers["Location"].endswith(f"/communities/{cid}/reports")
    assert guest.get(f"{API}/posts/{pid}/comments").get_json()["items"] == []
    assert "What a silly plan" not in html_of(guest.get(f"/communities/{cid}"))
    open_now = html_of(manager.get(f"/communities/{cid}/reports"))
    assert rude not in open_now and pid in open_now
    hidden_list = html_of(manager.get(f"/communities/{cid}/reports", query_string={"status": "hidden"}))
    assert rude in hidden_list and 'data-testid="report-restore"' in hidden_list

    restored = manager.post(
        f"/reports/{report_id}/restore", data={"csrf_token": csrf_from(queue), "community_id": cid}
    )
    assert "visible again" in flashes(manager, restored, "success")
    assert [c["id"] for c in guest.get(f"{API}/posts/{pid}/comments").get_json()["items"]] == [rude]
    # a plain member cannot resolve reports
    refused = guest.post(f"/reports/{report_id}/hide", data={"csrf_token": token, "community_id": cid})
    assert flashes(guest, refused, "error")
    assert [c["id"] for c in guest.get(f"{API}/posts/{pid}/comments").get_json()["items"]] == [rude]


# ---------------------------------------------------------------- hashtags and mentions


def test_hashtag_and_mention_pages_with_paging(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest, manager, employee = clients["guest"], clients["manager"], clients["employee"]
    eric = people["employee"]["id"]
    first = post(guest, cid, "Truck one #Logistics")["id"]
    second = post(manager, cid, f"Truck two #logistics, ask @[Eric]({eric})")["id"]
    third = post(guest, cid, "Truck three #logistics")["id"]
    post(guest, cid, "No tag here")

    page = employee.get("/tags/logistics", query_string={"limit": 2})
    assert page.status_code == 200
    html = html_of(page)
    assert re.findall(r'data-testid="post" data-post-id="([^"]+)"', html) == [third, second]
    assert "#logistics" in html
    next_url = re.search(r'href="([^"]+)" data-testid="list-next"', html).group(1)
    assert next_url.startswith("/tags/logistics?")
    rest = html_of(employee.get(next_url.replace("&amp;", "&")))
    assert re.findall(r'data-testid="post" data-post-id="([^"]+)"', rest) == [first]
    assert 'data-testid="list-next"' not in rest

    # what the viewer may not read is not there; a bad tag is a clear 422
    outsider = html_of(clients["outsider"].get("/tags/logistics"))
    assert 'data-testid="list-empty"' in outsider and first not in outsider
    bad = employee.get("/tags/x")
    assert bad.status_code == 422 and 'data-testid="tag-invalid"' in html_of(bad)
    assert employee.get("/tags/logistics", query_string={"cursor": "garbage"}).status_code in (400, 422)

    # mentions: the navigation links to them
    home = html_of(employee.get("/"))
    assert 'data-testid="nav-mentions"' in home and 'href="/mentions"' in home
    mentions = html_of(employee.get("/mentions"))
    assert re.findall(r'data-testid="post" data-post-id="([^"]+)"', mentions) == [second]
    assert f'href="/posts/{second}"' in mentions
    assert 'data-testid="list-empty"' in html_of(guest.get("/mentions"))


# ---------------------------------------------------------------- settings


def test_managers_edit_the_community_settings(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    manager, guest, employee = clients["manager"], clients["guest"], clients["employee"]
    assert 'data-testid="tab-settings"' in html_of(manager.get(f"/communities/{cid}"))
    form = manager.get(f"/communities/{cid}/settings")
    assert form.status_code == 200
    html = html_of(form)
    assert 'value="Supplier project"' in html and "Deliveries" in html
    # the languages are chosen from a list named in the reader's language, not typed as codes
    assert '<option value="fr" selected>French</option>' in html
    assert '<option value="en" selected>English</option>' in html
    token = csrf_from(form)

    bad = manager.post(
        f"/communities/{cid}/settings",
        data={
            "csrf_token": token,
            "name": "ab",
            "kind": "team",
            "visibility": "private",
            "description": "",
            "languages": "fr",
        },
    )
    assert bad.status_code == 422 and 'data-testid="error-name"' in html_of(bad)
    bad_lang = manager.post(
        f"/communities/{cid}/settings",
        data={
            "csrf_token": token,
            "name": "Supplier project",
            "kind": "team",
            "visibility": "private",
            "languages": "french!!",
        },
    )
    assert bad_lang.status_code == 422
    assert manager.get(f"{API}/communities/{cid}").get_json()["kind"] == "project"

    saved = manager.post(
        f"/communities/{cid}/settings",
        data={
            "csrf_token": token,
            "name": "  Supplier   deliveries ",
            "kind": "support",
            "visibility": "secret",
            "description": "Trucks and cranes",
            "languages": "de, EN",
        },
    )
    assert saved.status_code == 302
    got = manager.get(f"{API}/communities/{cid}").get_json()
    assert got["name"] == "Supplier deliveries" and got["kind"] == "support"
    assert got["visibility"] == "secret" and got["description"] == "Trucks and cranes"
    assert got["languages"] == ["de", "en"] and got["newcomers_see_history"] is False
    assert got["picture"] is None
    again = manager.post(
        f"/communities/{cid}/settings",
        data={
            "csrf_token": token,
            "name": "Supplier deliveries",
            "kind": "support",
            "visibility": "secret",
            "description": "Trucks and cranes",
            "languages": "de, en",
            "newcomers_see_history": "true",
        },
    )
    assert again.status_code == 302
    assert manager.get(f"{API}/communities/{cid}").get_json()["newcomers_see_history"] is True

    # members and guests: forbidden; outsiders: the 404 of an unknown community
    assert guest.get(f"/communities/{cid}/settings").status_code == 403
    assert (
        employee.post(
            f"/communities/{cid}/settings",
            data={
                "csrf_token": csrf_from(employee.get(f"/communities/{cid}")),
                "name": "Mine now",
                "kind": "team",
                "visibility": "open",
            },
        ).status_code
        == 403
    )
    assert manager.get(f"{API}/communities/{cid}").get_json()["name"] == "Supplier deliveries"
    assert clients["outsider"].get(f"/communities/{cid}/settings").status_code == 404


# ---------------------------------------------------------------- preview


def test_markdown_preview_fragment_and_page(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest = clients["guest"]
    wall = guest.get(f"/communities/{cid}")
    html = html_of(wall)
    assert 'data-testid="composer-preview"' in html
    assert '<script src="/static/wall.js"' in html and "<script>" not in html
    token = csrf_from(wall)
    source = "**bold** <script>alert(1)</script> [x](javascript:alert(1)) #tag"

    fragment = guest.post("/preview", data={"csrf_token": token, "body": source, "partial": "1"})
    assert fragment.status_code == 200
    text = html_of(fragment)
    assert "<strong>bold</strong>" in text and 'data-testid="preview-html"' in text
    assert "<script>" not in text and 'href="javascript' not in text
    assert "<html" not in text  # only the fragment
    empty = guest.post("/preview", data={"csrf_token": token, "body": " ", "partial": "1"})
    assert empty.status_code == 422 and 'data-testid="preview-error"' in html_of(empty)

    # without script: the preview page, ready to publish to the composer's target
    target = f"/communities/{cid}/posts"
    page = guest.post(
        "/preview", data={"csrf_token": token, "body": "Hello *world*", "kind": "question", "target": target}
    )
    assert page.status_code == 200
    body = html_of(page)
    assert "<em>world</em>" in body and f'action="{target}"' in body
    assert 'name="kind" value="question"' in body
    published = guest.post(
        target, data={"csrf_token": csrf_from(page), "body": "Hello *world*", "kind": "question"}
    )
    assert published.status_code == 302
    assert guest.get(f"{API}/communities/{cid}/posts").get_json()["items"][0]["kind"] == "question"
    assert (
        guest.post(
            "/preview", data={"csrf_token": token, "body": "x", "target": "//evil.example/x"}
        ).status_code
        == 400
    )
    assert guest.post("/preview", data={"body": "x", "partial": "1"}).status_code == 403


@pytest.mark.parametrize("lang, word", [("fr", "Signalements"), ("de", "Einstellungen"), ("es", "Denuncias")])
def test_the_new_screens_render_translated(network, lang, word):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    manager = clients["manager"]
    pid = post(manager, cid, "Plan #weekly")["id"]
    for path in (
        f"/communities/{cid}/reports",
        f"/communities/{cid}/settings",
        f"/posts/{pid}",
        f"/posts/{pid}/edit",
        f"/posts/{pid}/history",
        "/tags/weekly",
        "/mentions",
    ):
        response = manager.get(path, query_string={"lang": lang})
        assert response.status_code == 200, path
        html = html_of(response)
        assert f'<html lang="{lang}">' in html and "<script>" not in html
    assert word in html_of(manager.get(f"/communities/{cid}/reports", query_string={"lang": lang}))


# ---------------------------------------------------------------- a form sent twice


def test_a_composer_or_comment_form_sent_twice_writes_once(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    employee = clients["employee"]
    page = html_of(employee.get(f"/communities/{cid}"))
    composer = page[page.index('data-testid="wall-composer"') :]
    key = re.search(r'name="idempotency_key" value="([^"]+)"', composer).group(1)
    form = {
        "csrf_token": csrf_from(employee.get(f"/communities/{cid}")),
        "body": "Sent twice",
        "kind": "message",
        "idempotency_key": key,
    }
    for _ in range(2):  # a double click
        assert "Published" in flashes(
            employee, employee.post(f"/communities/{cid}/posts", data=form), "success"
        )
    wall = employee.get(f"{API}/communities/{cid}/posts").get_json()["items"]
    posted = [p for p in wall if p["body"] == "Sent twice"]
    assert len(posted) == 1
    # every rendering offers a new key: the next message is another post
    again = html_of(employee.get(f"/communities/{cid}"))
    assert key not in again
    comment_form = {
        "csrf_token": form["csrf_token"],
        "body": "Also twice",
        "idempotency_key": "comment-key-1",
        "community_id": cid,
    }
    for _ in range(2):
        employee.post(f"/posts/{posted[0]['id']}/comments", data=comment_form)
    comments = employee.get(f"{API}/posts/{posted[0]['id']}/comments").get_json()["items"]
    assert [c["body"] for c in comments] == ["Also twice"]
