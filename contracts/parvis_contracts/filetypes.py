"""What an uploaded file is: safe names and content sniffing by magic bytes.

No libmagic: a small table of signatures covers what people share in a
company (images, PDF, office files, archives, audio/video, text). Rules:

* the declared extension must agree with the bytes (a PNG named ``.pdf`` is
  refused; a ``.docx`` is a zip, so a zip named ``.docx`` is accepted);
* text files (``.txt``, ``.md``, ``.csv``, ``.json``, ... and also ``.html``,
  ``.svg``, ``.xml``, ``.js``) must look like text, and are always recorded as
  ``text/plain``: a browser never renders or runs them;
* only PNG, JPEG, GIF, WebP and PDF may be shown inline; everything else is
  served as an attachment;
* an unknown extension is accepted as ``application/octet-stream``
  (attachment), an empty file never;
* the EICAR anti-virus test file is refused as "looks like malware" (a plain
  signature check of the standard string, see :func:`looks_like_eicar`). This is
  not anti-virus scanning: a real scanner (e.g. clamd) would be an optional hook
  beside this check; none is wired today.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from .errors import ValidationFailed

MAX_NAME_LENGTH = 200
OCTET_STREAM = "application/octet-stream"
TEXT_PLAIN = "text/plain"


@dataclass(frozen=True)
class FileType:
    content_type: str
    inline: bool


# ---------------------------------------------------------------------- names


def _invalid_name(message: str) -> ValidationFailed:
    return ValidationFailed(message, {"name": [message]})


def safe_filename(name) -> str:
    """The name, trimmed and NFC-normalised, if it is safe to store and serve.

    Refused (``ValidationFailed`` on ``name``): empty, ``.``/``..``, any ``/``
    or ``\\``, NUL and other control or invisible formatting characters
    (e.g. right-to-left override, which disguises ``exe.txt``), more than
    200 characters.
    """
    if not isinstance(name, str):
        raise _invalid_name("A file name is required.")
    cleaned = unicodedata.normalize("NFC", name).strip()
    # Windows silently drops trailing dots and spaces: so do we
    cleaned = cleaned.rstrip(". ") if cleaned not in (".", "..") else cleaned
    if not cleaned:
        raise _invalid_name("A file name is required.")
    if cleaned in (".", ".."):
        raise _invalid_name("This is not a file name.")
    if "/" in cleaned or "\\" in cleaned:
        raise _invalid_name("A file name may not contain / or \\.")
    for char in cleaned:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            raise _invalid_name("A file name may not contain control characters.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise _invalid_name(f"A file name has at most {MAX_NAME_LENGTH} characters.")
    return cleaned


def extension(name: str) -> str:
    """Lower-case extension without the dot (``"report.PDF"`` -> ``"pdf"``), or ``""``."""
    base = name.rsplit("/", 1)[-1]
    if "." not in base.strip("."):
        return ""
    return base.rsplit(".", 1)[-1].lower()


# ---------------------------------------------------------------------- signatures


def _at(offset: int, magic: bytes):
    return lambda head: head[offset : offset + len(magic)] == magic


def _any(*tests):
    return lambda head: any(test(head) for test in tests)


def _riff(kind: bytes):
    return lambda head: head[:4] == b"RIFF" and head[8:12] == kind


def _ftyp(*brands: bytes):
    def test(head: bytes) -> bool:
        if head[4:8] != b"ftyp":
            return False
        return not brands or head[8:12] in brands

    return test


def _pdf(head: bytes) -> bool:
    # the header may follow a little garbage; readers look in the first 1024 bytes
    return b"%PDF-" in head[:1024]


ZIP = _any(_at(0, b"PK\x03\x04"), _at(0, b"PK\x05\x06"), _at(0, b"PK\x07\x08"))
OLE2 = _at(0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")

#: signatures: name -> test on the head
SIGNATURES = {
    "png": _at(0, b"\x89PNG\r\n\x1a\n"),
    "jpeg": _at(0, b"\xff\xd8\xff"),
    "gif": _any(_at(0, b"GIF87a"), _at(0, b"GIF89a")),
    "webp": _riff(b"WEBP"),
    "bmp": _at(0, b"BM"),
    "tiff": _any(_at(0, b"II*\x00"), _at(0, b"MM\x00*")),
    "ico": _at(0, b"\x00\x00\x01\x00"),
    "heif": _ftyp(*HEIF_BRANDS),
    "psd": _at(0, b"8BPS"),
    "pdf": _pdf,
    "zip": ZIP,
    "ole2": OLE2,
    "rtf": _at(0, b"{\\rtf"),
    "gzip": _at(0, b"\x1f\x8b"),
    "bzip2": _at(0, b"BZh"),
    "xz": _at(0, b"\xfd7zXZ\x00"),
    "7z": _at(0, b"7z\xbc\xaf\x27\x1c"),
    "rar": _at(0, b"Rar!\x1a\x07"),
    "tar": _at(257, b"ustar"),
    "mp3": _any(_at(0, b"ID3"), _at(0, b"\xff\xfb"), _at(0, b"\xff\xf3"), _at(0, b"\xff\xf2")),
    "mp4": _ftyp(),
    "wav": _riff(b"WAVE"),
    "avi": _riff(b"AVI "),
    "ogg": _at(0, b"OggS"),
    "flac": _at(0, b"fLaC"),
    "matroska": _at(0, b"\x1a\x45\xdf\xa3"),
}

#: extension -> (content type, signatures that may carry it, inline)
BINARY_TYPES = {
    "png": ("image/png", ("png",), True),
    "jpg": ("image/jpeg", ("jpeg",), True),
    "jpeg": ("image/jpeg", ("jpeg",), True),
    "gif": ("image/gif", ("gif",), True),
    "webp": ("image/webp", ("webp",), True),
    "pdf": ("application/pdf", ("pdf",), True),
    "bmp": ("image/bmp", ("bmp",), False),
    "tif": ("image/tiff", ("tiff",), False),
    "tiff": ("image/tiff", ("tiff",), False),
    "ico": ("image/vnd.microsoft.icon", ("ico",), False),
    "heic": ("image/heic", ("heif",), False),
    "heif": ("image/heif", ("heif",), False),
    "avif": ("image/avif", ("heif",), False),
    "psd": ("image/vnd.adobe.photoshop", ("psd",), False),
    # office documents: OOXML and OpenDocument are zip files, the old formats OLE2
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("zip",), False),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("zip",), False),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ("zip",), False),
    "odt": ("application/vnd.oasis.opendocument.text", ("zip",), False),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", ("zip",), False),
    "odp": ("application/vnd.oasis.opendocument.presentation", ("zip",), False),
    "odg": ("application/vnd.oasis.opendocument.graphics", ("zip",), False),
    "epub": ("application/epub+zip", ("zip",), False),
    "doc": ("application/msword", ("ole2",), False),
    "xls": ("application/vnd.ms-excel", ("ole2",), False),
    "ppt": ("application/vnd.ms-powerpoint", ("ole2",), False),
    "msg": ("application/vnd.ms-outlook", ("ole2",), False),
    "vsd": ("application/vnd.visio", ("ole2",), False),
    "rtf": ("application/rtf", ("rtf",), False),
    # archives: stored as they are, never unpacked
    "zip": ("application/zip", ("zip",), False),
    "gz": ("application/gzip", ("gzip",), False),
    "tgz": ("application/gzip", ("gzip",), False),
    "bz2": ("application/x-bzip2", ("bzip2",), False),
    "xz": ("application/x-xz", ("xz",), False),
    "7z": ("application/x-7z-compressed", ("7z",), False),
    "rar": ("application/vnd.rar", ("rar",), False),
    "tar": ("application/x-tar", ("tar",), False),
    # audio and video
    "mp3": ("audio/mpeg", ("mp3",), False),
    "m4a": ("audio/mp4", ("mp4",), False),
    "mp4": ("video/mp4", ("mp4",), False),
    "m4v": ("video/mp4", ("mp4",), False),
    "mov": ("video/quicktime", ("mp4",), False),
    "wav": ("audio/wav", ("wav",), False),
    "avi": ("video/x-msvideo", ("avi",), False),
    "ogg": ("audio/ogg", ("ogg",), False),
    "oga": ("audio/ogg", ("ogg",), False),
    "ogv": ("video/ogg", ("ogg",), False),
    "opus": ("audio/ogg", ("ogg",), False),
    "flac": ("audio/flac", ("flac",), False),
    "mkv": ("video/x-matroska", ("matroska",), False),
    "webm": ("video/webm", ("matroska",), False),
}

#: extensions of text files: recorded and served as text/plain, attachment only.
#: HTML, SVG, XML and scripts are here on purpose: browsers would run them.
TEXT_EXTENSIONS = frozenset(
    {
        "txt",
        "text",
        "md",
        "markdown",
        "rst",
        "adoc",
        "csv",
        "tsv",
        "json",
        "jsonl",
        "ndjson",
        "log",
        "ini",
        "cfg",
        "conf",
        "toml",
        "yaml",
        "yml",
        "properties",
        "env",
        "tex",
        "bib",
        "srt",
        "vtt",
        "ics",
        "vcf",
        "diff",
        "patch",
        "sql",
        "py",
        "java",
        "c",
        "h",
        "cpp",
        "hpp",
        "cs",
        "go",
        "rs",
        "rb",
        "php",
        "pl",
        "sh",
        "bat",
        "ps1",
        "kt",
        "swift",
        "ts",
        "css",
        "scss",
        "less",
        "html",
        "htm",
        "xhtml",
        "shtml",
        "svg",
        "xml",
        "xsl",
        "xslt",
        "js",
        "mjs",
        "cjs",
        "jsx",
        "tsx",
        "vue",
        "eml",
        "mbox",
    }
)

#: declared content types that stand for an extension when the name has none
DECLARED_TYPES = {content_type: ext for ext, (content_type, _sig, _inline) in BINARY_TYPES.items()}
DECLARED_TYPES["text/plain"] = "txt"
DECLARED_TYPES["image/jpg"] = "jpg"

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})

_TEXT_CONTROLS = frozenset(range(0, 32)) - {9, 10, 12, 13, 27}


def detect(head: bytes) -> str | None:
    """The name of the first signature the head matches (``"png"``, ``"zip"``...)."""
    for name, test in SIGNATURES.items():
        if test(head):
            return name
    return None


def looks_like_text(head: bytes) -> bool:
    """UTF-8 (with or without BOM; UTF-16 with BOM) without NUL bytes.

    The head may end inside a multi-byte character: that is not an error.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            codecs.getincrementaldecoder("utf-16")().decode(head, final=False)
        except UnicodeDecodeError:
            return False
        return True
    if b"\x00" in head:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return not any(ord(char) in _TEXT_CONTROLS for char in text)


# The EICAR test string, assembled at import so that this source file is not itself
# flagged by the anti-virus of a developer's machine.
EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*").encode()
#: the standard allows the string to be followed by white space, up to 128 bytes in all
EICAR_MAX_SIZE = 128


def looks_like_eicar(head: bytes) -> bool:
    """Whether the file is the EICAR test file: it starts with the 68-byte string,
    only white space follows, and it is at most 128 bytes long (``head`` holds the
    whole file then, as every caller reads more than 128 bytes of head)."""
    return (
        len(head) <= EICAR_MAX_SIZE
        and head.startswith(EICAR)
        and not head[len(EICAR) :].strip(b" \t\r\n\x1a")
    )


def _malware() -> ValidationFailed:
    message = "This file looks like malware (the EICAR anti-virus test signature): refused."
    return ValidationFailed(message, {"file": [message], "malware": "EICAR-Test-File"})


def _mismatch(ext: str, found: str | None) -> ValidationFailed:
    message = (
        f"The content of this file does not match its extension .{ext}."
        if ext
        else "The content of this file does not match its type."
    )
    return ValidationFailed(message, {"file": [message], "extension": ext or None, "detected": found})


def sniff(head: bytes, filename: str, declared_type: str | None = None) -> FileType:
    """What the file is, from its first bytes and its name (``ValidationFailed`` on ``file``).

    ``declared_type`` (the client's Content-Type) is only used when the name
    has no extension; it is never trusted over the bytes.
    """
    if not head:
        raise ValidationFailed("The file is empty.", {"file": ["The file is empty."]})
    if looks_like_eicar(head):
        raise _malware()
    ext = extension(filename or "")
    if not ext and declared_type:
        declared = declared_type.split(";", 1)[0].strip().lower()
        ext = DECLARED_TYPES.get(declared, "")
    found = detect(head)
    if ext in BINARY_TYPES:
        content_type, allowed, inline = BINARY_TYPES[ext]
        if not any(SIGNATURES[name](head) for name in allowed):
            raise _mismatch(ext, found)
        return FileType(content_type, inline and content_type in INLINE_TYPES)
    if ext in TEXT_EXTENSIONS:
        if not looks_like_text(head):
            raise _mismatch(ext, found)
        return FileType(TEXT_PLAIN, False)
    # an unknown (or no) extension: stored as opaque bytes, always an attachment
    return FileType(OCTET_STREAM, False)
