"""Marks what OCR read: each table cell's confidence in the model, and findings a misreading may explain.

The reader knows the confidence of each TAB field of the document it read by OCR; the parser, which finds
the rows by their labels, knows which cell of the model each field became. To join the two without
teaching the parser about OCR, the document is parsed once more with every OCR'd number replaced by a
distinct marker number: the cell of the model that holds marker i came from field i.

Words in a count's cell of a scan are doubtful too: the text may be a neighbouring label's line read into that
cell; so is a fraction or a minus in a count (a speck read as a point or a minus, a neighbouring row's 收费金额
misplaced). A sum finding on OCR'd figures is not proven: the agency's figures may add up and the reading be wrong. It is
marked doubtful, and its message says why, when a cell on its row or column was read with low confidence,
or when changing one digit of one OCR'd cell would make it hold (checked by validating again). Nothing is
changed in the model: the overseer is told which cell to look at, not given a number OCR did not read.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace

from nianbao.report.model import DOUBT_MARK, Finding, Report, get_path, set_path
from nianbao.report.parser import parse_document
from nianbao.report.printed import location_name
from nianbao.report.readers import Document
from nianbao.report.validate import validate
from nianbao.report.walk import iter_cells

LOW_CONFIDENCE = 0.9  # as report/readers/ocr.LOW_CONFIDENCE (the readers are not imported here)
_MARKER = 900_000_000  # marker i is this plus i: more digits than any figure of a report, fewer than the cap
_NUMBER_FIELD = re.compile(r"^\s*\d[\d,.]*\s*$")
_TABLES = ("proactive.", "applications.", "appeals.")
_MAX_TRIES = 200  # one-digit changes validated for one report


def mark_cells(report: Report, document: Document) -> None:
    """Copy the document's OCR pages and per-field confidences onto the report's cells."""
    report.ocr_pages = list(document.ocr_pages)
    lines = document.text.split("\n")
    fields: dict[int, float] = {}
    for (line, field), confidence in sorted(document.ocr_cells.items()):
        cells = lines[line].split("\t") if line < len(lines) else []
        if field < len(cells) and _NUMBER_FIELD.match(cells[field]):
            cells[field] = str(_MARKER + len(fields))
            fields[len(fields)] = confidence
            lines[line] = "\t".join(cells)
    marked = parse_document(replace(document, text="\n".join(lines), ocr_cells={}))
    for cell in iter_cells(marked):
        index = cell.value - _MARKER if isinstance(cell.value, int) else -1
        if index in fields and get_path(_tables(report), cell.path) is not None:
            report.ocr_cells[cell.path] = round(fields[index], 3)
    # A figure read from OCR'd text outside any ruled cell (a row rebuilt from positions, digits split by
    # the row's sum) has no confidence of its own: it is the least trusted.
    for cell in iter_cells(report):
        if cell.value is not None and cell.path not in report.ocr_cells:
            report.ocr_cells[cell.path] = 0.0


def _tables(report: Report) -> dict[str, object]:
    return {"proactive": report.proactive, "applications": report.applications, "appeals": report.appeals}


def mark_doubtful(report: Report, findings: list[Finding]) -> list[Finding]:
    """The findings, those on OCR'd figures that a misreading may explain marked doubtful."""
    if not report.ocr_pages:
        return findings
    budget = [_MAX_TRIES]
    return [_judged(report, finding, budget) for finding in findings]


def _judged(report: Report, finding: Finding, budget: list[int]) -> Finding:
    location = finding.location or ""
    if finding.rule == "text_in_number" and location.startswith(_TABLES):
        # Words where a count belongs, on a scan: a label's line the grain let into the next cell reads so.
        return replace(finding, doubtful=True,
                       message=f"{finding.message}（表格经OCR识读，{DOUBT_MARK}：文字可能来自相邻单元格）")
    if finding.rule in _MISREAD_MARKS and location in report.ocr_cells:
        return replace(finding, doubtful=True, message=f"{finding.message}（{_mark_doubt(report, finding)}）")
    if not location.startswith(_TABLES) or not _is_number(finding.expected) or not _is_number(finding.actual):
        return finding
    near = _near_cells(report, location)
    if not near:
        return finding
    low = [path for path in near if report.ocr_cells[path] < LOW_CONFIDENCE]
    fixes = _one_digit_fixes(report, finding, near, budget)
    if not low and not fixes:
        return finding
    reasons = []
    if low:
        reasons.append("低置信度单元格：" + "、".join(
            f"{location_name(p)}（{report.ocr_cells[p]:.0%}）" for p in low[:4]))
    if fixes:
        reasons.append("若" + "或".join(f"{location_name(p)}为{v}" for p, v in fixes[:3]) + "则相符")
    return replace(finding, doubtful=True,
                   message=f"{finding.message}（表格经OCR识读，{DOUBT_MARK}：{'；'.join(reasons)}）")


# Findings on one cell's figure that a scan's speck, a ruling's remnant or a misplaced figure can make, and why:
# a fraction in a count (a sub-table's 收费金额 given to a count row when the rulings were lost) or a minus.
_MISREAD_MARKS = {
    "integer_count": "小数点可能是扫描噪点，或数字来自相邻行的金额",
    "non_negative": "负号可能是扫描噪点或残留的表格线",
}


def _mark_doubt(report: Report, finding: Finding) -> str:
    confidence = report.ocr_cells[finding.location or ""]
    said = f"表格经OCR识读，{DOUBT_MARK}：{_MISREAD_MARKS[finding.rule]}"
    return f"{said}；该格置信度{confidence:.0%}" if confidence < LOW_CONFIDENCE else said


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _near_cells(report: Report, location: str) -> list[str]:
    """OCR'd cells on the finding's row or column of the same table, the finding's own cell first."""
    table = location.split(".")[0]
    row, _, column = location.rpartition(".")
    near = [path for path in report.ocr_cells if path.split(".")[0] == table
            and (path.rpartition(".")[0] == row or path.rpartition(".")[2] == column)]
    return sorted(near, key=lambda path: path != location)


def _one_digit_fixes(report: Report, finding: Finding, near: list[str],
                     budget: list[int]) -> list[tuple[str, int]]:
    """(cell, value) where one digit changed in one OCR'd cell makes this finding go away."""
    difference = abs(finding.expected - finding.actual)
    fixes = []
    for path in near:
        value = get_path(_tables(report), path)
        if not isinstance(value, int):
            continue
        for candidate in _one_digit_away(value):
            if abs(candidate - value) != difference or budget[0] <= 0:
                continue
            budget[0] -= 1
            if _holds_with(report, finding, path, candidate):
                fixes.append((path, candidate))
    return fixes


def _one_digit_away(value: int) -> set[int]:
    digits = str(value)
    out = set()
    for i, old in enumerate(digits):
        for new in "0123456789":
            if new != old and not (i == 0 and new == "0" and len(digits) > 1):
                out.add(int(digits[:i] + new + digits[i + 1:]))
    return out


def _holds_with(report: Report, finding: Finding, path: str, value: int) -> bool:
    changed = copy.deepcopy(report)
    tables = _tables(changed)
    set_path(tables, path, value)  # the nested dicts are the copy's own
    return not any(f.rule == finding.rule and f.location == finding.location for f in validate(changed))
