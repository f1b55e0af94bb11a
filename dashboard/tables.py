"""Lay a stored model out like the printed tables of parts 二, 三 and 四, with findings pinned to cells.

Rows, columns and their printed labels come from the report library's walk (report/walk.py, over the
same vocabulary the parser fills). A finding's `location` is a dotted path: a cell (`applications.total_handled.total`),
a row (`applications.refused.state_secret`) or a whole part (`applications`); each is pinned to the
narrowest thing it names so the template can highlight exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nianbao.report.model import get_path
from nianbao.report.printed import APPLICATION_GROUP_LABELS, SECTION_NAMES
from nianbao.report.vocabulary import FORMATS
from nianbao.report.walk import RowSpec, column_label, table_rows


@dataclass
class Cell:
    path: str
    value: Any
    findings: list[dict[str, Any]] = field(default_factory=list)
    ocr: float | None = None  # confidence of the OCR reading, when the cell was read from a scan

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    @property
    def severity(self) -> str:
        return "error" if any(f["severity"] == "error" for f in self.findings) else "warning"


@dataclass
class TableRow:
    path: str
    label: str
    group: str | None
    cells: list[Cell]
    findings: list[dict[str, Any]] = field(default_factory=list)  # pinned to the whole row


@dataclass
class Table:
    part: str
    title: str
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[TableRow]
    findings: list[dict[str, Any]] = field(default_factory=list)  # pinned to the whole part
    present: bool = True


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


def _columns(spec: RowSpec) -> list[tuple[str, str]]:
    return [(c, column_label(spec.part, c)) for c in spec.columns]


def applications_table(model: dict[str, Any], pinned: dict[str, list[dict[str, Any]]]) -> Table:
    tree = model.get("applications") or {}
    specs = table_rows("applications", _fmt(model))
    rows = [_row(spec, get_path(tree, spec.path), pinned) for spec in specs]
    for head in APPLICATION_GROUP_LABELS:  # a finding on a whole group (e.g. "applications.refused")
        group_findings = pinned.pop(f"applications.{head}", [])
        first = next((r for r in rows if r.path.startswith(head + ".")), None)
        if first is not None:
            first.findings.extend(group_findings)
    return Table("applications", SECTION_NAMES[3], _columns(specs[0]), rows, pinned.pop("applications", []), bool(tree))


def appeals_table(model: dict[str, Any], pinned: dict[str, list[dict[str, Any]]]) -> Table:
    tree = model.get("appeals") or {}
    specs = table_rows("appeals", _fmt(model))
    rows = [_row(spec, tree.get(spec.path), pinned) for spec in specs]
    return Table("appeals", SECTION_NAMES[4], _columns(specs[0]), rows, pinned.pop("appeals", []), bool(tree))


def proactive_tables(model: dict[str, Any], pinned: dict[str, list[dict[str, Any]]]) -> list[Table]:
    """Part 二 as one small table per column layout (the printed form groups rows the same way)."""
    tree = model.get("proactive") or {}
    layouts: dict[tuple[str, ...], list[RowSpec]] = {}
    for spec in table_rows("proactive", _fmt(model)):
        layouts.setdefault(spec.columns, []).append(spec)
    tables = []
    for specs in layouts.values():
        rows = [_row(spec, tree.get(spec.path), pinned) for spec in specs]
        tables.append(Table("proactive", "", _columns(specs[0]), rows))
    if tables:
        tables[0].title = SECTION_NAMES[2]
        tables[0].findings = pinned.pop("proactive", [])
        tables[0].present = bool(tree)
    return tables


def _mark_ocr(tables: dict[str, Any], confidences: dict[str, float]) -> None:
    for part in tables.values():
        for table in part if isinstance(part, list) else [part]:
            for row in getattr(table, "rows", []):
                for cell in row.cells:
                    cell.ocr = confidences.get(f"{table.part}.{cell.path}")


def layout(model: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Tables for the report page; findings no cell/row/part claims are returned as `other_findings`."""
    pinned = _index(findings)
    result = {
        "proactive": proactive_tables(model, pinned),
        "applications": applications_table(model, pinned),
        "appeals": appeals_table(model, pinned),
    }
    _mark_ocr(result, (model.get("ocr") or {}).get("cells") or {})
    claimed = {id(f) for items in pinned.values() for f in items}
    result["other_findings"] = [f for f in findings if not f.get("location") or id(f) in claimed]
    return result
