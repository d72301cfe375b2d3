"""Community pictures through the gateway, against the real identity and communities services.

The bytes go to a blob store on the local disk (a temporary directory); the
communities service receives only the reference (the SHA-256) as ``picture``.
"""

import hashlib
import io
import re

import pytest
from test_gateway import (
    ADMIN_EMAIL,
    API,
    PASSWORD,
    assert_error_shape,
    client_for,
    create_person,
    csrf_from,
    write,
)
from test_gateway_photo import HTML, SVG, UnreadableBody, jpeg_bytes, png_bytes

from gateway.app import create_app
from parvis_contracts.blobs import LocalBlobStore
from services.communities.service import CommunitiesService
from services.identity.service import IdentityService
from tests.support import bootstrap_acme

MAX = 64 * 1024
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00"
    b"\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(tmp_path / "pictures")


@pytest.fixture
def world(start_service, rpc, tokens, store):
    for cls in (IdentityService, CommunitiesService):
        start_service(cls)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    app = create_app(
        {"RPC_CLIENT": rpc, "TESTING": True, "PICTURE_BLOB_STORE": store, "PHOTO_MAX_BYTES": MAX}
    )
    admin = client_for(app, ADMIN_EMAIL)
    clients = {"admin": admin}
    for key, email, name in (
        ("manager", "manon@acme.example", "Manon Manager"),
        ("member", "mia@acme.example", "Mia Member"),
        ("outsider", "olga@acme.example", "Olga Outsider"),
    ):
        person = create_person(admin, email, name)["person"]
        clients[key] = client_for(app, email)
        clients[key + "_id"] = person["id"]
    body = {"name": "Supplier project", "kind": "project", "visibility": "private"}
    created = write(clients["manager"], "POST", f"{API}/communities", json=body)
    assert created.status_code == 201, created.get_json()
    cid = created.get_json()["id"]
    invited = write(
        clients["manager"],
        "POST",
        f"{API}/communities/{cid}/invitations",
        json={"person_id": clients["member_id"]},
    )
    assert invited.status_code == 201, invited.get_json()
    accepted = write(clients["member"], "POST", f"{API}/me/invitations/{cid}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    return app, clients, cid


def upload(client, cid, data, filename="logo.png", content_type="image/png"):
    return write(
        client,
        "PUT",
        f"{API}/communities/{cid}/picture",
        data={"picture": (io.BytesIO(data), filename, content_type)},
        content_type="multipart/form-data",
    )


def stored(store):
    return sorted(p.name for p in store.root.rglob("*") if p.is_file())


def picture_of(client, cid):
    return client.get(f"{API}/communities/{cid}").get_json().get("picture")


def test_a_manager_uploads_members_see_it_with_photo_like_headers(world, store):
    app, clients, cid = world
    png = png_bytes()
    digest = hashlib.sha256(png).hexdigest()
    response = upload(clients["manager"], cid, png)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["picture"] == digest
    assert stored(store) == [digest]

    got = clients["member"].get(f"{API}/communities/{cid}/picture")
    assert got.status_code == 200 and got.data == png
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "private, max-age=3600"
    assert got.headers["ETag"] == f'"{digest}"'
    again = clients["member"].get(
        f"{API}/communities/{cid}/picture", headers={"If-None-Match": f'"{digest}"'}
    )
    assert again.status_code == 304 and again.data == b""

    removed = write(clients["manager"], "DELETE", f"{API}/communities/{cid}/picture")
    assert removed.status_code == 200 and removed.get_json()["picture"] is None
    assert_error_shape(clients["member"].get(f"{API}/communities/{cid}/picture"), 404, "not_found")


@pytest.mark.parametrize("data, content_type", [(jpeg_bytes(), "image/jpeg"), (GIF, "image/gif")])
def test_raw_bodies_of_jpeg_and_gif(world, data, content_type):
    app, clients, cid = world
    response = write(
        clients["manager"], "PUT", f"{API}/communities/{cid}/picture", data=data, content_type=content_type
    )
    assert response.status_code == 200, response.get_json()
    got = clients["member"].get(f"{API}/communities/{cid}/picture")
    assert got.data == data and got.headers["Content-Type"] == content_type


@pytest.mark.parametrize(
    "data, filename, content_type",
    [
        (HTML, "cat.png", "image/png"),
        (SVG, "logo.svg", "image/svg+xml"),
        (png_bytes(), "logo.jpg", "image/jpeg"),
        (b"", "empty.png", "image/png"),
    ],
)
def test_anything_but_a_matching_image_is_422_and_nothing_is_kept(world, store, data, filename, content_type):
    app, clients, cid = world
    response = upload(clients["manager"], cid, data, filename, content_type)
    assert_error_shape(response, 422, "validation_failed")
    raw = write(
        clients["manager"], "PUT", f"{API}/communities/{cid}/picture", data=HTML, content_type="text/html"
    )
    assert_error_shape(raw, 422, "validation_failed")
    assert picture_of(clients["manager"], cid) is None
    assert stored(store) == []


def test_too_big_is_413_even_before_reading(world, store):
    app, clients, cid = world
    big = png_bytes() + b"\x00" * (MAX + 1)
    raw = write(
        clients["manager"], "PUT", f"{API}/communities/{cid}/picture", data=big, content_type="image/png"
    )
    assert_error_shape(raw, 413, "payload_too_large")
    assert_error_shape(upload(clients["manager"], cid, big), 413, "payload_too_large")
    unread = clients["manager"].put(
        f"{API}/communities/{cid}/picture",
        input_stream=UnreadableBody(),
        headers={"X-CSRF-Token": clients["manager"].csrf, "Content-Type": "image/png"},
        environ_overrides={"CONTENT_LENGTH": str(10 * 1024 * 1024)},
    )
    assert_error_shape(unread, 413, "payload_too_large")
    assert picture_of(clients["manager"], cid) is None
    assert stored(store) == []


def test_an_outsider_gets_the_404_of_an_unknown_id_and_a_member_403(world, store):
    app, clients, cid = world
    assert upload(clients["manager"], cid, png_bytes()).status_code == 200
    outsider = clients["outsider"]
    for method in ("GET", "PUT", "DELETE"):
        kwargs = {"data": png_bytes(), "content_type": "image/png"} if method == "PUT" else {}
        hidden = (
            write(outsider, method, f"{API}/communities/{cid}/picture", **kwargs)
            if method != "GET"
            else outsider.get(f"{API}/communities/{cid}/picture")
        )
        missing = (
            write(outsider, method, f"{API}/communities/{UNKNOWN_ID}/picture", **kwargs)
            if method != "GET"
            else outsider.get(f"{API}/communities/{UNKNOWN_ID}/picture")
        )
        assert_error_shape(hidden, 404, "not_found")
        assert hidden.get_data() == missing.get_data(), method
        assert hidden.headers.get("ETag") is None

    before = stored(store)
    refused = write(
        clients["member"],
        "PUT",
        f"{API}/communities/{cid}/picture",
        data=jpeg_bytes(),
        content_type="image/jpeg",
    )
    assert_error_shape(refused, 403, "forbidden")
    assert stored(store) == before  # refused before a byte is stored
    assert_error_shape(
        write(clients["member"], "DELETE", f"{API}/communities/{cid}/picture"), 403, "forbidden"
    )
    assert picture_of(clients["manager"], cid) == hashlib.sha256(png_bytes()).hexdigest()
    # an admin may change it (the service's rule), but sees only the private card's metadata
    assert (
        write(
            clients["admin"], "PUT", f"{API}/communities/{cid}/picture", data=GIF, content_type="image/gif"
        ).status_code
        == 200
    )
    assert_error_shape(clients["admin"].get(f"{API}/communities/{cid}/picture"), 403)
    assert clients["member"].get(f"{API}/communities/{cid}/picture").data == GIF
    signed_out = app.test_client().get(f"{API}/communities/{cid}/picture")
    assert_error_shape(signed_out, 401)


def test_the_settings_page_uploads_removes_and_the_header_shows_it(world):
    app, clients, cid = world
    manager = clients["manager"]
    page = manager.get(f"/communities/{cid}/settings")
    html = page.get_data(as_text=True)
    assert 'data-testid="picture-form"' in html and 'enctype="multipart/form-data"' in html
    assert 'data-testid="picture-remove-form"' not in html
    assert 'data-testid="community-picture"' not in html
    token = csrf_from(page)

    png = png_bytes(3, 3)
    without_token = manager.post(
        f"/communities/{cid}/settings",
        data={"picture_action": "upload", "picture": (io.BytesIO(png), "logo.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert without_token.status_code == 403
    done = manager.post(
        f"/communities/{cid}/settings",
        data={
            "csrf_token": token,
            "picture_action": "upload",
            "picture": (io.BytesIO(png), "logo.png", "image/png"),
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    assert picture_of(manager, cid) == hashlib.sha256(png).hexdigest()

    html = manager.get(f"/communities/{cid}/settings").get_data(as_text=True)
    header = html.split('data-testid="community-header"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="community-picture"' in header
    url = re.search(r'<img class="avatar community-picture" src="([^"]+)"', header).group(1)
    assert url.startswith(f"/api/v1/communities/{cid}/picture?v=")
    assert clients["member"].get(url.replace("&amp;", "&")).data == png
    assert 'data-testid="picture-remove-form"' in html
    directory = clients["member"].get("/communities").get_data(as_text=True)
    assert f"/api/v1/communities/{cid}/picture?v=" in directory

    refused = manager.post(
        f"/communities/{cid}/settings",
        data={
            "csrf_token": token,
            "picture_action": "upload",
            "picture": (io.BytesIO(HTML), "x.png", "image/png"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 302
    assert "GIF or WebP" in manager.get(f"/communities/{cid}/settings").get_data(as_text=True)
    assert picture_of(manager, cid) == hashlib.sha256(png).hexdigest()

    removed = manager.post(
        f"/communities/{cid}/settings",
        data={"csrf_token": token, "picture_action": "remove"},
        content_type="multipart/form-data",
    )
    assert removed.status_code == 302
    assert picture_of(manager, cid) is None
    html = manager.get(f"/communities/{cid}/settings").get_data(as_text=True)
    assert 'data-testid="community-picture"' not in html


def test_the_picture_routes_are_in_the_openapi_description(world):
    app, clients, cid = world
    spec = app.test_client().get(f"{API}/openapi.json").get_json()
    path = spec["paths"]["/api/v1/communities/{community_id}/picture"]
    assert {"get", "put", "delete"} <= set(path)
    assert {"multipart/form-data", "image/png", "image/gif"} <= set(path["put"]["requestBody"]["content"])
