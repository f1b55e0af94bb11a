"""Reading the numbers of one table row out of a stretch of text.

Three shapes reach this module:
- field rows: cells separated by TAB or '|' (HTML/DOCX/PDF tables, markdown), where an empty field is a
  blank cell (None);
- token rows: numbers separated by spaces or line breaks (layout text, a cell per line);
- run-together rows: digits glued by a lossy conversion ("230 000023" for 23 0 0 0 0 0 23). These are split
  only when exactly one split is valid (and, where the table has one, satisfies its sum rule); otherwise the
  row is reported unreadable rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from nianbao.report.model import Cell, Number

NUMBER = re.compile(r"(?<![\d.])[+\-−]?\d+(?:,\d{3})*(?:\.\d+)?(?![\d])")
# A whole cell holding one number, maybe with a unit or a thousands separator: "17个", "174,360元", "+17".
NUMBER_CELL = re.compile(
    r"^[+\-−]?\d+(?:,\d{3})*(?:\.\d+)?\s*(?:个|件|项|条|次|元|万元|亿元|人次|家|起|份|%)?$"
)
BLANK_CELL = re.compile(r"^(?:|[-—–/／﹣_]+|无)$")
# A line that is only a blank marker: in a cell-per-line text, a blank cell the token reader cannot see.
_MARKER_LINE = re.compile(r"^[ \t]*(?:[-—–/／﹣_]+|无)[ \t]*$", re.M)
FIELD_SEPARATORS = re.compile(r"[\t|]")
MAX_SPLITS = 50_000  # bound the search over run-together digits
# A glued row with more valid splits than this is left unreadable: the table's rules are not asked to
# choose among them (each further row multiplies the readings of the whole table).
MAX_READINGS = 64
# Bound the work itself, not only the finished splits: cuts that die in a later token count too, so a row
# like "111…1 (130 digits) 0000000000" is refused after this many steps instead of walking 10^8 dead ends.
MAX_SPLIT_STEPS = 400_000
_NOT_NUMERIC = re.compile(r"[^\d.+\-]")
# No count in a report reaches a trillion: a longer run of digits is several cells glued together or
# noise, never one value (a 5,000-digit "number" broke int() and the dashboard's formatting).
MAX_CELL_DIGITS = 12
# Words in a count's place that are still a value written out ("十二", "12（注）", "见附件"): what a field
# first after the label must look like to be taken for a cell rather than a wrapped label fragment.
_WRITTEN_VALUE = re.compile(r"\d|^[零〇一二两三四五六七八九十百千万]+$|见|详|附件|附表|略|不详|未统计")
_LETTER = re.compile(r"[^\W\d_]")
_MAX_TEXT_CELL = 20  # longer words in a field are prose or a label, not a cell

Check = Callable[[list[Number]], bool]


class Ambiguous(Exception):
    """The text holds numbers, but not exactly one reading of them. `readings`: for glued digits with a
    few valid splits, every one of them (the table's other rules may pick one: tables.whole_table)."""

    def __init__(self, message: str, readings: list[list[Number]] | None = None) -> None:
        super().__init__(message)
        self.readings = readings or []


class TextInCell(Ambiguous):
    """A row whose cells are all there, but some hold words where a count belongs: `texts` maps the
    column index to the words. The row is not read (no number is made of "十二" or "12（注）")."""

    def __init__(self, texts: dict[int, str]) -> None:
        super().__init__("、".join(f"第{i + 1}格为文字“{t}”" for i, t in texts.items()))
        self.texts = texts


def to_number(text: str) -> Number:
    """The value of a number cell; Ambiguous when it has more digits than a count can have."""
    if text.isascii() and text.isdigit():  # most cells: skip the cleaning
        _check_length(text)
        return int(text)
    cleaned = text.replace(",", "").replace("−", "-").strip()
    cleaned = _NOT_NUMERIC.sub("", cleaned)
    _check_length(cleaned)
    return float(cleaned) if "." in cleaned else int(cleaned)


def _check_length(digits: str) -> None:
    if sum(ch.isdigit() for ch in digits) > MAX_CELL_DIGITS:
        raise Ambiguous(f"数字过长（{len(digits)}位），不是一格的数值")


def is_number_cell(text: str) -> bool:
    return bool(NUMBER_CELL.match(text.strip()))


def is_blank_cell(text: str) -> bool:
    return bool(BLANK_CELL.match(text.strip()))


def is_value_cell(text: str) -> bool:
    """A cell that holds a figure of the table: a number or a blank."""
    return is_number_cell(text) or is_blank_cell(text)


def has_fields(segment: str) -> bool:
    return bool(FIELD_SEPARATORS.search(segment))


def read_fields(segment: str, n: int) -> list[Cell] | None:
    """Cells of a TAB/pipe row segment; None when it does not hold a row of n cells."""
    fields = FIELD_SEPARATORS.split(segment)
    if len(fields) > 1 and not fields[-1].strip() and segment.rstrip(" ").endswith("|"):
        fields.pop()  # "label | 0 | 3 |": each cell closed by a pipe, the last pipe opens no cell
    if fields and not fields[0].strip():
        fields = fields[1:]  # the separator right after the label
    values: list[Cell] = []
    for field in fields:
        text = field.strip()
        if is_number_cell(text):
            values.append(to_number(text))
        elif is_blank_cell(text):
            values.append(None)
        # anything else is a stray label fragment: skip it
    if len(values) < len(fields):
        _refuse_text_cells(fields, n)  # unless it stands in a cell: then its row is no row of numbers
    # Extra blank fields come from a label cell spanning two columns or a trailing separator.
    while len(values) > n and values[-1] is None:
        values.pop()
    while len(values) > n and values[0] is None:
        values.pop(0)
    if len(values) == n:
        return values
    if len(values) > n:
        raise Ambiguous(f"应有{n}格，读到{len(values)}格")
    return None  # fewer cells than the row has: the token reader may still split glued digits


def _refuse_text_cells(fields: list[str], n: int) -> None:
    """Raise TextInCell when the row has exactly n cells and some of them hold words: then the words
    stand where a count belongs. Words in the first cell only count when they read as a written value
    (a PDF wraps label fragments into that field); a line of words only is a header, not a row."""
    cells = [f.strip() for f in fields]
    while len(cells) > n and not cells[-1]:
        cells.pop()
    while len(cells) > n and not cells[0]:
        cells.pop(0)
    if len(cells) != n:
        return
    # Words, not stray punctuation: "0)" is a number with a bracket left over from a wrapped label.
    texts = {i: c for i, c in enumerate(cells) if not is_value_cell(c) and _LETTER.search(c)}
    if not texts or any(len(t) > _MAX_TEXT_CELL for t in texts.values()):
        return
    numbers = any(is_number_cell(c) for c in cells)  # blanks alone do not make a header line a row
    if all((numbers and i > 0) or _WRITTEN_VALUE.search(t) for i, t in texts.items()):
        raise TextInCell(texts)


def read_tokens(segment: str, n: int, check: Check | None) -> list[Cell] | None:
    """Numbers of a segment without field separators; splits glued digits when that is unambiguous."""
    tokens = [t for t in NUMBER.findall(segment)]
    if any(not is_value_cell(word) for word in segment.split()):
        _refuse_text_cells(segment.split(), n)  # "规章 十二 0 3": no glued split may make a number of it
    if not tokens:
        return None
    if len(tokens) == n:
        return [to_number(t) for t in tokens]
    if len(tokens) > n:
        raise Ambiguous(f"应有{n}个数字，读到{len(tokens)}个")
    if any("." in t or "," in t for t in tokens):
        raise Ambiguous(f"应有{n}个数字，只读到{len(tokens)}个")
    return split_glued(tokens, n, check)


def read_row(segment: str, n: int, check: Check | None = None, *, fields: bool = True) -> list[Cell] | None:
    """The n cells of a row in `segment`, None when there are no numbers, Ambiguous when unclear."""
    if fields and has_fields(segment):
        row = read_fields(segment, n)
        if row is not None:
            return row
    elif "\n" in segment and _MARKER_LINE.search(segment):
        row = read_cell_lines(segment, n)
        if row is not None:
            return row
    return read_tokens(segment, n, check)


def read_cell_lines(segment: str, n: int) -> list[Cell] | None:
    """A cell per line ("规章\n_\n_\n_"): the row is the first n lines when each is a number or a blank
    marker; None unless exactly n such lines open the segment (then the token reader decides)."""
    cells: list[str] = []
    for line in segment.split("\n"):
        text = line.strip()
        if not text:
            continue
        if not is_value_cell(text):
            break
        cells.append(text)
    if len(cells) != n:
        return None
    return [None if is_blank_cell(cell) else to_number(cell) for cell in cells]


# --- glued digits ------------------------------------------------------------------------------------


def split_glued(tokens: list[str], n: int, check: Check | None) -> list[Cell]:
    """The one way to cut `tokens` into n numbers (each token into >= 1 parts) that `check` accepts.
    Ambiguous otherwise; when there are a few such ways (and a check), they are its `readings`."""
    solutions: list[list[Number]] = []
    for count, parts in enumerate(_splits(tokens, n, _Steps())):
        if count > MAX_SPLITS:
            raise Ambiguous("粘连数字的拆分方式过多")
        values = [to_number(p) for p in parts]
        if check is None or check(values):
            if values not in solutions:
                solutions.append(values)
            if len(solutions) > 1 and (check is None or len(solutions) > MAX_READINGS):
                raise Ambiguous("粘连数字有多种拆分方式：" + " ".join(tokens))
    if not solutions:
        raise Ambiguous("粘连数字无法拆分为自洽的一行：" + " ".join(tokens))
    if len(solutions) > 1:
        raise Ambiguous("粘连数字有多种拆分方式：" + " ".join(tokens), readings=solutions)
    return list(solutions[0])


class _Steps:
    """Every cut tried, finished or not: the search stops when it has done MAX_SPLIT_STEPS of work."""

    def __init__(self) -> None:
        self.left = MAX_SPLIT_STEPS

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise Ambiguous("粘连数字的拆分方式过多")


def _digits(token: str) -> str:
    return token[1:] if token[0] in "+-−" else token


def _fewest_parts(digits: str) -> int:
    """Numbers have no leading zeros: "0012" is at least 0|0|12, three parts."""
    zeros = len(digits) - len(digits.lstrip("0"))
    return zeros + (zeros < len(digits))


def _splits(tokens: list[str], n: int, steps: _Steps) -> Iterator[list[str]]:
    if not tokens:
        if n == 0:
            yield []
        return
    head, rest = tokens[0], tokens[1:]
    digits = _digits(head)
    sign = head[: len(head) - len(digits)]
    # The rest holds between its fewest parts and one number per digit: cuts of the head that leave it
    # too few or too many cells are skipped (same splits, without walking millions of dead ends).
    max_parts = min(len(digits), n - sum(_fewest_parts(_digits(t)) for t in rest))
    min_parts = max(1, n - sum(len(_digits(t)) for t in rest))
    for k in range(min_parts, max_parts + 1):
        for parts in _cut(digits, k, steps):
            parts = [sign + parts[0], *parts[1:]]
            for tail in _splits(rest, n - k, steps):
                yield parts + tail


def _cut(digits: str, k: int, steps: _Steps) -> Iterator[list[str]]:
    """Cut a digit string into k numbers without leading zeros."""
    steps.spend()
    if k == 1:
        if (digits == "0" or not digits.startswith("0")) and len(digits) <= MAX_CELL_DIGITS:
            yield [digits]
        return
    if len(digits) > k * MAX_CELL_DIGITS:
        return  # some part would be longer than any cell
    first_max = 1 if digits.startswith("0") else min(len(digits) - k + 1, MAX_CELL_DIGITS)
    for i in range(1, first_max + 1):
        for rest in _cut(digits[i:], k - 1, steps):
            yield [digits[:i], *rest]
