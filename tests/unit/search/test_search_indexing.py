"""The index follows the feed's and the documents' events: created, edited, deleted, hidden
and restored, accepted answers, pages, documents, erasure; each event safe to redeliver and
to come out of order with the others of its thing."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from parvis_contracts import events as ev
from parvis_contracts.errors import ValidationFailed
from parvis_contracts.events import Envelope
from services.search.engines import index_for
from services.search.limits import CONTENT_KINDS
from services.search.models import SearchItem


def row(world, kind, item_id):
    with world.engine.connect() as conn:
        return conn.execute(
            select(SearchItem.__table__).where(SearchItem.kind == kind, SearchItem.item_id == item_id)
        ).first()


def count(world) -> int:
    """The rows of what communities hold (the communities' own rows left out)."""
    with world.engine.connect() as conn:
        return len(conn.execute(select(SearchItem.seq).where(SearchItem.kind.in_(CONTENT_KINDS))).all())


# --- posts -----------------------------------------------------------------------------------


def test_a_created_post_is_found_and_an_edit_replaces_its_words(world):
    world.post("p1", "Bumper repair at the Lyon plant")
    assert world.found(world.member, "bumper") == ["p1"]
    world.post("p1", "Windscreen replacement at the Lyon plant", revision=2, updated=True)
    assert world.found(world.member, "bumper") == []
    assert world.found(world.member, "windscreen") == ["p1"]


def test_an_older_revision_arriving_late_changes_nothing(world):
    world.post("p1", "Second text, about windscreens", revision=2, updated=True)
    world.post("p1", "First text, about bumpers", revision=1)
    assert world.found(world.member, "windscreen") == ["p1"]
    assert world.found(world.member, "bumper") == []


def test_a_redelivered_event_is_handled_once(world):
    body = world.post("p1", "Bumper repair")
    assert world.redeliver(ev.FEED_POST_CREATED, body) == "duplicate"
    assert count(world) == 1 and world.found(world.member, "bumper") == ["p1"]


def test_an_event_without_the_text_indexes_nothing(world):
    world.event(ev.FEED_POST_CREATED, post_id="old", community_id="A", author_id=world.member.user_id)
    assert count(world) == 0


def test_a_deleted_post_leaves_with_its_comments_and_stays_gone(world):
    world.post("p1", "Bumper repair")
    world.comment("c1", "p1", "Bumper parts are in stock")
    world.event(ev.FEED_POST_DELETED, post_id="p1", community_id="A", author_id=world.member.user_id)
    assert world.found(world.manager, "bumper") == []
    assert row(world, "post", "p1").removed and row(world, "comment", "c1").removed
    assert row(world, "post", "p1").body == "" and row(world, "comment", "c1").terms == ""
    # the creation, delivered late, and a late comment do not bring anything back
    world.post("p1", "Bumper repair")
    world.comment("c2", "p1", "Bumper again")
    assert world.found(world.manager, "bumper") == []
    assert row(world, "comment", "c2").removed


def test_a_deletion_before_the_creation_is_a_tombstone(world):
    world.event(
        ev.FEED_COMMENT_DELETED,
        comment_id="c1",
        post_id="p1",
        community_id="A",
        author_id=world.member.user_id,
    )
    world.post("p1", "Bumper repair")
    world.comment("c1", "p1", "Bumper parts")
    assert world.found(world.member, "bumper") == ["p1"]


# --- comments ----------------------------------------------------------------------------------


def test_a_comment_is_found_while_its_post_is_known(world):
    world.comment("c1", "p1", "Hydraulic brakes need bleeding")
    # its post not indexed yet: the newcomers' rule reads the post's date, unknown
    assert world.found(world.member, "hydraulic") == []
    world.post("p1", "How do I fix these brakes?")
    assert world.found(world.member, "hydraulic") == ["c1"]
    hit = world.search(world.member, "hydraulic")["items"][0]
    assert hit["kind"] == "comment" and hit["post_id"] == "p1"
    world.comment("c1", "p1", "Drum brakes need adjusting", revision=2)
    assert world.found(world.member, "hydraulic") == [] and world.found(world.member, "drum") == ["c1"]
    world.event(
        ev.FEED_COMMENT_DELETED,
        comment_id="c1",
        post_id="p1",
        community_id="A",
        author_id=world.other_member.user_id,
    )
    assert world.found(world.member, "drum") == []


# --- moderation ----------------------------------------------------------------------------------


def test_hidden_content_is_not_found_and_comes_back_when_restored(world):
    world.post("p1", "Bumper repair")
    world.comment("c1", "p1", "Bumper parts in stock")
    world.comment("c2", "p1", "Bumper paint is orange")
    world.moderate(ev.FEED_CONTENT_HIDDEN, "comment", "c2", "p1")
    assert sorted(world.found(world.manager, "bumper")) == ["c1", "p1"]
    assert row(world, "comment", "c2").terms == ""  # its words leave the index
    world.moderate(ev.FEED_CONTENT_HIDDEN, "post", "p1", "p1")
    # a hidden post's comments are not found either (the feed shows them no more)
    assert world.found(world.manager, "bumper") == []
    world.moderate(ev.FEED_CONTENT_RESTORED, "post", "p1", "p1")
    assert sorted(world.found(world.manager, "bumper")) == ["c1", "p1"]
    world.moderate(ev.FEED_CONTENT_RESTORED, "comment", "c2", "p1")
    assert sorted(world.found(world.manager, "bumper")) == ["c1", "c2", "p1"]


def test_a_hide_before_the_creation_is_kept(world):
    world.moderate(ev.FEED_CONTENT_HIDDEN, "post", "p1", "p1")
    world.post("p1", "Bumper repair")
    world.post("p1", "Bumper repair, edited", revision=2, updated=True)
    assert world.found(world.manager, "bumper") == []
    world.moderate(ev.FEED_CONTENT_RESTORED, "post", "p1", "p1")
    assert world.found(world.manager, "bumper") == ["p1"]


# --- accepted answers ----------------------------------------------------------------------------


def accept(world, comment_id, post_id="q1"):
    world.event(
        ev.FEED_ANSWER_ACCEPTED,
        post_id=post_id,
        community_id="A",
        comment_id=comment_id,
        comment_author_id=world.other_member.user_id,
        accepted_by=world.member.user_id,
    )


def test_the_accepted_answer_is_flagged_and_moves_with_the_acceptance(world):
    world.post("q1", "Which torque for the wheel nuts?")
    world.comment("c1", "q1", "Torque them to 110 Nm")
    world.comment("c2", "q1", "Torque them to 120 Nm")
    accept(world, "c1")
    assert {h["id"]: h["accepted"] for h in world.search(world.member, "torque nm")["items"]} == {
        "c1": True,
        "c2": False,
    }
    accept(world, "c2")
    assert row(world, "comment", "c2").accepted and not row(world, "comment", "c1").accepted


def test_an_acceptance_before_its_comment_waits_for_it(world):
    world.post("q1", "Which torque for the wheel nuts?")
    accept(world, "c1")
    world.comment("c1", "q1", "Torque them to 110 Nm")
    (hit,) = world.search(world.member, "110")["items"]
    assert hit["id"] == "c1" and hit["accepted"] is True


# --- pages and documents ---------------------------------------------------------------------------


def test_pages_by_title_and_body_latest_revision(world):
    world.page("pg1", "Procédure carrosserie", "Réparer un pare-chocs fissuré", language="fr")
    assert world.found(world.member, "carrosserie") == ["pg1"]
    assert world.found(world.member, "réparations") == ["pg1"]
    world.page("pg1", "Procédure peinture", "Poncer puis peindre", language="fr", revision=2)
    assert world.found(world.member, "carrosserie") == [] and world.found(world.member, "peindre") == ["pg1"]
    hit = world.search(world.member, "peinture")["items"][0]
    assert hit["title"] == "Procédure peinture" and hit["kind"] == "page"
    world.event(
        ev.DOCUMENTS_PAGE_DELETED,
        page_id="pg1",
        community_id="A",
        revision=2,
        title="x",
        body="y",
        author_id=world.member.user_id,
    )
    assert world.found(world.member, "peinture") == []


def test_documents_by_their_name(world):
    world.document("d1", "Bumper_repair_procedure.pdf")
    (hit,) = world.search(world.member, "bumper procedure")["items"]
    assert hit["kind"] == "document" and hit["title"] == "Bumper_repair_procedure.pdf"
    assert "\ue000Bumper\ue001" in hit["snippet"]
    world.document("d1", "Windscreen_procedure.pdf", version=2)
    assert world.found(world.member, "bumper") == [] and world.found(world.member, "windscreen") == ["d1"]
    world.document("d1", "Windscreen_procedure.pdf", version=2, event=ev.DOCUMENTS_DOCUMENT_DELETED)
    assert world.found(world.member, "windscreen") == []


def test_a_malformed_event_is_refused_before_the_index(world):
    envelope = Envelope(
        id="e-bad",
        type=ev.FEED_POST_CREATED.key,
        occurred_at=world.clock().isoformat(),
        data={"post_id": "p2"},
    )
    with pytest.raises(ValidationFailed):
        world.redeliver(ev.FEED_POST_CREATED, envelope.to_message())
    assert count(world) == 0


# --- erasure ---------------------------------------------------------------------------------------


def test_an_erased_persons_texts_stay_without_their_name(world):
    louise = world.member.user_id
    world.post("p1", "Bumper repair by the body shop", author=world.member)
    world.post("p2", f"Ask @[Louise Martin]({louise}) about bumpers", author=world.manager)
    world.page(
        "pg1", "Contacts", f"Carrosserie: @[Louise Martin]({louise})", author=world.manager, language="fr"
    )
    assert sorted(world.found(world.manager, "louise")) == ["p2", "pg1"]
    exported = world.svc(world.member).export_person_data(person_id=louise)
    assert [(i["kind"], i["id"]) for i in exported["indexed"]] == [("post", "p1")]

    erased = {"user_id": louise, "org_id": "org-host", "guest": False}
    body = world.event(ev.IDENTITY_USER_ERASED, **erased)
    assert world.found(world.manager, "louise") == []
    assert sorted(world.found(world.manager, "bumper")) == ["p1", "p2"]  # kept, searchable
    assert row(world, "post", "p1").author_id is None
    assert row(world, "post", "p2").body == f"Ask @[Former member]({louise}) about bumpers"
    hit = next(h for h in world.search(world.manager, "bumper")["items"] if h["id"] == "p1")
    assert hit["author_id"] is None
    assert world.redeliver(ev.IDENTITY_USER_ERASED, body) == "duplicate"
    # handled again (a new event), it finds nothing left to change
    assert index_for(world.session()).forget_person(louise) == {"authored": 0, "mentions_rewritten": 0}


def test_an_erased_name_leaves_the_engines_own_tables_too(world, engine):
    """FTS5 keeps replaced terms in its segments until they merge: the erasure merges them."""
    if engine.dialect.name != "sqlite":
        pytest.skip("FTS5's segments (PostgreSQL computes the document from search_items)")
    louise = world.member.user_id
    world.post("p1", f"Ask @[Louise Zyxwvname]({louise}) about bumpers", author=world.manager)
    world.post("p2", f"Louise Zyxwvname wrote it @[Louise Zyxwvname]({louise})", author=world.manager)
    # a deleted post's terms linger in the segments too
    world.event(ev.FEED_POST_DELETED, post_id="p2", community_id="A", author_id=world.manager.user_id)

    def engine_data() -> bytes:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT block FROM search_fts_data")).all()
        return b"".join(bytes(r.block or b"") for r in rows)

    assert b"zyxwvnam" in engine_data()
    world.event(ev.IDENTITY_USER_ERASED, user_id=louise, org_id="org-host", guest=False)
    assert b"zyxwvnam" not in engine_data()
    assert world.found(world.manager, "bumpers") == ["p1"]


def test_the_engine_follows_every_change_of_the_terms(world, engine):
    """Edits, hides, deletions and erasure all went through the table: the engine's own
    structure still agrees with it (FTS5's integrity check; PostgreSQL's index is an
    expression of the row)."""
    world.post("p1", "Bumper repair")
    world.post("p1", "Bumper repair, edited", revision=2, updated=True)
    world.comment("c1", "p1", "Bumper parts")
    world.moderate(ev.FEED_CONTENT_HIDDEN, "comment", "c1", "p1")
    world.moderate(ev.FEED_CONTENT_RESTORED, "comment", "c1", "p1")
    world.post("p2", "Windscreen")
    world.event(ev.FEED_POST_DELETED, post_id="p2", community_id="A", author_id=world.member.user_id)
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"))
    assert sorted(world.found(world.member, "bumper")) == ["c1", "p1"]
