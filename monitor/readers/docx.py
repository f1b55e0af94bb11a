"""Word .docx: the body's paragraphs and tables in order, read straight from word/document.xml.

Reading the XML directly (instead of python-docx's object model) is several times faster and lets us
handle merged cells exactly: gridSpan cells and vMerge continuations are emitted once, at their origin.
The zip directory is checked before anything is decompressed, so a zip bomb is refused cheaply.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from monitor.readers import Document, UnreadableDocument
from monitor.readers.grid import SpanCell, clean_cell, clean_line, grid_lines, to_grid

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Members smaller than this are never called bombs, whatever their ratio (tiny XML compresses well).
MIN_BOMB_CHECK_BYTES = 1024 * 1024
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


def read_docx(data: bytes, *, max_decompressed: int, max_ratio: int, source_format: str = "docx") -> Document:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UnreadableDocument(f"broken .docx (not a valid zip): {exc}") from exc
    with archive:
        check_zip_limits(archive, max_decompressed=max_decompressed, max_ratio=max_ratio)
        xml = _read_member(archive, "word/document.xml", max_decompressed)
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnreadableDocument(f"broken .docx: word/document.xml is not valid XML ({exc})") from exc
    body = root.find(f"{W}body")
    if body is None:
        raise UnreadableDocument("broken .docx: no document body")
    lines = _block_lines(body)
    return Document(text="\n".join(lines), source_format=source_format)


def check_zip_limits(archive: zipfile.ZipFile, *, max_decompressed: int, max_ratio: int) -> None:
    """Refuse archives whose directory announces too much data or a bomb-like compression ratio."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MIN_BOMB_CHECK_BYTES and ratio > max_ratio:
            raise UnreadableDocument(
                f"refused .docx: {info.filename} would expand {ratio:.0f}x (zip bomb?)"
            )
    if total > max_decompressed:
        raise UnreadableDocument(
            f"refused .docx: {total / 1024 / 1024:.0f} MB uncompressed (limit {max_decompressed // 1024 // 1024} MB)"
        )


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with archive.open(name) as member:
            # The directory may lie about sizes: read at most limit + 1 bytes whatever it says.
            data = member.read(limit + 1)
    except KeyError as exc:
        raise UnreadableDocument("broken .docx: word/document.xml is missing") from exc
    if len(data) > limit:
        raise UnreadableDocument(f"refused .docx: {name} expands beyond {limit // 1024 // 1024} MB")
    return data


def _block_lines(container: etree._Element) -> list[str]:
    """Lines of a body or cell: paragraphs and tables in document order."""
    lines: list[str] = []
    for child in container:
        tag = child.tag
        if tag == f"{W}p":
            text = clean_line(paragraph_text(child))
            if text:
                lines.append(text)
        elif tag == f"{W}tbl":
            lines.extend(_table_lines(child))
        elif tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins", f"{W}smartTag"):
            lines.extend(_block_lines(child.find(f"{W}sdtContent") if tag == f"{W}sdt" else child))
    return lines


def paragraph_text(paragraph: etree._Element) -> str:
    parts: list[str] = []
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", _MC_FALLBACK):
        if node.tag == f"{W}t":
            if not _inside_fallback(node, paragraph):
                parts.append(node.text or "")
        elif node.tag != _MC_FALLBACK:
            parts.append(" ")
    return "".join(parts)


def _inside_fallback(node: etree._Element, stop: etree._Element) -> bool:
    # mc:AlternateContent holds the same text twice (Choice and Fallback): read only the Choice.
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag == _MC_FALLBACK:
            return True
        parent = parent.getparent()
    return False


def _table_lines(table: etree._Element) -> list[str]:
    if table.find(f".//{W}tc//{W}tbl") is not None:
        # A table holding tables is layout: read its cells as ordinary content, in order.
        lines: list[str] = []
        for cell in table.iter(f"{W}tc"):
            if cell.getparent() is not None and cell.getparent().getparent() is table:
                lines.extend(_block_lines(cell))
        return lines
    return grid_lines(to_grid(_span_rows(table)))


def _span_rows(table: etree._Element) -> list[list[SpanCell]]:
    raw: list[list[tuple[int, int, str, str | None]]] = []  # (column, colspan, text, vmerge)
    for tr in table.iterchildren(f"{W}tr"):
        column = _grid_skip(tr, "gridBefore")
        row = []
        for tc in tr.iterchildren(f"{W}tc"):
            span = _int_val(tc.find(f"{W}tcPr/{W}gridSpan"), 1)
            vmerge_el = tc.find(f"{W}tcPr/{W}vMerge")
            vmerge = None if vmerge_el is None else (vmerge_el.get(f"{W}val") or "continue")
            text = clean_cell([paragraph_text(p) for p in tc.iter(f"{W}p")])
            row.append((column, span, text, vmerge))
            column += span
        raw.append(row)
    return _resolve_vmerge(raw)


def _resolve_vmerge(raw: list[list[tuple[int, int, str, str | None]]]) -> list[list[SpanCell]]:
    """Each Word row lists its vMerge continuation cells, so a merged cell is emitted at its
    restart cell only and every continuation becomes an empty field at the same position."""
    rows: list[list[SpanCell]] = []
    for row in raw:
        cells: list[SpanCell] = []
        position = 0
        for column, span, text, vmerge in row:
            if column > position:  # gridBefore: leading empty grid columns
                cells.append(SpanCell("", 1, column - position))
            position = column + span
            cells.append(SpanCell("" if vmerge == "continue" else text, 1, span))
        rows.append(cells)
    return rows


def _grid_skip(tr: etree._Element, name: str) -> int:
    return _int_val(tr.find(f"{W}trPr/{W}{name}"), 0)


def _int_val(element: etree._Element | None, default: int) -> int:
    if element is None:
        return default
    try:
        return max(0, min(int(element.get(f"{W}val") or default), 64))
    except ValueError:
        return default
