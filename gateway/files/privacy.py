"""Privacy (GDPR): the personal-data archive and what the gateway itself forgets at an
erasure (for the API's ``/api/v1/me/export``, ``/me/erase``, ``/admin/people/<id>/erase``
and the web pages alike).

The export asks every service for what it holds about the caller
(``export_person_data``: each service checks itself that the caller is that
person or an admin), then streams a ZIP archive: one JSON file per service, the
profile photo and every document version the person uploaded under ``files/``,
and ``manifest.json`` last. Nothing is assembled in memory: JSON parts are
written as they are, files are copied from the blob stores chunk by chunk and
each chunk of the archive is sent as soon as it is written (the ZIP is written
for a stream that cannot seek: sizes follow each entry in a data descriptor).

Erasure asks identity to erase the account (the person with their password, or
an admin for someone else); identity publishes ``identity.user_erased`` and every
service forgets what it holds. The gateway then deletes the photo's blob from its
own store (unless another profile uses the same bytes) and, for one's own
erasure, clears the session cookie. See docs/security.md, "Privacy (GDPR)".
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from datetime import UTC, datetime

from flask import Response, current_app, g, stream_with_context

from parvis_contracts.errors import NotFound, ValidationFailed
from parvis_contracts.plugins import person_data_services

from ..calls import identity, translation
from ..calls.privacy import person_data
from . import documents, photos

log = logging.getLogger(__name__)

#: the archive's part of each core service; an installed plug-in that keeps personal data
#: (``person_data`` in its declaration) adds ``<name>.json``
PART_NAMES = {
    "identity": "profile.json",
    "communities": "communities.json",
    "feed": "feed.json",
    "documents": "documents.json",
    "translation": "translation.json",
}
FORMAT = "parvis-export/1"
PHOTO_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 100

POLICY = (
    "This archive holds the data Parvis keeps about you: your profile (every field, the "
    "private ones included), roles, organisation, sessions (dates, browser, address; never a "
    "token), your memberships, invitations and join requests, the posts and comments you "
    "wrote (with their earlier versions), what you liked, your reports, the announcements "
    "you read, the folders, documents, versions (the files themselves, under files/) and "
    "pages you created or wrote, the glossary terms you created and your translation "
    "settings. Other people's data is not included: posts or comments that mention you, "
    "and content you liked, appear by id only; other people appear by id only."
)


# ------------------------------------------------------------------ export


def safe_name(name: str | None, default: str = "file") -> str:
    """A file name safe inside an archive: no directory, no dot-file, ASCII letters,
    digits, ``.``, ``_`` and ``-`` only, at most 100 characters (the extension kept)."""
    base = SAFE_NAME.sub("_", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = base.strip("._") or default
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        ext = ext[:16] if dot else ""
        base = (stem if dot else base)[: MAX_NAME - len(ext) - 1].rstrip("._") + ("." + ext if ext else "")
    return base


def collect(person_id: str) -> dict:
    """Every service's ``export_person_data`` for the person, in parallel; the first
    failure is raised (a partial archive would look complete)."""
    services = person_data_services()
    results = person_data(person_id, services)
    for name in services:
        if isinstance(results[name], BaseException):
            raise results[name]
    return results


def archive_files(parts: dict) -> list[dict]:
    """What goes under ``files/``: ``{"path", "store", "sha256", "size"}``."""
    files = []
    profile = parts["identity"].get("profile") or {}
    if profile.get("photo_sha256"):
        ext = PHOTO_EXTENSIONS.get(profile.get("photo_content_type"), "bin")
        files.append(
            {
                "path": f"files/profile-photo.{ext}",
                "store": "photos",
                "sha256": profile["photo_sha256"],
                "size": None,
            }
        )
    used = set()
    for version in parts["documents"].get("versions_uploaded") or []:
        name = safe_name(version.get("filename") or version.get("document_name"))
        path = (
            f"files/documents/{safe_name(version['document_id'], 'document')}/"
            f"v{int(version['number'])}-{name}"
        )
        if path in used:
            continue
        used.add(path)
        version["archive_path"] = path
        files.append(
            {"path": path, "store": "documents", "sha256": version["sha256"], "size": version.get("size")}
        )
    return files


class _Sink:
    """A write-only, unseekable stream: ZipFile writes into it, the generator empties it."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def stream_archive(person_id: str, parts: dict, files: list[dict], stores: dict):
    """The ZIP archive, chunk by chunk (a generator)."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED)
    names = {service: PART_NAMES.get(service, f"{service}.json") for service in parts}
    for service in parts:
        archive.writestr(names[service], _json(parts[service]))
        yield sink.take()
    missing = []
    for item in files:
        store = stores[item["store"]]
        try:
            chunks = store.open_range(item["sha256"])
            first = next(chunks, b"")
        except (NotFound, ValidationFailed, OSError):
            missing.append(item["path"])
            continue
        info = zipfile.ZipInfo(item["path"], date_time=datetime.now(UTC).timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED  # files are stored as they are
        if item.get("size") is not None:
            info.file_size = int(item["size"])  # decides ZIP64 for very large files
        with archive.open(info, "w", force_zip64=item.get("size") is None) as entry:
            entry.write(first)
            yield sink.take()
            for chunk in chunks:
                entry.write(chunk)
                yield sink.take()
        yield sink.take()
    archive.writestr(
        "manifest.json",
        _json(
            {
                "format": FORMAT,
                "person_id": person_id,
                "generated_at": datetime.now(UTC).isoformat(),
                "parts": [names[s] for s in parts],
                "files": [f["path"] for f in files if f["path"] not in missing],
                "missing_files": missing,
                "policy": POLICY,
            }
        ),
    )
    archive.close()
    yield sink.take()


def export_response(person_id: str) -> Response:
    parts = collect(person_id)
    files = archive_files(parts)
    stores = {"photos": photos.store(), "documents": documents.store()}
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    body = stream_with_context(stream_archive(person_id, parts, files, stores))
    response = current_app.response_class(body, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="parvis-export-{stamp}.zip"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------ erasure


def forget_photo(result: dict) -> None:
    """Delete the erased profile's photo blob (identity says whether it is unshared)."""
    sha256 = result.get("photo")
    if not sha256:
        return
    try:
        photos.store().delete(sha256)
    except Exception:  # the reference is gone already; the bytes wait for a cleanup
        log.exception("could not delete the photo blob of an erased account")


def forget_caches() -> None:
    """The memo of served translations may hold a mention of the person: emptied here.
    (What this process remembers of the person themself, their sessions and card, is
    forgotten when identity's ``identity.user_erased`` event arrives.)"""
    translation.forget_served()


def erase_me(password: str) -> dict:
    result = identity.erase_me(password)
    forget_photo(result)
    forget_caches()
    g.clear_session_cookie = True
    return result


def erase_person(person_id: str) -> dict:
    result = identity.erase_person(person_id)
    forget_photo(result)
    forget_caches()
    return result
