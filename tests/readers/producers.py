"""A complete 2021-format report with made-up numbers, laid out as the official template lays out its
tables (merged header cells, the 三、本年度办理结果 column spanning 22 rows), and the model it must parse to.

The producers in tests/readers/test_real_producers.py render it the way real software writes it (Word and
WPS "save as HTML", CMS article pages, div grids, DOCX from Word and WPS). A table is rows of `Cell`s in
document order; positions covered by a merged cell are left out, as in HTML.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

from nianbao.report.model import APPEAL_COLUMNS, APPEAL_GROUPS, APPLICANT_COLUMNS, APPLICATION_ROWS


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False


Rows = list[list[Cell]]

# Row labels of table three, with the grouping cells of the official template: (group, subgroup, label).
APPLICATION_LABELS: dict[str, tuple[str, str, str]] = {
    "new_received": ("", "", "一、本年新收政府信息公开申请数量"),
    "carried_over": ("", "", "二、上年结转政府信息公开申请数量"),
    "granted": ("三、本年度办理结果", "", "（一）予以公开"),
    "partially_granted": ("三、本年度办理结果", "", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    "refused.state_secret": ("三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"),
    "refused.prohibited_by_law": ("三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    "refused.safety_stability": ("三、本年度办理结果", "（三）不予公开", "3.危及“三安全一稳定”"),
    "refused.third_party": ("三、本年度办理结果", "（三）不予公开", "4.保护第三方合法权益"),
    "refused.internal_affairs": ("三、本年度办理结果", "（三）不予公开", "5.属于三类内部事务信息"),
    "refused.process_info": ("三、本年度办理结果", "（三）不予公开", "6.属于四类过程性信息"),
    "refused.enforcement_files": ("三、本年度办理结果", "（三）不予公开", "7.属于行政执法案卷"),
    "refused.admin_query": ("三、本年度办理结果", "（三）不予公开", "8.属于行政查询事项"),
    "unable.not_held": ("三、本年度办理结果", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    "unable.needs_creation": ("三、本年度办理结果", "（四）无法提供", "2.没有现成信息需要另行制作"),
    "unable.unclear": ("三、本年度办理结果", "（四）无法提供", "3.补正后申请内容仍不明确"),
    "not_processed.petition": ("三、本年度办理结果", "（五）不予处理", "1.信访举报投诉类申请"),
    "not_processed.duplicate": ("三、本年度办理结果", "（五）不予处理", "2.重复申请"),
    "not_processed.publication": ("三、本年度办理结果", "（五）不予处理", "3.要求提供公开出版物"),
    "not_processed.excessive": ("三、本年度办理结果", "（五）不予处理", "4.无正当理由大量反复申请"),
    "not_processed.confirm_reissue": ("三、本年度办理结果", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    "other.no_correction": ("三、本年度办理结果", "（六）其他处理",
                            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    "other.unpaid_fee": ("三、本年度办理结果", "（六）其他处理",
                         "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    "other.other": ("三、本年度办理结果", "（六）其他处理", "3.其他"),
    "total_handled": ("三、本年度办理结果", "", "（七）总计"),
    "carried_forward": ("", "", "四、结转下年度继续办理"),
}
PROACTIVE_SECTIONS = (
    ("第二十条第（一）项", ("本年制发件数", "本年废止件数", "现行有效件数"),
     (("regulations", "规章"), ("normative_documents", "行政规范性文件")), ("issued", "repealed", "in_force")),
    ("第二十条第（五）项", ("本年处理决定数量",), (("licensing", "行政许可"),), ("decisions",)),
    ("第二十条第（六）项", ("本年处理决定数量",), (("punishment", "行政处罚"), ("coercion", "行政强制")), ("decisions",)),
    ("第二十条第（八）项", ("本年收费金额（单位：万元）",), (("fees", "行政事业性收费"),), ("amount_10k_yuan",)),
)
APPEAL_RESULTS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


@dataclass
class Report:
    agency: str
    year: int
    date: str
    proactive: dict[str, dict[str, int | float | None]]
    applications: dict[str, list[int | None]]  # row path -> the seven columns
    appeals: list[int | None]  # 15 numbers
    texts: dict[int, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.agency}{self.year}年政府信息公开工作年度报告"


def make_report(seed: int = 1, *, blanks: int = 4) -> Report:
    """Made-up numbers (some with several digits, some zero) and a few blank cells."""
    rng = random.Random(seed)
    pick = [lambda: rng.randint(0, 9), lambda: rng.randint(10, 999), lambda: 0]

    def number() -> int:
        return rng.choice(pick)()

    proactive: dict[str, dict[str, int | float | None]] = {}
    for _, _, rows, columns in PROACTIVE_SECTIONS:
        for key, _ in rows:
            proactive[key] = {column: number() for column in columns}
    proactive["fees"]["amount_10k_yuan"] = round(rng.uniform(0, 90), 2)
    applications: dict[str, list[int | None]] = {}
    for path in APPLICATION_ROWS["2021"]:
        values: list[int | None] = [number() for _ in APPLICANT_COLUMNS[:-1]]
        applications[path] = values + [sum(v or 0 for v in values)]
    appeals: list[int | None] = []
    for _ in APPEAL_GROUPS:
        values = [number() for _ in APPEAL_COLUMNS[:-1]]
        appeals += values + [sum(v or 0 for v in values)]
    paths = list(applications)
    for _ in range(blanks):  # blank cells: null in the model, an empty cell in the document
        applications[rng.choice(paths)][rng.randrange(6)] = None
    agency = rng.choice(["青禾县", "白石市", "东岭区", "云溪县"]) + rng.choice(["统计局", "自然资源局", "人民政府办公室"])
    year = rng.choice([2021, 2022, 2023, 2024])
    return Report(agency, year, f"{year + 1}-01-{rng.randint(10, 28)}", proactive, applications, appeals)


def expected(report: Report) -> dict:
    """The parts of `Report.to_dict()` the tables fill."""
    applications: dict = {}
    for path, values in report.applications.items():
        node = applications
        *parents, leaf = path.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = dict(zip(APPLICANT_COLUMNS, values, strict=True))
    appeals = {
        group: dict(zip(APPEAL_COLUMNS, report.appeals[i * 5: i * 5 + 5], strict=True))
        for i, group in enumerate(APPEAL_GROUPS)
    }
    return {"agency": report.agency, "year": report.year, "format_version": "2021",
            "proactive": report.proactive, "applications": applications, "appeals": appeals}


def show(value: int | float | None) -> str:
    return "" if value is None else str(value)


# --- the tables, as the official template lays them out ------------------------------------------------

def proactive_tables(report: Report, *, split: bool = False) -> list[Rows]:
    """Part 二: one 4-column table with a title row per 第二十条 item, or (split) four small tables."""
    tables: list[Rows] = []
    for title, headers, rows, columns in PROACTIVE_SECTIONS:
        wide = 3 if len(headers) == 1 else 1
        table: Rows = [[Cell(title, colspan=4, header=True)],
                       [Cell("信息内容", header=True)] + [Cell(h, colspan=wide, header=True) for h in headers]]
        for key, label in rows:
            table.append([Cell(label)] + [Cell(show(report.proactive[key][c]), colspan=wide) for c in columns])
        tables.append(table)
    if split:
        return tables
    return [[row for table in tables for row in table]]


def applications_header(*, legal_label: str = "社会公益组织") -> Rows:
    return [
        [Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3, header=True),
         Cell("申请人情况", colspan=7, header=True)],
        [Cell("自然人", rowspan=2, header=True), Cell("法人或其他组织", colspan=5, header=True),
         Cell("总计", rowspan=2, header=True)],
        [Cell(t, header=True) for t in ("商业企业", "科研机构", legal_label, "法律服务机构", "其他")],
    ]


def applications_rows(report: Report) -> Rows:
    """Body rows of table three: group cells spanning their rows, each given once."""
    paths = list(report.applications)
    rows: Rows = []
    for i, path in enumerate(paths):
        group, subgroup, label = APPLICATION_LABELS[path]
        previous = APPLICATION_LABELS[paths[i - 1]] if i else ("", "", "")
        row: list[Cell] = []
        if group and previous[0] != group:
            row.append(Cell(group, rowspan=sum(1 for p in paths if APPLICATION_LABELS[p][0] == group)))
        if subgroup and previous[1] != subgroup:
            row.append(Cell(subgroup, rowspan=sum(1 for p in paths if APPLICATION_LABELS[p][1] == subgroup)))
        colspan = 3 - bool(group) - bool(subgroup)
        row.append(Cell(label, colspan=colspan))
        row += [Cell(show(v)) for v in report.applications[path]]
        rows.append(row)
    return rows


def applications_table(report: Report) -> Rows:
    return applications_header() + applications_rows(report)


def appeals_table(report: Report) -> Rows:
    return [
        [Cell("行政复议", colspan=5, header=True), Cell("行政诉讼", colspan=10, header=True)],
        [*(Cell(t, rowspan=2, header=True) for t in APPEAL_RESULTS),
         Cell("未经复议直接起诉", colspan=5, header=True), Cell("复议后起诉", colspan=5, header=True)],
        [Cell(t, header=True) for t in APPEAL_RESULTS * 2],
        [Cell(show(v)) for v in report.appeals],
    ]


def blocks(report: Report, *, split_proactive: bool = False) -> list[str | Rows]:
    """The whole report in reading order: paragraphs (str) and tables."""
    out: list[str | Rows] = [
        "一、总体情况",
        f"{report.year}年，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，推进政务公开工作。",
        "二、主动公开政府信息情况",
        *proactive_tables(report, split=split_proactive),
        "三、收到和处理政府信息公开申请情况",
        applications_table(report),
        "四、政府信息公开行政复议、行政诉讼情况",
        appeals_table(report),
        "五、存在的主要问题及改进情况",
        "公开内容还不够全面，下一步将加强培训。",
        "六、其他需要报告的事项",
        "本年度未收取信息处理费。",
    ]
    return out


def to_text(report: Report) -> str:
    """The report as TAB lines (merged cells once): what every reader must produce."""
    from nianbao.report.readers.grid import SpanCell, grid_lines, to_grid

    lines = [report.title]
    for block in blocks(report):
        if isinstance(block, str):
            lines.append(block)
        else:
            lines += grid_lines(to_grid([[SpanCell(c.text, c.rowspan, c.colspan) for c in row] for row in block]))
    lines.append(f"{report.agency}")
    lines.append(f"{report.date[:4]}年{int(report.date[5:7])}月{int(report.date[8:])}日")
    return "\n".join(lines)


# --- HTML producers -------------------------------------------------------------------------------------

def _attrs(cell: Cell) -> str:
    out = ""
    if cell.rowspan > 1:
        out += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        out += f' colspan="{cell.colspan}"'
    return out


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_table(rows: Rows, *, th: bool = False, caption: str = "") -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="0" width="100%">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    for row in rows:
        out.append("<tr>" + "".join(
            f"<{'th' if th and c.header else 'td'}{_attrs(c)}>{esc(c.text)}</{'th' if th and c.header else 'td'}>"
            for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def word_runs(text: str, lang: bool = True) -> str:
    """Word's runs: digits in their own lang=EN-US spans, one span per digit when it was typed twice."""
    if not text:
        return "<span lang=EN-US><o:p>&nbsp;</o:p></span>"
    if text.replace(".", "").isdigit():
        pieces = [text[:1], text[1:]] if len(text) > 1 else [text]
        return "".join(f"<span lang=EN-US style='font-size:10.5pt;mso-bidi-font-size:11.0pt'>{p}</span>"
                       for p in pieces if p) + "<span lang=EN-US><o:p></o:p></span>"
    return (f"<span style='font-size:10.5pt;font-family:宋体;mso-ascii-font-family:\"Times New Roman\"'>"
            f"{esc(text)}</span><span lang=EN-US><o:p></o:p></span>")


def word_table(rows: Rows, *, width: int) -> str:
    out = ["<div align=center>",
           "<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=600 "
           "style='width:450.0pt;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
           "mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>"]
    for r, row in enumerate(rows):
        out.append(f" <tr style='mso-yfti-irow:{r};height:15.0pt'>")
        for cell in row:
            text = cell.text
            if len(text) <= 10 and "三、本年度" in text:  # typed one character per line (vertical)
                paras = "".join(f"<p class=MsoNormal align=center style='text-align:center'>{word_runs(ch)}</p>"
                                for ch in text)
            else:
                paras = f"<p class=MsoNormal align=center style='text-align:center'>{word_runs(text)}</p>"
            out.append(f"  <td width=60{_attrs(cell).replace(chr(34), '')} valign=top "
                       f"style='width:45.0pt;border:solid windowtext 1.0pt;mso-border-alt:solid windowtext .5pt;"
                       f"padding:0cm 5.4pt 0cm 5.4pt;height:15.0pt'>\n  {paras}\n  </td>")
        out.append(" </tr>")
    # Word's hidden row that fixes the column widths
    out.append(" <![if !supportMisalignedColumns]>\n <tr height=0>"
               + "".join("<td width=60 style='border:none'></td>" for _ in range(width))
               + "</tr>\n <![endif]>")
    out.append("</table>\n</div>")
    return "\n".join(out)


def word_paragraph(text: str) -> str:
    if text[:2] in ("一、", "二、", "三、", "四、", "五、", "六、"):
        number, rest = text[:2], text[2:]
        return ("<p class=MsoListParagraph style='margin-left:32.0pt;text-indent:-32.0pt;mso-list:l0 level1 lfo1'>"
                f"<![if !supportLists]><span style='font-size:16.0pt;font-family:黑体'>{number}"
                "<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp;&nbsp; </span></span><![endif]>"
                f"<span style='font-size:16.0pt;font-family:黑体'>{esc(rest)}<span lang=EN-US><o:p></o:p></span>"
                "</span></p>")
    return (f"<p class=MsoNormal style='text-indent:32.0pt;mso-char-indent-count:2.0'><span "
            f"style='font-size:16.0pt;font-family:仿宋_GB2312'>{esc(text)}</span><span lang=EN-US "
            "style='font-size:16.0pt'><o:p></o:p></span></p>")


def word_html(report: Report) -> bytes:
    """Word's "Save as Web Page": MSO namespaces and styles, <o:p>, GB2312, conditional comments."""
    body = [f"<p class=MsoNormal align=center style='text-align:center'><b><span style='font-size:22.0pt;"
            f"font-family:方正小标宋简体'>{esc(report.title)}</span></b></p>"]
    for block in blocks(report):
        if isinstance(block, str):
            body.append(word_paragraph(block))
        else:
            width = sum(c.colspan for c in block[0]) if block[0][0].rowspan == 1 else 10
            body.append(word_table(block, width=max(width, 15 if len(block[-1]) == 15 else width)))
    body.append(word_paragraph(report.agency))
    y, m, d = report.date.split("-")
    body.append(word_paragraph(f"{y}年{int(m)}月{int(d)}日"))
    page = f"""<html xmlns:v="urn:schemas-microsoft-com:vml"
xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word"
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml"
xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv=Content-Type content="text/html; charset=gb2312">
<meta name=ProgId content=Word.Document>
<meta name=Generator content="Microsoft Word 15">
<title>{esc(report.title)}</title>
<!--[if gte mso 9]><xml>
 <o:DocumentProperties>
  <o:Author>admin</o:Author>
  <o:Created>2023-03-01T02:03:00Z</o:Created>
 </o:DocumentProperties>
</xml><![endif]-->
<style>
<!--
p.MsoNormal {{mso-style-parent:""; margin:0cm; text-align:justify; font-size:10.5pt;}}
@page WordSection1 {{size:595.3pt 841.9pt;}}
div.WordSection1 {{page:WordSection1;}}
-->
</style>
</head>
<body lang=ZH-CN style='tab-interval:21.0pt;text-justify-trim:punctuation'>
<div class=WordSection1 style='layout-grid:15.6pt'>
{chr(10).join(body)}
</div>
</body>
</html>
"""
    return page.encode("gb18030")


def full_grid(rows: Rows) -> list[list[str]]:
    """Every position of the table as a cell of its own; merged cells keep their text at the top-left and
    leave the positions they cover blank (how a CSS table without spans draws them)."""
    from nianbao.report.readers.grid import COVERED, SpanCell, to_grid

    grid = to_grid([[SpanCell(c.text, c.rowspan, c.colspan) for c in row] for row in rows])
    return [["" if cell == COVERED else cell for cell in line] for line in grid]


def div_table(rows: Rows, *, kind: str = "css") -> str:
    """A table drawn with <div>s or lists: `css` inline display:table styles, `class` div.tr/div.td with the
    styles in a stylesheet, `ul` a <ul> per row with an <li> per cell, `flex` rows of flex cells, `float`
    floated cells."""
    lines = full_grid(rows)
    if kind == "ul":
        return '<div class="tb">' + "".join(
            '<ul class="tb-row">' + "".join(f"<li>{esc(t)}</li>" for t in line) + "</ul>" for line in lines) + "</div>"
    if kind == "css":
        return '<div style="display: table; width:100%">' + "".join(
            '<div style="display: table-row">' + "".join(
                f'<div style="display: table-cell; border:1px solid #000">{esc(t)}</div>' for t in line)
            + "</div>" for line in lines) + "</div>"
    if kind == "float":  # floated cells, a clearing div closing each row, <br> between rows
        return '<div class="tb">' + "<br/>".join(
            '<div class="tb-row">' + "".join(
                f'<div class="tb-cell" style="float:left;width:9%">{esc(t)}</div>' for t in line)
            + '<div class="clearfix"></div></div>' for line in lines) + '<div style="clear:both"></div></div>'
    if kind == "flex":
        return '<div class="table-box">' + "".join(
            '<div class="row" style="display:flex">' + "".join(
                f'<div class="col" style="flex:1"><span>{esc(t)}</span></div>' for t in line)
            + "</div>" for line in lines) + "</div>"
    return '<div class="table">' + "".join(
        '<div class="tr">' + "".join(f'<div class="td">{esc(t) or "&nbsp;"}</div>' for t in line) + "</div>"
        for line in lines) + "</div>"


def nested_div_applications(report: Report) -> str:
    """Table three as front-end code nests it: a group's label in a cell beside a block of the group's
    own rows (三、本年度办理结果 beside （一）…（七）, （三）不予公开 beside 1.…8.); div.tr rows, div.td cells."""
    def row(cells: list[str]) -> str:
        return '<div class="tr">' + "".join(f'<div class="td">{esc(t)}</div>' for t in cells) + "</div>"

    def group(label: str, inner: str) -> str:
        return f'<div class="tr"><div class="td">{esc(label)}</div><div class="group">{inner}</div></div>'

    def rows_of(paths: list[str], level: int) -> str:
        out, i = [], 0
        while i < len(paths):
            name = APPLICATION_LABELS[paths[i]][level] if level < 2 else ""
            if not name:
                out.append(row([APPLICATION_LABELS[paths[i]][2]] + [show(v) for v in report.applications[paths[i]]]))
                i += 1
                continue
            members = [p for p in paths[i:] if APPLICATION_LABELS[p][level] == name]
            out.append(group(name, rows_of(members, level + 1)))
            i += len(members)
        return "".join(out)

    header = "".join(row(line) for line in full_grid(applications_header()))
    return f'<div class="table">{header}{rows_of(list(report.applications), 0)}</div>'


def css_grid_table(rows: Rows) -> str:
    """CSS grid: the cells are siblings placed by the grid, merged ones with grid-column/grid-row spans."""
    width = max(sum(c.colspan for c in row) for row in rows)
    cells = []
    for row in rows:
        for c in row:
            style = ""
            if c.colspan > 1:
                style += f"grid-column: span {c.colspan};"
            if c.rowspan > 1:
                style += f"grid-row: span {c.rowspan};"
            cells.append(f'<div class="cell" style="{style}">{esc(c.text)}</div>')
    return (f'<div class="grid" style="display:grid; grid-template-columns: repeat({width}, 1fr)">'
            + "".join(cells) + "</div>")



def wps_html(report: Report) -> bytes:
    """WPS Writer's "save as web page": MSO-like markup, <font face> inside spans, a Section0 div,
    <!--StartFragment-->, UTF-8."""
    def cell(c: Cell) -> str:
        attrs = _attrs(c).replace('"', "")
        inner = (f'<span style="font-family:宋体;font-size:10.5000pt;"><font face="宋体">{esc(c.text)}</font></span>'
                 if c.text and not c.text.replace(".", "").isdigit()
                 else f'<span style="font-family:宋体;font-size:10.5000pt;">{c.text}</span>')
        return (f'<td width=64 valign=center{attrs} style="width:48.0000pt;padding:0.0000pt 5.4000pt 0.0000pt '
                f'5.4000pt ;border-left:1.0000pt solid windowtext;mso-border-left-alt:0.5000pt solid windowtext;">'
                f'<p class=MsoNormal align=center style="text-align:center;">{inner}<span style="font-family:宋体;'
                f'font-size:10.5000pt;"><o:p>&nbsp;</o:p></span></p></td>')

    def para(text: str) -> str:
        return (f'<p class=MsoNormal style="text-indent:32.0000pt;mso-char-indent-count:2.0000;"><span '
                f'style="mso-spacerun:\'yes\';font-family:仿宋_GB2312;font-size:16.0000pt;"><font face="仿宋_GB2312">'
                f'{esc(text)}</font></span><span style="font-size:16.0000pt;"><o:p></o:p></span></p>')

    parts = [para(report.title)]
    for block in blocks(report):
        if isinstance(block, str):
            parts.append(para(block))
        else:
            rows = "".join('<tr style="height:20.0000pt;" >' + "".join(cell(c) for c in row) + "</tr>" for row in block)
            parts.append('<table class=MsoNormalTable style="border-collapse:collapse;mso-table-layout-alt:fixed;'
                         f'border:none;mso-padding-alt:0.0000pt 5.4000pt 0.0000pt 5.4000pt ;" >{rows}</table>')
    y, m, d = report.date.split("-")
    parts += [para(report.agency), para(f"{y}年{int(m)}月{int(d)}日")]
    page = ('<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">\n<head>'
            '<meta http-equiv=Content-Type content="text/html; charset=utf-8"><meta name=ProgId content=Word.Document>'
            '<meta name=Generator content="Microsoft Word 14"><!--[if gte mso 9]><xml><w:WordDocument>'
            '<w:BrowserLevel>MicrosoftInternetExplorer4</w:BrowserLevel></w:WordDocument></xml><![endif]-->'
            '<style>p.MsoNormal{mso-style-name:正文;font-size:10.5000pt;}</style></head>\n'
            '<body style="tab-interval:21.0000pt;text-justify-trim:punctuation;"><!--StartFragment-->'
            f'<div class="Section0" style="layout-grid:15.6000pt;">{"".join(parts)}</div><!--EndFragment--></body></html>')
    return page.encode("utf-8")


def html_body(report: Report, *, table=plain_table, split_proactive: bool = False) -> str:
    """The report as the HTML of an article body: <p> paragraphs, tables drawn by `table`, the signature."""
    out = [f"<p>{esc(b)}</p>" if isinstance(b, str) else table(b) for b in blocks(report, split_proactive=split_proactive)]
    y, m, d = report.date.split("-")
    out += [f"<p>{esc(report.agency)}</p>", f"<p>{y}年{int(m)}月{int(d)}日</p>"]
    return "\n".join(out)


def cms_page(report: Report, content: str, *, container: str = '<div class="TRS_Editor">', head: str = "",
             info: str | None = None) -> bytes:
    """A government site's article page: site header and menu, breadcrumbs, a sidebar of other years'
    reports, the title and the date/source line, the article body in `container`, a footer."""
    info = f'<div class="info">发布时间：{report.date}　来源：本站　浏览次数：108</div>' if info is None else info
    close = "</" + container[1:].split()[0].rstrip(">") + ">"
    links = "".join(f'<li><a href="/nb/{i}.html">示例市{2014 + i}年政府信息公开工作年度报告</a></li>' for i in range(8))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">{head}<title>{esc(report.title)}_年度报告_示例市人民政府</title></head>
<body>
<div class="header"><div class="logo"><a href="/">示例市人民政府</a></div>
<ul class="menu"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwgk/nb/">政府信息公开年报</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/nb/">年报</a></div>
<div class="main"><div class="left"><h3>年度报告</h3><ul>{links}</ul></div>
<div class="article"><h1>{esc(report.title)}</h1>{info}
{container}
{content}
{close}
<div class="prevnext">上一篇：<a href="/nb/7.html">示例市2021年政府信息公开工作年度报告</a></div>
</div></div>
<div class="footer">主办单位：示例市人民政府办公室　网站标识码：0000000000　备案号：示ICP备00000000号</div>
</body></html>""".encode()


# --- DOCX producers -------------------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NAMESPACES = (
    f'xmlns:w="{W_NS}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'mc:Ignorable="wps"'
)


def w_run(text: str, rpr: str = "") -> str:
    return f'<w:r>{rpr}<w:t xml:space="preserve">{esc(text)}</w:t></w:r>' if text else ""


def w_para(text: str = "", *, runs: str | None = None, ppr: str = "") -> str:
    return f"<w:p>{ppr}{w_run(text) if runs is None else runs}</w:p>"


def number_runs(text: str) -> str:
    """A figure as Word often stores it: split over runs (typed, then corrected), in a w:proofErr."""
    if len(text) < 2:
        return w_run(text)
    return (w_run(text[0], '<w:rPr><w:rFonts w:ascii="Times New Roman"/></w:rPr>') + '<w:proofErr w:type="gramStart"/>'
            + w_run(text[1:], '<w:rPr><w:rFonts w:ascii="Times New Roman"/><w:sz w:val="21"/></w:rPr>')
            + '<w:proofErr w:type="gramEnd"/>')


def default_cell(text: str) -> str:
    return w_para(runs=number_runs(text)) if text.replace(".", "").isdigit() else w_para(text)


def docx_table(rows: Rows, *, hmerge: bool = False, cell_xml=None, row_wrap=None) -> str:
    """A w:tbl: gridSpan for colspans (or the legacy hMerge), vMerge restart/continue for rowspans.
    `cell_xml(text)` gives a cell's paragraphs; `row_wrap(xml, index)` may wrap a row (content controls)."""
    from nianbao.report.readers.grid import SpanCell, to_grid

    grid = to_grid([[SpanCell(c.text, c.rowspan, c.colspan) for c in row] for row in rows])
    # which cell covers each position
    origin: dict[tuple[int, int], tuple[int, int, Cell]] = {}
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in origin:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    origin[(r + dr, c + dc)] = (r, c, cell)
            c += cell.colspan
    width = len(grid[0])
    cell_xml = cell_xml or default_cell
    out = ['<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>'
           + '<w:gridCol w:w="800"/>' * width + "</w:tblGrid>"]
    for r in range(len(grid)):
        cells = []
        c = 0
        while c < width:
            r0, c0, cell = origin[(r, c)]
            vmerge = "" if cell.rowspan == 1 else ('<w:vMerge w:val="restart"/>' if r == r0 else "<w:vMerge/>")
            text = cell.text if r == r0 else ""
            body = cell_xml(text)
            if hmerge and cell.colspan > 1:
                for dc in range(cell.colspan):
                    merge = '<w:hMerge w:val="restart"/>' if dc == 0 else '<w:hMerge w:val="continue"/>'
                    cells.append(f"<w:tc><w:tcPr>{merge}{vmerge}</w:tcPr>{body if dc == 0 else w_para()}</w:tc>")
            else:
                span = f'<w:gridSpan w:val="{cell.colspan}"/>' if cell.colspan > 1 else ""
                cells.append(f"<w:tc><w:tcPr>{span}{vmerge}</w:tcPr>{body}</w:tc>")
            c += cell.colspan
        row_xml = "<w:tr>" + "".join(cells) + "</w:tr>"
        out.append(row_wrap(row_xml, r) if row_wrap else row_xml)
    out.append("</w:tbl>")
    return "".join(out)


def docx_body(report: Report, *, table=docx_table, para=None, split=None) -> str:
    """The report's body XML: title, paragraphs and tables in order, the signature at the end."""
    para = para or (lambda text: w_para(text))
    out = [para(report.title)]
    for block in blocks(report):
        out.append(para(block) if isinstance(block, str) else table(block))
    y, m, d = report.date.split("-")
    out += [para(report.agency), para(f"{y}年{int(m)}月{int(d)}日")]
    return "".join(out)


def to_docx_xml(body: str, *, numbering: str = "", styles: str = "") -> bytes:
    """A .docx whose body is `body` (WordprocessingML), packaged by python-docx."""
    import docx as python_docx
    from lxml import etree

    document = python_docx.Document()
    root = etree.fromstring(f"<w:body {NAMESPACES}>{body}</w:body>".encode())
    sect = document.element.body[-1]
    document.element.body.clear()
    for child in root:
        document.element.body.append(child)
    document.element.body.append(sect)
    out = io.BytesIO()
    document.save(out)
    if not numbering and not styles:
        return out.getvalue()
    return _replace_parts(out.getvalue(), {"word/numbering.xml": numbering, "word/styles.xml": styles})


def _replace_parts(data: bytes, parts: dict[str, str]) -> bytes:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if parts.get(item.filename):
                target.writestr(item, parts[item.filename])
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def numbering_xml(levels: list[tuple[str, str]], *, num_ids: tuple[int, ...] = (1,), styled: str = "") -> str:
    """word/numbering.xml with one multi-level list: (numFmt, lvlText) per level; `styled` links level 0 to
    a paragraph style."""
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        + (f'<w:pStyle w:val="{styled}"/>' if styled and i == 0 else "")
        + f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels))
    nums = "".join(f'<w:num w:numId="{n}"><w:abstractNumId w:val="0"/></w:num>' for n in num_ids)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:numbering xmlns:w="{W_NS}">'
            f'<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="multilevel"/>{lvls}</w:abstractNum>'
            f"{nums}</w:numbering>")


def styles_xml(styles: dict[str, str]) -> str:
    """word/styles.xml with paragraph styles (id -> the w:pPr inside)."""
    body = "".join(f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{sid}"/><w:pPr>{ppr}</w:pPr>'
                   "</w:style>" for sid, ppr in styles.items())
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles xmlns:w="{W_NS}">'
            f'<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
            f"{body}</w:styles>")


def to_flat_opc(docx_data: bytes) -> bytes:
    """Word's "Word XML Document" (*.xml): every XML part of the package inside one pkg:package."""
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(docx_data))
    parts = []
    for name in archive.namelist():
        if not name.endswith((".xml", ".rels")) or name == "[Content_Types].xml":
            continue
        xml = archive.read(name).decode("utf-8")
        xml = xml[xml.index("?>") + 2:] if xml.startswith("<?xml") else xml
        kind = "relationships+xml" if name.endswith(".rels") else "xml"
        parts.append(f'<pkg:part pkg:name="/{name}" pkg:contentType="application/vnd.openxmlformats-package.{kind}">'
                     f"<pkg:xmlData>{xml}</pkg:xmlData></pkg:part>")
    return ('<?xml version="1.0" standalone="yes"?>\n<?mso-application progid="Word.Document"?>\n'
            '<pkg:package xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage">'
            + "".join(parts) + "</pkg:package>").encode("utf-8")
