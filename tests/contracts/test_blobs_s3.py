"""The S3 blob store against a real S3-compatible server: moto's server mode on loopback.

The fixture starts moto's HTTP server on 127.0.0.1 with a free port; the store
talks to it through boto3 exactly as it would talk to any S3-compatible
object storage. Nothing is mocked inside the process under test.
"""

import hashlib
import io
import socket

import pytest

from parvis_contracts import blobs
from parvis_contracts.blobs import S3BlobStore
from parvis_contracts.errors import NotFound, PayloadTooLarge, ValidationFailed

BUCKET = "parvis-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(monkeypatch, s3_endpoint):
    monkeypatch.setenv("PARVIS_BLOB_BACKEND", "s3")
    monkeypatch.setenv("PARVIS_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("PARVIS_S3_BUCKET", BUCKET)
    monkeypatch.setenv("PARVIS_S3_REGION", "us-east-1")
    monkeypatch.setenv("PARVIS_S3_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("PARVIS_S3_SECRET_ACCESS_KEY", "test-secret")
    settings = blobs.s3_settings()
    client = blobs.s3_client(
        settings["endpoint_url"], settings["region"], settings["access_key_id"], settings["secret_access_key"]
    )
    existing = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
    if BUCKET not in existing:
        client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents") or ():
            client.delete_object(Bucket=BUCKET, Key=item["Key"])


@pytest.fixture
def store(s3_env):
    made = blobs.blob_store("documents")
    assert isinstance(made, S3BlobStore)
    return made


def keys(client) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return sorted(item["Key"] for page in pages for item in page.get("Contents") or ())


def test_stage_commit_read_back(store, s3_env):
    data = b"%PDF-1.4 in a bucket"
    staged = store.stage(io.BytesIO(data), 1000)
    assert staged.sha256 == hashlib.sha256(data).hexdigest() and staged.size == len(data)
    assert keys(s3_env) == [f"documents/staging/{staged.key}"]
    assert store.read_staged_head(staged.key, 5) == b"%PDF-"
    store.commit(staged.key, staged.sha256)
    assert keys(s3_env) == [f"documents/blobs/{staged.sha256}"]
    assert store.exists(staged.sha256) and store.size(staged.sha256) == len(data)
    assert b"".join(store.open_range(staged.sha256)) == data
    assert b"".join(store.open_range(staged.sha256, 9, 10)) == data[9:11]
    with store.open(staged.sha256) as fh:
        assert fh.read() == data


def test_a_commit_that_keeps_the_staged_object(store, s3_env):
    staged = store.stage(io.BytesIO(b"%PDF-1.4 kept"), 1000)
    store.commit(staged.key, staged.sha256, keep_staged=True)
    assert keys(s3_env) == [f"documents/blobs/{staged.sha256}", f"documents/staging/{staged.key}"]
    store.commit(staged.key, staged.sha256, keep_staged=True)
    store.discard(staged.key)
    assert keys(s3_env) == [f"documents/blobs/{staged.sha256}"]


def test_the_same_bytes_twice_are_stored_once(store, s3_env):
    first = store.stage(io.BytesIO(b"same"), 100)
    second = store.stage(io.BytesIO(b"same"), 100)
    store.commit(first.key, first.sha256)
    store.commit(second.key, second.sha256)
    assert keys(s3_env) == [f"documents/blobs/{first.sha256}"]
    assert store.put_stream(io.BytesIO(b"same"), 100) == (first.sha256, 4)
    assert keys(s3_env) == [f"documents/blobs/{first.sha256}"]


def test_a_multipart_upload_streams_in_parts(store, s3_env, monkeypatch):
    monkeypatch.setattr(blobs, "S3_PART_SIZE", 5 * 1024 * 1024)  # S3's smallest part
    total = 11 * 1024 * 1024 + 5  # three parts
    data = bytes((i * 31) % 256 for i in range(256)) * (total // 256) + b"tail!"
    data = data[:total]
    staged = store.stage(io.BytesIO(data), total)
    store.commit(staged.key, staged.sha256)
    assert store.size(staged.sha256) == total
    assert (
        hashlib.sha256(b"".join(store.open_range(staged.sha256))).hexdigest()
        == hashlib.sha256(data).hexdigest()
    )
    assert b"".join(store.open_range(staged.sha256, total - 10)) == data[-10:]


def test_over_the_limit_leaves_nothing_even_after_parts_went_up(store, s3_env, monkeypatch):
    monkeypatch.setattr(blobs, "S3_PART_SIZE", 5 * 1024 * 1024)
    with pytest.raises(PayloadTooLarge):
        store.stage(io.BytesIO(b"x" * (6 * 1024 * 1024)), max_bytes=5 * 1024 * 1024 + 1)
    assert keys(s3_env) == []
    uploads = s3_env.list_multipart_uploads(Bucket=BUCKET).get("Uploads") or []
    assert uploads == []


def test_discard_sweep_delete_and_list(store, s3_env, monkeypatch):
    staged = store.stage(io.BytesIO(b"drop me"), 100)
    assert store.staged_older_than(3600) == []
    later = blobs.time.time() + 7200
    monkeypatch.setattr(blobs.time, "time", lambda: later)
    assert store.staged_older_than(3600) == [staged.key]
    store.discard(staged.key)
    store.discard(staged.key)
    with pytest.raises(NotFound):
        store.read_staged_head(staged.key)
    a, _ = store.put_bytes(b"a")
    b, _ = store.put_bytes(b"b")
    assert sorted(sha for sha, _ in store.list_blobs()) == sorted([a, b])
    store.delete(a)
    assert [sha for sha, _ in store.list_blobs()] == [b]


def test_namespaces_are_kept_apart(store, s3_env):
    other = blobs.blob_store("photos")
    digest, _ = other.put_bytes(b"a photo")
    assert not store.exists(digest)
    assert list(store.list_blobs()) == []
    assert blobs.default_store().exists(digest)  # photos use the "photos" namespace


def test_errors_are_the_platform_errors(store):
    with pytest.raises(NotFound):
        store.open("2" * 64)
    with pytest.raises(NotFound):
        store.size("2" * 64)
    with pytest.raises(NotFound):
        store.open_range("2" * 64)
    assert store.exists("2" * 64) is False
    for bad in ("../../etc/passwd", "A" * 64):
        with pytest.raises(ValidationFailed):
            store.exists(bad)
    with pytest.raises(ValidationFailed):
        store.discard("../" + "a" * 29)
    digest, _ = store.put_bytes(b"abc")
    with pytest.raises(ValidationFailed):
        store.open_range(digest, 2, 3)


def test_an_empty_staged_object_has_an_empty_head(store):
    staged = store.stage(io.BytesIO(b""), 10)
    assert staged.size == 0
    assert store.read_staged_head(staged.key) == b""
