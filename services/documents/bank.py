"""The document bank of a community: folders, documents, versions, bin, downloads.

Bytes never reach this service over AMQP. The gateway streams an upload into a
*staged* object of the blob store and passes its reference
(``{"key", "sha256", "size"}``); this module reads the staged head to check the
file type, then, in this order: writes the metadata (flushed, so a name clash
fails before anything is kept), promotes the staged object to its content
address (``store.commit``, keeping the staged object), commits the transaction, then
discards the staged object. On any refusal the caller
(``service``) discards the staged object, so nothing is half-stored: never a
version without bytes, and a committed blob whose transaction then failed is
collected by the sweep (``maintenance``).

Rules (see docs/services/documents.md):

* read (list, get, download — old versions included): whoever may read the
  community (``access.community_access``), checked on every call;
* upload, new version, restore an old version, create a folder: members, not
  in an archived community;
* rename, move, delete a document or folder: its creator or a moderator;
* the bin: managers (and admins who are members) list and restore documents
  deleted less than ``BIN_DAYS`` days ago; after that they are purged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from parvis_contracts import events as ev
from parvis_contracts import filetypes, idempotency, settings
from parvis_contracts.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed, not_found

from . import extraction
from .access import Access, Viewer, community_access, require_author_or_moderator
from .models import ROOT, Document, DocumentVersion, Folder, OrphanBlob, name_key

BIN_DAYS = 30
MAX_DEPTH = 20
DESCRIBE_MAX = 50
DEFAULT_MAX_BYTES = settings.default("PARVIS_DOCUMENTS_MAX_BYTES")

log = logging.getLogger(__name__)


def max_bytes() -> int:
    """The largest accepted file (``PARVIS_DOCUMENTS_MAX_BYTES``, default 100 MB)."""
    return settings.value("PARVIS_DOCUMENTS_MAX_BYTES")


def bin_limit(now: datetime) -> datetime:
    """Documents deleted before this instant are past the bin's retention."""
    return now - timedelta(days=BIN_DAYS)


# --- views -------------------------------------------------------------------------


def folder_item(folder: Folder) -> dict:
    return {
        "id": folder.id,
        "community_id": folder.community_id,
        "name": folder.name,
        "parent_id": folder.parent_id,
        "created_at": folder.created_at,
        "created_by": folder.created_by,
    }


def document_item(doc: Document) -> dict:
    item = {
        "id": doc.id,
        "community_id": doc.community_id,
        "folder_id": doc.folder_id,
        "name": doc.name,
        "content_type": doc.content_type,
        "size": doc.size,
        "sha256": doc.sha256,
        "version": doc.version,
        "updated_at": doc.updated_at,
        "updated_by": doc.updated_by,
        "created_at": doc.created_at,
        "created_by": doc.created_by,
        "deleted_at": doc.deleted_at,
    }
    if doc.deleted_at is not None:
        item["deleted_by"] = doc.deleted_by
        item["purge_at"] = doc.deleted_at + timedelta(days=BIN_DAYS)
    return item


def version_item(version: DocumentVersion) -> dict:
    return {
        "number": version.number,
        "sha256": version.sha256,
        "size": version.size,
        "content_type": version.content_type,
        "filename": version.filename,
        "comment": version.comment,
        "author_id": version.author_id,
        "created_at": version.created_at,
        "text_status": version.text_status,
        "text_reason": version.text_reason,
    }


# --- lookups -----------------------------------------------------------------------


def _safe_name(name) -> str:
    try:
        return filetypes.safe_filename(name)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message or "This name is not allowed.", {"name": [exc.message or "This name is not allowed."]}
        ) from None


def folder_in(session, access: Access, folder_id: str | None) -> Folder | None:
    """The folder ``folder_id`` of the access's community (None: the root)."""
    if folder_id is None:
        return None
    folder = session.get(Folder, folder_id)
    if folder is None or folder.community_id != access.community.id:
        raise not_found("folder")
    return folder


def folder_access(session, viewer: Viewer, folder_id: str) -> tuple[Folder, Access]:
    folder = session.get(Folder, folder_id)
    if folder is None:
        raise not_found("folder")
    try:
        access = community_access(session, viewer, folder.community_id)
    except NotFound:
        raise not_found("folder") from None
    return folder, access


def document_access(
    session, viewer: Viewer, document_id: str, deleted: bool = False
) -> tuple[Document, Access]:
    """A live document the viewer may read (``deleted=True``: one in the bin instead)."""
    doc = session.get(Document, document_id)
    if doc is None or (doc.deleted_at is not None) != deleted:
        raise not_found("document")
    try:
        access = community_access(session, viewer, doc.community_id)
    except NotFound:
        raise not_found("document") from None
    return doc, access


def _path(session, folder: Folder | None) -> list[dict]:
    path = []
    while folder is not None and len(path) <= MAX_DEPTH + 1:
        path.append({"id": folder.id, "name": folder.name})
        folder = session.get(Folder, folder.parent_id) if folder.parent_id else None
    return list(reversed(path))


def _ancestors(session, folder: Folder | None) -> list[str]:
    return [item["id"] for item in _path(session, folder)]


def check_name_free(
    session, community_id: str, folder_id: str | None, name: str, ignore_id: str | None = None
) -> None:
    """``Conflict`` when a live folder or document of that folder already has the name."""
    key, parent = name_key(name), folder_id or ROOT
    clash = session.scalar(
        select(Folder.id).where(
            Folder.community_id == community_id,
            Folder.parent_key == parent,
            Folder.name_key == key,
            Folder.id != (ignore_id or ""),
        )
    )
    if clash is None:
        clash = session.scalar(
            select(Document.id).where(
                Document.community_id == community_id,
                Document.folder_key == parent,
                Document.live_key == key,
                Document.id != (ignore_id or ""),
            )
        )
    if clash is not None:
        raise _clash()


def flush_names(session) -> None:
    """Flush; a unique-name violation (a concurrent twin passed the check) is a ``Conflict``."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise _clash() from None


def _clash() -> Conflict:
    return Conflict(
        "Something with this name already exists in this folder.",
        {"name": ["Something with this name already exists in this folder."]},
    )


def _check_size(size: int | None) -> None:
    if size is None:
        return
    if size == 0:
        raise ValidationFailed("The file is empty.", {"file": ["The file is empty."]})
    limit = max_bytes()
    if size > limit:
        raise PayloadTooLarge(f"The file is larger than {limit} bytes.", {"max_bytes": limit})


# --- folders -------------------------------------------------------------------------


def list_folder(session, viewer: Viewer, community_id: str, folder_id: str | None) -> dict:
    access = community_access(session, viewer, community_id)
    folder = folder_in(session, access, folder_id)
    parent = folder.id if folder else ROOT
    folders = session.scalars(
        select(Folder)
        .where(Folder.community_id == community_id, Folder.parent_key == parent)
        .order_by(Folder.name_key)
    )
    documents = session.scalars(
        select(Document)
        .where(
            Document.community_id == community_id,
            Document.folder_key == parent,
            Document.deleted_at.is_(None),
        )
        .order_by(Document.name_key)
    )
    return {
        "community_id": community_id,
        "folder": folder_item(folder) if folder else None,
        "path": _path(session, folder),
        "folders": [folder_item(f) for f in folders],
        "documents": [document_item(d) for d in documents],
        "can_write": access.is_member and not access.community.archived,
        "can_manage": access.is_manager or (access.viewer.admin and access.is_member),
    }


def create_folder(
    session, viewer: Viewer, now: datetime, community_id: str, parent_id: str | None, name: str
) -> dict:
    access = community_access(session, viewer, community_id)
    access.require_write()
    parent = folder_in(session, access, parent_id)
    if len(_ancestors(session, parent)) >= MAX_DEPTH:
        raise ValidationFailed(
            "Folders are nested too deeply.", {"parent_id": [f"At most {MAX_DEPTH} levels of folders."]}
        )
    name = _safe_name(name)
    check_name_free(session, community_id, parent_id, name)
    folder = Folder(
        community_id=community_id,
        parent_id=parent_id,
        parent_key=parent_id or ROOT,
        name=name,
        name_key=name_key(name),
        created_at=now,
        created_by=viewer.id,
    )
    session.add(folder)
    flush_names(session)
    session.commit()
    return folder_item(folder)


def rename_folder(session, viewer: Viewer, folder_id: str, name: str) -> dict:
    folder, access = folder_access(session, viewer, folder_id)
    require_author_or_moderator(access, folder.created_by)
    name = _safe_name(name)
    check_name_free(session, folder.community_id, folder.parent_id, name, ignore_id=folder.id)
    folder.name, folder.name_key = name, name_key(name)
    flush_names(session)
    session.commit()
    return folder_item(folder)


def move_folder(session, viewer: Viewer, folder_id: str, parent_id: str | None) -> dict:
    folder, access = folder_access(session, viewer, folder_id)
    require_author_or_moderator(access, folder.created_by)
    parent = folder_in(session, access, parent_id)
    ancestors = _ancestors(session, parent)
    if folder.id in ancestors:
        raise ValidationFailed(
            "A folder cannot move into itself or one of its sub-folders.",
            {"parent_id": ["A folder cannot move into itself or one of its sub-folders."]},
        )
    if len(ancestors) + _height(session, folder) > MAX_DEPTH:
        raise ValidationFailed(
            "Folders are nested too deeply.", {"parent_id": [f"At most {MAX_DEPTH} levels of folders."]}
        )
    check_name_free(session, folder.community_id, parent_id, folder.name, ignore_id=folder.id)
    folder.parent_id, folder.parent_key = parent_id, parent_id or ROOT
    flush_names(session)
    session.commit()
    return folder_item(folder)


def _height(session, folder: Folder) -> int:
    """Levels of folders from ``folder`` down (1: no sub-folder)."""
    level, ids = 0, [folder.id]
    while ids and level <= MAX_DEPTH + 1:
        level += 1
        ids = list(session.scalars(select(Folder.id).where(Folder.parent_id.in_(ids))))
    return level


def delete_folder(session, viewer: Viewer, folder_id: str) -> dict:
    folder, access = folder_access(session, viewer, folder_id)
    require_author_or_moderator(access, folder.created_by)
    busy = session.scalar(select(func.count()).select_from(Folder).where(Folder.parent_id == folder.id))
    busy += session.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.folder_id == folder.id, Document.deleted_at.is_(None))
    )
    if busy:
        raise Conflict("Only an empty folder can be deleted.", {"folder_id": ["The folder is not empty."]})
    # documents of this folder still in the bin would be restored at the root
    for doc in session.scalars(select(Document).where(Document.folder_id == folder.id)):
        doc.folder_id, doc.folder_key = None, ROOT
    session.flush()
    session.delete(folder)
    session.commit()
    return {"folder_id": folder_id, "deleted": True}


# --- uploads -------------------------------------------------------------------------


def prepare_upload(
    session,
    viewer: Viewer,
    community_id: str,
    folder_id: str | None,
    name: str,
    size: int | None,
    document_id: str | None,
    check_name: bool = True,
) -> dict:
    """Everything that can be checked before the gateway reads the body (``check_name``
    False: the retry of a keyed upload that already happened, whose name is now taken
    by the document it created; ``create_document`` answers it from its key)."""
    if document_id is not None:
        doc, access = document_access(session, viewer, document_id)
        if doc.community_id != community_id:
            raise not_found("document")
        access.require_write()
    else:
        access = community_access(session, viewer, community_id)
        access.require_write()
        folder_in(session, access, folder_id)
    safe = _safe_name(name)
    if document_id is None and check_name:
        check_name_free(session, community_id, folder_id, safe)
    _check_size(size)
    return {"max_bytes": max_bytes(), "name": safe}


def _sniffed(store, staged: dict, filename: str):
    """The file type of the staged bytes (``ValidationFailed`` on "file" when wrong)."""
    _check_size(staged["size"])
    try:
        head = store.read_staged_head(staged["key"], 8192)
    except (NotFound, FileNotFoundError, KeyError):
        raise ValidationFailed(
            "The uploaded file was not found: upload it again.",
            {"file": ["The uploaded file was not found."]},
        ) from None
    return filetypes.sniff(head, filename, None)


def _store_bytes(session, store, staged: dict) -> None:
    """Promote the staged object to its content address; the sweep must not take it now.

    Deleting the ``orphan_blobs`` row first takes the same row (or database) lock the
    sweep takes before it deletes a blob, so a concurrent sweep either finishes
    before (the blob is gone and ``commit`` stores our copy) or sees no row.
    """
    session.execute(delete(OrphanBlob).where(OrphanBlob.sha256 == staged["sha256"]))
    # the staged object stays until the transaction committed (``_done_with``): a request
    # that dies in between is delivered again and finds its bytes where it left them
    store.commit(staged["key"], staged["sha256"], keep_staged=True)


def _done_with(store, staged: dict) -> None:
    """After the commit: the staged object is no longer needed (the sweep takes it if this
    fails)."""
    try:
        store.discard(staged["key"])
    except Exception:  # the sweep of stale staged uploads takes it later
        log.exception("could not discard staged upload %s", staged["key"])


def event_data(doc: Document, author_id: str) -> dict:
    return {
        "document_id": doc.id,
        "community_id": doc.community_id,
        "folder_id": doc.folder_id,
        "name": doc.name,
        "version": doc.version,
        "sha256": doc.sha256,
        "size": doc.size,
        "content_type": doc.content_type,
        "author_id": author_id,
    }


def create_document(
    session,
    store,
    viewer: Viewer,
    now: datetime,
    community_id: str,
    folder_id: str | None,
    name: str,
    staged: dict,
    comment: str,
) -> dict:
    access = community_access(session, viewer, community_id)
    access.require_write()
    folder_in(session, access, folder_id)
    name = _safe_name(name)
    check_name_free(session, community_id, folder_id, name)
    filetype = _sniffed(store, staged, name)
    doc = Document(
        community_id=community_id,
        folder_id=folder_id,
        folder_key=folder_id or ROOT,
        name=name,
        name_key=name_key(name),
        live_key=name_key(name),
        version=1,
        sha256=staged["sha256"],
        size=staged["size"],
        content_type=filetype.content_type,
        created_at=now,
        created_by=viewer.id,
        updated_at=now,
        updated_by=viewer.id,
    )
    session.add(doc)
    flush_names(session)
    session.add(_version(doc, 1, staged["sha256"], staged["size"], filetype, name, comment, viewer.id, now))
    session.flush()
    _store_bytes(session, store, staged)
    session.emit(ev.DOCUMENTS_DOCUMENT_CREATED, event_data(doc, viewer.id))
    item = document_item(doc)
    idempotency.record(session, doc.id, item)
    session.commit()
    _done_with(store, staged)
    return item


def _version(doc, number, sha256, size, filetype, filename, comment, author_id, now):
    return DocumentVersion(
        document_id=doc.id,
        number=number,
        sha256=sha256,
        size=size,
        content_type=filetype.content_type,
        inline=bool(filetype.inline),
        filename=filename,
        comment=comment,
        author_id=author_id,
        created_at=now,
    )


def _new_version(session, doc: Document, version: DocumentVersion, now: datetime, viewer: Viewer) -> None:
    session.add(version)
    doc.version = version.number
    doc.sha256, doc.size, doc.content_type = version.sha256, version.size, version.content_type
    doc.updated_at, doc.updated_by = now, viewer.id
    session.flush()
    # its text is read next (``extraction``), not the older versions' still waiting
    extraction.skip_older(session, doc.id, version.number)


def add_version(
    session,
    store,
    viewer: Viewer,
    now: datetime,
    document_id: str,
    staged: dict,
    comment: str,
    name: str | None,
) -> dict:
    doc, access = document_access(session, viewer, document_id)
    access.require_write()
    filename = _safe_name(name) if name is not None else doc.name
    filetype = _sniffed(store, staged, filename)
    _new_version(
        session,
        doc,
        _version(
            doc,
            doc.version + 1,
            staged["sha256"],
            staged["size"],
            filetype,
            filename,
            comment,
            viewer.id,
            now,
        ),
        now,
        viewer,
    )
    _store_bytes(session, store, staged)
    session.emit(ev.DOCUMENTS_DOCUMENT_VERSION_ADDED, event_data(doc, viewer.id))
    session.commit()
    _done_with(store, staged)
    return document_item(doc)


def restore_version(
    session, viewer: Viewer, now: datetime, document_id: str, number: int, comment: str
) -> dict:
    """A new version with the bytes of version ``number`` (history is never rewritten)."""
    doc, access = document_access(session, viewer, document_id)
    access.require_write()
    old = session.get(DocumentVersion, (doc.id, number))
    if old is None:
        raise not_found("version")
    if number == doc.version:
        raise Conflict(
            "This is already the latest version.", {"number": ["This is already the latest version."]}
        )
    version = DocumentVersion(
        document_id=doc.id,
        number=doc.version + 1,
        sha256=old.sha256,
        size=old.size,
        content_type=old.content_type,
        inline=old.inline,
        filename=old.filename,
        comment=comment or f"Restored version {number}",
        author_id=viewer.id,
        created_at=now,
    )
    _new_version(session, doc, version, now, viewer)
    session.emit(ev.DOCUMENTS_DOCUMENT_VERSION_ADDED, event_data(doc, viewer.id))
    session.commit()
    return document_item(doc)


# --- reading -------------------------------------------------------------------------


def get_document(session, viewer: Viewer, document_id: str) -> dict:
    doc, access = document_access(session, viewer, document_id)
    versions = session.scalars(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == doc.id)
        .order_by(DocumentVersion.number.desc())
    )
    item = document_item(doc)
    folder = session.get(Folder, doc.folder_id) if doc.folder_id else None
    item["path"] = _path(session, folder)
    item["versions"] = [version_item(v) for v in versions]
    item["can_write"] = access.is_member and not access.community.archived
    item["can_edit"] = item["can_write"] and (doc.created_by == viewer.id or access.can_moderate)
    return item


def download_info(session, viewer: Viewer, document_id: str, number: int | None) -> dict:
    doc, _ = document_access(session, viewer, document_id)
    version = session.get(DocumentVersion, (doc.id, number if number is not None else doc.version))
    if version is None:
        raise not_found("version")
    return {
        "document_id": doc.id,
        "sha256": version.sha256,
        "size": version.size,
        "filename": version.filename,
        "content_type": version.content_type,
        "inline": version.inline,
        "number": version.number,
    }


def describe(session, viewer: Viewer, community_id: str, document_ids: list[str]) -> list:
    community_access(session, viewer, community_id)
    wanted = list(dict.fromkeys(document_ids))
    docs = {
        d.id: d
        for d in session.scalars(
            select(Document).where(
                Document.id.in_(wanted), Document.community_id == community_id, Document.deleted_at.is_(None)
            )
        )
    }
    if len(docs) != len(wanted):
        raise not_found("document")
    return [document_item(docs[i]) for i in wanted]


# --- rename, move, bin -----------------------------------------------------------------


def _head(store, sha256: str, n: int = 8192) -> bytes:
    size = store.size(sha256)
    return b"".join(store.open_range(sha256, 0, min(n, size) - 1)) if size else b""


def rename_document(session, store, viewer: Viewer, now: datetime, document_id: str, name: str) -> dict:
    """A new name; a new extension must still match the latest version's bytes."""
    doc, access = document_access(session, viewer, document_id)
    require_author_or_moderator(access, doc.created_by)
    name = _safe_name(name)
    check_name_free(session, doc.community_id, doc.folder_id, name, ignore_id=doc.id)
    if filetypes.extension(name) != filetypes.extension(doc.name):
        filetypes.sniff(_head(store, doc.sha256), name, None)
    doc.name, doc.name_key, doc.live_key = name, name_key(name), name_key(name)
    flush_names(session)
    session.commit()
    return document_item(doc)


def move_document(session, viewer: Viewer, now: datetime, document_id: str, folder_id: str | None) -> dict:
    doc, access = document_access(session, viewer, document_id)
    require_author_or_moderator(access, doc.created_by)
    folder_in(session, access, folder_id)
    check_name_free(session, doc.community_id, folder_id, doc.name, ignore_id=doc.id)
    doc.folder_id, doc.folder_key = folder_id, folder_id or ROOT
    flush_names(session)
    session.commit()
    return document_item(doc)


def delete_document(session, viewer: Viewer, now: datetime, document_id: str) -> dict:
    doc, access = document_access(session, viewer, document_id)
    require_author_or_moderator(access, doc.created_by)
    doc.deleted_at, doc.deleted_by, doc.live_key = now, viewer.id, None
    session.flush()
    session.emit(ev.DOCUMENTS_DOCUMENT_DELETED, event_data(doc, viewer.id))
    session.commit()
    return {"document_id": doc.id, "deleted": True, "purge_at": now + timedelta(days=BIN_DAYS)}


def list_bin(session, viewer: Viewer, now: datetime, community_id: str) -> dict:
    access = community_access(session, viewer, community_id)
    access.require_manager_or_admin_member()
    docs = session.scalars(
        select(Document)
        .where(
            Document.community_id == community_id,
            Document.deleted_at.is_not(None),
            Document.deleted_at > bin_limit(now),
        )
        .order_by(Document.deleted_at.desc())
    )
    return {"community_id": community_id, "items": [document_item(d) for d in docs]}


def restore_document(session, viewer: Viewer, now: datetime, document_id: str) -> dict:
    doc, access = document_access(session, viewer, document_id, deleted=True)
    if doc.deleted_at <= bin_limit(now):
        raise not_found("document")
    access.require_manager_or_admin_member()
    if access.community.archived:
        access.require_write()
    check_name_free(session, doc.community_id, doc.folder_id, doc.name, ignore_id=doc.id)
    doc.deleted_at, doc.deleted_by, doc.live_key = None, None, doc.name_key
    flush_names(session)
    session.commit()
    return document_item(doc)
