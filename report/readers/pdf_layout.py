"""Characters, ruling lines, ruled tables and text lines of one PDF page, read from pypdfium2.

pdfplumber found the report tables right, but it re-parses every page's content stream in pure Python
(pdfminer): 100-600 ms a page. pdfium has already parsed the page, so this module takes the character
boxes and the painted paths from pdfium and runs pdfplumber's "lines" table finder on them (ported
here, MIT licence): ruling lines within 3 pt snap together and join, their crossings give cells, cells
sharing a corner form a table. Text grouping follows pdfplumber's too (words split at blanks or gaps
wider than X_TOLERANCE, lines clustered within Y_TOLERANCE), so the output stays the one the parser
was built on.

Coordinates are pdfplumber's: points from the page's top-left corner, `top` growing downwards.

Speed (bench/parse.py measures it against pdfium's plain text): a character is a plain tuple, pdfium is
called without argument conversion, and the usual shapes are read in one pass, only the others going
pdfplumber's general way: lines of text that come in order, cells that close on the next crossings,
characters in the cell of the character before them (tests/readers/test_pdf_layout_fast_paths.py
checks that both ways agree).

The table finder and the word grouping are derived from pdfplumber (https://github.com/jsvine/pdfplumber),
Copyright (c) 2015-2024 Jeremy Singer-Vine, released under the MIT License, which permits this use provided
this notice is kept.
"""

from __future__ import annotations

import bisect
import ctypes
import math
import struct
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar, cast

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

SNAP_TOLERANCE = 3.0  # ruling lines this close are one line (double borders, cell borders drawn twice)
JOIN_TOLERANCE = 3.0  # collinear pieces with gaps up to this are one line
INTERSECTION_TOLERANCE = 3.0
MIN_EDGE_LENGTH = 3.0
X_TOLERANCE = 3.0  # a wider gap between two characters starts a new word
Y_TOLERANCE = 3.0  # characters whose bottoms differ by less are on one line
# Hostile or plotted pages can hold millions of path segments. Past these bounds the rulings are ignored
# and the page is read as if it had none: finding cells costs up to the square of the crossings. A dense
# real table page (40 rows x 20 columns, every cell's border drawn apart) has ~3,500 segments and ~900
# crossings.
MAX_SEGMENTS = 50_000  # path segments looked at on one page (each costs a few pdfium calls)
MAX_EDGES = 20_000  # axis-parallel segments kept from them
MAX_LINES = 1_000  # ruling lines once snapped and joined (pairs of them are tested for crossings)
MAX_CROSSINGS = 5_000  # crossings of those lines
MAX_FORM_DEPTH = 8
_INFINITY = math.inf
_TALL_CHAR = 20.0  # points; a taller character box is checked against its font size
_AXIS_EPSILON = 0.01  # a segment this close to axis-parallel is a ruling line

Box = tuple[float, float, float, float]  # x0, top, x1, bottom
Point = tuple[float, float]
Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, as in PDF
T = TypeVar("T")

# A character: (text, x0, x1, top, bottom, cx, cy). A plain tuple, not an object: a page has hundreds,
# and building a tuple costs a fifth of building an object; the loops unpack it into names. A blank's
# text is "" (it only parts words, and `not text` is quicker than text.isspace()).
# Characters of one text line share a bottom (baseline + font descent, pdfium's as pdfminer's) whatever
# their fonts, while pdfium's tops differ with the fonts' ascents: lines are told apart by bottoms.
# The centre (cx, cy) decides which cell or table holds the character: computed once, tested many times.
Char = tuple[str, float, float, float, float, float, float]
_LEFT_TO_RIGHT = itemgetter(1, 2)  # x0, x1
_BOTTOM = itemgetter(4)
_CENTRE_X, _CENTRE_Y = itemgetter(5), itemgetter(6)
OrderedLine = tuple[float, float, int, int, str]  # lowest and highest bottom, start, end, text


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(slots=True)
class Edge:
    vertical: bool
    at: float  # x of a vertical edge, top of a horizontal one
    start: float  # top of a vertical edge, x0 of a horizontal one
    end: float


@dataclass
class PageTable:
    bbox: Box
    # One list per grid row; None where no cell starts (a position covered by a merged cell).
    rows: list[list[str | None]]
    # The box of each cell, where rows has its text (None where rows has None).
    boxes: list[list[Box | None]] | None = None


# --- reading the page ------------------------------------------------------------------------------

def page_chars(textpage: pdfium.PdfTextPage, page_height: float, text: str | None = None) -> list[Char]:
    """The page's characters in content order, without the spaces and line breaks pdfium invents.
    text: the text page's whole text (get_text_range()), when the caller has it already.

    pdfium inserts a space wherever glyphs sit a little apart (2 pt between "2020" and "年", or inside a
    justified number), so its generated spaces are dropped and words are split by gaps, as pdfplumber
    does. (pdfium also marks some spaces of the document as generated: those words then join, unless
    the gap is wider than X_TOLERANCE. Joined label words are harmless; a split number is not.)"""
    count = textpage.count_chars()
    if text is None or len(text) != count:
        text = textpage.get_text_range(0, count) if count else ""
    if len(text) != count:  # characters outside the BMP take two UTF-16 units: ask one by one
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 0xFFFD) for i in range(count))
    box = pdfium_c.FS_RECTF()
    box_ref = ctypes.byref(box)
    unpack_box = _RECTF.unpack_from  # left, top, right, bottom: one call instead of four field reads
    loose_box, is_generated, tall = _LOOSE_CHAR_BOX, _IS_GENERATED, _TALL_CHAR
    raw = textpage.raw
    chars: list[Char] = []
    append = chars.append
    for index, char in enumerate(text):
        if char.isspace():
            if is_generated(raw, index) == 1:
                continue
            char = ""  # a blank only parts words: its text is never shown
        if not loose_box(raw, index, box_ref):
            continue
        left, top, right, bottom = unpack_box(box)
        if char and top - bottom > tall:
            left, right, top, bottom = _plausible_box(textpage, index, (left, right, top, bottom))
        top, bottom = page_height - top, page_height - bottom
        append((char, left, right, top, bottom, (left + right) / 2, (top + bottom) / 2))
    return chars


def _untyped(function: Any) -> Callable[..., Any]:
    """A copy of a pdfium binding for a call made once per character or page object: without argument
    types, ctypes skips converting each argument, which halves the cost of a call; as a PYFUNCTYPE it
    keeps the GIL instead of releasing and taking it back around a call of a microsecond (a sixth
    less). Only for calls whose arguments are all ctypes pointers or ints that fit a C int (a plain
    Python int would be passed as a C int), and that neither block nor call back into Python."""
    address = cast(int, ctypes.cast(function, ctypes.c_void_p).value)  # a bound function: never NULL
    untyped = ctypes.PYFUNCTYPE(function.restype)(address)
    untyped.argtypes = None  # type: ignore[assignment]  # ctypes takes None: no argument conversion
    return untyped


_LOOSE_CHAR_BOX = _untyped(pdfium_c.FPDFText_GetLooseCharBox)  # (textpage, index, FS_RECTF*) -> bool
_IS_GENERATED = _untyped(pdfium_c.FPDFText_IsGenerated)  # (textpage, index) -> 1, 0 or -1
_PAGE_OBJECT = _untyped(pdfium_c.FPDFPage_GetObject)
_OBJECT_TYPE = _untyped(pdfium_c.FPDFPageObj_GetType)
_OBJECT_MATRIX = _untyped(pdfium_c.FPDFPageObj_GetMatrix)  # pass the FS_MATRIX by reference
_DRAW_MODE = _untyped(pdfium_c.FPDFPath_GetDrawMode)
_PATH_SEGMENT = _untyped(pdfium_c.FPDFPath_GetPathSegment)
_SEGMENT_POINT = _untyped(pdfium_c.FPDFPathSegment_GetPoint)
_SEGMENT_TYPE = _untyped(pdfium_c.FPDFPathSegment_GetType)
_SEGMENT_CLOSE = _untyped(pdfium_c.FPDFPathSegment_GetClose)
_COUNT_SEGMENTS = _untyped(pdfium_c.FPDFPath_CountSegments)
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_MATRIX = struct.Struct("6f")  # FS_MATRIX: a b c d e f
_RECTF = struct.Struct("4f")
assert ctypes.sizeof(pdfium_c.FS_MATRIX) == _MATRIX.size and [
    f[0] for f in pdfium_c.FS_MATRIX._fields_] == ["a", "b", "c", "d", "e", "f"]
assert ctypes.sizeof(pdfium_c.FS_RECTF) == _RECTF.size and [f[0] for f in pdfium_c.FS_RECTF._fields_] == [
    "left", "top", "right", "bottom"]


def _plausible_box(textpage: pdfium.PdfTextPage, index: int,
                   loose: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The loose box (advance width x font height, like pdfplumber's) unless it is far taller than the
    font: for a vertical-writing (Identity-V) font pdfium sizes it from the font size without the text
    matrix, so a 10 pt label set as 199 pt scaled by 0.05 got a 199 pt box and landed in the wrong cell.
    Then the glyph's own box is used. Only boxes taller than _TALL_CHAR are checked (two more calls)."""
    left, right, top, bottom = loose
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFText_GetMatrix(textpage.raw, index, m):
        return loose
    em = pdfium_c.FPDFText_GetFontSize(textpage.raw, index) * math.sqrt(abs(m.a * m.d - m.b * m.c))
    tight = [ctypes.c_double() for _ in range(4)]  # left, right, bottom, top
    if top - bottom <= 2 * em or not pdfium_c.FPDFText_GetCharBox(textpage.raw, index, *map(ctypes.byref, tight)):
        return loose
    t_left, t_right, t_bottom, t_top = (v.value for v in tight)
    return t_left, t_right, t_top, t_bottom


def page_edges(page: pdfium.PdfPage, page_height: float) -> list[Edge] | None:
    """Horizontal and vertical segments of the painted paths; None when there are too many to use."""
    collector = _EdgeCollector()
    flip = (1.0, 0.0, 0.0, -1.0, 0.0, page_height)  # PDF space (y up) -> top-down coordinates
    get_object, raw = _PAGE_OBJECT, page.raw
    objects = [get_object(raw, i) for i in range(pdfium_c.FPDFPage_CountObjects(raw))]
    if not collector.collect(objects, flip, depth=0):
        return None
    edges = []
    for (x0, y0), (x1, y1) in collector.segments:
        if abs(x0 - x1) < _AXIS_EPSILON and abs(y0 - y1) >= 1:
            edges.append(Edge(True, (x0 + x1) / 2, min(y0, y1), max(y0, y1)))
        elif abs(y0 - y1) < _AXIS_EPSILON and abs(x0 - x1) >= 1:
            edges.append(Edge(False, (y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    return edges if len(edges) <= MAX_EDGES else None


class _EdgeCollector:
    """Walks page objects (into forms) for the straight segments of painted paths, with the ctypes
    out-parameters allocated once."""

    def __init__(self) -> None:
        self.segments: list[tuple[Point, Point]] = []  # in top-down coordinates
        self.counted = 0  # segments of the paths looked at, curves included
        self._x, self._y = ctypes.c_float(), ctypes.c_float()
        self._point_refs = (ctypes.byref(self._x), ctypes.byref(self._y))
        self._fill, self._stroke = ctypes.c_int(), ctypes.c_int()
        self._mode_refs = (ctypes.byref(self._fill), ctypes.byref(self._stroke))
        self._matrix = pdfium_c.FS_MATRIX()
        self._matrix_ref = ctypes.byref(self._matrix)

    def collect(self, objects: Sequence[ctypes.c_void_p], outer: Matrix, depth: int) -> bool:
        """Add the straight segments of these objects' paths, including the ones closing subpaths
        (curves are skipped: a rounded corner is not a ruling line); False once there are too many
        to be a table's. Pages hold hundreds of objects: the loop keeps its names local."""
        object_type, draw_mode, count_segments = _OBJECT_TYPE, _DRAW_MODE, _COUNT_SEGMENTS
        get_segment, get_point = _PATH_SEGMENT, _SEGMENT_POINT
        get_type, get_close = _SEGMENT_TYPE, _SEGMENT_CLOSE
        fill, stroke, mode_refs = self._fill, self._stroke, self._mode_refs
        x, y, (x_ref, y_ref) = self._x, self._y, self._point_refs
        path, form = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
        moveto, lineto = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_LINETO
        segments = self.segments
        # An object drawn as is (the usual case) takes the outer matrix unchanged; composing with the
        # identity would give the same but for the sign of zeros, if the outer matrix is finite.
        outer_is_finite = all(map(math.isfinite, outer))
        for obj in objects:
            kind = object_type(obj)
            if kind == form and depth < MAX_FORM_DEPTH:
                count = pdfium_c.FPDFFormObj_CountObjects(obj)
                inner_objects = [pdfium_c.FPDFFormObj_GetObject(obj, i) for i in range(count)]
                if not self.collect(inner_objects, _compose(self._object_matrix(obj), outer), depth + 1):
                    return False
                continue
            # A path neither filled nor stroked draws nothing (pdfminer never reports one either).
            if kind != path or not draw_mode(obj, *mode_refs) or not (fill.value or stroke.value):
                continue
            inner = self._object_matrix(obj)
            a, b, c, d, e, f = outer if inner == _IDENTITY and outer_is_finite else _compose(inner, outer)
            count = count_segments(obj)
            self.counted += max(count, 0)
            if self.counted > MAX_SEGMENTS:
                return False
            current = start = (0.0, 0.0)
            for i in range(count):
                segment = get_segment(obj, i)
                if not get_point(segment, x_ref, y_ref):
                    continue
                px, py = x.value, y.value
                point = (a * px + c * py + e, b * px + d * py + f)
                kind = get_type(segment)
                if kind == moveto:
                    start = point
                elif kind == lineto:
                    segments.append((current, point))
                current = point
                if get_close(segment):
                    segments.append((current, start))
                    current = start
        return True

    def _object_matrix(self, obj: ctypes.c_void_p) -> Matrix:
        if not _OBJECT_MATRIX(obj, self._matrix_ref):
            return _IDENTITY
        return _MATRIX.unpack_from(self._matrix)


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    """The matrix applying `inner`, then `outer` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    oa, ob, oc, od, oe, of = outer
    return (a * oa + b * oc, a * ob + b * od, c * oa + d * oc, c * ob + d * od,
            e * oa + f * oc + oe, e * ob + f * od + of)


# --- ruling lines -> tables ------------------------------------------------------------------------

Line = tuple[float, float, float]  # a ruling line once snapped and joined: at, start, end (as in Edge)
# A crossing of ruling lines: [x, top, vertical lines, horizontal lines, then as _cells numbers them:
# number, place in its row]. The lines through it are bit masks (bit i: vertical line i, bit j:
# horizontal line j): two crossings lie on one ruling line when their masks share a bit.
Crossing = list[Any]  # mixed: floats (x, top) and ints (masks, numbers)
_X, _TOP, _VS, _HS, _NUMBER, _ACROSS = range(6)
_FIRST = itemgetter(0)
Corners = tuple[int, int, int, int]  # a cell's corners, as numbers of crossings


def find_tables(edges: list[Edge], chars: list[Char]) -> list[PageTable]:
    """Ruled tables top to bottom, each with its cell texts (lines of a cell joined by newlines)."""
    return tables_and_rest(edges, chars)[0]


def tables_and_rest(edges: list[Edge], chars: list[Char]) -> tuple[list[PageTable], list[Char]]:
    """find_tables, and the characters outside the tables (outside(chars, their boxes)): the characters
    are sorted into cells and the rest in one pass."""
    grids = [_Grid(cells) for cells in table_cells(edges)]
    rest = _sort_into_cells(chars, grids) if grids else chars
    return [grid.table() for grid in grids], rest


def table_cells(edges: list[Edge]) -> list[list[Box]]:
    """The cells of each ruled table, tables top to bottom (OCR crops a scanned table's cells from them)."""
    verticals, horizontals = _merge_edges(edges)
    if len(verticals) + len(horizontals) > MAX_LINES:
        return []
    crossings = _intersections(verticals, horizontals)
    if len(crossings) > MAX_CROSSINGS:
        return []
    return _group_cells(*_cells(crossings), len(crossings))


def _merge_edges(edges: list[Edge]) -> tuple[list[Line], list[Line]]:
    """Snap nearly collinear edges onto their mean position, then join pieces along each line.
    The vertical lines and the horizontal ones, each sorted by position, then start."""
    merged: tuple[list[Line], list[Line]] = ([], [])
    for lines, vertical in zip(merged, (True, False), strict=True):
        joined = _join(sorted(_snap([e for e in edges if e.vertical == vertical])))
        lines.extend(line for line in joined if line[2] - line[1] >= MIN_EDGE_LENGTH)
    return merged


def _snap(edges: list[Edge]) -> list[Line]:
    """Edges whose positions chain within SNAP_TOLERANCE move to their mean position (cluster_by's
    clusters, the mean summed in the edges' order)."""
    if not edges:
        return []
    ats = [e.at for e in edges]
    order = sorted(range(len(edges)), key=ats.__getitem__)
    clusters = [[order[0]]]
    for previous, current in zip(order, order[1:], strict=False):
        if ats[current] > ats[previous] + SNAP_TOLERANCE:
            clusters.append([])
        clusters[-1].append(current)
    snapped = []
    for cluster in clusters:
        if len(cluster) == 1:  # most lines are drawn once: the mean is the position
            edge = edges[cluster[0]]
            snapped.append((edge.at, edge.start, edge.end))
            continue
        cluster.sort()
        mean = sum(ats[i] for i in cluster) / len(cluster)
        snapped.extend((mean, edges[i].start, edges[i].end) for i in cluster)
    return snapped


def _join(pieces: list[Line]) -> list[Line]:
    """Pieces sorted by position, then start: overlapping or nearly touching ones on one line become one.
    (Positions are never NaN: an edge's ends differ by less than _AXIS_EPSILON across it.)"""
    joined: list[Line] = []
    for at, start, end in pieces:
        if joined and joined[-1][0] == at and start <= joined[-1][2] + JOIN_TOLERANCE:
            if end > joined[-1][2]:
                joined[-1] = (at, joined[-1][1], end)
        else:
            joined.append((at, start, end))
    return joined


def _intersections(verticals: list[Line], horizontals: list[Line]) -> dict[Point, Crossing]:
    """Crossing points -> their crossing (masks of the vertical and of the horizontal lines through it).
    `horizontals` is sorted by height."""
    tol = INTERSECTION_TOLERANCE
    tops = [top for top, _, _ in horizontals]
    reaches = [(top, start - tol, end + tol, 1 << j) for j, (top, start, end) in enumerate(horizontals)]
    points: dict[Point, Crossing] = {}
    for i, (x, v_start, v_end) in enumerate(verticals):
        vertical = 1 << i
        # Only horizontals whose height lies along this vertical can cross it.
        for top, left, right, horizontal in reaches[bisect.bisect_left(tops, v_start - tol):
                                                    bisect.bisect_right(tops, v_end + tol)]:
            if left <= x <= right:
                crossing = points.get((x, top))
                if crossing is None:
                    points[x, top] = [x, top, vertical, horizontal, 0, 0]  # numbered by _cells
                else:
                    crossing[_VS] |= vertical
                    crossing[_HS] |= horizontal
    return points


def _cells(points: dict[Point, Crossing]) -> tuple[list[Box], list[Corners]]:
    """For each crossing, the smallest rectangle whose four corners are crossings joined by lines, and
    those corners (as numbers of crossings).

    Two crossings are joined along a vertical (horizontal) when one vertical (horizontal) line passes
    through both: their masks share a bit. The bottom corner nearest the top-left one wins, then the
    right corner nearest it (pdfplumber's order)."""
    crossings = list(map(points.__getitem__, sorted(points)))
    # The crossings of each x, top to bottom, x by x; and of each top, left to right.
    columns = [list(column) for _, column in groupby(crossings, key=_FIRST)]
    rows: dict[float, list[Crossing]] = defaultdict(list)
    for number, crossing in enumerate(crossings):
        row = rows[crossing[_TOP]]
        crossing[_NUMBER] = number
        crossing[_ACROSS] = len(row)  # its place in its row
        row.append(crossing)
    cells: list[Box] = []
    corners: list[Corners] = []
    for column in columns:
        for down, corner in enumerate(column):
            x, top, vs, hs, number, across = corner
            row = rows[top]
            if down + 1 == len(column) or across + 1 == len(row):
                continue  # no crossing below it or right of it: no cell starts here
            # Most cells close on the next crossings down and across: try them first.
            below, beside = column[down + 1], row[across + 1]
            if vs & below[_VS] and hs & beside[_HS]:
                far = points.get((beside[_X], below[_TOP]))
                if far is not None and far[_VS] & beside[_VS] and far[_HS] & below[_HS]:
                    cells.append((x, top, beside[_X], below[_TOP]))
                    corners.append((number, below[_NUMBER], beside[_NUMBER], far[_NUMBER]))
                    continue
            cell = _smallest_cell(corner, column[down + 1:], row[across + 1:], points)
            if cell is not None:
                cells.append(cell[0])
                corners.append(cell[1])
    return cells, corners


def _smallest_cell(corner: Crossing, bottoms: list[Crossing], rights: list[Crossing],
                   points: dict[Point, Crossing]) -> tuple[Box, Corners] | None:
    """The cell of this top-left corner, searching the crossings below it and right of it in order."""
    x, top, vs, hs = corner[:4]
    for below in bottoms:
        if not vs & below[_VS]:
            continue
        for beside in rights:
            if not hs & beside[_HS]:
                continue
            far = points.get((beside[_X], below[_TOP]))
            if far is not None and far[_VS] & beside[_VS] and far[_HS] & below[_HS]:
                return ((x, top, beside[_X], below[_TOP]),
                        (corner[_NUMBER], below[_NUMBER], beside[_NUMBER], far[_NUMBER]))
    return None


def _group_cells(cells: list[Box], corners: list[Corners], crossings: int) -> list[list[Box]]:
    """Cells sharing a corner (directly or through other cells) form one table; lone cells are frames,
    not tables. Tables come top to bottom, then left to right. Corners are numbers of crossings, less
    than `crossings`."""
    group_of: list[list[int]] = []  # cell -> the cells of its table so far (one list shared by them)
    owner = [-1] * crossings  # crossing -> the first cell found with a corner there
    for i, cell_corners in enumerate(corners):
        group_of.append([i])
        for corner in cell_corners:
            if owner[corner] < 0:
                owner[corner] = i
                continue
            ours, theirs = group_of[i], group_of[owner[corner]]
            if ours is not theirs:  # two tables meet: the smaller joins the larger
                small, large = (ours, theirs) if len(ours) < len(theirs) else (theirs, ours)
                large.extend(small)
                for cell in small:
                    group_of[cell] = large
    groups = {id(group): group for group in group_of}.values()
    tables = [[cells[i] for i in sorted(group)] for group in groups if len(group) > 1]
    return sorted(tables, key=lambda group: min((c[1], c[0]) for c in group))


class _Grid:
    """One table: its cells on the grid of their left edges (columns) and tops (rows), and the
    characters found in each cell, in content order."""

    def __init__(self, cells: list[Box]) -> None:
        self.cells = cells
        self.columns = sorted({cell[0] for cell in cells})
        self.tops = sorted({cell[1] for cell in cells})
        self.bbox = _bbox(cells)
        self.inside: list[list[Char]] = [[] for _ in cells]
        # Every cell starts on a grid column and a grid row, so the grid slot holding a character's
        # centre belongs to the cell (or, in a degenerate table, the cells) that can hold it: each
        # character is looked up once, however many rows a merged cell spans.
        columns, tops, height = self.columns, self.tops, len(self.tops)
        column_at = {x: i for i, x in enumerate(columns)}
        row_at = {top: i for i, top in enumerate(tops)}
        self.places = [(row_at[top], column_at[x0]) for x0, top, _, _ in cells]  # first row and column
        owners: list[list[int]] = [[] for _ in range(len(columns) * height)]  # slot column * height + row
        left = bisect.bisect_left
        for n, ((_, _, x1, bottom), (row, column)) in enumerate(zip(cells, self.places, strict=True)):
            end_column, end_row = left(columns, x1, column), left(tops, bottom, row)
            if end_column == column + 1 and end_row == row + 1:  # one slot, as most cells
                owners[column * height + row].append(n)
                continue
            for slot_column in range(column, end_column):
                for slot in range(slot_column * height + row, slot_column * height + end_row):
                    owners[slot].append(n)
        self.owners = owners
        self.overlapping = max(map(len, owners)) > 1  # cells overlap: a degenerate table

    def table(self) -> PageTable:
        """The rows of cell texts; None where no cell starts."""
        rows: list[list[str | None]] = [[None] * len(self.columns) for _ in self.tops]
        boxes: list[list[Box | None]] = [[None] * len(self.columns) for _ in self.tops]
        for (row, column), chars, cell in zip(self.places, self.inside, self.cells, strict=True):
            rows[row][column] = _cell_text(chars)
            boxes[row][column] = cell
        return PageTable(self.bbox, rows, boxes)


def _sort_into_cells(chars: list[Char], grids: list[_Grid]) -> list[Char]:
    """Put each character into the cells whose box holds its centre (left and top edges in, right and
    bottom out), keeping content order; the characters whose centre lies in no table's box (edges
    in) are the rest, returned."""
    # A character inside the cell of the character before it (most are) is then in that cell only,
    # and in no other table: unless cells or tables overlap, it needs no looking up.
    shortcut = not any(grid.overlapping for grid in grids) and not _any_overlap([grid.bbox for grid in grids])
    x0 = top = math.inf  # the cell of the character before
    x1 = bottom = -math.inf
    target: list[Char] = []
    rest: list[Char] = []
    right = bisect.bisect_right
    for char in chars:
        _, _, _, _, _, cx, cy = char
        if x0 <= cx < x1 and top <= cy < bottom:
            target.append(char)
            continue
        outside = True
        for grid in grids:
            box = grid.bbox
            if not (box[0] <= cx <= box[2] and box[1] <= cy <= box[3]):
                continue
            outside = False
            columns, tops, cells = grid.columns, grid.tops, grid.cells
            for n in grid.owners[(right(columns, cx) - 1) * len(tops) + right(tops, cy) - 1]:
                cell = cells[n]
                if cell[0] <= cx < cell[2] and cell[1] <= cy < cell[3]:
                    target = grid.inside[n]
                    target.append(char)
                    if shortcut:
                        x0, top, x1, bottom = cell
        if outside:
            rest.append(char)
    return rest


def _any_overlap(boxes: list[Box]) -> bool:
    """Whether two of these boxes overlap or touch."""
    return any(a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
               for i, a in enumerate(boxes) for b in boxes[:i])


def _bbox(cells: Sequence[Box]) -> Box:
    x0s, tops, x1s, bottoms = zip(*cells, strict=True)
    return (min(x0s), min(tops), max(x1s), max(bottoms))


def _cell_text(chars: list[Char]) -> str:
    """pdfplumber's extract_text: words joined by spaces, lines by newlines."""
    if len(chars) <= 1:  # empty, or a single character (a blank one makes no word)
        return chars[0][0] if chars else ""
    # A cell's characters have finite centres (inside the cell), so finite coordinates.
    text = _ordered_line_text(chars)
    if text is not None:  # most cells: one line
        return text
    lines = _ordered_lines(chars)
    if lines is not None:  # most of the others
        return "\n".join(text for *_, text in lines if text)
    if _spread(chars) <= Y_TOLERANCE:  # one line
        return _line_text(sorted(chars, key=_LEFT_TO_RIGHT))
    char_lines = _char_lines(chars)
    if char_lines is None:
        return "\n".join(" ".join(w.text for w in line) for line in word_lines(chars))
    return "\n".join(text for text in (_line_text(sorted(line, key=_LEFT_TO_RIGHT)) for line in char_lines)
                     if text)


def _ordered_line_text(chars: list[Char]) -> str | None:
    """_line_text of characters on one line (bottoms within Y_TOLERANCE) that already stand left to
    right; None when they do not. _ordered_lines for a single line, leaner: most cells hold a number."""
    pieces: list[str] = []
    _, x0, x1, _, low, _, _ = chars[0]
    high = low
    reach = _INFINITY  # a character starting beyond this starts a new word (none before the first)
    for text, char_x0, char_x1, _, bottom, _, _ in chars:
        if char_x0 < x0 or (char_x0 == x0 and char_x1 < x1):  # a step back
            return None
        if bottom < low:
            low = bottom
            if high - low > Y_TOLERANCE:
                return None
        elif bottom > high:
            high = bottom
            if high - low > Y_TOLERANCE:
                return None
        x0, x1 = char_x0, char_x1
        if not text:
            if pieces:
                reach = -_INFINITY  # the next word starts after a blank
            continue
        if char_x0 > reach:
            pieces.append(" ")
        pieces.append(text)
        reach = char_x1 + X_TOLERANCE
    return "".join(pieces)


# --- characters -> words -> lines ------------------------------------------------------------------

def words(chars: list[Char], x_tolerance: float = X_TOLERANCE, y_tolerance: float = Y_TOLERANCE) -> list[Word]:
    """Words line by line, left to right: a blank, a gap wider than x_tolerance or a step back ends one."""
    # The lines, each sorted left to right (cluster_by), in one pass when they come in order.
    ordered = _ordered_lines(chars, y_tolerance) if chars and _finite_centres(chars) else None
    if ordered is not None:
        lines = [chars[start:end] for _, _, start, end, _ in ordered]
    else:
        lines = cluster_by(chars, _BOTTOM, y_tolerance)
        for line in lines:
            line.sort(key=_LEFT_TO_RIGHT)
    return [_word(word) for line in lines for word in _split_words(line, x_tolerance, y_tolerance)]


def _word(chars: list[Char]) -> Word:
    """The word of these characters: its box is theirs (the extremes found as min and max would)."""
    _, x0, x1, top, bottom, _, _ = chars[0]
    for _, _, char_x1, char_top, char_bottom, _, _ in chars:
        if char_x1 > x1:
            x1 = char_x1
        if char_top < top:
            top = char_top
        if char_bottom > bottom:
            bottom = char_bottom
    return Word("".join([char[0] for char in chars]), x0, x1, top, bottom)


def _split_words(line: list[Char], x_tolerance: float, y_tolerance: float) -> Iterator[list[Char]]:
    """pdfplumber's rule on a line sorted left to right: a blank, a gap wider than x_tolerance, a step
    back or a jump of more than y_tolerance ends a word."""
    current: list[Char] = []
    last_x0 = last_x1 = last_bottom = 0.0  # of the current word's last character
    for char in line:
        text, x0, x1, _, bottom, _, _ = char
        if not text:
            if current:
                yield current
            current = []
            continue
        if current and (x0 < last_x0 or x0 > last_x1 + x_tolerance
                        or abs(bottom - last_bottom) > y_tolerance):
            yield current
            current = []
        current.append(char)
        last_x0, last_x1, last_bottom = x0, x1, bottom
    if current:
        yield current


def _line_text(line: list[Char]) -> str:
    """The words of one line (sorted left to right) joined by spaces: _split_words without building them."""
    pieces: list[str] = []
    in_word = False
    last_x0 = last_x1 = last_bottom = 0.0  # of the current word's last character
    for text, x0, x1, _, bottom, _, _ in line:
        if not text:
            in_word = False
            continue
        if pieces and (not in_word or x0 < last_x0 or x0 > last_x1 + X_TOLERANCE
                       or abs(bottom - last_bottom) > Y_TOLERANCE):
            pieces.append(" ")
        pieces.append(text)
        in_word = True
        last_x0, last_x1, last_bottom = x0, x1, bottom
    return "".join(pieces)


def word_lines(chars: list[Char]) -> list[list[Word]]:
    """Words grouped into text lines, top to bottom."""
    return cluster_by(words(chars), lambda w: w.bottom, Y_TOLERANCE)


def text_lines(chars: list[Char]) -> list[tuple[float, str]]:
    """(top, text) of each text line, top to bottom, words joined by a space."""
    if chars and _finite_centres(chars):
        ordered = _ordered_lines(chars)
        if ordered is not None:  # a line's top: its non-blank characters' (a line with text has some)
            return [(_top(chars[start:end]), text) for _, _, start, end, text in ordered if text]
    lines = _char_lines(chars)
    if lines is None:
        return [(min(w.top for w in line), " ".join(w.text for w in line)) for line in word_lines(chars)]
    out = []
    for line in lines:
        text = _line_text(sorted(line, key=_LEFT_TO_RIGHT))
        if text:
            out.append((_top(line), text))
    return out


def _top(line: list[Char]) -> float:
    """The top of a line: its non-blank characters' (a line with text has some)."""
    return min([top for text, _, _, top, _, _, _ in line if text])


def _finite_centres(chars: list[Char]) -> bool:
    """Finite centres (so finite coordinates): the one-pass line finders may be used. (An infinite or
    NaN term makes the sum so; a sum too large for a float only sends the caller the general way.)"""
    return math.isfinite(sum(map(_CENTRE_X, chars)) + sum(map(_CENTRE_Y, chars)))


def _ordered_lines(chars: list[Char], y_tolerance: float = Y_TOLERANCE) -> list[OrderedLine] | None:
    """_char_lines and _line_text in one pass, for characters that come line by line, each line left
    to right (a step back, or a bottom too far from the line's, starts the next line), the lines'
    bottoms each within y_tolerance and further apart than it, as text mostly does: the lines are then
    the clusters, and sorting would not move their characters. Within such a line a word ends only
    at a blank or a gap wider than X_TOLERANCE. (lowest bottom, highest bottom, start, end, text) of
    each line (chars[start:end] its characters), top to bottom; None when the characters are not
    laid out so. Every coordinate must be finite."""
    lines: list[OrderedLine] = []
    pieces: list[str] = []
    _, x0, x1, _, low, _, _ = chars[0]
    high, start = low, 0
    reach = _INFINITY  # a character starting beyond this starts a new word (none before the first)
    tolerance, gap = y_tolerance, X_TOLERANCE
    for i, (text, char_x0, char_x1, _, bottom, _, _) in enumerate(chars):
        if (char_x0 < x0 or (char_x0 == x0 and char_x1 < x1)  # a step back
                or bottom - low > tolerance or high - bottom > tolerance):  # or up or down: the next line
            lines.append((low, high, start, i, "".join(pieces)))
            pieces, low, high, start, reach = [], bottom, bottom, i, _INFINITY
        elif bottom < low:
            low = bottom
        elif bottom > high:
            high = bottom
        x0, x1 = char_x0, char_x1
        if not text:
            if pieces:
                reach = -_INFINITY  # the next word starts after a blank
            continue
        if char_x0 > reach:
            pieces.append(" ")
        pieces.append(text)
        reach = char_x1 + gap
    lines.append((low, high, start, len(chars), "".join(pieces)))
    if len(lines) > 1:
        lines.sort()
        for (_, above, _, _, _), (below, _, _, _, _) in zip(lines, lines[1:], strict=False):
            if not below > above + tolerance:  # clustering by bottoms would join these lines
                return None
    return lines


def _char_lines(chars: list[Char]) -> list[list[Char]] | None:
    """The characters grouped into lines, when a line's words are simply its characters: None for a
    slanted line chained into one group, which pdfplumber's grouping of words again may part."""
    lines = cluster_by(chars, _BOTTOM, Y_TOLERANCE)
    if len(lines) == 1 and len(chars) > 1 and _spread(chars) > Y_TOLERANCE:
        return None
    if len(lines) > 1 and any(_spread(line) > Y_TOLERANCE for line in lines):
        return None
    return lines


def _spread(line: list[Char]) -> float:
    if len(line) == 1:
        return 0.0
    bottoms: list[float] = list(map(_BOTTOM, line))
    return max(bottoms) - min(bottoms)


def cluster_by(items: Iterable[T], key: Callable[[T], float], tolerance: float) -> list[list[T]]:
    """Group items whose keys chain within `tolerance` (a-b and b-c close puts a, b, c together);
    groups come in key order, items keep their order within a group."""
    items = list(items)
    keys = [key(item) for item in items]
    if not keys or max(keys) - min(keys) <= tolerance:  # one line, the usual case for a table cell
        return [items] if items else []
    order = sorted(range(len(items)), key=keys.__getitem__)
    groups: list[list[int]] = [[order[0]]]
    for previous, current in zip(order, order[1:], strict=False):
        if keys[current] > keys[previous] + tolerance:
            groups.append([])
        groups[-1].append(current)
    return [[items[i] for i in sorted(group)] for group in groups]


def outside(chars: list[Char], boxes: Iterable[Box]) -> list[Char]:
    """The characters whose centre lies in none of the boxes (edges count as inside)."""
    for x0, top, x1, bottom in boxes:
        chars = [c for c in chars if not (x0 <= c[5] <= x1 and top <= c[6] <= bottom)]  # c[5:7]: its centre
    return chars
