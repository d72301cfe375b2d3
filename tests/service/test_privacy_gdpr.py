"""Privacy (GDPR), end to end through the gateway on the real RabbitMQ, every service real.

Mila fills every profile field with a unique string, uploads a photo, writes a post, a
comment and a page, uploads a document, likes, reports, and is mentioned (by Eric, whose
post is then translated). She downloads her data, then erases her account. The canary:
afterwards no table of any service database holds one of her unique strings or her
e-mail address; only the authored texts kept on purpose remain (her post, comment, page
and document, written here without any unique string, and checked to be still there).
"""

import io
import json
import zipfile

import pytest
from sqlalchemy import MetaData, select
from test_gateway import (
    ADMIN_EMAIL,
    API,
    PASSWORD,
    assert_error_shape,
    client_for,
    create_person,
    csrf_from,
    sign_in,
    write,
)
from test_gateway_documents import PDF, png_bytes, upload

from gateway.app import create_app
from parvis_contracts import context as ctx
from parvis_contracts.db import make_engine
from parvis_contracts.errors import Forbidden
from services.agenda.service import AgendaService
from services.communities.service import CommunitiesService
from services.documents.service import DocumentsService
from services.feed.service import FeedService
from services.identity.service import IdentityService
from services.notifications.service import NotificationsService
from services.search.service import SearchService
from services.translation.service import TranslationService
from tests.support import bootstrap_acme, wait_until

CANARY = "qzv7canary"
EMAIL = f"mila.{CANARY}@acme.example"
PROFILE = {
    "display_name": f"Mila {CANARY}Name",
    "job_title": f"Job {CANARY}job",
    "department": f"Dept {CANARY}dept",
    "about": f"About {CANARY}about",
    "education": f"School {CANARY}school",
    "phone": "+33 7 77 12 34 56",
    "birth_date": "1987-11-23",
    "skills": [f"{CANARY}skill"],
    "country": "PT",
    "languages": ["pt", "en"],
    "visibility": {"phone": "private", "education": "employees", "birth_date": "private"},
}
#: what must not survive anywhere (the phone and the birth date are unique enough here)
SECRETS = [CANARY, EMAIL, "+33 7 77 12 34 56", "1987-11-23", "Mila "]
#: Mila's authored content: kept on purpose (no unique string in it)
KEPT = [
    "Kept post of a former member",
    "Kept comment of a former member",
    "Kept page of a former member",
    "kept-report.pdf",
]


@pytest.fixture
def platform(start_service, rpc, tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("PARVIS_TRANSLATION_BACKENDS", "memory")
    monkeypatch.setenv("PARVIS_MEMORY_PAIRS", "en-fr,fr-en")
    containers = {
        cls.name: start_service(cls)
        for cls in (
            IdentityService,
            CommunitiesService,
            FeedService,
            DocumentsService,
            TranslationService,
            NotificationsService,
            SearchService,
            AgendaService,
        )
    }
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    admin = client_for(app, ADMIN_EMAIL)
    people = {
        "mila": create_person(admin, EMAIL, "Mila Member")["person"],
        "manon": create_person(admin, "manon@acme.example", "Manon Manager")["person"],
        "eric": create_person(admin, "eric@acme.example", "Eric Employee")["person"],
    }
    clients = {key: client_for(app, person["email"]) for key, person in people.items() if key != "mila"}
    clients["admin"] = admin
    mila = app.test_client()
    mila.environ_base["HTTP_USER_AGENT"] = f"Browser {CANARY}agent"  # in sessions, audit
    sign_in(mila, EMAIL)
    clients["mila"] = mila
    return {
        "app": app,
        "people": people,
        "clients": clients,
        "containers": containers,
        "blobs": tmp_path / "blobs",
        "rpc": rpc,
    }


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.get_data()[:500])
    return response.get_json()


def community_with(clients, people, manager, members, name):
    cid = ok(
        write(
            clients[manager],
            "POST",
            f"{API}/communities",
            json={"name": name, "kind": "project", "visibility": "private"},
        ),
        201,
    )["id"]
    for who in members:
        ok(
            write(
                clients[manager],
                "POST",
                f"{API}/communities/{cid}/invitations",
                json={"person_id": people[who]["id"]},
            ),
            201,
        )
        ok(write(clients[who], "POST", f"{API}/me/invitations/{cid}/accept"))
    for who in [manager, *members]:
        wait_until(
            lambda who=who: clients[who].get(f"{API}/communities/{cid}/documents").status_code == 200,
            timeout=20,
        )
        wait_until(
            lambda who=who: clients[who].get(f"{API}/communities/{cid}/posts").status_code == 200, timeout=20
        )
    return cid


@pytest.fixture
def mila_active(platform):
    """Mila's whole footprint across the services."""
    people, clients = platform["people"], platform["clients"]
    mila, eric = clients["mila"], clients["eric"]
    me = ok(write(mila, "PATCH", f"{API}/me", json=PROFILE))
    assert me["display_name"] == PROFILE["display_name"]
    ok(write(mila, "PUT", f"{API}/me/photo", data=png_bytes(), headers={"Content-Type": "image/png"}))
    cid = community_with(clients, people, "manon", ["mila", "eric"], "Shared project")
    own_cid = community_with(clients, people, "mila", ["eric"], "Mila's own project")
    mila_id = people["mila"]["id"]
    post = ok(write(mila, "POST", f"{API}/communities/{cid}/posts", json={"body": KEPT[0]}), 201)
    theirs = ok(
        write(
            eric,
            "POST",
            f"{API}/communities/{cid}/posts",
            json={"body": f"Thanks @[{PROFILE['display_name']}]({mila_id}) for the report", "language": "en"},
        ),
        201,
    )
    mention = f"Ask @[{PROFILE['display_name']}]({mila_id})"
    page = ok(
        write(eric, "POST", f"{API}/communities/{cid}/pages", json={"title": "Contacts", "body": mention}),
        201,
    )
    ok(
        write(
            eric,
            "PUT",
            f"{API}/pages/{page['id']}",
            json={"title": "Contacts", "body": mention + " or Manon", "base_revision": 1},
        )
    )
    ok(
        write(
            eric,
            "PATCH",
            f"{API}/posts/{theirs['id']}",
            json={"body": f"Thanks a lot @[{PROFILE['display_name']}]({mila_id}) for the report"},
        )
    )
    comment = ok(write(mila, "POST", f"{API}/posts/{theirs['id']}/comments", json={"body": KEPT[1]}), 201)
    ok(write(mila, "POST", f"{API}/posts/{theirs['id']}/like"))
    ok(
        write(
            mila,
            "POST",
            f"{API}/reports",
            json={"target_type": "post", "target_id": theirs["id"], "reason": f"Reason {CANARY}reason"},
        ),
        201,
    )
    ok(
        write(mila, "POST", f"{API}/communities/{cid}/pages", json={"title": "Kept page", "body": KEPT[2]}),
        201,
    )
    document = ok(upload(mila, cid, KEPT[3], PDF), 201)
    translated = ok(
        write(eric, "POST", f"{API}/translations", json={"kind": "post", "id": theirs["id"], "target": "fr"})
    )
    assert f"]({mila_id})" in translated["markdown"]
    return {
        "cid": cid,
        "own_cid": own_cid,
        "post": post,
        "theirs": theirs,
        "comment": comment,
        "document": document,
    }


def table_texts(url) -> dict[str, list[str]]:
    """Every row of every table of a database, as text, by table."""
    engine = make_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        found = {}
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                found[table.name] = [
                    json.dumps([str(v) for v in row], ensure_ascii=False)
                    for row in conn.execute(select(table))
                ]
        return found
    finally:
        engine.dispose()


def leftovers(containers) -> list[tuple[str, str, str]]:
    hits = []
    for service, container in containers.items():
        for table, rows in table_texts(container.db_url).items():
            for row in rows:
                for secret in SECRETS:
                    if secret in row:
                        hits.append((service, table, secret))
    return hits


def test_export_is_a_zip_of_my_data_only(platform, mila_active):
    mila = platform["clients"]["mila"]
    response = mila.get(f"{API}/me/export")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    profile = json.loads(archive.read("profile.json"))
    assert profile["profile"]["email"] == EMAIL
    assert profile["profile"]["phone"] == PROFILE["phone"]
    assert profile["profile"]["education"] == PROFILE["education"]
    communities = json.loads(archive.read("communities.json"))
    assert {m["community_id"] for m in communities["memberships"]} == {
        mila_active["cid"],
        mila_active["own_cid"],
    }
    feed = json.loads(archive.read("feed.json"))
    assert [p["body"] for p in feed["posts"]] == [KEPT[0]]
    assert [c["body"] for c in feed["comments"]] == [KEPT[1]]
    assert [like["post_id"] for like in feed["likes"]["posts"]] == [mila_active["theirs"]["id"]]
    assert feed["mentioned_in"]["posts"] == [mila_active["theirs"]["id"]]
    documents = json.loads(archive.read("documents.json"))
    path = documents["versions_uploaded"][0]["archive_path"]
    assert archive.read(path) == PDF
    assert archive.read("files/profile-photo.png") == png_bytes()
    json.loads(archive.read("translation.json"))
    assert json.loads(archive.read("manifest.json"))["missing_files"] == []
    everything = b"".join(archive.read(name) for name in names)
    # nobody else's private data: not Eric's address, not the text of his post
    assert b"eric@acme.example" not in everything and b"manon@acme.example" not in everything
    assert b"for the report" not in everything


def test_every_service_refuses_someone_elses_export(platform, mila_active):
    people, rpc = platform["people"], platform["rpc"]
    eric = ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON,
            user_id=people["eric"]["id"],
            org_id=people["eric"]["org_id"],
            roles=frozenset({"member"}),
        )
    )
    for service in ("identity", "communities", "feed", "documents", "translation", "search", "agenda"):
        with pytest.raises(Forbidden):
            rpc.call(service, "export_person_data", eric, person_id=people["mila"]["id"])
    signed_out = platform["app"].test_client().get(f"{API}/me/export")
    assert_error_shape(signed_out, 401)


def test_erasure_leaves_no_personal_data_in_any_database(platform, mila_active):
    people, clients, containers = platform["people"], platform["clients"], platform["containers"]
    mila_id = people["mila"]["id"]
    before = {(service, table) for service, table, _ in leftovers(containers)}
    # the canary is really everywhere before
    assert before >= {
        ("identity", "people"),
        ("identity", "sessions"),
        ("identity", "audit_log"),
        ("feed", "posts"),
        ("feed", "post_versions"),
        ("feed", "reports"),
        ("feed", "outbox"),
        ("documents", "pages"),
        ("documents", "page_revisions"),
        ("documents", "outbox"),
        ("translation", "translation_cache"),
    }, before
    photo = clients["mila"].get(f"{API}/me").get_json()["photo"]
    photo_path = platform["blobs"] / photo[:2] / photo[2:4] / photo
    assert photo_path.exists()
    memo = platform["app"].extensions["parvis_translation_memo"]
    assert len(memo) >= 1  # Eric's translation of the post that mentions Mila

    wrong = write(clients["mila"], "POST", f"{API}/me/erase", json={"password": "nope nope"})
    assert_error_shape(wrong, 422, "validation_failed")
    assert_error_shape(write(clients["mila"], "POST", f"{API}/me/erase", json={}), 422)
    erased = write(clients["mila"], "POST", f"{API}/me/erase", json={"password": PASSWORD})
    assert ok(erased) == {"person_id": mila_id, "erased": True, "already_erased": False}
    assert "parvis_session=;" in erased.headers.get("Set-Cookie", "")
    assert_error_shape(clients["mila"].get(f"{API}/me"), 401)
    assert not photo_path.exists()
    assert len(memo) == 0

    wait_until(lambda: not leftovers(containers), timeout=30, interval=0.5)
    assert leftovers(containers) == []
    # kept on purpose: the texts she wrote and her document
    texts = "".join(
        row for c in containers.values() for rows in table_texts(c.db_url).values() for row in rows
    )
    for kept in KEPT:
        assert kept in texts, kept

    eric = clients["eric"]
    wall = ok(eric.get(f"{API}/communities/{mila_active['cid']}/posts"))
    assert wall["people"][mila_id]["display_name"] == "Former member"
    assert KEPT[0] in json.dumps(wall)
    liked = ok(eric.get(f"{API}/posts/{mila_active['theirs']['id']}"))
    assert liked["like_count"] == 0
    members = ok(clients["manon"].get(f"{API}/communities/{mila_active['cid']}/members"))
    assert mila_id not in [m["user_id"] for m in members["items"]]
    # her own community stays, without a manager, with Eric in it
    own = ok(clients["admin"].get(f"{API}/communities/{mila_active['own_cid']}"))
    assert own["member_count"] == 1
    again = client_for(platform["app"], ADMIN_EMAIL)
    listed = ok(again.get(f"{API}/admin/people", query_string={"status": "erased"}))
    assert [p["id"] for p in listed["items"]] == [mila_id]
    assert listed["items"][0]["email"] == ""
    signin = (
        platform["app"].test_client().post(f"{API}/auth/sign-in", json={"email": EMAIL, "password": PASSWORD})
    )
    assert_error_shape(signin, 401)


def test_an_admin_erases_an_account_and_nobody_else_can(platform):
    people, clients = platform["people"], platform["clients"]
    eric_id = people["eric"]["id"]
    refused = write(clients["manon"], "POST", f"{API}/admin/people/{eric_id}/erase")
    assert_error_shape(refused, 403, "forbidden")
    erased = write(clients["admin"], "POST", f"{API}/admin/people/{people['manon']['id']}/erase")
    assert ok(erased)["erased"] is True
    assert_error_shape(clients["manon"].get(f"{API}/me"), 401)
    unknown = write(clients["admin"], "POST", f"{API}/admin/people/no-such-id/erase")
    assert_error_shape(unknown, 404, "not_found")
    admin_id = clients["admin"].get(f"{API}/me").get_json()["id"]
    assert_error_shape(write(clients["admin"], "POST", f"{API}/admin/people/{admin_id}/erase"), 403)
    # the sole admin cannot erase their own account either
    alone = write(clients["admin"], "POST", f"{API}/me/erase", json={"password": PASSWORD})
    assert_error_shape(alone, 409, "conflict")


def test_the_web_pages_export_and_delete_my_account(platform):
    people, clients = platform["people"], platform["clients"]
    eric = clients["eric"]
    settings = eric.get("/me/edit")
    assert settings.status_code == 200
    html = settings.get_data(as_text=True)
    assert 'data-testid="privacy-export"' in html and 'data-testid="privacy-erase"' in html
    download = eric.get("/me/export")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "profile.json" in zipfile.ZipFile(io.BytesIO(download.get_data())).namelist()
    page = eric.get("/me/erase")
    assert page.status_code == 200
    token = csrf_from(page)
    unconfirmed = eric.post("/me/erase", data={"csrf_token": token, "password": PASSWORD})
    assert unconfirmed.status_code == 422
    assert 'data-testid="error-confirm"' in unconfirmed.get_data(as_text=True)
    wrong = eric.post("/me/erase", data={"csrf_token": token, "password": "wrong one!", "confirm": "yes"})
    assert wrong.status_code == 422
    assert 'data-testid="error-password"' in wrong.get_data(as_text=True)
    done = eric.post("/me/erase", data={"csrf_token": token, "password": PASSWORD, "confirm": "yes"})
    assert done.status_code == 302 and "/sign-in" in done.headers["Location"]
    assert eric.get("/me").status_code in (302, 401)

    admin = clients["admin"]
    listing = admin.get("/admin/people").get_data(as_text=True)
    assert f"/admin/people/{people['manon']['id']}/erase" in listing
    confirm = admin.get(f"/admin/people/{people['manon']['id']}/erase")
    assert confirm.status_code == 200
    erased = admin.post(
        f"/admin/people/{people['manon']['id']}/erase",
        data={"csrf_token": csrf_from(confirm), "confirm": "yes"},
    )
    assert erased.status_code == 302
    assert clients["manon"].get(f"{API}/me").status_code == 401
    refused = clients["mila"].get(f"/admin/people/{people['eric']['id']}/erase")
    assert refused.status_code == 403
