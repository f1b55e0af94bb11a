"""Findings on figures read by OCR: kept apart from proven ones when a misreading may explain them."""

from __future__ import annotations

from nianbao.report.model import Finding, Report
from nianbao.report.ocr_marks import mark_doubtful
from nianbao.report.validate import validate

APPEALS = {"review": {"upheld": 3, "corrected": 1, "other": 0, "pending": 2, "total": 6},
           "litigation_direct": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0},
           "litigation_after_review": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0}}


def report_with(total: int, confidence: float, *, ocr: bool = True) -> Report:
    appeals = {group: dict(row) for group, row in APPEALS.items()}
    appeals["review"]["total"] = total
    report = Report(agency="示例县统计局", year=2023, format_version="2021", appeals=appeals)
    if ocr:
        report.ocr_pages = [1]
        report.ocr_cells = {f"appeals.review.{c}": 0.99 for c in appeals["review"]}
        report.ocr_cells["appeals.review.total"] = confidence
    return report


def sums(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.rule == "appeals_total"]


def test_a_sum_that_one_misread_digit_explains_is_doubtful_and_names_the_reading_that_holds() -> None:
    report = report_with(8, 0.99)  # printed 6, read 8
    [finding] = sums(mark_doubtful(report, validate(report)))
    assert finding.doubtful and finding.to_dict()["doubtful"] is True
    assert "可能识读有误" in finding.message and "若第四部分行政复议·总计为6" in finding.message


def test_a_low_confidence_cell_on_the_row_makes_the_sum_doubtful() -> None:
    report = report_with(60, 0.55)
    [finding] = sums(mark_doubtful(report, validate(report)))
    assert finding.doubtful and "55%" in finding.message


def test_a_confident_reading_no_digit_change_explains_stays_a_proven_finding() -> None:
    report = report_with(60, 0.99)
    [finding] = sums(mark_doubtful(report, validate(report)))
    assert not finding.doubtful and "doubtful" not in finding.to_dict()


def test_findings_of_a_report_not_read_by_ocr_are_left_as_they_are() -> None:
    report = report_with(8, 0.99, ocr=False)
    assert mark_doubtful(report, validate(report)) == validate(report)


def test_words_in_a_count_of_a_scan_are_doubtful_and_of_a_text_document_an_error() -> None:
    for ocr, doubtful in ((True, True), (False, False)):
        report = report_with(6, 0.99, ocr=ocr)
        report.text_cells["applications.new_received.commercial"] = "不再处理其政府信息公开申请"
        [finding] = [f for f in mark_doubtful(report, validate(report)) if f.rule == "text_in_number"]
        assert finding.doubtful is doubtful and finding.severity == "error"
        assert ("文字可能来自相邻单元格" in finding.message) is doubtful


def test_a_fraction_in_a_count_of_a_scan_is_doubtful_and_of_a_text_document_an_error() -> None:
    for ocr, doubtful in ((True, True), (False, False)):
        report = report_with(6, 0.99, ocr=ocr)
        report.proactive = {"punishment": {"decisions": 33.46}, "fees": {"amount_10k_yuan": None}}
        if ocr:
            report.ocr_cells["proactive.punishment.decisions"] = 0.0  # read from positions: no cell of its own
        [finding] = [f for f in mark_doubtful(report, validate(report)) if f.rule == "integer_count"]
        assert finding.doubtful is doubtful and finding.severity == "error"
        assert ("数字来自相邻行的金额；该格置信度0%" in finding.message) is doubtful


def test_a_minus_in_a_count_of_a_scan_is_doubtful_and_says_its_confident_reading_may_be_a_speck() -> None:
    report = report_with(6, 0.99)
    report.appeals["litigation_direct"]["upheld"] = -5
    report.ocr_cells["appeals.litigation_direct.upheld"] = 0.97
    [finding] = [f for f in mark_doubtful(report, validate(report)) if f.rule == "non_negative"]
    assert finding.doubtful and finding.message.endswith("负号可能是扫描噪点或残留的表格线）")
