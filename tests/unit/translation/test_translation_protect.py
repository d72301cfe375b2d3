"""Protected spans and Markdown structure, independent of any engine."""

from __future__ import annotations

from services.translation import protect
from services.translation.backends.base import Route
from services.translation.backends.memory import MemoryBackend
from services.translation.translator import translate_document

SOURCE = (
    "## Le rapport\n"
    "\n"
    "Bonjour @[Jean Dupont](u-42), voici le **rapport** sur https://example.com/a?b=1.\n"
    "Écrivez à marie@example.com, lisez `le rapport` et rapport_final.pdf #projet @jean.dupont\n"
    '- Le [grand lien](https://x.y/le "le titre") et le Parvis Cloud\n'
    "> le rapport | le projet & a < b\n"
    "\n"
    "```\n"
    "le rapport\n"
    "```\n"
)
UPPER = MemoryBackend(
    {
        ("fr", "en"): {
            "le": "the",
            "rapport": "report",
            "bonjour": "hello",
            "voici": "here",
            "sur": "on",
            "grand": "big",
            "lien": "link",
            "projet": "project",
            "et": "and",
        }
    }
)
ROUTE = Route("memory", ("fr", "en"))


def spans_of(doc):
    return [s.original for s in doc.spans]


def test_protected_spans_are_found():
    doc = protect.protect(SOURCE, (protect.Term("Parvis Cloud"),))
    spans = spans_of(doc)
    for expected in [
        "@[Jean Dupont](u-42)",
        "https://example.com/a?b=1",
        "marie@example.com",
        "`le rapport`",
        "rapport_final.pdf",
        "#projet",
        "@jean.dupont",
        "Parvis Cloud",
        '](https://x.y/le "le titre")',
        "**",
    ]:
        assert expected in spans, expected
    # the code block and the block syntax are never handed to the engine
    sent = " ".join(protect.render(u, "xml", doc.spans) for u in doc.units)
    assert "```" not in sent and "## " not in sent and "- " not in sent.split("<")[0]
    assert "u-42" not in sent and "example.com" not in sent


def test_nothing_changes_without_translation():
    doc = protect.protect(SOURCE, (protect.Term("Parvis Cloud"),))
    assert protect.assemble(doc, {}) == SOURCE


def test_translation_keeps_spans_and_markdown_structure():
    doc = protect.protect(SOURCE, (protect.Term("Parvis Cloud"),))
    out = translate_document(doc, UPPER, ROUTE)
    assert out.startswith(
        "## The report\n\nHello @[Jean Dupont](u-42), here the **report** on https://example.com/a?b=1.\n"
    )
    assert "`le rapport`" in out and "rapport_final.pdf #projet @jean.dupont" in out
    assert '- The [big link](https://x.y/le "le titre") and the Parvis Cloud\n' in out
    assert "> the report | the project & a < b\n" in out
    assert out.endswith("```\nle rapport\n```\n")


def test_forced_translation_replaces_a_glossary_term():
    doc = protect.protect(
        "le Parvis Cloud et le rapport", (protect.Term("parvis cloud", replacement="Nuage Parvis"),)
    )
    assert translate_document(doc, UPPER, ROUTE) == "the Nuage Parvis and the report"


def test_case_sensitive_terms_match_only_their_case():
    doc = protect.protect("Apple et apple", (protect.Term("Apple", case_sensitive=True),))
    assert [s.original for s in doc.spans] == ["Apple"]


def test_a_lost_placeholder_falls_back_to_segments_without_losing_spans():
    engine = MemoryBackend({("fr", "en"): {"le": "the", "rapport": "report"}})
    engine.postprocess = lambda text: text.replace('<x id="0"/>', "x id=0/>")
    doc = protect.protect("le rapport @[Jean Dupont](u-42) le rapport")
    out = translate_document(doc, engine, ROUTE)
    assert out == "the report @[Jean Dupont](u-42) the report"
    # first call with placeholders, second one segment by segment
    assert len(engine.calls) == 2 and engine.calls[1][1] == ["le rapport", "le rapport"]


def test_bracket_placeholders_for_plain_text_engines():
    engine = MemoryBackend({("fr", "en"): {"le": "the"}}, placeholder="bracket")
    doc = protect.protect("le [[1]] et @[A](b) le **le**")
    out = translate_document(doc, engine, ROUTE)
    assert out == "the [[1]] et @[A](b) the **the**"
    assert "[[" in engine.calls[0][1][0]


def test_html_like_text_is_escaped_for_xml_engines():
    doc = protect.protect('a <x id="0"/> & <b>')
    assert protect.render(doc.units[0], "xml", doc.spans) == 'a &lt;x id="0"/&gt; &amp; &lt;b&gt;'
    out = translate_document(doc, UPPER, ROUTE)
    assert out == 'a <x id="0"/> & <b>'


def test_engine_moving_spaces_inside_markup_is_repaired():
    doc = protect.protect("le **rapport** sur")
    unit = doc.units[0]
    assert protect.restore(unit, 'the <b id="0"> report</b> on', doc.spans, "xml") == "the **report** on"
    # an emptied pair loses its markup, never its words
    assert protect.restore(unit, 'the report <b id="0"></b> on', doc.spans, "xml") == "the report on"
    assert protect.restore(unit, "the report on", doc.spans, "xml") is None


def test_an_emptied_link_falls_back_to_segments_and_keeps_its_target():
    doc = protect.protect("et le [lien](https://example.com/le)")
    unit = doc.units[0]
    assert protect.restore(unit, 'i l\'enllaç. <a id="0"></a>', doc.spans, "xml") is None
    engine = MemoryBackend({("fr", "en"): {"le": "the", "lien": "link", "et": "and"}})
    engine.postprocess = lambda text: text.replace('<a id="0">link</a>', 'link <a id="0"></a>')
    out = translate_document(doc, engine, ROUTE)
    assert out == "and the [link](https://example.com/le)"
