"""Lines of text in a levelled page image, found from its ink alone (no detector model).

A printed report, once its skew is undone, is lines of text parted by white rows: the row profile of the ink
(how many ink pixels each row holds) gives the lines, the column profile within a line gives its extent and
the gaps that part its pieces. Inside a ruled table each cell is looked at alone (its box comes from the
ruling lines), so a cell's lines belong to that cell by construction and a blank cell costs nothing.

Boxes are in pixels: (x0, top, x1, bottom), ends excluded.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

Box = tuple[int, int, int, int]

# Ink is what stays darker than the paper by this much once each pixel is averaged with its 8 neighbours:
# a scanner's speckle (single pixels, pairs) averages away, a stroke of text (2-3 px at 150 dpi) does not.
TEXT_CONTRAST = 60
THIN_CONTRAST = 30
STROKE_CONTRAST = 90
DEFAULT_HEIGHT = 20  # px: the height of a line of text at 150 dpi (10.5 pt), when a page has none to measure
# Two bands of a row profile closer than this (x the line height) are one line when together they are no
# taller than MERGED_HEIGHT: a character like 三 or 二 alone has white rows between its strokes.
MERGE_GAP = 0.4
MERGED_HEIGHT = 1.3
# Outside tables a line's pieces are parted by a gap of at least this (x the line height): a full character
# width, which prose never leaves between its characters, while columns, a right-aligned date or the cells
# of an unruled table do.
PIECE_GAP = 1.0
# A band taller than this (x the line height) holds lines side by side (columns at different heights):
# it is cut into its pieces, each profiled again. Still taller than NOT_TEXT: a picture (a logo, a photo),
# not read.
TALL = 1.6
NOT_TEXT = 3.0
MIN_INK = 6  # ink pixels: a smaller blot is a speck, not a character or a dash
RULING_FILL = 0.6  # a row (column) of a cell's crop this full of ink is what is left of a ruling line
CELL_INSET = 2  # px kept off each side of a cell's box: the ruling lines' own ink
BORDER = 4  # px along a cell's sides where a full row (column) of ink is a ruling line the skew left over
# Paper kept around a cell's line of ink (x the line height), within the cell: the ink mask misses a thin
# stroke (a Song face's hairlines, the top and bottom of its 0, the end of its 3 or 5), and a crop cut at the
# mask's edge lost them (0 read as "u", 3534 as "1534" with full confidence).
LINE_PAD = 0.15


def ink_mask(pixels: np.ndarray, paper: float) -> np.ndarray:
    blurred = np.asarray(Image.fromarray(pixels).filter(ImageFilter.BoxBlur(1)))
    # A stroke one pixel thin (a 1 at 150 dpi, faded under a seal) averages to little: its own dark pixels
    # keep it, where their neighbourhood is darkish too (a lone speck's is not).
    thin = (blurred < paper - THIN_CONTRAST) & (pixels < paper - STROKE_CONTRAST)
    return (blurred < paper - TEXT_CONTRAST) | thin


def erase(ink: np.ndarray, rows: list[tuple[int, int, int]], columns: list[tuple[int, int, int]]) -> None:
    """Take ruling lines, given as their runs (row, start, end) and (column, start, end), out of the ink, with
    the pixel either side the blur spread them to."""
    for row, start, end in rows:
        ink[max(0, row - 1): row + 2, start:end] = False
    for column, start, end in columns:
        ink[start:end, max(0, column - 1): column + 2] = False


def find_lines(ink: np.ndarray, tables: list[list[Box]]) -> tuple[list[list[list[Box]]], list[Box], int]:
    """The lines of text in each cell of each table (as `tables` lists them), the pieces of lines outside the
    tables, and the height of a line of text on this page (the median band of ink)."""
    free = ink.copy()
    for cells in tables:
        x0, top, x1, bottom = _around(cells)
        free[max(0, top - 1): bottom + 1, max(0, x0 - 1): x1 + 1] = False
    cells = [_inset(cell, ink.shape) for table in tables for cell in table]
    cell_inks = _cell_inks(ink, cells)
    cell_bands = [_bands(part) for part in cell_inks]
    page_bands = _bands(free)
    height = _line_height([*zip(cell_inks, cell_bands, strict=True), (free, page_bands)])
    lines = iter([[box for start, end in _merged(bands, height)
                   for box in _cell_line(part[start:end], cell, start, max(1, round(LINE_PAD * height)))]
                  for cell, part, bands in zip(cells, cell_inks, cell_bands, strict=True)])
    in_cells = [[next(lines) for _ in table] for table in tables]
    outside: list[Box] = []
    for start, end in _merged(page_bands, height):
        outside.extend(_pieces(free, (0, start, ink.shape[1], end), height, depth=0))
    return in_cells, outside, height


def _line_height(parts: list[tuple[np.ndarray, list[tuple[int, int]]]]) -> int:
    """The height of a line of text: the median height of the bands of ink, each weighted by its width (a
    line of text outweighs the strokes of a lone 三 or a dash)."""
    heights: list[int] = []
    widths: list[int] = []
    for ink, bands in parts:
        for start, end in bands:
            if end - start >= 3:
                heights.append(end - start)
                widths.append(int(ink[start:end].any(axis=0).sum()))
    if not heights:
        return DEFAULT_HEIGHT
    ordered = sorted(zip(heights, widths, strict=True))
    middle = int(np.searchsorted(np.cumsum([width for _, width in ordered]), sum(widths) / 2))
    return ordered[min(middle, len(ordered) - 1)][0]


def _cell_inks(ink: np.ndarray, cells: list[Box]) -> list[np.ndarray]:
    """Each cell's ink. Where ruling lines were lost (in a scan's grain) the table finder's cells overlap:
    the smallest cell takes the ink first, so that no ink is read twice (as two texts of one cell)."""
    taken = np.zeros(ink.shape, dtype=bool)
    out: list[np.ndarray] = [np.zeros((0, 0), dtype=bool)] * len(cells)
    for index in sorted(range(len(cells)), key=lambda i: (cells[i][2] - cells[i][0]) * (cells[i][3] - cells[i][1])):
        x0, top, x1, bottom = cells[index]
        out[index] = _cell_ink(ink, cells[index]) & ~taken[top:bottom, x0:x1]
        taken[top:bottom, x0:x1] = True
    return out


def _around(cells: list[Box]) -> Box:
    return min(c[0] for c in cells), min(c[1] for c in cells), max(c[2] for c in cells), max(c[3] for c in cells)


def _inset(cell: Box, shape: tuple[int, ...]) -> Box:
    x0, top, x1, bottom = cell
    height, width = shape[0], shape[1]
    return (max(0, x0 + CELL_INSET), max(0, top + CELL_INSET), min(width, x1 - CELL_INSET),
            min(height, bottom - CELL_INSET))


def _cell_ink(ink: np.ndarray, cell: Box) -> np.ndarray:
    """The cell's ink, rows and columns along its sides that are left of a ruling line (a line the skew
    left slanting, or thick enough to reach past the inset) cleared."""
    x0, top, x1, bottom = cell
    if x1 - x0 < 2 or bottom - top < 2:
        return np.zeros((0, 0), dtype=bool)
    part = ink[top:bottom, x0:x1].copy()
    rows, columns = part.mean(axis=1) > RULING_FILL, part.mean(axis=0) > RULING_FILL
    rows[BORDER:-BORDER] = columns[BORDER:-BORDER] = False  # inside, a full row is a dash, a column a 1
    part[rows, :] = False
    part[:, columns] = False
    return part


def _bands(ink: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of rows holding ink."""
    if ink.size == 0:
        return []
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) > 1)
    starts = np.concatenate(([rows[0]], rows[breaks + 1]))
    ends = np.concatenate((rows[breaks], [rows[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _merged(bands: list[tuple[int, int]], height: int) -> list[tuple[int, int]]:
    """Bands that are pieces of one line of characters (三 has white rows between its strokes) joined."""
    out: list[tuple[int, int]] = []
    for start, end in bands:
        if out and start - out[-1][1] <= MERGE_GAP * height and end - out[-1][0] <= MERGED_HEIGHT * height:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _cell_line(part: np.ndarray, cell: Box, start: int, pad: int) -> list[Box]:
    """The box of a cell's line of ink (part: the cell's ink between its rows start and end) with `pad`
    pixels of paper around it that stay in the cell, none for a speck."""
    x0, top, x1, bottom = cell
    columns = np.flatnonzero(part.any(axis=0))
    if len(columns) == 0 or part.sum() < MIN_INK:
        return []
    return [(max(x0, x0 + int(columns[0]) - pad), max(top, top + start - pad),
             min(x1, x0 + int(columns[-1]) + 1 + pad), min(bottom, top + start + part.shape[0] + pad))]


def _pieces(ink: np.ndarray, band: Box, height: int, depth: int) -> list[Box]:
    """The pieces of a band of the page outside tables: runs of ink columns parted by gaps of PIECE_GAP;
    a band too tall for one line is profiled again piece by piece (once)."""
    x0, top, x1, bottom = band
    part = ink[top:bottom, x0:x1]
    columns = np.flatnonzero(part.any(axis=0))
    if len(columns) == 0:
        return []
    breaks = np.flatnonzero(np.diff(columns) > PIECE_GAP * height)
    starts = np.concatenate(([columns[0]], columns[breaks + 1]))
    ends = np.concatenate((columns[breaks], [columns[-1]])) + 1
    out: list[Box] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        piece = part[:, start:end]
        rows = np.flatnonzero(piece.any(axis=1))
        if piece.sum() < MIN_INK:
            continue
        box = (x0 + start, top + int(rows[0]), x0 + end, top + int(rows[-1]) + 1)
        if box[3] - box[1] > TALL * height and depth == 0:
            for inner_top, inner_bottom in _merged(_bands(piece), height):
                out.extend(_pieces(ink, (box[0], top + inner_top, box[2], top + inner_bottom), height, depth + 1))
        elif box[3] - box[1] <= NOT_TEXT * height:
            out.append(box)
    return out
