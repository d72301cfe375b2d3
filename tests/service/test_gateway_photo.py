"""Profile photos through the gateway, against the real identity service.

The bytes go to a blob store on the local disk (a temporary directory); the
identity service receives only the SHA-256 and the content type. Images are
crafted here, byte by byte: no binary fixture in the repository.
"""

import hashlib
import io
import re
import struct
import uuid
import zlib

import pytest
from test_gateway import (
    ADMIN_EMAIL,
    API,
    assert_error_shape,
    client_for,
    create_partner,
    create_person,
    csrf_from,
    identity,  # noqa: F401  (fixture)
    sign_in,
    write,
)

from gateway.app import create_app
from parvis_contracts.blobs import LocalBlobStore

MAX = 64 * 1024


def png_bytes(width=2, height=2, rgb=(200, 40, 90)) -> bytes:
    """A valid PNG (8-bit RGB, no filter), built with zlib and struct."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """A JPEG's start (SOI, JFIF APP0): what the gateway checks is the signature."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def webp_bytes() -> bytes:
    payload = b"WEBP" + b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00" + b"\x00"
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'
    b"<script>alert(1)</script></svg>"
)


@pytest.fixture
def blob_store(tmp_path):
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def app(identity, rpc, blob_store):  # noqa: F811
    return create_app({"RPC_CLIENT": rpc, "TESTING": True, "BLOB_STORE": blob_store, "PHOTO_MAX_BYTES": MAX})


@pytest.fixture
def admin(app):
    client = app.test_client()
    sign_in(client, ADMIN_EMAIL)
    return client


def upload(client, data: bytes, filename="me.png", content_type="image/png"):
    return write(
        client,
        "PUT",
        f"{API}/me/photo",
        data={"photo": (io.BytesIO(data), filename, content_type)},
        content_type="multipart/form-data",
    )


def stored_files(store):
    return sorted(p.name for p in store.root.rglob("*") if p.is_file())


def test_upload_png_then_everyone_allowed_sees_it_with_the_right_headers(app, admin, blob_store):
    png = png_bytes()
    digest = hashlib.sha256(png).hexdigest()
    response = upload(admin, png)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["photo"] == digest
    assert stored_files(blob_store) == [digest]

    me = admin.get(f"{API}/me").get_json()
    jon = create_person(admin, "jon@acme.example", "Jon Jones")["person"]
    assert jon["photo"] is None
    jon_client = client_for(app, "jon@acme.example")

    got = jon_client.get(f"{API}/people/{me['id']}/photo")
    assert got.status_code == 200
    assert got.data == png
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"] == "inline"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "private, max-age=3600"
    assert got.headers["ETag"] == f'"{digest}"'

    # the card in the directory carries the reference
    cards = jon_client.get(f"{API}/people?q=Ada").get_json()["items"]
    assert [c["photo"] for c in cards] == [digest]
    # and the web pages show it instead of the initials
    page = jon_client.get("/people?q=Ada").get_data(as_text=True)
    assert 'data-testid="avatar-photo"' in page
    src = re.search(r'<img class="avatar" src="([^"]+)"', page).group(1)
    assert src.startswith(f"/api/v1/people/{me['id']}/photo?v=")
    assert jon_client.get(src.replace("&amp;", "&")).data == png
    assert 'data-testid="avatar-photo"' in jon_client.get(f"/people/{me['id']}").get_data(as_text=True)
    profile = jon_client.get(f"/people/{jon['id']}").get_data(as_text=True)
    assert 'data-testid="avatar-initials"' in profile and ">JJ<" in profile


def test_raw_body_uploads_jpeg_and_webp(app, admin):
    me = admin.get(f"{API}/me").get_json()
    for data, kind in ((jpeg_bytes(), "image/jpeg"), (webp_bytes(), "image/webp")):
        response = write(admin, "PUT", f"{API}/me/photo", data=data, content_type=kind)
        assert response.status_code == 200, response.get_json()
        got = admin.get(f"{API}/people/{me['id']}/photo")
        assert got.status_code == 200 and got.data == data
        assert got.headers["Content-Type"] == kind


def test_the_same_photo_twice_is_stored_once(app, admin, blob_store):
    png = png_bytes()
    assert upload(admin, png).status_code == 200
    jon = create_person(admin, "jon@acme.example", "Jon Jones")["person"]
    jon_client = client_for(app, "jon@acme.example")
    assert upload(jon_client, png).status_code == 200
    assert jon_client.get(f"{API}/people/{jon['id']}/photo").data == png
    assert stored_files(blob_store) == [hashlib.sha256(png).hexdigest()]


@pytest.mark.parametrize(
    "data, filename, content_type",
    [
        (HTML, "cat.png", "image/png"),  # an HTML page renamed .png
        (SVG, "logo.svg", "image/svg+xml"),  # SVG can carry script: refused
        (SVG, "logo.png", "image/png"),
        (png_bytes(), "me.jpg", "image/jpeg"),  # real PNG claiming to be JPEG
        (b"GIF89a" + b"\x00" * 20, "anim.gif", "image/gif"),
        (b"", "empty.png", "image/png"),
    ],
)
def test_anything_but_a_matching_png_jpeg_webp_is_422(app, admin, blob_store, data, filename, content_type):
    response = upload(admin, data, filename, content_type)
    assert_error_shape(response, 422, "validation_failed")
    assert admin.get(f"{API}/me").get_json()["photo"] is None  # nothing in identity
    assert stored_files(blob_store) == []  # nor on disk


@pytest.mark.parametrize(
    "data, content_type",
    [
        (HTML, "image/png"),
        (SVG, "image/svg+xml"),
        (png_bytes(), "text/html"),
        (png_bytes(), "application/octet-stream"),
    ],
)
def test_raw_bodies_are_checked_the_same_way(app, admin, blob_store, data, content_type):
    response = write(admin, "PUT", f"{API}/me/photo", data=data, content_type=content_type)
    assert_error_shape(response, 422, "validation_failed")
    assert admin.get(f"{API}/me").get_json()["photo"] is None
    assert stored_files(blob_store) == []


def test_a_multipart_form_without_the_photo_field_is_422(app, admin):
    response = write(
        admin,
        "PUT",
        f"{API}/me/photo",
        data={"other": (io.BytesIO(png_bytes()), "me.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert_error_shape(response, 422, "validation_failed")


def test_over_size_is_413_and_nothing_is_kept(app, admin, blob_store):
    big = png_bytes() + b"\x00" * (MAX + 1)
    raw = write(admin, "PUT", f"{API}/me/photo", data=big, content_type="image/png")
    assert_error_shape(raw, 413, "payload_too_large")
    form = upload(admin, big)
    assert_error_shape(form, 413, "payload_too_large")
    assert admin.get(f"{API}/me").get_json()["photo"] is None
    assert stored_files(blob_store) == []
    assert not [p for p in blob_store.root.iterdir() if p.name.startswith(".upload-")]


def test_over_size_within_a_small_multipart_envelope_is_413(app, admin, blob_store):
    """The file part alone crosses the limit although the body fits the multipart margin."""
    big = png_bytes() + b"\x00" * (MAX + 10)
    response = upload(admin, big)
    assert_error_shape(response, 413, "payload_too_large")
    assert stored_files(blob_store) == []


def test_a_guest_cannot_fetch_a_non_co_members_photo(app, admin):
    assert upload(admin, png_bytes()).status_code == 200
    me = admin.get(f"{API}/me").get_json()
    partner = create_partner(admin)
    create_person(admin, "ivy@partner.example", "Ivy Ivers", org_id=partner["id"])
    guest = client_for(app, "ivy@partner.example")

    hidden = guest.get(f"{API}/people/{me['id']}/photo")
    missing = guest.get(f"{API}/people/{uuid.uuid4()}/photo")
    assert_error_shape(hidden, 404, "not_found")
    assert hidden.get_data() == missing.get_data()
    assert hidden.headers.get("ETag") is None


def test_etag_answers_304_and_delete_answers_404(app, admin):
    png = png_bytes(3, 1)
    digest = hashlib.sha256(png).hexdigest()
    assert upload(admin, png).status_code == 200
    me = admin.get(f"{API}/me").get_json()
    url = f"{API}/people/{me['id']}/photo"

    again = admin.get(url, headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == f'"{digest}"'
    other = admin.get(url, headers={"If-None-Match": '"' + "0" * 64 + '"'})
    assert other.status_code == 200 and other.data == png

    gone = write(admin, "DELETE", f"{API}/me/photo")
    assert gone.status_code == 200 and gone.get_json()["photo"] is None
    assert_error_shape(admin.get(url), 404, "not_found")
    assert_error_shape(admin.get(url, headers={"If-None-Match": f'"{digest}"'}), 404)


def test_photo_endpoints_need_a_signed_in_person_and_a_csrf_token(app, admin):
    me = admin.get(f"{API}/me").get_json()
    visitor = app.test_client()
    assert_error_shape(visitor.get(f"{API}/people/{me['id']}/photo"), 401)
    assert_error_shape(visitor.put(f"{API}/me/photo", data=png_bytes(), content_type="image/png"), 401)
    no_csrf = admin.put(f"{API}/me/photo", data=png_bytes(), content_type="image/png")
    assert_error_shape(no_csrf, 403, "forbidden")


def test_the_photo_routes_are_in_the_openapi_description(app):
    spec = app.test_client().get(f"{API}/openapi.json").get_json()
    assert {"put", "delete"} <= set(spec["paths"]["/api/v1/me/photo"])
    assert "get" in spec["paths"]["/api/v1/people/{person_id}/photo"]
    body = spec["paths"]["/api/v1/me/photo"]["put"]["requestBody"]["content"]
    assert {"multipart/form-data", "image/png", "image/jpeg", "image/webp"} <= set(body)


def test_the_profile_edit_page_uploads_and_removes_the_photo(app, admin):
    page = admin.get("/me/edit")
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'accept="image/png,image/jpeg,image/webp"' in html
    assert 'data-testid="photo-remove-form"' not in html  # nothing to remove yet
    token = csrf_from(page)

    png = png_bytes()
    done = admin.post(
        "/me/photo",
        data={"csrf_token": token, "photo": (io.BytesIO(png), "me.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/me/edit")
    assert admin.get(f"{API}/me").get_json()["photo"] == hashlib.sha256(png).hexdigest()
    html = admin.get("/me/edit").get_data(as_text=True)
    assert 'data-testid="photo-remove-form"' in html and 'data-testid="avatar-photo"' in html

    refused = admin.post(
        "/me/photo",
        data={"csrf_token": token, "photo": (io.BytesIO(HTML), "x.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 302
    assert "PNG, JPEG" in admin.get("/me/edit").get_data(as_text=True)  # the flash message

    without_token = admin.post("/me/photo/delete", data={}, content_type="multipart/form-data")
    assert without_token.status_code == 403
    removed = admin.post("/me/photo/delete", data={"csrf_token": token}, content_type="multipart/form-data")
    assert removed.status_code == 302
    assert admin.get(f"{API}/me").get_json()["photo"] is None
    assert 'data-testid="avatar-initials"' in admin.get("/me").get_data(as_text=True)


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if the gateway reads a byte of it."""

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):  # the test client measures the (empty) stream
        return 0

    def tell(self):
        return 0

    def readinto(self, buffer):
        raise AssertionError("the body was read although Content-Length said it is too large")


@pytest.mark.parametrize("content_type", ["image/png", "multipart/form-data; boundary=xyz"])
def test_content_length_over_the_limit_is_413_before_reading(app, admin, blob_store, content_type):
    response = admin.put(
        f"{API}/me/photo",
        input_stream=UnreadableBody(),
        headers={"X-CSRF-Token": admin.csrf, "Content-Type": content_type},
        environ_overrides={"CONTENT_LENGTH": str(10 * 1024 * 1024)},
    )
    assert_error_shape(response, 413, "payload_too_large")
    assert stored_files(blob_store) == []
