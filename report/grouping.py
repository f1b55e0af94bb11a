"""Findings as an overseer counts them: one finding per wrong fact, not one per rule and cell.

The validator's rules overlap on purpose (each is simple and checks one relation), so one wrong figure
is often reported several times:

- **the same fact**: `balance` and `outcome_total` both flag （七）总计 of a column with the same 应为/实为,
  and the 总计 column repeats what its applicant column says. Findings on cells of one row of one table
  with the same expected and actual values are one finding.
- **one blank table**: a table whose legal-person columns are printed blank gives one `missing_value` per
  row (25 in part 三). They are one finding per table.

`group_findings` does this once for every consumer (`nianbao check`, the digest, the dashboard's findings
page, its counts and its CSV). It takes the validator's `Finding`s or any mapping with the same keys
(stored rows, event payloads) and keeps them, in order, as the group's `members`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nianbao.report.printed import RULE_LABELS, TABLE_NAMES, location_name

# Rules whose findings on one table are one finding (each row's blank cells are one symptom: the table).
PER_TABLE_RULES = ("missing_value",)
SEVERITY_ORDER = {"error": 0, "warning": 1}
MAX_NAMED = 6  # cells or columns named in a merged message


def _get(finding: Any, key: str) -> Any:
    return finding.get(key) if isinstance(finding, Mapping) else getattr(finding, key, None)


@dataclass
class FindingGroup:
    """One fact: its first member's rule, severity and values, every cell and rule involved."""

    rule: str
    severity: str
    message: str
    location: str | None
    expected: Any
    actual: Any
    rules: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    members: list[Any] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.members)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "location": self.location,
                "expected": self.expected, "actual": self.actual, "rules": self.rules,
                "locations": self.locations, "count": self.count}


def _key(finding: Any) -> tuple[Any, ...] | None:
    """What makes two findings one fact (None: the finding stands alone)."""
    rule, location = _get(finding, "rule"), _get(finding, "location") or ""
    table, _, rest = location.partition(".")
    version = _get(finding, "version_id")  # stored findings: never one fact across two reports
    if rule in PER_TABLE_RULES and table in TABLE_NAMES:
        return ("table", version, rule, table)
    expected, actual = _get(finding, "expected"), _get(finding, "actual")
    if table not in TABLE_NAMES or not rest or expected is None or actual is None:
        return None
    row = rest.rpartition(".")[0] or rest  # the cell's row: "total_handled" of "total_handled.natural_person"
    return ("fact", version, _get(finding, "severity"), table, row, repr(expected), repr(actual))


def group_findings(findings: Iterable[Any]) -> list[FindingGroup]:
    """The findings grouped by fact, in the order of each group's first member; errors stay errors."""
    groups: dict[Any, list[Any]] = {}
    for index, finding in enumerate(findings):
        key = _key(finding)
        groups.setdefault(key if key is not None else ("alone", index), []).append(finding)
    return [_group(key, members) for key, members in groups.items()]


def count_groups(findings: Iterable[Any]) -> int:
    return len(group_findings(findings))


def _group(key: tuple[Any, ...], members: list[Any]) -> FindingGroup:
    first = min(members, key=lambda f: SEVERITY_ORDER.get(_get(f, "severity"), 9))
    rules = list(dict.fromkeys(_get(f, "rule") for f in members))
    locations = list(dict.fromkeys(_get(f, "location") for f in members if _get(f, "location")))
    group = FindingGroup(rule=_get(first, "rule"), severity=_get(first, "severity"), message=_get(first, "message"),
                         location=_get(first, "location"), expected=_get(first, "expected"),
                         actual=_get(first, "actual"), rules=rules, locations=locations, members=members)
    if len(members) > 1:
        group.message = _table_message(key[3], members) if key[0] == "table" else _fact_message(group)
        if key[0] == "table":
            group.expected = group.actual = None
    return group


def _fact_message(group: FindingGroup) -> str:
    cells = "、".join(location_name(loc, with_part=False) for loc in group.locations[:MAX_NAMED])
    also = [RULE_LABELS.get(r, r) for r in group.rules[1:]]
    tail = f"；另由{'、'.join(also)}指出" if also else ""
    return f"{group.message}（同一处错误，涉及{cells}{tail}）"


def _table_message(table: str, members: list[Any]) -> str:
    """'第三部分有 25 行有空白单元格（商业企业、科研机构…）'."""
    columns: list[str] = []
    for member in members:
        message = _get(member, "message") or ""
        inside = message.rpartition("（")[2].rstrip("）")
        columns += [c for c in inside.split("、") if c and c not in columns]
    named = "、".join(columns[:MAX_NAMED]) + ("等" if len(columns) > MAX_NAMED else "")
    return f"{TABLE_NAMES.get(table, table)}有 {len(members)} 行有空白单元格" + (f"（{named}）" if named else "")


