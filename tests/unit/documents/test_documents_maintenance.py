"""The maintenance timer: bin purge after 30 days, staged and orphan blob sweeps.

The service clock is a ``FakeClock``; blob and staged-object times are set in
the in-memory store relative to it, so nothing waits.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from sqlalchemy import func, select

from services.documents import maintenance
from services.documents.models import Document, DocumentVersion, OrphanBlob

from .conftest import PDF, TEXT


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def count(world, model) -> int:
    with world.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar()


def age_blobs(world, hours=2):
    """Make every stored blob ``hours`` older than the service clock's now."""
    old = (world.clock.now - timedelta(hours=hours)).timestamp()
    for digest in world.store.mtimes:
        world.store.mtimes[digest] = old


def maintain(world):
    return world.svc().maintain()


def test_the_bin_is_purged_after_thirty_days_then_the_bytes_go(world):
    doc = world.upload(world.member, "a.pdf")
    kept = world.upload(world.member, "b.txt", data=TEXT)
    world.svc(world.member).delete_document(document_id=doc["id"])
    world.clock.advance(days=29)
    assert maintain(world)["purged"] == 0
    assert [d["id"] for d in world.svc(world.manager).list_bin(community_id="A")["items"]] == [doc["id"]]

    world.clock.advance(days=1, minutes=1)
    age_blobs(world)
    done = maintain(world)
    assert done["purged"] == 1 and done["orphans_recorded"] == 1
    assert count(world, Document) == 1 and count(world, DocumentVersion) == 1
    assert world.store.exists(sha(PDF))  # recorded, not deleted yet

    world.clock.advance(minutes=30)
    assert maintain(world)["blobs_deleted"] == 0
    world.clock.advance(minutes=31)
    assert maintain(world)["blobs_deleted"] == 1
    assert not world.store.exists(sha(PDF)) and world.store.exists(sha(TEXT))
    assert count(world, OrphanBlob) == 0
    assert world.svc(world.guest).download_info(document_id=kept["id"])["number"] == 1
    # nothing more to do: a repeated pass changes nothing
    assert not any(maintain(world).values())


def test_bytes_shared_with_a_live_document_are_kept(world):
    doc = world.upload(world.member, "a.pdf")
    world.upload(world.member, "same-bytes.pdf")
    world.svc(world.member).delete_document(document_id=doc["id"])
    world.clock.advance(days=31)
    age_blobs(world)
    assert maintain(world)["purged"] == 1
    world.clock.advance(hours=2)
    assert maintain(world)["blobs_deleted"] == 0
    assert world.store.exists(sha(PDF)) and count(world, OrphanBlob) == 0


def test_an_upload_of_orphan_bytes_saves_them_from_the_sweep(world):
    world.store.put_bytes(PDF)  # left behind by a failed transaction
    age_blobs(world)
    assert maintain(world)["orphans_recorded"] == 1
    doc = world.upload(world.member, "a.pdf")  # the same bytes, committed again
    assert count(world, OrphanBlob) == 0
    world.clock.advance(hours=2)
    age_blobs(world, hours=3)
    assert maintain(world)["blobs_deleted"] == 0
    assert world.read(world.svc(world.member).download_info(document_id=doc["id"])["sha256"]) == PDF


def test_young_blobs_are_not_recorded(world):
    world.store.put_bytes(PDF)
    world.store.mtimes[sha(PDF)] = (world.clock.now - timedelta(minutes=10)).timestamp()
    assert maintain(world)["orphans_recorded"] == 0
    assert count(world, OrphanBlob) == 0


def test_stale_staged_uploads_are_discarded(world):
    old = world.stage(PDF)
    fresh = world.stage(TEXT)
    data, digest, _ = world.store.staged[old["key"]]
    world.store.staged[old["key"]] = (data, digest, time.time() - 2 * 3600)
    assert maintain(world)["staged_discarded"] == 1
    assert list(world.store.staged) == [fresh["key"]]


def test_each_pass_is_bounded(world):
    ids = [world.upload(world.member, f"d{i}.txt", data=TEXT + bytes([65 + i]))["id"] for i in range(5)]
    for doc_id in ids:
        world.svc(world.member).delete_document(document_id=doc_id)
    world.clock.advance(days=31)
    session = world.session()
    assert maintenance.purge_bin(session, world.clock.now, batch=2) == 2
    assert maintenance.purge_bin(session, world.clock.now, batch=2) == 2
    assert maintenance.purge_bin(session, world.clock.now, batch=2) == 1
    assert maintenance.purge_bin(session, world.clock.now, batch=2) == 0
    age_blobs(world)
    assert maintenance.record_orphans(session, world.store, world.clock.now, limit=3) == 3
    assert maintenance.record_orphans(session, world.store, world.clock.now, limit=3) == 2
    world.clock.advance(hours=2)
    assert maintenance.delete_orphans(session, world.store, world.clock.now, batch=4) == 4
    assert maintenance.delete_orphans(session, world.store, world.clock.now, batch=4) == 1
    assert world.store.blobs == {}
