"""Content-addressed blob storage: bytes are stored once, under their SHA-256.

Files never travel over AMQP: the process that receives an upload (the
gateway) streams it into a :class:`BlobStore` and sends services only the
reference (the hex SHA-256). ``LocalBlobStore`` keeps files on disk as
``<root>/<aa>/<bb>/<sha256>``; ``MemoryBlobStore`` is the in-memory twin for
unit tests. An S3-compatible store implements the same interface.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO

from .errors import NotFound, PayloadTooLarge, ValidationFailed

CHUNK_SIZE = 64 * 1024
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def validate_sha256(value) -> str:
    """The value if it is 64 lower-case hex digits, else ``ValidationFailed``.

    Called before a reference is used to build any path, so ``../`` and
    friends never reach the file system.
    """
    if not isinstance(value, str) or not SHA256_RE.match(value):
        raise ValidationFailed("Not a SHA-256 reference (64 lower-case hex digits).",
                               {"sha256": ["Not a SHA-256 reference."]})
    return value


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The file is larger than {max_bytes} bytes.",
                           {"max_bytes": max_bytes})


def _chunks(fileobj: BinaryIO, max_bytes: int):
    """Read ``fileobj`` in chunks; raise ``PayloadTooLarge`` past ``max_bytes``."""
    size = 0
    while True:
        chunk = fileobj.read(CHUNK_SIZE)
        if not chunk:
            return
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        yield chunk


class BlobStore:
    """The interface of every blob store."""

    def put_stream(self, fileobj: BinaryIO, max_bytes: int) -> tuple[str, int]:
        """Store the stream's bytes; return ``(sha256_hex, size)``.

        More than ``max_bytes`` -> ``PayloadTooLarge`` and nothing is kept.
        The same bytes stored twice are kept once.
        """
        raise NotImplementedError

    def open(self, sha256: str) -> BinaryIO:
        """A readable binary file object; ``NotFound`` if absent."""
        raise NotImplementedError

    def exists(self, sha256: str) -> bool:
        raise NotImplementedError

    def path(self, sha256: str):
        """Where the blob lives (a local path; stores without paths may raise)."""
        raise NotImplementedError

    def put_bytes(self, data: bytes, max_bytes: int | None = None) -> tuple[str, int]:
        return self.put_stream(io.BytesIO(data), len(data) if max_bytes is None else max_bytes)


class LocalBlobStore(BlobStore):
    """Files on the local disk, ``<root>/<aa>/<bb>/<sha256>``, written atomically."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        digest = validate_sha256(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise NotFound("This file does not exist.") from None

    def put_stream(self, fileobj: BinaryIO, max_bytes: int) -> tuple[str, int]:
        # the temp file sits in the root, on the same file system as the
        # destination, so the final rename is atomic
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=self.root)
        hasher, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(fileobj, max_bytes):
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = hasher.hexdigest()
            target = self.path(digest)
            if target.is_file():
                os.unlink(tmp_name)          # already stored: keep one copy
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp_name, 0o644)
                os.replace(tmp_name, target)
            return digest, size
        except BaseException:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
            raise


class MemoryBlobStore(BlobStore):
    """Blobs in a dict: for unit tests, same rules as the disk store."""

    def __init__(self):
        self.blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def path(self, sha256: str):
        validate_sha256(sha256)
        raise NotImplementedError("MemoryBlobStore keeps no files")

    def exists(self, sha256: str) -> bool:
        return validate_sha256(sha256) in self.blobs

    def open(self, sha256: str) -> BinaryIO:
        data = self.blobs.get(validate_sha256(sha256))
        if data is None:
            raise NotFound("This file does not exist.")
        return io.BytesIO(data)

    def put_stream(self, fileobj: BinaryIO, max_bytes: int) -> tuple[str, int]:
        hasher, parts = hashlib.sha256(), []
        for chunk in _chunks(fileobj, max_bytes):
            hasher.update(chunk)
            parts.append(chunk)
        data = b"".join(parts)
        digest = hasher.hexdigest()
        with self._lock:
            self.blobs.setdefault(digest, data)
        return digest, len(data)


def default_store() -> LocalBlobStore:
    """The store configured by ``PARVIS_BLOB_DIR`` (default ``<var dir>/blobs``)."""
    from .config import blob_dir

    return LocalBlobStore(blob_dir())
