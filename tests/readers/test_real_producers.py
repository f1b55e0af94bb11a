"""Reports as real software writes them: Word and WPS "save as HTML", government CMS article pages, tables
drawn with <div>s or lists, DOCX from Word and WPS (merged cells, content controls, text boxes, tracked
changes, fields, automatic numbering). Made-up agencies and numbers (tests/readers/producers.py); every
cell of parts 二, 三 and 四 must come back, blank cells as null.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

import pytest

from nianbao.report import check_bytes
from nianbao.report.readers import read_document
from nianbao.report.readers.docx import number_text
from nianbao.report.readers.grid import SpanCell, flow_rows
from tests.readers.producers import (
    Cell,
    Report,
    Rows,
    blocks,
    cms_page,
    css_grid_table,
    default_cell,
    div_table,
    docx_body,
    docx_table,
    esc,
    expected,
    html_body,
    make_report,
    nested_div_applications,
    numbering_xml,
    plain_table,
    styles_xml,
    to_docx_xml,
    to_flat_opc,
    to_text,
    w_para,
    w_run,
    word_html,
    wps_html,
)

REPORT = make_report(1)  # 2024 report, four blank cells in table three


def assert_reads(data: bytes, name: str, report: Report = REPORT) -> None:
    parsed = check_bytes(data, name).report
    model = parsed.to_dict()
    want = expected(report)
    assert {key: model[key] for key in want} == want
    assert parsed.unreadable == {}


def is_table_three(rows: Rows) -> bool:
    return rows[0][0].text.startswith("（本列")


def split_rows(rows: Rows, at: int) -> tuple[Rows, Rows]:
    """Table three's body cut before row `at`, as a page break cuts it: the group cells spanning the cut
    end in the first part and go on, blank, in the second."""
    first, second = copy.deepcopy(rows[:at]), copy.deepcopy(rows[at:])
    for i, row in enumerate(first):
        for cell in row:
            if cell.rowspan > 1 and i + cell.rowspan > at:
                rest, cell.rowspan = i + cell.rowspan - at, at - i
                second[0].insert(0 if cell.text.startswith("三") else 1, Cell("", rowspan=rest))
    return first, second


# --- Word and WPS "save as HTML" ---------------------------------------------------------------------

def test_word_save_as_html() -> None:
    """MSO styles, <o:p>, lang=EN-US spans splitting figures, &nbsp; blanks, <p class=MsoNormal> in cells,
    list numbers in <![if !supportLists]>, the hidden width row, GB2312."""
    assert_reads(word_html(REPORT), "report.htm")


def test_wps_save_as_html() -> None:
    assert_reads(wps_html(REPORT), "report.html")


def _word_html_cell_edit(wrap: Callable[[str], str]) -> bytes:
    """Word HTML whose first figure of table three (7) is wrapped by `wrap`."""
    page = word_html(REPORT).decode("gb18030")
    at = page.index("一、本年新收政府信息公开申请数量")
    figure = "<span lang=EN-US style='font-size:10.5pt;mso-bidi-font-size:11.0pt'>7</span>"
    at = page.index(figure, at)
    return (page[:at] + wrap(figure) + page[at + len(figure):]).encode("gb18030")


def test_word_html_tracked_changes_read_as_accepted() -> None:
    """A document saved with changes still tracked: <del> holds the old figure beside the new one."""
    page = _word_html_cell_edit(lambda figure: '<del cite="mailto:x" datetime="2025-01-10T10:00">'
                                f'<span lang=EN-US>3</span></del><ins cite="mailto:x">{figure}</ins>')
    assert_reads(page, "report.htm")


def test_word_html_hidden_text_is_not_read() -> None:
    page = _word_html_cell_edit(lambda figure: f"<span style='display:none;mso-hide:all'>9</span>{figure}")
    assert_reads(page, "report.htm")


# --- CMS article pages -------------------------------------------------------------------------------

@pytest.mark.parametrize("container", ['<div class="TRS_Editor">', '<div id="zoom">',
                                       '<div class="article-content">'])
def test_cms_article_page(container: str) -> None:
    """Header, menu and sidebar with other years' 年报 links, breadcrumbs, footer; <th> header cells and
    captions; part 二 as four small tables."""
    table = lambda rows: plain_table(rows, th=True, caption="统计表")  # noqa: E731
    page = cms_page(REPORT, html_body(REPORT, table=table, split_proactive=True), container=container)
    assert_reads(page, "index.html")


@pytest.mark.parametrize("repeat_header", [True, False])
@pytest.mark.parametrize("at", [2, 10, 21])
def test_table_three_split_in_two_tables(repeat_header: bool, at: int) -> None:
    def table(rows: Rows) -> str:
        if not is_table_three(rows):
            return plain_table(rows)
        first, second = split_rows(rows[3:], at)
        return plain_table(rows[:3] + first) + "<p>&nbsp;</p>" + plain_table((rows[:3] if repeat_header else []) + second)
    assert_reads(cms_page(REPORT, html_body(REPORT, table=table)), "index.html")


def test_article_inside_layout_tables() -> None:
    content = (f'<table width="100%"><tr><td align="center"><h2>{esc(REPORT.title)}</h2></td></tr>'
               f'<tr><td><table><tr><td>发布日期：{REPORT.date}</td><td>来源：本站</td></tr></table></td></tr>'
               f"<tr><td>{html_body(REPORT)}</td></tr></table>")
    assert_reads(cms_page(REPORT, content, info=""), "index.html")


def test_report_table_with_a_table_pasted_into_a_header_cell() -> None:
    """A table holding a table is layout only when no row of its own holds figures."""
    def table(rows: Rows) -> str:
        html = plain_table(rows)
        return html.replace("<td colspan=\"7\">申请人情况</td>",
                            '<td colspan="7"><table width="100%"><tr><td>申请人情况</td></tr></table></td>')
    page = cms_page(REPORT, html_body(REPORT, table=table))
    assert '<table width="100%"><tr><td>申请人情况' in page.decode()
    assert_reads(page, "index.html")


def test_part_headings_in_table_captions() -> None:
    """Some editors put a part's heading in the <caption> of its table."""
    parts = []
    for block in blocks(REPORT):
        if isinstance(block, str) and block.startswith(("二、", "三、", "四、")):
            parts.append(("caption", block))
        elif isinstance(block, str):
            parts.append(("p", block))
        else:
            caption = parts.pop()[1] if parts and parts[-1][0] == "caption" else ""
            parts.append(("table", plain_table(block, caption=caption)))
    content = "".join(f"<p>{text}</p>" if kind == "p" else text for kind, text in parts)
    page = cms_page(REPORT, content + f"<p>{REPORT.agency}</p>")
    lines = read_document(page, "index.html").text.split("\n")
    assert "三、收到和处理政府信息公开申请情况" in lines
    assert lines.index("三、收到和处理政府信息公开申请情况") + 1 == lines.index(
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况")
    assert check_bytes(page, "index.html").report.sections_present == [1, 2, 3, 4, 5, 6]


def test_invisible_characters_inside_figures() -> None:
    """Editors leave zero-width spaces, BOMs and soft hyphens in cells: "5\u200b76" shows 576."""
    def table(rows: Rows) -> str:
        marked = [[Cell(c.text[:1] + "\u200b" + c.text[1:] if c.text.isdigit() and len(c.text) > 1 else
                        "\ufeff" + c.text, c.rowspan, c.colspan) for c in row] for row in rows]
        return plain_table(marked)
    page = cms_page(REPORT, html_body(REPORT, table=table))
    assert "\u200b" in page.decode()
    assert_reads(page, "index.html")


# --- tables drawn without <table> ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["css", "class", "ul", "flex", "float"])
def test_tables_drawn_with_divs_or_lists(kind: str) -> None:
    """display:table rows and cells, div.tr > div.td, a <ul> per row, flex rows: blank cells are elements
    of their own, so they stay blank cells instead of vanishing."""
    page = cms_page(REPORT, html_body(REPORT, table=lambda rows: div_table(rows, kind=kind)))
    assert_reads(page, "index.html")
    lines = read_document(page, "index.html").text.split("\n")
    assert "规章\t9\t4\t7" in lines


def test_div_table_with_groups_of_rows_beside_their_labels() -> None:
    """Nested markup: 三、本年度办理结果 in a cell beside a block of its rows, （三）不予公开 beside 1.…8."""
    def table(rows: Rows) -> str:
        return nested_div_applications(REPORT) if is_table_three(rows) else div_table(rows, kind="class")
    assert_reads(cms_page(REPORT, html_body(REPORT, table=table)), "index.html")


def test_tables_drawn_with_a_css_grid() -> None:
    """display:grid with grid-template-columns: cells flow into rows, spans from grid-column/grid-row."""
    page = cms_page(REPORT, html_body(REPORT, table=css_grid_table))
    assert_reads(page, "index.html")


def test_div_grids_stacked_in_one_container() -> None:
    """Several div tables in one wrapper are tables, not one table whose cells are rows."""
    tables = "".join(div_table(block, kind="class") for block in blocks(REPORT) if not isinstance(block, str))
    lines = read_document(cms_page(REPORT, f"<p>二、主动公开政府信息情况</p><div>{tables}</div>"), "a.html").text
    assert "规章\t9\t4\t7" in lines.split("\n")
    assert "0\t143\t8\t9\t160\t9\t185\t0\t0\t194\t0\t6\t5\t3\t14" in lines.split("\n")


@pytest.mark.parametrize("html", [
    # paragraphs in divs, one of them a bare figure
    "<div><p>一、总体情况</p><p>2024</p></div><div><p>本年度依法公开。</p><p>12</p></div>",
    # a page layout with Bootstrap rows and columns
    '<div class="row"><div class="col-md-8">' + "本机关认真贯彻落实条例。" * 12 + '</div><div class="col-md-4">12</div></div>'
    '<div class="row"><div class="col-md-8">' + "公开内容还不够全面。" * 12 + '</div><div class="col-md-4">3</div></div>',
])
def test_blocks_of_text_are_not_grids(html: str) -> None:
    text = read_document(cms_page(REPORT, html), "a.html").text
    assert "\t" not in text


def test_flow_rows_places_cells_like_a_css_grid() -> None:
    cells = [SpanCell("a", rowspan=2), SpanCell("b", colspan=2), SpanCell("c"), SpanCell("d")]
    rows = flow_rows(cells, 3)
    assert [[(c.text, c.rowspan, c.colspan) for c in row] for row in rows] == [
        [("a", 2, 1), ("b", 1, 2)], [("c", 1, 1), ("d", 1, 1)]]


# --- the page's date -----------------------------------------------------------------------------------

def _signed_off(report: Report) -> str:
    """The report without its signature date: the page's date is then the published date."""
    return html_body(report).rsplit("<p>", 1)[0]


@pytest.mark.parametrize(("head", "info"), [
    ("", '<div class="info"><span>时间:2025-01-10</span> <span>来源：本站</span></div>'),
    ("", '<div class="info">发布时间：2025年01月10日 10:00　来源：本站</div>'),
    ("", '<div class="info">2025-01-10 来源：青禾县人民政府</div>'),
    ("", '<div class="info"><span class="date">2025-01-10 09:30</span><span>信息来源：青禾县统计局</span></div>'),
    ("", '<div class="info">来源：青禾县人民政府　2025-01-10</div>'),
    ("", '<p class="info">日期：2025/01/10　作者：办公室</p>'),
    ("", "<div>发布日期：<publishtime>2025-01-10 10:00:00</publishtime></div>"),
    ("", "<publishtime>2025-01-10 10:00:00</publishtime>"),
    ('<meta name="PubDate" content="2025-01-10 10:00">', ""),
    ('<meta name="firstpublishedtime" content="2025-01-10-10:00:00">', ""),
    ('<meta name="publishdate" content="2025-01-10">', ""),
    ('<meta name="ArticleDate" content="2025年01月10日">', ""),
    ('<meta itemprop="datePublished" content="2025-01-10T10:00:00+08:00">', ""),
])
def test_page_date_written_by_cms(head: str, info: str) -> None:
    report = make_report(1)
    page = cms_page(report, _signed_off(report), head=head, info=info)
    assert read_document(page, "index.html").page_date == "2025-01-10"
    assert check_bytes(page, "index.html").report.published_date == "2025-01-10"


@pytest.mark.parametrize("info", [
    '<div class="top">当前日期：2025年3月5日 星期三</div>',
    "<ul><li><a href='/x'>通知</a><span>2024-12-30</span></li></ul>",
    "<p>统计时间：2024年1月1日至2024年12月31日</p>",
])
def test_dates_that_are_not_the_page_date(info: str) -> None:
    page = cms_page(REPORT, _signed_off(REPORT), info=info)
    assert read_document(page, "index.html").page_date is None


def test_page_date_in_a_text_copy_of_a_page() -> None:
    body = to_text(REPORT).split("\n")[1:-2]  # without the title and the signature
    text = "\n".join([REPORT.title, "2025-01-10 来源：青禾县人民政府", *body])
    assert check_bytes(text.encode(), "report.txt").report.published_date == "2025-01-10"


# --- DOCX from Word and WPS ------------------------------------------------------------------------------

def _docx(table: Callable[[Rows], str] = docx_table, **kwargs: str) -> bytes:
    return to_docx_xml(docx_body(REPORT, table=table), **kwargs)


def test_docx_merged_cells_and_figures_split_over_runs() -> None:
    assert_reads(_docx(), "report.docx")


def test_docx_legacy_horizontal_merge() -> None:
    """w:hMerge (older Word, WPS): the continuation cells widen the first, they are not blank cells."""
    data = _docx(lambda rows: docx_table(rows, hmerge=True))
    assert_reads(data, "report.docx")
    assert "行政许可\t1" in read_document(data, "report.docx").text.split("\n")


@pytest.mark.parametrize("between", [w_para(), w_para(runs='<w:r><w:br w:type="page"/></w:r>')])
def test_docx_table_split_in_two(between: str) -> None:
    def table(rows: Rows) -> str:
        if not is_table_three(rows):
            return docx_table(rows)
        first, second = split_rows(rows[3:], 10)
        return docx_table(rows[:3] + first) + between + docx_table(second)
    assert_reads(_docx(table), "report.docx")


def test_docx_report_inside_a_layout_table() -> None:
    body = docx_body(REPORT)
    data = to_docx_xml(f'<w:tbl><w:tblGrid><w:gridCol w:w="9000"/></w:tblGrid><w:tr><w:tc>{body}<w:p/></w:tc></w:tr>'
                       "</w:tbl><w:p/>")
    assert_reads(data, "report.docx")


def test_docx_table_pasted_into_a_header_cell() -> None:
    def table(rows: Rows) -> str:
        return docx_table(rows, cell_xml=lambda text: (
            f"<w:tbl><w:tr><w:tc>{w_para(text)}</w:tc></w:tr></w:tbl><w:p/>" if text == "申请人情况" else default_cell(text)))
    assert_reads(_docx(table), "report.docx")


def test_docx_table_in_a_text_box() -> None:
    """A drawing's text box (wps:txbx, with its VML copy in mc:Fallback) holding table three."""
    def table(rows: Rows) -> str:
        if not is_table_three(rows):
            return docx_table(rows)
        box = f"<w:txbxContent>{docx_table(rows)}<w:p/></w:txbxContent>"
        return ("<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor><a:graphic>"
                f"<a:graphicData><wps:wsp><wps:txbx>{box}</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor>"
                "</w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
                f"{box}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>")
    assert_reads(_docx(table), "report.docx")


def _wrap_every(pattern: str, every: int, wrap: Callable[[str], str]) -> Callable[[Rows], str]:
    def table(rows: Rows) -> str:
        count = iter(range(1, 10_000))
        return re.sub(pattern, lambda m: wrap(m.group(0)) if next(count) % every == 0 else m.group(0),
                      docx_table(rows))
    return table


@pytest.mark.parametrize("table", [
    _wrap_every(r"<w:tr>.*?</w:tr>", 2, lambda xml: f"<w:sdt><w:sdtPr/><w:sdtContent>{xml}</w:sdtContent></w:sdt>"),
    _wrap_every(r"<w:tc>(?:(?!<w:tc>).)*?</w:tc>", 3,
                lambda xml: f"<w:sdt><w:sdtPr/><w:sdtContent>{xml}</w:sdtContent></w:sdt>"),
    _wrap_every(r"<w:tr>.*?</w:tr>", 3, lambda xml: f'<w:customXml w:element="row">{xml}</w:customXml>'),
    lambda rows: f"<w:sdt><w:sdtPr/><w:sdtContent>{docx_table(rows)}</w:sdtContent></w:sdt>",
    lambda rows: (f'<mc:AlternateContent><mc:Choice Requires="wps">{docx_table(rows)}</mc:Choice>'
                  f"<mc:Fallback>{docx_table(rows)}</mc:Fallback></mc:AlternateContent>"),
], ids=["sdt-rows", "sdt-cells", "customxml-rows", "sdt-table", "alternate-content"])
def test_docx_content_controls_around_rows_and_cells(table: Callable[[Rows], str]) -> None:
    assert_reads(_docx(table), "report.docx")


def _cells(edit: Callable[[str], str | None]) -> Callable[[Rows], str]:
    return lambda rows: docx_table(rows, cell_xml=lambda text: edit(text) or default_cell(text))


def test_docx_tracked_changes_read_as_accepted() -> None:
    """Deleted runs (w:delText), inserted runs, and text moved away (w:moveFrom) from a figure's cell."""
    def edit(text: str) -> str | None:
        if not text.isdigit():
            return None
        return (f'<w:p><w:del w:id="1" w:author="x"><w:r><w:delText>9</w:delText></w:r></w:del>'
                f'<w:ins w:id="2" w:author="x">{w_run(text)}</w:ins>'
                f'<w:moveFrom w:id="3" w:author="x">{w_run("8")}</w:moveFrom></w:p>')
    assert_reads(_docx(_cells(edit)), "report.docx")


def test_docx_deleted_row_is_not_read() -> None:
    def table(rows: Rows) -> str:
        xml = docx_table(rows)
        if not is_table_three(rows):
            return xml
        row = re.search(r"<w:tr>(?:(?!<w:tr>).)*?一、本年新收.*?</w:tr>", xml).group(0)
        deleted = re.sub(r"<w:r>(.*?)</w:r>", lambda m: '<w:del w:id="5" w:author="x"><w:r>'
                         + m.group(1).replace("w:t ", "w:delText ").replace("</w:t>", "</w:delText>") + "</w:r></w:del>",
                         row.replace("<w:tr>", '<w:tr><w:trPr><w:del w:id="4" w:author="x"/></w:trPr>', 1))
        return xml.replace(row, row + deleted.replace(">7<", ">5<"))
    assert_reads(_docx(table), "report.docx")


def test_docx_hidden_text_is_not_read() -> None:
    assert_reads(_docx(_cells(lambda text: f'<w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>5</w:t></w:r>{w_run(text)}</w:p>'
                              if text.isdigit() else None)), "report.docx")


def test_docx_figures_in_fields_and_smart_tags() -> None:
    def edit(text: str) -> str | None:
        if text.isdigit() and len(text) > 1:
            return f'<w:p><w:fldSimple w:instr=" =SUM(LEFT) ">{w_run(text)}</w:fldSimple></w:p>'
        if text.isdigit():
            return ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> =0+'
                    f'{text} </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>{w_run(text)}'
                    '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
        return f'<w:p><w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" w:element="x">{w_run(text)}' \
               "</w:smartTag></w:p>"
    assert_reads(_docx(_cells(edit)), "report.docx")


def test_docx_invisible_characters_inside_figures() -> None:
    assert_reads(_docx(_cells(lambda text: w_para(runs=w_run(text[:1] + "\u200b" + text[1:]) + w_run("\ufeff"))
                              if text.isdigit() and len(text) > 1 else None)), "report.docx")


def test_docx_cells_of_several_paragraphs_and_title_rows() -> None:
    def edit(text: str) -> str | None:
        if len(text) > 8 and not text.isdigit():
            return w_para(text[: len(text) // 2]) + w_para(text[len(text) // 2:]) + w_para()
        return None

    def table(rows: Rows) -> str:
        width = 10 if is_table_three(rows) else 15 if len(rows[-1]) == 15 else 4
        return _cells(edit)([[Cell("统计表（单位：件）", colspan=width)], *rows])
    assert_reads(_docx(table), "report.docx")


LEVELS = [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%3.")]
LEVELS_PPR = '<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'


def _numbered_headings(ppr: str) -> Callable[[str], str]:
    return lambda text: (w_para(text[2:], ppr=ppr) if re.match(r"^[一二三四五六]、", text) else w_para(text))


@pytest.mark.parametrize(("ppr", "styles"), [
    (LEVELS_PPR, ""),
    ('<w:pPr><w:pStyle w:val="Heading1"/></w:pPr>', styles_xml({"Heading1": '<w:numPr><w:numId w:val="1"/></w:numPr>'})),
    (LEVELS_PPR, "list-style"),
], ids=["numbered-paragraphs", "numbered-style", "list-style"])
def test_docx_headings_numbered_by_word(ppr: str, styles: str) -> None:
    """一、…六、 drawn by automatic numbering (numbering.xml), on the paragraphs, through their style, or
    through a list style (the num's abstract only links to the abstract that defines the levels)."""
    body = docx_body(REPORT, para=_numbered_headings(ppr))
    numbering = numbering_xml(LEVELS, styled="Heading1" if styles.startswith("<") else "")
    if styles == "list-style":
        numbering = numbering.replace('<w:multiLevelType w:val="multilevel"/>',
                                      '<w:multiLevelType w:val="multilevel"/><w:styleLink w:val="ReportList"/>').replace(
            "<w:num ", '<w:abstractNum w:abstractNumId="7"><w:numStyleLink w:val="ReportList"/></w:abstractNum><w:num ')
        numbering = numbering.replace('<w:abstractNumId w:val="0"/></w:num>', '<w:abstractNumId w:val="7"/></w:num>')
        styles = ""
    data = to_docx_xml(body, numbering=numbering, styles=styles)
    assert read_document(data, "report.docx").text.split("\n")[1] == "一、总体情况"
    assert_reads(data, "report.docx")
    assert check_bytes(data, "report.docx").report.sections_present == [1, 2, 3, 4, 5, 6]


def test_docx_row_labels_numbered_by_word_restart_per_group() -> None:
    groups = {"（三）不予公开": 2, "（四）无法提供": 3, "（五）不予处理": 4, "（六）其他处理": 5}
    numbering = numbering_xml([("decimal", "%1.")], num_ids=(2, 3, 4, 5)).replace(
        "<w:abstractNumId w:val=\"0\"/></w:num>",
        '<w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>')

    def table(rows: Rows) -> str:
        current: list[int] = []

        def edit(text: str) -> str | None:
            if text in groups:
                current.append(groups[text])
            match = re.match(r"^\d\.(.*)", text)
            if match and current:
                return w_para(match.group(1), ppr=f'<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{current[-1]}"/>'
                              "</w:numPr></w:pPr>")
            return None
        return _cells(edit)(rows) if is_table_three(rows) else docx_table(rows)
    data = to_docx_xml(docx_body(REPORT, table=table), numbering=numbering)
    lines = read_document(data, "report.docx").text
    assert "\t8.属于行政查询事项\t" in lines and "\t3.其他\t" in lines
    assert_reads(data, "report.docx")


@pytest.mark.parametrize(("n", "fmt", "text"), [
    (1, "chineseCounting", "一"), (10, "chineseCounting", "十"), (12, "chineseCountingThousand", "十二"),
    (20, "japaneseCounting", "二十"), (105, "chineseCounting", "一百零五"), (3, "ideographTraditional", "丙"),
    (2, "decimalEnclosedCircle", "②"), (4, "upperRoman", "IV"), (28, "lowerLetter", "bb"),
    (7, "decimalFullWidth", "７"), (3, "chineseLegalSimplified", "叁"), (5, "decimal", "5"),
])
def test_word_number_formats(n: int, fmt: str, text: str) -> None:
    assert number_text(n, fmt) == text


# --- other files office software writes ------------------------------------------------------------------

def _web_archive(page: str, charset: str, encoding: str) -> bytes:
    """A .mht as Word ("single file web page") or a browser saves it: MIME, the HTML part encoded."""
    from email import charset as email_charset
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    message = MIMEMultipart("related", type="text/html")
    message.preamble = "This document is a Single File Web Page, also known as a Web Archive file."
    body = email_charset.Charset(charset)
    body.body_encoding = email_charset.QP if encoding == "qp" else email_charset.BASE64
    part = MIMEText(page, "html", body)
    part["Content-Location"] = "file:///C:/D4A1/report.htm"
    message.attach(part)
    return message.as_bytes()


@pytest.mark.parametrize(("charset", "encoding"), [("gb2312", "qp"), ("utf-8", "base64")])
def test_web_archive_published_as_doc(charset: str, encoding: str) -> None:
    data = _web_archive(word_html(REPORT).decode("gb18030"), charset, encoding)
    assert b"=3D" in data or encoding == "base64"
    assert_reads(data, "report.doc")
    assert_reads(data, "report.mht")


def test_word_flat_xml_document() -> None:
    """Word's "Word XML Document" (Flat OPC, one .xml file), with numbered headings from its numbering part."""
    body = docx_body(REPORT, para=_numbered_headings(LEVELS_PPR))
    data = to_flat_opc(to_docx_xml(body, numbering=numbering_xml(LEVELS)))
    assert_reads(data, "report.xml")
    assert_reads(data, "report.doc")


@pytest.mark.libreoffice
@pytest.mark.timeout(180)
def test_rtf_and_word_xml_are_converted(tmp_path) -> None:
    """RTF and Word's one-file XML (Word 2003 XML), also published as .doc: read through LibreOffice."""
    from tests.readers.render import convert_many

    source = tmp_path / "report.docx"
    source.write_bytes(_docx())
    (rtf,) = convert_many([source], "rtf", tmp_path / "rtf")
    (xml,) = convert_many([source], "xml:MS Word 2003 XML", tmp_path / "xml")
    assert rtf.read_bytes().startswith(b"{\\rtf") and b"w:wordDocument" in xml.read_bytes()[:1000]
    for path, name in ((rtf, "report.rtf"), (xml, "report.doc")):
        assert_reads(path.read_bytes(), name)


@pytest.mark.parametrize(("head", "name", "kind"), [
    (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"----=_NextPart_01\"\r\n\r\n", "a.doc", "mht"),
    (b"From: <Saved by Blink>\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n", None,
     "mht"),
    (b"{\\rtf1\\ansi\\ansicpg936\\deff0", "a.doc", "rtf"),
    (b'<?xml version="1.0"?>\n<?mso-application progid="Word.Document"?>\n<w:wordDocument xmlns:w="x">', "a.doc",
     "wordxml"),
    (b'<?xml version="1.0"?><?mso-application progid="Word.Document"?><pkg:package xmlns:pkg="x">', "a.xml",
     "wordxml"),
])
def test_sniffing_office_files(head: bytes, name: str | None, kind: str) -> None:
    from nianbao.report.readers.dispatch import sniff_format

    assert sniff_format(head, name) == kind
