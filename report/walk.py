"""The one walk over a model's tables: its rows (with their labels and columns) and its cells.

The check CLI, the validator's findings, the diff, the dashboard's tables, the digest and the corpus bench
all go through here (rows and cells in document order, named with the vocabulary's printed labels) instead
of each looping over the key tables on its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from nianbao.report import printed
from nianbao.report import vocabulary as V
from nianbao.report.model import Cell, Report, get_path


@dataclass(frozen=True)
class RowSpec:
    """One row of a part as the national format prints it."""

    part: str  # "proactive" | "applications" | "appeals"
    path: str  # the row's key path inside its part, "refused.state_secret"
    label: str  # printed label of the row itself, "1.属于国家秘密"
    group: str | None  # printed label of its group, "（三）不予公开"
    columns: tuple[str, ...]

    def cell_paths(self) -> list[str]:
        return [f"{self.part}.{self.path}.{column}" for column in self.columns]


@dataclass(frozen=True)
class CellValue:
    path: str  # "applications.refused.state_secret.natural_person"
    row_label: str  # "（三）不予公开 1.属于国家秘密"
    column_label: str  # "自然人"
    value: Cell


_COLUMN_LABELS = {
    "proactive": printed.PROACTIVE_COLUMN_LABELS,
    "applications": printed.APPLICANT_COLUMN_LABELS,
    "appeals": printed.APPEAL_COLUMN_LABELS,
}


def column_label(part: str, column: str) -> str:
    return _COLUMN_LABELS.get(part, {}).get(column, column)


def table_rows(part: str, fmt: str) -> list[RowSpec]:
    """The rows of `part` in the national format `fmt` ("2019" | "2021"), in document order."""
    if part == "proactive":
        return [RowSpec(part, key, printed.PROACTIVE_ROW_LABELS[key], None, columns)
                for key, columns in V.proactive_rows(fmt).items()]
    if part == "applications":
        columns = V.keys(V.APPLICANT_COLUMNS)
        return [RowSpec(part, key, printed.APPLICATION_ROW_LABELS[key], _group_label(key), columns)
                for key in V.application_rows(fmt)]
    if part == "appeals":
        columns = V.keys(V.APPEAL_COLUMNS)
        return [RowSpec(part, group.key, group.label, None, columns) for group in V.APPEAL_GROUPS]
    raise KeyError(part)


def _group_label(path: str) -> str | None:
    head = path.split(".")[0] if "." in path else None
    return printed.APPLICATION_GROUP_LABELS.get(head) if head else None


def application_shape(applications: Mapping[str, Any]) -> str:
    """The format part 三 was read in: the 2019 format has one "（六）其他处理" row with its own cells."""
    other = applications.get("other")
    return "2019" if isinstance(other, dict) and "total" in other else "2021"


def model_rows(model: Mapping[str, Any] | Report) -> Iterator[RowSpec]:
    """The rows of the three tables of one model: part 二 in its format, part 三 in the shape it was read in."""
    data = model.to_dict() if isinstance(model, Report) else model
    yield from table_rows("proactive", data.get("format_version") or "2021")
    yield from table_rows("applications", application_shape(data.get("applications") or {}))
    yield from table_rows("appeals", "2021")


def iter_cells(model: Mapping[str, Any] | Report) -> Iterator[CellValue]:
    """Every cell of a model's tables in document order: (path, row label, column label, value)."""
    data = model.to_dict() if isinstance(model, Report) else model
    for row in model_rows(data):
        for path in row.cell_paths():
            column = path.rsplit(".", 1)[1]
            yield CellValue(path, printed.row_name(row.path), column_label(row.part, column), get_path(data, path))
