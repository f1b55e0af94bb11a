"""The canonical report model (see docs/report-model.md, copied from the shared spec).

Everything downstream (CLI JSON, database, dashboard, digest) speaks these keys. The tables of
row/column keys live here as data so that the parser, the validator and the templates all iterate
over the same definitions instead of repeating them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Number = int | float
Cell = Number | None
Row = dict[str, Cell]

Severity = Literal["error", "warning"]

# --- Part 三: applications -------------------------------------------------------------------------

APPLICANT_COLUMNS: tuple[str, ...] = (
    "natural_person",
    "commercial",
    "research",
    "social_org",
    "legal_service",
    "other_org",
    "total",
)
APPLICANT_PARTS = APPLICANT_COLUMNS[:-1]

# Row paths in document order. "other" is one row in the 2019 format and three rows in 2021.
_APPLICATION_HEAD = (
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "refused.state_secret",
    "refused.prohibited_by_law",
    "refused.safety_stability",
    "refused.third_party",
    "refused.internal_affairs",
    "refused.process_info",
    "refused.enforcement_files",
    "refused.admin_query",
    "unable.not_held",
    "unable.needs_creation",
    "unable.unclear",
    "not_processed.petition",
    "not_processed.duplicate",
    "not_processed.publication",
    "not_processed.excessive",
    "not_processed.confirm_reissue",
)
_APPLICATION_TAIL = ("total_handled", "carried_forward")
OTHER_ROWS_2019 = ("other",)
OTHER_ROWS_2021 = ("other.no_correction", "other.unpaid_fee", "other.other")

APPLICATION_ROWS: dict[str, tuple[str, ...]] = {
    "2019": _APPLICATION_HEAD + OTHER_ROWS_2019 + _APPLICATION_TAIL,
    "2021": _APPLICATION_HEAD + OTHER_ROWS_2021 + _APPLICATION_TAIL,
}
# Rows that are outcomes (（一）…（六）): they sum to （七）总计.
INTAKE_ROWS = ("new_received", "carried_over")
TOTAL_ROWS = ("total_handled", "carried_forward")

# --- Part 四: appeals ------------------------------------------------------------------------------

APPEAL_GROUPS: tuple[str, ...] = ("review", "litigation_direct", "litigation_after_review")
APPEAL_COLUMNS: tuple[str, ...] = ("upheld", "corrected", "other", "pending", "total")

# --- Part 二: proactive disclosure -----------------------------------------------------------------

PROACTIVE_ROWS: dict[str, dict[str, tuple[str, ...]]] = {
    "2021": {
        "regulations": ("issued", "repealed", "in_force"),
        "normative_documents": ("issued", "repealed", "in_force"),
        "licensing": ("decisions",),
        "punishment": ("decisions",),
        "coercion": ("decisions",),
        "fees": ("amount_10k_yuan",),
    },
    "2019": {
        "regulations": ("new_made", "new_published", "total_published"),
        "normative_documents": ("new_made", "new_published", "total_published"),
        "licensing": ("prev_items", "change", "decisions"),
        "other_services": ("prev_items", "change", "decisions"),
        "punishment": ("prev_items", "change", "decisions"),
        "coercion": ("prev_items", "change", "decisions"),
        "fees": ("prev_items", "change"),
        "procurement": ("items", "total_amount"),
    },
}

SECTION_NUMBERS = (1, 2, 3, 4, 5, 6)


@dataclass
class Finding:
    rule: str
    severity: Severity
    message: str
    location: str | None = None
    expected: Any = None
    actual: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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

    # -- access by dotted path -------------------------------------------------------------------

    def application_row(self, path: str) -> Row | None:
        return get_path(self.applications, path)

    def to_dict(self) -> dict[str, Any]:
        """The model as the spec defines it (the keys of `nianbao check --json`)."""
        return {
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        known = {k: data.get(k) for k in cls().to_dict()}
        report = cls(**{k: v for k, v in known.items() if v is not None})
        report.title = data.get("title")
        return report


def get_path(tree: dict[str, Any], path: str) -> Any:
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
