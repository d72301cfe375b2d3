"""Words as the index and the query see them (services/search/text.py): folding, stemming
by the text's language, Markdown to plain text, the query parser and the snippets."""

from __future__ import annotations

import pytest

from parvis_contracts.errors import ValidationFailed
from services.search import text
from services.search.limits import (
    ELLIPSIS,
    MARK_END,
    MARK_START,
    QUERY_MAX_CHARS,
    QUERY_MAX_WORDS,
    TOKEN_MAX_CHARS,
    UNSTEMMED,
)


def indexed(words: str, language) -> str:
    return text.terms(words, text.stemmed_as(language))


# --- folding and stemming ----------------------------------------------------------------------


def test_case_and_accents_are_folded():
    assert text.fold("Retardées ÉCOLE Straße") == "retardees ecole strasse"
    assert " ".join(text.words("L'entrepôt n°3, pare-chocs_avant!")) == "l entrepot n 3 pare chocs avant"


def test_french_plural_and_feminine_forms_give_the_same_terms():
    assert indexed("livraisons retardées", "fr") == indexed("livraison retardée", "fr")
    # typed without accents, as people do
    assert indexed("LIVRAISONS RETARDEES", "fr") == indexed("livraison retardée", "fr")


@pytest.mark.parametrize(
    "language, one, other",
    [
        ("de", "hydraulischen Bremsen", "hydraulische Bremse"),
        ("de", "Lieferungen Straße", "Lieferung Strasse"),
        ("es", "entregas retrasadas", "entrega retrasada"),
        ("es", "reparaciones del camión", "reparación del camion"),
        ("it", "consegne ritardate", "consegna ritardata"),
        ("pt", "entregas atrasadas", "entrega atrasada"),
        ("nl", "vertraagde leveringen", "vertraagde levering"),
        ("en", "repairing bumpers", "repair bumper"),
    ],
)
def test_each_language_is_stemmed_with_its_own_algorithm(language, one, other):
    assert indexed(one, language) == indexed(other, language)


def test_a_region_or_script_subtag_keeps_the_language():
    assert text.stemmed_as("fr-CA") == "fr" and text.stemmed_as("pt_BR") == "pt"
    assert indexed("livraisons", "fr-CA") == indexed("livraison", "fr")


@pytest.mark.parametrize("language", [None, "", "ja", "xx-YY", "not a language", 42])
def test_an_unknown_language_is_folded_but_not_stemmed(language):
    assert text.stemmed_as(language) == UNSTEMMED
    assert indexed("Livraisons Retardées", language) == "livraisons retardees"


def test_tokens_longer_than_any_word_are_not_indexed():
    assert text.words("a" * (TOKEN_MAX_CHARS + 1) + " ok") == ["ok"]


# --- Markdown to plain text --------------------------------------------------------------------


def test_plain_text_keeps_the_words_and_drops_the_markup():
    source = (
        "# Titre\n\n> cité\n\n- **Gras** et _italique_ `code`\n"
        "@[Louise Martin](p-1) voir [la procédure](https://x/y) ![schéma](https://x/i.png) "
        "<b>balise</b> snake_case \ue000marque\ue001"
    )
    assert text.plain(source) == (
        "Titre cité Gras et italique code @Louise Martin voir la procédure schéma balise snake_case marque"
    )


# --- the query ---------------------------------------------------------------------------------


def test_words_phrases_and_exclusions():
    q = text.parse('livraisons "retardées du mois" -annulées -"hors délai"')
    assert q.required == (("livraisons",), ("retardees", "du", "mois"))
    assert q.excluded == (("annulees",), ("hors", "delai"))


def test_a_word_joined_by_punctuation_is_a_phrase():
    assert text.parse("pare-chocs l'entrepôt").required == (("pare", "chocs"), ("l", "entrepot"))


@pytest.mark.parametrize(
    "typed, required",
    [
        ('"unbalanced quote', (("unbalanced",), ("quote",))),
        ('bumper "repair', (("bumper",), ("repair",))),
        ("NEAR(bumper repair)", (("near", "bumper"), ("repair",))),
        ("bump* ^repair", (("bump",), ("repair",))),
        ("title:bumper (a OR b)", (("title", "bumper"), ("a",), ("or",), ("b",))),
        ("bumper AND NOT repair", (("bumper",), ("and",), ("not",), ("repair",))),
        ("bumper & !repair | x <-> y", (("bumper",), ("repair",), ("x",), ("y",))),
        ("{title_terms terms} : bumper", (("title", "terms"), ("terms",), ("bumper",))),
        ("bumper\x01repair\x7f", (("bumper", "repair"),)),
        ("'; DROP TABLE search_items; --", (("drop",), ("table",), ("search", "items"))),
    ],
)
def test_engine_syntax_is_only_words(typed, required):
    assert text.parse(typed).required == required


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Type at least one word to look for."),
        ("   ", "Type at least one word to look for."),
        ('***  ^  ""  ( )', "Type at least one word to look for."),
        ("-annulées", "Type at least one word to look for."),
        ("x" * 10_000, f"A search is at most {QUERY_MAX_CHARS} characters."),
        (" ".join(["mot"] * (QUERY_MAX_WORDS + 1)), f"A search is at most {QUERY_MAX_WORDS} words."),
        (None, "Type what to look for."),
        (["bumper"], "Type what to look for."),
    ],
)
def test_a_query_with_nothing_to_look_for_or_too_much_is_refused(typed, message):
    with pytest.raises(ValidationFailed) as refused:
        text.parse(typed)
    assert refused.value.details == {"query": [message]}


def test_a_nul_byte_only_separates_words():
    # the RPC refuses it before (parvis_contracts.schemas.load); the parser never passes it on
    assert text.parse("bumper\x00repair").required == (("bumper", "repair"),)


def test_a_word_both_wanted_and_excluded_is_wanted():
    assert text.parse("bumper -bumper").excluded == ()


def test_languages_that_stem_the_query_alike_share_a_branch():
    branches = text.parse("livraisons retardées").branches()
    by_language = {tag: b for b in branches for tag in b.languages}
    assert by_language["fr"].required == (("livraison",), ("retarde",))
    assert by_language[UNSTEMMED].required == (("livraisons",), ("retardees",))
    assert len(branches) < len(by_language)  # grouped, each language once
    assert sorted(by_language) == sorted({*text.STEMMERS, UNSTEMMED})


# --- snippets ----------------------------------------------------------------------------------


def marked(word: str) -> str:
    return f"{MARK_START}{word}{MARK_END}"


def test_the_snippet_marks_every_form_of_the_words_in_the_texts_language():
    q = text.parse("livraison retardee")
    got = text.snippet("Les livraisons retardées du mois: une livraison.", q.marks("fr"), "fr")
    assert got == f"Les {marked('livraisons')} {marked('retardées')} du mois: une {marked('livraison')}."


def test_a_long_text_is_cut_around_the_first_match():
    body = "avant " * 100 + "Les livraisons retardées " + "après " * 100
    got = text.snippet(body, text.parse("livraison").marks("fr"), "fr", size=120)
    assert got.startswith(ELLIPSIS) and got.endswith(ELLIPSIS)
    assert marked("livraisons") in got and len(got) <= 120 + 2 * len(ELLIPSIS) + 2


def test_without_a_match_the_snippet_is_the_start_of_the_text():
    got = text.snippet("Procédure " * 50, text.parse("carrosserie").marks("fr"), "fr", size=40)
    assert got == "Procédure Procédure Procédure Procédure" + ELLIPSIS


def test_a_text_never_brings_marks_of_its_own():
    got = text.snippet(f"faux {MARK_START}livraison{MARK_END} vrai", frozenset({"vrai"}), UNSTEMMED)
    assert got == f"faux livraison {marked('vrai')}"
