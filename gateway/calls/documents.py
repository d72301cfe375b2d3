"""Documents, as the gateway asks it: folders, documents and their versions, the bin,
uploads and downloads (references only: the bytes never cross the bus), wiki pages
(one function per operation, see :mod:`gateway.calls`).

Listings that the service answers as a list or as ``{"items": [...]}`` come back as a
dict with ``items`` either way.
"""

from __future__ import annotations

from . import as_items, keyed, operations

operation = operations("documents")


# --- folders ----------------------------------------------------------------------------


@operation
def list_folder(community_id: str, folder_id: str | None = None) -> dict:
    """A folder (the root without ``folder_id``): its path, sub-folders and documents."""
    return {"community_id": community_id, "folder_id": folder_id}


@operation
def create_folder(community_id: str, parent_id: str | None, name: str) -> dict:
    return {"community_id": community_id, "parent_id": parent_id, "name": name}


@operation
def rename_folder(folder_id: str, name: str) -> dict:
    return {"folder_id": folder_id, "name": name}


@operation
def move_folder(folder_id: str, parent_id: str | None) -> dict:
    return {"folder_id": folder_id, "parent_id": parent_id}


@operation
def delete_folder(folder_id: str) -> dict:
    return {"folder_id": folder_id}


# --- documents --------------------------------------------------------------------------


@operation
def prepare_upload(size: int | None, **upload) -> dict:
    """Access, folder, name and the declared size checked before a byte is read."""
    return {"size": size, **upload}


@operation
def create_document(
    community_id: str,
    folder_id: str | None,
    name: str,
    staged: dict,
    comment: str = "",
    idempotency_key: str | None = None,
) -> dict:
    return {
        "community_id": community_id,
        "folder_id": folder_id,
        "name": name,
        "staged": staged,
        "comment": comment,
        **keyed(idempotency_key),
    }


@operation
def add_version(document_id: str, staged: dict, comment: str = "", name: str | None = None) -> dict:
    return {"document_id": document_id, "staged": staged, "comment": comment, "name": name}


@operation
def get_document(document_id: str) -> dict:
    return {"document_id": document_id}


@operation
def download_info(document_id: str, number: int | None = None) -> dict:
    """Where the bytes of a version are (access checked every time)."""
    return {"document_id": document_id, "number": number}


@operation
def restore_version(document_id: str, number: int, comment: str = "") -> dict:
    return {"document_id": document_id, "number": number, "comment": comment}


@operation
def rename_document(document_id: str, name: str) -> dict:
    return {"document_id": document_id, "name": name}


@operation
def move_document(document_id: str, folder_id: str | None) -> dict:
    return {"document_id": document_id, "folder_id": folder_id}


@operation
def delete_document(document_id: str) -> dict:
    return {"document_id": document_id}


@operation(shape=as_items)
def list_bin(community_id: str) -> dict:
    return {"community_id": community_id}


@operation
def restore_document(document_id: str) -> dict:
    return {"document_id": document_id}


# --- wiki pages -------------------------------------------------------------------------


@operation(shape=as_items)
def list_pages(community_id: str) -> dict:
    return {"community_id": community_id}


@operation
def create_page(community_id: str, title: str, body: str) -> dict:
    return {"community_id": community_id, "title": title, "body": body}


@operation
def get_page(page_id: str, revision: int | None = None) -> dict:
    return {"page_id": page_id, "revision": revision}


@operation
def update_page(page_id: str, title: str, body: str, base_revision: int, comment: str = "") -> dict:
    return {
        "page_id": page_id,
        "title": title,
        "body": body,
        "base_revision": base_revision,
        "comment": comment,
    }


@operation(shape=as_items)
def page_history(page_id: str) -> dict:
    return {"page_id": page_id}


@operation
def diff_page(page_id: str, from_revision: int, to_revision: int) -> dict:
    return {"page_id": page_id, "from_revision": from_revision, "to_revision": to_revision}


@operation
def delete_page(page_id: str) -> dict:
    return {"page_id": page_id}
