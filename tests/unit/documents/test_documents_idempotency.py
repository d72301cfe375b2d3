"""Idempotency keys on uploads: a retried upload answers the first document, stores once."""

from __future__ import annotations

import pytest

from parvis_contracts.errors import Conflict, ValidationFailed

from .conftest import PDF, PNG
from .helpers import outbox_types, snapshot


def keyed_upload(world, caller, key, name="report.pdf", data=PDF, cid="A"):
    """What the gateway does: prepare (with the key), stage the body, create (with the key)."""
    svc = world.svc(caller)
    prepared = svc.prepare_upload(
        community_id=cid, folder_id=None, name=name, size=len(data), idempotency_key=key
    )
    return world.svc(caller).create_document(
        community_id=cid,
        folder_id=None,
        name=prepared["name"],
        staged=world.stage(data),
        comment="",
        idempotency_key=key,
    )


def test_a_retried_upload_answers_the_same_document_and_stores_it_once(world, store):
    first = keyed_upload(world, world.member, "u-1")
    after_first = snapshot(world.engine, store)
    # the retry: the name is now taken by the first upload, yet prepare lets it through
    again = keyed_upload(world, world.member, "u-1")
    assert again == first
    assert snapshot(world.engine, store) == after_first  # no row, no blob, nothing staged
    assert outbox_types(world.engine).count("documents.document_created") == 1
    listing = world.svc(world.member).list_folder(community_id="A")
    assert [d["id"] for d in listing["documents"]] == [first["id"]]


def test_without_the_key_the_same_name_is_still_a_conflict(world):
    keyed_upload(world, world.member, "u-1")
    with pytest.raises(Conflict):
        world.svc(world.member).prepare_upload(
            community_id="A", folder_id=None, name="report.pdf", size=len(PDF)
        )
    with pytest.raises(Conflict):
        world.svc(world.member).prepare_upload(
            community_id="A", folder_id=None, name="report.pdf", size=len(PDF), idempotency_key="another-key"
        )
    # another person's key does not open the name either
    with pytest.raises(Conflict):
        world.svc(world.other_member).prepare_upload(
            community_id="A", folder_id=None, name="report.pdf", size=len(PDF), idempotency_key="u-1"
        )


def test_the_same_key_with_other_bytes_is_refused_and_its_staging_discarded(world, store):
    keyed_upload(world, world.member, "u-1")
    before = snapshot(world.engine, store)
    with pytest.raises(ValidationFailed) as exc:
        keyed_upload(world, world.member, "u-1", data=PNG, name="report.pdf")
    assert "idempotency_key" in exc.value.details
    assert snapshot(world.engine, store) == before


def test_a_bad_key_is_refused_and_nothing_is_kept(world, store):
    before = snapshot(world.engine, store)
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.member).create_document(
            community_id="A", folder_id=None, name="a.pdf", staged=world.stage(PDF), idempotency_key="x" * 129
        )
    assert "idempotency_key" in exc.value.details
    assert snapshot(world.engine, store) == before
    with pytest.raises(ValidationFailed):
        world.svc(world.member).prepare_upload(
            community_id="A", folder_id=None, name="a.pdf", idempotency_key=""
        )


def test_an_upload_that_died_after_storing_its_bytes_runs_again_when_redelivered(world, store, monkeypatch):
    """kill -9 between the blob commit and the transaction's commit: the request is
    delivered again (nameko acknowledges after the worker returns) and must find its staged
    bytes, not answer "upload it again"."""

    class Died(Exception):
        pass

    staged = world.stage(PDF)
    real_commit = type(store).commit

    def commit_then_die(self, key, sha256, keep_staged=False):
        real_commit(self, key, sha256, keep_staged=keep_staged)
        raise Died("the process died here")

    monkeypatch.setattr(type(store), "commit", commit_then_die)
    monkeypatch.setattr(type(store), "discard", lambda self, key: None)  # nobody cleans up
    with pytest.raises(Died):
        world.svc(world.member).create_document(
            community_id="A",
            folder_id=None,
            name="report.pdf",
            staged=staged,
            comment="",
            idempotency_key="u-9",
        )
    monkeypatch.undo()
    redelivered = world.svc(world.member).create_document(
        community_id="A", folder_id=None, name="report.pdf", staged=staged, comment="", idempotency_key="u-9"
    )
    assert redelivered["name"] == "report.pdf" and redelivered["version"] == 1
    assert store.staged == {} and list(store.blobs) == [staged["sha256"]]
    listing = world.svc(world.member).list_folder(community_id="A")
    assert [d["id"] for d in listing["documents"]] == [redelivered["id"]]
