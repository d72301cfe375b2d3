"""Everyday posting and reading through the gateway: identity, communities and feed on the
real RabbitMQ, driven with the Flask test client and real sign-in cookies. Nothing is mocked.

The mention picker (members only; a guest: co-members only), mentions of people who cannot
read the community refused naming them, pasted @first.last handles, cards of links to Parvis
content checked against the reader's rights, must-read announcements pinned until read,
home's composer and side column, relative times in the reader's language and time zone,
profiles' communities and activity, countries and languages chosen from lists.
"""

import re

from test_gateway import API, assert_error_shape, csrf_from, write
from test_gateway_communities import (  # noqa: F401  (fixture)
    UNKNOWN_ID,
    create_community,
    network,
    private_community_with_guest,
    wall_readable,
)

from tests.support import wait_until


def html_of(response) -> str:
    return response.get_data(as_text=True)


def post(client, cid, body, kind="message"):
    response = write(client, "POST", f"{API}/communities/{cid}/posts", json={"body": body, "kind": kind})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def mentionable(client, cid, q):
    return client.get(f"{API}/communities/{cid}/mentionable", query_string={"q": q})


def identity_knows(client, cid):
    """For wait_until: identity's read model of membership has heard of the community."""
    return lambda: mentionable(client, cid, "zz").status_code == 200


def names(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {item["display_name"] for item in response.get_json()["items"]}


def flash_errors(client, response) -> str:
    assert response.status_code == 302, html_of(response)[:300]
    page = html_of(client.get(response.headers["Location"]))
    return " ".join(re.findall(r'data-testid="flash-error">([^<]*)<', page))


def open_community_with(network, *who):
    """An open community of the manager that ``who`` joined."""
    app, people, clients, partner = network
    cid = create_community(clients["manager"], name="Open corner", visibility="open", kind="interest")["id"]
    for key in who:
        assert write(clients[key], "POST", f"{API}/communities/{cid}/join").status_code == 200
    for key in ("manager", *who):
        wait_until(wall_readable(clients[key], cid), timeout=15)
    return cid


# ---------------------------------------------------------------- mentions


def test_the_mention_picker_offers_members_only_and_to_members_only(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    employee, guest = clients["employee"], clients["guest"]
    wait_until(identity_knows(guest, cid), timeout=15)

    found = mentionable(employee, cid, "man")
    assert found.status_code == 200
    (manon,) = found.get_json()["items"]
    assert manon["id"] == people["manager"]["id"] and manon["handle"] == "manon.manager"
    assert manon["mention"] == f"@[Manon Manager]({people['manager']['id']})"
    # never the author, never someone outside the community (Olga is an employee elsewhere)
    assert names(mentionable(employee, cid, "g")) == {"Manon Manager", "Gus Guest"}
    # a guest: the people they share the community with, nobody else
    assert names(mentionable(guest, cid, "e")) == {"Manon Manager", "Eric Employee"}
    assert names(mentionable(guest, cid, "olga")) == set()

    # outside the community: the very answer of an unknown one; an admin sees its card only
    hidden = mentionable(clients["outsider"], cid, "man")
    unknown = mentionable(clients["outsider"], UNKNOWN_ID, "man")
    assert_error_shape(hidden, 404, "not_found")
    assert hidden.get_json() == unknown.get_json()
    assert_error_shape(mentionable(clients["admin"], cid, "man"), 403, "forbidden")
    assert_error_shape(mentionable(employee, cid, "x" * 61), 422)
    assert clients["employee"].get(f"{API}/communities/{cid}/mentionable").get_json() == {"items": []}


def test_a_mention_of_someone_who_cannot_read_is_refused_naming_them(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    employee = clients["employee"]
    olga = people["outsider"]["id"]
    wait_until(identity_knows(employee, cid), timeout=15)

    refused = write(
        employee, "POST", f"{API}/communities/{cid}/posts", json={"body": f"cc @[Olga Outsider]({olga})"}
    )
    body = assert_error_shape(refused, 422, "validation_failed")
    assert body["error"]["details"]["mentions"] == [olga]
    assert "Olga Outsider" in body["error"]["details"]["body"][0]
    # pasted as a handle: named too, never dropped in silence
    handle = write(employee, "POST", f"{API}/communities/{cid}/posts", json={"body": "cc @olga.outsider"})
    assert assert_error_shape(handle, 422)["error"]["details"]["mention_names"] == ["Olga Outsider"]
    assert employee.get(f"{API}/communities/{cid}/posts").get_json()["items"] == []

    # the web form says whom, in the reader's language
    page = employee.get(f"/communities/{cid}?lang=fr")
    sent = employee.post(
        f"/communities/{cid}/posts",
        data={"csrf_token": csrf_from(page), "body": "Bonjour @olga.outsider", "kind": "message"},
    )
    assert "Olga Outsider" in flash_errors(employee, sent)
    assert "ne pouvez mentionner que" in flash_errors(
        employee,
        employee.post(
            f"/communities/{cid}/posts?lang=fr",
            data={"csrf_token": csrf_from(page), "body": f"@[Olga]({olga})", "kind": "message"},
        ),
    )


def test_a_pasted_handle_of_a_member_becomes_a_real_mention(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    guest = clients["guest"]
    wait_until(identity_knows(guest, cid), timeout=15)
    created = post(guest, cid, "Thanks @eric.employee and @Manon.Manager! (not `@eric.employee`)")
    eric, manon = people["employee"]["id"], people["manager"]["id"]
    assert created["mentions"] == [eric, manon]
    assert created["body"].startswith(f"Thanks @[Eric Employee]({eric}) and @[Manon Manager]({manon})!")
    assert "`@eric.employee`" in created["body"]
    assert created["id"] in [
        p["id"] for p in clients["employee"].get(f"{API}/me/mentions").get_json()["items"]
    ]
    # in a comment too
    comment = write(
        guest, "POST", f"{API}/posts/{created['id']}/comments", json={"body": "@manon.manager ok?"}
    )
    assert comment.status_code == 201 and comment.get_json()["mentions"] == [manon]


def test_the_composer_and_the_comment_box_carry_the_mention_picker(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    pid = post(clients["manager"], cid, "Plan")["id"]
    wall = html_of(clients["employee"].get(f"/communities/{cid}"))
    picker = f'data-mentions="/api/v1/communities/{cid}/mentionable"'
    assert wall.count(picker) >= 2  # the composer, the comment box (and each reply box)
    assert 'src="/static/everyday.js"' in wall
    # the compact comment box: a link to the post's page (its full form without script)
    assert f'href="/posts/{pid}#comment-form-{pid}"' in wall and "data-comment-box" in wall
    post_page = html_of(clients["employee"].get(f"/posts/{pid}"))
    assert f'id="comment-form-{pid}"' in post_page and "data-comment-box" not in post_page


# ---------------------------------------------------------------- links to Parvis content


def test_a_link_to_parvis_content_is_a_card_only_for_readers_who_may_see_it(network):
    app, people, clients, partner = network
    private = private_community_with_guest(network)
    secret_post = post(clients["manager"], private, "Quarterly **numbers** are in")["id"]
    corner = open_community_with(network, "employee", "outsider")
    linking = post(
        clients["manager"],
        corner,
        f"See http://localhost/posts/{secret_post} and /communities/{private} and https://example.com/x.",
    )
    assert '<a href="https://example.com/x" rel="nofollow noopener noreferrer ugc">' in linking["html"]

    member_view = html_of(clients["employee"].get(f"/communities/{corner}"))
    assert 'data-testid="link-card"' in member_view
    assert "Quarterly numbers are in" in member_view
    assert 'data-kind="post"' in member_view

    outsider_view = html_of(clients["outsider"].get(f"/communities/{corner}"))
    assert f'href="http://localhost/posts/{secret_post}"' in outsider_view  # a plain link
    assert 'data-testid="link-card"' not in outsider_view
    assert "Quarterly numbers" not in outsider_view
    # the post's own page: the same rule
    assert "Quarterly numbers" not in html_of(clients["outsider"].get(f"/posts/{linking['id']}"))
    assert "Quarterly numbers" in html_of(clients["employee"].get(f"/posts/{linking['id']}"))


# ---------------------------------------------------------------- pinned announcements


def test_a_must_read_announcement_is_pinned_until_read(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    manager, employee = clients["manager"], clients["employee"]
    news = post(manager, cid, "New **safety** rules", kind="announcement")["id"]
    pinned = f'data-testid="pinned-post" data-post-id="{news}"'

    assert pinned in html_of(employee.get(f"/communities/{cid}"))
    home = employee.get("/")
    assert pinned in html_of(home)
    assert [p["id"] for p in employee.get(f"{API}/me/announcements").get_json()["items"]] == [news]
    assert pinned not in html_of(manager.get("/"))  # the author has nothing to acknowledge
    assert pinned in html_of(clients["guest"].get("/"))

    read = employee.post(
        f"/posts/{news}/read", data={"csrf_token": csrf_from(home), "community_id": cid, "next": "/"}
    )
    assert read.status_code == 302 and read.headers["Location"].endswith("/")
    assert pinned not in html_of(employee.get("/"))
    assert pinned not in html_of(employee.get(f"/communities/{cid}"))
    assert employee.get(f"{API}/me/announcements").get_json()["items"] == []
    assert 'data-testid="home-announcements-none"' in html_of(employee.get("/"))
    assert pinned in html_of(clients["guest"].get("/"))  # read by one, not by all


# ---------------------------------------------------------------- home


def test_home_composer_side_column_and_inline_like(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    employee = clients["employee"]
    home = employee.get("/")
    page = html_of(home)
    assert f'<option value="{cid}"' in page and 'data-testid="home-composer"' in page
    assert f'data-testid="home-community" data-community-id="{cid}"' in page

    sent = employee.post(
        "/compose",
        data={"csrf_token": csrf_from(home), "community_id": cid, "body": "From home", "kind": "message"},
    )
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/")
    created = employee.get(f"{API}/communities/{cid}/posts").get_json()["items"][0]
    assert created["body"] == "From home"
    timeline = html_of(employee.get("/"))
    marker = f'data-testid="post" data-post-id="{created["id"]}"'
    assert marker in timeline
    block = timeline[timeline.index(marker) :]
    assert 'data-testid="post-like"' in block[:4000] and 'data-testid="comment-open"' in block[:6000]

    # a community one is not in: the composer of home cannot reach it either
    outsider = clients["outsider"]
    refused = outsider.post(
        "/compose",
        data={
            "csrf_token": csrf_from(outsider.get("/")),
            "community_id": cid,
            "body": "x",
            "kind": "message",
        },
    )
    assert refused.status_code == 404
    # a pending invitation shows beside the timeline
    invited = write(
        clients["manager"],
        "POST",
        f"{API}/communities/{cid}/invitations",
        json={"person_id": people["outsider"]["id"]},
    )
    assert invited.status_code == 201
    assert f'data-testid="home-invitation" data-community-id="{cid}"' in html_of(outsider.get("/"))
    assert 'data-testid="home-composer"' not in html_of(outsider.get("/"))  # nowhere to post yet


# ---------------------------------------------------------------- times and avatars


def test_times_are_relative_in_the_readers_language_and_exact_in_their_time_zone(network):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    post(clients["manager"], cid, "Fresh news")
    employee = clients["employee"]
    utc = html_of(employee.get(f"/communities/{cid}"))
    stamp = re.search(r'<time datetime="([^"]+)" title="([^"]+)" data-testid="post-time">([^<]+)</time>', utc)
    assert stamp and stamp.group(2).endswith("(UTC)") and stamp.group(3).endswith("ago")

    saved = write(employee, "PATCH", f"{API}/me", json={"time_zone": "Asia/Tokyo"})
    assert saved.status_code == 200, saved.get_json()
    for lang, word in (("fr", "il y a"), ("es", "hace"), ("de", "vor"), ("en", "ago")):
        html = html_of(employee.get(f"/communities/{cid}", query_string={"lang": lang}))
        found = re.search(r'title="([^"]+)" data-testid="post-time">([^<]+)</time>', html)
        assert found and found.group(1).endswith("(Asia/Tokyo)"), lang
        assert word in found.group(2), (lang, found.group(2))
    # every author has an avatar (photo or initials) beside the name
    assert 'data-testid="avatar-initials"' in utc


# ---------------------------------------------------------------- profiles


def test_a_profile_shows_the_communities_and_activity_the_viewer_may_see(network):
    app, people, clients, partner = network
    private = private_community_with_guest(network)
    corner = open_community_with(network, "employee")
    post(clients["employee"], private, "Private progress report")
    post(clients["employee"], corner, "Open hobby note")
    eric = people["employee"]["id"]

    guest_view = html_of(clients["guest"].get(f"/people/{eric}"))
    assert f'data-testid="profile-community" data-community-id="{private}"' in guest_view
    assert f'data-community-id="{corner}"' not in guest_view  # guests never see open ones
    assert "Private progress report" in guest_view and "Open hobby note" not in guest_view

    outsider_view = html_of(clients["outsider"].get(f"/people/{eric}"))
    assert f'data-community-id="{private}"' not in outsider_view
    assert "Supplier project" not in outsider_view
    assert f'data-testid="profile-community" data-community-id="{corner}"' in outsider_view
    assert "Open hobby note" in outsider_view and "Private progress report" not in outsider_view

    mine = html_of(clients["employee"].get("/me"))
    assert "Private progress report" in mine and "Open hobby note" in mine


def test_countries_and_languages_are_chosen_from_lists_named_in_the_readers_language(network):
    app, people, clients, partner = network
    employee = clients["employee"]
    form = employee.get("/me/edit", query_string={"lang": "fr"})
    page = html_of(form)
    assert '<option value="DE" >Allemagne</option>' in page or '<option value="DE">Allemagne</option>' in page
    assert ">allemand</option>" in page and 'name="languages" multiple' in page
    assert "data-propose-zone" in page  # the browser's zone is proposed when none is set
    saved = employee.post(
        "/me/edit",
        data={
            "csrf_token": csrf_from(form),
            "display_name": "Eric Employee",
            "country": "DE",
            "languages": ["de", "fr"],
            "languages_shown": "1",
        },
    )
    assert saved.status_code == 302, html_of(saved)[:500]
    me = employee.get(f"{API}/me").get_json()
    assert me["country"] == "DE" and me["languages"] == ["de", "fr"]
    profile = html_of(employee.get("/me", query_string={"lang": "es"}))
    assert re.search(r'data-testid="profile-country" data-code="DE">Alemania<', profile)
    assert "alemán, francés" in profile
    # nothing chosen clears the list
    cleared = employee.post(
        "/me/edit",
        data={"csrf_token": csrf_from(form), "display_name": "Eric Employee", "languages_shown": "1"},
    )
    assert cleared.status_code == 302 and employee.get(f"{API}/me").get_json()["languages"] == []

    # a community's languages, on its creation form
    directory = employee.get("/communities", query_string={"lang": "de"})
    assert 'data-testid="community-create-languages"' in html_of(directory)
    created = employee.post(
        "/communities",
        data={
            "csrf_token": csrf_from(directory),
            "name": "Polyglots",
            "kind": "interest",
            "visibility": "open",
            "languages": ["es", "it"],
        },
    )
    assert created.status_code == 302
    cid = created.headers["Location"].rsplit("/", 1)[-1]
    assert employee.get(f"{API}/communities/{cid}").get_json()["languages"] == ["es", "it"]
