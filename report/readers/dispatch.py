"""Choose a reader from the bytes (magic numbers first, file name second) and enforce safety limits.

Every reader is called through `read_document`, which turns any unexpected exception into
`UnreadableDocument`: a crawler feeding hostile or broken files must only ever see that one error type.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from nianbao.report.limits import (
    CONVERSION_TIMEOUT_S,
    MAX_COMPRESSION_RATIO,
    MAX_DECOMPRESSED_BYTES,
    MAX_INPUT_BYTES,
    MAX_PAGES,
    Limits,
)
from nianbao.report.readers import Document, UnreadableDocument

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORD_XML = re.compile(rb"<\?mso-application\s+progid=[\"']Word\.Document|<w:wordDocument[\s>]")
_HTML_MARKERS = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|table|span)[\s>/]", re.I)


def read_document(
    data: bytes,
    filename: str | None = None,
    *,
    max_bytes: int = MAX_INPUT_BYTES,
    max_pages: int = MAX_PAGES,
    max_decompressed: int = MAX_DECOMPRESSED_BYTES,
    conversion_timeout: float = CONVERSION_TIMEOUT_S,
) -> Document:
    """Read any supported document. Raises only `UnreadableDocument` (with a one-line reason)."""
    limits = Limits(max_bytes, max_pages, max_decompressed, MAX_COMPRESSION_RATIO, conversion_timeout)
    if len(data) > limits.max_bytes:
        raise UnreadableDocument(f"文件过大：{_mb(len(data))}（上限 {_mb(limits.max_bytes)}）")
    if not data.strip():
        raise UnreadableDocument("空文件（没有任何内容）")
    kind = sniff_format(data, filename)
    try:
        return _READERS[kind](data, filename, limits)
    except UnreadableDocument:
        raise
    except Exception as exc:  # noqa: BLE001 - hostile input: any library failure is "unreadable"
        raise UnreadableDocument(f"无法读取 {kind} 格式的文件（{type(exc).__name__}: {_first_line(exc)}）") from exc


def read_path(path: str | os.PathLike[str], filename: str | None = None, **limits: float) -> Document:
    """Read a file from disk; its size is checked with stat() before a single byte is read."""
    max_bytes = int(limits.get("max_bytes", MAX_INPUT_BYTES))
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise UnreadableDocument(f"无法打开文件（{exc.strerror or exc}）") from exc
    if size > max_bytes:
        raise UnreadableDocument(f"文件过大：{_mb(size)}（上限 {_mb(max_bytes)}）")
    data = Path(path).read_bytes()
    return read_document(data, filename or Path(path).name, **limits)  # type: ignore[arg-type]


def sniff_format(data: bytes, filename: str | None = None) -> str:
    """'pdf' | 'docx' | 'ofd' | 'doc' | 'wps' | 'mht' | 'rtf' | 'wordxml' | 'html' | 'text'. Bytes decide; the name
    only breaks ties."""
    name = (filename or "").lower()
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if _zip_has(data, "word/document.xml"):
            return "docx"
        return "ofd" if _zip_has(data, "OFD.xml") or name.endswith(".ofd") else "zip"
    if data.startswith(_OLE2):
        return "wps" if name.endswith(".wps") else "doc"
    if b"MIME-Version:" in head and b"multipart/related" in data[:4096].lower():
        return "mht"  # a web archive: Word's "single file web page", also published as .doc
    if data.lstrip()[:5] == b"{\\rtf":
        return "rtf"  # converted by LibreOffice, like .doc
    if _WORD_XML.search(head):
        return "wordxml"  # Word 2003 XML or Word's flat XML (one .xml file, also published as .doc)
    if _HTML_MARKERS.search(data[:4096]) and not name.endswith(".txt"):
        return "html"
    if name.endswith((".html", ".htm", ".shtml", ".jhtml")):
        return "html"
    if name.endswith(".pdf"):
        return "pdf"  # no %PDF header: the PDF reader explains the damage
    if name.endswith(".ofd"):
        return "ofd"  # not a zip: the OFD reader explains the damage
    if _HTML_MARKERS.search(data[:4096]) and data.count(b"<") > 10:
        return "html"
    return "text"


def _zip_has(data: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _read_text(data: bytes, filename: str | None, limits: Limits) -> Document:
    from nianbao.report.readers.text import read_text

    return read_text(data)


def _read_html(data: bytes, filename: str | None, limits: Limits) -> Document:
    from nianbao.report.readers.html import read_html

    return read_html(data)


def _read_mht(data: bytes, filename: str | None, limits: Limits) -> Document:
    from nianbao.report.readers.html import read_mht

    return read_mht(data)


def _read_docx(data: bytes, filename: str | None, limits: Limits) -> Document:
    from nianbao.report.readers.docx import read_docx

    return read_docx(data, max_decompressed=limits.max_decompressed, max_ratio=limits.max_ratio)


def _read_office(data: bytes, filename: str | None, limits: Limits) -> Document:
    from nianbao.report.readers.office import read_office

    kind = "wps" if (filename or "").lower().endswith(".wps") else "doc"
    return read_office(data, kind, timeout=limits.conversion_timeout, limits=limits)


def _read_converted(kind: str) -> Callable[[bytes, str | None, Limits], Document]:
    def read(data: bytes, filename: str | None, limits: Limits) -> Document:
        from nianbao.report.readers.office import read_office

        return read_office(data, kind, timeout=limits.conversion_timeout, limits=limits)
    return read


def _read_word_xml(data: bytes, filename: str | None, limits: Limits) -> Document:
    if b"<pkg:package" in data[:4096]:  # Flat OPC: read as a .docx; LibreOffice cannot open it
        from nianbao.report.readers.docx import read_flat_docx

        return read_flat_docx(data)
    return _read_converted("xml")(data, filename, limits)  # Word 2003 XML


def _read_pdf(data: bytes, filename: str | None, limits: Limits) -> Document:
    from nianbao.report.readers.pdf import read_pdf

    return read_pdf(data, max_pages=limits.max_pages)


def _read_ofd(data: bytes, filename: str | None, limits: Limits) -> Document:
    from nianbao.report.readers.ofd import read_ofd

    return read_ofd(data, limits)


def _read_zip(data: bytes, filename: str | None, limits: Limits) -> Document:
    raise UnreadableDocument("ZIP 压缩包，不是 Word 文档（.docx）")


_READERS = {
    "text": _read_text,
    "html": _read_html,
    "mht": _read_mht,
    "docx": _read_docx,
    "doc": _read_office,
    "wps": _read_office,
    "rtf": _read_converted("rtf"),
    "wordxml": _read_word_xml,
    "pdf": _read_pdf,
    "ofd": _read_ofd,
    "zip": _read_zip,
}


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no detail"
