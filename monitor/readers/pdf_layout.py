"""Characters, ruling lines, ruled tables and text lines of one PDF page, read from pypdfium2.

pdfplumber found the report tables right, but it re-parses every page's content stream in pure Python
(pdfminer): 100-600 ms a page. pdfium has already parsed the page, so this module takes the character
boxes and the painted paths from pdfium and runs pdfplumber's "lines" table finder on them (ported
here, MIT licence): ruling lines within 3 pt snap together and join, their crossings give cells, cells
sharing a corner form a table. Text grouping follows pdfplumber's too (words split at blanks or gaps
wider than X_TOLERANCE, lines clustered within Y_TOLERANCE), so the output stays the one the parser
was built on.

Coordinates are pdfplumber's: points from the page's top-left corner, `top` growing downwards.

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
from operator import attrgetter
from typing import TypeVar

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
_TALL_CHAR = 20.0  # points; a taller character box is checked against its font size
_AXIS_EPSILON = 0.01  # a segment this close to axis-parallel is a ruling line

Box = tuple[float, float, float, float]  # x0, top, x1, bottom
Point = tuple[float, float]
Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, as in PDF
T = TypeVar("T")
_LEFT_TO_RIGHT = attrgetter("x0", "x1")
_BOTTOM = attrgetter("bottom")


@dataclass(slots=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    # Characters of one text line share a bottom (baseline + font descent, pdfium's as pdfminer's) whatever
    # their fonts, while pdfium's tops differ with the fonts' ascents: lines are told apart by bottoms.
    bottom: float
    # The centre decides which cell or table holds the character; computed once, tested many times.
    cx: float
    cy: float


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


# --- reading the page ------------------------------------------------------------------------------

def page_chars(textpage: pdfium.PdfTextPage, page_height: float) -> list[Char]:
    """The page's characters in content order, without the spaces and line breaks pdfium invents.

    pdfium inserts a space wherever glyphs sit a little apart (2 pt between "2020" and "年", or inside a
    justified number), so its generated spaces are dropped and words are split by gaps, as pdfplumber
    does. (pdfium also marks some spaces of the document as generated: those words then join, unless
    the gap is wider than X_TOLERANCE. Joined label words are harmless; a split number is not.)"""
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    if len(text) != count:  # characters outside the BMP take two UTF-16 units: ask one by one
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 0xFFFD) for i in range(count))
    box = pdfium_c.FS_RECTF()
    box_ref = ctypes.byref(box)
    unpack_box = _RECTF.unpack_from  # left, top, right, bottom: one call instead of four field reads
    loose_box = _LOOSE_CHAR_BOX
    raw = textpage.raw
    chars = []
    append = chars.append
    for index, char in enumerate(text):
        blank = char.isspace()
        if blank and pdfium_c.FPDFText_IsGenerated(raw, index) == 1:
            continue
        if not loose_box(raw, index, box_ref):
            continue
        left, top, right, bottom = unpack_box(box)
        if not blank and top - bottom > _TALL_CHAR:
            left, right, top, bottom = _plausible_box(textpage, index, (left, right, top, bottom))
        top, bottom = page_height - top, page_height - bottom
        append(Char(char, left, right, top, bottom, (left + right) / 2, (top + bottom) / 2))
    return chars


def _untyped(function: ctypes._CFuncPtr) -> ctypes._CFuncPtr:
    """A copy of a pdfium binding without argument types: ctypes then skips converting each argument,
    which halves the cost of a call made once per character. Only for calls whose arguments are all
    ctypes pointers or ints that fit a C int (a plain Python int would be passed as a C int)."""
    untyped = ctypes.CFUNCTYPE(function.restype)(ctypes.cast(function, ctypes.c_void_p).value)
    untyped.argtypes = None
    return untyped


_LOOSE_CHAR_BOX = _untyped(pdfium_c.FPDFText_GetLooseCharBox)  # (textpage, index, FS_RECTF*) -> bool
_PAGE_OBJECT = _untyped(pdfium_c.FPDFPage_GetObject)
_OBJECT_TYPE = _untyped(pdfium_c.FPDFPageObj_GetType)
_OBJECT_MATRIX = _untyped(pdfium_c.FPDFPageObj_GetMatrix)  # pass the FS_MATRIX by reference
_DRAW_MODE = _untyped(pdfium_c.FPDFPath_GetDrawMode)
_PATH_SEGMENT = _untyped(pdfium_c.FPDFPath_GetPathSegment)
_SEGMENT_POINT = _untyped(pdfium_c.FPDFPathSegment_GetPoint)
_SEGMENT_TYPE = _untyped(pdfium_c.FPDFPathSegment_GetType)
_SEGMENT_CLOSE = _untyped(pdfium_c.FPDFPathSegment_GetClose)
_RECTF = struct.Struct("4f")
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
    return collector.edges if collector.collect(objects, flip, depth=0) else None


class _EdgeCollector:
    """Walks page objects (into forms) for ruling segments, with the ctypes out-parameters allocated once."""

    def __init__(self) -> None:
        self.edges: list[Edge] = []
        self.segments = 0
        self._x, self._y = ctypes.c_float(), ctypes.c_float()
        self._point_refs = (ctypes.byref(self._x), ctypes.byref(self._y))
        self._fill, self._stroke = ctypes.c_int(), ctypes.c_int()
        self._mode_refs = (ctypes.byref(self._fill), ctypes.byref(self._stroke))
        self._matrix = pdfium_c.FS_MATRIX()
        self._matrix_ref = ctypes.byref(self._matrix)

    def collect(self, objects: Sequence[ctypes.c_void_p], outer: Matrix, depth: int) -> bool:
        """Add the ruling segments of these objects; False once there are too many to be a table's."""
        object_type = _OBJECT_TYPE
        for obj in objects:
            kind = object_type(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH and self._is_painted(obj):
                if not self._add_path(obj, _compose(self._object_matrix(obj), outer)):
                    return False
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < MAX_FORM_DEPTH:
                count = pdfium_c.FPDFFormObj_CountObjects(obj)
                inner = [pdfium_c.FPDFFormObj_GetObject(obj, i) for i in range(count)]
                if not self.collect(inner, _compose(self._object_matrix(obj), outer), depth + 1):
                    return False
        return True

    def _is_painted(self, obj: ctypes.c_void_p) -> bool:
        # A path neither filled nor stroked draws nothing (pdfminer never reports one either).
        if not _DRAW_MODE(obj, *self._mode_refs):
            return False
        return bool(self._fill.value or self._stroke.value)

    def _object_matrix(self, obj: ctypes.c_void_p) -> Matrix:
        m = self._matrix
        if not _OBJECT_MATRIX(obj, self._matrix_ref):
            return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def _add_path(self, obj: ctypes.c_void_p, m: Matrix) -> bool:
        """Axis-parallel straight segments of a path, including the ones closing its subpaths.
        Curves are skipped: a rounded corner is not a ruling line."""
        count = pdfium_c.FPDFPath_CountSegments(obj)
        self.segments += max(count, 0)
        if self.segments > MAX_SEGMENTS:
            return False
        a, b, c, d, e, f = m
        x, y = self._x, self._y
        x_ref, y_ref = self._point_refs
        get_segment, get_point, get_type, get_close = _PATH_SEGMENT, _SEGMENT_POINT, _SEGMENT_TYPE, _SEGMENT_CLOSE
        moveto, lineto = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_LINETO
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
                self._add_segment(current, point)
            current = point
            if get_close(segment):
                self._add_segment(current, start)
                current = start
        return len(self.edges) <= MAX_EDGES

    def _add_segment(self, p: Point, q: Point) -> None:
        (x0, y0), (x1, y1) = p, q
        if abs(x0 - x1) < _AXIS_EPSILON and abs(y0 - y1) >= 1:
            self.edges.append(Edge(True, (x0 + x1) / 2, min(y0, y1), max(y0, y1)))
        elif abs(y0 - y1) < _AXIS_EPSILON and abs(x0 - x1) >= 1:
            self.edges.append(Edge(False, (y0 + y1) / 2, min(x0, x1), max(x0, x1)))


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    """The matrix applying `inner`, then `outer` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    oa, ob, oc, od, oe, of = outer
    return (a * oa + b * oc, a * ob + b * od, c * oa + d * oc, c * ob + d * od,
            e * oa + f * oc + oe, e * ob + f * od + of)


# --- ruling lines -> tables ------------------------------------------------------------------------

def find_tables(edges: list[Edge], chars: list[Char]) -> list[PageTable]:
    """Ruled tables top to bottom, each with its cell texts (lines of a cell joined by newlines)."""
    lines = _merge_edges(edges)
    if len(lines) > MAX_LINES:
        return []
    crossings = _intersections(lines)
    if len(crossings) > MAX_CROSSINGS:
        return []
    groups = _group_cells(_cells(crossings))
    if not groups:
        return []
    # For each table's band of characters (a NaN centre is in no table, and would upset the sort).
    by_height = sorted((n for n, c in enumerate(chars) if c.cy == c.cy), key=lambda n: chars[n].cy)
    heights = [chars[n].cy for n in by_height]
    return [_table(group, chars, by_height, heights) for group in groups]


def _merge_edges(edges: list[Edge]) -> list[Edge]:
    """Snap nearly collinear edges onto their mean position, then join pieces along each line."""
    merged: list[Edge] = []
    for vertical in (True, False):
        snapped = _snap([e for e in edges if e.vertical == vertical])
        snapped.sort(key=lambda e: (e.at, e.start))
        for _, line in groupby(snapped, key=lambda e: e.at):
            merged.extend(_join(list(line)))
    return [e for e in merged if e.end - e.start >= MIN_EDGE_LENGTH]


def _snap(edges: list[Edge]) -> list[Edge]:
    snapped = []
    for cluster in cluster_by(edges, lambda e: e.at, SNAP_TOLERANCE):
        mean = sum(e.at for e in cluster) / len(cluster)
        snapped.extend(Edge(e.vertical, mean, e.start, e.end) for e in cluster)
    return snapped


def _join(line: list[Edge]) -> list[Edge]:
    """Edges on one line, sorted by start: overlapping or nearly touching ones become one."""
    joined = [line[0]]
    for edge in line[1:]:
        last = joined[-1]
        if edge.start <= last.end + JOIN_TOLERANCE:
            if edge.end > last.end:
                joined[-1] = Edge(last.vertical, last.at, last.start, edge.end)
        else:
            joined.append(edge)
    return joined


def _intersections(edges: list[Edge]) -> dict[Point, tuple[set[int], set[int]]]:
    """Crossing points -> (ids of the vertical edges, ids of the horizontal edges) through them."""
    tol = INTERSECTION_TOLERANCE
    horizontals = sorted((e for e in edges if not e.vertical), key=lambda e: (e.at, e.start))
    tops = [h.at for h in horizontals]
    points: dict[Point, tuple[set[int], set[int]]] = {}
    for v in sorted((e for e in edges if e.vertical), key=lambda e: (e.at, e.start)):
        # Only horizontals whose height lies along this vertical can cross it.
        for h in horizontals[bisect.bisect_left(tops, v.start - tol): bisect.bisect_right(tops, v.end + tol)]:
            if h.start - tol <= v.at <= h.end + tol:
                vs, hs = points.setdefault((v.at, h.at), (set(), set()))
                vs.add(id(v))
                hs.add(id(h))
    return points


def _cells(points: dict[Point, tuple[set[int], set[int]]]) -> list[Box]:
    """For each crossing, the smallest rectangle whose four corners are crossings joined by edges."""
    below: dict[float, list[float]] = defaultdict(list)  # x -> tops of crossings on that vertical
    right: dict[float, list[float]] = defaultdict(list)  # top -> xs of crossings on that horizontal
    for x, top in sorted(points):
        below[x].append(top)
        right[top].append(x)

    cells = []
    for x, top in sorted(points):
        cell = _smallest_cell(x, top, below[x], right[top], points)
        if cell is not None:
            cells.append(cell)
    return cells


def _smallest_cell(x: float, top: float, column: list[float], row: list[float],
                   points: dict[Point, tuple[set[int], set[int]]]) -> Box | None:
    """Two crossings are joined along a vertical (horizontal) when one vertical (horizontal) edge passes
    through both: their sets of edge ids intersect."""
    corner_vs, corner_hs = points[(x, top)]
    for bottom in column[bisect.bisect_right(column, top):]:
        down_vs, down_hs = points[(x, bottom)]
        if corner_vs.isdisjoint(down_vs):
            continue
        for x1 in row[bisect.bisect_right(row, x):]:
            across_vs, across_hs = points[(x1, top)]
            if corner_hs.isdisjoint(across_hs):
                continue
            far = points.get((x1, bottom))
            if far is not None and not far[0].isdisjoint(across_vs) and not far[1].isdisjoint(down_hs):
                return (x, top, x1, bottom)
    return None


def _group_cells(cells: list[Box]) -> list[list[Box]]:
    """Cells sharing a corner (directly or through other cells) form one table; lone cells are frames,
    not tables. Tables come top to bottom, then left to right."""
    parent = list(range(len(cells)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Point, int] = {}
    for i, (x0, top, x1, bottom) in enumerate(cells):
        for corner in ((x0, top), (x0, bottom), (x1, top), (x1, bottom)):
            if corner in owner:
                parent[root(i)] = root(owner[corner])
            else:
                owner[corner] = i
    groups: dict[int, list[Box]] = defaultdict(list)
    for i, cell in enumerate(cells):
        groups[root(i)].append(cell)
    tables = [group for group in groups.values() if len(group) > 1]
    return sorted(tables, key=lambda group: min((c[1], c[0]) for c in group))


def _table(cells: list[Box], chars: list[Char], by_height: list[int], heights: list[float]) -> PageTable:
    """Rows are cells sharing a top; a grid column is every distinct left edge in the table.
    by_height: the indices of chars sorted by centre height, whose heights are `heights`."""
    columns = sorted({cell[0] for cell in cells})
    _, table_top, _, table_bottom = _bbox(cells)
    # The characters whose centre lies in the table's band, in content order.
    band = sorted(by_height[bisect.bisect_left(heights, table_top): bisect.bisect_left(heights, table_bottom)])
    texts = [_cell_text(inside) for inside in _chars_per_cell(cells, columns, [chars[n] for n in band])]
    rows = []
    ordered = sorted(range(len(cells)), key=lambda n: (cells[n][1], cells[n][0]))
    for _, row in groupby(ordered, key=lambda n: cells[n][1]):
        by_left = {cells[n][0]: texts[n] for n in row}
        rows.append([by_left.get(x) for x in columns])
    return PageTable(_bbox(cells), rows)


def _bbox(cells: Sequence[Box]) -> Box:
    return (min(c[0] for c in cells), min(c[1] for c in cells), max(c[2] for c in cells), max(c[3] for c in cells))


def _chars_per_cell(cells: list[Box], columns: list[float], chars: list[Char]) -> list[list[Char]]:
    """The characters whose centre lies in each cell, in content order (cell text depends on it), of
    the characters whose centre lies in the table's band (table top <= centre < table bottom).

    Every cell starts on a grid column and a grid row, so the grid slot holding a character's centre
    belongs to the cell (or, in a degenerate table, the cells) that can hold it: each character is
    looked at once, however many rows a merged cell spans."""
    tops = sorted({cell[1] for cell in cells})
    owners: dict[tuple[int, int], list[int]] = defaultdict(list)
    for n, (x0, top, x1, bottom) in enumerate(cells):
        for column in range(bisect.bisect_left(columns, x0), bisect.bisect_left(columns, x1)):
            for row in range(bisect.bisect_left(tops, top), bisect.bisect_left(tops, bottom)):
                owners[column, row].append(n)
    inside: list[list[Char]] = [[] for _ in cells]
    right = bisect.bisect_right
    no_owner: list[int] = []
    for char in chars:
        cx, cy = char.cx, char.cy
        for n in owners.get((right(columns, cx) - 1, right(tops, cy) - 1), no_owner):
            x0, top, x1, bottom = cells[n]
            if x0 <= cx < x1 and top <= cy < bottom:
                inside[n].append(char)
    return inside


def _cell_text(chars: list[Char]) -> str:
    """pdfplumber's extract_text: words joined by spaces, lines by newlines."""
    if not chars:
        return ""
    bottoms = [c.bottom for c in chars]
    if max(bottoms) - min(bottoms) <= Y_TOLERANCE:  # one line, the usual case
        return _line_text(sorted(chars, key=_LEFT_TO_RIGHT))
    lines = _char_lines(chars)
    if lines is None:
        return "\n".join(" ".join(w.text for w in line) for line in word_lines(chars))
    return "\n".join(text for text in (_line_text(sorted(line, key=_LEFT_TO_RIGHT)) for line in lines) if text)


# --- characters -> words -> lines ------------------------------------------------------------------

def words(chars: list[Char], x_tolerance: float = X_TOLERANCE, y_tolerance: float = Y_TOLERANCE) -> list[Word]:
    """Words line by line, left to right: a blank, a gap wider than x_tolerance or a step back ends one."""
    out = []
    for line in cluster_by(chars, _BOTTOM, y_tolerance):
        line.sort(key=_LEFT_TO_RIGHT)
        for word in _split_words(line, x_tolerance, y_tolerance):
            out.append(Word("".join(c.text for c in word), word[0].x0, max(c.x1 for c in word),
                            min(c.top for c in word), max(c.bottom for c in word)))
    return out


def _split_words(line: list[Char], x_tolerance: float, y_tolerance: float) -> Iterator[list[Char]]:
    """pdfplumber's rule on a line sorted left to right: a blank, a gap wider than x_tolerance, a step
    back or a jump of more than y_tolerance ends a word."""
    current: list[Char] = []
    for char in line:
        if char.text.isspace():
            if current:
                yield current
            current = []
            continue
        if current:
            last = current[-1]
            if (char.x0 < last.x0 or char.x0 > last.x1 + x_tolerance
                    or abs(char.bottom - last.bottom) > y_tolerance):
                yield current
                current = []
        current.append(char)
    if current:
        yield current


def _line_text(line: list[Char]) -> str:
    """The words of one line (sorted left to right) joined by spaces: _split_words without building them."""
    pieces: list[str] = []
    last: Char | None = None  # last character of the current word
    for char in line:
        if char.text.isspace():
            last = None
            continue
        if pieces and (last is None or char.x0 < last.x0 or char.x0 > last.x1 + X_TOLERANCE
                       or abs(char.bottom - last.bottom) > Y_TOLERANCE):
            pieces.append(" ")
        pieces.append(char.text)
        last = char
    return "".join(pieces)


def word_lines(chars: list[Char]) -> list[list[Word]]:
    """Words grouped into text lines, top to bottom."""
    return cluster_by(words(chars), lambda w: w.bottom, Y_TOLERANCE)


def text_lines(chars: list[Char]) -> list[tuple[float, str]]:
    """(top, text) of each text line, top to bottom, words joined by a space."""
    lines = _char_lines(chars)
    if lines is None:
        return [(min(w.top for w in line), " ".join(w.text for w in line)) for line in word_lines(chars)]
    out = []
    for line in lines:
        text = _line_text(sorted(line, key=_LEFT_TO_RIGHT))
        if text:
            out.append((min(c.top for c in line if not c.text.isspace()), text))
    return out


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
    bottoms = [c.bottom for c in line]
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
        chars = [c for c in chars if not (x0 <= c.cx <= x1 and top <= c.cy <= bottom)]
    return chars
