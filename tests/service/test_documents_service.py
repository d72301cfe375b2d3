"""The documents service on the real RabbitMQ, a real database and a local-disk blob store.

The read model is fed by community events published to ``communities.events``
as the communities outbox relay does. Bytes are staged straight into the store
(``blob_store("documents")`` on a temporary ``PARVIS_BLOB_DIR``), exactly as the
gateway does, and only the staged reference travels over AMQP.
"""

import io
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
from kombu import Connection, Producer, Queue

from parvis_contracts import context as ctx
from parvis_contracts import events as ev
from parvis_contracts.blobs import blob_store
from parvis_contracts.db import make_engine, session_factory
from parvis_contracts.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    ValidationFailed,
)
from parvis_contracts.events import Envelope
from parvis_contracts.topology import declare_topology, event_exchange
from services.documents import maintenance
from services.documents.models import metadata
from services.documents.service import DocumentsService
from tests.support import wait_until

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def blob_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    return tmp_path / "blobs"


@pytest.fixture
def documents(start_service, broker, blob_dir):
    events = Queue(
        "test-documents-events",
        exchange=event_exchange("documents"),
        routing_key="#",
        durable=False,
        auto_delete=False,
    )
    events(broker.default_channel).declare()
    container = start_service(DocumentsService)
    container.events_queue = events
    container.store = blob_store("documents")
    yield container
    events(broker.default_channel).delete()


def person(user_id, guest=False, roles=("member",), **kw):
    return ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON, user_id=user_id, org_id="org-1", roles=frozenset(roles), guest=guest, **kw
        )
    )


def _publish(broker, event, data):
    body = Envelope.new(event, data).to_message()
    Producer(broker.default_channel).publish(
        body,
        exchange=event_exchange(event.source),
        routing_key=event.name,
        serializer="json",
        delivery_mode=2,
    )


VERSION = iter(range(1, 10_000))


def _community(broker, cid, archived=False, event=ev.COMMUNITIES_COMMUNITY_CREATED):
    _publish(
        broker,
        event,
        {
            "community_id": cid,
            "name": f"Community {cid}",
            "kind": "team",
            "visibility": "private",
            "archived": archived,
            "newcomers_see_history": True,
            "languages": ["en"],
            "allowed_org_ids": [],
            "version": next(VERSION),
        },
    )


def _member(broker, cid, user_id, role="member", guest=False):
    _publish(
        broker,
        ev.COMMUNITIES_MEMBER_ADDED,
        {
            "community_id": cid,
            "user_id": user_id,
            "role": role,
            "guest": guest,
            "joined_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
            "version": next(VERSION),
        },
    )


def _listing_or_none(rpc, token, cid):
    try:
        return rpc.call("documents", "list_folder", token, community_id=cid)
    except NotFound:
        return None


def _files(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, names in os.walk(root) for f in names)


def _stage(store, data: bytes) -> dict:
    return store.stage(io.BytesIO(data), 10**8).as_dict()


def _events(broker, queue, n):
    """The next ``n`` events of the bank and pages, in order (the text of each version,
    ``document_text_extracted``, comes from the extraction timer in between: left out)."""
    got = []
    simple = broker.SimpleQueue(queue)
    try:
        while len(got) < n:
            message = simple.get(block=True, timeout=15)
            envelope = Envelope.from_message(message.payload)
            message.ack()
            if envelope.type != "documents.document_text_extracted":
                got.append(envelope)
    finally:
        simple.close()
    return got


def test_upload_versions_download_and_events(documents, rpc, broker, blob_dir):
    ann, gus, eve = person("u-ann"), person("u-gus", guest=True), person("u-eve")
    _community(broker, "c-1")
    _member(broker, "c-1", "u-ann", role="manager")
    _member(broker, "c-1", "u-gus", guest=True)
    wait_until(lambda: _listing_or_none(rpc, gus, "c-1") is not None, timeout=15)
    store = documents.store

    prepared = rpc.call(
        "documents", "prepare_upload", gus, community_id="c-1", folder_id=None, name="plan.pdf", size=len(PDF)
    )
    assert prepared == {"max_bytes": 100 * 1024 * 1024, "name": "plan.pdf"}
    folder = rpc.call("documents", "create_folder", gus, community_id="c-1", parent_id=None, name="Plans")
    doc = rpc.call(
        "documents",
        "create_document",
        gus,
        community_id="c-1",
        folder_id=folder["id"],
        name="plan.pdf",
        staged=_stage(store, PDF),
        comment="v1",
    )
    assert doc["version"] == 1 and doc["content_type"] == "application/pdf"
    v2 = PDF + b"%second\n"
    doc = rpc.call(
        "documents", "add_version", ann, document_id=doc["id"], staged=_stage(store, v2), comment="v2"
    )
    assert doc["version"] == 2

    full = rpc.call("documents", "get_document", gus, document_id=doc["id"])
    assert [(v["number"], v["comment"], v["author_id"]) for v in full["versions"]] == [
        (2, "v2", "u-ann"),
        (1, "v1", "u-gus"),
    ]
    assert full["path"] == [{"id": folder["id"], "name": "Plans"}]
    first = rpc.call("documents", "download_info", gus, document_id=doc["id"], number=1)
    assert b"".join(store.open_range(first["sha256"])) == PDF
    assert first["inline"] is True and first["filename"] == "plan.pdf"
    latest = rpc.call("documents", "download_info", gus, document_id=doc["id"])
    assert b"".join(store.open_range(latest["sha256"], 0, 3)) == b"%PDF"
    assert _files(blob_dir / "documents" / ".staging") == []

    with pytest.raises(NotFound):  # an outsider: as unknown
        rpc.call("documents", "download_info", eve, document_id=doc["id"], number=1)
    with pytest.raises(Forbidden):  # an admin, not a member: the card only
        rpc.call(
            "documents",
            "download_info",
            person("u-admin", roles=("admin", "member")),
            document_id=doc["id"],
            number=1,
        )

    events = _events(broker, documents.events_queue, 2)
    assert [e.type for e in events] == ["documents.document_created", "documents.document_version_added"]
    assert events[1].data["version"] == 2 and events[1].data["sha256"] == latest["sha256"]


def test_bad_uploads_leave_nothing_behind(documents, rpc, broker, blob_dir, monkeypatch):
    ann = person("u-ann")
    _community(broker, "c-2")
    _member(broker, "c-2", "u-ann")
    wait_until(lambda: _listing_or_none(rpc, ann, "c-2") is not None, timeout=15)
    store = documents.store
    kept = rpc.call(
        "documents",
        "create_document",
        ann,
        community_id="c-2",
        folder_id=None,
        name="a.pdf",
        staged=_stage(store, PDF),
    )
    before = _files(blob_dir)

    with pytest.raises(ValidationFailed) as exc:  # a PNG named .pdf
        rpc.call(
            "documents",
            "create_document",
            ann,
            community_id="c-2",
            folder_id=None,
            name="b.pdf",
            staged=_stage(store, PNG),
        )
    assert "file" in exc.value.details
    with pytest.raises(Conflict) as exc:  # name clash
        rpc.call(
            "documents",
            "create_document",
            ann,
            community_id="c-2",
            folder_id=None,
            name="A.PDF",
            staged=_stage(store, PDF + b"%x\n"),
        )
    assert "name" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        rpc.call(
            "documents",
            "create_document",
            ann,
            community_id="c-2",
            folder_id=None,
            name="../../etc/passwd",
            staged=_stage(store, PDF + b"%y\n"),
        )
    assert "name" in exc.value.details
    with pytest.raises(ValidationFailed):  # empty
        rpc.call(
            "documents",
            "create_document",
            ann,
            community_id="c-2",
            folder_id=None,
            name="empty.txt",
            staged=_stage(store, b""),
        )
    monkeypatch.setenv("PARVIS_DOCUMENTS_MAX_BYTES", "10")
    with pytest.raises(PayloadTooLarge):
        rpc.call(
            "documents", "prepare_upload", ann, community_id="c-2", folder_id=None, name="big.pdf", size=11
        )
    with pytest.raises(PayloadTooLarge):
        rpc.call("documents", "add_version", ann, document_id=kept["id"], staged=_stage(store, PDF + b"%z\n"))
    monkeypatch.delenv("PARVIS_DOCUMENTS_MAX_BYTES")
    rpc.call("documents", "delete_document", ann, document_id=kept["id"])
    with pytest.raises(NotFound):  # version of a deleted document
        rpc.call("documents", "add_version", ann, document_id=kept["id"], staged=_stage(store, PDF + b"%w\n"))
    assert _files(blob_dir) == before  # no staged or orphan file left

    _community(broker, "c-2", archived=True, event=ev.COMMUNITIES_COMMUNITY_ARCHIVED)

    def archived():
        try:
            rpc.call("documents", "prepare_upload", ann, community_id="c-2", folder_id=None, name="late.pdf")
        except Forbidden:
            return True
        return False

    wait_until(archived, timeout=15)
    with pytest.raises(Forbidden):
        rpc.call(
            "documents",
            "create_document",
            ann,
            community_id="c-2",
            folder_id=None,
            name="late.pdf",
            staged=_stage(store, PDF + b"%late\n"),
        )
    assert _files(blob_dir) == before


def test_pages_over_rpc(documents, rpc, broker):
    ann, bob = person("u-ann"), person("u-bob")
    _community(broker, "c-3")
    _member(broker, "c-3", "u-ann")
    _member(broker, "c-3", "u-bob")
    wait_until(lambda: _listing_or_none(rpc, bob, "c-3") is not None, timeout=15)
    page = rpc.call(
        "documents",
        "create_page",
        ann,
        community_id="c-3",
        title="Home",
        body="Welcome\nSee [[FAQ]]\n<script>x</script>",
    )
    assert "<script>" not in page["html"] and "/communities/c-3/pages?title=FAQ" in page["html"]
    faq = rpc.call("documents", "create_page", bob, community_id="c-3", title="FAQ", body="[[Home]]")
    assert rpc.call("documents", "get_page", ann, page_id=page["id"])["links"] == [
        {"title": "FAQ", "page_id": faq["id"]}
    ]
    rpc.call(
        "documents",
        "update_page",
        bob,
        page_id=page["id"],
        title="Home",
        body="Welcome!\nSee [[FAQ]]\n",
        base_revision=1,
        comment="tone",
    )
    with pytest.raises(Conflict):
        rpc.call(
            "documents", "update_page", ann, page_id=page["id"], title="Home", body="stale", base_revision=1
        )
    diff = rpc.call("documents", "diff_page", ann, page_id=page["id"], from_revision=1, to_revision=2)
    assert diff["from"] == 1 and diff["to"] == 2
    assert {"op": "insert", "text": "Welcome!"} in diff["lines"]
    history = rpc.call("documents", "page_history", ann, page_id=page["id"])
    assert [r["number"] for r in history["items"]] == [2, 1]

    events = _events(broker, documents.events_queue, 3)
    assert [e.type for e in events] == [
        "documents.page_created",
        "documents.page_created",
        "documents.page_updated",
    ]
    assert events[2].data["body"] == "Welcome!\nSee [[FAQ]]\n"


@pytest.mark.parametrize(
    "make_token",
    [
        lambda: None,
        lambda: "garbage",
        lambda: ctx.anonymous_caller(),
        lambda: ctx.system_caller(),
    ],
    ids=["missing", "malformed", "anonymous", "system"],
)
def test_documents_methods_refuse_callers_who_are_not_people(documents, rpc, make_token):
    for method, kwargs in [
        ("list_folder", {"community_id": "c-1"}),
        ("download_info", {"document_id": "d-1"}),
        ("get_page", {"page_id": "p-1"}),
    ]:
        with pytest.raises(Unauthenticated):
            rpc.call("documents", method, make_token(), **kwargs)


def test_maintenance_on_the_real_store_and_database(documents, rpc, broker, blob_dir):
    """The timer's pass (called directly, with a clock 31 days ahead) on the disk store."""
    ann = person("u-ann")
    _community(broker, "c-4")
    _member(broker, "c-4", "u-ann")
    wait_until(lambda: _listing_or_none(rpc, ann, "c-4") is not None, timeout=15)
    store = documents.store
    gone = rpc.call(
        "documents",
        "create_document",
        ann,
        community_id="c-4",
        folder_id=None,
        name="gone.pdf",
        staged=_stage(store, PDF + b"%gone\n"),
    )
    kept = rpc.call(
        "documents",
        "create_document",
        ann,
        community_id="c-4",
        folder_id=None,
        name="kept.pdf",
        staged=_stage(store, PDF + b"%kept\n"),
    )
    rpc.call("documents", "delete_document", ann, document_id=gone["id"])
    abandoned = _stage(store, PDF + b"%abandoned\n")
    two_hours_ago = datetime.now(UTC).timestamp() - 7200
    for path in (blob_dir / "documents").rglob("*"):
        if path.is_file():
            os.utime(path, (two_hours_ago, two_hours_ago))

    engine = make_engine(documents.db_url)
    session = session_factory(engine, metadata)()
    try:
        later = datetime.now(UTC) + timedelta(days=31)
        done = maintenance.run(session, store, later)
        assert done == {"purged": 1, "staged_discarded": 1, "blobs_deleted": 0, "orphans_recorded": 1}
        assert store.exists(gone["sha256"])
        done = maintenance.run(session, store, later + timedelta(hours=2))
        assert done["blobs_deleted"] == 1
    finally:
        session.close()
        engine.dispose()
    assert not store.exists(gone["sha256"]) and store.exists(kept["sha256"])
    assert abandoned["key"] not in _files(blob_dir / "documents" / ".staging")
    assert rpc.call("documents", "download_info", ann, document_id=kept["id"])["number"] == 1
    with pytest.raises(NotFound):
        rpc.call("documents", "restore_document", ann, document_id=gone["id"])
