"""PDF: pypdfium2 for the text of every page, and for the tables on the pages that hold them.

Pages whose text holds a table label (本年新收, 信息内容, 行政复议 ...) are read from pdfium's character
boxes and painted ruling lines (report/readers/pdf_layout.py, pdfplumber's table finder ported onto
pdfium's objects): ruled tables become TAB rows (a merged cell once, the positions it covers left out, a
blank cell an empty field) and the text outside them becomes lines, in top-to-bottom order; a labelled
page without ruling lines has its rows rebuilt from word positions. Every other page
is pdfium's plain text. A table continued on the next page with its header repeated comes out as
consecutive rows: the page footer/header lines between them and the repeated header rows go.

A page that is a picture (no text layer, or a garbled one over a full-page image: a scan) is rendered
and read by OCR (report/readers/ocr.py) into the same characters and ruling lines, so its tables come
out of the same table finder; the confidence of each cell read so goes into `Document.ocr_cells`.
Table labels are searched for with the blanks taken out: browsers print letter-spaced text with a blank
between every two characters.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from nianbao.report.cells import NUMBER_CELL
from nianbao.report.readers import Document, UnreadableDocument, ocr
from nianbao.report.readers.grid import clean_cell, clean_line
from nianbao.report.readers.pdf_layout import (
    Box,
    Char,
    Edge,
    Word,
    page_chars,
    page_edges,
    tables_and_rest,
    text_lines,
    words,
)

# A page holding any of these is searched for tables.
TABLE_PAGE_LABELS = ("本年新收", "信息内容", "行政复议", "本年新制作", "本年制发", "申请人情况", "予以公开",
                     "处理决定数量", "结果维持", "第二十条", "不予公开", "无法提供", "不予处理", "其他处理",
                     "总计", "结转下年", "尚未审结", "复议后起诉", "属于国家秘密", "重复申请")
_TABLE_PAGE = re.compile("|".join(map(re.escape, TABLE_PAGE_LABELS)))  # one pass, not one per label
_BLANKS = re.compile(r"\s+")
# A page whose text layer has fewer characters than this is read by OCR when it holds a picture.
_MIN_TEXT = 20
_MAX_PICTURE_PIXELS = 40_000_000  # a larger picture in a document is not read (a scanned A4 at 600 dpi: 35 M)
_MIN_PICTURE_SIDE = 150  # pixels: smaller pictures are icons, not tables
_IMAGE_COVER = 0.4  # a picture covering this share of the page makes it a scan
# Share of a text layer's characters that must be Chinese, digits or punctuation for it to be trusted
# over its picture: an OCR layer in the wrong encoding reads as Latin-1 letters.
_PLAUSIBLE_TEXT = 0.6
_PLAUSIBLE_CHAR = re.compile(r"[\u4e00-\u9fff0-9\s，。、；：（）()“”《》.,:;%\-—]")
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(\d{1,3}|第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)[-—–\s]*$")
# Words further apart than this (points) on one line start a new cell when a table has no ruling lines.
_CELL_GAP = 8.0
# OCR of a ruled cell that reads a number and one or two stray characters ("4特", "42 办", "0例": the remains
# of a seal or a speck read as a character): the number is kept, its confidence lowered so that it is shown
# as doubtful (never certain), and no "text in a count" finding is charged to the agency for the noise.
_OCR_STRAY = re.compile(r"^\s*([+\-]?\d[\d,]*(?:\.\d+)?)\s*[\u4e00-\u9fff]{1,2}\s*$")
_STRAY_CONFIDENCE = 0.5
_LINE_TOLERANCE = 3.0
_WORD_TOLERANCE = 1.5  # tighter than for prose: cells without rulings may sit a few points apart


@dataclass
class Block:
    top: float
    lines: list[str]
    table: list[list[str]] | None = None  # a table's cells row by row (merged-over positions left out)
    confidence: list[list[float | None]] | None = None  # of the table's cells, when read by OCR


def read_pdf(data: bytes, *, max_pages: int) -> Document:
    if b"%%EOF" not in data[-4096:]:
        raise UnreadableDocument("PDF 文件不完整（缺少文件结束标记，可能未下载完整）")
    document = _open(data)
    try:
        pages = len(document)
        if pages == 0:
            raise UnreadableDocument("PDF 文件没有页面")
        if pages > max_pages:
            raise UnreadableDocument(f"PDF 文件页数过多：{pages} 页（上限 {max_pages} 页）")
        budget = [ocr.PROSE_COLUMNS]  # shared by the document's scanned pages
        read = [_read_page(document, index, budget) for index in range(pages)]
    finally:
        document.close()
    if not any(text.strip() for text, _, _ in read):
        raise UnreadableDocument("PDF 文件中没有文字层（可能是扫描图片），OCR 也未识读出文字")
    lines, confidences = _join_pages([blocks for _, blocks, _ in read])
    return Document(text="\n".join(lines), source_format="pdf",
                    ocr_pages=[index + 1 for index, (_, _, ocr) in enumerate(read) if ocr], ocr_cells=confidences)


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise UnreadableDocument("已加密的 PDF（需要密码才能打开）") from exc
        if "security" in message:
            raise UnreadableDocument("已加密的 PDF（加密方式不受支持）") from exc
        raise UnreadableDocument(f"PDF 文件已损坏（{_first_line(exc)}）") from exc


def _read_page(document: pdfium.PdfDocument, index: int, budget: list[int]) -> tuple[str, list[Block], bool]:
    """The page's plain text, its blocks (tables and lines for a table page, else the text's lines), and
    whether it was read by OCR (budget: see ocr.read_image)."""
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            raw_text = textpage.get_text_range()
            text = raw_text.replace("\r\n", "\n").replace("\r", "\n")
            if _needs_ocr(page, text):
                return _ocr_page(page, budget)
            if _TABLE_PAGE.search(_BLANKS.sub("", text)):
                return text, _table_page_blocks(page, textpage, raw_text), False
            return text, [Block(0.0, _plain_lines(text))], False
        finally:
            textpage.close()
    finally:
        page.close()


def _needs_ocr(page: pdfium.PdfPage, text: str) -> bool:
    """A scan: a page with (almost) no text and a picture, or whose large picture lies under a text layer
    too garbled to trust."""
    visible = _BLANKS.sub("", text)
    if len(visible) >= _MIN_TEXT and len(_PLAUSIBLE_CHAR.findall(visible)) >= _PLAUSIBLE_TEXT * len(visible):
        return False
    cover = _picture_cover(page)
    return cover > 0.05 if len(visible) < _MIN_TEXT else cover >= _IMAGE_COVER


def _picture_cover(page: pdfium.PdfPage) -> float:
    """The share of the page the largest picture covers."""
    area = page.get_width() * page.get_height()
    largest = 0.0
    for picture in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = picture.get_bounds()
        largest = max(largest, (right - left) * (top - bottom))
    return largest / area if area > 0 else 0.0


def picture_table_lines(data: bytes) -> tuple[list[str], dict[tuple[int, int], float]] | None:
    """A picture (PNG, JPEG... from a DOCX or a web page) read by OCR: its lines and the confidence of its
    table cells by (line, field); None when it holds no ruled table (a photo, a logo, a seal)."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > _MAX_PICTURE_PIXELS or min(image.size) < _MIN_PICTURE_SIDE:
            return None
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    read = ocr.read_image(image, ocr.DPI)
    blocks = _layout_blocks(read.chars, read.edges, read)
    if not any(block.table is not None for block in blocks):
        return None
    return _join_pages([blocks])


def _ocr_page(page: pdfium.PdfPage, budget: list[int]) -> tuple[str, list[Block], bool]:
    image = page.render(scale=ocr.DPI / 72, may_draw_forms=False).to_pil()
    read = ocr.read_image(image, ocr.DPI, budget)
    blocks = _one_mark_a_run(_layout_blocks(read.chars, read.edges, read))
    return "\n".join(line for block in blocks for line in block.lines), blocks, True


def _one_mark_a_run(blocks: list[Block]) -> list[Block]:
    """Lines left unread by OCR stand as one mark (ocr.UNREAD) per run of them."""
    kept: list[Block] = []
    for block in blocks:
        if block.lines == [ocr.UNREAD] and kept and kept[-1].lines == [ocr.UNREAD]:
            continue
        kept.append(block)
    return kept


def _plain_lines(text: str) -> list[str]:
    return [line for line in (clean_line(raw) for raw in text.split("\n")) if line]


# --- pages with tables -----------------------------------------------------------------------------

def _table_page_blocks(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, text: str) -> list[Block]:
    """text: the text page's text as pdfium gives it (its characters one for one)."""
    height = page.get_height()
    return _layout_blocks(page_chars(textpage, height, text), page_edges(page, height))


def _layout_blocks(chars: list[Char], edges: list[Edge] | None, read: ocr.OcrPage | None = None) -> list[Block]:
    """Tables from the ruling lines and lines of the rest, top to bottom. read: the OCR of the page the
    characters come from, which gives each table cell its confidence."""
    tables, rest = tables_and_rest(edges, chars) if edges else ([], chars)
    blocks: list[Block] = []
    for table in tables:
        rows = [_clean_cells(row) for row in table.rows]
        noisy: set[tuple[int, int]] = set()
        if read is not None:
            rows, noisy = _without_stray_marks(rows)
        block = _table_block(table.bbox[1], rows)
        if read is not None and block.table is not None and table.boxes is not None:
            block.confidence = _confidences(rows, table.boxes, read, noisy)
        blocks.append(block)
    if not tables:
        # Labels but no ruling lines: rebuild rows from word positions.
        blocks.extend(_layout_rows(rest))
    else:
        for top, line in text_lines(rest):
            text = clean_line(line)
            if text:
                blocks.append(Block(top, [text]))
    blocks.sort(key=lambda block: block.top)
    return blocks


def _without_stray_marks(rows: list[list[str | None]]) -> tuple[list[list[str | None]], set[tuple[int, int]]]:
    """OCR'd cells with their stray characters dropped (_OCR_STRAY), and where that happened."""
    noisy: set[tuple[int, int]] = set()
    out: list[list[str | None]] = []
    for r, row in enumerate(rows):
        kept: list[str | None] = []
        for c, cell in enumerate(row):
            stray = _OCR_STRAY.match(cell) if cell and not NUMBER_CELL.match(cell.strip()) else None
            if stray:
                noisy.add((r, c))
            kept.append(stray.group(1) if stray else cell)
        out.append(kept)
    return out, noisy


def _confidences(rows: list[list[str | None]], cell_boxes: list[list[Box | None]],
                 read: ocr.OcrPage, noisy: set[tuple[int, int]]) -> list[list[float | None]]:
    """Each kept cell's OCR confidence, in the order _table_block keeps them (rows with text, cells that
    start there); a cell whose stray characters were dropped is at most _STRAY_CONFIDENCE."""
    out = []
    for r, (row, boxes) in enumerate(zip(rows, cell_boxes, strict=True)):
        if any(row):
            out.append([_capped(ocr.cell_confidence(box, read), (r, c) in noisy)
                        for c, (cell, box) in enumerate(zip(row, boxes, strict=True))
                        if cell is not None and box is not None])
    return out


def _capped(confidence: float | None, noisy: bool) -> float | None:
    return min(confidence if confidence is not None else 1.0, _STRAY_CONFIDENCE) if noisy else confidence


def _clean_cells(row: list[str | None]) -> list[str | None]:
    """grid.clean_cell of each cell's lines (None stays None). Most cells are a number or a label of
    letters and digits only, which cleaning leaves as they are (no blank, no line break): they skip
    the regular expressions. A ruled cell holds one figure: digits it shows on several lines (a browser
    breaking a narrow column inside the number) or letter-spaced are one number."""
    return [cell if cell is None or cell.isalnum() else _one_number(cell) or clean_cell(cell.split("\n"))
            for cell in row]


def _one_number(cell: str) -> str | None:
    """The number a ruled cell shows broken into pieces, or None: letter-spaced digits ("6 5 0", pieces
    of one or two digits), or a number a narrow column wrapped (lines of digits only)."""
    pieces = cell.split()
    if len(pieces) < 2 or not all(piece.isdigit() for piece in pieces):
        return None
    wrapped = all(line.strip().isdigit() for line in cell.split("\n") if line.strip())
    if wrapped or all(len(piece) <= 2 for piece in pieces):
        return "".join(pieces)
    return None


def _table_block(top: float, rows: list[list[str | None]]) -> Block:
    """A ruled table as TAB lines. None marks a grid position no cell starts at: one covered by a merged
    cell (the grid's columns are every row's cell edges together, so a row laid out on other column
    widths than its neighbours covers several). Like grid.COVERED it is left out of the line, so a
    merged cell's text comes once and an empty field is always a blank cell of the document."""
    rows = [row for row in rows if any(row)]
    if not _two_columns_used(rows):
        # A frame drawn around paragraphs is not a table: its rows are text lines.
        return Block(top, [cell for row in rows for cell in row if cell])
    cells = [[cell.replace("\t", " ") for cell in row if cell is not None] for row in rows]
    return Block(top, ["\t".join(row) for row in cells], table=cells)  # lines[i] is table[i]


def _two_columns_used(rows: list[list[str | None]]) -> bool:
    """Whether cells with text stand in two columns or more; a row with two such cells settles it."""
    if any(sum(map(bool, row)) > 1 for row in rows):
        return True
    return len({i for row in rows for i, cell in enumerate(row) if cell}) > 1


def _layout_rows(chars: list[Char]) -> list[Block]:
    lines: list[list[Word]] = []
    for word in sorted(words(chars, _WORD_TOLERANCE, _LINE_TOLERANCE), key=lambda w: (round(w.bottom), w.x0)):
        if lines and abs(lines[-1][0].bottom - word.bottom) <= _LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    blocks = []
    for line in lines:
        line.sort(key=lambda w: w.x0)
        cells: list[list[str]] = [[line[0].text]]
        for previous, word in zip(line, line[1:], strict=False):
            if word.x0 - previous.x1 > _CELL_GAP:
                cells.append([])
            cells[-1].append(word.text)
        blocks.append(Block(line[0].top, ["\t".join(clean_cell(cell) for cell in cells)]))
    return blocks


# --- joining pages ---------------------------------------------------------------------------------

def _join_pages(page_blocks: list[list[Block]]) -> tuple[list[str], dict[tuple[int, int], float]]:
    """The lines of the pages, and the OCR confidence of table cells by (line, field)."""
    lines: list[str] = []
    confidences: dict[tuple[int, int], float] = {}
    previous_table: list[list[str]] | None = None
    numbers = _page_number_lines(page_blocks)
    for index, blocks in enumerate(page_blocks):
        blocks = _without_lines(blocks, numbers.get(index, set()))
        for position, block in enumerate(blocks):
            if block.table is not None and position == 0 and previous_table is not None:
                block = _drop_repeated_header(block, previous_table)
            for row, row_confidence in enumerate(block.confidence or []):
                for column, value in enumerate(row_confidence):
                    if value is not None:
                        confidences[len(lines) + row, column] = value
            lines.extend(block.lines)
        previous_table = blocks[-1].table if blocks else None
    return lines, confidences


def _page_number_lines(page_blocks: list[list[Block]]) -> dict[int, set[tuple[int, int]]]:
    """Each page's page-number lines, as (block, line) positions among its first or last two text lines.

    A decorated number ("- 3 -", "第3页 共5页", "3/5") is one wherever it stands. A bare number is one
    only when it follows the page count: its value minus the page's index is the same on at least half
    of the pages (and two). A bare "15" ending a page of cell-per-line table text is a cell, not a page
    number."""
    found: dict[int, set[tuple[int, int]]] = {}
    bare: list[tuple[int, tuple[int, int], int]] = []  # (page index, position, value)
    edges = [_edge_lines(blocks) for blocks in page_blocks]
    for index, lines in enumerate(edges):
        for position, line in lines:
            if not _PAGE_NUMBER.match(line):
                continue
            if line.strip().isdigit():
                bare.append((index, position, int(line.strip())))
            else:
                found.setdefault(index, set()).add(position)
    # Page numbers stand on most pages; a coincidence of two cells does not make a page count.
    needed = max(2, sum(1 for lines in edges if lines) // 2)
    offsets = Counter(offset for offset, _ in {(value - index, index) for index, _, value in bare})
    for index, position, value in bare:
        if offsets[value - index] >= needed:
            found.setdefault(index, set()).add(position)
    return found


def _edge_lines(blocks: list[Block]) -> list[tuple[tuple[int, int], str]]:
    """The first and last two text lines of a page (outside tables), where page numbers stand."""
    text_lines = [((b, i), line) for b, block in enumerate(blocks) if block.table is None
                  for i, line in enumerate(block.lines)]
    return list(dict(text_lines[:2] + text_lines[-2:]).items())


def _without_lines(blocks: list[Block], drop: set[tuple[int, int]]) -> list[Block]:
    kept: list[Block] = []
    for b, block in enumerate(blocks):
        if block.table is None:
            lines = [line for i, line in enumerate(block.lines) if (b, i) not in drop]
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
    confidence = block.confidence[repeated:] if block.confidence is not None else None
    return Block(block.top, block.lines[repeated:], table=block.table[repeated:], confidence=confidence)


def _is_number(cell: str) -> bool:
    return bool(re.fullmatch(r"[\d.,，+\-]+", cell.strip()))


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__
