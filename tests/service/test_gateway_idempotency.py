"""``Idempotency-Key`` through the gateway: identity, communities, feed and documents on the
real RabbitMQ. A retried create answers the first answer (same status, same body) and is
written once; a reused key with another request, or a bad key, is a 422 in the one shape."""

import pytest
from test_gateway import API, assert_error_shape, write
from test_gateway_communities import network, private_community_with_guest  # noqa: F401  (fixture)
from test_gateway_documents import PDF

from services.documents.service import DocumentsService
from tests.support import wait_until


@pytest.fixture
def platform(network, start_service, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    start_service(DocumentsService)
    cid = private_community_with_guest(network)
    app, people, clients, partner = network
    wait_until(
        lambda: clients["employee"].get(f"{API}/communities/{cid}/documents").status_code == 200, timeout=15
    )
    return cid, people, clients


def keyed(client, method, path, key, **kwargs):
    headers = {"Idempotency-Key": key, **kwargs.pop("headers", {})}
    return write(client, method, path, headers=headers, **kwargs)


def test_posts_comments_and_likes_are_written_once_per_key(platform):
    cid, people, clients = platform
    employee, guest = clients["employee"], clients["guest"]
    first = keyed(employee, "POST", f"{API}/communities/{cid}/posts", "post-1", json={"body": "Only once"})
    again = keyed(employee, "POST", f"{API}/communities/{cid}/posts", "post-1", json={"body": "Only once"})
    assert first.status_code == again.status_code == 201, again.get_json()
    assert again.get_json() == first.get_json()
    pid = first.get_json()["id"]
    wall = employee.get(f"{API}/communities/{cid}/posts").get_json()["items"]
    assert [p["id"] for p in wall if p["body"] == "Only once"] == [pid]

    # the same key, another body: 422 in the one shape, nothing written
    error = assert_error_shape(
        keyed(employee, "POST", f"{API}/communities/{cid}/posts", "post-1", json={"body": "Something else"}),
        422,
        "validation_failed",
    )
    assert "idempotency_key" in error["error"]["details"]
    assert len(employee.get(f"{API}/communities/{cid}/posts").get_json()["items"]) == 1

    c1 = keyed(guest, "POST", f"{API}/posts/{pid}/comments", "c-1", json={"body": "Thanks"})
    c2 = keyed(guest, "POST", f"{API}/posts/{pid}/comments", "c-1", json={"body": "Thanks"})
    assert c1.status_code == c2.status_code == 201 and c1.get_json() == c2.get_json()
    like1 = keyed(guest, "POST", f"{API}/posts/{pid}/like", "l-1")
    like2 = keyed(guest, "POST", f"{API}/posts/{pid}/like", "l-1")
    assert like1.status_code == like2.status_code == 200
    assert like2.get_json() == {"post_id": pid, "liked": True, "like_count": 1}
    assert_error_shape(write(guest, "POST", f"{API}/posts/{pid}/like"), 409, "conflict")
    post = employee.get(f"{API}/posts/{pid}").get_json()
    assert (post["comment_count"], post["like_count"]) == (1, 1)


@pytest.mark.parametrize("key", ["x" * 129, "caf\u00e9", "tab\there"])
def test_a_bad_key_is_a_422_and_writes_nothing(platform, key):
    cid, people, clients = platform
    headers = {"Idempotency-Key": key.encode("utf-8").decode("latin-1")}
    error = assert_error_shape(
        write(
            clients["employee"],
            "POST",
            f"{API}/communities/{cid}/posts",
            headers=headers,
            json={"body": "no"},
        ),
        422,
        "validation_failed",
    )
    assert list(error["error"]["details"]) == ["Idempotency-Key"]  # the header's name
    assert clients["employee"].get(f"{API}/communities/{cid}/posts").get_json()["items"] == []


def test_a_retried_upload_answers_the_same_document(platform):
    cid, people, clients = platform
    employee = clients["employee"]

    def upload(key, data=PDF):
        return keyed(
            employee,
            "POST",
            f"{API}/communities/{cid}/documents",
            key,
            query_string={"name": "plan.pdf"},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )

    first, again = upload("up-1"), upload("up-1")
    assert first.status_code == again.status_code == 201, again.get_json()
    assert again.get_json() == first.get_json()
    listing = employee.get(f"{API}/communities/{cid}/documents").get_json()
    assert [d["id"] for d in listing["documents"]] == [first.get_json()["id"]]
    # without the key, the name is taken; with the key and other bytes: 422
    plain = write(
        employee,
        "POST",
        f"{API}/communities/{cid}/documents",
        query_string={"name": "plan.pdf"},
        data=PDF,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert_error_shape(plain, 409, "conflict")
    assert_error_shape(upload("up-1", data=PDF + b"%changed\n"), 422, "validation_failed")


def test_the_openapi_document_describes_the_header(platform):
    cid, people, clients = platform
    spec = clients["employee"].get(f"{API}/openapi.json").get_json()
    for path, method in (
        ("/api/v1/communities/{community_id}/posts", "post"),
        ("/api/v1/posts/{post_id}/comments", "post"),
        ("/api/v1/posts/{post_id}/like", "post"),
        ("/api/v1/comments/{comment_id}/like", "post"),
        ("/api/v1/communities/{community_id}/documents", "post"),
    ):
        params = spec["paths"][path][method].get("parameters", [])
        header = [p for p in params if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert header and not header[0].get("required"), (path, params)
        assert header[0]["schema"]["type"] == "string"
    upload = spec["paths"]["/api/v1/communities/{community_id}/documents"]["post"]
    assert {p["name"] for p in upload["parameters"] if p["in"] == "query"} >= {"name"}
