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

Run = tuple[int, int, int]  # (row, start, end) of a run of ink along the rows, or (column, ...) along columns


@dataclass
class OcrPage:
    chars: list[Char]  # one per line of text read (a cell's line, a piece of a line of prose), in points
    edges: list[Edge]  # ruling lines in points
    confidence: dict[tuple[float, float], float]  # (x0, top) of a text -> the recogniser's confidence
    width: float
    height: float


def read_image(image: Image.Image, dpi: float = DPI) -> OcrPage:
    """OCR one page image whose resolution is `dpi` (a picture of unknown resolution: any plausible one)."""
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
    boxes = in_cells + outside
    read = recogniser.recognise([_crop(pixels, box, height, paper) for box in boxes])
    chars: list[Char] = []
    confidence: dict[tuple[float, float], float] = {}
    for (x0, top, x1, bottom), (text, score) in zip(boxes, read, strict=True):
        text = text.strip()
        if text:
            box = (x0 * scale, top * scale, x1 * scale, bottom * scale)
            chars.append((text, box[0], box[2], box[1], box[3], (box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
            confidence[box[0], box[1]] = score
    page_height, page_width = pixels.shape
    return OcrPage(chars, edges, confidence, page_width * scale, page_height * scale)


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
    margin = max(2, round(CROP_MARGIN * height))
    inner = max(bottom - top, height)
    canvas = np.full((inner + 2 * margin, x1 - x0 + 2 * margin), min(255, round(paper)), dtype=np.uint8)
    offset = margin + (inner - (bottom - top)) // 2
    canvas[offset: offset + bottom - top, margin: margin + x1 - x0] = pixels[top:bottom, x0:x1]
    return canvas


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


def ruling_edges(ink: np.ndarray, scale: float) -> list[Edge]:
    """Horizontal and vertical runs of ink long enough to be ruling lines, as edges in points (pixels times
    `scale`)."""
    return _edges(*_ruling_runs(ink), scale)


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
