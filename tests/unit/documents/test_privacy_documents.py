"""Privacy (GDPR) in documents: one's uploads and pages exported; an erased person's
content kept, mentions of them rewritten."""

import json

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden, ValidationFailed
from parvis_contracts.events import Envelope
from services.documents.models import Page, PageRevision, metadata
from tests.unit.documents.conftest import PDF, PNG

NAME = "Mila Member-Canary"


def erase(world, caller):
    body = Envelope.new(
        ev.IDENTITY_USER_ERASED, {"user_id": caller.user_id, "org_id": caller.org_id, "guest": caller.guest}
    ).to_message()
    return body, world.svc().on_user_erased(body)


def test_export_lists_uploads_with_their_blobs_and_pages(world):
    doc = world.upload(world.member, name="report.pdf", data=PDF, comment="first")
    world.new_version(world.member, doc["id"], PNG, comment="a picture", name="report.png")
    world.upload(world.other_member, name="theirs.pdf", data=PDF + b"%")
    page = world.svc(world.member).create_page(community_id="A", title="Plan", body="Step 1")
    world.svc(world.other_member).update_page(
        page_id=page["id"], title="Plan", body="Step 2", base_revision=1
    )
    data = world.svc(world.member).export_person_data(person_id=world.member.user_id)
    versions = data["versions_uploaded"]
    assert [(v["document_id"], v["number"], v["comment"]) for v in versions] == [
        (doc["id"], 1, "first"),
        (doc["id"], 2, "a picture"),
    ]
    assert all(world.read(v["sha256"]) in (PDF, PNG) for v in versions)
    assert [d["id"] for d in data["documents_created"]] == [doc["id"]]
    assert [p["title"] for p in data["pages_created"]] == ["Plan"]
    assert [(r["number"], r["body"]) for r in data["page_revisions"]] == [(1, "Step 1")]
    assert "theirs.pdf" not in json.dumps(data) and "Step 2" not in json.dumps(data)


def test_only_the_person_or_an_admin_exports(world):
    with pytest.raises(Forbidden):
        world.svc(world.other_member).export_person_data(person_id=world.member.user_id)
    assert (
        world.svc(world.admin).export_person_data(person_id=world.member.user_id)["person_id"]
        == world.member.user_id
    )
    with pytest.raises(ValidationFailed):
        world.svc(world.member).export_person_data(person_id="x" * 65)


def test_erasure_keeps_uploads_and_rewrites_mentions_in_pages(world, engine):
    doc = world.upload(world.member, name="report.pdf", data=PDF)
    page = world.svc(world.other_member).create_page(
        community_id="A", title="Team", body=f"Ask @[{NAME}]({world.member.user_id})"
    )
    world.svc(world.other_member).update_page(
        page_id=page["id"], title="Team", body=f"Ask @[{NAME}]({world.member.user_id}) now", base_revision=1
    )
    body, done = erase(world, world.member)
    assert done["mentions_rewritten"] == 3 and done["outbox_rows"] >= 2
    session = world.session()
    assert session.get(Page, page["id"]).body == f"Ask @[Former member]({world.member.user_id}) now"
    bodies = [r.body for r in session.scalars(select(PageRevision).order_by(PageRevision.number))]
    assert bodies == [
        f"Ask @[Former member]({world.member.user_id})",
        f"Ask @[Former member]({world.member.user_id}) now",
    ]
    for table in metadata.sorted_tables:
        for row in session.execute(select(table)):
            assert NAME not in json.dumps([str(v) for v in row]), table.name
    # the upload stays, by the same (now former) member
    kept = world.svc(world.manager).get_document(document_id=doc["id"])
    assert kept["created_by"] == world.member.user_id
    assert world.svc().on_user_erased(body) == "duplicate"
    _, again = erase(world, world.member)
    assert again == {"mentions_rewritten": 0, "outbox_rows": 0, "idempotency_keys": 0}
