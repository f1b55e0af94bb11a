"""PDFs as the producers agencies use write them: a report page printed by headless Chromium (plain, with
letter-spaced cells, with narrow columns that wrap numbers), a DOCX converted by LibreOffice, and scans
with a hidden text layer (a good one is used as is; a garbled one is ignored and the scan read by OCR).
Every cell of parts 二, 三 and 四 must come back.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from nianbao.report.check import CheckResult, check_bytes
from nianbao.report.model import get_path
from nianbao.report.walk import iter_cells
from tests.readers.producers import Report, docx_body, expected, to_docx_xml
from tests.readers.render import convert_many
from tests.readers.scanned import CLEAN, consistent_report, print_pdf, report_page, scan_pages

REPORT = consistent_report(7)
# CSS seen on government article pages.
CHROMIUM_STYLES = {
    "plain": "",
    "letter-spaced cells": "td{letter-spacing:3px}",
    "narrow columns that break numbers": "td{word-break:break-all} table{width:60%}",
}


def misread(result: CheckResult, report: Report = REPORT) -> list[str]:
    model = result.report.to_dict()
    return [f"{cell.path}: {cell.value} != {get_path(model, cell.path)}"
            for cell in iter_cells(expected(report)) if get_path(model, cell.path) != cell.value]


@pytest.mark.browser
@pytest.mark.parametrize("style", CHROMIUM_STYLES)
def test_a_page_printed_by_chromium_is_read_cell_for_cell(style: str) -> None:
    result = check_bytes(print_pdf(report_page(REPORT, CHROMIUM_STYLES[style])), "printed.pdf")
    assert misread(result) == []
    assert result.document.ocr_pages == []


@pytest.mark.libreoffice
def test_a_docx_converted_by_libreoffice_is_read_cell_for_cell() -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = Path(tempfile.mkdtemp(prefix="nianbao-printed-"))
    try:
        source = folder / "report.docx"
        source.write_bytes(_landscape(to_docx_xml(docx_body(REPORT))))
        [pdf] = convert_many([source], "pdf", folder / "out")
        result = check_bytes(pdf.read_bytes(), "report.pdf")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert misread(result) == []


def _landscape(data: bytes) -> bytes:
    """Landscape A4, as reports with the 15 columns of table 四 are laid out."""
    import docx as python_docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    document = python_docx.Document(io.BytesIO(data))
    for section in document.sections:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21)
        section.left_margin = section.right_margin = Cm(1.5)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _scan_over(text_layer: bytes, scan_source: bytes) -> bytes:
    """The pages of `text_layer` with the scan of `scan_source` drawn over each: what OCR software makes
    (the picture shows, the text under it is found by search and copy)."""
    document = pdfium.PdfDocument(text_layer)
    for index, image in enumerate(scan_pages(scan_source, CLEAN)):
        page = document[index]
        picture = pdfium.PdfImage.new(document)
        bitmap = pdfium.PdfBitmap.from_pil(image)
        picture.set_bitmap(bitmap)
        picture.set_matrix(pdfium.PdfMatrix().scale(page.get_width(), page.get_height()))
        page.insert_obj(picture)
        page.gen_content()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.browser
def test_a_scan_with_a_good_hidden_text_layer_is_read_from_the_text_layer() -> None:
    printed = print_pdf(report_page(REPORT))
    result = check_bytes(_scan_over(printed, printed), "ocr-layer.pdf")
    assert misread(result) == []
    assert result.document.ocr_pages == []  # no OCR: the text layer was trusted


@pytest.mark.browser
def test_a_scan_with_a_garbled_hidden_text_layer_is_read_by_ocr() -> None:
    printed = print_pdf(report_page(REPORT))
    # An OCR layer stored in the wrong encoding: GBK bytes shown as Latin-1 letters.
    garbled_text = REPORT.title.encode("gbk").decode("latin-1") * 40
    garbage = print_pdf(f"<p style='font-size:9px'>{garbled_text}</p><p style='break-before:page'>"
                        f"{garbled_text}</p>".encode())
    result = check_bytes(_scan_over(garbage, printed), "garbled-layer.pdf")
    assert result.document.ocr_pages == [1, 2]
    assert misread(result) == []


CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.mark.parametrize("name", ["huaian_city_2024.pdf", "huaian_hongze_district_2023.pdf"])
def test_real_pdfs_written_by_wps_are_read_in_full(name: str) -> None:
    """The two published PDFs of the corpus were written by WPS 文字 (their metadata says so): every cell
    of parts 二, 三 and 四 is read, and the only errors are the real ones of the hongze report's part 四."""
    data = (CORPUS / name).read_bytes()
    assert "WPS" in pdfium.PdfDocument(data).get_metadata_dict().get("Creator", "")
    result = check_bytes(data, name)
    assert [cell.path for cell in iter_cells(result.report) if cell.value is None] == []
    errors = sorted(f.rule for f in result.findings if f.severity == "error")
    assert errors == ([] if name == "huaian_city_2024.pdf" else ["appeals_total", "appeals_total"])


def test_a_wps_pdf_gives_the_figures_it_prints() -> None:
    """Part 三's totals row and part 四 as printed in huaian_city_2024.pdf."""
    model = check_bytes((CORPUS / "huaian_city_2024.pdf").read_bytes(), "r.pdf").report.to_dict()
    assert list(get_path(model, "applications.total_handled").values()) == [2932, 53, 0, 0, 61, 4, 3050]
    assert list(get_path(model, "appeals.review").values()) == [72, 64, 178, 37, 351]
    assert list(get_path(model, "appeals.litigation_after_review").values()) == [12, 1, 1, 6, 20]
