"""Search through the gateway: identity, communities, feed, documents and search on the real
RabbitMQ, people signed in with real cookies. The search service learns everything from the
other services' events (what is written, who may read it); nothing is mocked.
"""

import re

import pytest
from test_gateway import ADMIN_EMAIL, API, PASSWORD, assert_error_shape, client_for, create_person, write

from gateway.app import create_app
from services.communities.service import CommunitiesService
from services.documents.service import DocumentsService
from services.feed.service import FeedService
from services.identity.service import IdentityService
from services.search.service import SearchService
from tests.support import bootstrap_acme, wait_until

FRENCH_POST = "Les livraisons de pare-chocs sont retardées"
#: the same words as a reader types them: singular, one accent left out
ENGLISH_READERS_QUERY = "livraison retardee"
#: how the results page shows a match of that post
MARKED = re.compile(r"<mark>livraisons</mark> de pare-chocs sont <mark>retardées</mark>")


@pytest.fixture
def network(start_service, rpc, tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    for cls in (IdentityService, CommunitiesService, FeedService, DocumentsService, SearchService):
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
        "eve": create_person(admin, "eve@acme.example", "Eve Outsider")["person"],
    }
    clients = {key: client_for(app, person["email"]) for key, person in people.items()}
    made = write(
        clients["louise"],
        "POST",
        f"{API}/communities",
        json={"name": "Carrosserie Lyon", "kind": "project", "visibility": "private"},
    )
    assert made.status_code == 201, made.get_json()
    cid = made.get_json()["id"]
    invited = write(
        clients["louise"],
        "POST",
        f"{API}/communities/{cid}/invitations",
        json={"person_id": people["olivia"]["id"]},
    )
    assert invited.status_code == 201, invited.get_json()
    accepted = write(clients["olivia"], "POST", f"{API}/me/invitations/{cid}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    for who in ("louise", "olivia"):
        wait_until(
            lambda c=clients[who]: c.get(f"{API}/communities/{cid}/posts").status_code == 200, timeout=20
        )
    return app, people, clients, cid


def search(client, q, **args):
    response = client.get(f"{API}/search", query_string={"q": q, **args})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def found(client, q, **args) -> list[str]:
    return [item["id"] for item in search(client, q, **args)["items"]]


def post(client, cid, body, language="fr"):
    response = write(
        client, "POST", f"{API}/communities/{cid}/posts", json={"body": body, "language": language}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_english_reader_finds_a_french_post_and_an_outsider_finds_nothing(network):
    app, people, clients, cid = network
    written = post(clients["louise"], cid, FRENCH_POST)
    olivia, eve = clients["olivia"], clients["eve"]
    # the index follows the feed's events: bounded wait, then the stemmed, folded match
    wait_until(lambda: found(olivia, ENGLISH_READERS_QUERY) == [written["id"]], timeout=20)
    (item,) = search(olivia, "livraison retardée")["items"]
    assert item["kind"] == "post" and item["id"] == written["id"]
    assert item["community_id"] == cid and item["community_name"] == "Carrosserie Lyon"
    assert item["language"] == "fr" and item["post_id"] is None and item["created_at"]
    # the API's snippet is plain text; the matching words are ranges of it, no marker left
    assert item["snippet"] == FRENCH_POST
    assert [item["snippet"][start:end] for start, end in item["highlights"]] == ["livraisons", "retardées"]
    assert "\ue000" not in item["snippet"] and "\ue001" not in item["snippet"]
    assert search(olivia, "livraison retardee")["next_cursor"] is None
    # a person who is not in the community finds nothing, even naming it
    assert found(eve, ENGLISH_READERS_QUERY) == []
    assert found(eve, ENGLISH_READERS_QUERY, community_id=cid) == []
    # filters: kinds (repeated or comma-separated), the community, the language
    assert found(olivia, ENGLISH_READERS_QUERY, kinds="post,comment") == [written["id"]]
    assert found(olivia, ENGLISH_READERS_QUERY, kinds=["page", "document"]) == []
    assert found(olivia, ENGLISH_READERS_QUERY, community_id=cid, language="fr") == [written["id"]]
    assert found(olivia, ENGLISH_READERS_QUERY, language="en") == []


@pytest.mark.parametrize(
    "lang, title",
    [
        ("en", "Results for “livraison retardée”"),
        ("fr", "Résultats pour « livraison retardée »"),
        ("es", "Resultados para «livraison retardée»"),
        ("de", "Ergebnisse für „livraison retardée“"),
    ],
)
def test_the_results_page_marks_the_words_in_every_language(network, lang, title):
    app, people, clients, cid = network
    written = post(clients["louise"], cid, FRENCH_POST)
    olivia = clients["olivia"]
    wait_until(lambda: found(olivia, ENGLISH_READERS_QUERY) == [written["id"]], timeout=20)
    response = olivia.get("/search", query_string={"q": "livraison retardée", "lang": lang})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert title in html
    assert MARKED.search(html), html
    assert f'href="/posts/{written["id"]}"' in html and "Carrosserie Lyon" in html
    assert 'lang="fr"' in html  # the snippet says its language (screen readers)
    # the top bar keeps the query; the tabs link to each kind; the help explains the operators
    assert re.search(r'id="top-search-q"[^>]*value="livraison retardée"', html)
    assert 'data-testid="search-tab-comment"' in html and "kinds=comment" in html
    assert 'data-testid="search-help"' in html
    # every page has the box, with its label for screen readers
    home = olivia.get("/", query_string={"lang": lang}).get_data(as_text=True)
    assert 'role="search"' in home and '<label for="top-search-q" class="visually-hidden">' in home


def test_what_an_author_writes_is_escaped_only_the_marks_are_markup(network):
    app, people, clients, cid = network
    body = 'Si 2 < 3 & 5 > 4 alors livraison "urgente" <img src=x onerror=alert(1)>'
    written = post(clients["louise"], cid, body)
    olivia = clients["olivia"]
    wait_until(lambda: found(olivia, "livraison") == [written["id"]], timeout=20)
    # "<>" only separates words: the query is "livraison"
    html = olivia.get("/search", query_string={"q": "livraison <>", "lang": "en"}).get_data(as_text=True)
    assert "2 &lt; 3 &amp; 5 &gt; 4 alors <mark>livraison</mark> &#34;urgente&#34;" in html, re.findall(
        r'data-testid="search-snippet">(.*?)</p>', html
    )
    assert "<img" not in html and "onerror" not in html
    # the query is echoed escaped (the title, the boxes)
    assert "livraison <>" not in html and "Results for “livraison &lt;&gt;”" in html


#: each a query that must never be a 500 (one platform for them all: a case is a request)
BAD_QUERIES = [
    "",
    "x" * 201,
    "x" * 10_000,
    "livraison\x00retard",
    '"livraison retard',
    "livraison NEAR retard",
    "livr* ^retard (a OR b)",
    "***",
    "-livraison",
    " ".join(["mot"] * 17),
]


def test_bad_input_is_a_4xx_or_an_empty_page_never_a_500(network, subtests):
    app, people, clients, cid = network
    olivia = clients["olivia"]
    for query in BAD_QUERIES:
        with subtests.test(query=query[:40]):
            response = olivia.get(f"{API}/search", query_string={"q": query})
            assert response.status_code in (200, 422), (response.status_code, response.get_json())
            if response.status_code == 422:
                assert_error_shape(response, 422, "validation_failed")
            else:
                assert response.get_json()["items"] == []
            page = olivia.get("/search", query_string={"q": query})
            assert page.status_code in (200, 422)
            if page.status_code == 422:
                assert 'data-testid="search-refused"' in page.get_data(as_text=True)


BAD_ARGUMENTS = [
    {},
    {"q": "livraison", "kinds": "poll"},
    {"q": "livraison", "kinds": "post,"},
    {"q": "livraison", "limit": 0},
    {"q": "livraison", "limit": 101},
    {"q": "livraison", "limit": "many"},
    {"q": "livraison", "language": "xx"},
    {"q": "livraison", "cursor": "not-a-cursor"},
    {"q": "livraison", "community_id": "c" * 65},
]


def test_bad_arguments_are_422_in_the_one_error_shape(network, subtests):
    app, people, clients, cid = network
    for args in BAD_ARGUMENTS:
        with subtests.test(args=str(args)[:60]):
            response = clients["olivia"].get(f"{API}/search", query_string=args)
            assert_error_shape(response, 422, "validation_failed")
            if args and "limit" not in args:  # the page shows 20 a page, whatever is asked
                page = clients["olivia"].get("/search", query_string=args)
                assert page.status_code == 422 and 'data-testid="search-refused"' in page.get_data(
                    as_text=True
                )


def test_signed_out_is_401_and_the_page_asks_to_sign_in(network):
    app, people, clients, cid = network
    visitor = app.test_client()
    assert_error_shape(visitor.get(f"{API}/search", query_string={"q": "livraison"}), 401)
    page = visitor.get("/search", query_string={"q": "livraison"})
    assert page.status_code == 302 and "/sign-in" in page.headers["Location"]


def test_an_edit_and_a_delete_reach_the_index(network):
    app, people, clients, cid = network
    louise, olivia = clients["louise"], clients["olivia"]
    written = post(louise, cid, FRENCH_POST)
    wait_until(lambda: found(olivia, ENGLISH_READERS_QUERY) == [written["id"]], timeout=20)
    edited = write(
        louise, "PATCH", f"{API}/posts/{written['id']}", json={"body": "Les pare-chocs sont arrivés ce matin"}
    )
    assert edited.status_code == 200, edited.get_json()
    wait_until(lambda: found(olivia, "arrivé") == [written["id"]], timeout=20)
    assert found(olivia, ENGLISH_READERS_QUERY) == []
    deleted = write(louise, "DELETE", f"{API}/posts/{written['id']}")
    assert deleted.status_code in (200, 204), deleted.get_data(as_text=True)
    wait_until(lambda: found(olivia, "arrivé") == [], timeout=20)


def test_comments_pages_and_documents_are_found_and_lead_to_their_content(network):
    app, people, clients, cid = network
    louise, olivia = clients["louise"], clients["olivia"]
    written = post(louise, cid, "Planning de l'atelier")
    reply = write(
        olivia,
        "POST",
        f"{API}/posts/{written['id']}/comments",
        json={"body": "Bumper delivery is late", "language": "en"},
    )
    assert reply.status_code == 201, reply.get_json()
    page = write(
        louise,
        "POST",
        f"{API}/communities/{cid}/pages",
        json={"title": "Bumper repair procedure", "body": "Sand, prime, then paint the bumper."},
    )
    assert page.status_code == 201, page.get_json()
    document = write(
        louise,
        "POST",
        f"{API}/communities/{cid}/documents",
        query_string={"name": "bumper-repair.txt"},
        data=b"Bumper repair, step by step\n",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert document.status_code == 201, document.get_json()
    ids = {
        "comment": reply.get_json()["id"],
        "page": page.get_json()["id"],
        "document": document.get_json()["id"],
    }
    wait_until(lambda: set(found(olivia, "bumper")) == set(ids.values()), timeout=20)
    items = {item["kind"]: item for item in search(olivia, "bumper")["items"]}
    assert items["comment"]["post_id"] == written["id"]
    assert items["page"]["title"] == "Bumper repair procedure"
    assert items["document"]["title"] == "bumper-repair.txt"
    # a page a kind at a time, and "Older results" by cursor
    first = search(olivia, "bumper", limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = search(olivia, "bumper", limit=2, cursor=first["next_cursor"])
    assert {i["id"] for i in first["items"] + rest["items"]} == set(ids.values())
    html = olivia.get("/search", query_string={"q": "bumper", "lang": "en"}).get_data(as_text=True)
    assert f'href="/posts/{written["id"]}#comment-{ids["comment"]}"' in html
    assert f'href="/pages/{ids["page"]}"' in html and f'href="/documents/{ids["document"]}"' in html
    only_pages = olivia.get("/search", query_string={"q": "bumper", "kinds": "page"}).get_data(as_text=True)
    assert only_pages.count('data-testid="search-result"') == 1
    assert re.search(r'data-testid="search-tab-page" aria-current="page"', only_pages)
