"""Shapes met in real published reports (each imitated here with made-up agencies and numbers).

Every test pins one shape that used to be misread: read what is printed, invent nothing.
"""

import pytest

from nianbao.report import NotAReport, check_bytes
from nianbao.report.check import unread_document
from nianbao.report.model import get_path

ROW_LABELS_2021 = [
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "(一)予以公开",
    "(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "1.属于国家秘密", "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
    "7.属于行政执法案卷", "8.属于行政查询事项", "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确", "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物",
    "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他", "(七)总计",
    "四、结转下年度继续办理",
]


def parse(text: str):
    return check_bytes(text.encode("utf-8"), "report.txt")


def cell_per_line(rows: list[list[str]]) -> str:
    """A table flattened one cell per line, each cell closed by " |" and a blank cell a bare "|"."""
    lines = []
    for row in rows:
        lines.extend(f"{cell} |" if cell else "|" for cell in row)
        lines.append("||")  # the positions a merged label cell covers
    return "\n".join(lines)


def test_cell_per_line_table_with_pipes_keeps_blanks_and_zeros():
    part_two = cell_per_line([
        ["第二十条第(一)项"], ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "/", "/", "/"], ["行政规范性文件", "2", "0", "7"],
        ["第二十条第(五)项"], ["信息内容", "本年处理决定数量"], ["行政许可", "0"],
        ["第二十条第(六)项"], ["信息内容", "本年处理决定数量"], ["行政处罚", "12"], ["行政强制", "0"],
        ["第二十条第(八)项"], ["信息内容", "本年收费金额(单位:万元)"], ["行政事业性收费", "0"],
    ])
    part_three = cell_per_line([
        [ROW_LABELS_2021[0], "", "", "", "", "", "", "3"],
        [ROW_LABELS_2021[1], "1", "", "", "", "", "", "1"],
    ])
    text = ("青石县档案局2023年政府信息公开工作年度报告\n一、总体情况\n本局依法公开。\n"
            f"二、主动公开政府信息情况\n{part_two}\n三、收到和处理政府信息公开申请情况\n{part_three}\n")
    report = parse(text).report
    assert report.proactive["regulations"] == {"issued": None, "repealed": None, "in_force": None}
    assert report.proactive["normative_documents"] == {"issued": 2, "repealed": 0, "in_force": 7}
    assert report.proactive["licensing"] == {"decisions": 0}
    assert report.proactive["punishment"] == {"decisions": 12}
    assert report.applications["new_received"] == {"natural_person": None, "commercial": None, "research": None,
                                                   "social_org": None, "legal_service": None, "other_org": None,
                                                   "total": 3}
    assert get_path(report.applications, "carried_over.natural_person") == 1


def test_pipe_then_line_break_cells_are_joined_into_rows():
    """Conversions that break the line after every pipe: each row opens with a bare "|"."""
    rows = [["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"], ["规章", "1", "0", "4"],
            ["行政规范性文件", "6", "2", "30"], ["信息内容", "本年处理决定数量"], ["行政许可", "15"],
            ["行政处罚", "3"], ["行政强制", "0"], ["行政事业性收费", "0"]]
    # Short rows end with the pipes of the positions their merged cell covers: "15  | ||".
    table = "\n".join("| \n" + "".join(f" {cell}  | \n" for cell in row).rstrip("\n") + " ||" * (len(row) < 4)
                      for row in rows)
    text = f"北河镇2022年政府信息公开工作年度报告\n一、总体情况\n概述。\n二、主动公开政府信息情况\n{table}\n"
    report = parse(text).report
    assert report.proactive["regulations"] == {"issued": 1, "repealed": 0, "in_force": 4}
    assert report.proactive["normative_documents"] == {"issued": 6, "repealed": 2, "in_force": 30}
    assert report.proactive["licensing"] == {"decisions": 15}
    assert report.proactive["punishment"] == {"decisions": 3}


TRUNCATED = """东岭街道2024年政府信息公开工作年度报告
一、总体情况
本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况等组成。
二、主动公开政府信息情况
信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
规章 | 0 | 0 | 0 |
行政规范性文件 | 4 | 0 | 0 |
三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
二、上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
三、本年度办理结果 | (一)予以公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
"""


def test_report_cut_before_part_four_reads_no_appeals_from_other_parts():
    """Zeros of table three once came back as a made-up part 四: without it, nothing is read."""
    result = parse(TRUNCATED)
    assert result.report.appeals == {}
    assert "appeals" not in result.report.unreadable
    assert 4 not in result.report.sections_present


def test_truncated_table_three_is_not_a_format_mix():
    result = parse(TRUNCATED)
    assert result.report.format_version == "2021"
    assert "format" not in result.report.unreadable
    assert not any(f.rule == "format_version" for f in result.findings)


def test_part_four_without_heading_is_found_by_its_column_headers():
    text = TRUNCATED + (
        "行政复议 | 行政诉讼 |\n结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 |\n"
        "| 1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 2 | 2 |\n五、存在问题及改进情况\n培训不足。\n"
    )
    report = parse(text).report
    assert report.appeals["review"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 1}
    assert report.appeals["litigation_after_review"]["total"] == 2
    assert report.problems_text == "培训不足。"


@pytest.mark.parametrize("heading", ["五、存在问题及改进情况", "五、存在的不足及改进措施", "第五部分 存在的主要问题及改进情况"])
def test_part_five_heading_variants(heading):
    text = TRUNCATED + f"{heading}\n人手不够。\n六、其他需要报告的事项\n无。\n"
    report = parse(text).report
    assert report.problems_text == "人手不够。"
    assert report.other_text == "无。"


TRADITIONAL = """西川鎮2022年政府信息公開工作年度報告
一、總體情況
根據《條例》規定編制本報告,現予公開。本鎮依法處理申請,及時答復,公開各類信息。為方便查閱,報告全文公開。
二、主動公開政府信息情況
信息內容 | 本年制發件數 | 本年廢止件數 | 現行有效件數 |
規章 | 0 | 0 | 0 |
行政規範性文件 | 3 | 1 | 9 |
信息內容 | 本年處理決定數量 |
行政許可 | 0 |
行政處罰 | 5 |
行政強制 | 0 |
信息內容 | 本年收費金額(單位:萬元) |
行政事業性收費 | 12.5 |
"""


def test_page_in_traditional_characters():
    report = parse(TRADITIONAL).report
    assert report.agency == "西川镇"
    assert report.format_version == "2021"
    assert report.proactive["normative_documents"] == {"issued": 3, "repealed": 1, "in_force": 9}
    assert report.proactive["punishment"] == {"decisions": 5}
    assert report.proactive["fees"] == {"amount_10k_yuan": 12.5}


EXPLAINED_LABELS = """南坪区交通局2020年政府信息公开工作年度报告
二、主动公开政府信息情况
第二十条第(五)项 | |||
信息内容 | 上一年项目数量(指2019年事项数) | 本年增/减(减用负值表示,如-8) | 处理决定数量(指2020年办件量) | ||
行政许可 | 6 | 1 | 40 | ||
其他对外管理服务事项(指行政许可以外的事项,含行政确认、行政处罚、行政强制等) | 20 | 0 | 31 | ||
第二十条第(六)项 | |||
行政处罚 | 15 | 0 | 9 | ||
行政强制 | 2 | 0 | - | ||
第二十条第(九)项 | |||
信息内容 | 采购项目数量(指2020年
"""


def test_label_explanations_and_header_digits_are_not_cells():
    report = parse(EXPLAINED_LABELS).report
    assert report.format_version == "2019"
    assert report.proactive["licensing"] == {"prev_items": 6, "change": 1, "decisions": 40}
    assert report.proactive["other_services"] == {"prev_items": 20, "change": 0, "decisions": 31}
    assert report.proactive["coercion"] == {"prev_items": 2, "change": 0, "decisions": None}
    # "(指2020年" in a header is no procurement row.
    assert "procurement" not in report.proactive
    assert "proactive.procurement" in report.unreadable


def test_report_with_empty_tables_is_a_report_with_unreadable_rows():
    labels = "\n\n".join(ROW_LABELS_2021[:4])
    text = ("白沙乡2022年政府信息公开工作年度报告\n\n一、总体情况\n\n无申请。\n\n二、主动公开政府信息情况\n\n"
            "信息内容\n\n本年制发件数\n\n规章\n\n行政规范性文件\n\n三、收到和处理政府信息公开申请情况\n\n"
            f"申请人情况\n\n自然人\n\n{labels}\n")
    result = parse(text)
    assert result.report.applications == {}
    assert "applications.new_received" in result.report.unreadable
    assert any(f.rule == "unreadable" for f in result.findings)


FREE_FORM_2016 = ("一、主动公开政府信息情况\n全年主动公开信息52条。\n二、依申请公开政府信息情况\n"
                  "本年度报告中所列数据的统计期限自2016年1月1日起至2016年12月31日止。共受理申请3件,同意公开3件。\n")


def test_free_form_report_before_2019_says_so():
    with pytest.raises(NotAReport, match="^不是全国统一格式的报告：2016 年的报告早于"):
        parse(FREE_FORM_2016)


def test_a_published_free_form_report_before_2019_has_its_tables_unchecked():
    with pytest.raises(NotAReport) as caught:
        parse(FREE_FORM_2016)
    assert unread_document(str(caught.value)).message == "2019 年以前的报告没有全国统一的表格格式，表格未作校验"


def test_a_published_document_that_is_no_report_has_its_content_unchecked():
    with pytest.raises(NotAReport) as caught:
        parse("关于召开防汛工作会议的通知\n各单位：定于7月3日召开防汛工作会议。\n")
    assert unread_document(str(caught.value)).message.startswith("文件中未读出年度报告的表格")


def test_a_published_document_that_cannot_be_read_gives_its_reason():
    finding = unread_document("PDF 文件不完整（缺少文件结束标记，可能未下载完整）")
    assert (finding.rule, finding.severity) == ("unreadable", "warning")
    assert finding.message == "文件无法读取，内容未核对：PDF 文件不完整（缺少文件结束标记，可能未下载完整）"


@pytest.mark.parametrize(("lead", "agency"), [
    ("根据条例规定,现将北湾镇", "北湾镇"), ("现向社会公布东门街道", "东门街道"), ("特编制南湖区地方志办公室", "南湖区地方志办公室"),
])
def test_agency_after_lead_in_words(lead, agency):
    text = f"{lead}2023年政府信息公开工作年度报告。\n" + TRUNCATED.split("\n", 1)[1]
    assert parse(text).report.agency == agency


def test_parts_numbered_as_first_part():
    text = TRUNCATED.replace("一、总体情况", "第一部分 总体情况").replace(
        "二、主动公开政府信息情况", "第二部分 主动公开政府信息情况")
    report = parse(text).report
    assert report.summary_text.startswith("本报告由")
    assert {1, 2, 3} <= set(report.sections_present)


def test_blank_cell_before_covered_pipes_is_kept_blank():
    """'0 |' then a bare '|' then '||': the bare pipe is the row's last (blank) cell."""
    table = "\n".join([
        "第二十条第(八)项 |", "||||", "信息内容 |", "上一年项目数量 |", "本年增/减 |", "||",
        "行政事业性收费 |", "3 |", "|", "||", "第二十条第(九)项 |", "||||", "信息内容 |", "采购项目数量 |",
        "采购总金额 |", "||", "政府集中采购 |", "2 |", "40 |",
    ])
    text = f"红旗县水利局2019年政府信息公开工作年度报告\n一、总体情况\n概述。\n二、主动公开政府信息情况\n{table}\n"
    report = parse(text).report
    assert report.proactive["fees"] == {"prev_items": 3, "change": None}
    assert report.proactive["procurement"] == {"items": 2, "total_amount": 40}


def test_report_cut_in_part_two_claims_nothing_about_part_three():
    """The summary's "予以公开" in prose is no row of table three when table three is not there."""
    text = ("清溪街道2021年政府信息公开工作年度报告\n一、总体情况\n2021年主动公开信息66件,并在20个工作日内予以公开,"
            "受理申请1件。\n二、主动公开政府信息情况\n信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n"
            "规章 | 0 | 0 | 0 |\n行政规范性文件 | 1 | 0 | 1 |\n")
    report = parse(text).report
    assert report.proactive["normative_documents"] == {"issued": 1, "repealed": 0, "in_force": 1}
    assert report.applications == {}
    assert not any(key.startswith("applications.") for key in report.unreadable)


PART_FOUR_HEAD = TRUNCATED + "四、政府信息公开行政复议、行政诉讼情况\n"


def test_part_four_transposed_a_row_per_result():
    """Groups as columns, results as rows: read by label, never as one run of 15 numbers."""
    table = ("\t行政复议\t未经复议直接起诉\t复议后起诉\n结果维持\t3\t0\t0\n结果纠正\t0\t0\t1\n其他结果\t0\t0\t0\n"
             "尚未审结\t0\t2\t0\n总计\t3\t2\t1\n")
    appeals = parse(PART_FOUR_HEAD + table).report.appeals
    assert appeals["review"] == {"upheld": 3, "corrected": 0, "other": 0, "pending": 0, "total": 3}
    assert appeals["litigation_direct"] == {"upheld": 0, "corrected": 0, "other": 0, "pending": 2, "total": 2}
    assert appeals["litigation_after_review"]["corrected"] == 1


def test_part_four_group_rows_in_any_order():
    table = ("\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n复议后起诉\t0\t1\t0\t0\t1\n行政复议\t4\t0\t0\t1\t5\n"
             "未经复议直接起诉\t0\t0\t0\t2\t2\n")
    appeals = parse(PART_FOUR_HEAD + table).report.appeals
    assert appeals["review"] == {"upheld": 4, "corrected": 0, "other": 0, "pending": 1, "total": 5}
    assert appeals["litigation_after_review"]["total"] == 1


def test_part_four_with_a_lost_result_row_is_unreadable():
    table = "\t行政复议\t未经复议直接起诉\t复议后起诉\n结果维持\t3\t0\t0\n结果纠正\t0\t0\n尚未审结\t0\t2\t0\n总计\t3\t2\t1\n"
    result = parse(PART_FOUR_HEAD + table)
    assert result.report.appeals == {}
    assert "appeals" in result.report.unreadable


def test_agency_named_only_on_the_line_between_two_titles():
    """Page title, then the agency alone on a line, then the title again without it."""
    body = TRUNCATED.split("\n", 1)[1]
    text = f"2024年政府信息公开工作年度报告\n西坪县石桥镇人民政府\n2024年政府信息公开工作年度报告\n{body}"
    report = parse(text).report
    assert (report.agency, report.year) == ("西坪县石桥镇人民政府", 2024)


def test_agency_from_the_signature_when_no_title_names_it():
    body = TRUNCATED.split("\n", 1)[1]
    text = f"2024年政府信息公开工作年度报告\n{body}六、其他需要报告的事项\n无。\n\n西坪县统计局\n2025年1月20日\n"
    report = parse(text).report
    assert (report.agency, report.published_date) == ("西坪县统计局", "2025-01-20")


def test_a_notice_about_reports_gives_the_year_but_not_the_agency():
    """'根据…《…关于做好2020年政府信息公开年度报告…的通知》' is not the report's own title."""
    body = TRUNCATED.split("\n", 1)[1].replace("2024", "2020")
    text = "根据《北岭省人民政府办公厅关于做好2020年政府信息公开年度报告编制工作的通知》要求,现报告如下。\n" + body
    report = parse(text).report
    assert report.year == 2020
    assert report.agency is None or "关于" not in report.agency
