"""The text inside documents reaches the index (``documents.document_text_extracted``):
stemmed in its language, shown in the snippet, only for the document's latest version,
never bringing back a deleted document, and safe in any order with the version's own
event. The same tests run on SQLite FTS5 and, with ``PARVIS_TEST_DB=postgresql``, on
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from parvis_contracts import events as ev
from services.search.models import SearchItem

FRENCH = "Procédure : les livraisons de pare-chocs sont retardées, réparez les ailes en attendant."
ENGLISH = "Sand the bumper, prime it, then paint it in the spray booth."


def text_of(world, document_id, text, version=1, language="fr", status="extracted", cid="A", name=None):
    return world.event(
        ev.DOCUMENTS_DOCUMENT_TEXT_EXTRACTED,
        document_id=document_id,
        community_id=cid,
        version=version,
        name=name or f"{document_id}.pdf",
        author_id=world.member.user_id,
        content_type="application/pdf",
        status=status,
        reason="" if text else "noted",
        text=text,
        language=language,
    )


def row(world, document_id):
    with world.engine.connect() as conn:
        return conn.execute(
            select(SearchItem.__table__).where(
                SearchItem.kind == "document", SearchItem.item_id == document_id
            )
        ).first()


def test_a_document_is_found_by_a_word_inside_in_any_of_its_forms(world):
    world.document("d1", "procedure-atelier.pdf")
    assert world.found(world.member, "livraison retardee") == []
    text_of(world, "d1", FRENCH)
    # the reader types the singular, without the accent: the French stems meet
    (hit,) = world.search(world.member, "livraison retardee")["items"]
    assert hit["kind"] == "document" and hit["id"] == "d1"
    assert hit["title"] == "procedure-atelier.pdf" and hit["language"] == "fr"
    # the snippet is the text around the match, the matching words marked
    assert "les \ue000livraisons\ue001 de pare-chocs sont \ue000retardées\ue001" in hit["snippet"]
    # still found by its name, and by the language filter
    assert world.found(world.member, "atelier") == ["d1"]
    assert world.found(world.member, "pare-chocs", language="fr") == ["d1"]
    assert world.found(world.member, "pare-chocs", language="en") == []


def test_only_readers_of_the_community_find_the_text(world):
    world.document("d1", "procedure.pdf")
    text_of(world, "d1", FRENCH)
    assert world.found(world.guest, "livraisons") == ["d1"]  # a guest of A
    for stranger in (world.employee, world.admin, world.outsider_guest):
        assert world.found(stranger, "livraisons") == []
    world.document("d2", "open.pdf", cid="C")
    text_of(world, "d2", ENGLISH, language="en", cid="C")
    assert world.found(world.employee, "spray booth") == ["d2"]
    assert world.found(world.outsider_guest, "spray booth") == []


def test_a_new_version_drops_the_old_text_until_its_own_comes(world):
    world.document("d1", "procedure.pdf")
    text_of(world, "d1", FRENCH)
    world.document("d1", "procedure.pdf", version=2)
    assert world.found(world.member, "livraisons") == []  # the old text is gone at once
    assert world.found(world.member, "procedure") == ["d1"]  # the name stays
    text_of(world, "d1", ENGLISH, version=2, language="en")
    assert world.found(world.member, "spray booth") == ["d1"]


def test_the_text_of_an_older_version_changes_nothing(world):
    world.document("d1", "procedure.pdf", version=2)
    text_of(world, "d1", ENGLISH, version=2, language="en")
    text_of(world, "d1", FRENCH, version=1)  # late: version 1 was read before version 2 came
    assert world.found(world.member, "spray booth") == ["d1"]
    assert world.found(world.member, "livraisons") == []
    assert row(world, "d1").revision == 2


def test_a_text_before_its_versions_event_indexes_it_and_the_event_keeps_it(world):
    text_of(world, "d1", FRENCH, name="procedure.pdf")
    assert world.found(world.member, "livraisons") == ["d1"]
    world.document("d1", "procedure.pdf")  # the version's own event, late
    assert world.found(world.member, "livraisons") == ["d1"]
    kept = row(world, "d1")
    assert kept.title == "procedure.pdf" and kept.language == "fr" and "livraisons" in kept.body


def test_a_deleted_document_stays_deleted_when_its_text_comes_late(world):
    world.document("d1", "procedure.pdf")
    world.document("d1", "procedure.pdf", event=ev.DOCUMENTS_DOCUMENT_DELETED)
    text_of(world, "d1", FRENCH)
    assert world.found(world.member, "livraisons") == [] and world.found(world.member, "procedure") == []
    assert row(world, "d1").removed and row(world, "d1").body == ""
    text_of(world, "d9", FRENCH)  # deleted before anything else came: a tombstone too
    world.document("d9", "x.pdf", event=ev.DOCUMENTS_DOCUMENT_DELETED)
    assert world.found(world.member, "livraisons") == []


def test_a_file_whose_text_was_not_read_is_found_by_its_name_only(world):
    world.document("d1", "scan-bumper.pdf")
    text_of(world, "d1", "", status="too_large", language=None)
    assert world.found(world.member, "bumper") == ["d1"]
    assert row(world, "d1").body == ""
    # its text after the outbox blanked its stored copy is no text either
    text_of(world, "d2", None, status="failed", language=None, name="broken.pdf")
    assert world.found(world.member, "broken") == ["d2"]


def test_a_redelivered_text_event_is_handled_once(world):
    world.document("d1", "procedure.pdf")
    body = text_of(world, "d1", FRENCH)
    assert world.redeliver(ev.DOCUMENTS_DOCUMENT_TEXT_EXTRACTED, body) == "duplicate"
    assert world.found(world.member, "livraisons") == ["d1"]


def test_a_long_text_is_matched_far_in_and_its_snippet_is_around_the_match(world):
    filler = " ".join(f"mot{i}" for i in range(5000))
    world.document("d1", "long.txt")
    text_of(world, "d1", f"{filler} windscreen seal at the end", language="en")
    (hit,) = world.search(world.member, "windscreen")["items"]
    assert "\ue000windscreen\ue001 seal" in hit["snippet"] and hit["snippet"].startswith("…")
    assert len(hit["snippet"]) < 400


def test_the_text_is_the_documents_own_in_the_plugin_declaration(world):
    from services.search.plugin import SERVICE

    assert (ev.DOCUMENTS_DOCUMENT_TEXT_EXTRACTED, "on_document_text_extracted") in SERVICE.handles
