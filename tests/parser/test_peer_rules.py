"""Peer checks: another year stated as the report's own, an empty part 五, counts with fractions, "all
concluded" beside a carry-over, and a government's totals against its departments' reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from nianbao.monitor.peers import government_vs_departments
from nianbao.report import check_bytes
from nianbao.report.model import APPEAL_COLUMNS, APPEAL_GROUPS, APPLICANT_COLUMNS, APPLICATION_ROWS, Report
from nianbao.report.validate import (
    check_all_concluded,
    check_integer_counts,
    check_other_year,
    check_problems_empty,
    departments_sum,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
PEER_RULES = {"other_year", "problems_empty", "integer_count", "all_concluded"}


def _report(year: int = 2023, *, summary: str = "", problems: str | None = "人员不足，将加强培训。",
            forward: int = 0, new: int = 10) -> Report:
    report = Report(agency="示例县统计局", year=year, summary_text=summary, problems_text=problems,
                    sections_present=[1, 2, 3, 4, 5, 6])
    for path in APPLICATION_ROWS["2021"]:
        total = {"new_received": new, "total_handled": new - forward, "granted": new - forward,
                 "carried_forward": forward}.get(path, 0)
        node = report.applications
        *parents, leaf = path.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = dict(zip(APPLICANT_COLUMNS, [total, 0, 0, 0, 0, 0, total], strict=True))
    report.appeals = {g: dict.fromkeys(APPEAL_COLUMNS, 0) for g in APPEAL_GROUPS}
    return report


@pytest.mark.parametrize("summary", ["本单位2022年度认真贯彻落实《条例》，主动公开信息120条。",
                                     "2023年，我局2022年共受理申请10件。"])
def test_the_agency_stating_an_earlier_year_as_its_own_is_flagged(summary):
    findings = check_other_year(_report(2023, summary=summary))
    assert [(f.rule, f.expected, f.actual) for f in findings] == [("other_year", 2023, 2022)]
    assert "2022" in findings[0].message


@pytest.mark.parametrize("summary", [
    "2023年，本机关主动公开信息120条，较2022年增长10%。",
    "我局2024年将进一步加强政务公开。",  # a plan for next year
    "我局2022年度报告中指出的问题已全部整改。",  # a reference to last year's report
    "与我局2022年相比，申请数量有所下降。",
    "本局2023年度主动公开信息120条。",
])
def test_comparisons_plans_and_the_report_year_are_not_flagged(summary):
    assert check_other_year(_report(2023, summary=summary)) == []


@pytest.mark.parametrize("problems", [None, "无", "无。", " 暂无 "])
def test_an_empty_or_bare_none_part_five_is_flagged(problems):
    findings = check_problems_empty(_report(problems=problems))
    assert [f.rule for f in findings] == ["problems_empty"]


def test_a_part_five_with_problems_stated_is_not_flagged():
    assert check_problems_empty(_report(problems="无专职人员。下一步将配备专人。")) == []


def test_a_count_with_a_fraction_is_an_error_but_money_is_not():
    report = _report()
    report.applications["granted"]["natural_person"] = 2.5
    report.proactive = {"fees": {"amount_10k_yuan": 3.25}, "licensing": {"decisions": 4.0}}
    findings = check_integer_counts(report)
    assert [(f.location, f.actual) for f in findings] == [("applications.granted.natural_person", 2.5)]


def test_all_concluded_beside_a_carry_over_is_flagged():
    report = _report(summary="全年共收到申请10件，所有申请均已办结。", forward=3)
    findings = check_all_concluded(report)
    assert [(f.rule, f.expected, f.actual) for f in findings] == [("all_concluded", 0, 3)]


@pytest.mark.parametrize(("summary", "forward"), [
    ("全年共收到申请10件，所有申请均已办结。", 0),  # true: nothing carried over
    ("全年共收到申请10件，所有申请均在法定期限内办结。", 3),  # a claim about time, not about what is left
])
def test_all_concluded_is_not_flagged_when_true_or_about_time(summary, forward):
    assert check_all_concluded(_report(summary=summary, forward=forward)) == []


def _corpus_and_seeds() -> list[Path]:
    corpus = [p for p in sorted((ROOT / "tests" / "fixtures" / "corpus").iterdir()) if p.suffix in (".txt", ".pdf")]
    return corpus + sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt"))


@pytest.mark.parametrize("path", _corpus_and_seeds(), ids=lambda p: p.name[:12])
def test_no_real_report_gets_a_peer_finding(path):
    data = path.read_bytes()
    if data.startswith(b"SOURCE:"):
        data = data.split(b"\n", 1)[1]
    result = check_bytes(data, path.name)
    assert [f.message for f in result.findings if f.rule in PEER_RULES] == []


def test_validate_runs_the_peer_rules():
    rules = {f.rule for f in validate(_report(summary="本单位2022年度共收到申请10件，所有申请均已办结。",
                                              problems="无", forward=2))}
    assert {"other_year", "problems_empty", "all_concluded"} <= rules


# --- a government against its departments --------------------------------------------------------------

def test_missing_departments_are_named_and_nothing_is_compared():
    findings = departments_sum(_report(new=30), {"统计局": _report(new=10), "财政局": None, "教育局": None})
    assert len(findings) == 1
    assert findings[0].rule == "departments_sum"
    assert "财政局" in findings[0].message and "教育局" in findings[0].message
    assert (findings[0].expected, findings[0].actual) == (3, 1)


def test_a_government_total_unlike_its_departments_sum_is_flagged():
    findings = departments_sum(_report(new=30), {"统计局": _report(new=10), "财政局": _report(new=15)})
    located = {f.location: (f.expected, f.actual) for f in findings}
    assert located["applications.new_received.total"] == (25, 30)
    assert departments_sum(_report(new=25), {"统计局": _report(new=10), "财政局": _report(new=15)}) == []


@dataclass
class _Agency:
    id: str
    name: str
    region: str
    kind: str


def test_the_monitor_finds_a_governments_departments_by_region():
    registry = [_Agency("gov", "示例县人民政府", "某省/示例县", "government"),
                _Agency("tj", "示例县统计局", "某省/示例县", "department"),
                _Agency("cz", "示例县财政局", "某省/示例县", "department"),
                _Agency("other", "邻县统计局", "某省/邻县", "department")]
    models = {"gov": _report(new=30).to_dict(), "tj": _report(new=10).to_dict(), "other": _report(new=99).to_dict()}
    findings = government_vs_departments(registry[0], registry, models)
    assert [f.rule for f in findings] == ["departments_sum"]
    assert "示例县财政局" in findings[0].message and "邻县" not in findings[0].message
    models["cz"] = _report(new=20).to_dict()
    assert government_vs_departments(registry[0], registry, models) == []
