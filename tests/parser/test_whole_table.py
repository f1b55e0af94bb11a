"""Run-on digits read as a whole table: the glued rows of table 三 are split together so that every
printed rule holds (each row's 总计, 一+二 = （七）+四 and （七） = （一）…（六） in every column), and a
reading is taken only when it is the only one.

The real reports of tests/fixtures/corpus and the seeds give the numbers: their table 三 is written again
the way a lossy conversion flattens it, each row's cells glued into one run of digits ("270020130"), and
read back. The truth is the model read from the original document."""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.report import check_bytes
from nianbao.report import tables as T
from nianbao.report import vocabulary as V
from nianbao.report.model import APPLICANT_COLUMNS, APPLICATION_ROWS, Report, get_path
from nianbao.report.walk import application_shape

ROOT = Path(__file__).resolve().parents[2]
LABELS = V.printed(V.APPLICATION_ROWS)


def real_reports() -> list[tuple[str, Report]]:
    """The corpus and seed reports whose table 三 is read whole from the original document."""
    out = []
    paths = sorted((ROOT / "tests" / "fixtures" / "corpus").iterdir())
    paths += sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt"))
    for path in paths:
        if path.suffix not in (".txt", ".pdf") or path.name == "README.md":
            continue
        data = path.read_bytes()
        if data.startswith(b"SOURCE:"):
            data = data.split(b"\n", 1)[1]
        report = check_bytes(data, path.name).report
        if report.applications and not any(k.startswith("applications") for k in report.unreadable):
            out.append((path.name, report))
    return out


def glued_text(report: Report, glue: set[str] | None = None) -> str:
    """Table 三 flattened: the rows in `glue` (every row without a blank cell when None) as one run of
    digits after their label, the others as TAB fields."""
    shape = application_shape(report.applications)
    lines = [f"{report.agency}{report.year}年政府信息公开工作年度报告", "三、收到和处理政府信息公开申请情况",
             "申请人情况 自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计"]
    for path in APPLICATION_ROWS[shape]:
        values = [get_path(report.applications, path)[c] for c in APPLICANT_COLUMNS]
        if None not in values and (glue is None or path in glue):
            lines.append(LABELS[path] + " " + "".join(str(v) for v in values))
        else:
            lines.append(LABELS[path] + "\t" + "\t".join("" if v is None else str(v) for v in values))
    lines.append("四、政府信息公开行政复议、行政诉讼情况")
    return "\n".join(lines)


def recovered_cells(reports: list[tuple[str, Report]]) -> tuple[int, int, int]:
    """(cells read, cells wrong, files with a glued row read) over the glued versions of `reports`."""
    read = wrong = 0
    files = set()
    for name, truth in reports:
        glued = check_bytes(glued_text(truth).encode(), "glued.txt").report
        for path in APPLICATION_ROWS[application_shape(truth.applications)]:
            row = get_path(glued.applications, path)
            if row:
                read += len(row)
                wrong += sum(row[c] != get_path(truth.applications, path)[c] for c in APPLICANT_COLUMNS)
                files.add(name)
    return read, wrong, len(files)


@pytest.fixture(scope="module")
def reports() -> list[tuple[str, Report]]:
    return real_reports()


def test_the_whole_table_reading_recovers_glued_rows_a_row_alone_cannot_split(reports, monkeypatch):
    with_table = recovered_cells(reports)
    monkeypatch.setattr(T, "whole_table", lambda read, rules: None)  # rows read on their own sums only
    alone = recovered_cells(reports)
    assert with_table[1] == alone[1] == 0  # none wrong
    assert with_table[0] > alone[0]


def test_every_glued_row_of_the_real_tables_is_read_right(reports):
    expected = sum(len(APPLICATION_ROWS[application_shape(r.applications)]) * 7 for _, r in reports)
    read, wrong, _ = recovered_cells(reports)
    assert (read, wrong) == (expected, 0)


def _table(rows: dict[str, list[int]]) -> Report:
    report = Report(agency="示例县统计局", year=2023)
    for path in APPLICATION_ROWS["2021"]:
        values = rows.get(path, [0] * 7)
        node = report.applications
        *parents, leaf = path.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = dict(zip(APPLICANT_COLUMNS, values, strict=True))
    return report


# 1|11|0|0|0|0|12 and 11|1|0|0|0|0|12 both satisfy the row's own sum: "1110000012".
AMBIGUOUS = {"new_received": [1, 11, 0, 0, 0, 0, 12], "granted": [1, 11, 0, 0, 0, 0, 12],
             "total_handled": [1, 11, 0, 0, 0, 0, 12]}


def test_a_row_the_other_rules_pin_down_is_read():
    text = glued_text(_table(AMBIGUOUS), glue={"new_received"})
    report = check_bytes(text.encode(), "t.txt").report
    assert report.applications["new_received"]["natural_person"] == 1
    assert "applications.new_received" not in report.unreadable


def test_two_glued_rows_that_could_swap_together_stay_unreadable():
    # new_received and total_handled both glued: 1|11… in both and 11|1… in both balance alike.
    text = glued_text(_table(AMBIGUOUS), glue={"new_received", "total_handled", "granted"})
    report = check_bytes(text.encode(), "t.txt").report
    assert {"applications.new_received", "applications.total_handled"} <= set(report.unreadable)


def test_a_table_that_already_breaks_a_rule_is_not_used_to_choose_a_reading():
    rows = dict(AMBIGUOUS, granted=[2, 11, 0, 0, 0, 0, 13])  # （一） no longer adds up to （七）
    text = glued_text(_table(rows), glue={"new_received"})
    result = check_bytes(text.encode(), "t.txt")
    assert "applications.new_received" in result.report.unreadable
    assert any(f.rule == "outcome_total" for f in result.findings)  # the contradiction is still reported


def test_the_search_over_many_glued_rows_is_bounded():
    # Every row "1110000012": 2 readings each, 25 rows: 2^25 combinations without the step budget.
    rows = APPLICATION_ROWS["2021"]
    text = glued_text(_table({p: [1, 11, 0, 0, 0, 0, 12] for p in rows}), glue=set(rows[:-1]))
    report = check_bytes(text.encode(), "t.txt").report
    assert sum(k.startswith("applications.") for k in report.unreadable) == len(rows) - 1  # undecided, quickly (not 2^24 combinations)
