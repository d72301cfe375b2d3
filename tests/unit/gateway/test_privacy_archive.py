"""The export archive: safe names, a valid ZIP written for a stream that cannot seek, big
files copied chunk by chunk (never whole in memory)."""

import hashlib
import io
import json
import zipfile

import pytest

from gateway.files import privacy
from parvis_contracts.blobs import CHUNK_SIZE, MemoryBlobStore


@pytest.mark.parametrize(
    "name, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        (".hidden", "hidden"),
        ("a b/c?d.txt", "c_d.txt"),
        ("Compte rendu réunion.odt", "Compte_rendu_r_union.odt"),
        ("", "file"),
        (None, "file"),
        ("....", "file"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
    ],
)
def test_safe_names(name, expected):
    assert privacy.safe_name(name) == expected
    assert "/" not in expected and not expected.startswith(".") and len(expected) <= 100


def parts(photo=None, versions=()):
    return {
        "identity": {
            "service": "identity",
            "profile": {"photo_sha256": photo, "photo_content_type": "image/png"},
        },
        "communities": {"service": "communities", "memberships": []},
        "feed": {"service": "feed", "posts": [{"body": "Hello ünïcode"}]},
        "documents": {"service": "documents", "versions_uploaded": list(versions)},
        "translation": {"service": "translation"},
    }


def test_the_archive_is_a_valid_zip_with_every_part_and_file():
    photos, docs = MemoryBlobStore(), MemoryBlobStore()
    photo, _ = photos.put_bytes(b"\x89PNG fake")
    pdf, size = docs.put_bytes(b"%PDF-1.4 fake")
    data = parts(
        photo,
        [
            {"document_id": "d-1", "number": 1, "filename": "../report.pdf", "sha256": pdf, "size": size},
            {"document_id": "d-1", "number": 2, "filename": "report.pdf", "sha256": "0" * 64, "size": 3},
        ],
    )
    files = privacy.archive_files(data)
    raw = b"".join(privacy.stream_archive("p-1", data, files, {"photos": photos, "documents": docs}))
    archive = zipfile.ZipFile(io.BytesIO(raw))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[:5] == [
        "profile.json",
        "communities.json",
        "feed.json",
        "documents.json",
        "translation.json",
    ]
    assert archive.read("files/profile-photo.png") == b"\x89PNG fake"
    assert archive.read("files/documents/d-1/v1-report.pdf") == b"%PDF-1.4 fake"
    assert json.loads(archive.read("feed.json"))["posts"][0]["body"] == "Hello ünïcode"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["person_id"] == "p-1"
    assert manifest["missing_files"] == ["files/documents/d-1/v2-report.pdf"]
    assert "files/documents/d-1/v2-report.pdf" not in names
    documents = json.loads(archive.read("documents.json"))
    assert documents["versions_uploaded"][0]["archive_path"] == "files/documents/d-1/v1-report.pdf"


def test_a_big_file_streams_in_chunks():
    docs = MemoryBlobStore()
    big = bytes(range(256)) * (CHUNK_SIZE // 256) * 12 + b"tail"  # 12 chunks and a bit
    sha, size = docs.put_bytes(big)
    data = parts(
        None, [{"document_id": "d-9", "number": 1, "filename": "big.bin", "sha256": sha, "size": size}]
    )
    chunks = list(
        privacy.stream_archive(
            "p-1", data, privacy.archive_files(data), {"photos": MemoryBlobStore(), "documents": docs}
        )
    )
    assert max(len(c) for c in chunks) <= CHUNK_SIZE + 4096
    assert len(chunks) > size // CHUNK_SIZE
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    got = archive.read("files/documents/d-9/v1-big.bin")
    assert hashlib.sha256(got).hexdigest() == sha
