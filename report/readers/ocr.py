"""Offline OCR of page images (scanned reports, tables pasted as pictures), with PP-OCR's recogniser.

The model ships inside the rapidocr wheel and runs on onnxruntime with one thread (the crawl's parallelism
decides how many cores are busy); nothing is downloaded at run time (report/readers/recogniser.py).

A page image becomes what the PDF reader gets from a text layer: positioned text and ruling lines.
1. The red channel is kept as the grey image: a red seal stamped over the table turns white, black text
   stays black (the drop-out scanners use).
2. The skew is measured from the ink's row profile (sheared by each candidate angle, the sharpest profile
   wins) and undone.
3. Ruling lines are the long runs of ink along rows and columns; they become the `Edge`s the PDF table
   finder takes (report/readers/pdf_layout.py), in points, so that the tables come out of the same code.
4. The lines of text are found from the ink (report/readers/ink_lines.py), without a detector model (which
   cost as much as recognising): in a ruled table each cell alone, elsewhere by the page's row profile.
5. Each line is recognised; its text, with its box and confidence, becomes one positioned text (`Char`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from nianbao.report.readers import ink_lines, recogniser
from nianbao.report.readers.pdf_layout import Char, Edge, table_cells

DPI = 150  # pages are rendered (or scaled) to this resolution before OCR
MAX_SIDE = 2600  # pixels; a larger picture is scaled down first (bounds the work and memory)
MIN_SIDE = 40
# White added around a line's ink before it is recognised (x the page's line height): the model was
# trained on a detector's boxes, which leave about this much paper around the text.
CROP_MARGIN = 0.2
_INK = 140  # grey level below which a pixel is ink
_RULING_CONTRAST = 40  # grey levels below the paper's for a pixel of a ruling line
_MAX_SKEW = 5.0  # degrees searched either way
_LINE_FRACTION = 25  # a ruling line is at least 1/25 of the page's width (or height) long
_MAX_RUNS = 20_000
_MAX_GAP = 2  # pixels: a ruling line broken by less is one line
LOW_CONFIDENCE = 0.9  # a reading below this is doubtful
# Outside tables a piece of text at most this share of the page's widest is short (a heading, the title,
# the signature, a date, a paragraph's last line) and always read; longer lines only within the budget.
SHORT = 0.75
# What stands for lines of text outside tables left unread (report/readers/pdf.py keeps one per run of them):
# the body's figures were not compared with the tables, and the report says so.
UNREAD = "〔扫描页正文此处未识读〕"
# Columns of the recogniser's input (~0.15 ms of CPU each) a document's long lines outside tables may take,
# pages in order: about a page of prose. A scan's tables and short lines are always read; the target
# is the tables of a 6-page scan checked in seconds, and a page of prose costs as much as a table.
PROSE_COLUMNS = 12_000
# A cell over several rows of a table with lines of text in this many of them holds several rows' labels
# (rulings lost in a scan's grain): every text on those rows gets at most MERGED_ROWS_CONFIDENCE. The
# template's merged labels ("（三）不予公开" over eight rows) have one or two lines.
MERGED_ROWS = 3
MERGED_ROWS_CONFIDENCE = 0.5

Run = tuple[int, int, int]  # (row, start, end) of a run of ink along the rows, or (column, ...) along columns


@dataclass
class OcrPage:
    chars: list[Char]  # one per line of text read (a cell's line, a piece of a line of prose), in points
    edges: list[Edge]  # ruling lines in points
    confidence: dict[tuple[float, float], float]  # (x0, top) of a text -> the recogniser's confidence
    width: float
    height: float


def read_image(image: Image.Image, dpi: float = DPI, prose_budget: list[int] | None = None) -> OcrPage:
    """OCR one page image whose resolution is `dpi` (a picture of unknown resolution: any plausible one).
    prose_budget: the columns of the recogniser's input still allowed for long lines of text outside tables
    (a one-item list, shared by a document's pages and spent here); None: every line is read."""
    pixels = _levelled(image)
    scale = 72.0 / dpi
    # Rulings are often grey and thin (a browser's default border): ink for them is anything clearly darker
    # than the paper; a speckle of noise makes no long run.
    paper = float(np.median(pixels))
    rows, columns = _ruling_runs(pixels < paper - _RULING_CONTRAST)
    edges = _edges(rows, columns, scale)
    ink = ink_lines.ink_mask(pixels, paper)
    ink_lines.erase(ink, rows, columns)
    tables = [[_pixels(cell, scale) for cell in cells] for cells in table_cells(edges)]
    in_cells, outside, height = ink_lines.find_lines(ink, tables)
    pairs = list(zip(tables, in_cells, strict=True))
    edges += [edge for cells, lines in pairs for edge in _lost_rulings(cells, lines, scale)]
    doubtful = [band for cells, lines in pairs for band in _merged_rows(cells, lines)]
    read, unread = _within_budget(outside, height, prose_budget)
    boxes = [box for lines in in_cells for cell in lines for box in cell] + read
    texts = recogniser.recognise([_crop(pixels, box, height, paper) for box in boxes])
    texts += [(UNREAD, 0.0)] * len(unread)
    chars: list[Char] = []
    confidence: dict[tuple[float, float], float] = {}
    for box, (text, score) in zip(boxes + unread, texts, strict=True):
        if text.strip():
            char = _char(text.strip(), box, scale)
            chars.append(char)
            confidence[char[1], char[3]] = min(score, MERGED_ROWS_CONFIDENCE) if _inside(box, doubtful) else score
    page_height, page_width = pixels.shape
    return OcrPage(chars, edges, confidence, page_width * scale, page_height * scale)


def _within_budget(pieces: list[ink_lines.Box], height: int,
                   budget: list[int] | None) -> tuple[list[ink_lines.Box], list[ink_lines.Box]]:
    """The pieces of text outside tables to read, and those left unread. Short pieces are always read
    (headings, the title, the signature and date, a paragraph's last line: what the parser needs to find
    the report's parts); long lines, which cost most, while the budget lasts, in the page's order (part
    一, whose figures are checked against the tables, comes first in a report)."""
    if budget is None:
        return pieces, []
    widest = max((x1 - x0 for x0, _, x1, _ in pieces), default=0)
    read: list[ink_lines.Box] = []
    unread: list[ink_lines.Box] = []
    for box in pieces:
        x0, top, x1, bottom = box
        if x1 - x0 <= SHORT * widest:
            read.append(box)
            continue
        columns = recogniser.columns(x1 - x0, max(bottom - top, height) + 2 * _margin(height))
        if columns <= budget[0]:
            budget[0] -= columns
            read.append(box)
        else:
            unread.append(box)
    return read, unread


def _char(text: str, box: ink_lines.Box, scale: float) -> Char:
    x0, top, x1, bottom = (value * scale for value in box)
    return (text, x0, x1, top, bottom, (x0 + x1) / 2, (top + bottom) / 2)


def _inside(box: ink_lines.Box, areas: list[ink_lines.Box]) -> bool:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in areas)


def _merged_rows(cells: list[ink_lines.Box], lines: list[list[ink_lines.Box]]) -> list[ink_lines.Box]:
    """The area of the rows of a table that a cell spans holding lines of text in MERGED_ROWS of them
    or more (lines the grain merged, which _lost_rulings could not part): which of its labels goes with
    which row's figures is not known, and those figures are doubtful."""
    tops = sorted({top for _, top, _, _ in cells} | {bottom for _, _, _, bottom in cells})
    left, right = min(cell[0] for cell in cells), max(cell[2] for cell in cells)
    out = []
    for (_, top, _, bottom), cell_lines in zip(cells, lines, strict=True):
        inside = [row for row in tops if top < row < bottom]
        slots = {sum(1 for row in inside if row <= (line[1] + line[3]) / 2) for line in cell_lines}
        if len(slots) >= MERGED_ROWS:
            out.append((left, top, right, bottom))
    return out


def _lost_rulings(cells: list[ink_lines.Box], lines: list[list[ink_lines.Box]], scale: float) -> list[Edge]:
    """The ruling lines a scan's grain wiped out inside a column: a cell spanning k rows of the table that
    holds k lines of text, one in each row, is k cells whose rulings were lost (left merged, the table
    finder would read all their labels as one and put the row's figures with them all). A merged cell
    whose lines stand otherwise (a label of two lines across eight rows) is left alone."""
    tops = sorted({top for _, top, _, _ in cells} | {bottom for _, _, _, bottom in cells})
    edges: list[Edge] = []
    for (x0, top, x1, bottom), cell_lines in zip(cells, lines, strict=True):
        inside = [row for row in tops if top < row < bottom]
        slots = list(zip([top, *inside], [*inside, bottom], strict=True))
        if not inside or len(cell_lines) != len(slots):
            continue
        if all(low <= line_top and line_bottom <= high for (low, high), (_, line_top, _, line_bottom)
               in zip(slots, sorted(cell_lines, key=lambda box: box[1]), strict=True)):
            edges += [Edge(False, row * scale, x0 * scale, x1 * scale) for row in inside]
    return edges


def _levelled(image: Image.Image) -> np.ndarray:
    """The page as grey pixels, red dropped and skew undone."""
    grey = _drop_red(_bounded(image))
    angle = skew_angle(grey)
    if abs(angle) >= 0.05:
        grey = grey.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255, expand=False)
    return np.asarray(grey)


def _pixels(box: tuple[float, float, float, float], scale: float) -> ink_lines.Box:
    x0, top, x1, bottom = box
    return round(x0 / scale), round(top / scale), round(x1 / scale), round(bottom / scale)


def _crop(pixels: np.ndarray, box: ink_lines.Box, height: int, paper: float) -> np.ndarray:
    """The line's pixels on paper: at least a line's height, with CROP_MARGIN of paper around, the ink
    centred (nothing of the neighbouring lines or ruling lines comes in)."""
    x0, top, x1, bottom = box
    margin = _margin(height)
    inner = max(bottom - top, height)
    canvas = np.full((inner + 2 * margin, x1 - x0 + 2 * margin), min(255, round(paper)), dtype=np.uint8)
    offset = margin + (inner - (bottom - top)) // 2
    canvas[offset: offset + bottom - top, margin: margin + x1 - x0] = pixels[top:bottom, x0:x1]
    return canvas


def _margin(height: int) -> int:
    return max(2, round(CROP_MARGIN * height))


def _bounded(image: Image.Image) -> Image.Image:
    if min(image.size) < MIN_SIDE:
        raise ValueError("image too small to read")
    longest = max(image.size)
    if longest > MAX_SIDE:
        factor = MAX_SIDE / longest
        image = image.resize((max(1, round(image.width * factor)), max(1, round(image.height * factor))),
                             Image.Resampling.LANCZOS)
    return image


def _drop_red(image: Image.Image) -> Image.Image:
    """The red channel as a grey image: red (a seal) becomes light, black stays black."""
    if image.mode in ("1", "L", "I", "F", "I;16"):
        return image.convert("L")
    return image.convert("RGB").getchannel("R")


def skew_angle(grey: Image.Image) -> float:
    """Degrees to rotate the page by (counter-clockwise) to level its text lines and rulings: the angle whose
    shear gives the row profile of the ink with the sharpest peaks, searched on a quarter-size image."""
    small = grey.resize((max(1, grey.width // 4), max(1, grey.height // 4)), Image.Resampling.BOX)
    ys, columns = np.nonzero(np.asarray(small) < _INK)
    if len(columns) < 50:
        return 0.0
    xs = columns - small.width / 2  # sheared about the middle: the page's centre stays in place

    def sharpness(degrees: float) -> float:
        rows = np.round(ys + xs * math.tan(math.radians(degrees))).astype(np.int64)
        counts = np.bincount(rows - rows.min())
        return float(np.dot(counts, counts))

    coarse = max(np.arange(-_MAX_SKEW, _MAX_SKEW + 1e-9, 0.25), key=sharpness)
    best = float(max(np.arange(coarse - 0.25, coarse + 0.25 + 1e-9, 0.05), key=sharpness))
    # The shear that levels lines sloping down to the right (y grows with x) is a counter-clockwise turn.
    return -best


def _ruling_runs(ink: np.ndarray) -> tuple[list[Run], list[Run]]:
    """The runs of ink long enough to be ruling lines, along the rows and along the columns (none when
    there are too many to be a table's: a picture, a page of noise)."""
    height, width = ink.shape
    rows = _runs(ink, max(20, width // _LINE_FRACTION))
    columns = _runs(ink.T, max(20, height // _LINE_FRACTION))
    return (rows, columns) if len(rows) + len(columns) <= _MAX_RUNS else ([], [])


def _edges(rows: list[Run], columns: list[Run], scale: float) -> list[Edge]:
    edges = [Edge(False, row * scale, start * scale, end * scale) for row, start, end in rows]
    return edges + [Edge(True, column * scale, start * scale, end * scale) for column, start, end in columns]


def _runs(ink: np.ndarray, min_length: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of every run of ink along the rows at least min_length long, runs parted by gaps
    of up to _MAX_GAP pixels joined (a scanned line is broken by noise and by the paper's grain)."""
    padded = np.zeros((ink.shape[0], ink.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    change = np.diff(padded, axis=1)
    rows, starts = np.nonzero(change == 1)
    _, ends = np.nonzero(change == -1)  # same order: runs alternate within a row
    if len(rows) == 0:
        return []
    # A new joined run begins at a new row or after a wider gap.
    begins = np.ones(len(rows), dtype=bool)
    begins[1:] = (rows[1:] != rows[:-1]) | (starts[1:] - ends[:-1] > _MAX_GAP)
    first = np.nonzero(begins)[0]
    last = np.append(first[1:], len(rows)) - 1
    joined_rows, joined_starts, joined_ends = rows[first], starts[first], ends[last]
    long = (joined_ends - joined_starts) >= min_length
    return list(zip(joined_rows[long].tolist(), joined_starts[long].tolist(), joined_ends[long].tolist(),
                    strict=True))


def cell_confidence(box: tuple[float, float, float, float], page: OcrPage) -> float | None:
    """The lowest confidence of the text boxes whose centre lies in this cell; None when none does."""
    x0, top, x1, bottom = box
    found = [page.confidence.get((c[1], c[3]), 1.0) for c in page.chars
             if x0 <= c[5] <= x1 and top <= c[6] <= bottom]
    return min(found) if found else None
