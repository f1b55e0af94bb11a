"""Fixture generator: turn a seed report (text) into a structured report and render it as the formats
sites publish: an HTML page inside a site template, DOCX, and (through LibreOffice) DOC, WPS and PDF.

The seeds are flattened text in two shapes (see tests/fixtures/seeds/README.md): "row per line" (cells
separated by TAB) and "cell per line" (each cell a line starting with TAB, rows separated by blank
lines, a cell's text may continue on the next line). Both become `Table.rows`. Header cells are merged
(rowspan/colspan) over the blank cells next to them, as real reports do; the readers must give the
blanks back, so rendering then reading reproduces the seed's grid.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
import jinja2
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

NUMBER = re.compile(r"^\s*[+\-]?[\d０-９][\d０-９,，.]*\s*(个|元|件|项|万元)?\s*$")


@dataclass
class Span:
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Table:
    rows: list[list[str]]

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    def padded(self) -> list[list[str]]:
        return [row + [""] * (self.width - len(row)) for row in self.rows]


@dataclass
class StructuredReport:
    title: str
    blocks: list[str | Table] = field(default_factory=list)
    date: str = "2021-01-28"


# --- seed text -> structured report -----------------------------------------------------------------

def parse_seed(text: str) -> StructuredReport:
    lines = text.replace("\r\n", "\n").split("\n")
    cell_per_line = _is_cell_per_line(lines)
    blocks: list[str | Table] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "\t" in line:
            table, i = (_read_cell_table if cell_per_line else _read_row_table)(lines, i)
            if table.rows:
                blocks.append(table)
            continue
        if line.strip():
            blocks.append(line.strip())
        i += 1
    title = next(b for b in blocks if isinstance(b, str))
    return StructuredReport(title=title, blocks=blocks)


def _is_cell_per_line(lines: list[str]) -> bool:
    single = sum(1 for line in lines if re.fullmatch(r"\t[^\t]*", line))
    multi = sum(1 for line in lines if "\t" in line and not re.fullmatch(r"\t[^\t]*", line))
    return single > multi


def _read_row_table(lines: list[str], i: int) -> tuple[Table, int]:
    rows = []
    while i < len(lines) and "\t" in lines[i]:
        rows.append([cell.strip() for cell in lines[i].split("\t")])
        i += 1
    return Table(rows), i


def _read_cell_table(lines: list[str], i: int) -> tuple[Table, int]:
    """Cells are '\\tTEXT' lines, a line without TAB right after a cell continues it, a blank line ends
    a row; the table ends at a line of text after a blank line."""
    rows: list[list[str]] = []
    row: list[str] = []
    while i < len(lines):
        line = lines[i]
        if line.startswith("\t"):
            row.append(line[1:])
        elif line.strip() and row and i > 0 and lines[i - 1].startswith("\t"):
            row[-1] += "\n" + line
        elif not line.strip():
            if row:
                rows.append(row)
                row = []
            if i + 1 < len(lines) and lines[i + 1].strip() and not lines[i + 1].startswith("\t"):
                i += 1
                break
        else:
            break
        i += 1
    if row:
        rows.append(row)
    return Table([[_clean(c) for c in r] for r in rows]), i


def _clean(cell: str) -> str:
    parts = [re.sub(r"[ \u2002\u3000\xa0]+", " ", p).strip() for p in cell.split("\n")]
    return "\n".join(p for p in parts if p)


# --- merged cells ---------------------------------------------------------------------------------

def spans(table: Table) -> list[list[Span | None]]:
    """Merge each label over the blank cells to its right and below, like real report tables.
    None marks a covered position. Numbers and blank data cells are never merged."""
    grid = table.padded()
    height, width = len(grid), table.width
    out: list[list[Span | None]] = [[Span(c) for c in row] for row in grid]
    covered = [[False] * width for _ in range(height)]
    for r in range(height):
        limit_r = _label_limit(grid[r])
        for c in range(width):
            if covered[r][c] or not grid[r][c] or NUMBER.match(grid[r][c]) or c >= limit_r:
                continue
            colspan = 1
            while c + colspan < limit_r and not grid[r][c + colspan] and not covered[r][c + colspan]:
                colspan += 1
            rowspan = 1
            # Word stores a cell merged both ways as a gridSpan in every row of a vMerge; LibreOffice
            # lays such rows out on shifted grids, so merge one way only (as most offices do).
            while colspan == 1 and r + rowspan < height and _can_cover(grid, covered, r, r + rowspan, c, 1):
                rowspan += 1
            span = out[r][c]
            assert span is not None
            span.rowspan, span.colspan = rowspan, colspan
            for dr in range(rowspan):
                for dc in range(colspan):
                    if dr or dc:
                        covered[r + dr][c + dc] = True
                        out[r + dr][c + dc] = None
    return out


def _label_limit(row: list[str]) -> int:
    """Cells left of the first number are labels; a row without numbers is a header row."""
    return next((i for i, cell in enumerate(row) if NUMBER.match(cell)), len(row))


def _can_cover(grid: list[list[str]], covered: list[list[bool]], r: int, below: int, c: int, colspan: int) -> bool:
    same_kind = (_label_limit(grid[r]) == len(grid[r])) == (_label_limit(grid[below]) == len(grid[below]))
    if not same_kind or c + colspan > _label_limit(grid[below]) or not any(grid[below]):
        return False
    return all(not grid[below][c + dc] and not covered[below][c + dc] for dc in range(colspan))


# --- HTML -----------------------------------------------------------------------------------------

PAGE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""\
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={{ charset }}">
<meta name="PubDate" content="{{ report.date }} 09:30">
<meta name="ArticleTitle" content="{{ report.title }}">
<title>{{ report.title }}_政府信息公开_示例市人民政府门户网站</title>
<style>.nav a{margin:0 8px} table{border-collapse:collapse}</style>
<script>var _hmt = _hmt || []; document.write("<div>统计代码</div>");</script>
</head>
<body>
<div class="top"><a href="/">示例市人民政府门户网站</a> <a href="/en">English</a> 无障碍 | 长者模式</div>
<div class="nav"><a href="/">首页</a><a href="/zwgk">政务公开</a><a href="/bsfw">办事服务</a>
<a href="/hdjl">互动交流</a><a href="/zjsl">走进示例</a></div>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 政府信息公开年度报告</div>
<div class="main">
 <div class="sidebar"><h3>相关链接</h3><ul>
 {% for i in range(8) %}<li><a href="/n{{ i }}">示例市{{ 2014 + i }}年政府信息公开工作年度报告</a></li>{% endfor %}
 </ul></div>
 <div class="article">
  <h1 class="title">{{ report.title }}</h1>
  <div class="info">发布时间：{{ report.date }}　来源：示例市统计局　浏览次数：1234</div>
  <div class="TRS_Editor" id="zoom">
  {% for block in blocks %}{% if block.rows is defined %}
  <table border="1" cellspacing="0" cellpadding="0" width="100%" style="border-collapse:collapse">
  <tbody>{% for row in block.rows %}
   <tr>{% for cell in row %}{% if cell %}<td{% if cell.rowspan > 1 %} rowspan="{{ cell.rowspan }}"{% endif %}{% if cell.colspan > 1 %} colspan="{{ cell.colspan }}"{% endif %} valign="middle"><p style="text-align:center"><span style="font-size:14px">{% for part in cell.text.split("\\n") %}{% if not loop.first %}<br/>{% endif %}{{ part }}{% endfor %}</span></p></td>{% endif %}{% endfor %}</tr>{% endfor %}
  </tbody></table>
  {% else %}<p style="text-indent:2em">{{ block }}</p>
  {% endif %}{% endfor %}
  </div>
  <div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> 【打印本页】【关闭窗口】</div>
 </div>
</div>
<div class="footer">主办单位：示例市人民政府办公室　网站标识码：4400000001　粤ICP备00000000号<br/>
<script>document.write("访问量");</script></div>
</body>
</html>
""")


@dataclass
class _HtmlTable:
    rows: list[list[Span | None]]


def to_html(report: StructuredReport, charset: str = "utf-8") -> bytes:
    # The title is the page's <h1>; the article body holds the rest.
    body = report.blocks[1:] if report.blocks and report.blocks[0] == report.title else report.blocks
    blocks = [_HtmlTable(spans(b)) if isinstance(b, Table) else b for b in body]
    page = PAGE.render(report=report, blocks=blocks, charset=charset)
    return page.encode("gb18030" if charset.lower() in ("gbk", "gb2312", "gb18030") else charset)


# --- DOCX -----------------------------------------------------------------------------------------

def to_docx(report: StructuredReport, *, repeat_header: bool = True) -> bytes:
    document = docx.Document()
    _page_setup(document)
    heading = document.add_paragraph()
    heading.add_run(report.title).bold = True
    for block in report.blocks[1:] if report.blocks and report.blocks[0] == report.title else report.blocks:
        if isinstance(block, Table):
            _add_table(document, block, repeat_header=repeat_header)
        else:
            document.add_paragraph(block)
    # A table that ends the body is lost when LibreOffice saves .doc: always end with a paragraph.
    document.add_paragraph(f"示例市统计局　{report.date[:4]}年{int(report.date[5:7])}月{int(report.date[8:])}日")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page_setup(document: docx.document.Document) -> None:
    style = document.styles["Normal"]
    style.font.size = Pt(9)
    style.font.name = "Noto Sans CJK SC"
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Noto Sans CJK SC")
    section = document.sections[0]
    # Landscape, as many offices print the 10-16 column tables: long header labels stay in their cell.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(1.5)


def _add_table(document: docx.document.Document, table: Table, *, repeat_header: bool) -> None:
    layout = spans(table)
    word_table = document.add_table(rows=len(layout), cols=table.width)
    word_table.style = "Table Grid"
    for r, row in enumerate(layout):
        for c, span in enumerate(row):
            if span is None:
                continue
            cell = word_table.cell(r, c)
            if span.rowspan > 1 or span.colspan > 1:
                cell = cell.merge(word_table.cell(r + span.rowspan - 1, c + span.colspan - 1))
            lines = span.text.split("\n")
            cell.paragraphs[0].text = lines[0]
            for extra in lines[1:]:
                cell.add_paragraph(extra)
    for row in word_table.rows:
        # Rows that may not break across pages, so a page break falls between rows.
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    if repeat_header:
        for r, row in enumerate(table.padded()):
            if _label_limit(row) < len(row):
                break
            _mark_header(word_table.rows[r])


def _mark_header(row: docx.table._Row) -> None:
    # Rows flagged tblHeader repeat at the top of every page the table continues on.
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


# --- LibreOffice conversions ----------------------------------------------------------------------

ENCRYPTED_PDF = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
                 '"DocumentOpenPassword":{"type":"string","value":"x"}}')


def convert_many(sources: list[Path], target: str, outdir: Path, timeout: float = 240) -> list[Path]:
    """Convert several files in one LibreOffice run (start-up dominates the cost of one file)."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="nianbao-lo-test-"))
    try:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", str(outdir), *map(str, sources)],
            check=True, timeout=timeout, capture_output=True,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    extension = target.split(":")[0]
    return [outdir / f"{source.stem}.{extension}" for source in sources]


def seed_paths() -> list[Path]:
    return sorted((Path(__file__).parents[1] / "fixtures" / "seeds").glob("0*.txt"))
