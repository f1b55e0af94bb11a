"""Shapes met in the lower halves of real tables three and four (parts （三）…四、结转, part 四).

Each test imitates one real layout with a made-up agency and made-up numbers; a row that is not printed
must come back unreadable, never filled from a neighbour.
"""

import pytest

from nianbao.report import NotAReport, check_bytes
from nianbao.report.model import get_path

HEAD = "南溪县市场监督管理局2024年政府信息公开工作年度报告\n一、总体情况\n本局依法公开。\n三、收到和处理政府信息公开申请情况\n"


def parse(text: str):
    return check_bytes(text.encode("utf-8"), "report.txt").report


def test_explanation_wrapped_by_a_pdf_text_layer_keeps_its_numbers():
    """pypdf output: the label's bracket closes on the next line, the numbers follow the ")"."""
    text = HEAD + (
        "一、本年新收政府信息公开申请数量 12 1 0 0 0 0 13\n"
        "二、上年结转政府信息公开申请数量 2 0 0 0 0 0 2\n"
        "三、\n本\n年\n度\n（一）予以公开 5 0 0 0 0 0 5\n"
        "（二）部分公开（区分处理的，只计这一情\n形，不计其他情形） 3 1 0 0 0 0 4\n"
        "（三）不\n予公开\n1.属于国家秘密 0 0 0 0 0 0 0\n"
    )
    report = parse(text)
    assert report.applications["partially_granted"] == {
        "natural_person": 3, "commercial": 1, "research": 0, "social_org": 0, "legal_service": 0,
        "other_org": 0, "total": 4}
    assert get_path(report.applications, "refused.state_secret.total") == 0


def test_wrapped_label_line_is_no_orphan_for_the_next_row():
    """With TAB fields the wrapped line's numbers belong to （二）; a following row printed without
    numbers stays unreadable instead of borrowing them."""
    text = HEAD + (
        "一、本年新收政府信息公开申请数量\t12\t1\t0\t0\t0\t0\t13\n"
        "（二）部分公开（区分处理的，只计这一情\n形，不计其他情形）\t3\t1\t0\t0\t0\t0\t4\n"
        "1.属于国家秘密\n"
        "2.其他法律行政法规禁止公开\t0\t0\t0\t0\t0\t0\t0\n"
    )
    report = parse(text)
    assert get_path(report.applications, "partially_granted.total") == 4
    assert get_path(report.applications, "refused.state_secret") is None
    assert "applications.refused.state_secret" in report.unreadable


def test_unclosed_bracket_with_digits_after_the_break_is_not_swallowed():
    """A "(" never closed before the next row's digits must not join two rows into one label."""
    text = HEAD + (
        "（二）部分公开（区分处理的 3 1 0 0 0 0 4\n"
        "1.属于国家秘密 0 0 0 0 0 0 0)\n"
    )
    report = parse(text)
    assert get_path(report.applications, "partially_granted.total") == 4
    assert get_path(report.applications, "refused.state_secret.total") == 0


LOWER_HALF_WRAPPED = HEAD + """一、本年新收政府信息公开申请数量 9 1 0 0 0 0 10
二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0
（一）予以公开 4 0 0 0 0 0 4
（五）不
予处理
4.无正当理由大量反复申请 0 0 0 0 0 0 0
5.要求行政机关确认或重新出具已获取
信息 2 0 0 0 0 0 2
（六）其
他处理
1.申请人无正当理由逾期不补正、行政
机关不再处理其政府信息公开申请 1 1 0 0 0 0 2
2.申请人逾期未按收费通知要求缴纳
费用、行政机关不再处理其政府信息公
开申请 0 0 0 0 0 0 0
3.其他 2 0 0 0 0 0 2
（七）总计 9 1 0 0 0 0 10
四、结转下年度继续办理 0 0 0 0 0 0 0
"""


def test_long_labels_wrapped_at_the_cell_width_keep_their_rows():
    """The long （五）5 and （六）1-2 labels wrap over two or three lines, the numbers after the last."""
    report = parse(LOWER_HALF_WRAPPED)
    assert get_path(report.applications, "not_processed.confirm_reissue.natural_person") == 2
    assert get_path(report.applications, "other.no_correction") == {
        "natural_person": 1, "commercial": 1, "research": 0, "social_org": 0, "legal_service": 0,
        "other_org": 0, "total": 2}
    assert get_path(report.applications, "other.unpaid_fee.total") == 0
    assert get_path(report.applications, "other.other.total") == 2
    assert get_path(report.applications, "total_handled.total") == 10


def test_a_label_stub_beside_the_numbers_and_its_rest_below_keeps_the_numbers():
    """LibreOffice lays "5.要" beside the row's numbers and the rest of the label on the next line."""
    text = HEAD + (
        "4.无正当理由大量反复申请\t0\t0\t4\t4\t0\t0\t8\n"
        "5.要\t73\t1\t7\t1\t625\t1\t708\n"
        "\t\t求行政机关确认或重新出具已获取信息\t\t\t\t\t\t\t\n"
        "（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t9\t8\t5\t0\t1\t9\t32\n"
    )
    report = parse(text)
    assert get_path(report.applications, "not_processed.confirm_reissue") == {
        "natural_person": 73, "commercial": 1, "research": 7, "social_org": 1, "legal_service": 625,
        "other_org": 1, "total": 708}
    assert get_path(report.applications, "not_processed.excessive.total") == 8
    assert get_path(report.applications, "other.no_correction.total") == 32


def test_a_row_printed_blank_does_not_take_the_numbers_of_a_labelled_row_above():
    text = HEAD + (
        "4.无正当理由大量反复申请\t0\t0\t4\t4\t0\t0\t8\n"
        "5.要求行政机关确认或重新出具已获取信息\t\t\t\t\t\t\t\n"
    )
    report = parse(text)
    assert get_path(report.applications, "not_processed.excessive.total") == 8
    assert get_path(report.applications, "not_processed.confirm_reissue.total") is None


def test_wrapped_fragment_never_swallows_the_next_rows_label():
    """A label alone on its line followed by the next row's label: both rows stay themselves."""
    text = HEAD + (
        "（一）予以公开\n"
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形） 1 0 0 0 0 0 1\n"
        "四、结转下年度继续办理\n"
        "五、存在的主要问题及改进情况\n人手不足。\n"
    )
    report = parse(text)
    assert get_path(report.applications, "partially_granted.total") == 1
    assert get_path(report.applications, "granted") is None
    assert get_path(report.applications, "carried_forward") is None
    assert report.problems_text == "人手不足。"


BLANK_TEMPLATE = """一、总体情况
本乡专人负责政务公开。
二、主动公开政府信息情况
第二十条第(一)项
信息内容
本年新制作数量
本年新公开数量
对外公开总数量
规章
规范性文件
三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量
二、上年结转政府信息公开申请数量
(一)予以公开
(六)其他处理
(七)总计
四、结转下年度继续办理
四、政府信息公开行政复议、行政诉讼情况
行政复议
结果维持
五、存在的主要问题及改进情况
"""


def test_blank_template_without_a_title_is_refused_with_its_reason():
    """Every row label, no number and no title: the format's own annex looks the same, so no report."""
    with pytest.raises(NotAReport, match="^不是年度报告：表格各行均为空白"):
        parse(BLANK_TEMPLATE)


def test_blank_template_with_a_title_is_a_report_with_every_row_unreadable():
    report = parse("石门乡2019年政府信息公开工作年度报告\n" + BLANK_TEMPLATE)
    assert report.format_version == "2019"
    assert report.applications == {}
    assert "applications.carried_forward" in report.unreadable


def test_group_label_fragments_sharing_the_wrapped_lines():
    """The merged （五）/（六） cell's characters land on the rows' lines: "他处理 机关不再处理… 1 1 0"."""
    text = HEAD + (
        "一、本年新收政府信息公开申请数量 9 1 0 0 0 0 10\n"
        "（五）不 4.无正当理由大量反复申请 0 0 0 0 0 0 0\n"
        "予处理 5.要求行政机关确认或重新出具已获取\n信息 2 0 0 0 0 0 2\n"
        "（六）其 1.申请人无正当理由逾期不补正、行政\n"
        "他处理 机关不再处理其政府信息公开申请 1 1 0 0 0 0 2\n"
        "3.其他 2 0 0 0 0 0 2\n"
    )
    report = parse(text)
    assert get_path(report.applications, "not_processed.confirm_reissue.total") == 2
    assert get_path(report.applications, "other.no_correction.commercial") == 1
    assert get_path(report.applications, "other.other.natural_person") == 2
    assert "applications.other.unpaid_fee" in report.unreadable


def test_row_of_blank_fields_never_reaches_into_the_next_line():
    """An HTML/DOCX row whose cells are all blank stays blank: the words and numbers of the line below
    (a stray total line here) are no wrapped part of its label."""
    text = HEAD + (
        "一、本年新收政府信息公开申请数量\t3\t0\t0\t0\t0\t0\t3\n"
        "二、上年结转政府信息公开申请数量\t\t\t\t\t\t\t\n"
        "合计\t3\t0\t0\t0\t0\t0\t3\n"
    )
    report = parse(text)
    assert set(report.applications["carried_over"].values()) == {None}  # printed blank: null, not 3
