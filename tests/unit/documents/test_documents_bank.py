"""The document bank: folders, uploads, versions, rename/move, bin, downloads, events."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from parvis_contracts.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationFailed

from .conftest import PDF, PNG, TEXT
from .helpers import outbox_payloads, outbox_types, snapshot


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- folders ---------------------------------------------------------------------------


def test_folders_nest_list_rename_move_and_delete_when_empty(world):
    svc = world.svc(world.member)
    plans = svc.create_folder(community_id="A", parent_id=None, name="Plans")
    v2 = svc.create_folder(community_id="A", parent_id=plans["id"], name="V2")
    world.upload(world.member, "spec.pdf", folder_id=v2["id"])

    root = world.svc(world.guest).list_folder(community_id="A")
    assert [f["name"] for f in root["folders"]] == ["Plans"]
    assert root["folder"] is None and root["path"] == [] and root["documents"] == []
    assert root["can_write"] is True and root["can_manage"] is False
    inner = world.svc(world.guest).list_folder(community_id="A", folder_id=v2["id"])
    assert [p["name"] for p in inner["path"]] == ["Plans", "V2"]
    assert [d["name"] for d in inner["documents"]] == ["spec.pdf"]
    assert world.svc(world.manager).list_folder(community_id="A")["can_manage"] is True

    renamed = svc.rename_folder(folder_id=v2["id"], name="Version 2")
    assert renamed["name"] == "Version 2"
    moved = svc.move_folder(folder_id=v2["id"], parent_id=None)
    assert moved["parent_id"] is None
    assert sorted(f["name"] for f in svc.list_folder(community_id="A")["folders"]) == ["Plans", "Version 2"]

    with pytest.raises(Conflict):
        svc.delete_folder(folder_id=v2["id"])  # holds spec.pdf
    assert svc.delete_folder(folder_id=plans["id"]) == {"folder_id": plans["id"], "deleted": True}
    with pytest.raises(NotFound):
        svc.list_folder(community_id="A", folder_id=plans["id"])


def test_a_folder_cannot_move_into_itself_or_a_descendant(world):
    svc = world.svc(world.member)
    top = svc.create_folder(community_id="A", parent_id=None, name="Top")
    child = svc.create_folder(community_id="A", parent_id=top["id"], name="Child")
    for target in (top["id"], child["id"]):
        with pytest.raises(ValidationFailed) as exc:
            svc.move_folder(folder_id=top["id"], parent_id=target)
        assert "parent_id" in exc.value.details
    assert svc.list_folder(community_id="A", folder_id=child["id"])["path"][0]["id"] == top["id"]


def test_folders_of_another_community_are_unknown(world):
    world.join("B", world.member)
    b_folder = world.svc(world.member).create_folder(community_id="B", parent_id=None, name="B stuff")
    before = snapshot(world.engine, world.store)
    with pytest.raises(NotFound):
        world.svc(world.member).create_folder(community_id="A", parent_id=b_folder["id"], name="x")
    with pytest.raises(NotFound):
        world.upload(world.member, folder_id=b_folder["id"])
    assert snapshot(world.engine, world.store) == before


def test_name_clashes_in_a_folder_are_conflicts_case_insensitively(world):
    svc = world.svc(world.member)
    svc.create_folder(community_id="A", parent_id=None, name="Plans")
    doc = world.upload(world.member, "Report.pdf")
    before = snapshot(world.engine, world.store)
    for call in (
        lambda: svc.create_folder(community_id="A", parent_id=None, name="plans"),
        lambda: svc.create_folder(community_id="A", parent_id=None, name="REPORT.PDF"),
        lambda: world.upload(world.member, "report.pdf"),
        lambda: world.upload(world.member, "PLANS"),
        lambda: svc.prepare_upload(community_id="A", folder_id=None, name="report.PDF"),
    ):
        with pytest.raises(Conflict) as exc:
            call()
        assert "name" in exc.value.details
    assert snapshot(world.engine, world.store) == before  # staged uploads discarded
    # the same name is fine in another folder, and in another community
    other = svc.create_folder(community_id="A", parent_id=None, name="Other")
    assert world.upload(world.member, "report.pdf", folder_id=other["id"])["version"] == 1
    second = world.upload(world.member, "second.pdf")
    with pytest.raises(Conflict):
        svc.rename_document(document_id=second["id"], name="report.PDF")
    with pytest.raises(Conflict):
        svc.move_document(document_id=doc["id"], folder_id=other["id"])


# --- uploads and versions -----------------------------------------------------------------


def test_upload_stores_the_bytes_once_and_emits_an_event(world):
    doc = world.upload(world.member, "report.pdf", comment="first draft")
    assert doc["name"] == "report.pdf" and doc["version"] == 1
    assert doc["sha256"] == sha(PDF) and doc["size"] == len(PDF)
    assert doc["content_type"] == "application/pdf"
    assert doc["created_by"] == doc["updated_by"] == world.member.user_id
    assert world.read(sha(PDF)) == PDF and world.store.staged == {}

    copy = world.upload(world.other_member, "copy.pdf")  # the same bytes
    assert copy["sha256"] == doc["sha256"]
    assert list(world.store.blobs) == [sha(PDF)]

    assert outbox_types(world.engine) == ["documents.document_created"] * 2
    payload = outbox_payloads(world.engine, "document_created")[0]
    assert payload["document_id"] == doc["id"] and payload["sha256"] == sha(PDF)
    assert payload["author_id"] == world.member.user_id


def test_new_versions_keep_every_old_version_listed_and_downloadable(world):
    doc = world.upload(world.member, "notes.txt", data=TEXT)
    v2_bytes = TEXT + b"ligne 3\n"
    updated = world.new_version(world.other_member, doc["id"], v2_bytes, comment="added l3")
    assert updated["version"] == 2 and updated["sha256"] == sha(v2_bytes)
    assert updated["updated_by"] == world.other_member.user_id

    full = world.svc(world.guest).get_document(document_id=doc["id"])
    assert [v["number"] for v in full["versions"]] == [2, 1]
    assert [v["comment"] for v in full["versions"]] == ["added l3", ""]
    assert [v["author_id"] for v in full["versions"]] == [world.other_member.user_id, world.member.user_id]
    assert all(v["created_at"] for v in full["versions"])

    latest = world.svc(world.guest).download_info(document_id=doc["id"])
    first = world.svc(world.guest).download_info(document_id=doc["id"], number=1)
    assert latest["number"] == 2 and latest["sha256"] == sha(v2_bytes)
    assert first["number"] == 1 and world.read(first["sha256"]) == TEXT
    assert first["filename"] == "notes.txt" and first["inline"] is False
    assert first["content_type"].startswith("text/plain")
    with pytest.raises(NotFound):
        world.svc(world.guest).download_info(document_id=doc["id"], number=3)

    restored = world.svc(world.member).restore_version(document_id=doc["id"], number=1)
    assert restored["version"] == 3 and restored["sha256"] == sha(TEXT)
    versions = world.svc(world.member).get_document(document_id=doc["id"])["versions"]
    assert versions[0]["comment"] == "Restored version 1" and len(versions) == 3
    assert (
        outbox_types(world.engine)
        == ["documents.document_created"] + ["documents.document_version_added"] * 2
    )


def test_a_version_may_carry_its_own_file_name(world):
    doc = world.upload(world.member, "logo.pdf")
    updated = world.new_version(world.member, doc["id"], PNG, name="logo.png")
    assert updated["content_type"] == "image/png" and updated["name"] == "logo.pdf"
    info = world.svc(world.member).download_info(document_id=doc["id"])
    assert info["filename"] == "logo.png" and info["inline"] is True


def test_prepare_upload_checks_everything_before_the_body_is_read(world, monkeypatch):
    monkeypatch.setenv("PARVIS_DOCUMENTS_MAX_BYTES", "1000")
    svc = world.svc(world.member)
    assert svc.prepare_upload(community_id="A", folder_id=None, name="a.pdf", size=10) == {
        "max_bytes": 1000,
        "name": "a.pdf",
    }
    with pytest.raises(PayloadTooLarge) as exc:
        svc.prepare_upload(community_id="A", folder_id=None, name="a.pdf", size=1001)
    assert exc.value.details == {"max_bytes": 1000}
    with pytest.raises(ValidationFailed) as exc:
        svc.prepare_upload(community_id="A", folder_id=None, name="a.pdf", size=0)
    assert "file" in exc.value.details
    with pytest.raises(Forbidden):
        world.svc(world.employee).prepare_upload(community_id="C", folder_id=None, name="a.pdf")
    with pytest.raises(NotFound):
        world.svc(world.employee).prepare_upload(community_id="A", folder_id=None, name="a.pdf")
    doc = world.upload(world.member, "a.pdf")
    # a new version of a document: no clash with its own name
    assert (
        svc.prepare_upload(community_id="A", folder_id=None, name="a.pdf", document_id=doc["id"])["name"]
        == "a.pdf"
    )
    with pytest.raises(NotFound):
        svc.prepare_upload(community_id="B", folder_id=None, name="a.pdf", document_id=doc["id"])


# --- bad input: a clear 4xx and nothing half-stored -------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../etc/passwd", "a/b.pdf", "a\\b.pdf", "..", "", "nul\x00.pdf", "x" * 250 + ".pdf"],
    ids=["dotdot", "slash", "backslash", "dots", "empty", "nul", "long"],
)
def test_bad_names_are_refused_and_nothing_is_kept(world, name):
    before = snapshot(world.engine, world.store)
    with pytest.raises(ValidationFailed) as exc:
        world.upload(world.member, name)
    assert "name" in exc.value.details
    with pytest.raises(ValidationFailed):
        world.svc(world.member).create_folder(community_id="A", parent_id=None, name=name)
    assert snapshot(world.engine, world.store) == before


@pytest.mark.parametrize(
    "name,data",
    [("empty.pdf", b""), ("fake.pdf", PNG), ("photo.png", PDF), ("script.txt", b"\x00\x01binary")],
    ids=["empty", "png-as-pdf", "pdf-as-png", "binary-as-text"],
)
def test_wrong_content_is_refused_and_nothing_is_kept(world, name, data):
    before = snapshot(world.engine, world.store)
    with pytest.raises(ValidationFailed) as exc:
        world.upload(world.member, name, data=data)
    assert "file" in exc.value.details
    assert snapshot(world.engine, world.store) == before
    assert world.store.staged == {} and world.store.blobs == {}


def test_an_oversized_file_is_refused_and_nothing_is_kept(world, monkeypatch):
    monkeypatch.setenv("PARVIS_DOCUMENTS_MAX_BYTES", str(len(PDF) - 1))
    before = snapshot(world.engine, world.store)
    with pytest.raises(PayloadTooLarge):
        world.upload(world.member, "big.pdf")
    assert snapshot(world.engine, world.store) == before


def test_a_version_of_a_deleted_document_is_refused(world):
    doc = world.upload(world.member, "a.pdf")
    world.svc(world.member).delete_document(document_id=doc["id"])
    before = snapshot(world.engine, world.store)
    with pytest.raises(NotFound):
        world.new_version(world.member, doc["id"], PDF + b"%v2\n")
    with pytest.raises(NotFound):
        world.svc(world.member).restore_version(document_id=doc["id"], number=1)
    assert snapshot(world.engine, world.store) == before


def test_uploads_to_an_archived_community_are_forbidden(world):
    doc = world.upload(world.member, "a.pdf")
    world.community("A", archived=True)
    before = snapshot(world.engine, world.store)
    svc = world.svc(world.manager)
    with pytest.raises(Forbidden):
        world.upload(world.manager, "b.pdf")
    with pytest.raises(Forbidden):
        world.new_version(world.manager, doc["id"], PDF + b"%v2\n")
    with pytest.raises(Forbidden):
        svc.prepare_upload(community_id="A", folder_id=None, name="b.pdf")
    for call in (
        lambda: svc.create_folder(community_id="A", parent_id=None, name="F"),
        lambda: svc.rename_document(document_id=doc["id"], name="b.pdf"),
        lambda: svc.delete_document(document_id=doc["id"]),
        lambda: svc.restore_version(document_id=doc["id"], number=1),
    ):
        with pytest.raises(Forbidden):
            call()
    assert snapshot(world.engine, world.store) == before
    # reading stays
    assert world.svc(world.guest).download_info(document_id=doc["id"])["number"] == 1


def test_a_staged_key_that_does_not_exist(world):
    before = snapshot(world.engine, world.store)
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.member).create_document(
            community_id="A",
            folder_id=None,
            name="a.pdf",
            staged={"key": uuid.uuid4().hex, "sha256": sha(PDF), "size": len(PDF)},
        )
    assert "file" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.member).create_document(
            community_id="A",
            folder_id=None,
            name="a.pdf",
            staged={"key": "../../x", "sha256": "zz", "size": -1},
        )
    assert {"key", "sha256", "size"} <= set(exc.value.details["staged"])
    assert snapshot(world.engine, world.store) == before


def test_a_refused_upload_by_an_outsider_is_discarded_too(world):
    staged = world.stage(PDF)
    with pytest.raises(NotFound):
        world.svc(world.employee).create_document(
            community_id="A", folder_id=None, name="a.pdf", staged=staged
        )
    assert world.store.staged == {} and world.store.blobs == {}


# --- rename, move, bin ----------------------------------------------------------------------


def test_rename_move_and_delete_need_the_author_or_a_moderator(world):
    doc = world.upload(world.member, "a.pdf")
    folder = world.svc(world.member).create_folder(community_id="A", parent_id=None, name="F")
    for caller in (world.other_member, world.guest):
        svc = world.svc(caller)
        for method, kwargs in (
            ("rename_document", {"document_id": doc["id"], "name": "b.pdf"}),
            ("move_document", {"document_id": doc["id"], "folder_id": folder["id"]}),
            ("delete_document", {"document_id": doc["id"]}),
            ("rename_folder", {"folder_id": folder["id"], "name": "G"}),
            ("delete_folder", {"folder_id": folder["id"]}),
        ):
            with pytest.raises(Forbidden):
                getattr(svc, method)(**kwargs)
    assert world.svc(world.member).rename_document(document_id=doc["id"], name="b.pdf")["name"] == "b.pdf"
    moved = world.svc(world.manager).move_document(document_id=doc["id"], folder_id=folder["id"])
    assert moved["folder_id"] == folder["id"]
    assert world.svc(world.manager).rename_folder(folder_id=folder["id"], name="G")["name"] == "G"


def test_the_bin_keeps_documents_for_managers_to_restore(world):
    doc = world.upload(world.member, "a.pdf")
    old_version = world.svc(world.member).download_info(document_id=doc["id"])
    deleted = world.svc(world.member).delete_document(document_id=doc["id"])
    assert deleted["deleted"] is True
    assert "documents.document_deleted" in outbox_types(world.engine)
    # gone for everyone: reads, downloads (old versions too), listings
    for caller in (world.member, world.manager, world.guest):
        with pytest.raises(NotFound):
            world.svc(caller).get_document(document_id=doc["id"])
        with pytest.raises(NotFound):
            world.svc(caller).download_info(document_id=doc["id"], number=1)
    assert world.svc(world.manager).list_folder(community_id="A")["documents"] == []
    # the bin: managers only
    for caller in (world.member, world.guest):
        with pytest.raises(Forbidden):
            world.svc(caller).list_bin(community_id="A")
        with pytest.raises(Forbidden):
            world.svc(caller).restore_document(document_id=doc["id"])
    with pytest.raises(NotFound):
        world.svc(world.employee).list_bin(community_id="A")
    binned = world.svc(world.manager).list_bin(community_id="A")["items"]
    assert [d["id"] for d in binned] == [doc["id"]]
    assert binned[0]["deleted_by"] == world.member.user_id and binned[0]["purge_at"]
    # a new document may take the name meanwhile; restoring then is a conflict
    other = world.upload(world.member, "a.pdf", data=PDF + b"%other\n")
    with pytest.raises(Conflict):
        world.svc(world.manager).restore_document(document_id=doc["id"])
    world.svc(world.member).rename_document(document_id=other["id"], name="other.pdf")
    restored = world.svc(world.manager).restore_document(document_id=doc["id"])
    assert restored["deleted_at"] is None
    assert world.svc(world.guest).download_info(document_id=doc["id"]) == old_version
    with pytest.raises(NotFound):  # not in the bin any more
        world.svc(world.manager).restore_document(document_id=doc["id"])


def test_the_bin_answers_not_found_after_thirty_days(world):
    doc = world.upload(world.member, "a.pdf")
    world.svc(world.member).delete_document(document_id=doc["id"])
    world.clock.advance(days=30, minutes=1)
    assert world.svc(world.manager).list_bin(community_id="A")["items"] == []
    with pytest.raises(NotFound):
        world.svc(world.manager).restore_document(document_id=doc["id"])


def test_a_binned_document_of_a_deleted_folder_is_restored_at_the_root(world):
    folder = world.svc(world.member).create_folder(community_id="A", parent_id=None, name="F")
    doc = world.upload(world.member, "a.pdf", folder_id=folder["id"])
    world.svc(world.member).delete_document(document_id=doc["id"])
    world.svc(world.member).delete_folder(folder_id=folder["id"])
    restored = world.svc(world.manager).restore_document(document_id=doc["id"])
    assert restored["folder_id"] is None
    assert [d["id"] for d in world.svc(world.member).list_folder(community_id="A")["documents"]] == [
        doc["id"]
    ]


def test_describe_documents_for_posts(world):
    a = world.upload(world.member, "a.pdf")
    b = world.upload(world.member, "b.txt", data=TEXT)
    described = world.svc(world.guest).describe_documents(community_id="A", document_ids=[b["id"], a["id"]])
    assert [d["name"] for d in described] == ["b.txt", "a.pdf"]
    with pytest.raises(NotFound):
        world.svc(world.guest).describe_documents(community_id="A", document_ids=[a["id"], "nope"])
    world.join("B", world.member)
    in_b = world.upload(world.member, "c.pdf", cid="B")
    with pytest.raises(NotFound):  # a document of another community
        world.svc(world.member).describe_documents(community_id="A", document_ids=[in_b["id"]])
    with pytest.raises(NotFound):
        world.svc(world.employee).describe_documents(community_id="A", document_ids=[a["id"]])


def test_a_rename_cannot_give_the_bytes_another_type(world):
    doc = world.upload(world.member, "scan.pdf")
    before = snapshot(world.engine, world.store)
    for name in ("scan.png", "scan.docx"):
        with pytest.raises(ValidationFailed) as exc:
            world.svc(world.member).rename_document(document_id=doc["id"], name=name)
        assert "file" in exc.value.details
    assert snapshot(world.engine, world.store) == before
    assert (
        world.svc(world.member).rename_document(document_id=doc["id"], name="Scan 2026.PDF")["name"]
        == "Scan 2026.PDF"
    )


def test_the_database_backs_the_name_check_when_two_uploads_race(world, monkeypatch):
    from services.documents import bank

    world.upload(world.member, "a.pdf")
    world.svc(world.member).create_folder(community_id="A", parent_id=None, name="F")
    before = snapshot(world.engine, world.store)
    monkeypatch.setattr(bank, "check_name_free", lambda *args, **kwargs: None)
    with pytest.raises(Conflict) as exc:  # the twin passed the check too
        world.upload(world.other_member, "A.pdf", data=PDF + b"%twin\n")
    assert "name" in exc.value.details
    with pytest.raises(Conflict):
        world.svc(world.member).create_folder(community_id="A", parent_id=None, name="f")
    assert snapshot(world.engine, world.store) == before
