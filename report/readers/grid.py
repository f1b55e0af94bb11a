"""Shared table helpers: lay merged cells onto a grid and render rows as TAB-separated lines.

Every reader (HTML, DOCX, PDF) describes a table as rows of `SpanCell`s. The grid puts each merged cell
once, at its top-left position. The positions it covers are marked COVERED and left out of the TAB
lines: an empty field in a line is then always a blank cell of the document, never a merged one, and no
number is ever repeated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Bound the grid so a hostile colspan="100000" cannot allocate gigabytes.
MAX_SPAN = 64
MAX_COLUMNS = 256

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u3000\ufeff]+")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# Characters of no width (zero-width space and joiners, word joiner, BOM, soft hyphen) that editors leave
# inside words and figures ("1\u200b2" shows 12): the HTML and DOCX readers remove them before anything
# else, so they are never read as spaces. (In UTF-8 bytes too: no character's bytes can match inside
# another's.)
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE_UTF8 = tuple(mark.encode() for mark in _INVISIBLE)


def drop_invisible(text: str) -> str:
    # (a substring test per character costs a twentieth of one regex pass over a page that holds none)
    for mark in _INVISIBLE:
        if mark in text:
            text = text.replace(mark, "")
    return text


def drop_invisible_utf8(data: bytes) -> bytes:
    for mark in _INVISIBLE_UTF8:
        if mark in data:
            data = data.replace(mark, b"")
    return data


COVERED = "\x00"  # a grid position covered by a merged cell (not a cell of its own)


@dataclass
class SpanCell:
    text: str
    rowspan: int = 1
    colspan: int = 1


def clean_cell(pieces: list[str]) -> str:
    """Join the lines of one cell. A line break inside Chinese text is layout, not a space."""
    out = ""
    for piece in pieces:
        piece = _SPACES.sub(" ", piece.replace("\n", " ")).strip()
        if not piece:
            continue
        if out and not (_CJK.match(out[-1]) and _CJK.match(piece[0])):
            out += " "
        out += piece
    return out


def clean_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def to_grid(rows: list[list[SpanCell]]) -> list[list[str]]:
    """Place cells on a grid honouring rowspan/colspan; covered positions become ""."""
    grid: list[list[str | None]] = []
    for r, row in enumerate(rows):
        while len(grid) <= r:
            grid.append([])
        col = 0
        for cell in row:
            line = grid[r]
            while col < len(line) and line[col] is not None:
                col += 1
            rowspan = max(1, min(cell.rowspan, MAX_SPAN, len(rows) - r))
            colspan = max(1, min(cell.colspan, MAX_SPAN, MAX_COLUMNS - col))
            if col >= MAX_COLUMNS:
                break
            for dr in range(rowspan):
                while len(grid) <= r + dr:
                    grid.append([])
                target = grid[r + dr]
                for dc in range(colspan):
                    _put(target, col + dc, cell.text if dr == 0 and dc == 0 else COVERED)
            col += colspan
    width = max((len(line) for line in grid), default=0)
    return [[c or "" for c in line] + [""] * (width - len(line)) for line in grid]


def flow_rows(cells: list[SpanCell], width: int) -> list[list[SpanCell]]:
    """Cells listed one after another and flowed into rows of `width` columns (a CSS grid's
    auto-placement): each goes to the first free position, after the previous cell, where it fits."""
    width = max(1, min(width, MAX_COLUMNS))
    taken: set[tuple[int, int]] = set()
    rows: list[list[SpanCell]] = []
    r = c = 0
    for cell in cells:
        colspan = max(1, min(cell.colspan, width))
        rowspan = max(1, min(cell.rowspan, MAX_SPAN))
        while c + colspan > width or any((r, c + dc) in taken for dc in range(colspan)):
            c += 1
            if c + colspan > width:
                r, c = r + 1, 0
        while len(rows) <= r:
            rows.append([])
        rows[r].append(SpanCell(cell.text, rowspan, colspan))
        taken.update((r + dr, c + dc) for dr in range(rowspan) for dc in range(colspan))
        c += colspan
    return rows


def _put(line: list[str | None], index: int, value: str) -> None:
    while len(line) <= index:
        line.append(None)
    if line[index] is None:
        line[index] = value


def grid_lines(grid: list[list[str]]) -> list[str]:
    """Rows as TAB lines; rows with no content at all are dropped (they carry no cell)."""
    return [
        "\t".join(cell.replace("\t", " ") for cell in row if cell != COVERED)
        for row in grid
        if any(cell and cell != COVERED for cell in row)
    ]
