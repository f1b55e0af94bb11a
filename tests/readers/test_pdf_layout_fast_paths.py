"""The PDF layout reader's one-pass fast paths give what its general paths give.

pdf_layout reads most characters in one pass (lines that come in order, the next crossings down and
across closing a cell, a character in the cell of the one before it); whatever falls outside those
shapes goes the general way, pdfplumber's. Random layouts (lines out of order, overlaps, blanks,
gaps at the tolerances, infinite and NaN coordinates, partial and overlapping rulings, several
tables) are read both ways here and must agree.
"""

from __future__ import annotations

import math
import random

import pytest

from nianbao.report.readers import pdf_layout
from nianbao.report.readers.pdf_layout import Char, Edge

SEEDS = range(40)


def _random_chars(rng: random.Random, count: int, *, odd_numbers: bool) -> list[Char]:
    """Characters mostly in lines, left to right, with the shapes the fast paths must tell apart."""
    chars: list[Char] = []
    x, y = rng.choice([0.0, 10.0, 100.0]), rng.choice([0.0, 50.0])
    for _ in range(count):
        draw = rng.random()
        if draw < 0.15:  # a new line, a step back, a jump or a small shift in height
            x = rng.choice([0.0, 10.0, x - rng.random() * 20])
            y += rng.choice([0, 1, 2.9, 3.0, 3.1, 5, 12, -12])
        elif draw < 0.2:
            y += rng.uniform(-4, 4)
        width = rng.choice([9.0, 5.0, 0.0, 3.0, rng.random() * 10])
        x0 = x + rng.choice([0.0, 0.0, 0.0, 1.0, 1.5, 1.6, 3.0, 3.01, 5.0, -2.0])
        bottom = y + rng.choice([0, 0, 0, 0.1, -0.2, 0.5])
        if odd_numbers and rng.random() < 0.02:
            x0 = rng.choice([math.nan, math.inf, -math.inf])
        if odd_numbers and rng.random() < 0.02:
            bottom = rng.choice([math.nan, math.inf])
        top = bottom - rng.choice([8.0, 9.0, 10.0])
        text = rng.choice(["字", "1", "2", "", "a", ","])  # "" is a blank
        chars.append((text, x0, x0 + width, top, bottom, (2 * x0 + width) / 2, (top + bottom) / 2))
        x = x0 + width
    return chars


def _read_text(chars_sets: list[list[Char]]) -> list[object]:
    out: list[object] = []
    for chars in chars_sets:
        out.append(pdf_layout.text_lines(chars))
        out.append([(w.text, w.x0, w.x1, w.top, w.bottom) for w in pdf_layout.words(chars, 1.5, 3.0)])
        if all(math.isfinite(c[5]) and math.isfinite(c[6]) for c in chars):  # a cell's centres are finite
            out.append(pdf_layout._cell_text(chars))
    return [repr(value) for value in out]  # repr: NaN equals NaN


@pytest.mark.parametrize("seed", SEEDS)
def test_lines_words_and_cell_texts_read_in_one_pass_as_in_general(seed: int,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    chars_sets = [_random_chars(rng, rng.choice([0, 1, 2, 3, 5, 8, 20, 60]), odd_numbers=seed % 2 == 1)
                  for _ in range(300)]
    fast = _read_text(chars_sets)
    # Now every reading the general way.
    monkeypatch.setattr(pdf_layout, "_ordered_lines", lambda chars, y_tolerance=0.0: None)
    monkeypatch.setattr(pdf_layout, "_ordered_line_text", lambda chars: None)
    assert fast == _read_text(chars_sets)


def _random_edges(rng: random.Random) -> list[Edge]:
    """One to three ruled grids: rulings snapped, split, partial (merged and overlapping cells)."""
    edges = []
    for _ in range(rng.choice([1, 2, 3])):
        left, high = rng.uniform(0, 300), rng.uniform(0, 300)
        xs = sorted(left + rng.choice([0, 40, 80, 120, 160, 41.5, 2.0]) for _ in range(rng.randint(2, 6)))
        ys = sorted(high + rng.choice([0, 20, 40, 60, 80, 21.0, 1.0]) for _ in range(rng.randint(2, 6)))
        for y in ys:
            a, b = (rng.choice(xs), rng.choice(xs)) if rng.random() < 0.2 else (xs[0], xs[-1])
            if rng.random() < 0.2:  # drawn in two pieces, the first maybe shifted or short
                middle = (a + b) / 2
                edges.append(Edge(False, y + rng.choice([0, 0, 1.0, -2.5]), min(a, middle),
                                  max(a, middle) - rng.choice([0, 2, 4])))
                edges.append(Edge(False, y, min(middle, b), max(middle, b)))
            else:
                edges.append(Edge(False, y + rng.choice([0, 0, 0, 0.5]), min(a, b), max(a, b)))
        for x in xs:
            a, b = (rng.choice(ys), rng.choice(ys)) if rng.random() < 0.25 else (ys[0], ys[-1])
            edges.append(Edge(True, x + rng.choice([0, 0, 0, 0.5, 2.9]), min(a, b), max(a, b)))
    rng.shuffle(edges)
    return edges


def _page_chars(rng: random.Random, count: int) -> list[Char]:
    chars: list[Char] = []
    for _ in range(count):
        if chars and rng.random() < 0.5:  # the next character of a word
            _, _, x1, _, bottom, _, _ = chars[-1]
            x0, bottom = x1 + rng.choice([0, 0, 1, 4]), bottom + rng.choice([0, 0, 0.3, 12])
        else:
            x0, bottom = rng.uniform(0, 550), rng.uniform(0, 420)
        if rng.random() < 0.01:
            x0 = math.nan
        width, top = rng.choice([5.0, 9.0, 0.0]), bottom - 9
        chars.append((rng.choice(["字", "1", "2", "", "a"]), x0, x0 + width, top, bottom, x0 + width / 2,
                      (top + bottom) / 2))
    return chars


def _reference_tables(edges: list[Edge], chars: list[Char]) -> tuple[list[object], list[Char]]:
    """Every character tested against every cell, the crossings searched without the shortcut."""

    def every_cell(points: dict) -> tuple[list, list]:
        crossings = [points[key] for key in sorted(points)]
        for number, crossing in enumerate(crossings):
            crossing[pdf_layout._NUMBER] = number
        cells, corners = [], []
        for corner in crossings:
            x, top = corner[0], corner[1]
            below = [c for c in crossings if c[0] == x and c[1] > top]
            beside = [c for c in crossings if c[1] == top and c[0] > x]
            found = pdf_layout._smallest_cell(corner, below, beside, points)
            if found is not None:
                cells.append(found[0])
                corners.append(found[1])
        return cells, corners

    verticals, horizontals = pdf_layout._merge_edges(edges)
    points = pdf_layout._intersections(verticals, horizontals)
    tables = []
    for cells in pdf_layout._group_cells(*every_cell(points), len(points)):
        rows: dict[float, dict[float, str]] = {}
        for x0, top, x1, bottom in cells:
            inside = [c for c in chars if x0 <= c[5] < x1 and top <= c[6] < bottom]
            rows.setdefault(top, {})[x0] = pdf_layout._cell_text(inside)
        columns = sorted({cell[0] for cell in cells})
        table = [[rows[top].get(x) for x in columns] for top in sorted(rows)]
        tables.append((pdf_layout._bbox(cells), table))
    return tables, pdf_layout.outside(chars, [bbox for bbox, _ in tables])


@pytest.mark.parametrize("seed", SEEDS)
def test_tables_and_rest_as_every_character_tested_against_every_cell(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        edges, chars = _random_edges(rng), _page_chars(rng, rng.choice([0, 5, 50, 200]))
        tables, rest = pdf_layout.tables_and_rest(edges, chars)
        expected_tables, expected_rest = _reference_tables(edges, chars)
        assert repr([(t.bbox, t.rows) for t in tables]) == repr(expected_tables)
        assert repr(rest) == repr(expected_rest)
