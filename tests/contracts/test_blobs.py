"""The content-addressed blob store: dedup, size limit, reference validation, streaming."""

import hashlib
import io

import pytest

from parvis_contracts import blobs, config
from parvis_contracts.blobs import LocalBlobStore, MemoryBlobStore
from parvis_contracts.errors import NotFound, PayloadTooLarge, ValidationFailed
from tests.support import files_under


@pytest.fixture(params=["local", "memory"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return MemoryBlobStore()


def test_put_then_open_gives_the_same_bytes_under_their_sha256(store):
    data = b"hello, parvis"
    digest, size = store.put_stream(io.BytesIO(data), max_bytes=1000)
    assert digest == hashlib.sha256(data).hexdigest()
    assert size == len(data)
    assert store.exists(digest)
    with store.open(digest) as fh:
        assert fh.read() == data


def test_local_layout_is_two_levels_of_prefix(tmp_path):
    store = LocalBlobStore(tmp_path)
    digest, _ = store.put_stream(io.BytesIO(b"abc"), 10)
    assert store.path(digest) == tmp_path / digest[:2] / digest[2:4] / digest
    assert files_under(tmp_path) == [f"{digest[:2]}/{digest[2:4]}/{digest}"]


def test_the_same_bytes_twice_are_stored_once(tmp_path):
    store = LocalBlobStore(tmp_path)
    first = store.put_stream(io.BytesIO(b"same bytes"), 100)
    second = store.put_stream(io.BytesIO(b"same bytes"), 100)
    assert first == second
    assert len(files_under(tmp_path)) == 1  # no leftover temp file either
    other = store.put_stream(io.BytesIO(b"other bytes"), 100)
    assert other[0] != first[0]
    assert len(files_under(tmp_path)) == 2


def test_memory_store_dedups_too():
    store = MemoryBlobStore()
    store.put_stream(io.BytesIO(b"x" * 10), 100)
    store.put_stream(io.BytesIO(b"x" * 10), 100)
    assert len(store.blobs) == 1


def test_over_the_limit_is_refused_and_leaves_nothing_behind(tmp_path):
    store = LocalBlobStore(tmp_path)
    with pytest.raises(PayloadTooLarge) as info:
        store.put_stream(io.BytesIO(b"y" * 1001), max_bytes=1000)
    assert info.value.details == {"max_bytes": 1000}
    assert files_under(tmp_path) == []
    # exactly the limit is fine
    digest, size = store.put_stream(io.BytesIO(b"y" * 1000), max_bytes=1000)
    assert size == 1000 and store.exists(digest)


def test_memory_store_refuses_over_the_limit():
    store = MemoryBlobStore()
    with pytest.raises(PayloadTooLarge):
        store.put_stream(io.BytesIO(b"z" * 11), max_bytes=10)
    assert store.blobs == {}


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc/passwd",
        "",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        None,
        42,
        "/" + "a" * 63,
        ("a" * 62) + "/.",
    ],
)
def test_a_bad_reference_is_refused_before_any_path_use(store, bad):
    for method in (store.open, store.exists):
        with pytest.raises(ValidationFailed):
            method(bad)
    with pytest.raises(ValidationFailed):
        store.path(bad)


def test_open_of_an_absent_blob_is_not_found(store):
    with pytest.raises(NotFound):
        store.open("0" * 64)
    assert store.exists("0" * 64) is False


class CountingReader(io.RawIOBase):
    """A multi-megabyte stream produced on the fly, recording each read's size."""

    def __init__(self, total):
        self.remaining = total
        self.reads = []

    def readable(self):
        return True

    def read(self, size=-1):
        if size is None or size < 0:
            raise AssertionError("the store must read in bounded chunks, not all at once")
        self.reads.append(size)
        n = min(size, self.remaining)
        self.remaining -= n
        return bytes((i * 7) % 251 for i in range(n)) if n else b""


def test_a_multi_megabyte_stream_is_read_in_chunks(tmp_path):
    total = 5 * 1024 * 1024 + 123
    reader = CountingReader(total)
    store = LocalBlobStore(tmp_path)
    digest, size = store.put_stream(reader, max_bytes=10 * 1024 * 1024)
    assert size == total
    assert max(reader.reads) <= blobs.CHUNK_SIZE
    assert len(reader.reads) >= total // blobs.CHUNK_SIZE
    expected = hashlib.sha256()
    check = CountingReader(total)
    while True:
        piece = check.read(blobs.CHUNK_SIZE)
        if not piece:
            break
        expected.update(piece)
    assert digest == expected.hexdigest()
    assert store.path(digest).stat().st_size == total


def test_a_big_stream_over_the_limit_stops_early(tmp_path):
    reader = CountingReader(50 * 1024 * 1024)
    store = LocalBlobStore(tmp_path)
    with pytest.raises(PayloadTooLarge):
        store.put_stream(reader, max_bytes=1024 * 1024)
    # it stopped right after the limit, without reading the 50 MB
    assert sum(reader.reads) <= 1024 * 1024 + blobs.CHUNK_SIZE
    assert files_under(tmp_path) == []


def test_blob_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "here"))
    assert config.blob_dir() == tmp_path / "here"
    assert (tmp_path / "here").is_dir()
    monkeypatch.delenv("PARVIS_BLOB_DIR")
    monkeypatch.setenv("PARVIS_VAR_DIR", str(tmp_path / "var"))
    assert config.blob_dir() == tmp_path / "var" / "blobs"
    assert blobs.default_store().root == tmp_path / "var" / "blobs"


# ---------------------------------------------------------------- staged uploads (documents)


def test_stage_then_commit_stores_the_bytes_under_their_sha256(store):
    data = b"%PDF-1.7 staged bytes"
    staged = store.stage(io.BytesIO(data), max_bytes=1000)
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert staged.size == len(data)
    assert blobs.STAGED_KEY_RE.match(staged.key)
    assert store.read_staged_head(staged.key, 4) == b"%PDF"
    assert store.read_staged_head(staged.key) == data
    assert not store.exists(staged.sha256)  # not visible before the commit
    store.commit(staged.key, staged.sha256)
    assert store.exists(staged.sha256)
    assert store.size(staged.sha256) == len(data)
    assert b"".join(store.open_range(staged.sha256)) == data
    with pytest.raises(NotFound):  # the staged copy is gone
        store.read_staged_head(staged.key)


def test_a_commit_that_keeps_the_staged_object_can_run_again(store):
    """What a request that died after the blob commit but before its transaction relies
    on: delivered again, it finds its staged bytes and commits them again."""
    data = b"%PDF-1.7 kept while the transaction runs"
    staged = store.stage(io.BytesIO(data), max_bytes=1000)
    store.commit(staged.key, staged.sha256, keep_staged=True)
    assert store.exists(staged.sha256)
    assert store.read_staged_head(staged.key) == data  # still there
    store.commit(staged.key, staged.sha256, keep_staged=True)  # the redelivered request
    store.discard(staged.key)  # after its commit
    assert b"".join(store.open_range(staged.sha256)) == data
    with pytest.raises(NotFound):
        store.read_staged_head(staged.key)
    if isinstance(store, LocalBlobStore):
        sha = staged.sha256
        assert files_under(store.root) == [f"{sha[:2]}/{sha[2:4]}/{sha}"]


def test_committing_the_same_bytes_twice_keeps_one_copy(tmp_path):
    store = LocalBlobStore(tmp_path)
    first = store.stage(io.BytesIO(b"twice"), 100)
    second = store.stage(io.BytesIO(b"twice"), 100)
    assert first.key != second.key and first.sha256 == second.sha256
    store.commit(first.key, first.sha256)
    store.commit(second.key, second.sha256)
    assert files_under(tmp_path) == [f"{first.sha256[:2]}/{first.sha256[2:4]}/{first.sha256}"]
    assert [sha for sha, _ in store.list_blobs()] == [first.sha256]


def test_staging_over_the_limit_leaves_nothing(store, tmp_path):
    with pytest.raises(PayloadTooLarge) as info:
        store.stage(io.BytesIO(b"q" * 2000), max_bytes=1999)
    assert info.value.details == {"max_bytes": 1999}
    assert store.staged_older_than(-60) == []
    if isinstance(store, LocalBlobStore):
        assert files_under(store.root) == []


def test_discard_removes_the_staged_object_and_is_idempotent(store):
    staged = store.stage(io.BytesIO(b"to drop"), 100)
    store.discard(staged.key)
    store.discard(staged.key)
    with pytest.raises(NotFound):
        store.read_staged_head(staged.key)
    with pytest.raises(NotFound):
        store.commit(staged.key, staged.sha256)
    assert not store.exists(staged.sha256)


def test_staged_older_than_lists_only_old_staged_objects(store, monkeypatch):
    staged = store.stage(io.BytesIO(b"old"), 100)
    assert store.staged_older_than(3600) == []
    later = blobs.time.time() + 7200
    monkeypatch.setattr(blobs.time, "time", lambda: later)
    assert store.staged_older_than(3600) == [staged.key]


@pytest.mark.parametrize("bad", ["../x", "", "a" * 31, "A" * 32, "g" * 32, None, "../" + "a" * 29])
def test_a_bad_staged_key_is_refused(store, bad):
    for call in (
        lambda: store.read_staged_head(bad),
        lambda: store.discard(bad),
        lambda: store.commit(bad, "0" * 64),
    ):
        with pytest.raises(ValidationFailed):
            call()


def test_ranges_are_inclusive_and_checked(store):
    data = bytes(range(256)) * 1000  # 256,000 bytes: several chunks
    digest, _ = store.put_bytes(data)
    assert b"".join(store.open_range(digest, 0, 0)) == data[:1]
    assert b"".join(store.open_range(digest, 10, 19)) == data[10:20]
    assert b"".join(store.open_range(digest, 100_000)) == data[100_000:]
    assert b"".join(store.open_range(digest, 0, len(data) - 1)) == data
    for start, end in ((len(data), None), (5, 4), (0, len(data)), (-1, 3)):
        with pytest.raises(ValidationFailed):
            store.open_range(digest, start, end)
    with pytest.raises(NotFound):
        store.open_range("1" * 64)
    with pytest.raises(NotFound):
        store.size("1" * 64)


def test_delete_and_list_blobs(store):
    a, _ = store.put_bytes(b"a")
    b, _ = store.put_bytes(b"b")
    assert sorted(sha for sha, _ in store.list_blobs()) == sorted([a, b])
    assert all(isinstance(mtime, float) for _, mtime in store.list_blobs())
    store.delete(a)
    store.delete(a)
    assert [sha for sha, _ in store.list_blobs()] == [b]
    assert not store.exists(a)


def test_local_list_blobs_ignores_staging_and_foreign_files(tmp_path):
    store = LocalBlobStore(tmp_path)
    digest, _ = store.put_bytes(b"kept")
    store.stage(io.BytesIO(b"staged"), 100)
    (tmp_path / "ab").mkdir(exist_ok=True)
    (tmp_path / "ab" / "notes.txt").write_text("not a blob")
    (tmp_path / "documents").mkdir()
    assert [sha for sha, _ in store.list_blobs()] == [digest]


def test_staging_a_big_stream_reads_in_chunks(tmp_path):
    total = 3 * 1024 * 1024 + 7
    reader = CountingReader(total)
    store = LocalBlobStore(tmp_path)
    staged = store.stage(reader, max_bytes=total)
    assert staged.size == total
    assert max(reader.reads) <= blobs.CHUNK_SIZE


def test_blob_store_factory_uses_a_directory_per_namespace(monkeypatch, tmp_path):
    monkeypatch.delenv("PARVIS_BLOB_BACKEND", raising=False)
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    documents = blobs.blob_store("documents")
    assert isinstance(documents, LocalBlobStore)
    assert documents.root == tmp_path / "blobs" / "documents"
    digest, _ = documents.put_bytes(b"doc")
    assert not blobs.default_store().exists(digest)  # photos never see documents' blobs
    assert [sha for sha, _ in blobs.default_store().list_blobs()] == []
    for bad in ("", "../x", "a/b", "UPPER", None):
        with pytest.raises(ValueError):
            blobs.blob_store(bad)
    monkeypatch.setenv("PARVIS_BLOB_BACKEND", "ftp")
    with pytest.raises(ValueError):
        blobs.blob_store("documents")
    monkeypatch.setenv("PARVIS_BLOB_BACKEND", "s3")
    monkeypatch.delenv("PARVIS_S3_BUCKET", raising=False)
    with pytest.raises(ValueError):
        blobs.blob_store("documents")
