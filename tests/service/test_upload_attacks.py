"""Hostile uploads through the gateway: documents, profile photos and community pictures.

Identity, communities and documents run on the real RabbitMQ; blobs go to local
directories of this test. Every hostile file is crafted here, byte by byte, and each
case asserts one of two outcomes:

* refused: a 4xx in the one error shape, and nothing left in any store;
* neutralised: stored as opaque bytes and served so that no browser runs it
  (``nosniff``, an image or text/plain or octet-stream type, an attachment with a
  sandboxing CSP for documents).
"""

import hashlib
import io
import os
import struct
import time
import tracemalloc
import zipfile
import zlib

import pytest
from test_gateway import ADMIN_EMAIL, API, PASSWORD, assert_error_shape, client_for, create_person, write

from gateway.app import create_app
from parvis_contracts import filetypes
from parvis_contracts.blobs import LocalBlobStore
from services.communities.service import CommunitiesService
from services.documents.service import DocumentsService
from services.identity.service import IdentityService
from tests.support import bootstrap_acme, files_under, png_bytes, wait_until

DOC_LIMIT = 1024 * 1024
PHOTO_LIMIT = 1024 * 1024
BOMB_INFLATED = 256 * 1024 * 1024


# ------------------------------------------------------------------ hostile files


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def png_zip_polyglot() -> bytes:
    """A valid PNG followed by a valid ZIP (readers find the ZIP from its end)."""
    return png_bytes() + zip_bytes({"payload.html": b"<script>window.__xss()</script>"})


#: a GIF header whose bytes are also a JavaScript program: ``GIF89a/*...*/=window.__xss();``
GIF_JS = (
    b"GIF89a/*\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff*/=window.__xss();"
    b"/*\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b*/"
)
SVG_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
    b'onload="window.__xss()"><script>window.__xss()</script></svg>'
)
HTML = b"<!doctype html><html><body><script>window.__xss()</script></body></html>"
EICAR = filetypes.EICAR + b"\r\n"


def zip_bomb() -> bytes:
    """A small zip (about 250 KB) of one member that inflates to 256 MB of zeros."""
    out = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("zeros.bin", "w", force_zip64=True) as member:
            for _ in range(BOMB_INFLATED // len(chunk)):
                member.write(chunk)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb():
    data = zip_bomb()
    assert len(data) < 400 * 1024
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    assert info.file_size == BOMB_INFLATED  # it really is a bomb
    return data


# ------------------------------------------------------------------ the platform


@pytest.fixture
def world(start_service, rpc, tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("PARVIS_DOCUMENTS_MAX_BYTES", str(DOC_LIMIT))
    for cls in (IdentityService, CommunitiesService, DocumentsService):
        start_service(cls)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    photos = LocalBlobStore(tmp_path / "photos")
    pictures = LocalBlobStore(tmp_path / "pictures")
    app = create_app(
        {
            "RPC_CLIENT": rpc,
            "TESTING": True,
            "BLOB_STORE": photos,
            "PICTURE_BLOB_STORE": pictures,
            "PHOTO_MAX_BYTES": PHOTO_LIMIT,
        }
    )
    admin = client_for(app, ADMIN_EMAIL)
    person = create_person(admin, "manon@acme.example", "Manon Manager")["person"]
    client = client_for(app, "manon@acme.example")
    created = write(
        client,
        "POST",
        f"{API}/communities",
        json={"name": "Supplier project", "kind": "project", "visibility": "private"},
    )
    assert created.status_code == 201, created.get_json()
    cid = created.get_json()["id"]
    wait_until(lambda: client.get(f"{API}/communities/{cid}/documents").status_code == 200, timeout=15)
    return {
        "client": client,
        "cid": cid,
        "person": person,
        "photos": photos,
        "pictures": pictures,
        "docs": tmp_path / "blobs" / "documents",
    }


def upload_document(world, name, data):
    return write(
        world["client"],
        "POST",
        f"{API}/communities/{world['cid']}/documents",
        query_string={"name": name},
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def upload_photo(world, data, filename="me.png", content_type="image/png"):
    return write(
        world["client"],
        "PUT",
        f"{API}/me/photo",
        data={"photo": (io.BytesIO(data), filename, content_type)},
        content_type="multipart/form-data",
    )


def upload_picture(world, data, filename="logo.png", content_type="image/png"):
    return write(
        world["client"],
        "PUT",
        f"{API}/communities/{world['cid']}/picture",
        data={"picture": (io.BytesIO(data), filename, content_type)},
        content_type="multipart/form-data",
    )


def stored(world) -> dict[str, list[str]]:
    return {
        "documents": [f for f in files_under(world["docs"])],
        "photos": files_under(world["photos"].root),
        "pictures": files_under(world["pictures"].root),
    }


def nothing_stored(world):
    assert stored(world) == {"documents": [], "photos": [], "pictures": []}


def assert_neutral_download(response, data, content_type):
    assert response.status_code == 200 and response.data == data
    assert response.headers["Content-Type"].split(";")[0] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# ------------------------------------------------------------------ documents: refused


@pytest.mark.parametrize(
    "name, data, field",
    [
        ("logo.zip", png_zip_polyglot(), "file"),  # a ZIP must start as one
        ("anim.js", GIF_JS, "file"),  # binary bytes are not a script
        ("logo.png", SVG_SCRIPT, "file"),
        ("page.png", HTML, "file"),
        ("photo.jpg", HTML, "file"),
        ("eicar.com", EICAR, "file"),
        ("eicar.txt", EICAR, "file"),
        ("eicar", EICAR, "file"),
        ("../../etc/passwd", b"root:x:0:0", "name"),
        ("..\\..\\boot.ini", b"[boot]", "name"),
        ("..", b"x", "name"),
        ("/etc/passwd.txt", b"x", "name"),
        ("evil\x00.png", png_bytes(), "name"),
        ("notes\x00.txt", b"hello", "name"),
        ("invoice\u202egpj.exe", b"MZ", "name"),
    ],
)
def test_hostile_documents_are_refused_in_the_error_shape(world, name, data, field):
    response = upload_document(world, name, data)
    body = assert_error_shape(response, 422, "validation_failed")
    assert field in body["error"]["details"], body
    nothing_stored(world)


def test_eicar_is_refused_as_looking_like_malware(world):
    body = assert_error_shape(upload_document(world, "eicar.com", EICAR), 422)
    assert body["error"]["details"]["malware"] == "EICAR-Test-File"
    assert "malware" in body["error"]["message"]
    # a new version of an existing document is checked the same way
    doc = upload_document(world, "notes.txt", b"hello").get_json()
    again = write(
        world["client"],
        "POST",
        f"{API}/documents/{doc['id']}/versions",
        data=EICAR,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert assert_error_shape(again, 422)["error"]["details"]["malware"] == "EICAR-Test-File"


# ------------------------------------------------------------------ documents: neutralised


@pytest.mark.parametrize(
    "name, data, recorded",
    [
        ("logo.png", png_zip_polyglot(), "image/png"),
        ("anim.gif", GIF_JS, "image/gif"),
        ("logo.svg", SVG_SCRIPT, "text/plain"),
        ("page.html", HTML, "text/plain"),
        ("page", HTML, "application/octet-stream"),
    ],
)
def test_polyglots_and_markup_are_served_so_that_nothing_runs(world, name, data, recorded):
    response = upload_document(world, name, data)
    assert response.status_code == 201, response.get_json()
    doc = response.get_json()
    assert doc["content_type"] == recorded
    for disposition in ("attachment", "inline"):
        got = world["client"].get(
            f"{API}/documents/{doc['id']}/download", query_string={"disposition": disposition}
        )
        assert_neutral_download(got, data, recorded)
        csp = got.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        if disposition == "attachment" or recorded not in filetypes.INLINE_TYPES:
            assert got.headers["Content-Disposition"].startswith("attachment;")
            assert "sandbox" in csp


def test_a_zip_bomb_is_stored_opaque_and_never_inflated(world, bomb):
    """Upload and download a 256 MB zip bomb: time and memory stay bounded far below
    what inflating it would take, and the stored blob is the very bytes sent."""
    tracemalloc.start()
    try:
        started = time.monotonic()
        response = upload_document(world, "archive.zip", bomb)
        got = world["client"].get(f"{API}/documents/{response.get_json()['id']}/download")
        data = got.data
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.get_json()
    doc = response.get_json()
    assert doc["content_type"] == "application/zip" and doc["size"] == len(bomb)
    assert doc["sha256"] == hashlib.sha256(bomb).hexdigest()
    assert data == bomb
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    # inflating would allocate or write 256 MB: far more than this bound
    assert peak < 32 * 1024 * 1024, peak
    assert elapsed < 60, elapsed
    on_disk = [os.path.join(world["docs"], f) for f in files_under(world["docs"])]
    assert [os.path.basename(p) for p in on_disk] == [doc["sha256"]]
    assert sum(os.path.getsize(p) for p in on_disk) == len(bomb)


# ------------------------------------------------------------------ profile photo


@pytest.mark.parametrize(
    "data, filename, content_type",
    [
        (GIF_JS, "anim.gif", "image/gif"),  # photos are PNG, JPEG or WebP
        (GIF_JS, "anim.png", "image/png"),
        (SVG_SCRIPT, "logo.svg", "image/svg+xml"),
        (SVG_SCRIPT, "logo.png", "image/png"),
        (HTML, "page.png", "image/png"),
        (HTML, "page.png", "application/octet-stream"),
        (EICAR, "eicar.png", "image/png"),
        (None, "archive.png", "image/png"),  # the zip bomb (filled in below)
        (None, "archive.zip", "application/zip"),
    ],
)
def test_hostile_photos_are_refused(world, bomb, data, filename, content_type):
    response = upload_photo(world, bomb if data is None else data, filename, content_type)
    body = assert_error_shape(response, 422, "validation_failed")
    assert "photo" in body["error"]["details"], body
    nothing_stored(world)


@pytest.mark.parametrize("filename", ["../../../etc/passwd.png", "evil\x00.png", "..\\..\\x.png"])
def test_a_png_zip_polyglot_photo_is_served_as_an_image_whatever_its_name(world, filename):
    data = png_zip_polyglot()
    response = upload_photo(world, data, filename)
    assert response.status_code == 200, response.get_json()
    digest = hashlib.sha256(data).hexdigest()
    # stored under its content address only: the client's name is never a path
    assert [os.path.basename(f) for f in stored(world)["photos"]] == [digest]
    got = world["client"].get(f"{API}/people/{world['person']['id']}/photo")
    assert_neutral_download(got, data, "image/png")


# ------------------------------------------------------------------ community picture


@pytest.mark.parametrize(
    "data, filename, content_type",
    [
        (SVG_SCRIPT, "logo.svg", "image/svg+xml"),
        (SVG_SCRIPT, "logo.png", "image/png"),
        (HTML, "page.png", "image/png"),
        (EICAR, "eicar.gif", "image/gif"),
        (None, "archive.zip", "application/zip"),  # the zip bomb
        (png_zip_polyglot(), "logo.gif", "image/gif"),  # bytes and type disagree
    ],
)
def test_hostile_community_pictures_are_refused(world, bomb, data, filename, content_type):
    response = upload_picture(world, bomb if data is None else data, filename, content_type)
    body = assert_error_shape(response, 422, "validation_failed")
    assert "picture" in body["error"]["details"], body
    nothing_stored(world)


@pytest.mark.parametrize(
    "data, filename, content_type",
    [
        (GIF_JS, "../anim.gif", "image/gif"),
        (png_zip_polyglot(), "logo\x00.png", "image/png"),
    ],
)
def test_polyglot_community_pictures_are_served_as_images(world, data, filename, content_type):
    response = upload_picture(world, data, filename, content_type)
    assert response.status_code == 200, response.get_json()
    digest = hashlib.sha256(data).hexdigest()
    assert [os.path.basename(f) for f in stored(world)["pictures"]] == [digest]
    got = world["client"].get(f"{API}/communities/{world['cid']}/picture")
    assert_neutral_download(got, data, content_type)
    assert got.headers["Content-Disposition"] == "inline"
