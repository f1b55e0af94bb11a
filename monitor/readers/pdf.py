"""PDF: pypdfium2 for fast plain text of every page, pdfplumber tables only on the pages that need them.

pdfplumber reads the report tables right but costs ~50-150 ms a page; pypdfium2 gives a page's text in
~5 ms. So pages whose text holds a table label (本年新收, 信息内容, 行政复议 ...) go through pdfplumber:
its ruled tables become TAB rows and the words outside them become lines, in top-to-bottom order.
Every other page is pypdfium2 text. A table continued on the next page with its header repeated comes
out as consecutive rows: the page footer/header lines between them and the repeated header rows go.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import pdfplumber
import pypdfium2 as pdfium

from monitor.readers import Document, UnreadableDocument
from monitor.readers.grid import clean_cell, clean_line

# A page holding any of these goes through pdfplumber for its tables.
TABLE_PAGE_LABELS = ("本年新收", "信息内容", "行政复议", "本年新制作", "本年制发", "申请人情况", "予以公开",
                     "处理决定数量", "结果维持", "第二十条", "不予公开", "无法提供", "不予处理", "其他处理",
                     "总计", "结转下年", "尚未审结", "复议后起诉", "属于国家秘密", "重复申请")
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(\d{1,3}|第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)[-—–\s]*$")
# Words further apart than this (points) on one line start a new cell when a table has no ruling lines.
_CELL_GAP = 8.0
_LINE_TOLERANCE = 3.0


@dataclass
class Block:
    top: float
    lines: list[str]
    table: list[list[str]] | None = None


def read_pdf(data: bytes, *, max_pages: int) -> Document:
    if b"%%EOF" not in data[-4096:]:
        raise UnreadableDocument("truncated PDF (the end-of-file marker is missing: incomplete download?)")
    document = _open(data)
    try:
        pages = len(document)
        if pages == 0:
            raise UnreadableDocument("PDF without pages")
        if pages > max_pages:
            raise UnreadableDocument(f"PDF too long: {pages} pages (limit {max_pages})")
        texts = [_page_text(document, index) for index in range(pages)]
    finally:
        document.close()
    if not any(text.strip() for text in texts):
        raise UnreadableDocument("PDF with no text layer (scanned image?)")
    table_pages = [i for i, text in enumerate(texts) if any(label in text for label in TABLE_PAGE_LABELS)]
    page_blocks = [[Block(0.0, _plain_lines(text))] for text in texts]
    if table_pages:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for index in table_pages:
                page_blocks[index] = _table_page_blocks(pdf.pages[index])
    return Document(text="\n".join(_join_pages(page_blocks)), source_format="pdf")


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise UnreadableDocument("encrypted PDF (needs a password to open)") from exc
        if "security" in message:
            raise UnreadableDocument("PDF with unsupported security handler (encrypted)") from exc
        raise UnreadableDocument(f"broken PDF: {_first_line(exc)}") from exc


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
        finally:
            textpage.close()
    finally:
        page.close()


def _plain_lines(text: str) -> list[str]:
    return [line for line in (clean_line(raw) for raw in text.split("\n")) if line]


# --- pages with tables -----------------------------------------------------------------------------

def _table_page_blocks(page: Any) -> list[Block]:
    tables = page.find_tables()
    blocks: list[Block] = []
    boxes = []
    for table in tables:
        rows = [[clean_cell((cell or "").split("\n")) if cell is not None else None for cell in row]
                for row in table.extract()]
        if not rows:
            continue
        boxes.append(table.bbox)
        blocks.append(_table_block(table.bbox[1], rows))
    outside = page.filter(lambda obj: not any(_inside(obj, box) for box in boxes)) if boxes else page
    if not tables:
        # Labels but no ruling lines: rebuild rows from word positions.
        blocks.extend(_layout_rows(outside))
    else:
        for line in outside.extract_text_lines(strip=True):
            text = clean_line(line["text"])
            if text:
                blocks.append(Block(line["top"], [text]))
    blocks.sort(key=lambda block: block.top)
    return blocks


def _table_block(top: float, rows: list[list[str | None]]) -> Block:
    rows = [row for row in rows if any(row)]
    # A grid column where no cell starts (None in every row) is an artefact of edges that do not
    # line up between rows; drop it so the columns match the document's.
    width = max((len(row) for row in rows), default=0)
    keep = [j for j in range(width) if any(j < len(row) and row[j] is not None for row in rows)]
    rows = [[row[j] if j < len(row) else None for j in keep] for row in rows]
    columns_used = {i for row in rows for i, cell in enumerate(row) if cell}
    if len(columns_used) <= 1:
        # A frame drawn around paragraphs is not a table: its rows are text lines.
        return Block(top, [cell for row in rows for cell in row if cell])
    grid = [[cell or "" for cell in row] for row in rows]
    lines = []
    for row, raw in zip(grid, rows, strict=True):
        if row[0] and all(cell is None for cell in raw[1:]):
            lines.append(row[0])  # a row merged across the table: a heading inside the table
        else:
            lines.append("\t".join(cell.replace("\t", " ") for cell in row))
    return Block(top, lines, table=grid)  # lines[i] is grid[i]


def _inside(obj: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    mid_x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
    mid_y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
    return x0 <= mid_x <= x1 and top <= mid_y <= bottom


def _layout_rows(page: Any) -> list[Block]:
    words = page.extract_words(x_tolerance=1.5, y_tolerance=_LINE_TOLERANCE, keep_blank_chars=False)
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) <= _LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    blocks = []
    for line in lines:
        line.sort(key=lambda w: w["x0"])
        cells: list[list[str]] = [[line[0]["text"]]]
        for previous, word in zip(line, line[1:], strict=False):
            if word["x0"] - previous["x1"] > _CELL_GAP:
                cells.append([])
            cells[-1].append(word["text"])
        blocks.append(Block(line[0]["top"], ["\t".join(clean_cell(cell) for cell in cells)]))
    return blocks


# --- joining pages ---------------------------------------------------------------------------------

def _join_pages(page_blocks: list[list[Block]]) -> list[str]:
    lines: list[str] = []
    previous_table: list[list[str]] | None = None
    for blocks in page_blocks:
        blocks = _strip_page_numbers(blocks)
        for position, block in enumerate(blocks):
            if block.table is not None and position == 0 and previous_table is not None:
                block = _drop_repeated_header(block, previous_table)
            lines.extend(block.lines)
        previous_table = blocks[-1].table if blocks else None
    return lines


def _strip_page_numbers(blocks: list[Block]) -> list[Block]:
    """Page numbers ("- 3 -", "第3页 共5页") are among the first or last two text lines of a page."""
    text_lines = [(b, i) for b, block in enumerate(blocks) if block.table is None for i in range(len(block.lines))]
    edges = set(text_lines[:2] + text_lines[-2:])
    kept: list[Block] = []
    for b, block in enumerate(blocks):
        if block.table is None:
            lines = [
                line for i, line in enumerate(block.lines)
                if (b, i) not in edges or not _PAGE_NUMBER.match(line)
            ]
            if lines:
                kept.append(Block(block.top, lines))
        else:
            kept.append(block)
    return kept


def _drop_repeated_header(block: Block, previous: list[list[str]]) -> Block:
    """The first rows of a continued table that repeat the previous table's header rows go."""
    assert block.table is not None
    repeated = 0
    for row, old in zip(block.table, previous, strict=False):
        if row != old or any(_is_number(cell) for cell in row):
            break
        repeated += 1
    if repeated == 0 or repeated == len(block.table):
        return block
    return Block(block.top, block.lines[repeated:], table=block.table[repeated:])


def _is_number(cell: str) -> bool:
    return bool(re.fullmatch(r"[\d.,，+\-]+", cell.strip()))


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__
