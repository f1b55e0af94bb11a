"""One wrong fact is one finding: the overlapping rules' findings on one row with the same 应为/实为 are
grouped, and a table printed with blank columns is one finding, not one per row."""

from __future__ import annotations

from nianbao.report.check import check_bytes
from nianbao.report.grouping import count_groups, group_findings
from nianbao.report.model import APPLICANT_PARTS
from nianbao.report.validate import validate
from nianbao.report.walk import application_shape, table_rows
from tests.monitor.storekit import report_text


def test_balance_and_outcome_total_on_one_wrong_row_are_one_finding() -> None:
    # Seed 001 prints （七）总计 as 0 while 4 applications came in: balance and outcome_total both say so,
    # for the 自然人 column and again for the 总计 column.
    findings = check_bytes(report_text(2024).encode("utf-8"), "nb.txt").findings
    wrong_row = [f for f in findings if f.rule in ("balance", "outcome_total")]
    assert len(wrong_row) == 4
    groups = group_findings(findings)
    [fact] = [g for g in groups if "balance" in g.rules]
    assert fact.count == 4 and fact.rules == ["balance", "outcome_total"]
    assert (fact.expected, fact.actual, fact.severity) == (4, 0, "error")
    assert set(fact.locations) == {"applications.total_handled.natural_person", "applications.total_handled.total"}
    assert "同一处错误" in fact.message and "处理结果合计不符" in fact.message
    assert count_groups(findings) == len(findings) - 3


def test_blank_legal_person_columns_are_one_finding_per_table() -> None:
    report = check_bytes(report_text(2024).encode("utf-8"), "nb.txt").report
    blanked = 0
    for spec in table_rows("applications", application_shape(report.applications)):
        group, _, leaf = spec.path.partition(".")
        row = report.applications[group][leaf] if leaf else report.applications[group]
        for column in APPLICANT_PARTS[1:]:  # the five 法人或其他组织 columns
            if column in row:
                row[column] = None
                blanked += 1
    findings = validate(report)
    missing = [f for f in findings if f.rule == "missing_value"]
    assert len(missing) > 20 and blanked == 5 * len(missing)
    [table] = [g for g in group_findings(findings) if g.rule == "missing_value"]
    assert table.count == len(missing) and table.severity == "warning"
    assert table.message.startswith(f"第三部分有 {len(missing)} 行有空白单元格（商业企业、科研机构")
    assert table.expected is None and table.actual is None


def test_findings_of_different_facts_stay_apart_and_mappings_group_like_findings() -> None:
    rows = [
        {"rule": "balance", "severity": "error", "message": "甲", "location": "applications.granted.total",
         "expected": 3, "actual": 2},
        {"rule": "outcome_total", "severity": "error", "message": "乙", "location": "applications.granted.commercial",
         "expected": 3, "actual": 2},
        {"rule": "balance", "severity": "error", "message": "丙", "location": "applications.refused.state_secret.total",
         "expected": 3, "actual": 2},
        {"rule": "outcome_total", "severity": "error", "message": "丁", "location": "applications.granted.total",
         "expected": 5, "actual": 2},
        {"rule": "deadline", "severity": "warning", "message": "戊", "location": None, "expected": None, "actual": None},
    ]
    groups = group_findings(rows)
    assert [g.count for g in groups] == [2, 1, 1, 1]
    assert groups[0].members == rows[:2]
