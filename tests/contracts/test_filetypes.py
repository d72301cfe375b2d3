"""File names and content sniffing, with real files crafted byte by byte."""

import hashlib
import io
import struct
import zipfile
import zlib

import pytest

from parvis_contracts import filetypes
from parvis_contracts.errors import ValidationFailed
from parvis_contracts.filetypes import FileType, extension, safe_filename, sniff
from tests.support import png_bytes


def jpeg_bytes() -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01"
    b"\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
WEBP = b"RIFF" + struct.pack("<I", 14) + b"WEBPVP8L" + struct.pack("<I", 2) + b"\x2f\x00"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'
    b"<script>alert(1)</script></svg>"
)


def zip_bytes(entries: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zip_bytes(
    {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
        '.org/package/2006/content-types"/>',
        "word/document.xml": "<w:document/>",
    }
)
ODT = zip_bytes(
    {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<office:document-content/>"}
)
OLE2_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def tar_bytes() -> bytes:
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("notes.txt")
        data = b"hello"
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name, expected",
    [
        ("report.pdf", "report.pdf"),
        ("  Budget 2026.xlsx  ", "Budget 2026.xlsx"),
        ("Résumé.docx", "Résumé.docx"),
        ("e\u0301te\u0301.txt", "\u00e9t\u00e9.txt"),  # NFC: decomposed accents composed
        (".env", ".env"),
        ("notes.txt.", "notes.txt"),  # trailing dots dropped (Windows does)
        ("a..b.txt", "a..b.txt"),
        ("x" * 196 + ".pdf", "x" * 196 + ".pdf"),  # exactly 200
    ],
)
def test_good_names_are_kept(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        ".",
        "..",
        "../etc/passwd",
        "..\\boot.ini",
        "a/b.txt",
        "a\\b.txt",
        "evil\x00.pdf",
        "tab\there.txt",
        "bell\x07.txt",
        "new\nline.txt",
        "del\x7f.txt",
        "invoice\u202efdp.exe",  # right-to-left override
        "zero\u200bwidth.txt",
        "x" * 197 + ".pdf",
        "x" * 300,
        None,
        42,
    ],
)
def test_bad_names_are_refused_on_the_name_field(name):
    with pytest.raises(ValidationFailed) as info:
        safe_filename(name)
    assert "name" in info.value.details


def test_extension():
    assert extension("a.PDF") == "pdf"
    assert extension("archive.tar.gz") == "gz"
    assert extension("README") == ""
    assert extension(".env") == ""
    assert extension("") == ""


# ---------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("photo.png", png_bytes(), FileType("image/png", True)),
        ("photo.JPG", jpeg_bytes(), FileType("image/jpeg", True)),
        ("photo.jpeg", jpeg_bytes(), FileType("image/jpeg", True)),
        ("anim.gif", GIF, FileType("image/gif", True)),
        ("pic.webp", WEBP, FileType("image/webp", True)),
        ("spec.pdf", PDF, FileType("application/pdf", True)),
        ("late.pdf", b"\r\n\x00garbage" + PDF, FileType("application/pdf", True)),
        (
            "letter.docx",
            DOCX,
            FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", False),
        ),
        ("letter.odt", ODT, FileType("application/vnd.oasis.opendocument.text", False)),
        ("bundle.zip", DOCX, FileType("application/zip", False)),  # archives are not unpacked
        ("old.doc", OLE2_DOC, FileType("application/msword", False)),
        ("old.xls", OLE2_DOC, FileType("application/vnd.ms-excel", False)),
        ("logs.tar", tar_bytes(), FileType("application/x-tar", False)),
        ("logs.tar.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 20, FileType("application/gzip", False)),
        ("notes.txt", "Été à Paris\n".encode(), FileType("text/plain", False)),
        ("data.csv", b"\xef\xbb\xbfname;amount\r\nA;1\r\n", FileType("text/plain", False)),
        ("data.json", b'{"a": [1, 2]}', FileType("text/plain", False)),
        ("README.md", b"# Title\n\n- item\n", FileType("text/plain", False)),
        ("win.txt", "hello".encode("utf-16"), FileType("text/plain", False)),
        ("blob.bin", b"\x00\x01\x02", FileType("application/octet-stream", False)),
        ("no-extension", png_bytes(), FileType("application/octet-stream", False)),
    ],
)
def test_what_the_file_is(name, data, expected):
    assert sniff(data, name) == expected


def test_a_png_header_named_pdf_is_refused():
    with pytest.raises(ValidationFailed) as info:
        sniff(png_bytes(), "contract.pdf", "application/pdf")
    assert "file" in info.value.details
    assert info.value.details["detected"] == "png"
    assert info.value.details["extension"] == "pdf"


@pytest.mark.parametrize(
    "name, data",
    [
        ("photo.png", jpeg_bytes()),
        ("photo.jpg", png_bytes()),
        ("spec.pdf", HTML),
        ("letter.docx", PDF),
        ("letter.docx", OLE2_DOC),  # an old .doc renamed .docx: not what it claims
        ("old.doc", DOCX),
        ("pic.webp", b"RIFF\x10\x00\x00\x00WAVEfmt "),
        ("notes.txt", png_bytes()),  # binary (NUL bytes) named as text
        ("notes.txt", b"caf\xe9 \xff\xfe\x00"),
        ("data.csv", b"a,b\x01\x02\x03"),
        ("page.html", b"\x00\x00\x00\x00"),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(name, data):
    with pytest.raises(ValidationFailed) as info:
        sniff(data, name)
    assert "file" in info.value.details


def test_html_named_txt_is_plain_text_never_inline():
    assert sniff(HTML, "innocent.txt", "text/html") == FileType("text/plain", False)


@pytest.mark.parametrize("name", ["page.html", "page.htm", "page.xhtml", "icon.svg", "feed.xml", "app.js"])
def test_types_a_browser_would_run_are_text_attachments(name):
    data = SVG if name.endswith(".svg") else HTML
    kind = sniff(data, name, "image/svg+xml" if name.endswith(".svg") else "text/html")
    assert kind == FileType("text/plain", False)


def test_svg_with_script_named_png_is_refused():
    with pytest.raises(ValidationFailed):
        sniff(SVG, "logo.png", "image/png")


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationFailed) as info:
        sniff(b"", "empty.txt")
    assert info.value.details == {"file": ["The file is empty."]}


def test_the_declared_type_only_speaks_when_the_name_has_no_extension():
    assert sniff(png_bytes(), "scan", "image/png") == FileType("image/png", True)
    with pytest.raises(ValidationFailed):
        sniff(HTML, "scan", "image/png")
    # a name with an extension: the declared type is ignored, the bytes decide
    assert sniff(png_bytes(), "scan.png", "text/html") == FileType("image/png", True)


def test_a_text_head_cut_inside_a_multibyte_character_is_still_text():
    head = ("é" * 10).encode()[:-1]
    assert sniff(head, "notes.txt") == FileType("text/plain", False)


# ---------------------------------------------------------------- EICAR (looks like malware)


def test_the_eicar_constant_is_the_standard_test_string():
    # the published MD5 of the 68-byte EICAR test file: the string is never spelt out here
    assert len(filetypes.EICAR) == 68
    assert hashlib.md5(filetypes.EICAR).hexdigest() == "44d88612fea8a8f36de82e1278abb02f"


@pytest.mark.parametrize("name", ["eicar.com", "eicar.txt", "readme", "eicar.zip", "x.png"])
@pytest.mark.parametrize("tail", [b"", b"\r\n", b"   \n\t", b"\x1a"])
def test_the_eicar_file_is_refused_as_malware_whatever_its_name(name, tail):
    with pytest.raises(ValidationFailed) as caught:
        sniff(filetypes.EICAR + tail, name)
    assert caught.value.details["malware"] == "EICAR-Test-File"
    assert "malware" in caught.value.details["file"][0]


@pytest.mark.parametrize(
    "data",
    [
        filetypes.EICAR + b" and then some text",  # more than white space follows
        b"see: " + filetypes.EICAR,  # not at the start
        filetypes.EICAR + b" " * 100,  # longer than 128 bytes
        filetypes.EICAR[:-1],  # not the whole string
    ],
)
def test_only_the_standard_eicar_file_is_matched(data):
    assert not filetypes.looks_like_eicar(data)
    assert sniff(data, "notes.txt") == FileType("text/plain", False)
