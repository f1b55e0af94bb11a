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

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nianbao.report import labels
from nianbao.report.cells import (
    FIELD_SEPARATORS,
    Ambiguous,
    Check,
    TextInCell,
    has_fields,
    is_value_cell,
    read_row,
    to_number,
)
from nianbao.report.model import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_COLUMNS,
    APPLICATION_ROWS,
    INTAKE_ROWS,
    OTHER_ROWS_2021,
    PROACTIVE_ROWS,
    TOTAL_ROWS,
    Cell,
    Number,
    Row,
    set_path,
)

SEPARATORS = "\t\n|"
# Two Chinese characters that are not a unit: words, so not a line of numbers.
_WORDS = re.compile(r"(?:(?![个件项条次元万亿人家起份无])[\u4e00-\u9fff]){2}")
# A parenthesised explanation inside a label cell ("规章（设区的市…应提供）") belongs to the label.
_MAX_EXPLANATION = 300
_MAX_WRAPPED_LINES = 2  # an explanation wrapped by a PDF text layer spans at most this many breaks
_APPLICATION_PATTERNS = {k: re.compile(v) for k, v in labels.APPLICATION_LABELS.items()}
_WRAPPED_FRAGMENT = re.compile(labels.WRAPPED_LABEL_FRAGMENT)
# A row number and at most two characters of its label, alone in the label cell ("5.要").
_LABEL_STUB = re.compile(r"^\s*\d{1,2}\s*[.、．]\s*[\u4e00-\u9fff]{0,2}\s*$")
_PROACTIVE_PATTERNS = {k: re.compile(v) for k, v in labels.PROACTIVE_LABELS.items()}


@dataclass
class LabelHit:
    key: str
    start: int
    end: int
    keyword_start: int = 0


@dataclass
class TableRead:
    rows: dict[str, list[Cell]]
    unreadable: dict[str, str]
    # Rows of glued digits with several readings that each satisfy the row's own sum: every reading.
    readings: dict[str, list[list[Number]]] = field(default_factory=dict)
    # Rows left unread because cells hold words where a count belongs: column index -> the words.
    texts: dict[str, dict[int, str]] = field(default_factory=dict)


# --- label finding -----------------------------------------------------------------------------------


def find_labels(text: str, patterns: dict[str, re.Pattern[str]], wanted: set[str] | None = None) -> list[LabelHit]:
    matches = [(key, match) for key, pattern in patterns.items() for match in pattern.finditer(text)]
    keyword_starts = sorted(match.start() for _, match in matches)
    hits: list[LabelHit] = []
    for key, match in matches:
        if wanted is not None and key not in wanted:
            continue
        start, end = _widen(text, match.start(), match.end())
        end = _wrapped_end(text, end, keyword_starts)
        hits.append(LabelHit(key, start, end, match.start()))
    # Same cell matched twice: the keyword met first names the row ("其他对外管理服务事项（含行政许可…）").
    hits.sort(key=lambda h: (h.start, h.keyword_start, -(h.end - h.start)))
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
        right = _after_explanation(text, right) if text[right] == "(" else right + 1
    return left, right


def _wrapped_end(text: str, end: int, keyword_starts: list[int]) -> int:
    """Extend a label that ends its line over the fragments a PDF text layer wrapped onto the next lines.

    A fragment holding another label's keyword is that row's own label, so it is never taken."""
    for _ in range(_MAX_WRAPPED_LINES):
        line_end = text.find("\n", end)
        if line_end < 0 or text[end:line_end].strip(" \u3000"):
            break  # numbers, blank fields (TAB/|) or anything else follow the label on its own line
        fragment = _WRAPPED_FRAGMENT.match(text, line_end + 1)
        if fragment is None:
            break
        later = bisect.bisect_right(keyword_starts, line_end)
        if later < len(keyword_starts) and keyword_starts[later] < fragment.end():
            break
        end = fragment.end()
    return end


def _after_explanation(text: str, at: int) -> int:
    """Position after the ")" closing the "(" at `at` in the same cell, else just after the "(".

    PDF text layers wrap a long explanation onto the next line, the row's numbers after its ")":
    "（二）部分公开（区分处理的，只计这一情\n形，不计其他情形） 447 7 …". A line break inside the
    brackets is kept in the label when the wrapped part holds no digit and no field separator."""
    close = text.find(")", at, at + _MAX_EXPLANATION)
    if close < 0:
        return at + 1
    inside = text[at:close]
    if "\t" in inside or "|" in inside:
        return at + 1
    if "\n" in inside and (inside.count("\n") > _MAX_WRAPPED_LINES or re.search(r"\d", inside)):
        return at + 1
    return close + 1


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
    readings: dict[str, list[list[Number]]] = {}
    positions: dict[str, int] = {}
    texts: dict[str, dict[int, str]] = {}
    line_mode = _labels_share_lines(text, hits, widths)
    for key, row, start in _candidate_rows(text, hits, widths, checks, line_mode, problems, readings, texts):
        if key not in rows:
            rows[key] = row
            positions[key] = start
            problems.pop(key, None)
    if line_mode:
        _fill_from_orphans(text, hits, order, widths, checks, rows, positions)
    missing = {key: problems.get(key, "未找到该行的数字") for key in order if key not in rows}
    return TableRead(rows, missing, {key: readings[key] for key in missing if key in readings},
                     {key: texts[key] for key in missing if key in texts})


def _candidate_rows(
    text: str,
    hits: list[LabelHit],
    widths: dict[str, int],
    checks: dict[str, Check | None],
    line_mode: bool,
    problems: dict[str, str],
    readings: dict[str, list[list[Number]]],
    texts: dict[str, dict[int, str]],
) -> list[tuple[str, list[Cell], int]]:
    """Every label's reading, best first: a label in a table line (cells) beats one in prose."""
    found = []
    for i, hit in enumerate(hits):
        next_start = hits[i + 1].start if i + 1 < len(hits) else len(text)
        segment = text[hit.end:next_start]
        if line_mode:
            segment = segment.split("\n", 1)[0]
            if not re.search(r"\d", segment):
                segment = _numbers_above(text, hit, hits) or segment
        try:
            row = read_row(segment, widths[hit.key], checks.get(hit.key), fields=line_mode)
        except Ambiguous as exc:
            problems.setdefault(hit.key, str(exc))
            if exc.readings and hit.key not in readings and problems[hit.key] == str(exc):
                readings[hit.key] = exc.readings
            if isinstance(exc, TextInCell) and problems[hit.key] == str(exc):
                texts[hit.key] = exc.texts
            continue
        if row is not None:
            in_table = "\t" in _line_at(text, hit.start)
            found.append((not in_table, i, hit.key, row, hit.start))
    found.sort(key=lambda f: (f[0], f[1]))
    return [(key, row, start) for _, _, key, row, start in found]


def _numbers_above(text: str, hit: LabelHit, hits: list[LabelHit]) -> str | None:
    """The numbers of the line above a label whose own line has none, when that line's only words are a
    row number and a character or two: a label that overflows its narrow column is laid out by LibreOffice
    as its stub beside the row's numbers and the rest on the next line ("5.要 | 73 | 1 | …" then
    "求行政机关确认或重新出具已获取信息"), so the keyword is found a line below its numbers."""
    line_start = text.rfind("\n", 0, hit.start) + 1
    if line_start == 0:
        return None
    above_start = text.rfind("\n", 0, line_start - 1) + 1
    if any(above_start <= other.start < line_start for other in hits):
        return None  # the line above is another row's
    above = text[above_start:line_start - 1]
    words = [f for f in FIELD_SEPARATORS.split(above) if f.strip() and not is_value_cell(f)]
    if len(words) != 1 or not _LABEL_STUB.match(words[0]):
        return None
    return above[above.index(words[0]) + len(words[0]):]


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
    """Lines that hold numbers but no label (their start offset and their numeric cells). Digits inside a
    header or a caption ("采购项目数量（指2020年…）") are no row's cells."""
    labelled = set()
    for hit in hits:
        labelled.add(text.rfind("\n", 0, hit.start) + 1)
        labelled.add(text.rfind("\n", 0, hit.end) + 1)  # a label wrapped onto the line of its numbers
    orphans = []
    offset = 0
    for line in text.split("\n"):
        numbers = _numeric_part(line) if offset not in labelled else ""
        if re.search(r"\d", numbers):
            orphans.append((offset, numbers))
        offset += len(line) + 1
    return orphans


def _numeric_part(line: str) -> str:
    """The cells of a line that are numbers or blanks; a wrapped label fragment in a field of its own is
    dropped, but digits inside words are no cells, and a token line with words is no row of numbers."""
    if has_fields(line):
        return "\t".join(f for f in FIELD_SEPARATORS.split(line) if is_value_cell(f))
    return "" if _WORDS.search(line) else line


# --- glued rows read as a whole table --------------------------------------------------------------

# The search over the readings of a table's glued rows stops after this many steps (tried readings).
MAX_TABLE_STEPS = 100_000


@dataclass(frozen=True)
class Rule:
    """A printed rule of a table, for one column: the rows in `plus` add up to the rows in `minus`.
    "balance" (一+二 = （七）+四) compares nothing in the 总计 column when a cell is blank; "outcome"
    (（七）总计 = （一）…（六）) compares nothing when the stated total or all its summands are blank:
    the validator's own reading of blanks (report/validate.py)."""

    kind: str
    column: int
    plus: tuple[str, ...]
    minus: tuple[str, ...]

    def holds(self, rows: dict[str, list[Cell]]) -> bool | None:
        """None when a row of the rule is not read."""
        if any(key not in rows for key in self.plus + self.minus):
            return None
        plus = [rows[key][self.column] for key in self.plus]
        minus = [rows[key][self.column] for key in self.minus]
        if self.kind == "balance" and (_blank(plus + minus) or (self.last and None in plus + minus)):
            return True
        if self.kind == "outcome" and (minus[0] is None or _blank(plus)):
            return True
        return abs(sum(v or 0 for v in plus) - sum(v or 0 for v in minus)) < 1e-6

    @property
    def last(self) -> bool:
        return self.column == len(APPLICANT_COLUMNS) - 1


def _blank(values: list[Cell]) -> bool:
    return all(v is None for v in values)


def application_rules(order: tuple[str, ...]) -> list[Rule]:
    """Table 三's rules across rows, column by column (each row's own 总计 is its readings' check)."""
    outcomes = tuple(key for key in order if key not in INTAKE_ROWS + TOTAL_ROWS)
    rules = []
    for column in range(len(APPLICANT_COLUMNS)):
        rules.append(Rule("balance", column, INTAKE_ROWS, TOTAL_ROWS))
        rules.append(Rule("outcome", column, outcomes, ("total_handled",)))
    return rules


def whole_table(read: TableRead, rules: list[Rule]) -> None:
    """Choose the readings of the table's glued rows together: a reading of every such row is taken
    only when it is the one combination under which every rule that can be checked holds. A table whose
    read rows already break a rule is left as it is (its rules cannot vouch for a reading), and so is
    one with no consistent combination, or too many to search: those rows stay unreadable."""
    glued = [key for key in read.readings if key in read.unreadable]
    if not glued or any(rule.holds(read.rows) is False for rule in rules):
        return
    solutions = _consistent_readings(read, glued, rules)
    if solutions is None or len(solutions) != 1:
        return
    for key, values in solutions[0].items():
        read.rows[key] = list(values)
        del read.unreadable[key]


def _consistent_readings(read: TableRead, glued: list[str], rules: list[Rule]) -> list[dict[str, list[Number]]] | None:
    """Up to two combinations of readings satisfying every checkable rule (None: search too long).
    A rule is tested as soon as its last glued row has a reading (backtracking, with a step budget)."""
    closing: list[list[Rule]] = [[] for _ in glued]
    for rule in rules:
        keys = rule.plus + rule.minus
        if all(key in read.rows or key in glued for key in keys) and any(key in glued for key in keys):
            closing[max(glued.index(key) for key in keys if key in glued)].append(rule)
    rows: dict[str, list[Cell]] = dict(read.rows)
    found: list[dict[str, list[Number]]] = []
    steps = [MAX_TABLE_STEPS]

    def search(i: int) -> bool:  # True: stop (two found, or out of steps)
        if i == len(glued):
            found.append({key: rows[key] for key in glued})  # type: ignore[misc]
            return len(found) > 1
        for reading in read.readings[glued[i]]:
            steps[0] -= 1
            if steps[0] < 0:
                return True
            rows[glued[i]] = list(reading)
            if all(rule.holds(rows) for rule in closing[i]) and search(i + 1):
                return True
        del rows[glued[i]]
        return False

    search(0)
    return None if steps[0] < 0 else found


# --- the three tables ------------------------------------------------------------------------------


def _application_check(values: list[Number]) -> bool:
    return values[-1] == sum(values[:-1])


def read_applications(
    text: str, fallback_shape: str = "2021"
) -> tuple[dict[str, Any], dict[str, str], str | None, dict[str, str]]:
    """Table three: (nested rows, unreadable rows, "2019"|"2021"|None for the shape of part （六）,
    cells holding words where a count belongs: "row.column" -> the words).

    The shape is None when no row of （六） was found (a truncated table): then `fallback_shape`, the
    format read from part 二's headers, decides which rows are expected."""
    hits = find_labels(text, _APPLICATION_PATTERNS)
    if not hits:
        return {}, {}, None, {}
    keys = {h.key for h in hits}
    shape = "2021" if keys & set(OTHER_ROWS_2021) else "2019" if "other" in keys else None
    order = APPLICATION_ROWS[shape or fallback_shape]
    width = len(APPLICANT_COLUMNS)
    read = read_table(text, hits, order, dict.fromkeys(order, width), dict.fromkeys(order, _application_check))
    whole_table(read, application_rules(order))
    nested: dict[str, Any] = {}
    for key in order:
        if key in read.rows:
            set_path(nested, key, dict(zip(APPLICANT_COLUMNS, read.rows[key], strict=True)))
    return nested, read.unreadable, shape, _cell_texts(read.texts, lambda key: APPLICANT_COLUMNS)


def _cell_texts(texts: dict[str, dict[int, str]], columns: Callable[[str], tuple[str, ...]]) -> dict[str, str]:
    """A table's word cells by "row.column" (the row's columns named by `columns`)."""
    return {f"{key}.{columns(key)[i]}": words for key, cells in texts.items() for i, words in cells.items()}


def _appeals_check(values: list[Number]) -> bool:
    return all(values[g * 5 + 4] == sum(values[g * 5: g * 5 + 4]) for g in range(3))


_APPEAL_GROUP_ROWS = {k: re.compile(r"^[\s|]*(?:" + labels.APPEAL_ROW_PREFIX + r"[\s|]*)?(?:" + v + ")")
                      for k, v in labels.APPEAL_GROUP_LABELS.items()}
_APPEAL_RESULT_ROWS = {k: re.compile(r"^[\s|]*(?:" + v + ")") for k, v in labels.APPEAL_COLUMN_LABELS.items()}


def read_appeals(text: str) -> tuple[dict[str, Row] | None, str | None, dict[str, str]]:
    """Part four. Returns (groups, problem, cells holding words: "group.column" -> the words, when the
    table is not read). Labelled rows first (a row per group, or transposed: a row per result), else the
    one row of 15 cells after the header."""
    texts: dict[str, str] = {}
    by_group = _labelled_rows(text, _APPEAL_GROUP_ROWS, len(APPEAL_COLUMNS), texts,
                              lambda key, i: f"{key}.{APPEAL_COLUMNS[i]}")
    by_result = _labelled_rows(text, _APPEAL_RESULT_ROWS, len(APPEAL_GROUPS), texts,
                               lambda key, i: f"{APPEAL_GROUPS[i]}.{key}")
    if len(by_group) == len(APPEAL_GROUPS):
        return {g: dict(zip(APPEAL_COLUMNS, by_group[g], strict=True)) for g in APPEAL_GROUPS}, None, {}
    if len(by_result) == len(APPEAL_COLUMNS):
        return {g: {c: by_result[c][i] for c in APPEAL_COLUMNS} for i, g in enumerate(APPEAL_GROUPS)}, None, {}
    if len(by_group) + len(by_result) >= 2:
        return None, "第四部分按行排列，部分行无法读取", texts
    if texts:
        return None, "有单元格填写了文字", texts
    groups, problem = _read_appeal_row(text, texts)
    return groups, problem, {} if groups else texts


def _labelled_rows(text: str, patterns: dict[str, re.Pattern[str]], width: int, texts: dict[str, str],
                   cell: Callable[[str, int], str]) -> dict[str, list[Cell]]:
    """Rows of a line-per-row table whose line starts with one of the labels and holds `width` cells.
    Cells of such a row holding words go to `texts`, named by `cell(row key, column index)`."""
    rows: dict[str, list[Cell]] = {}
    for line in text.split("\n"):
        for key, pattern in patterns.items():
            match = pattern.match(line)
            if match is None or key in rows:
                continue
            try:
                row = read_row(line[match.end():], width, None)
            except TextInCell as exc:
                texts.update({cell(key, i): words for i, words in exc.texts.items()})
                row = None
            except Ambiguous:
                row = None
            if row is not None and any(value is not None for value in row):
                rows[key] = row  # a header line ("行政复议\t\t\t行政诉讼") has blanks only
            break
    return rows


def _read_appeal_row(text: str, texts: dict[str, str]) -> tuple[dict[str, Row] | None, str | None]:
    cells = _appeal_cells(text, texts)
    width = len(APPEAL_GROUPS) * len(APPEAL_COLUMNS)
    if texts:
        return None, "有单元格填写了文字"
    if cells is None:
        return None, "未找到15个数字的一行"
    if len(cells) > width:
        windows = {tuple(cells[i:i + width]) for i in range(len(cells) - width + 1)}
        consistent = {w for w in windows if _appeals_check([v or 0 for v in w])}
        if len(consistent) != 1:
            return None, f"找到{len(cells)}个数字，应为15个"
        cells = list(consistent.pop())
    groups = {}
    for g, group in enumerate(APPEAL_GROUPS):
        chunk = cells[g * 5: g * 5 + 5]
        groups[group] = dict(zip(APPEAL_COLUMNS, chunk, strict=True))
    return groups, None


def _appeal_cells(text: str, texts: dict[str, str]) -> list[Cell] | None:
    """The 15 cells of part 四; None, with the words in `texts`, when a row of 15 has cells in words
    (the loose digits around them must not be split into a reading)."""
    width = len(APPEAL_GROUPS) * len(APPEAL_COLUMNS)
    # Prefer a field row (keeps blank cells) holding at least 15 cells.
    for line in text.split("\n"):
        if ("\t" in line or "|" in line) and re.search(r"\d", line):
            stripped = line.strip(" \r").strip("|")  # keep trailing TABs: they are blank cells
            try:
                # The sum rule guards the split of glued digits: a 10-field litigation row printed apart
                # from its 5-field review row ("9\t185\t0…") must not become 15 single digits.
                row = read_row("\t" + stripped.replace("|", "\t"), width, _appeals_check)
            except TextInCell as exc:
                columns = len(APPEAL_COLUMNS)
                texts.update({f"{APPEAL_GROUPS[i // columns]}.{APPEAL_COLUMNS[i % columns]}": words
                              for i, words in exc.texts.items()})
                return None
            except Ambiguous:
                row = None
            if row is not None:
                return row
    numbers = re.findall(r"(?<![\d.])[+\-]?\d+(?![\d.])", _drop_header_words(text))
    if not numbers:
        return None
    try:
        if len(numbers) >= width:
            return [to_number(n) for n in numbers]
        return read_row(" ".join(numbers), width, _appeals_check, fields=False)
    except Ambiguous:
        return None


def _drop_header_words(text: str) -> str:
    return re.sub(r"[\u4e00-\u9fff]+", " ", text)


def read_proactive(text: str, version: str) -> tuple[dict[str, Row], dict[str, str], dict[str, str]]:
    """Part 二: (rows, unreadable rows, cells holding words: "row.column" -> the words)."""
    shape = PROACTIVE_ROWS[version]
    hits = find_labels(text, _PROACTIVE_PATTERNS, set(shape))
    if not hits:
        return {}, {}, {}
    order = tuple(shape)
    widths = {k: len(cols) for k, cols in shape.items()}
    read = read_table(text, hits, order, widths, dict.fromkeys(order))
    rows = {k: dict(zip(shape[k], read.rows[k], strict=True)) for k in order if k in read.rows}
    return rows, read.unreadable, _cell_texts(read.texts, lambda key: shape[key])


def headers_version(part_two: str) -> str | None:
    """"2019"|"2021" from part 二's column headers; None when they say neither or both."""
    says_2021 = re.search(labels.FORMAT_2021_HEADERS, part_two) is not None
    says_2019 = re.search(labels.FORMAT_2019_HEADERS, part_two) is not None
    if says_2021 == says_2019:
        return None
    return "2021" if says_2021 else "2019"


def detect_format(part_two: str, application_shape: str | None) -> tuple[str | None, bool]:
    """("2019"|"2021"|None, mixed) from the table shape: part 二's headers first, part 三's （六） second."""
    by_headers = headers_version(part_two)
    if by_headers:
        return by_headers, application_shape not in (None, by_headers)
    says_both = all(re.search(p, part_two) for p in (labels.FORMAT_2021_HEADERS, labels.FORMAT_2019_HEADERS))
    return application_shape, says_both
