"""Excel (.xlsx, openpyxl) downloads: the lists (the same columns as their CSV) and a report's three tables
laid out as the national format prints them (group headers merged over their columns, the row headings of
part 三 merged down their rows, part 四 as its one row of 15 cells under its two-level header).

Cell values are typed (numbers stay numbers, dates are dates); text that looks like a formula is stored as
text, never as a formula: crawled text must not run in an overseer's spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from nianbao.report import printed as P
from nianbao.report import vocabulary as V
from nianbao.report.model import get_path
from nianbao.report.walk import application_shape, table_rows

BEIJING = dt.timezone(dt.timedelta(hours=8))
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="EEF2F7")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LABEL = Alignment(horizontal="left", vertical="center", wrap_text=True)
MAX_TEXT = 32767  # Excel's limit on a cell's text


def cell_value(value: Any) -> Any:
    """A value as Excel stores it: numbers and dates typed (times in 北京时间), structures as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:MAX_TEXT]
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the time an overseer reads, 北京时间.
        return value.astimezone(BEIJING).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    return value


def _put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    cell = ws.cell(row=row, column=column)
    assert isinstance(cell, Cell), "written before its range is merged"
    cell.value = cell_value(value)
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"  # text, not a formula
    if isinstance(cell.value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(cell.value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _to_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- lists ----------------------------------------------------------------------------------------------


def list_workbook(title: str, columns: Sequence[tuple[str, str]], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """One sheet: a bold header row of the Chinese column titles (frozen, filterable), then the rows."""
    wb = Workbook(write_only=False)
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    for c, (_, heading) in enumerate(columns, start=1):
        head = _put(ws, 1, c, heading)
        head.font, head.fill, head.alignment = Font(bold=True), _HEAD_FILL, _CENTER
        ws.column_dimensions[get_column_letter(c)].width = max(8, min(40, len(heading) * 2 + 4))
    n = 1
    for n, row in enumerate(rows, start=2):
        for c, (key, _) in enumerate(columns, start=1):
            _put(ws, n, c, row.get(key))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n}"
    return _to_bytes(wb)


# --- a report's tables, as printed ----------------------------------------------------------------------


def _head(ws: Worksheet, top: int, left: int, text: str, *, bottom: int | None = None, right: int | None = None,
          label: bool = False) -> None:
    """A header (or row heading) cell, merged down to `bottom` and across to `right`."""
    bottom, right = bottom or top, right or left
    cell = _put(ws, top, left, text)
    cell.font = Font(bold=not label)
    cell.alignment = _LABEL if label else _CENTER
    if not label:
        cell.fill = _HEAD_FILL
    for r in range(top, bottom + 1):
        for c in range(left, right + 1):
            ws.cell(row=r, column=c).border = _BORDER
    if (bottom, right) != (top, left):
        ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)


def _number(ws: Worksheet, row: int, column: int, value: Any) -> None:
    cell = _put(ws, row, column, value if isinstance(value, int | float) else None)
    cell.border = _BORDER
    cell.alignment = Alignment(horizontal="right", vertical="center")


def _title(ws: Worksheet, text: str, width: int) -> int:
    _head(ws, 1, 1, text, right=width)
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    return 2


def proactive_sheet(ws: Worksheet, model: Mapping[str, Any]) -> None:
    """Part 二: one block per column layout (制发/废止/现行有效; 处理决定数量; 收费金额), units as printed."""
    fmt = model.get("format_version") if model.get("format_version") in V.FORMATS else "2021"
    tree = model.get("proactive") or {}
    blocks: dict[tuple[str, ...], list[Any]] = {}
    for spec in table_rows("proactive", str(fmt)):
        blocks.setdefault(spec.columns, []).append(spec)
    row = _title(ws, P.SECTION_NAMES[2], 1 + max(len(c) for c in blocks))
    for columns, specs in blocks.items():
        row += 1
        _head(ws, row, 1, "信息内容")
        for c, key in enumerate(columns, start=2):
            _head(ws, row, c, P.PROACTIVE_COLUMN_LABELS[key])
        for spec in specs:
            row += 1
            _head(ws, row, 1, spec.label, label=True)
            for c, key in enumerate(columns, start=2):
                _number(ws, row, c, (tree.get(spec.path) or {}).get(key))
    ws.column_dimensions["A"].width = 24
    for c in range(2, 6):
        ws.column_dimensions[get_column_letter(c)].width = 16


_OUTCOMES = "三、本年度办理结果"


def applications_sheet(ws: Worksheet, model: Mapping[str, Any]) -> None:
    """Part 三: three heading columns, then 申请人情况 over 自然人 | 法人或其他组织 (five) | 总计."""
    tree = model.get("applications") or {}
    specs = table_rows("applications", application_shape(tree))
    columns = V.keys(V.APPLICANT_COLUMNS)
    first = 4  # columns A-C hold the row headings
    last = first + len(columns) - 1
    top = _title(ws, P.SECTION_NAMES[3], last) + 1
    _head(ws, top, 1, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", bottom=top + 2, right=3)
    _head(ws, top, first, "申请人情况", right=last)
    _head(ws, top + 1, first, P.APPLICANT_COLUMN_LABELS["natural_person"], bottom=top + 2)
    _head(ws, top + 1, first + 1, "法人或其他组织", right=last - 1)
    _head(ws, top + 1, last, P.APPLICANT_COLUMN_LABELS["total"], bottom=top + 2)
    for c, key in enumerate(columns[1:-1], start=first + 1):
        _head(ws, top + 2, c, P.APPLICANT_COLUMN_LABELS[key])
    row = top + 3
    outcome_rows = [s for s in specs if s.path not in V.INTAKE_ROWS and s.path != "carried_forward"]
    groups: dict[str, int] = {}
    for spec in specs:
        if spec.group:
            groups[spec.path.split(".")[0]] = groups.get(spec.path.split(".")[0], 0) + 1
    for spec in specs:
        if spec.path in V.INTAKE_ROWS or spec.path == "carried_forward":
            _head(ws, row, 1, spec.label, right=3, label=True)
        else:
            if spec is outcome_rows[0]:
                _head(ws, row, 1, _OUTCOMES, bottom=row + len(outcome_rows) - 1, label=True)
            head = spec.path.split(".")[0]
            if spec.group is None:
                _head(ws, row, 2, spec.label, right=3, label=True)
            else:
                if spec.path == next(s.path for s in specs if s.path.startswith(head + ".")):
                    _head(ws, row, 2, spec.group, bottom=row + groups[head] - 1, label=True)
                _head(ws, row, 3, spec.label, label=True)
        for c, key in enumerate(columns, start=first):
            _number(ws, row, c, (get_path(tree, spec.path) or {}).get(key))
        row += 1
    for letter, width in (("A", 14), ("B", 18), ("C", 34)):
        ws.column_dimensions[letter].width = width
    for c in range(first, last + 1):
        ws.column_dimensions[get_column_letter(c)].width = 11


def appeals_sheet(ws: Worksheet, model: Mapping[str, Any]) -> None:
    """Part 四 as printed: one row of 15 cells under 行政复议 | 行政诉讼 (未经复议直接起诉 | 复议后起诉)."""
    tree = model.get("appeals") or {}
    results = V.keys(V.APPEAL_COLUMNS)
    n = len(results)
    top = _title(ws, P.SECTION_NAMES[4], 3 * n) + 1
    _head(ws, top, 1, "行政复议", right=n)
    _head(ws, top, n + 1, "行政诉讼", right=3 * n)
    _head(ws, top + 1, n + 1, "未经复议直接起诉", right=2 * n)
    _head(ws, top + 1, 2 * n + 1, "复议后起诉", right=3 * n)
    for c, key in enumerate(results, start=1):
        _head(ws, top + 1, c, P.APPEAL_COLUMN_LABELS[key], bottom=top + 2)
        _head(ws, top + 2, n + c, P.APPEAL_COLUMN_LABELS[key])
        _head(ws, top + 2, 2 * n + c, P.APPEAL_COLUMN_LABELS[key])
    for g, group in enumerate(V.keys(V.APPEAL_GROUPS)):
        for c, key in enumerate(results, start=1 + g * n):
            _number(ws, top + 3, c, (tree.get(group) or {}).get(key))
    for c in range(1, 3 * n + 1):
        ws.column_dimensions[get_column_letter(c)].width = 10


def report_workbook(title: str, model: Mapping[str, Any]) -> bytes:
    """The three tables of a stored model, one sheet each, with the report's title on the first row."""
    wb = Workbook()
    sheets = (("二、主动公开", proactive_sheet), ("三、申请办理", applications_sheet), ("四、复议诉讼", appeals_sheet))
    for index, (name, draw) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = name
        draw(ws, model)
        if ws.oddHeader is not None:
            ws.oddHeader.center.text = title[:200]  # printed at the top of every page
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
    return _to_bytes(wb)
