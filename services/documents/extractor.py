"""The text inside one file: the program the extraction process runs (one process a file).

Run by ``extraction.run_extractor`` as ``python -I extractor.py '<caps as JSON>'``, with
the file on its standard input (a regular file, so it can seek) and its answer, one JSON
object, on its standard output::

    {"status": "extracted", "reason": "", "text": "...", "language": "fr", "pages": 3}

It first limits itself (``resource``): address space, CPU seconds, the size of any file
it writes (its answer included), open files; the parent kills it after the wall-clock
cap. Then it reads, by the kind the parent names:

* ``pdf``: ``pypdf``, page by page; more pages than the cap: ``too_large``; encrypted
  (and not openable with the empty password) or unreadable: ``failed``;
* ``docx``, ``pptx``, ``xlsx``, ``odt``, ``ods``, ``odp``: the XML inside the zip, read
  with ``defusedxml`` (no entity expansion, no external resource), after checking the
  uncompressed sizes the zip declares, and counting the bytes really unpacked (a zip that
  lies about its sizes is caught too); more than the unpacked cap: ``too_large``; more
  pages (as the file declares them), sheets or slides than the cap: ``too_large``;
* ``text`` (TXT, Markdown, CSV and the other text types the bank records as
  ``text/plain``): decoded as UTF-8 (UTF-16 with a byte-order mark), else Windows-1252.

The text kept is at most ``max_chars`` characters (``truncated`` beyond), control
characters and NUL removed, NFC; its language is recognised with ``lingua`` (small
models) among ``languages``, if one stands out.

Standard library, ``pypdf``, ``defusedxml`` and ``lingua`` only: no import of the
platform's code, so what a hostile file may reach here is this file and those libraries,
inside the limits.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import logging
import os
import re
import resource
import sys
import unicodedata
import warnings
import zipfile

#: the exit status of a process that ran out of memory (the parent says ``too_large``)
MEMORY_EXIT = 3
#: the exit status of a process given arguments it does not understand
USAGE_EXIT = 2
#: what the parent's caps must say
REQUIRED_CAPS = (
    "kind",
    "max_chars",
    "max_pages",
    "max_unpacked",
    "memory_bytes",
    "cpu_seconds",
    "output_bytes",
)

#: entries a zip may list (a real office file has tens to a few thousands)
ZIP_ENTRIES_MAX = 20_000
#: characters of the text the language is recognised on
LANGUAGE_SAMPLE = 20_000
#: the smallest confidence at which a language is taken
LANGUAGE_CONFIDENCE = 0.5


class TooLarge(Exception):
    """Beyond a cap: the file is indexed by its name only."""


class Unreadable(Exception):
    """The file cannot be read: corrupt, encrypted, not what its type says."""


class Full(Exception):
    """The text reached ``max_chars``: reading stops there."""


# --- limits --------------------------------------------------------------------------------


def limit_self(caps: dict) -> None:
    """Limit this process before it reads a byte of the file."""

    def cap(which, soft, hard=None):
        # a limit above the hard one already set cannot be: that one stays
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, (soft, soft if hard is None else hard))

    # under the memory pressure of its container, the kernel kills this process first
    with contextlib.suppress(OSError):
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    cap(resource.RLIMIT_AS, caps["memory_bytes"])
    cap(resource.RLIMIT_CPU, caps["cpu_seconds"], caps["cpu_seconds"] + 1)
    cap(resource.RLIMIT_FSIZE, caps["output_bytes"])
    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_NOFILE, 64)


# --- the text --------------------------------------------------------------------------------

#: control characters but tab and newline (NUL included: PostgreSQL's text refuses it),
#: lone surrogates, and the private use area the search marks its matches with
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff]")
_BLANKS = re.compile(r"[ \t\r\f\v\u00a0]+")
_LINES = re.compile(r"\n{3,}")


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _UNWANTED.sub(" ", text)
    text = _BLANKS.sub(" ", text)
    return _LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()


class Text:
    """The text read so far, up to ``max_chars`` characters."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def add(self, piece: str) -> None:
        if not piece:
            return
        room = self.max_chars - self.size
        if len(piece) > room:
            self.parts.append(piece[:room])
            self.size = self.max_chars
            self.truncated = True
            raise Full
        self.parts.append(piece)
        self.size += len(piece)

    def line(self, piece: str) -> None:
        piece = piece.strip()
        if piece:
            self.add(piece + "\n")

    def result(self) -> str:
        text = clean("".join(self.parts))
        return text[: self.max_chars]


# --- PDF ----------------------------------------------------------------------------------------


def read_pdf(fileobj, caps: dict, out: Text) -> int:
    try:
        return _read_pdf(fileobj, caps, out)
    except Exception as exc:
        from pypdf.errors import LimitReachedError

        if isinstance(exc, LimitReachedError):  # pypdf's own cap on an unpacked stream
            raise TooLarge("a stream of the PDF unpacks to more than pypdf's limit") from None
        raise


def _read_pdf(fileobj, caps: dict, out: Text) -> int:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(fileobj, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # an algorithm pypdf cannot run without optional packages
                opened = 0
            if not opened:
                raise Unreadable("the PDF is encrypted")
        pages = len(reader.pages)
    except (PdfReadError, FileNotDecryptedError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise Unreadable(f"not a readable PDF ({type(exc).__name__})") from None
    if pages > caps["max_pages"]:
        raise TooLarge(f"{pages} pages, more than {caps['max_pages']}")
    for number in range(pages):
        try:
            page_text = reader.pages[number].extract_text() or ""
        except (PdfReadError, FileNotDecryptedError) as exc:
            raise Unreadable(f"page {number + 1} is not readable ({type(exc).__name__})") from None
        out.add(page_text)
        out.add("\n\n")
    return pages


# --- zips of XML (OOXML, OpenDocument) -----------------------------------------------------------


class Unpacked(io.RawIOBase):
    """A member of the zip, read through a count of the bytes really unpacked: past the
    budget (what is left of ``max_unpacked``), or past the size the zip declared, it stops."""

    def __init__(self, raw, budget: Budget, declared: int):
        self.raw = raw
        self.budget = budget
        self.left = declared

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(min(len(buffer), 1 << 16))
        if len(data) > self.left:
            raise TooLarge("the zip unpacks to more than it declares")
        self.left -= len(data)
        self.budget.spend(len(data))
        buffer[: len(data)] = data
        return len(data)


class Budget:
    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def check(self, declared: int) -> None:
        if self.used + declared > self.limit:
            raise TooLarge(f"unpacks to more than {self.limit} bytes")

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise TooLarge(f"unpacks to more than {self.limit} bytes")


class Package:
    """An office file's zip, opened after a look at what it declares."""

    def __init__(self, fileobj, caps: dict):
        try:
            self.zip = zipfile.ZipFile(fileobj)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
            raise Unreadable(f"not a readable zip ({type(exc).__name__})") from None
        if len(infos) > ZIP_ENTRIES_MAX:
            raise TooLarge(f"{len(infos)} entries in the zip, more than {ZIP_ENTRIES_MAX}")
        self.members = {info.filename: info for info in infos}
        self.budget = Budget(caps["max_unpacked"])
        declared = sum(info.file_size for info in infos if info.filename.endswith((".xml", ".rels")))
        self.budget.check(declared)

    def has(self, name: str) -> bool:
        return name in self.members

    def open(self, name: str):
        info = self.members.get(name)
        if info is None:
            raise Unreadable(f"{name} is missing")
        if info.flag_bits & 0x1:
            raise Unreadable("the file is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Unreadable(f"{name} is compressed in an unexpected way")
        self.budget.check(info.file_size)
        try:
            raw = self.zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
            raise Unreadable(f"{name} cannot be unpacked ({type(exc).__name__})") from None
        return io.BufferedReader(Unpacked(raw, self.budget, info.file_size))


def iterparse(stream, events=("end",)):
    """Parse XML safely (no DTD entity expansion, no external entity or DTD)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError
    from defusedxml.ElementTree import iterparse as safe_iterparse

    try:
        yield from safe_iterparse(stream, events=events, forbid_dtd=True)
    except (ParseError, DefusedXmlException, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise Unreadable(f"its XML is not readable ({type(exc).__name__})") from None


def qualified(namespace: str, names: str) -> set[str]:
    return {f"{{{namespace}}}{name}" for name in names.split()}


class Layout:
    """Where the text is in one XML vocabulary: its paragraphs, which elements hold text
    (None: every text node, tails included), which stand for a blank or a line break,
    which are left out whole."""

    def __init__(self, paragraphs, text=None, breaks=None, skip=frozenset()):
        self.paragraphs = frozenset(paragraphs)
        self.text = frozenset(text) if text is not None else None
        self.breaks = dict(breaks or {})
        self.skip = frozenset(skip)

    def text_of(self, elem, parts: list[str]) -> None:
        tag = elem.tag
        if tag not in self.skip:
            if tag in self.breaks:
                parts.append(self.breaks[tag])
            if elem.text and (self.text is None or tag in self.text):
                parts.append(elem.text)
            for child in elem:
                self.text_of(child, parts)
        if elem.tail and self.text is None:
            parts.append(elem.tail)


def read_paragraphs(stream, layout: Layout, out: Text, counted=frozenset(), cap=None) -> int:
    """Every paragraph of an XML part, in order, a line each; how many ``counted`` elements
    began (sheets, slides), ``TooLarge`` past ``cap`` of them."""
    count = skipping = 0
    for event, elem in iterparse(stream, events=("start", "end")):
        if event == "start":
            if elem.tag in counted:
                count += 1
                if cap is not None and count > cap:
                    raise TooLarge(f"more than {cap} sheets or slides")
            skipping += elem.tag in layout.skip
            continue
        if elem.tag in layout.skip:
            skipping -= 1
        elif elem.tag in layout.paragraphs:
            if not skipping:  # a paragraph inside a comment is not the document's text
                parts: list[str] = []
                layout.text_of(elem, parts)
                out.line("".join(parts))
            elem.clear()
    return count


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
DRAW_NS = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
META_NS = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"

WORD = Layout(
    paragraphs=qualified(W, "p"),
    text=qualified(W, "t"),
    breaks={**dict.fromkeys(qualified(W, "tab"), "\t"), **dict.fromkeys(qualified(W, "br cr"), "\n")},
    skip=qualified(W, "instrText delText"),
)
SLIDE = Layout(
    paragraphs=qualified(A, "p"), text=qualified(A, "t"), breaks=dict.fromkeys(qualified(A, "br"), "\n")
)
OPEN_DOCUMENT = Layout(
    paragraphs=qualified(TEXT_NS, "p h"),
    breaks={
        **dict.fromkeys(qualified(TEXT_NS, "s"), " "),
        **dict.fromkeys(qualified(TEXT_NS, "tab"), "\t"),
        **dict.fromkeys(qualified(TEXT_NS, "line-break"), "\n"),
    },
    skip=qualified(OFFICE_NS, "annotation"),
)


def _declared_pages(package: Package, part: str, tag: str, attribute: str | None, caps: dict) -> int | None:
    """The page count a file's properties declare (``TooLarge`` past the cap), if any."""
    if not package.has(part):
        return None
    for _event, elem in iterparse(package.open(part)):
        if elem.tag == tag:
            raw = elem.get(attribute) if attribute else elem.text
            try:
                pages = int((raw or "").strip())
            except ValueError:
                return None
            if pages > caps["max_pages"]:
                raise TooLarge(f"{pages} pages, more than {caps['max_pages']}")
            return pages
    return None


def _relationships(package: Package, part: str, base: str) -> dict[str, str]:
    """Relationship id -> the member it points to (``base``: the folder targets are in)."""
    targets = {}
    if not package.has(part):
        return targets
    for _event, elem in iterparse(package.open(part)):
        if elem.tag == f"{{{PKG_REL}}}Relationship" and elem.get("TargetMode") != "External":
            target = elem.get("Target") or ""
            targets[elem.get("Id") or ""] = target.lstrip("/") if target.startswith("/") else base + target
    return targets


def read_docx(fileobj, caps: dict, out: Text) -> int | None:
    package = Package(fileobj, caps)
    pages = _declared_pages(package, "docProps/app.xml", f"{{{EXTENDED}}}Pages", None, caps)
    read_paragraphs(package.open("word/document.xml"), WORD, out)
    for part in ("word/footnotes.xml", "word/endnotes.xml"):
        if package.has(part):
            read_paragraphs(package.open(part), WORD, out)
    return pages


def _ordered_parts(package: Package, part: str, rels: str, base: str, tag: str, caps: dict, what: str):
    """The members listed, in order, by ``tag`` elements (their ``r:id``) of ``part``."""
    targets = _relationships(package, rels, base)
    ordered = []
    for _event, elem in iterparse(package.open(part)):
        if elem.tag == tag:
            ordered.append((elem.get("name"), targets.get(elem.get(f"{{{R}}}id") or "")))
            if len(ordered) > caps["max_pages"]:
                raise TooLarge(f"more than {caps['max_pages']} {what}")
    return ordered


def read_pptx(fileobj, caps: dict, out: Text) -> int:
    package = Package(fileobj, caps)
    slides = _ordered_parts(
        package,
        "ppt/presentation.xml",
        "ppt/_rels/presentation.xml.rels",
        "ppt/",
        f"{{{P}}}sldId",
        caps,
        "slides",
    )
    for _name, member in slides:
        if member and package.has(member):
            read_paragraphs(package.open(member), SLIDE, out)
            out.add("\n")
    return len(slides)


def _shared_strings(package: Package) -> list[str]:
    strings: list[str] = []
    if not package.has("xl/sharedStrings.xml"):
        return strings
    si, t, rph = f"{{{S}}}si", f"{{{S}}}t", f"{{{S}}}rPh"
    for _event, elem in iterparse(package.open("xl/sharedStrings.xml")):
        if elem.tag == si:
            parts = []
            for child in elem.iter():
                if child.tag == rph:  # phonetic hints, not the text
                    child.clear()
                elif child.tag == t and child.text:
                    parts.append(child.text)
            strings.append("".join(parts))
            elem.clear()
    return strings


def read_xlsx(fileobj, caps: dict, out: Text) -> int:
    package = Package(fileobj, caps)
    sheets = _ordered_parts(
        package,
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/",
        f"{{{S}}}sheet",
        caps,
        "sheets",
    )
    shared = _shared_strings(package)
    c, v, t, row_tag, inline = f"{{{S}}}c", f"{{{S}}}v", f"{{{S}}}t", f"{{{S}}}row", f"{{{S}}}is"
    for name, member in sheets:
        if not member or not package.has(member):
            continue
        out.line(name or "")
        cells: list[str] = []
        for _event, elem in iterparse(package.open(member)):
            if elem.tag == c:
                kind = elem.get("t")
                value = elem.find(v)
                if kind == "s" and value is not None and (value.text or "").strip().isdigit():
                    index = int(value.text)
                    if index < len(shared):
                        cells.append(shared[index])
                elif kind == "inlineStr":
                    found = elem.find(inline)
                    if found is not None:
                        cells.append("".join(x.text or "" for x in found.iter(t)))
                elif kind == "str" and value is not None and value.text:
                    cells.append(value.text)
                elem.clear()
            elif elem.tag == row_tag:
                out.line("\t".join(cell for cell in cells if cell))
                cells = []
                elem.clear()
        out.add("\n")
    return len(sheets)


def read_open_document(kind: str):
    counted = {
        "odt": frozenset(),
        "ods": frozenset(qualified(TABLE_NS, "table")),
        "odp": frozenset(qualified(DRAW_NS, "page")),
    }[kind]

    def read(fileobj, caps: dict, out: Text) -> int | None:
        package = Package(fileobj, caps)
        pages = None
        if kind == "odt":
            pages = _declared_pages(
                package, "meta.xml", f"{{{META_NS}}}document-statistic", f"{{{META_NS}}}page-count", caps
            )
        count = read_paragraphs(package.open("content.xml"), OPEN_DOCUMENT, out, counted, caps["max_pages"])
        return pages if kind == "odt" else count

    return read


# --- plain text ------------------------------------------------------------------------------------


def read_text(fileobj, caps: dict, out: Text) -> None:
    # four bytes a character at most in UTF-8: enough bytes for max_chars, and one more
    want = caps["max_chars"] * 4 + 4
    data = fileobj.read(want)
    more = bool(fileobj.read(1))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = codecs.getincrementaldecoder("utf-16")(errors="replace").decode(data, final=not more)
    else:
        try:
            text = codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=not more)
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    out.add(text)
    if more:  # the bytes read were cut: what is beyond them was not read
        out.truncated = True


READERS = {
    "pdf": read_pdf,
    "docx": read_docx,
    "pptx": read_pptx,
    "xlsx": read_xlsx,
    "odt": read_open_document("odt"),
    "ods": read_open_document("ods"),
    "odp": read_open_document("odp"),
    "text": read_text,
}


# --- the language ------------------------------------------------------------------------------------


def language_of(text: str, languages) -> str | None:
    """The ISO 639-1 code of the text's language among ``languages``, if one stands out."""
    if len(languages) < 2 or len(re.findall(r"[^\W\d_]", text[:2000])) < 20:
        return None
    try:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
    except ImportError:  # pragma: no cover - lingua is a dependency of the platform
        return None
    known = []
    for code in languages:
        try:
            known.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue
    if len(known) < 2:
        return None
    detector = LanguageDetectorBuilder.from_languages(*known).with_low_accuracy_mode().build()
    values = detector.compute_language_confidence_values(text[:LANGUAGE_SAMPLE])
    if not values or values[0].value < LANGUAGE_CONFIDENCE:
        return None
    return values[0].language.iso_code_639_1.name.lower()


# --- the program ---------------------------------------------------------------------------------------


def extract(fileobj, caps: dict) -> dict:
    """What the file holds, as the answer the parent reads (never raises for a bad file)."""
    reader = READERS.get(caps["kind"])
    if reader is None:
        return {"status": "unsupported", "reason": f"no reader for {caps['kind']}", "text": ""}
    out = Text(caps["max_chars"])
    pages = None
    try:
        pages = reader(fileobj, caps, out)
    except Full:
        pass
    except TooLarge as exc:
        return {"status": "too_large", "reason": str(exc), "text": ""}
    except Unreadable as exc:
        return {"status": "failed", "reason": str(exc), "text": ""}
    except RecursionError:
        return {"status": "failed", "reason": "nested too deeply to read", "text": ""}
    except MemoryError:
        raise
    except Exception as exc:  # a library's own error on a malformed file
        return {"status": "failed", "reason": f"not readable ({type(exc).__name__})", "text": ""}
    text = out.result()
    if not text:
        return {"status": "empty", "reason": "no text inside (a scan or pictures only?)", "text": ""}
    answer = {
        "status": "truncated" if out.truncated else "extracted",
        "reason": f"text cut at {caps['max_chars']} characters" if out.truncated else "",
        "text": text,
        "pages": pages,
    }
    try:
        answer["language"] = language_of(text, caps.get("languages") or ())
    except MemoryError:
        raise
    except Exception:  # the text is worth more than its language
        answer["language"] = None
    return answer


def main(argv: list[str]) -> int:
    try:
        caps = json.loads(argv[1])
        complete = isinstance(caps, dict) and all(key in caps for key in REQUIRED_CAPS)
    except (IndexError, ValueError):
        complete = False
    if not complete:
        print("usage: extractor.py '<caps as JSON>' < file > answer.json", file=sys.stderr)
        return USAGE_EXIT
    limit_self(caps)
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    try:
        stdin = os.fdopen(0, "rb", closefd=False)
        answer = extract(stdin, caps)
        out = json.dumps(answer, ensure_ascii=False)
    except MemoryError:
        os._exit(MEMORY_EXIT)
    sys.stdout.buffer.write(out.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
