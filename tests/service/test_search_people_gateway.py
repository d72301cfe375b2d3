"""People, communities and the expertise finder through the gateway: identity, communities,
feed, documents and search on the real RabbitMQ, people signed in with real cookies. The
search service learns profiles from identity's ``profile_changed``, communities from the
communities' events, the evidence from the feed's; nothing is mocked.

The network: Louise (French, a bodywork specialist whose education is for employees only)
manages "Carrosserie Lyon" (private, Olivia in it), "Coin fournisseurs" (private, Hans the
supplier's guest in it) and "Projet Zéphyr" (secret, alone). Eve and Paul are employees in
no community; Paul declares "carrosserie" too.
"""

import pytest
from test_gateway import (
    ADMIN_EMAIL,
    API,
    PASSWORD,
    assert_error_shape,
    client_for,
    create_partner,
    create_person,
    write,
)

from gateway.app import create_app
from services.communities.service import CommunitiesService
from services.documents.service import DocumentsService
from services.feed.service import FeedService
from services.identity.service import IdentityService
from services.search.service import SearchService
from tests.support import bootstrap_acme, wait_until


def ok(response, status=(200, 201)):
    assert response.status_code in status, (response.status_code, response.get_json())
    return response.get_json()


@pytest.fixture
def network(start_service, rpc, tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    for cls in (IdentityService, CommunitiesService, FeedService, DocumentsService, SearchService):
        start_service(cls)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    admin = client_for(app, ADMIN_EMAIL)
    supplier = create_partner(admin, "Acme Supplies GmbH")
    people = {
        "louise": create_person(admin, "louise@acme.example", "Louise Bernard", preferred_language="fr")[
            "person"
        ],
        "olivia": create_person(admin, "olivia@acme.example", "Olivia Owens")["person"],
        "eve": create_person(admin, "eve@acme.example", "Eve Outsider")["person"],
        "paul": create_person(admin, "paul@acme.example", "Paul Painter")["person"],
        "hans": create_person(admin, "hans@supplies.example", "Hans Müller", org_id=supplier["id"])["person"],
    }
    clients = {key: client_for(app, person["email"]) for key, person in people.items()}
    clients["admin"] = admin
    ok(
        write(
            clients["louise"],
            "PATCH",
            f"{API}/me",
            json={
                "job_title": "Carrossière",
                "country": "FR",
                "languages": ["fr", "en"],
                "skills": ["Carrosserie", "peinture"],
                "about": "Pare-chocs et ailes depuis vingt ans.",
                "education": "Lycée professionnel de Vénissieux",
                "visibility": {"education": "employees"},
            },
        )
    )
    ok(write(clients["paul"], "PATCH", f"{API}/me", json={"skills": ["carrosserie"], "country": "DE"}))

    def community(name, visibility, members=(), **fields):
        made = ok(
            write(
                clients["louise"],
                "POST",
                f"{API}/communities",
                json={"name": name, "kind": "project", "visibility": visibility, **fields},
            )
        )
        for who in members:
            ok(
                write(
                    clients["louise"],
                    "POST",
                    f"{API}/communities/{made['id']}/invitations",
                    json={"person_id": people[who]["id"]},
                )
            )
            ok(write(clients[who], "POST", f"{API}/me/invitations/{made['id']}/accept"))
        for who in ("louise", *members):
            wait_until(
                lambda c=clients[who], cid=made["id"]: (
                    c.get(f"{API}/communities/{cid}/posts").status_code == 200
                ),
                timeout=20,
            )
        return made["id"]

    cids = {
        "lyon": community(
            "Carrosserie Lyon",
            "private",
            ["olivia"],
            description="Réparations de pare-chocs et devis de l'atelier",
        ),
        "supplier": community("Coin fournisseurs", "private", ["hans"], allowed_org_ids=[supplier["id"]]),
        "zephyr": community("Projet Zéphyr", "secret", description="Le prototype Zéphyr"),
    }
    # the index knows the people (identity's events), the communities and who is in them
    wait_until(
        lambda: ids(search(clients["hans"], "louise", kinds="person")) == [people["louise"]["id"]], timeout=20
    )
    wait_until(lambda: people["paul"]["id"] in expert_ids(clients["eve"], "carrosserie"), timeout=20)
    return {"app": app, "people": people, "clients": clients, "cids": cids}


def search(client, q, **args):
    return ok(client.get(f"{API}/search", query_string={"q": q, **args}), (200,))


def ids(page) -> list[str]:
    return [item["id"] for item in page["items"]]


def experts(client, skill, **args):
    return ok(client.get(f"{API}/people/experts", query_string={"skill": skill, **args}), (200,))


def expert_ids(client, skill, **args) -> list[str]:
    return ids(experts(client, skill, **args))


def test_a_guest_finds_only_the_people_he_shares_a_community_with_never_by_an_employees_only_field(network):
    people, clients = network["people"], network["clients"]
    hans, olivia = clients["hans"], clients["olivia"]
    louise = people["louise"]["id"]
    # Hans shares "Coin fournisseurs" with Louise: her card, by her name, job or skill
    (hit,) = search(hans, "louise", kinds="person")["items"]
    assert hit["kind"] == "person" and hit["id"] == louise and hit["title"] == "Louise Bernard"
    assert hit["person"]["job_title"] == "Carrossière" and hit["person"]["org_name"] == "Acme"
    assert hit["person"]["skills"] == [
        "carrosserie",
        "peinture",
    ]  # normalised: "Carrosserie" is "carrosserie"
    assert louise in ids(search(hans, "carrosserie", kinds="person"))
    # nobody else: not Eve nor Paul, though they are in the directory of employees
    for name in ("eve", "paul", "outsider", "painter"):
        assert search(hans, name, kinds="person")["items"] == [], name
    assert expert_ids(hans, "carrosserie") == [louise]  # Paul declares it too: not for Hans
    # her education is for employees: an employee finds her by it, Hans never, nor sees it
    assert ids(search(olivia, "lycée vénissieux", kinds="person")) == [louise]
    assert search(hans, "lycée vénissieux", kinds="person")["items"] == []
    assert search(hans, "louise lycée")["items"] == []
    for item in search(hans, "louise")["items"] + search(hans, "carrosserie")["items"]:
        assert "Vénissieux" not in item["snippet"] and "Lycée" not in item["snippet"]
    # the results page: a tab of people, each leading to the profile
    html = olivia.get("/search", query_string={"q": "louise", "kinds": "person", "lang": "fr"}).get_data(
        as_text=True
    )
    assert f'href="/people/{louise}"' in html and "Une personne" in html and "Carrossière" in html
    assert 'data-testid="search-tab-person" aria-current="page"' in html
    # his own profile page of her says nothing of it either (identity's rule, the same)
    assert "education" not in ok(hans.get(f"{API}/people/{louise}"), (200,)).get("personal", {})
    # the suggestions hold only the skills of people he may see
    assert [
        s["skill"]
        for s in ok(hans.get(f"{API}/people/skills", query_string={"prefix": "carro"}), (200,))["items"]
    ] == ["carrosserie"]
    assert ok(hans.get(f"{API}/people/skills", query_string={"prefix": "pein"}), (200,))["items"] == [
        {"skill": "peinture", "prefix": True}
    ]


def test_a_secret_community_is_invisible_to_non_members_and_a_private_one_shows_its_name_only(network):
    clients, cids = network["clients"], network["cids"]
    louise, eve, hans, admin = clients["louise"], clients["eve"], clients["hans"], clients["admin"]
    # its members find the secret community, by its name and its description
    (hit,) = search(louise, "zéphyr", kinds="community")["items"]
    assert hit["id"] == cids["zephyr"] and hit["access"] == "full" and hit["community"]["member_count"] == 1
    assert ids(search(louise, "prototype", kinds="community")) == [cids["zephyr"]]
    # a non-member never: an employee, a guest, in any tab
    for client in (eve, hans, clients["olivia"]):
        assert search(client, "zéphyr")["items"] == []
        assert search(client, "prototype")["items"] == []
    # an admin sees its name and size, not its description
    (seen,) = search(admin, "zéphyr", kinds="community")["items"]
    assert seen["access"] == "metadata" and "prototype" not in seen["snippet"].lower()
    assert search(admin, "prototype", kinds="community")["items"] == []
    # a private community: its name for employees, its description for its members only
    (named,) = search(eve, "carrosserie lyon", kinds="community")["items"]
    assert named["id"] == cids["lyon"] and named["access"] == "metadata" and "devis" not in named["snippet"]
    assert search(eve, "devis", kinds="community")["items"] == []
    assert ids(search(clients["olivia"], "devis", kinds="community")) == [cids["lyon"]]
    assert search(hans, "carrosserie lyon", kinds="community")["items"] == []  # a guest: his own only
    assert ids(search(hans, "fournisseurs", kinds="community")) == [cids["supplier"]]
    # the results page: a tab per kind; the secret one nowhere for Eve
    html = eve.get("/search", query_string={"q": "zéphyr", "lang": "en"}).get_data(as_text=True)
    assert 'data-testid="search-tab-community"' in html and 'data-testid="search-result"' not in html
    html = eve.get(
        "/search", query_string={"q": "carrosserie lyon", "kinds": "community", "lang": "en"}
    ).get_data(as_text=True)
    assert f'href="/communities/{cids["lyon"]}"' in html and 'data-testid="search-not-member"' in html


def test_the_expert_finder_lists_louise_for_carrosserie_with_the_evidence_the_viewer_may_read(network):
    people, clients, cids = network["people"], network["clients"], network["cids"]
    louise_id = people["louise"]["id"]
    louise, olivia, eve = clients["louise"], clients["olivia"], clients["eve"]
    question = ok(
        write(
            olivia,
            "POST",
            f"{API}/communities/{cids['lyon']}/posts",
            json={"body": "Which filler for aluminium carrosserie?", "kind": "question", "language": "en"},
        )
    )
    answer = ok(
        write(
            louise,
            "POST",
            f"{API}/posts/{question['id']}/comments",
            json={"body": "Un mastic polyester.", "language": "fr"},
        )
    )
    ok(
        write(
            olivia, "PUT", f"{API}/posts/{question['id']}/accepted-answer", json={"comment_id": answer["id"]}
        ),
        (200, 201, 204),
    )
    ok(
        write(
            louise,
            "POST",
            f"{API}/communities/{cids['lyon']}/posts",
            json={"body": "La carrosserie de la Clio est prête.", "language": "fr"},
        )
    )
    # in the secret community, where Olivia does not read
    ok(
        write(
            louise,
            "POST",
            f"{API}/communities/{cids['zephyr']}/posts",
            json={"body": "Carrosserie du prototype en carbone.", "language": "fr"},
        )
    )

    def louise_for(client):
        page = experts(client, "carrosserie")
        return next((item for item in page["items"] if item["id"] == louise_id), None)

    wait_until(
        lambda: {r["kind"] for r in louise_for(olivia)["reasons"]} >= {"accepted_answers", "posts"},
        timeout=20,
    )
    wait_until(lambda: any(r.get("count") == 2 for r in louise_for(louise)["reasons"]), timeout=20)
    mine = louise_for(olivia)
    assert experts(olivia, "carrosserie")["items"][0]["id"] == louise_id  # first: declared and written
    assert mine["reasons"] == [
        {"kind": "skill", "skill": "carrosserie", "exact": True},
        {"kind": "accepted_answers", "count": 1},
        {"kind": "posts", "count": 1},  # not the secret community's post
    ]
    # Louise reads her secret community: her two posts count for her
    assert {"kind": "posts", "count": 2} in louise_for(louise)["reasons"]
    # Eve reads neither community: Louise's declared skill only
    assert louise_for(eve)["reasons"] == [{"kind": "skill", "skill": "carrosserie", "exact": True}]
    # filters: a country, a community whose members Olivia may see (Eve may not)
    assert expert_ids(olivia, "carrosserie", country="DE") == [people["paul"]["id"]]
    # in "Carrosserie Lyon": Louise, then Olivia (her question is about it)
    assert expert_ids(olivia, "carrosserie", community_id=cids["lyon"]) == [louise_id, people["olivia"]["id"]]
    assert expert_ids(eve, "carrosserie", community_id=cids["lyon"]) == []

    # the page words the reasons in the reader's language
    for lang, accepted, posts in (
        ("en", "1 accepted answer about “carrosserie”", "1 post about “carrosserie”"),
        ("fr", "1 réponse acceptée sur « carrosserie »", "1 publication sur « carrosserie »"),
        ("es", "1 respuesta aceptada sobre «carrosserie»", "1 publicación sobre «carrosserie»"),
        ("de", "1 akzeptierte Antwort zu „carrosserie“", "1 Beitrag zu „carrosserie“"),
    ):
        html = olivia.get("/people/experts", query_string={"skill": "carrosserie", "lang": lang}).get_data(
            as_text=True
        )
        assert accepted in html and posts in html, lang
        assert f'href="/people/{louise_id}"' in html
        assert 'for="experts-skill"' in html and 'role="search"' in html  # a labelled form
    # linked from the people page and from the search page
    assert 'href="/people/experts"' in olivia.get("/people").get_data(as_text=True)
    results = olivia.get("/search", query_string={"q": "carrosserie"}).get_data(as_text=True)
    assert 'href="/people/experts?skill=carrosserie"' in results


#: (path, arguments) each a 422 (one platform for them all: a case is a request)
BAD_INPUT = [
    ("/people/experts", {}),
    ("/people/experts", {"skill": ""}),
    ("/people/experts", {"skill": "x" * 10_000}),
    ("/people/experts", {"skill": "carro\x00sserie"}),
    ("/people/experts", {"skill": "***"}),
    ("/people/experts", {"skill": "carrosserie", "limit": 51}),
    ("/people/experts", {"skill": "carrosserie", "country": "XX"}),
    ("/people/experts", {"skill": "carrosserie", "cursor": "forged"}),
    ("/people/skills", {}),
    ("/people/skills", {"prefix": ""}),
    ("/people/skills", {"prefix": "x" * 10_000}),
    ("/people/skills", {"prefix": "car\x00"}),
    ("/people/skills", {"prefix": "car", "limit": 100}),
    ("/search", {"q": "louise", "kinds": "people"}),
]


def test_bad_input_is_a_422_in_the_one_error_shape(network, subtests):
    client = network["clients"]["olivia"]
    for path, args in BAD_INPUT:
        with subtests.test(path=path, args=str(args)[:60]):
            assert_error_shape(client.get(f"{API}{path}", query_string=args), 422, "validation_failed")
            if path == "/people/experts" and args.get("skill") and "limit" not in args:  # the page shows 20
                page = client.get("/people/experts", query_string=args)
                assert page.status_code == 422 and "field-errors" in page.get_data(as_text=True)


def test_signed_out_is_401(network):
    visitor = network["app"].test_client()
    assert_error_shape(visitor.get(f"{API}/people/experts", query_string={"skill": "carrosserie"}), 401)
    assert_error_shape(visitor.get(f"{API}/people/skills", query_string={"prefix": "car"}), 401)
    page = visitor.get("/people/experts", query_string={"skill": "carrosserie"})
    assert page.status_code == 302 and "/sign-in" in page.headers["Location"]


def test_a_deactivated_person_leaves_the_results_and_comes_back(network):
    people, clients = network["people"], network["clients"]
    paul = people["paul"]["id"]
    ok(write(clients["admin"], "POST", f"{API}/admin/people/{paul}/deactivate"))
    wait_until(lambda: paul not in expert_ids(clients["eve"], "carrosserie"), timeout=20)
    assert search(clients["eve"], "painter", kinds="person")["items"] == []
    ok(write(clients["admin"], "POST", f"{API}/admin/people/{paul}/reactivate"))
    wait_until(lambda: paul in expert_ids(clients["eve"], "carrosserie"), timeout=20)
