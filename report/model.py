"""The canonical report model (see docs/report-model.md, copied from the shared spec).

Everything downstream (CLI JSON, database, dashboard, digest) speaks these keys. The tables of
row/column keys are derived from the vocabulary (report/vocabulary.py) so that the parser, the validator
and the templates all iterate over the same definitions instead of repeating them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from nianbao.report import vocabulary as V

Number = int | float
Cell = Number | None
Row = dict[str, Cell]

Severity = Literal["error", "warning"]
# In the message of a doubtful finding (report/ocr_marks.py): stored findings may keep only their message.
DOUBT_MARK = "可能识读有误"

# --- the key tables, derived from the vocabulary (report/vocabulary.py) ----------------------------------

# Part 三: applications. Row paths in document order; "other" is one row in 2019 and three rows in 2021.
APPLICANT_COLUMNS: tuple[str, ...] = V.keys(V.APPLICANT_COLUMNS)
APPLICANT_PARTS = APPLICANT_COLUMNS[:-1]
APPLICATION_ROWS: dict[str, tuple[str, ...]] = {fmt: V.application_rows(fmt) for fmt in ("2019", "2021")}
OTHER_ROWS_2019: tuple[str, ...] = tuple(r for r in APPLICATION_ROWS["2019"] if r.split(".")[0] == "other")
OTHER_ROWS_2021: tuple[str, ...] = tuple(r for r in APPLICATION_ROWS["2021"] if r.split(".")[0] == "other")
# Rows that are outcomes (（一）…（六）) sum to （七）总计; these are the others.
INTAKE_ROWS = V.INTAKE_ROWS
TOTAL_ROWS = V.TOTAL_ROWS

# Part 四: appeals.
APPEAL_GROUPS: tuple[str, ...] = V.keys(V.APPEAL_GROUPS)
APPEAL_COLUMNS: tuple[str, ...] = V.keys(V.APPEAL_COLUMNS)

# Part 二: proactive disclosure, per format the rows and their columns.
PROACTIVE_ROWS: dict[str, dict[str, tuple[str, ...]]] = {fmt: V.proactive_rows(fmt) for fmt in ("2021", "2019")}

SECTION_NUMBERS = (1, 2, 3, 4, 5, 6)


@dataclass
class Finding:
    rule: str
    severity: Severity
    message: str
    location: str | None = None
    expected: Any = None
    actual: Any = None
    # A finding on figures read by OCR that a misreading may explain (report/ocr.py): not proven.
    doubtful: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.doubtful:
            del data["doubtful"]  # the key exists only where it says something
        return data


@dataclass
class Report:
    """One parsed report. Tables are nested dicts keyed as in the spec; a blank cell is None."""

    agency: str | None = None
    year: int | None = None
    format_version: str | None = None
    published_date: str | None = None
    sections_present: list[int] = field(default_factory=list)
    summary_text: str | None = None
    problems_text: str | None = None
    other_text: str | None = None
    proactive: dict[str, Row] = field(default_factory=dict)
    applications: dict[str, Any] = field(default_factory=dict)
    appeals: dict[str, Row] = field(default_factory=dict)
    title: str | None = None
    # Locations (dotted paths, e.g. "applications.refused" or "appeals") that were present in the
    # document but could not be read. Kept out of the JSON model; the parser turns them into findings.
    unreadable: dict[str, str] = field(default_factory=dict)
    # Locations of cells that were blank in the document (None on purpose, not unread).
    blank_cells: list[str] = field(default_factory=list)
    # Cells that hold words where a count belongs ("applications.granted.natural_person" -> "见附件"); their
    # rows are in `unreadable`. Kept out of the JSON model like it.
    text_cells: dict[str, str] = field(default_factory=dict)
    # Read by OCR (a scan): the pages (from 1), and each table cell's location -> confidence (0-1).
    ocr_pages: list[int] = field(default_factory=list)
    ocr_cells: dict[str, float] = field(default_factory=dict)

    # -- access by dotted path -------------------------------------------------------------------

    def application_row(self, path: str) -> Row | None:
        row: Row | None = get_path(self.applications, path)
        return row

    def to_dict(self) -> dict[str, Any]:
        """The model as the spec defines it (the keys of `nianbao check --json`); `ocr` only for a report
        read by OCR."""
        data = {
            "agency": self.agency,
            "year": self.year,
            "format_version": self.format_version,
            "published_date": self.published_date,
            "sections_present": list(self.sections_present),
            "summary_text": self.summary_text,
            "problems_text": self.problems_text,
            "other_text": self.other_text,
            "proactive": self.proactive,
            "applications": self.applications,
            "appeals": self.appeals,
        }
        if self.ocr_pages:
            data["ocr"] = {"source": "ocr", "pages": list(self.ocr_pages), "cells": dict(self.ocr_cells)}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        known = {k: data.get(k) for k in cls().to_dict()}
        report = cls(**{k: v for k, v in known.items() if v is not None})
        report.title = data.get("title")
        ocr = data.get("ocr")
        if isinstance(ocr, dict):
            report.ocr_pages = list(ocr.get("pages") or [])
            report.ocr_cells = dict(ocr.get("cells") or {})
        return report


def get_path(tree: Mapping[str, Any], path: str) -> Any:
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def report_json(report: Report, findings: list[Finding], **extra: Any) -> dict[str, Any]:
    data = dict(extra)
    data.update(report.to_dict())
    data["findings"] = [f.to_dict() for f in findings]
    return data
