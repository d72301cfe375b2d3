"""A post's and a comment's stated language; documents attached to posts.

The documents service is replaced by a small fake answering ``describe_documents``
like the real one (the service tier runs the real one): the documents of each
community, a ``NotFound`` for anything else, ``UnknownService`` when it is down.
"""

from __future__ import annotations

import pytest
from nameko.exceptions import UnknownService
from nameko.testing.services import worker_factory

from parvis_contracts import events as ev
from parvis_contracts.errors import NotFound, Unavailable, ValidationFailed, not_found
from services.feed.models import metadata
from services.feed.service import FeedService

from .helpers import snapshot

DOCS = {
    "d-a1": {
        "id": "d-a1",
        "community_id": "A",
        "name": "plan.pdf",
        "content_type": "application/pdf",
        "size": 1234,
    },
    "d-a2": {"id": "d-a2", "community_id": "A", "name": "photo.png", "content_type": "image/png", "size": 99},
    "d-b1": {
        "id": "d-b1",
        "community_id": "B",
        "name": "secret.txt",
        "content_type": "text/plain",
        "size": 5,
    },
}


class FakeDocuments:
    def __init__(self, up=True):
        self.up = up
        self.calls = []

    def describe_documents(self, community_id, document_ids):
        self.calls.append((community_id, list(document_ids)))
        if not self.up:
            raise UnknownService("documents")
        found = [DOCS.get(i) for i in document_ids]
        if any(d is None or d["community_id"] != community_id for d in found):
            raise not_found("document")
        return found


def svc(world, caller, documents=None):
    return worker_factory(
        FeedService,
        db=world.session(),
        caller=caller,
        clock=world.clock,
        documents=documents or FakeDocuments(),
    )


def outbox_payloads(engine, event_type) -> list[dict]:
    from sqlalchemy import select

    outbox = metadata.tables["outbox"]
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(outbox.c.payload)
                .where(outbox.c.source == event_type.source, outbox.c.event_type == event_type.name)
                .order_by(outbox.c.id)
            ).scalars()
        )


# --- language -----------------------------------------------------------------------


def test_a_post_states_its_language_and_the_events_carry_it(world):
    post = svc(world, world.member).create_post(community_id="A", body="Bonjour", language="FR")
    assert post["language"] == "fr"
    assert svc(world, world.member).get_post(post_id=post["id"])["language"] == "fr"
    wall = svc(world, world.member).community_wall(community_id="A")
    assert wall["items"][0]["language"] == "fr"
    created = outbox_payloads(world.engine, ev.FEED_POST_CREATED)
    assert created and created[-1]["language"] == "fr"


def test_language_not_stated_is_null_and_an_edit_keeps_or_changes_it(world):
    post = svc(world, world.member).create_post(community_id="A", body="Hello")
    assert post["language"] is None
    edited = svc(world, world.member).edit_post(post_id=post["id"], body="Hello again", language="en")
    assert edited["language"] == "en"
    kept = svc(world, world.member).edit_post(post_id=post["id"], body="Hello, third time")
    assert kept["language"] == "en"
    cleared = svc(world, world.member).edit_post(post_id=post["id"], body="Hi", language=None)
    assert cleared["language"] is None
    updated = outbox_payloads(world.engine, ev.FEED_POST_UPDATED)
    assert [u["language"] for u in updated] == ["en", "en", None]


def test_a_bad_language_is_refused_and_nothing_is_written(world):
    post = world.post(world.member, "A")
    before = snapshot(world.engine)
    for bad in ("xx", "french", "", 12):
        with pytest.raises(ValidationFailed) as exc:
            svc(world, world.member).create_post(community_id="A", body="x", language=bad)
        assert "language" in exc.value.details
        with pytest.raises(ValidationFailed):
            svc(world, world.member).edit_post(post_id=post["id"], body="x", language=bad)
        with pytest.raises(ValidationFailed):
            svc(world, world.member).create_comment(post_id=post["id"], body="x", language=bad)
    assert snapshot(world.engine) == before


def test_a_comment_states_its_language(world):
    post = world.post(world.member, "A")
    comment = svc(world, world.guest).create_comment(post_id=post["id"], body="Hola", language="es")
    assert comment["language"] == "es"
    listed = svc(world, world.member).list_comments(post_id=post["id"])["items"]
    assert listed[0]["language"] == "es"
    edited = svc(world, world.guest).edit_comment(comment_id=comment["id"], body="Hola!")
    assert edited["language"] == "es"
    edited = svc(world, world.guest).edit_comment(comment_id=comment["id"], body="Hallo", language="de")
    assert edited["language"] == "de"
    events = outbox_payloads(world.engine, ev.FEED_COMMENT_CREATED)
    events += outbox_payloads(world.engine, ev.FEED_COMMENT_UPDATED)
    assert [e["language"] for e in events] == ["es", "es", "de"]


# --- attachments ----------------------------------------------------------------------


def test_a_post_attaches_documents_of_its_community(world):
    docs = FakeDocuments()
    post = svc(world, world.member, docs).create_post(
        community_id="A", body="See the plan", attachments=["d-a1", "d-a2", "d-a1"]
    )
    assert docs.calls == [("A", ["d-a1", "d-a2"])]
    assert post["attachments"] == [
        {"id": "d-a1", "name": "plan.pdf", "content_type": "application/pdf", "size": 1234},
        {"id": "d-a2", "name": "photo.png", "content_type": "image/png", "size": 99},
    ]
    again = svc(world, world.guest).get_post(post_id=post["id"])
    assert again["attachments"] == post["attachments"]
    assert (
        svc(world, world.member).community_wall(community_id="A")["items"][0]["attachments"]
        == post["attachments"]
    )


def test_no_attachment_no_call_to_documents(world):
    docs = FakeDocuments(up=False)
    post = svc(world, world.member, docs).create_post(community_id="A", body="plain")
    assert post["attachments"] == [] and docs.calls == []
    svc(world, world.member, docs).edit_post(post_id=post["id"], body="plain 2")
    assert docs.calls == []


@pytest.mark.parametrize("ids", [["d-b1"], ["nope"], ["d-a1", "d-b1"]])
def test_a_document_of_another_community_answers_like_an_unknown_one(world, ids):
    post = world.post(world.member, "A")
    before = snapshot(world.engine)
    with pytest.raises(NotFound) as unknown:
        svc(world, world.member).create_post(community_id="A", body="x", attachments=["nope"])
    with pytest.raises(NotFound) as exc:
        svc(world, world.member).create_post(community_id="A", body="x", attachments=ids)
    assert (exc.value.message, exc.value.details) == (unknown.value.message, unknown.value.details)
    assert exc.value.details == {"field": "attachments"}
    with pytest.raises(NotFound):
        svc(world, world.member).edit_post(post_id=post["id"], body="x", attachments=ids)
    assert snapshot(world.engine) == before


def test_a_documents_outage_is_unavailable_and_writes_nothing(world):
    post = world.post(world.member, "A")
    before = snapshot(world.engine)
    with pytest.raises(Unavailable):
        svc(world, world.member, FakeDocuments(up=False)).create_post(
            community_id="A", body="x", attachments=["d-a1"]
        )
    with pytest.raises(Unavailable):
        svc(world, world.member, FakeDocuments(up=False)).edit_post(
            post_id=post["id"], body="x", attachments=["d-a1"]
        )
    assert snapshot(world.engine) == before


def test_at_most_ten_attachments(world):
    before = snapshot(world.engine)
    docs = FakeDocuments()
    with pytest.raises(ValidationFailed) as exc:
        svc(world, world.member, docs).create_post(
            community_id="A", body="x", attachments=[f"d-{i}" for i in range(11)]
        )
    assert "attachments" in exc.value.details and docs.calls == []
    assert snapshot(world.engine) == before


def test_access_is_checked_before_documents_are_asked(world):
    docs = FakeDocuments()
    with pytest.raises(NotFound) as exc:
        svc(world, world.employee, docs).create_post(community_id="A", body="x", attachments=["d-a1"])
    assert "community" in exc.value.message and docs.calls == []


def test_an_edit_replaces_the_attachments_and_describes_only_new_ones(world):
    post = svc(world, world.member).create_post(community_id="A", body="v1", attachments=["d-a1"])
    docs = FakeDocuments()
    kept = svc(world, world.member, docs).edit_post(post_id=post["id"], body="v2")
    assert [a["id"] for a in kept["attachments"]] == ["d-a1"] and docs.calls == []
    both = svc(world, world.member, docs).edit_post(
        post_id=post["id"], body="v3", attachments=["d-a2", "d-a1"]
    )
    assert [a["id"] for a in both["attachments"]] == ["d-a2", "d-a1"]
    assert docs.calls == [("A", ["d-a2"])]
    none = svc(world, world.member, docs).edit_post(post_id=post["id"], body="v4", attachments=[])
    assert none["attachments"] == []
    assert svc(world, world.member).get_post(post_id=post["id"])["attachments"] == []
