"""Words, as the index and the query see them: folded, stemmed by the text's language.

One function turns text into the terms both engines index (:func:`terms`): case folded,
accents folded (NFKD, combining marks dropped), cut into tokens of letters and digits,
each stemmed with the Snowball algorithm of the text's language (``limits.STEMMERS``;
another language, or none, is folded but not stemmed). Folding comes before stemming,
so a word typed without its accents ("retardees") meets the accented one ("retardées").
The engines only ever see these terms, separated by spaces: stemming is done here for
both, and both find the same things.

The language of a query is unknown, so a query is stemmed in every language
(:meth:`Query.branches`): a text is matched with the query's stems in its own language
(its ``stemmed_as``), never with another's (German "Bumper" is "bump", which an English
"bump" must not answer).

:func:`parse` turns what a person types into a :class:`Query` of words and phrases, in
which nothing can reach an engine as syntax: plain words (all of them must match),
``"quoted phrases"``, ``-word`` or ``-"phrase"`` to leave out. Everything else, the
operators of FTS5 or tsquery included, only separates words; an unbalanced quote is
read as plain words. A query too long, with too many words or with no word to look for
is refused with ``ValidationFailed`` (422).

:func:`plain` makes readable text of a Markdown source and :func:`snippet` cuts the
part of it around the first match, the match between ``MARK_START`` and ``MARK_END``.

What this room must not touch: the database, the service, the events.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata
from dataclasses import dataclass

import snowballstemmer

from parvis_contracts.errors import ValidationFailed
from parvis_contracts.markdown import MENTION_RE

from .limits import (
    ELLIPSIS,
    MARK_END,
    MARK_START,
    QUERY_MAX_CHARS,
    QUERY_MAX_WORDS,
    SNIPPET_CHARS,
    STEMMERS,
    TEXT_INDEXED_MAX,
    TOKEN_MAX_CHARS,
    UNSTEMMED,
)

#: a token: a run of letters and digits (the underscore is a separator)
TOKEN = re.compile(r"[^\W_]+")

# --- folding and stemming -----------------------------------------------------------------


def fold(text: str) -> str:
    """Case and accents folded: "Retardées" -> "retardees", "Straße" -> "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded tokens of ``text`` (longer ones than ``TOKEN_MAX_CHARS`` are dropped)."""
    return [w for w in TOKEN.findall(fold(text)) if len(w) <= TOKEN_MAX_CHARS]


_PRIMARY = re.compile(r"[a-z]{2,8}")


def primary_language(code) -> str | None:
    """The primary subtag of a language tag ("fr", "fr-CA", "pt_BR"), or None."""
    if not isinstance(code, str):
        return None
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return primary if _PRIMARY.fullmatch(primary) else None


def language_of(code) -> str | None:
    """The stemmed language of a language tag, or None (not one of ``STEMMERS``)."""
    primary = primary_language(code)
    return primary if primary in STEMMERS else None


class _Stemmers(threading.local):
    """Snowball stemmers keep the word being stemmed on themselves: one per thread."""

    def __init__(self):
        self.by_language: dict[str, object] = {}

    def get(self, language: str):
        found = self.by_language.get(language)
        if found is None:
            found = self.by_language[language] = snowballstemmer.stemmer(STEMMERS[language])
        return found


_STEMMERS = _Stemmers()


@functools.lru_cache(maxsize=65536)
def stem(language: str | None, word: str) -> str:
    """``word`` (already folded) stemmed in ``language`` (None: as it is)."""
    if language is None:
        return word
    return _STEMMERS.get(language).stemWord(word) or word


def stemmed_as(language) -> str:
    """The tag of how a text of ``language`` is stemmed: a key of ``STEMMERS``, or
    ``UNSTEMMED``."""
    return language_of(language) or UNSTEMMED


def _algorithm(stemmed: str) -> str | None:
    """The language to stem with for a ``stemmed_as`` tag (None: ``UNSTEMMED``)."""
    return stemmed if stemmed in STEMMERS else None


def terms(text: str, stemmed: str) -> str:
    """What the engines index for ``text`` stemmed as ``stemmed`` (:func:`stemmed_as`):
    its stems, in order, separated by spaces."""
    language = _algorithm(stemmed)
    return " ".join(stem(language, w) for w in words(text[:TEXT_INDEXED_MAX]))


# --- Markdown to plain text -----------------------------------------------------------------

_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,200}>")
_LINE_MARKUP = re.compile(r"^[ \t]*(?:#{1,6}|>+|[-*+]|\d{1,9}[.)])[ \t]+", re.MULTILINE)
_EMPHASIS = re.compile(r"[*`~|]+|(?<!\w)_+|_+(?!\w)")
_MARKS = re.compile(f"[{MARK_START}{MARK_END}]")


def plain(markdown: str) -> str:
    """Readable text of a Markdown source: mentions as "@Name", links as their text, no
    markup, blanks collapsed, and never a highlighting mark of its own."""
    text = unicodedata.normalize("NFC", markdown or "")
    text = _MARKS.sub("", text)
    text = MENTION_RE.sub(lambda m: f"@{m.group(1)}", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _LINE_MARKUP.sub("", text)
    text = _EMPHASIS.sub("", text)
    return " ".join(text.split())


# --- the query -----------------------------------------------------------------------------

#: a phrase: folded words in order (a plain word is a phrase of one)
Phrase = tuple[str, ...]


def _refuse(message: str):
    raise ValidationFailed("The request is not valid.", {"query": [message]})


@dataclass(frozen=True)
class Branch:
    """The query as it reads in texts stemmed as one of ``languages`` (their
    ``stemmed_as``): its phrases in those languages' stems. Languages whose stems of the
    query are the same share one branch."""

    languages: tuple[str, ...]
    required: tuple[Phrase, ...]
    excluded: tuple[Phrase, ...]

    @property
    def title(self) -> str:
        """The title terms that are exactly the query's words."""
        return " ".join(w for phrase in self.required for w in phrase)


@dataclass(frozen=True)
class Query:
    """What to look for: every ``required`` phrase, none of the ``excluded`` ones (folded
    words, not stemmed: the language of a query is unknown)."""

    required: tuple[Phrase, ...]
    excluded: tuple[Phrase, ...] = ()

    def branches(self) -> tuple[Branch, ...]:
        """The query in each language a text may be stemmed as (``UNSTEMMED`` included):
        a text matches the branch of its own language, never another's stems."""
        grouped: dict[tuple, list[str]] = {}
        for tag in (*sorted(STEMMERS), UNSTEMMED):
            language = _algorithm(tag)
            key = (
                tuple(tuple(stem(language, w) for w in p) for p in self.required),
                tuple(tuple(stem(language, w) for w in p) for p in self.excluded),
            )
            grouped.setdefault(key, []).append(tag)
        return tuple(Branch(tuple(tags), req, exc) for (req, exc), tags in grouped.items())

    def matches(self, terms: str, stemmed_as: str) -> bool:
        """Whether ``terms`` (what :func:`terms` made of a text stemmed as ``stemmed_as``)
        hold every required phrase of the query in that language, and no excluded one."""
        padded = f" {terms} "
        for branch in self.branches():
            if stemmed_as in branch.languages:

                def holds(phrase, padded=padded):
                    return f" {' '.join(phrase)} " in padded

                return all(holds(p) for p in branch.required) and not any(holds(p) for p in branch.excluded)
        return False

    def marks(self, stemmed_as: str) -> frozenset[str]:
        """The stems a snippet highlights in a text stemmed as ``stemmed_as``."""
        language = _algorithm(stemmed_as)
        return frozenset(stem(language, w) for phrase in self.required for w in phrase)


def _chunks(raw: str):
    """(excluded?, text) for each term of what was typed, left to right."""
    i, n = 0, len(raw)
    while i < n:
        if raw[i].isspace():
            i += 1
            continue
        negated = raw[i] == "-" and i + 1 < n and not raw[i + 1].isspace()
        if negated:
            i += 1
        if raw[i] == '"':
            close = raw.find('"', i + 1)
            if close < 0:  # unbalanced: the rest is plain words
                for rest in raw[i + 1 :].split():
                    yield False, rest
                return
            yield negated, raw[i + 1 : close]
            i = close + 1
            continue
        end = i
        while end < n and not raw[end].isspace() and raw[end] != '"':
            end += 1
        yield negated, raw[i:end]
        i = end


def parse(raw) -> Query:
    """The query in what a person typed, or ``ValidationFailed`` (see the module's doc)."""
    if not isinstance(raw, str):
        _refuse("Type what to look for.")
    if len(raw) > QUERY_MAX_CHARS:
        _refuse(f"A search is at most {QUERY_MAX_CHARS} characters.")
    required: dict[Phrase, None] = {}
    excluded: dict[Phrase, None] = {}
    count = 0
    for negated, typed in _chunks(raw):
        phrase = tuple(words(typed))
        count += len(phrase)
        if phrase:
            (excluded if negated else required).setdefault(phrase, None)
    if count > QUERY_MAX_WORDS:
        _refuse(f"A search is at most {QUERY_MAX_WORDS} words.")
    if not required:
        _refuse("Type at least one word to look for.")
    return Query(tuple(required), tuple(p for p in excluded if p not in required))


# --- snippets ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _token_stems(language: str | None, token: str) -> tuple[str, ...]:
    return tuple(stem(language, w) for w in words(token))


def _matches(text: str, marks: frozenset[str], stemmed: str):
    """The spans of the words of ``text`` whose stem is in ``marks``, in order, found as
    they are asked for (a snippet stops after its window: a document's text is long)."""
    language = _algorithm(stemmed)
    for m in TOKEN.finditer(text):
        if any(s in marks for s in _token_stems(language, m.group())):
            yield m.span()


def snippet(text: str, marks: frozenset[str], stemmed: str, size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters of ``text`` (plain text) around its first word whose stem
    (stemmed as ``stemmed``) is in ``marks``, each such word between ``MARK_START`` and
    ``MARK_END``; the start of the text when no word matches (the match was in the title)."""
    text = _MARKS.sub("", text)
    found = _matches(text, marks, stemmed)
    first = next(found, None)
    start = 0
    if first is not None and first[1] > size:
        start = max(0, first[0] - size // 4)
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else 0
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    out, at = [], start
    # the first match and those after it, up to the window's end (none is before ``start``)
    for s, e in itertools.chain([first], found) if first is not None else ():
        if e > end:
            break
        out += [text[at:s], MARK_START, text[s:e], MARK_END]
        at = e
    out.append(text[at:end])
    return (ELLIPSIS if start else "") + "".join(out) + (ELLIPSIS if end < len(text) else "")
