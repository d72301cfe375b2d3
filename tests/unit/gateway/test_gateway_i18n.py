"""Locale choice and catalogue compilation of the web UI."""

import os
import shutil
import time

import pytest
from babel.messages.mofile import read_mo

from gateway import i18n


@pytest.mark.parametrize(
    "args, expected",
    [
        ({}, "en"),
        ({"accept_best": "de"}, "de"),
        ({"preferred": "es", "accept_best": "de"}, "es"),
        ({"cookie": "fr", "preferred": "es", "accept_best": "de"}, "fr"),
        ({"query": "de", "cookie": "fr", "preferred": "es"}, "de"),
        ({"query": "xx", "cookie": "fr"}, "fr"),  # unsupported query value ignored
        ({"preferred": "pt", "accept_best": "es"}, "es"),  # unsupported preference ignored
        ({"query": "FR-ca"}, "fr"),
        ({"cookie": "de_AT"}, "de"),
    ],
)
def test_select_locale_precedence(args, expected):
    assert i18n.select_locale(**args) == expected


def test_normalise_language():
    assert i18n.normalise_language(" es-MX ") == "es"
    assert i18n.normalise_language("") is None
    assert i18n.normalise_language(None) is None
    assert i18n.normalise_language("klingon") is None


def test_every_language_has_a_complete_catalogue():

    ids = None
    for lang in i18n.LANGUAGES:
        catalog = i18n.read_catalog(i18n.TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po")
        messages = {m.id: m.string for m in catalog if m.id}
        assert messages, lang
        assert all(messages.values()), f"untranslated strings in {lang}"
        assert not [m.id for m in catalog if m.id and m.fuzzy], lang
        ids = ids or set(messages)
        assert set(messages) == ids, f"{lang} has different strings"


def test_compile_catalogs_writes_mo_when_missing_or_stale(tmp_path):
    shutil.copytree(i18n.TRANSLATIONS_DIR, tmp_path / "t", ignore=shutil.ignore_patterns("*.mo"))
    root = tmp_path / "t"
    assert len(i18n.stale_catalogs(root)) == len(i18n.LANGUAGES)
    written = i18n.compile_catalogs(root)
    assert len(written) == len(i18n.LANGUAGES)
    assert i18n.stale_catalogs(root) == []
    assert i18n.compile_catalogs(root) == []  # nothing stale, nothing written

    po = root / "fr" / "LC_MESSAGES" / "messages.po"
    later = time.time() + 10
    os.utime(po, (later, later))
    assert i18n.stale_catalogs(root) == [po]
    assert i18n.compile_catalogs(root) == [po.with_suffix(".mo")]
    with po.with_suffix(".mo").open("rb") as fh:
        catalog = read_mo(fh)
    assert catalog.get("People").string == "Personnes"


def test_a_feature_part_is_merged_and_makes_the_catalogue_stale(tmp_path):
    shutil.copytree(i18n.TRANSLATIONS_DIR, tmp_path / "t", ignore=shutil.ignore_patterns("*.mo"))
    root = tmp_path / "t"
    i18n.compile_catalogs(root)
    part = root / "fr" / "parts" / "zz-test.po"
    part.parent.mkdir(exist_ok=True)
    part.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Only in a part"\nmsgstr "Seulement dans une partie"\n',
        encoding="utf-8",
    )
    later = time.time() + 10
    os.utime(part, (later, later))
    main = root / "fr" / "LC_MESSAGES" / "messages.po"
    assert i18n.stale_catalogs(root) == [main]
    i18n.compile_catalogs(root)
    with main.with_suffix(".mo").open("rb") as fh:
        catalog = read_mo(fh)
    assert catalog.get("Only in a part").string == "Seulement dans une partie"
    assert catalog.get("People").string == "Personnes"


def test_every_ui_string_of_the_code_is_in_the_catalogues():
    """A string added to a template or view without its translations fails here."""
    from babel.messages.extract import extract_from_dir

    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    found = {
        message
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(i18n.TRANSLATIONS_DIR.parent), method_map
        )
    }
    found = {m if isinstance(m, str) else m[0] for m in found}
    assert "People" in found and "Welcome, %(name)s!" in found
    for lang in i18n.LANGUAGES:
        known = {
            m.id if isinstance(m.id, str) else m.id[0]  # a plural message: (singular, plural)
            for m in i18n.read_catalog(i18n.TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po")
            if m.id
        }
        assert found <= known, f"{lang}: missing {sorted(found - known)}"
