"""Small real files of each type whose text the documents service reads, made here with the
standard library (no binary fixture): PDF written object by object, OOXML and
OpenDocument zips with the least XML their readers need."""

from __future__ import annotations

import io
import zipfile
import zlib
from xml.sax.saxutils import escape

# --- PDF ----------------------------------------------------------------------------------


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def pdf(pages: list[str] | None = None, contents: list[bytes] | None = None, compress: bool = False) -> bytes:
    """A PDF of one page a text (Helvetica, WinAnsi), or of the given content streams."""
    streams = (
        contents
        if contents is not None
        else [b"BT /F1 12 Tf 72 712 Td " + _pdf_string(text) + b" Tj ET" for text in (pages or ["Hello"])]
    )
    n = len(streams)
    font = 3
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(n))
        + b"] /Count %d >>" % n,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, stream in enumerate(streams):
        content = 5 + 2 * i  # the page is object 4 + 2 * i
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, content)
        )
        body = zlib.compress(stream) if compress else stream
        filters = b" /Filter /FlateDecode" if compress else b""
        objects.append(b"<< /Length %d%s >>\nstream\n" % (len(body), filters) + body + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


# --- zips of XML ------------------------------------------------------------------------------


def _zip(members: dict[str, str | bytes], stored_first: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (stored_first or {}).items():
            z.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"


def docx(paragraphs: list[str], pages: int | None = None, document_xml: str | None = None) -> bytes:
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs)
    members = {
        "[Content_Types].xml": f'<?xml version="1.0"?><Types xmlns="{TYPES}"/>',
        "word/document.xml": document_xml
        or f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>{body}</w:body>'
        "</w:document>",
    }
    if pages is not None:
        members["docProps/app.xml"] = (
            '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'extended-properties"><Pages>{pages}</Pages></Properties>'
        )
    return _zip(members)


def xlsx(sheets: dict[str, list[list[str]]]) -> bytes:
    """Each sheet's rows of strings; the first sheet's cells as shared strings, the others
    inline."""
    S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    shared: list[str] = []
    members: dict[str, str] = {}
    listed, rels = [], []
    for i, (name, rows) in enumerate(sheets.items(), start=1):
        listed.append(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        xml_rows = []
        for r, cells in enumerate(rows, start=1):
            xml_cells = []
            for c, value in enumerate(cells):
                ref = f"{chr(65 + c)}{r}"
                if i == 1:
                    shared.append(value)
                    xml_cells.append(f'<c r="{ref}" t="s"><v>{len(shared) - 1}</v></c>')
                else:
                    xml_cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            xml_rows.append(f'<row r="{r}">{"".join(xml_cells)}<c r="Z{r}"><v>42</v></c></row>')
        members[f"xl/worksheets/sheet{i}.xml"] = (
            f'<?xml version="1.0"?><worksheet xmlns="{S}"><sheetData>{"".join(xml_rows)}</sheetData>'
            "</worksheet>"
        )
    members["xl/workbook.xml"] = (
        f'<?xml version="1.0"?><workbook xmlns="{S}" xmlns:r="{REL}"><sheets>{"".join(listed)}</sheets>'
        "</workbook>"
    )
    members["xl/_rels/workbook.xml.rels"] = (
        f'<?xml version="1.0"?><Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>'
    )
    members["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0"?><sst xmlns="{S}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" for s in shared)
        + "</sst>"
    )
    return _zip(members)


def pptx(slides: list[list[str]]) -> bytes:
    P = "http://schemas.openxmlformats.org/presentationml/2006/main"
    A = "http://schemas.openxmlformats.org/drawingml/2006/main"
    members = {}
    ids, rels = [], []
    # listed in the reverse of their file names: the order is the presentation's, not the zip's
    for i, paragraphs in enumerate(slides, start=1):
        number = len(slides) - i + 1
        ids.append(f'<p:sldId id="{255 + i}" r:id="rId{i}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{REL}/slide" Target="slides/slide{number}.xml"/>')
        text = "".join(f"<a:p><a:r><a:t>{escape(p)}</a:t></a:r></a:p>" for p in paragraphs)
        members[f"ppt/slides/slide{number}.xml"] = (
            f'<?xml version="1.0"?><p:sld xmlns:p="{P}" xmlns:a="{A}"><p:cSld><p:spTree><p:sp><p:txBody>'
            f"{text}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
        )
    members["ppt/presentation.xml"] = (
        f'<?xml version="1.0"?><p:presentation xmlns:p="{P}" xmlns:r="{REL}"><p:sldIdLst>{"".join(ids)}'
        "</p:sldIdLst></p:presentation>"
    )
    members["ppt/_rels/presentation.xml.rels"] = (
        f'<?xml version="1.0"?><Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>'
    )
    return _zip(members)


ODF_MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}


def odt(paragraphs: list[str], pages: int | None = None) -> bytes:
    T = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    O = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"  # noqa: E741
    body = "".join(
        f"<text:p>{escape(p).replace(' ', '<text:s/>', 1)}</text:p>"
        if i == 0
        else f"<text:h>{escape(p)}</text:h>"
        for i, p in enumerate(paragraphs)
    )
    members = {
        "content.xml": f'<?xml version="1.0"?><office:document-content xmlns:office="{O}" xmlns:text="{T}">'
        f"<office:body><office:text>{body}<text:p>note<office:annotation><text:p>hidden remark</text:p>"
        "</office:annotation></text:p></office:text></office:body></office:document-content>"
    }
    if pages is not None:
        M = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
        members["meta.xml"] = (
            f'<?xml version="1.0"?><office:document-meta xmlns:office="{O}" xmlns:meta="{M}"><office:meta>'
            f'<meta:document-statistic meta:page-count="{pages}"/></office:meta></office:document-meta>'
        )
    return _zip(members, stored_first={"mimetype": ODF_MIMETYPES["odt"].encode()})


def zip_bomb_docx(unpacked: int) -> bytes:
    """A DOCX whose document unpacks to ``unpacked`` bytes of blanks (a few KB packed)."""
    head = f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>'
    tail = "</w:t></w:r></w:p></w:body></w:document>"
    filler = " " * max(0, unpacked - len(head) - len(tail))
    return _zip({"word/document.xml": head + filler + tail})


def lying_zip_docx(paragraph: str, declared: int) -> bytes:
    """A DOCX whose document says, in both of the zip's headers, that it unpacks to
    ``declared`` bytes, fewer than it does."""
    data = bytearray(docx([paragraph]))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    new = declared.to_bytes(4, "little")
    # the local header: signature, versions, flags, method, time, date, CRC, sizes
    data[info.header_offset + 22 : info.header_offset + 26] = new
    # the central directory's entry of that member (its name at 46)
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + length] == b"word/document.xml":
            data[at + 24 : at + 28] = new
            return bytes(data)
        at += 4
