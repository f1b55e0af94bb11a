"""Lay a stored model out like the printed tables of parts 二, 三 and 四, with findings pinned to cells.

Rows, columns and their printed labels come from the report library's walk (report/walk.py, over the
same vocabulary the parser fills); the printed frame around them (the 第二十条第（X）项 headings of part 二, the
法人或其他组织 header and the 三、本年度办理结果 block of part 三, the two-level header of part 四) comes from
report/printed.py. A finding's `location` is a dotted path: a cell (`applications.total_handled.total`), a
row (`applications.refused.state_secret`) or a whole part (`applications`); each is pinned to the narrowest
thing it names. Every flagged cell or row gets a note number: the page marks the cell with it and prints the
findings under the table, so an annotation never widens the column it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nianbao.report import printed as P
from nianbao.report.model import get_path
from nianbao.report.printed import APPLICATION_GROUP_LABELS, SECTION_NAMES, location_name
from nianbao.report.vocabulary import FORMATS
from nianbao.report.walk import RowSpec, table_rows


@dataclass
class Cell:
    path: str
    value: Any
    findings: list[dict[str, Any]] = field(default_factory=list)
    changed: bool = False  # differs from the previous version
    old: Any = None  # the previous version's value, when changed
    note: int | None = None
    ocr: float | None = None  # confidence of the OCR reading, when the cell was read from a scan

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    @property
    def severity(self) -> str:
        return "error" if any(f["severity"] == "error" for f in self.findings) else "warning"


@dataclass
class Head:
    """A label cell in the first columns of a row: its text and how many rows/columns it spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    kind: str = "item"  # item (the row's own label) | block (三、本年度办理结果) | group (（三）不予公开)


@dataclass
class TableRow:
    path: str
    label: str
    group: str | None
    cells: list[Cell]
    findings: list[dict[str, Any]] = field(default_factory=list)  # pinned to the whole row
    heads: list[Head] = field(default_factory=list)
    note: int | None = None
    section: str | None = None  # part 二: the 第二十条第（X）项 the row is printed under


@dataclass
class Note:
    number: int
    name: str  # the printed name of the cell or row
    findings: list[dict[str, Any]]
    anchor: str  # the id of the marked cell or row


@dataclass
class Section:
    """Part 二: one 第二十条第（X）项 block with its own column headings."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[TableRow]


@dataclass
class Table:
    part: str
    title: str
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[TableRow]
    findings: list[dict[str, Any]] = field(default_factory=list)  # pinned to the whole part
    present: bool = True
    sections: list[Section] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def width(self) -> int:
        """Data columns of the widest block (part 二's blocks have one to four)."""
        return max([len(s.columns) for s in self.sections] + [len(self.columns)])


def _index(findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_location: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        if finding.get("location"):
            by_location.setdefault(finding["location"], []).append(finding)
    return by_location


def _fmt(model: dict[str, Any]) -> str:
    fmt = model.get("format_version")
    return fmt if isinstance(fmt, str) and fmt in FORMATS else "2021"


def _row(spec: RowSpec, data: Any, pinned: dict[str, list[dict[str, Any]]]) -> TableRow:
    row_data = data if isinstance(data, dict) else {}
    cells = [Cell(f"{spec.path}.{c}", row_data.get(c), pinned.pop(f"{spec.part}.{spec.path}.{c}", []))
             for c in spec.columns]
    return TableRow(spec.path, spec.label, spec.group, cells, pinned.pop(f"{spec.part}.{spec.path}", []))


def _columns(spec: RowSpec, fmt: str) -> list[tuple[str, str]]:
    return [(c, P.column_heading(spec.part, c, fmt)) for c in spec.columns]


# --- part 三: the label block of the printed form ----------------------------------------------------------


def _application_heads(rows: list[TableRow]) -> None:
    """Label cells as the printed form spans them: 一/二/四 over three columns; 三、本年度办理结果 down the
    outcome rows; a group heading such as （三）不予公开 down its items; an ungrouped outcome over two."""
    outcomes = [r for r in rows if r.path not in ("new_received", "carried_over", "carried_forward")]
    for row in rows:
        if row not in outcomes:
            row.heads = [Head(row.label, colspan=3)]
            continue
        heads = [Head(P.OUTCOME_BLOCK_LABEL, rowspan=len(outcomes), kind="block")] if row is outcomes[0] else []
        if row.group is None:
            heads.append(Head(row.label, colspan=2))
        else:
            siblings = [r for r in outcomes if r.group == row.group]
            if row is siblings[0]:
                heads.append(Head(row.group, rowspan=len(siblings), kind="group"))
            heads.append(Head(row.label))
        row.heads = heads


def applications_table(model: dict[str, Any], pinned: dict[str, list[dict[str, Any]]]) -> Table:
    tree = model.get("applications") or {}
    fmt = _fmt(model)
    specs = table_rows("applications", fmt)
    rows = [_row(spec, get_path(tree, spec.path), pinned) for spec in specs]
    for head in APPLICATION_GROUP_LABELS:  # a finding on a whole group (e.g. "applications.refused")
        group_findings = pinned.pop(f"applications.{head}", [])
        first = next((r for r in rows if r.path.startswith(head + ".")), None)
        if first is not None:
            first.findings.extend(group_findings)
    _application_heads(rows)
    return Table("applications", SECTION_NAMES[3], _columns(specs[0], fmt), rows, pinned.pop("applications", []),
                 bool(tree))


def appeals_table(model: dict[str, Any], pinned: dict[str, list[dict[str, Any]]]) -> Table:
    tree = model.get("appeals") or {}
    fmt = _fmt(model)
    specs = table_rows("appeals", fmt)
    rows = [_row(spec, tree.get(spec.path), pinned) for spec in specs]
    return Table("appeals", SECTION_NAMES[4], _columns(specs[0], fmt), rows, pinned.pop("appeals", []), bool(tree))


def proactive_tables(model: dict[str, Any], pinned: dict[str, list[dict[str, Any]]]) -> list[Table]:
    """Part 二 as printed: one table of 第二十条第（X）项 blocks, each with its own column headings."""
    tree = model.get("proactive") or {}
    fmt = _fmt(model)
    sections: dict[str, Section] = {}
    for spec in table_rows("proactive", fmt):
        title = P.PROACTIVE_ITEM_HEADINGS.get(spec.path, "")
        section = sections.setdefault(title, Section(title, _columns(spec, fmt), []))
        row = _row(spec, tree.get(spec.path), pinned)
        row.section = title
        section.rows.append(row)
    blocks = list(sections.values())
    rows = [row for s in blocks for row in s.rows]
    columns = blocks[0].columns if blocks else []
    table = Table("proactive", SECTION_NAMES[2], columns, rows, pinned.pop("proactive", []), bool(tree),
                  sections=blocks)
    return [table]


def _mark_ocr(tables: dict[str, Any], confidences: dict[str, float]) -> None:
    for part in tables.values():
        for table in part if isinstance(part, list) else [part]:
            for row in getattr(table, "rows", []):
                for cell in row.cells:
                    cell.ocr = confidences.get(f"{table.part}.{cell.path}")


# --- notes: findings printed under the table, linked to the marked cell by number ---------------------------


def _number_notes(tables: Iterable[Table], start: int = 1) -> None:
    number = start
    for table in tables:
        for row in table.rows:
            if row.findings:
                row.note = number
                table.notes.append(Note(number, location_name(f"{table.part}.{row.path}"), row.findings,
                                        f"loc-{table.part}.{row.path}"))
                number += 1
            for cell in row.cells:
                if cell.findings:
                    cell.note = number
                    table.notes.append(Note(number, location_name(f"{table.part}.{cell.path}"), cell.findings,
                                            f"loc-{table.part}.{cell.path}"))
                    number += 1


def _mark_changes(tables: Iterable[Table], changed: dict[str, Any]) -> None:
    """Mark the cells another version printed differently (`changed`: location -> that version's value)."""
    for table in tables:
        for row in table.rows:
            for cell in row.cells:
                location = f"{table.part}.{cell.path}"
                if location in changed:
                    cell.changed, cell.old = True, changed[location]


def layout(model: dict[str, Any], findings: list[dict[str, Any]],
           changed: dict[str, Any] | None = None) -> dict[str, Any]:
    """Tables for the report page; findings no cell/row/part claims are returned as `other_findings`.
    `changed` (cell location -> the other version's value) marks the cells that differ from another version."""
    pinned = _index(findings)
    result: dict[str, Any] = {
        "proactive": proactive_tables(model, pinned),
        "applications": applications_table(model, pinned),
        "appeals": appeals_table(model, pinned),
    }
    _mark_ocr(result, (model.get("ocr") or {}).get("cells") or {})
    claimed = {id(f) for items in pinned.values() for f in items}
    result["other_findings"] = [f for f in findings if not f.get("location") or id(f) in claimed]
    ordered = [*result["proactive"], result["applications"], result["appeals"]]
    _number_notes(ordered)
    _mark_changes(ordered, changed or {})
    return result
