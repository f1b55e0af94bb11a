"""Lines of text are found from a page image's ink (report/readers/ink_lines.py): each cell of a ruled table
alone, the rest of the page by its row profile; the recogniser only ever sees the lines found so."""

from __future__ import annotations

import numpy as np

from nianbao.report.readers import ink_lines
from nianbao.report.readers.ocr import _lost_rulings, _merged_rows

PAPER = 255


def page(height: int = 300, width: int = 400) -> np.ndarray:
    return np.full((height, width), PAPER, dtype=np.uint8)


def write(pixels: np.ndarray, top: int, left: int, width: int, height: int = 16) -> None:
    """A line of "text": vertical strokes 2 px wide, 4 px apart."""
    for x in range(left, left + width, 6):
        pixels[top: top + height, x: x + 2] = 0


def lines_of(pixels: np.ndarray, tables: list[list[ink_lines.Box]]) -> tuple[list[list[list[ink_lines.Box]]],
                                                                              list[ink_lines.Box], int]:
    return ink_lines.find_lines(ink_lines.ink_mask(pixels, PAPER), tables)


def test_a_blank_cell_has_no_line_and_a_cell_of_two_lines_has_two() -> None:
    pixels = page()
    cells = [(0, 0, 200, 60), (200, 0, 400, 60)]
    write(pixels, 8, 220, 60)
    write(pixels, 34, 220, 90)
    in_cells, outside, height = lines_of(pixels, [cells])
    assert in_cells[0][0] == []
    # Each line with 2 px (LINE_PAD of the line height 16) of the cell's paper above and below.
    assert [(top, bottom) for _, top, _, bottom in in_cells[0][1]] == [(6, 26), (32, 52)]
    assert outside == [] and height == 16


def test_a_cells_line_keeps_the_hairlines_the_ink_mask_misses_and_stays_in_its_cell() -> None:
    pixels = page()
    cells = [(0, 0, 200, 60), (200, 0, 400, 60)]
    write(pixels, 20, 40, 60)
    pixels[18, 38:40] = 200  # a Song face's hairline, too faint for the ink mask, by the line's ink
    write(pixels, 3, 203, 60)  # a line against its cell's top and left rulings
    in_cells, _, height = lines_of(pixels, [cells])
    assert height == 16 and not ink_lines.ink_mask(pixels, PAPER)[18, 38:40].any()
    [(x0, top, _, _)] = in_cells[0][0]
    assert x0 <= 38 and top <= 18  # the hairline is in the crop
    assert [box[:2] for box in in_cells[0][1]] == [(202, 2)]  # within the cell: no ruling line in the crop


def test_a_character_with_white_rows_between_its_strokes_is_one_line() -> None:
    pixels = page()
    for top in (10, 17, 24):  # 三: three strokes, white rows between them
        pixels[top: top + 2, 50:66] = 0
    write(pixels, 60, 50, 200)  # a line of text gives the page's line height
    _, outside, _ = lines_of(pixels, [])
    # The ink is found on the page blurred by a pixel (which averages a scanner's speckle away): a
    # horizontal stroke grows by a pixel.
    assert [(top, bottom) for _, top, _, bottom in outside] == [(9, 27), (60, 76)]


def test_pieces_of_a_line_far_apart_are_read_apart_and_a_speck_is_not_read() -> None:
    pixels = page()
    write(pixels, 20, 10, 120)
    write(pixels, 20, 300, 60)  # a date standing right
    pixels[200, 200] = 0  # a speck of the scanner
    _, outside, _ = lines_of(pixels, [])
    assert [(x0, x1) for x0, _, x1, _ in outside] == [(9, 127), (299, 357)]


def test_a_cell_over_three_rows_with_a_line_in_each_is_cut_into_three_cells() -> None:
    cells = [(0, 0, 100, 90), (100, 0, 200, 30), (100, 30, 200, 60), (100, 60, 200, 90)]
    lines = [[(5, 8, 60, 22), (5, 38, 60, 52), (5, 68, 60, 82)], [], [], []]
    assert [(edge.at, edge.start, edge.end) for edge in _lost_rulings(cells, lines, 1.0)] == [(30, 0, 100), (60, 0, 100)]


def test_a_label_of_two_lines_over_several_rows_stays_one_cell() -> None:
    cells = [(0, 0, 100, 120), (100, 0, 200, 30), (100, 30, 200, 60), (100, 60, 200, 90), (100, 90, 200, 120)]
    lines = [[(5, 40, 60, 54), (5, 62, 60, 76)], [], [], [], []]
    assert _lost_rulings(cells, lines, 1.0) == [] and _merged_rows(cells, lines) == []


def test_rows_whose_labels_stay_merged_are_doubtful() -> None:
    """Five lines in a cell over four rows: which label goes with which row's figures is not known."""
    cells = [(0, 0, 100, 120), (100, 0, 200, 30), (100, 30, 200, 60), (100, 60, 200, 90), (100, 90, 200, 120)]
    lines = [[(5, 4, 60, 14), (5, 16, 60, 26), (5, 38, 60, 52), (5, 68, 60, 82), (5, 98, 60, 112)], [], [], [], []]
    assert _lost_rulings(cells, lines, 1.0) == []
    assert _merged_rows(cells, lines) == [(0, 0, 200, 120)]
