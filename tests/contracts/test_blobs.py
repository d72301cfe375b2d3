"""The content-addressed blob store: dedup, size limit, reference validation, streaming."""
import hashlib
import io

import pytest

from parvis_contracts import blobs, config
from parvis_contracts.blobs import LocalBlobStore, MemoryBlobStore
from parvis_contracts.errors import NotFound, PayloadTooLarge, ValidationFailed


@pytest.fixture(params=["local", "memory"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return MemoryBlobStore()


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


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
    assert len(files_under(tmp_path)) == 1   # no leftover temp file either
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


@pytest.mark.parametrize("bad", [
    "../../etc/passwd", "", "a" * 63, "a" * 65, "A" * 64, "g" * 64, None, 42,
    "/" + "a" * 63, ("a" * 62) + "/.",
])
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
