"""More shapes met in real published reports (session 3), each imitated with made-up agencies and numbers.

Every test pins one shape that used to be misread, missed or refused: read what is printed, invent nothing,
and say which part could not be read.
"""

import pytest

from nianbao.report import NotAReport, check_bytes
from nianbao.report.model import get_path

PARTS_TWO_THREE = """一、总体情况
本单位依法公开政府信息。
二、主动公开政府信息情况
信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
规章 | 0 | 0 | 0 |
行政规范性文件 | 2 | 0 | 6 |
三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量 | 3 | 0 | 0 | 0 | 0 | 0 | 3 |
二、上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
"""


def parse(text: str):
    return check_bytes(text.encode("utf-8"), "report.txt")


# --- titles -------------------------------------------------------------------------------------------


def test_agency_above_a_title_that_opens_with_guanyu():
    """"某镇人民政府\\n关于2021年度政府信息公开工作的年度报告": a report's own title, not a notice."""
    text = "东溪县白石镇人民政府\n\n关于2021年度政府信息公开工作的年度报告\n\n" + PARTS_TWO_THREE
    report = parse(text).report
    assert (report.agency, report.year) == ("东溪县白石镇人民政府", 2021)
    assert report.title == "东溪县白石镇人民政府关于2021年度政府信息公开工作的年度报告"


def test_a_notice_about_a_report_is_still_a_notice():
    text = "北岭市人民政府办公室关于2020年政府信息公开工作年度报告有关事项的通知\n" + PARTS_TWO_THREE
    report = parse(text).report
    assert report.agency is None and report.year == 2020


def test_year_after_the_subject_in_the_title():
    """"某区外事办公室政府信息公开工作2022年度报告"."""
    text = "北山区外事办公室政府信息公开工作2022年度报告\n" + PARTS_TWO_THREE
    report = parse(text).report
    assert (report.agency, report.year) == ("北山区外事办公室", 2022)


@pytest.mark.parametrize("subject", ["信息公开报告", "政务公开工作年度报告"], ids=["xinxi", "zhengwu"])
def test_title_naming_the_subject_without_zhengfu(subject):
    """"某局2019年度信息公开报告", "某局2023年政务公开工作年度报告"."""
    text = f"南河区科学技术局2023年度{subject}\n" + PARTS_TWO_THREE
    report = parse(text).report
    assert (report.agency, report.year) == ("南河区科学技术局", 2023)


def test_title_without_a_year_takes_the_year_from_the_text():
    """"某区教育局政府信息公开工作年度报告" alone on its line; the year stands in a later sentence."""
    text = ("西江区教育局政府信息公开工作年度报告\n2024-01-19 10:30 浏览量:\n现将本局2023年度政府信息公开工作年度报告公布如下。\n"
            + PARTS_TWO_THREE)
    report = parse(text).report
    assert (report.agency, report.year) == ("西江区教育局", 2023)


# --- parts whose tables cannot be read ------------------------------------------------------------------


IMAGE_TABLES = """西岸区统计局2024年度政府信息公开工作年度报告
发布时间:2025-01-16
一、总体情况
2024年,本局主动公开政府信息42条,收到政府信息公开申请2件,均已办结。
二、主动公开政府信息情况
三、收到和处理政府信息公开申请情况
四、政府信息公开行政复议、行政诉讼情况
五、存在的主要问题及改进情况
信息发布的及时性有待提高。
六、其他需要报告的事项
无。
"""


def test_titled_report_whose_tables_are_images_names_every_unread_part():
    """All six headings stand but the tables were pictures: a report, with a warning per part, not a refusal."""
    result = parse(IMAGE_TABLES)
    report = result.report
    assert (report.agency, report.year) == ("西岸区统计局", 2024)
    assert report.proactive == {} and report.applications == {} and report.appeals == {}
    unread = {f.location for f in result.findings if f.rule == "unreadable"}
    assert unread == {"proactive", "applications", "appeals"}
    assert any("第二部分无法读取" in f.message for f in result.findings)


def test_a_page_without_title_and_tables_is_still_no_report():
    with pytest.raises(NotAReport):
        parse(IMAGE_TABLES.split("\n", 2)[2])


def test_heading_of_part_three_without_its_table_is_reported():
    """Part 二's table reads; part 三 holds a sentence only: that part is named as not read."""
    text = PARTS_TWO_THREE.split("三、收到")[0] + "三、收到和处理政府信息公开申请情况\n本年度未收到申请(表格见附件)。\n"
    result = parse("东坡镇2023年政府信息公开工作年度报告\n" + text)
    assert result.report.proactive["normative_documents"] == {"issued": 2, "repealed": 0, "in_force": 6}
    assert "applications" in result.report.unreadable
    assert any(f.rule == "unreadable" and f.location == "applications" for f in result.findings)


# --- cells ---------------------------------------------------------------------------------------------


def test_pipe_closing_the_last_cell_is_no_blank_cell():
    """"label | 0 | … | 0 |" with a cell lost: the closing pipe is not a blank 总计, the row is unreadable."""
    text = ("南湾区司法局2024年政府信息公开工作年度报告\n" + PARTS_TWO_THREE
            + "三、本年度办理结果 | (一)予以公开 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n"
            + "(二)部分公开(区分处理的,只计这一情形,不计其他情形) | 2 | 0 | 0 | 0 | 0 | 2 |\n")
    report = parse(text).report
    assert get_path(report.applications, "granted.total") == 1
    assert "partially_granted" not in report.applications
    assert "applications.partially_granted" in report.unreadable


def test_blank_markers_on_lines_of_their_own_are_blank_cells():
    """A cell per line with "_" (or "/") for a blank cell: the row keeps its blanks, nothing shifts."""
    text = ("北川区档案中心2020年政府信息公开工作年度报告\n\n二、主动公开政府信息情况\n\n第二十条第(一)项\n\n信息内容\n\n"
            "本年新\n制作数量\n\n本年新\n公开数量\n\n对外公开总数量\n\n规章\n\n_\n\n_\n\n_\n\n规范性文件\n\n_\n\n4\n\n4\n\n"
            "第二十条第(五)项\n\n信息内容\n\n上一年项目数量\n\n本年增/减\n\n处理决定数量\n\n行政许可\n\n/\n\n/\n\n7\n\n"
            "其他对外管理服务事项\n\n0\n\n0\n\n0\n")
    report = parse(text).report
    assert report.format_version == "2019"
    assert report.proactive["regulations"] == {"new_made": None, "new_published": None, "total_published": None}
    assert report.proactive["normative_documents"] == {"new_made": None, "new_published": 4, "total_published": 4}
    assert report.proactive["licensing"] == {"prev_items": None, "change": None, "decisions": 7}
    assert report.proactive["other_services"] == {"prev_items": 0, "change": 0, "decisions": 0}


def test_rows_glued_into_one_token_per_paragraph():
    """"一、本年新收…\\n\\n0000000": seven zero cells glued; only one split exists."""
    text = ("东林乡2023年政府信息公开工作年度报告\n\n三、收到和处理政府信息公开申请情况\n\n"
            "一、本年新收政府信息公开申请数量\n\n0000000\n\n二、上年结转政府信息公开申请数量\n\n0000000\n")
    report = parse(text).report
    assert report.applications["new_received"] == dict.fromkeys(report.applications["new_received"], 0)
    assert get_path(report.applications, "carried_over.total") == 0


# --- part 四 -----------------------------------------------------------------------------------------------

APPEALS_HEAD = ("东川县示例局2023年政府信息公开工作年度报告\n" + PARTS_TWO_THREE
                + "四、政府信息公开行政复议、行政诉讼情况\n")
APPEALS_WANTED = {"review": [1, 0, 0, 0, 1], "litigation_direct": [0, 0, 1, 0, 1],
                  "litigation_after_review": [0, 2, 0, 0, 2]}


@pytest.mark.parametrize("table", [
    # a row per group; 行政诉讼 spans the two litigation rows
    "\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n行政复议\t1\t0\t0\t0\t1\n"
    "行政诉讼\t未经复议直接起诉\t0\t0\t1\t0\t1\n复议后起诉\t0\t2\t0\t0\t2",
    # a row per result, headed by the short words 维持/纠正/其他
    "\t行政复议\t未经复议直接起诉\t复议后起诉\n维持\t1\t0\t0\n纠正\t0\t0\t2\n其他\t0\t1\t0\n尚未审结\t0\t0\t0\n总计\t1\t1\t2",
], ids=["row_per_group", "row_per_result"])
def test_part_four_laid_out_as_labelled_rows(table):
    report = parse(APPEALS_HEAD + table + "\n五、存在的主要问题及改进情况\n无。\n").report
    assert {g: list(row.values()) for g, row in report.appeals.items()} == APPEALS_WANTED


# --- text against table -------------------------------------------------------------------------------------


def test_a_figure_for_the_whole_district_is_not_compared_with_the_agencys_own_table():
    """"全年全区共受理申请公开800件，区政府本级共受理3件": the table is the agency's own (3)."""
    text = ("东城区人民政府2023年政府信息公开工作年度报告\n一、总体情况\n全年全区共受理申请公开800件,结转下年度办理39件,"
            "区政府本级共受理3件。\n" + PARTS_TWO_THREE.split("\n", 2)[2])
    findings = [f for f in parse(text).findings if f.rule == "text_vs_table"]
    assert findings == []


def test_the_agencys_own_figure_is_still_compared():
    text = ("东城区人民政府2023年政府信息公开工作年度报告\n一、总体情况\n本机关共受理政府信息公开申请5件。\n"
            + PARTS_TWO_THREE.split("\n", 2)[2])
    findings = [f for f in parse(text).findings if f.rule == "text_vs_table"]
    assert [(f.expected, f.actual) for f in findings] == [(3, 5)]


# --- signature ---------------------------------------------------------------------------------------------


def test_signature_date_in_chinese_numerals():
    """"北河县统计局\\n二〇二四年一月十五日": the published date and the signing agency."""
    text = ("2023年政府信息公开工作年度报告\n" + PARTS_TWO_THREE
            + "六、其他需要报告的事项\n无。\n\n北河县统计局\n二〇二四年一月十五日\n")
    report = parse(text).report
    assert (report.agency, report.published_date) == ("北河县统计局", "2024-01-15")


def test_the_report_speaking_of_itself_names_no_agency():
    """"现将我镇2023年度政府信息公开工作报告如下": "我镇" is no agency; better none than a wrong one."""
    text = "政府信息公开\n一、总体情况\n现将我镇2023年度政府信息公开工作报告如下:\n" + PARTS_TWO_THREE.split("\n", 2)[2]
    report = parse(text).report
    assert (report.agency, report.year) == (None, 2023)


# --- headings ------------------------------------------------------------------------------------------------


def test_points_of_part_one_numbered_like_parts_are_not_part_headings():
    """Part 一's points "2. 主动公开政府信息情况。…" and "4. 因…行政复议…情况。…" are not parts 二 and 四."""
    text = ("南街街道2024年政府信息公开工作年度报告\n一、总体情况\n1. 健全组织保障。专人负责。\n"
            "2. 主动公开政府信息情况。全年发布信息120条。\n3. 依申请公开政府信息情况。收到申请3件。\n"
            "4. 因政府信息公开申请行政复议、提起行政诉讼情况。本年度行政复议0件。\n"
            + PARTS_TWO_THREE.split("\n", 2)[2]
            + "四、政府信息公开行政复议、行政诉讼情况\n" + "\t".join(["0"] * 15) + "\n五、存在的主要问题及改进情况\n无。\n")
    report = parse(text).report
    assert "4. 因政府信息公开申请行政复议" in report.summary_text
    assert report.proactive["normative_documents"] == {"issued": 2, "repealed": 0, "in_force": 6}
    assert report.appeals["review"]["total"] == 0
    assert report.sections_present == [1, 2, 3, 4, 5]


# --- found in review (session 3) ------------------------------------------------------------------------


def test_a_column_name_above_the_title_is_not_the_agency():
    """A breadcrumb or column name ("政府信息公开工作年度报告") above the real title: neither "政府" nor the
    glued column name is the agency."""
    text = ("政府信息公开工作年度报告\n西江市统计局2023年度政府信息公开工作年度报告\n" + PARTS_TWO_THREE)
    report = parse(text).report
    assert (report.agency, report.year) == ("西江市统计局", 2023)


def test_an_undated_title_alone_takes_the_agency_from_the_signature():
    text = "政府信息公开工作年度报告\n" + PARTS_TWO_THREE + "\n西江市统计局\n2024年1月20日\n"
    report = parse(text).report
    assert report.agency == "西江市统计局"
    assert report.published_date == "2024-01-20"


PART_FOUR_TWO_TABLES = """四、政府信息公开行政复议、行政诉讼情况
行政复议
结果维持\t结果纠正\t其他结果\t尚未审结\t总计
0\t143\t8\t9\t160
行政诉讼
未经复议直接起诉\t\t\t\t\t复议后起诉
结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计
9\t185\t0\t0\t194\t0\t6\t5\t3\t14
五、存在的主要问题及改进情况
无。
"""


def test_part_four_printed_as_a_review_table_and_a_litigation_table():
    """Five review fields, then ten litigation fields on their own line: the ten must not be split into
    fifteen glued digits (that invented review = 9, 1, 8, 5, 0)."""
    report = parse(PARTS_TWO_THREE + PART_FOUR_TWO_TABLES).report
    assert report.appeals["review"] == {"upheld": 0, "corrected": 143, "other": 8, "pending": 9, "total": 160}
    assert report.appeals["litigation_direct"]["total"] == 194
    assert report.appeals["litigation_after_review"] == {"upheld": 0, "corrected": 6, "other": 5, "pending": 3,
                                                         "total": 14}


def test_a_sidebar_list_of_past_reports_printed_with_the_page_is_not_the_title():
    """A web page printed to PDF keeps its "历年年报" sidebar above the article: the titles of one agency
    and many years are a list, and the report's own title (right after it) names agency and year."""
    sidebar = "".join(f"南湖市{year}年政府信息公开工作年度报告\n" for year in range(2016, 2023))
    text = ("南湖市人民政府门户网站\n相关链接\n" + sidebar + "西江市统计局2022年政府信息公开工作年度报告\n"
            "发布时间：2023-01-20\n" + PARTS_TWO_THREE)
    report = parse(text).report
    assert (report.agency, report.year) == ("西江市统计局", 2022)
