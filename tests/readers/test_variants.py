"""Variants seen on real sites: GBK pages, decorated numbers, tables split over PDF pages, JS-escaped HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.report import check_bytes
from nianbao.report.readers import read_document
from tests.readers.render import (
    StructuredReport,
    Table,
    convert_many,
    parse_seed,
    seed_paths,
    to_docx,
    to_html,
)

CORPUS = Path(__file__).parents[1] / "fixtures" / "corpus"
SEED = seed_paths()[0]


def _tables(data: bytes, name: str) -> dict:
    report = check_bytes(data, name).report.to_dict()
    return {k: report[k] for k in ("year", "agency", "proactive", "applications", "appeals")}


@pytest.mark.timeout(30)
def test_gbk_page_with_meta_charset() -> None:
    report = parse_seed(SEED.read_text(encoding="utf-8"))
    page = to_html(report, charset="gbk")
    with pytest.raises(UnicodeDecodeError):
        page.decode("utf-8")
    document = read_document(page, "index.html")
    assert "政府信息公开" in document.text and document.page_date == report.date
    assert _tables(page, "index.html") == _tables(SEED.read_bytes(), "seed.txt")


def _decorate(cell: str) -> str:
    # Full-width digits and thousands separators as some offices type them.
    if cell.isdigit() and len(cell) > 3:
        return f"{int(cell):,}"
    return cell.translate(str.maketrans("0123456789", "０１２３４５６７８９")) if cell.isdigit() else cell


@pytest.mark.timeout(30)
def test_decorated_numbers_in_html_tables() -> None:
    report = parse_seed(SEED.read_text(encoding="utf-8"))
    for block in report.blocks:
        if isinstance(block, Table):
            block.rows = [[_decorate(c) for c in row] for row in block.rows]
    text = read_document(to_html(report), "a.html").text
    assert "０" in text
    assert _tables(to_html(report), "a.html") == _tables(SEED.read_bytes(), "seed.txt")


@pytest.mark.timeout(30)
def test_units_in_cells_are_kept_verbatim() -> None:
    report = StructuredReport("示例局2020年政府信息公开工作年度报告",
                              [Table([["信息内容", "采购项目数量", "采购总金额"], ["政府集中采购", "17个", "174,360元"]])])
    assert "政府集中采购\t17个\t174,360元" in read_document(to_html(report)).text.split("\n")
    assert "政府集中采购\t17个\t174,360元" in read_document(to_docx(report)).text.split("\n")


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
def test_pdf_table_split_over_pages_with_repeated_header(tmp_path: Path) -> None:
    header = [["信息内容", "本年新收", "总计"], ["", "件", "件"]]
    rows = [[f"第{i}项", str(i), str(i * 2)] for i in range(1, 81)]
    report = StructuredReport("示例局2020年政府信息公开工作年度报告",
                              ["一、总体情况", Table(header + rows), "五、存在的主要问题"])
    source = tmp_path / "split.docx"
    source.write_bytes(to_docx(report))
    (pdf,) = convert_many([source], "pdf", tmp_path / "out")
    lines = read_document(pdf.read_bytes(), "split.pdf").text.split("\n")
    first = lines.index("第1项\t1\t2")
    assert lines[first: first + 80] == ["\t".join(row) for row in rows]  # consecutive, header not repeated
    assert sum(1 for line in lines if line.startswith("信息内容")) == 1


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
def test_pdf_merged_cells_once_and_blank_cells_kept(tmp_path: Path) -> None:
    # The header label 本年新收 is merged over the blank cell to its right (render.spans); the data
    # row's blank is a cell of its own.
    header = ["信息内容", "本年新收", "", "总计"]
    report = StructuredReport("示例局2020年政府信息公开工作年度报告",
                              ["一、总体情况", Table([header, ["行政许可", "5", "", "7"]]), "五、存在的主要问题"])
    source = tmp_path / "merged.docx"
    source.write_bytes(to_docx(report))
    (pdf,) = convert_many([source], "pdf", tmp_path / "out")
    lines = read_document(pdf.read_bytes(), "merged.pdf").text.split("\n")
    assert "信息内容\t本年新收\t总计" in lines
    assert "行政许可\t5\t\t7" in lines


@pytest.mark.timeout(30)
def test_html_from_js_string_with_escaped_quotes() -> None:
    document = read_document((CORPUS / "015_shanghai_city_govoffice_2019.txt").read_bytes())
    assert document.source_format == "html"
    assert document.page_date == "2020-01-31"
    assert "一、本年新收政府信息公开申请数量\t821\t35\t\t\t2\t1\t859"  # merged label once, blanks kept in document.text.split("\n")


@pytest.mark.timeout(60)
def test_real_pdf_tables() -> None:
    text = read_document((CORPUS / "huaian_hongze_district_2023.pdf").read_bytes(), "r.pdf").text
    lines = text.split("\n")
    # The label is merged over three columns: given once, its covered positions left out.
    assert "一、本年新收政府信息公开申请数量\t21\t0\t0\t0\t0\t0\t21" in lines
    # A label merged down three rows comes on the first; the rows below start with their own cells.
    assert "（三）不予公开\t1.属于国家秘密\t1\t0\t0\t0\t0\t0\t1" in lines
    assert "2.其他法律行政止公开\t0\t0\t0\t0\t0\t0\t0" in lines
    assert "10\t1\t0\t0\t0\t0\t0\t0\t0\t0\t5\t0\t0\t0\t0" in lines
    assert not any(line.strip() in ("- 1 -", "- 2 -") for line in lines)
