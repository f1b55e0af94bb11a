"""Reading parts 二, 三 and 四: find row labels, then the numbers that belong to each label.

Tables reach us flattened in many ways; the one thing every flattening keeps is the *order* of rows. So:
1. find every row label in the part's text (table-driven, labels.py);
2. when labels and numbers share lines ("line mode": HTML, DOCX, PDF tables, tab rows, run-on text), a label
   owns the numbers after it on its line; numbers on lines without a label are orphans;
   when every label stands on a line of its own ("following mode": a cell per line), a label owns the
   numbers up to the next label;
3. orphans fill the rows still missing between two read rows, in order, when their counts agree
   (this is what recovers PDF layouts where a tall label cell is centred beside its numbers);
4. what is still missing is reported unreadable. Nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor import labels
from monitor.cells import Ambiguous, Check, read_row, to_number
from monitor.model import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_COLUMNS,
    APPLICATION_ROWS,
    OTHER_ROWS_2021,
    PROACTIVE_ROWS,
    Cell,
    Number,
    set_path,
)

SEPARATORS = "\t\n|"
_APPLICATION_PATTERNS = {k: re.compile(v) for k, v in labels.APPLICATION_LABELS.items()}
_PROACTIVE_PATTERNS = {k: re.compile(v) for k, v in labels.PROACTIVE_LABELS.items()}


@dataclass
class LabelHit:
    key: str
    start: int
    end: int


@dataclass
class TableRead:
    rows: dict[str, list[Cell]]
    unreadable: dict[str, str]


# --- label finding -----------------------------------------------------------------------------------


def find_labels(text: str, patterns: dict[str, re.Pattern[str]], wanted: set[str] | None = None) -> list[LabelHit]:
    hits: list[LabelHit] = []
    for key, pattern in patterns.items():
        if wanted is not None and key not in wanted:
            continue
        for match in pattern.finditer(text):
            start, end = _widen(text, match.start(), match.end())
            hits.append(LabelHit(key, start, end))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[LabelHit] = []
    for hit in hits:
        if kept and hit.start < kept[-1].end:
            continue  # the same label cell matched by a second keyword, or a weaker overlapping match
        kept.append(hit)
    return kept


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a keyword match to its whole label cell: numbering before it, explanation after it."""
    left = start
    while left > 0 and start - left < 40 and text[left - 1] not in SEPARATORS and not text[left - 1].isdigit():
        left -= 1
    if left > 0 and text[left - 1] in "12345678" and text[left] in ".、":
        left -= 1  # "2.其他法律…": the digit is the row's number, not a value of the row before
    right = end
    while right < len(text) and right - end < 80 and text[right] not in SEPARATORS and not text[right].isdigit():
        right += 1
    return left, right


# --- assigning numbers to labels -------------------------------------------------------------------


def read_table(
    text: str,
    hits: list[LabelHit],
    order: tuple[str, ...],
    widths: dict[str, int],
    checks: dict[str, Check | None],
) -> TableRead:
    """Rows of one table from its text and its label hits; `order` is the rows' order in the table."""
    hits = [h for h in hits if h.key in widths]
    rows: dict[str, list[Cell]] = {}
    problems: dict[str, str] = {}
    positions: dict[str, int] = {}
    line_mode = _labels_share_lines(text, hits, widths)
    for key, row, start in _candidate_rows(text, hits, widths, checks, line_mode, problems):
        if key not in rows:
            rows[key] = row
            positions[key] = start
            problems.pop(key, None)
    if line_mode:
        _fill_from_orphans(text, hits, order, widths, checks, rows, positions)
    missing = {key: problems.get(key, "no numbers found for this row") for key in order if key not in rows}
    return TableRead(rows, missing)


def _candidate_rows(
    text: str,
    hits: list[LabelHit],
    widths: dict[str, int],
    checks: dict[str, Check | None],
    line_mode: bool,
    problems: dict[str, str],
) -> list[tuple[str, list[Cell], int]]:
    """Every label's reading, best first: a label in a table line (cells) beats one in prose."""
    found = []
    for i, hit in enumerate(hits):
        next_start = hits[i + 1].start if i + 1 < len(hits) else len(text)
        segment = text[hit.end:next_start]
        if line_mode:
            segment = segment.split("\n", 1)[0]
        try:
            row = read_row(segment, widths[hit.key], checks.get(hit.key), fields=line_mode)
        except Ambiguous as exc:
            problems.setdefault(hit.key, str(exc))
            continue
        if row is not None:
            in_table = "\t" in _line_at(text, hit.start)
            found.append((not in_table, i, hit.key, row, hit.start))
    found.sort(key=lambda f: (f[0], f[1]))
    return [(key, row, start) for _, _, key, row, start in found]


def _line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start: len(text) if end < 0 else end]


def _labels_share_lines(text: str, hits: list[LabelHit], widths: dict[str, int]) -> bool:
    same_line = 0
    for hit in hits:
        line_end = text.find("\n", hit.end)
        rest = text[hit.end: len(text) if line_end < 0 else line_end]
        if re.search(r"\d", rest) or rest.count("\t") + rest.count("|") >= widths[hit.key]:
            same_line += 1
    return bool(hits) and same_line * 2 >= len(hits)


def _fill_from_orphans(
    text: str,
    hits: list[LabelHit],
    order: tuple[str, ...],
    widths: dict[str, int],
    checks: dict[str, Check | None],
    rows: dict[str, list[Cell]],
    positions: dict[str, int],
) -> None:
    """Give rows that are still missing the numbers of unlabeled lines lying between their neighbours."""
    orphans = _orphan_lines(text, hits)
    if not orphans:
        return
    anchors = [(-1, -1)] + sorted(
        ((order.index(k), positions[k]) for k in rows if k in order), key=lambda a: a[0]
    ) + [(len(order), len(text))]
    used: set[int] = set()
    for (idx_a, pos_a), (idx_b, pos_b) in zip(anchors, anchors[1:], strict=False):
        missing = [order[i] for i in range(idx_a + 1, idx_b) if order[i] not in rows]
        if not missing or pos_b < pos_a:
            continue
        width = widths[missing[0]]
        if any(widths[m] != width for m in missing):
            continue
        between = []
        for start, line in orphans:
            if pos_a < start < pos_b and start not in used:
                try:
                    row = read_row(line, width, checks.get(missing[0]))
                except Ambiguous:
                    row = None
                if row is not None and sum(v is not None for v in row) >= min(2, width):
                    between.append((start, row))
        if len(between) == len(missing):
            for key, (start, row) in zip(missing, between, strict=True):
                rows[key] = row
                positions[key] = start
                used.add(start)


def _orphan_lines(text: str, hits: list[LabelHit]) -> list[tuple[int, str]]:
    """Lines that hold numbers but no label (their start offset and text)."""
    labelled = set()
    for hit in hits:
        labelled.add(text.rfind("\n", 0, hit.start) + 1)
    orphans = []
    offset = 0
    for line in text.split("\n"):
        if offset not in labelled and re.search(r"\d", line):
            orphans.append((offset, line))
        offset += len(line) + 1
    return orphans


# --- the three tables ------------------------------------------------------------------------------


def _application_check(values: list[Number]) -> bool:
    return values[-1] == sum(values[:-1])


def read_applications(text: str) -> tuple[dict, dict[str, str], str | None]:
    """Table three: (nested rows, unreadable rows, "2019"|"2021"|None for the shape of part （六）)."""
    hits = find_labels(text, _APPLICATION_PATTERNS)
    if not hits:
        return {}, {}, None
    keys = {h.key for h in hits}
    shape = "2021" if keys & set(OTHER_ROWS_2021) else "2019"
    order = APPLICATION_ROWS[shape]
    width = len(APPLICANT_COLUMNS)
    read = read_table(text, hits, order, dict.fromkeys(order, width), dict.fromkeys(order, _application_check))
    nested: dict = {}
    for key in order:
        if key in read.rows:
            set_path(nested, key, dict(zip(APPLICANT_COLUMNS, read.rows[key], strict=True)))
    return nested, read.unreadable, shape


def _appeals_check(values: list[Number]) -> bool:
    return all(values[g * 5 + 4] == sum(values[g * 5: g * 5 + 4]) for g in range(3))


def read_appeals(text: str) -> tuple[dict | None, str | None]:
    """Part four: one row of 15 cells after its header. Returns (groups, problem)."""
    cells = _appeal_cells(text)
    width = len(APPEAL_GROUPS) * len(APPEAL_COLUMNS)
    if cells is None:
        return None, "no row of 15 numbers found"
    if len(cells) > width:
        windows = {tuple(cells[i:i + width]) for i in range(len(cells) - width + 1)}
        consistent = {w for w in windows if _appeals_check([v or 0 for v in w])}
        if len(consistent) != 1:
            return None, f"{len(cells)} numbers where 15 were expected"
        cells = list(consistent.pop())
    groups = {}
    for g, group in enumerate(APPEAL_GROUPS):
        chunk = cells[g * 5: g * 5 + 5]
        groups[group] = dict(zip(APPEAL_COLUMNS, chunk, strict=True))
    return groups, None


def _appeal_cells(text: str) -> list[Cell] | None:
    width = len(APPEAL_GROUPS) * len(APPEAL_COLUMNS)
    # Prefer a field row (keeps blank cells) holding at least 15 cells.
    for line in text.split("\n"):
        if ("\t" in line or "|" in line) and re.search(r"\d", line):
            stripped = line.strip(" \r").strip("|")  # keep trailing TABs: they are blank cells
            try:
                row = read_row("\t" + stripped.replace("|", "\t"), width, None)
            except Ambiguous:
                row = None
            if row is not None:
                return row
    numbers = re.findall(r"(?<![\d.])[+\-]?\d+(?![\d.])", _drop_header_words(text))
    if not numbers:
        return None
    if len(numbers) >= width:
        return [to_number(n) for n in numbers]
    try:
        return read_row(" ".join(numbers), width, _appeals_check, fields=False)
    except Ambiguous:
        return None


def _drop_header_words(text: str) -> str:
    return re.sub(r"[\u4e00-\u9fff]+", " ", text)


def read_proactive(text: str, version: str) -> tuple[dict, dict[str, str]]:
    shape = PROACTIVE_ROWS[version]
    hits = find_labels(text, _PROACTIVE_PATTERNS, set(shape))
    if not hits:
        return {}, {}
    order = tuple(shape)
    widths = {k: len(cols) for k, cols in shape.items()}
    read = read_table(text, hits, order, widths, dict.fromkeys(order))
    rows = {k: dict(zip(shape[k], read.rows[k], strict=True)) for k in order if k in read.rows}
    return rows, read.unreadable


def detect_format(part_two: str, application_shape: str | None) -> tuple[str | None, bool]:
    """("2019"|"2021"|None, mixed) from the table shape: part 二's headers first, part 三's （六） second."""
    says_2021 = re.search(labels.FORMAT_2021_HEADERS, part_two) is not None
    says_2019 = re.search(labels.FORMAT_2019_HEADERS, part_two) is not None
    if says_2021 and not says_2019:
        return "2021", application_shape == "2019"
    if says_2019 and not says_2021:
        return "2019", application_shape == "2021"
    return application_shape, says_2019 and says_2021
