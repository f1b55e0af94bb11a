"""Lay a stored model out like the printed tables of parts 二, 三 and 四, with findings pinned to cells.

Rows and columns come from monitor.model's key tables (the same definitions the parser fills), labels
from dashboard.labels. A finding's `location` is a dotted path: a cell (`applications.total_handled.total`),
a row (`applications.refused.state_secret`) or a whole part (`applications`); each is pinned to the
narrowest thing it names so the template can highlight exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nianbao.dashboard import labels as L
from nianbao.report.model import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_COLUMNS,
    APPLICATION_ROWS,
    PROACTIVE_ROWS,
    get_path,
)


@dataclass
class Cell:
    path: str
    value: Any
    findings: list[dict[str, Any]] = field(default_factory=list)

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
    return model.get("format_version") if model.get("format_version") in APPLICATION_ROWS else "2021"


def _row(part: str, path: str, label: str, group: str | None, columns: tuple[str, ...], data: Any,
         pinned: dict[str, list[dict[str, Any]]]) -> TableRow:
    row_data = data if isinstance(data, dict) else {}
    cells = [Cell(f"{path}.{c}", row_data.get(c), pinned.pop(f"{part}.{path}.{c}", [])) for c in columns]
    return TableRow(path, label, group, cells, pinned.pop(f"{part}.{path}", []))


def applications_table(model: dict[str, Any], pinned: dict[str, list[dict[str, Any]]]) -> Table:
    tree = model.get("applications") or {}
    rows = []
    for path in APPLICATION_ROWS[_fmt(model)]:
        head = path.split(".")[0] if "." in path else None
        group = L.APPLICATION_GROUP_LABELS.get(head) if head else None
        rows.append(_row("applications", path, L.label(L.APPLICATION_ROW_LABELS, path), group,
                         APPLICANT_COLUMNS, get_path(tree, path), pinned))
    for head in L.APPLICATION_GROUP_LABELS:  # a finding on a whole group (e.g. "applications.refused")
        group_findings = pinned.pop(f"applications.{head}", [])
        first = next((r for r in rows if r.path.startswith(head + ".")), None)
        if first is not None:
            first.findings.extend(group_findings)
    columns = [(c, L.APPLICANT_COLUMN_LABELS[c]) for c in APPLICANT_COLUMNS]
    return Table("applications", "三、收到和处理政府信息公开申请情况", columns, rows,
                 pinned.pop("applications", []), bool(tree))


def appeals_table(model: dict[str, Any], pinned: dict[str, list[dict[str, Any]]]) -> Table:
    tree = model.get("appeals") or {}
    rows = [_row("appeals", g, L.APPEAL_GROUP_LABELS[g], None, APPEAL_COLUMNS, tree.get(g), pinned)
            for g in APPEAL_GROUPS]
    columns = [(c, L.APPEAL_COLUMN_LABELS[c]) for c in APPEAL_COLUMNS]
    return Table("appeals", "四、政府信息公开行政复议、行政诉讼情况", columns, rows, pinned.pop("appeals", []), bool(tree))


def proactive_tables(model: dict[str, Any], pinned: dict[str, list[dict[str, Any]]]) -> list[Table]:
    """Part 二 as one small table per column layout (the printed form groups rows the same way)."""
    tree = model.get("proactive") or {}
    layouts: dict[tuple[str, ...], list[str]] = {}
    for row, columns in PROACTIVE_ROWS[_fmt(model)].items():
        layouts.setdefault(columns, []).append(row)
    tables = []
    for columns, row_keys in layouts.items():
        rows = [_row("proactive", r, L.PROACTIVE_ROW_LABELS.get(r, r), None, columns, tree.get(r), pinned)
                for r in row_keys]
        tables.append(Table("proactive", "", [(c, L.PROACTIVE_COLUMN_LABELS.get(c, c)) for c in columns], rows))
    if tables:
        tables[0].title = "二、主动公开政府信息情况"
        tables[0].findings = pinned.pop("proactive", [])
        tables[0].present = bool(tree)
    return tables


def layout(model: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Tables for the report page; findings no cell/row/part claims are returned as `other_findings`."""
    pinned = _index(findings)
    result = {
        "proactive": proactive_tables(model, pinned),
        "applications": applications_table(model, pinned),
        "appeals": appeals_table(model, pinned),
    }
    claimed = {id(f) for items in pinned.values() for f in items}
    result["other_findings"] = [f for f in findings if not f.get("location") or id(f) in claimed]
    return result
