"""Documents and pages through the gateway: identity, communities and documents on the real
RabbitMQ, blobs on the local disk (a temporary ``PARVIS_BLOB_DIR``).

Uploads are raw request bodies streamed into the store's staging area; only the
staged reference crosses AMQP. The documents service learns memberships from the
communities service's events. Files are crafted here, byte by byte.
"""

import hashlib
import io
import os
import struct
import zlib

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

from gateway.app import create_app
from services.communities.service import CommunitiesService
from services.documents.service import DocumentsService
from services.identity.service import IdentityService
from tests.support import bootstrap_acme, files_under, png_bytes, wait_until

UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
LIMIT = 256 * 1024
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


class Exploding(io.RawIOBase):
    """A request body that must never be read."""

    def __init__(self):
        self.reads = 0

    def readable(self):
        return True

    def read(self, size=-1):
        self.reads += 1
        raise AssertionError("the body was read")

    readinto = read


class Endless(io.RawIOBase):
    """A body of ``total`` bytes made on the fly, counting what was read."""

    def __init__(self, total):
        self.remaining = total
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.remaining)
        buffer[:n] = b"%" * n
        self.remaining -= n
        self.read_bytes += n
        return n


@pytest.fixture
def network(start_service, rpc, tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("PARVIS_DOCUMENTS_MAX_BYTES", str(LIMIT))
    for cls in (IdentityService, CommunitiesService, DocumentsService):
        start_service(cls)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    admin = client_for(app, ADMIN_EMAIL)
    people = {
        "manager": create_person(admin, "manon@acme.example", "Manon Manager")["person"],
        "employee": create_person(admin, "eric@acme.example", "Eric Employee")["person"],
        "outsider": create_person(admin, "olga@acme.example", "Olga Outsider")["person"],
    }
    clients = {key: client_for(app, person["email"]) for key, person in people.items()}
    response = write(
        clients["manager"],
        "POST",
        f"{API}/communities",
        json={"name": "Supplier project", "kind": "project", "visibility": "private"},
    )
    assert response.status_code == 201, response.get_json()
    cid = response.get_json()["id"]
    invited = write(
        clients["manager"],
        "POST",
        f"{API}/communities/{cid}/invitations",
        json={"person_id": people["employee"]["id"]},
    )
    assert invited.status_code == 201, invited.get_json()
    accepted = write(clients["employee"], "POST", f"{API}/me/invitations/{cid}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    for who in ("manager", "employee"):
        wait_until(
            lambda who=who: clients[who].get(f"{API}/communities/{cid}/documents").status_code == 200,
            timeout=15,
        )
    return {
        "app": app,
        "cid": cid,
        "people": people,
        "clients": clients,
        "blobs": tmp_path / "blobs" / "documents",
    }


def upload(client, cid, name, data, folder_id=None, comment=None, **kwargs):
    query = {"name": name}
    if folder_id:
        query["folder_id"] = folder_id
    if comment:
        query["comment"] = comment
    headers = {"Content-Type": "application/octet-stream", **kwargs.pop("headers", {})}
    return write(
        client,
        "POST",
        f"{API}/communities/{cid}/documents",
        query_string=query,
        data=data,
        headers=headers,
        **kwargs,
    )


def new_version(client, document_id, data, **query):
    return write(
        client,
        "POST",
        f"{API}/documents/{document_id}/versions",
        query_string=query,
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def raw_post(client, url, query, body, length=None):
    """POST ``body`` (a one-way stream) as the WSGI input, with or without Content-Length."""
    environ = {"wsgi.input": body, "wsgi.input_terminated": length is None}
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    return write(
        client,
        "POST",
        url,
        query_string=query,
        environ_overrides=environ,
        headers={"Content-Type": "application/octet-stream"},
    )


def staging(network) -> list[str]:
    return files_under(network["blobs"] / ".staging")


# ---------------------------------------------------------------- upload and download


def test_upload_download_versions_restore(network):
    cid, clients = network["cid"], network["clients"]
    created = upload(clients["employee"], cid, "plan.pdf", PDF, comment="first draft")
    assert created.status_code == 201, created.get_json()
    doc = created.get_json()
    assert doc["name"] == "plan.pdf" and doc["version"] == 1
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest() and doc["size"] == len(PDF)

    listing = clients["manager"].get(f"{API}/communities/{cid}/documents").get_json()
    assert [d["id"] for d in listing["documents"]] == [doc["id"]]

    got = clients["manager"].get(f"{API}/documents/{doc['id']}/download")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert got.headers["ETag"] == f'"{doc["sha256"]}"'
    assert got.headers["Accept-Ranges"] == "bytes"
    assert int(got.headers["Content-Length"]) == len(PDF)
    inline = clients["manager"].get(
        f"{API}/documents/{doc['id']}/download", query_string={"disposition": "inline"}
    )
    assert inline.headers["Content-Disposition"].startswith("inline;")
    again = clients["manager"].get(
        f"{API}/documents/{doc['id']}/download", headers={"If-None-Match": got.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""

    second = PDF + b"%second version\n"
    versioned = new_version(clients["manager"], doc["id"], second, comment="tidied")
    assert versioned.status_code == 201, versioned.get_json()
    assert versioned.get_json()["version"] == 2
    full = clients["employee"].get(f"{API}/documents/{doc['id']}").get_json()
    assert [(v["number"], v["comment"]) for v in full["versions"]] == [(2, "tidied"), (1, "first draft")]
    assert clients["employee"].get(f"{API}/documents/{doc['id']}/download").data == second
    old = clients["employee"].get(f"{API}/documents/{doc['id']}/download", query_string={"version": 1})
    assert old.status_code == 200 and old.data == PDF

    restored = write(clients["employee"], "POST", f"{API}/documents/{doc['id']}/versions/1/restore", json={})
    assert restored.status_code == 201, restored.get_json()
    assert restored.get_json()["version"] == 3
    assert clients["manager"].get(f"{API}/documents/{doc['id']}/download").data == PDF

    # the same bytes under another name: one blob on disk
    copy = upload(clients["manager"], cid, "copy of plan.pdf", PDF)
    assert copy.status_code == 201
    blobs = [f for f in files_under(network["blobs"]) if not f.startswith(".staging")]
    assert sorted(os.path.basename(f) for f in blobs) == sorted(
        {hashlib.sha256(PDF).hexdigest(), hashlib.sha256(second).hexdigest()}
    )
    assert staging(network) == []


def test_range_requests(network):
    cid, client = network["cid"], network["clients"]["employee"]
    data = PDF + bytes(range(256)) * 40
    doc = upload(client, cid, "ranges.pdf", data).get_json()
    url = f"{API}/documents/{doc['id']}/download"

    part = client.get(url, headers={"Range": "bytes=0-4"})
    assert part.status_code == 206 and part.data == b"%PDF-"
    assert part.headers["Content-Range"] == f"bytes 0-4/{len(data)}"
    assert part.headers["Content-Length"] == "5"
    middle = client.get(url, headers={"Range": "bytes=100-299"})
    assert middle.status_code == 206 and middle.data == data[100:300]
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == data[-10:]
    open_ended = client.get(url, headers={"Range": f"bytes={len(data) - 3}-"})
    assert open_ended.data == data[-3:]

    outside = client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert_error_shape(outside, 416)
    assert outside.headers["Content-Range"] == f"bytes */{len(data)}"
    # a malformed or multi-part range: the whole file, 200
    for header in ("bytes=abc", "bytes=0-1,5-6"):
        whole = client.get(url, headers={"Range": header})
        assert whole.status_code == 200 and whole.data == data


# ---------------------------------------------------------------- limits


def test_a_declared_size_over_the_limit_is_413_before_the_body_is_read(network):
    cid, client = network["cid"], network["clients"]["employee"]
    body = Exploding()
    response = raw_post(
        client, f"{API}/communities/{cid}/documents", {"name": "huge.pdf"}, body, length=LIMIT + 1
    )
    details = assert_error_shape(response, 413, "payload_too_large")["error"]["details"]
    assert details["max_bytes"] == LIMIT
    assert body.reads == 0
    assert staging(network) == []


def test_an_undeclared_size_over_the_limit_stops_at_the_limit(network):
    cid, client = network["cid"], network["clients"]["employee"]
    body = Endless(LIMIT * 8)
    response = raw_post(client, f"{API}/communities/{cid}/documents", {"name": "stream.txt"}, body)
    assert_error_shape(response, 413)
    assert body.read_bytes <= LIMIT + 128 * 1024
    assert staging(network) == []
    listing = client.get(f"{API}/communities/{cid}/documents").get_json()
    assert listing["documents"] == []


def test_exactly_the_limit_is_accepted(network):
    cid, client = network["cid"], network["clients"]["employee"]
    data = b"a" * LIMIT
    response = upload(client, cid, "full.txt", data)
    assert response.status_code == 201, response.get_json()
    assert client.get(f"{API}/documents/{response.get_json()['id']}/download").data == data


# ---------------------------------------------------------------- safety


@pytest.mark.parametrize(
    "name, data, field",
    [
        ("scan.pdf", png_bytes(), "file"),  # a PNG named .pdf
        ("picture.png", PDF, "file"),
        ("notes.txt", b"\x00\x01binary", "file"),
        ("empty.pdf", b"", "file"),
        ("../../etc/passwd.txt", b"hello", "name"),
        ("evil\x00.txt", b"hello", "name"),
        ("x" * 300 + ".txt", b"hello", "name"),
    ],
)
def test_refused_uploads_leave_nothing(network, name, data, field):
    cid, client = network["cid"], network["clients"]["employee"]
    response = upload(client, cid, name, data)
    body = assert_error_shape(response, 422)
    assert field in body["error"]["details"], body
    assert staging(network) == []
    assert files_under(network["blobs"]) == []


def test_a_form_upload_is_refused(network):
    cid, client = network["cid"], network["clients"]["employee"]
    response = write(
        client,
        "POST",
        f"{API}/communities/{cid}/documents",
        query_string={"name": "a.pdf"},
        data={"file": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert_error_shape(response, 422)


def test_html_is_stored_as_plain_text_and_never_inline(network):
    cid, client = network["cid"], network["clients"]["employee"]
    for name in ("page.html", "innocent.txt", "icon.svg"):
        doc = upload(client, cid, name, HTML).get_json()
        assert doc["content_type"] == "text/plain", doc
        got = client.get(f"{API}/documents/{doc['id']}/download", query_string={"disposition": "inline"})
        assert got.status_code == 200 and got.data == HTML
        assert got.headers["Content-Type"].startswith("text/plain")
        assert got.headers["Content-Disposition"].startswith("attachment;")
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in got.headers["Content-Security-Policy"]


def test_a_png_may_be_shown_inline_and_names_are_encoded(network):
    cid, client = network["cid"], network["clients"]["employee"]
    doc = upload(client, cid, 'Schéma "final".png', png_bytes()).get_json()
    got = client.get(f"{API}/documents/{doc['id']}/download", query_string={"disposition": "inline"})
    assert got.headers["Content-Type"] == "image/png"
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "filename*=UTF-8''Sch%C3%A9ma%20%22final%22.png" in disposition
    assert 'filename="Sch_ma _final_.png"' in disposition


# ---------------------------------------------------------------- access


def test_an_outsider_gets_the_404_of_an_unknown_id(network):
    cid, clients = network["cid"], network["clients"]
    doc = upload(clients["employee"], cid, "secret.pdf", PDF).get_json()
    outsider = clients["outsider"]
    for url in (f"{API}/documents/{doc['id']}", f"{API}/documents/{doc['id']}/download"):
        hidden = outsider.get(url)
        unknown = outsider.get(url.replace(doc["id"], UNKNOWN_ID))
        assert_error_shape(hidden, 404)
        assert hidden.get_json() == unknown.get_json()
    body = Exploding()
    refused = raw_post(
        outsider, f"{API}/communities/{cid}/documents", {"name": "intruder.pdf"}, body, length=len(PDF)
    )
    assert_error_shape(refused, 404)
    assert body.reads == 0
    sneaky = new_version(outsider, doc["id"], PDF + b"%evil\n")
    assert_error_shape(sneaky, 404)
    assert staging(network) == []
    anonymous = network["app"].test_client().get(f"{API}/documents/{doc['id']}/download")
    assert_error_shape(anonymous, 401)


# ---------------------------------------------------------------- folders, bin, pages


def test_folders_bin_and_pages_through_the_api(network):
    cid, clients = network["cid"], network["clients"]
    employee, manager = clients["employee"], clients["manager"]
    folder = write(employee, "POST", f"{API}/communities/{cid}/folders", json={"name": "Specs"})
    assert folder.status_code == 201, folder.get_json()
    fid = folder.get_json()["id"]
    doc = upload(employee, cid, "spec.pdf", PDF, folder_id=fid).get_json()
    inside = employee.get(f"{API}/communities/{cid}/folders/{fid}").get_json()
    assert [d["id"] for d in inside["documents"]] == [doc["id"]]
    assert inside["path"] == [{"id": fid, "name": "Specs"}]
    clash = upload(employee, cid, "SPEC.pdf", PDF + b"%2\n", folder_id=fid)
    assert_error_shape(clash, 409)
    assert staging(network) == []
    not_empty = write(employee, "DELETE", f"{API}/folders/{fid}")
    assert_error_shape(not_empty, 409)

    renamed = write(employee, "PATCH", f"{API}/documents/{doc['id']}", json={"name": "spec v1.pdf"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "spec v1.pdf"
    gone = write(employee, "DELETE", f"{API}/documents/{doc['id']}")
    assert gone.status_code == 200 and gone.get_json()["deleted"] is True
    in_bin = manager.get(f"{API}/communities/{cid}/bin").get_json()["items"]
    assert [d["id"] for d in in_bin] == [doc["id"]]
    back = write(manager, "POST", f"{API}/documents/{doc['id']}/restore")
    assert back.status_code == 200, back.get_json()

    page = write(
        employee,
        "POST",
        f"{API}/communities/{cid}/pages",
        json={"title": "Home", "body": "Welcome.\n\nSee [[Glossary]]."},
    )
    assert page.status_code == 201, page.get_json()
    pid = page.get_json()["id"]
    saved = write(
        manager,
        "PUT",
        f"{API}/pages/{pid}",
        json={
            "title": "Home",
            "body": "Welcome, all.\n\nSee [[Glossary]].",
            "base_revision": 1,
            "comment": "friendlier",
        },
    )
    assert saved.status_code == 200 and saved.get_json()["revision"] == 2
    stale = write(
        employee, "PUT", f"{API}/pages/{pid}", json={"title": "Home", "body": "Mine", "base_revision": 1}
    )
    assert_error_shape(stale, 409)
    history = employee.get(f"{API}/pages/{pid}/history").get_json()
    assert [r["number"] for r in history["items"]] == [2, 1]
    diff = employee.get(f"{API}/pages/{pid}/diff", query_string={"from": 1, "to": 2}).get_json()
    assert {"op": "insert", "text": "Welcome, all."} in diff["lines"]
    assert {"op": "delete", "text": "Welcome."} in diff["lines"]
    pages = employee.get(f"{API}/communities/{cid}/pages").get_json()["items"]
    assert [p["title"] for p in pages] == ["Home"]


def test_the_openapi_document_describes_the_raw_upload(network):
    spec = network["app"].test_client().get(f"{API}/openapi.json").get_json()
    post = spec["paths"]["/api/v1/communities/{community_id}/documents"]["post"]
    assert "application/octet-stream" in post["requestBody"]["content"]
    assert "413" in post["responses"]
    download = spec["paths"]["/api/v1/documents/{document_id}/download"]["get"]
    assert {"200", "206", "416"} <= set(download["responses"])


# ---------------------------------------------------------------- web pages


def test_web_pages_folder_document_versions_and_download(network):
    cid, clients = network["cid"], network["clients"]
    employee = clients["employee"]
    doc = upload(employee, cid, "plan.pdf", PDF).get_json()
    new_version(employee, doc["id"], PDF + b"%v2\n")

    page = employee.get(f"/communities/{cid}/documents")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="upload-zone"' in html and f"/api/v1/communities/{cid}/documents" in html
    assert 'data-testid="document-item"' in html and "plan.pdf" in html

    detail = employee.get(f"/documents/{doc['id']}")
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert html.count('data-testid="version"') == 2
    assert f"/documents/{doc['id']}/download?version=1" in html

    old = employee.get(f"/documents/{doc['id']}/download?version=1")
    assert old.status_code == 200 and old.data == PDF
    assert old.headers["Content-Disposition"].startswith("attachment;")

    token = csrf_from(detail)
    restored = employee.post(f"/documents/{doc['id']}/versions/1/restore", data={"csrf_token": token})
    assert restored.status_code == 302
    assert employee.get(f"{API}/documents/{doc['id']}").get_json()["version"] == 3

    outsider = clients["outsider"].get(f"/documents/{doc['id']}")
    assert outsider.status_code == 404


def test_web_pages_wiki_edit_preview_history_diff(network):
    cid, employee = network["cid"], network["clients"]["employee"]
    listing = employee.get(f"/communities/{cid}/pages")
    token = csrf_from(listing)
    created = employee.post(
        f"/communities/{cid}/pages",
        data={"csrf_token": token, "title": "Runbook", "body": "Step one.\n\nSee [[Contacts]]."},
    )
    assert created.status_code == 302
    page_url = created.headers["Location"]
    shown = employee.get(page_url)
    assert shown.status_code == 200 and "Step one." in shown.get_data(as_text=True)
    pid = page_url.rstrip("/").rsplit("/", 1)[-1]

    edit = employee.get(f"/pages/{pid}/edit")
    token = csrf_from(edit)
    preview = employee.post(
        f"/pages/{pid}/edit",
        data={
            "csrf_token": token,
            "title": "Runbook",
            "base_revision": 1,
            "body": "**Step** two.",
            "action": "preview",
        },
    )
    assert preview.status_code == 200
    assert "<strong>Step</strong>" in preview.get_data(as_text=True)
    saved = employee.post(
        f"/pages/{pid}/edit",
        data={
            "csrf_token": token,
            "title": "Runbook",
            "base_revision": 1,
            "body": "Step two.",
            "action": "save",
        },
    )
    assert saved.status_code == 302
    conflict = employee.post(
        f"/pages/{pid}/edit",
        data={
            "csrf_token": token,
            "title": "Runbook",
            "base_revision": 1,
            "body": "Step three.",
            "action": "save",
        },
    )
    assert conflict.status_code == 409
    assert "Step three." in conflict.get_data(as_text=True)  # nothing lost
    history = employee.get(f"/pages/{pid}/history")
    assert history.get_data(as_text=True).count('data-testid="revision"') == 2
    diff = employee.get(f"/pages/{pid}/diff?from=1&to=2").get_data(as_text=True)
    assert 'data-op="insert"' in diff and "Step two." in diff
    assert 'data-op="delete"' in diff
