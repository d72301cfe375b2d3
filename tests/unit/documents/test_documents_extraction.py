"""The text inside documents: each format read in the real extraction process (files made
here, see ``samples``), every cap (bytes, unpacked bytes, pages, time, memory, characters)
ending in a noted status, and the queue of versions that emits
``documents.document_text_extracted`` through the outbox."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select, update

from parvis_contracts import events as ev
from parvis_contracts import vocabulary
from parvis_contracts.blobs import MemoryBlobStore
from services.documents import extraction
from services.documents.extraction import Caps, extract_blob
from services.documents.models import DocumentVersion

from . import samples
from .helpers import outbox_payloads

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT_TYPE = "application/vnd.oasis.opendocument.text"

CAPS = Caps(
    max_bytes=5_000_000,
    max_unpacked=20_000_000,
    max_pages=20,
    max_seconds=20,
    max_chars=10_000,
    memory_mb=1024,
    languages=("en", "fr", "de", "es"),
)

FRENCH = "Les livraisons de pare-chocs sont retardées depuis la grève de la semaine dernière"
ENGLISH = "The bumper repair procedure: sand the surface, prime it, then paint the bumper"


def read(data: bytes, content_type: str, caps: Caps = CAPS):
    store = MemoryBlobStore()
    sha256, size = store.put_bytes(data)
    return extract_blob(store, sha256, size, content_type, caps)


def caps(**changes) -> Caps:
    return Caps(**{**CAPS.__dict__, **changes})


# --- each format ------------------------------------------------------------------------------


def test_a_pdf_gives_the_text_of_its_pages_and_its_language():
    got = read(samples.pdf([FRENCH, "Page deux : réparation du pare-chocs"]), PDF_TYPE)
    assert got.status == "extracted" and got.reason == ""
    assert "livraisons de pare-chocs sont retardées" in got.text
    assert "réparation du pare-chocs" in got.text
    assert got.language == "fr"


def test_a_compressed_pdf_is_read_too():
    got = read(samples.pdf([ENGLISH], compress=True), PDF_TYPE)
    assert (got.status, got.language) == ("extracted", "en")
    assert "sand the surface" in got.text


def test_a_docx_gives_its_paragraphs():
    got = read(samples.docx(["Procédure de réparation", FRENCH], pages=2), DOCX_TYPE)
    assert got.status == "extracted"
    assert got.text.splitlines() == ["Procédure de réparation", FRENCH]
    assert got.language == "fr"


def test_an_xlsx_gives_its_sheets_and_text_cells_in_the_workbook_order():
    got = read(
        samples.xlsx({"Stock": [["Pare-chocs avant", "Lyon"], ["Capot", "Paris"]], "Prices": [["Headlamp"]]}),
        XLSX_TYPE,
    )
    assert got.status == "extracted"
    assert got.text.splitlines()[:3] == ["Stock", "Pare-chocs avant Lyon", "Capot Paris"]
    assert "Prices" in got.text and "Headlamp" in got.text
    assert "42" not in got.text  # numbers are not words anyone looks for


def test_a_pptx_gives_its_slides_in_the_presentation_order():
    got = read(
        samples.pptx([["Bumper repair", "sand and prime"], ["Windscreen", "replace the seal"]]), PPTX_TYPE
    )
    assert got.status == "extracted"
    assert got.text.index("Bumper repair") < got.text.index("Windscreen")


def test_an_odt_gives_its_paragraphs_not_its_comments():
    got = read(samples.odt(["Réunion de chantier du lundi", "Ordre du jour"], pages=1), ODT_TYPE)
    assert got.status == "extracted"
    assert got.text.splitlines() == ["Réunion de chantier du lundi", "Ordre du jour", "note"]
    assert "hidden remark" not in got.text


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"# Titre\n\nCompte rendu de la r\xc3\xa9union\n", "Compte rendu de la réunion"),  # Markdown
        (b"piece;site\nPare-chocs;Lyon\n", "Pare-chocs;Lyon"),  # CSV
        (b"\xff\xfe" + "Windscreen seal".encode("utf-16-le"), "Windscreen seal"),  # UTF-16, BOM
        (b"R\xe9union du comit\xe9", "Réunion du comité"),  # not UTF-8: Windows-1252
        (b"a\x00b\x07c", "a b c"),  # control characters never reach an index
    ],
)
def test_text_files_are_decoded(data, expected):
    got = read(data, "text/plain")
    assert got.status == "extracted"
    assert expected in got.text


def test_a_type_whose_text_is_not_read_is_noted_without_a_process(monkeypatch):
    monkeypatch.setattr(extraction, "run_extractor", lambda *a: pytest.fail("no process for a picture"))
    got = read(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    assert got.status == "unsupported" and "image/png" in got.reason and got.text == ""


# --- caps: name only, and noted -------------------------------------------------------------------


def test_a_file_over_the_byte_cap_is_not_even_copied(monkeypatch):
    monkeypatch.setattr(extraction, "run_extractor", lambda *a: pytest.fail("no process past the cap"))
    got = read(samples.pdf([ENGLISH]), PDF_TYPE, caps(max_bytes=100))
    assert got.status == "too_large" and "more than 100" in got.reason and got.text == ""


def test_a_zip_bomb_is_refused_from_the_sizes_it_declares():
    bomb = samples.zip_bomb_docx(50_000_000)
    assert len(bomb) < 100_000  # 50 MB of blanks, packed small
    got = read(bomb, DOCX_TYPE, caps(max_unpacked=10_000_000))
    assert got.status == "too_large" and "unpacks to more than 10000000 bytes" in got.reason


def test_a_zip_lying_about_its_sizes_unpacks_no_more_than_it_declares():
    liar = samples.lying_zip_docx("bumper " * 500, declared=100)
    assert zipfile.ZipFile(io.BytesIO(liar)).getinfo("word/document.xml").file_size == 100
    got = read(liar, DOCX_TYPE)
    assert got.status == "failed" and got.text == ""


def test_too_many_pages_sheets_or_slides_is_too_large():
    assert read(samples.pdf(["page"] * 6), PDF_TYPE, caps(max_pages=5)).reason == "6 pages, more than 5"
    assert read(samples.docx(["short"], pages=900), DOCX_TYPE).status == "too_large"
    assert read(samples.odt(["short"], pages=900), ODT_TYPE).status == "too_large"
    slides = read(samples.pptx([["slide"]] * 6), PPTX_TYPE, caps(max_pages=5))
    sheets = read(samples.xlsx({f"S{i}": [["x"]] for i in range(6)}), XLSX_TYPE, caps(max_pages=5))
    assert (slides.status, sheets.status) == ("too_large", "too_large")
    assert "slides" in slides.reason and "sheets" in sheets.reason


def test_a_text_longer_than_the_character_cap_is_cut_and_noted():
    got = read(("bumper repair " * 2000).encode(), "text/plain", caps(max_chars=1000))
    assert got.status == "truncated" and got.reason == "text cut at 1000 characters"
    assert len(got.text) <= 1000 and got.text.startswith("bumper repair")
    pdf = read(samples.pdf(["windscreen " * 50] * 5), PDF_TYPE, caps(max_chars=300))
    assert pdf.status == "truncated" and len(pdf.text) <= 300


def test_a_parse_too_slow_is_killed_by_the_time_cap():
    # a 4 KB PDF whose one page draws 100,000 strings: seconds of pypdf's time
    slow = samples.pdf(
        contents=[b"BT /F1 12 Tf 72 712 Td " + b"(ab) Tj 1 0 Td " * 100_000 + b"ET"], compress=True
    )
    assert len(slow) < 10_000
    got = read(slow, PDF_TYPE, caps(max_seconds=1, max_chars=1_000_000))
    assert got.status == "failed" and "time cap" in got.reason and got.text == ""


def test_a_file_needing_more_memory_than_the_cap_is_too_large():
    # 100 MB of text in one XML element, under the unpacked cap: the process's memory is not
    big = samples.zip_bomb_docx(100_000_000)
    got = read(big, DOCX_TYPE, caps(max_unpacked=200_000_000, memory_mb=150))
    assert got.status == "too_large" and "150 MiB of memory" in got.reason


def test_a_pdf_stream_unpacking_beyond_pypdfs_limit_is_too_large():
    bomb = samples.pdf(contents=[b"BT /F1 12 Tf 72 712 Td (x) Tj ET" + b" " * 100_000_000], compress=True)
    assert len(bomb) < 200_000
    got = read(bomb, PDF_TYPE)
    assert got.status == "too_large" and "limit" in got.reason


@pytest.mark.parametrize(
    "data, content_type",
    [
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n", PDF_TYPE),  # no pages
        (b"%PDF-1.7\n" + b"\x8f\x00garbage" * 100, PDF_TYPE),  # corrupt
        (samples.pdf([ENGLISH])[:200], PDF_TYPE),  # cut short
        (b"PK\x03\x04 not really a zip", DOCX_TYPE),
        (samples.docx([], document_xml="<w:document><unclosed>"), DOCX_TYPE),  # bad XML
        (samples.docx(["x"])[:-30], DOCX_TYPE),  # the zip's directory cut off
        (
            samples.docx(
                [],
                document_xml='<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><d>&b;</d>',
            ),
            DOCX_TYPE,
        ),  # entities (billion laughs): never expanded
    ],
)
def test_a_corrupt_or_hostile_file_is_noted_failed_never_an_error(data, content_type):
    got = read(data, content_type)
    assert got.status in ("failed", "empty") and got.text == ""
    assert got.reason


def test_a_pdf_without_text_is_empty():
    got = read(samples.pdf(contents=[b"0 0 m 100 100 l S"]), PDF_TYPE)
    assert got.status == "empty" and "no text" in got.reason


def test_the_answer_of_the_process_is_checked_like_any_input(tmp_path):
    answer = tmp_path / "answer.json"
    answer.write_text('{"status": "extracted", "text": "a\\u0000b", "language": "<script>", "reason": 3}')
    got = extraction._answer(0, answer, CAPS)
    assert (got.status, got.text, got.language, got.reason) == ("extracted", "a b", None, "")
    answer.write_text('{"status": "owned"}')
    assert extraction._answer(0, answer, CAPS).status == "failed"
    answer.write_text("not json")
    assert extraction._answer(0, answer, CAPS).reason == "the reader gave no answer"
    assert extraction._answer(-24, answer, CAPS).reason.startswith("used more than")  # SIGXCPU
    assert "out of memory" in extraction._answer(-9, answer, CAPS).reason  # the OOM killer
    assert extraction._answer(1, answer, CAPS).status == "failed"


def test_every_status_is_a_word_of_the_contracts():
    assert set(vocabulary.DOCUMENT_TEXT_STATUSES) == {
        "extracted",
        "truncated",
        "empty",
        "too_large",
        "unsupported",
        "failed",
    }


# --- the queue ---------------------------------------------------------------------------------------


def statuses(world) -> dict:
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(DocumentVersion.number, DocumentVersion.text_status, DocumentVersion.text_reason)
        ).all()
    return {row.number: (row.text_status, row.text_reason) for row in rows}


def texts(world) -> list[dict]:
    return outbox_payloads(world.engine, ev.DOCUMENTS_DOCUMENT_TEXT_EXTRACTED.name)


def test_an_upload_waits_then_its_text_goes_out_in_the_event(world):
    doc = world.upload(world.member, name="procedure.pdf", data=samples.pdf([FRENCH]))
    assert statuses(world) == {1: ("pending", "")}
    assert texts(world) == []
    done = world.svc().extract_text()
    assert done == {"extracted": 1}
    assert statuses(world) == {1: ("extracted", "")}
    [sent] = texts(world)
    assert sent["document_id"] == doc["id"] and sent["community_id"] == "A" and sent["version"] == 1
    assert sent["name"] == "procedure.pdf" and sent["author_id"] == world.member.user_id
    assert sent["status"] == "extracted" and sent["language"] == "fr"
    assert "livraisons de pare-chocs" in sent["text"]
    assert world.svc().extract_text() == {}  # nothing left
    assert len(texts(world)) == 1
    (version,) = world.svc(world.member).get_document(document_id=doc["id"])["versions"]
    assert (version["text_status"], version["text_reason"]) == ("extracted", "")


def test_a_file_whose_text_is_not_read_is_noted_and_told(world, monkeypatch):
    monkeypatch.setenv("PARVIS_DOCUMENTS_TEXT_MAX_BYTES", "100")
    world.upload(world.member, name="big.pdf", data=samples.pdf([ENGLISH]))
    world.upload(world.member, name="photo.png", data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert world.svc().extract_text() == {"too_large": 1, "unsupported": 1}
    sent = {p["name"]: p for p in texts(world)}
    assert sent["big.pdf"]["status"] == "too_large" and sent["big.pdf"]["text"] == ""
    assert "more than 100" in sent["big.pdf"]["reason"]
    assert sent["photo.png"]["status"] == "unsupported"
    with world.engine.connect() as conn:
        kept = set(conn.execute(select(DocumentVersion.text_status)).scalars())
    assert kept == {"too_large", "unsupported"}


def test_only_the_latest_version_is_read(world):
    doc = world.upload(world.member, name="notes.txt", data=b"first text about bumpers")
    world.new_version(world.member, doc["id"], b"second text about windscreens")
    assert statuses(world)[1][0] == "skipped" and "version 2" in statuses(world)[1][1]
    assert world.svc().extract_text() == {"extracted": 1}
    [sent] = texts(world)
    assert sent["version"] == 2 and "windscreens" in sent["text"]
    world.svc(world.member).restore_version(document_id=doc["id"], number=1)  # old bytes, new version
    world.svc().extract_text()
    assert [(p["version"], "bumpers" in p["text"]) for p in texts(world)] == [(2, False), (3, True)]


def test_a_document_in_the_bin_waits_and_is_read_if_restored(world):
    doc = world.upload(world.member, name="notes.txt", data=b"text about bumpers")
    world.svc(world.member).delete_document(document_id=doc["id"])
    assert world.svc().extract_text() == {}
    assert statuses(world) == {1: ("pending", "")}
    world.svc(world.manager).restore_document(document_id=doc["id"])
    assert world.svc().extract_text() == {"extracted": 1}


def test_a_version_another_replica_holds_is_left_to_it_until_its_lease_ends(world, clock):
    world.upload(world.member, name="notes.txt", data=b"text about bumpers")
    with world.engine.begin() as conn:  # another replica claimed it a moment ago
        conn.execute(update(DocumentVersion).values(text_claimed_at=clock(), text_attempts=1))
    assert world.svc().extract_text() == {}
    clock.advance(seconds=extraction.lease(extraction.current_caps()).total_seconds() + 1)
    assert world.svc().extract_text() == {"extracted": 1}  # it died: taken again


def test_a_version_whose_extraction_never_ends_fails_after_a_few_tries(world, clock):
    world.upload(world.member, name="notes.txt", data=b"text about bumpers")
    with world.engine.begin() as conn:
        conn.execute(
            update(DocumentVersion).values(text_claimed_at=clock(), text_attempts=extraction.MAX_ATTEMPTS)
        )
    clock.advance(hours=1)
    assert world.svc().extract_text() == {"failed": 1}
    [sent] = texts(world)
    assert sent["status"] == "failed" and "interrupted 3 times" in sent["reason"] and sent["text"] == ""


def test_a_claim_lost_meanwhile_records_nothing(world, monkeypatch):
    world.upload(world.member, name="notes.txt", data=b"text about bumpers")
    real = extraction.extract_blob

    def slow(*args):
        outcome = real(*args)
        with world.engine.begin() as conn:  # its lease ended and another replica took it
            conn.execute(update(DocumentVersion).values(text_attempts=DocumentVersion.text_attempts + 1))
        return outcome

    monkeypatch.setattr(extraction, "extract_blob", slow)
    assert world.svc().extract_text() == {"raced": 1}
    assert texts(world) == [] and statuses(world)[1][0] == "pending"


def test_bytes_missing_from_the_store_are_noted_failed(world, store):
    doc = world.upload(world.member, name="notes.txt", data=b"text about bumpers")
    store.delete(doc["sha256"])
    assert world.svc().extract_text() == {"failed": 1}
    assert texts(world)[0]["reason"] == "the stored file could not be read"


def test_the_outbox_keeps_no_copy_of_the_text_once_published():
    kept = ev.kept_after_relay(
        ev.DOCUMENTS_DOCUMENT_TEXT_EXTRACTED, {"document_id": "d", "text": "secret plans"}
    )
    assert kept == {"document_id": "d", "text": None}


def test_a_tick_stops_after_its_batch_and_the_next_goes_on(world):
    for i in range(3):
        world.upload(world.member, name=f"n{i}.txt", data=f"text number {i}".encode())
    session = world.session()
    assert extraction.tick(session, world.store, world.clock, CAPS, batch=2) == {"extracted": 2}
    assert extraction.tick(session, world.store, world.clock, CAPS, batch=2) == {"extracted": 1}
    assert sorted(p["name"] for p in texts(world)) == ["n0.txt", "n1.txt", "n2.txt"]


def test_the_queue_reads_the_oldest_upload_first(world, clock):
    first = world.upload(world.member, name="a.txt", data=b"first")
    clock.advance(minutes=1)
    world.upload(world.member, name="b.txt", data=b"second")
    session = world.session()
    assert extraction.tick(session, world.store, world.clock, CAPS, batch=1) == {"extracted": 1}
    assert [p["document_id"] for p in texts(world)] == [first["id"]]  # the oldest upload first


def test_the_upgrade_queues_each_documents_latest_version_and_skips_the_older(tmp_path):
    from sqlalchemy import text

    from parvis_contracts.db import make_engine
    from parvis_contracts.migrations import upgrade
    from tests.support import Databases, use_postgresql

    dbs = Databases(tmp_path)
    url = dbs.url("documents") if use_postgresql() else f"sqlite:///{tmp_path}/documents-0005.db"
    try:
        upgrade("documents", url, "0004")
        engine = make_engine(url)
        now = "2026-06-01 09:00:00+00:00"
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO documents (id, community_id, folder_key, name, name_key, live_key, version,"
                    " sha256, size, content_type, created_at, created_by, updated_at, updated_by)"
                    " VALUES ('d1', 'A', '', 'a.txt', 'a.txt', 'a.txt', 2, :h, 1, 'text/plain',"
                    " :t, 'u', :t, 'u')"
                ),
                {"h": "0" * 64, "t": now},
            )
            for number in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO document_versions (document_id, number, sha256, size, content_type,"
                        " inline, filename, comment, author_id, created_at)"
                        " VALUES ('d1', :n, :h, 1, 'text/plain', false, 'a.txt', '', 'u', :t)"
                    ),
                    {"n": number, "h": "0" * 64, "t": now},
                )
        upgrade("documents", url)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT number, text_status, text_attempts FROM document_versions ORDER BY number")
            ).all()
        engine.dispose()
        assert [tuple(r) for r in rows] == [(1, "skipped", 0), (2, "pending", 0)]
    finally:
        dbs.drop_all()
