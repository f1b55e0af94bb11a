"""Ruled tables found from pdfium's paths and character boxes, on PDFs drawn here with known geometry."""

from __future__ import annotations

import ctypes
import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from nianbao.report.readers import pdf_layout
from nianbao.report.readers.pdf_layout import find_tables, page_chars, page_edges, text_lines

PAGE_W, PAGE_H = 400.0, 300.0
# A 3 x 3 grid, 60 x 20 pt cells, top-left corner at (20, 250) in PDF space (y up).
COLUMNS = [20.0, 80.0, 140.0, 200.0]
ROWS = [250.0, 230.0, 210.0, 190.0]


class Drawing:
    """A one-page PDF built with pdfium: stroked lines and Helvetica text, saved and reopened as bytes."""

    def __init__(self) -> None:
        self.pdf = pdfium.PdfDocument.new()
        self.page = self.pdf.new_page(PAGE_W, PAGE_H)

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        path = pdfium_c.FPDFPageObj_CreateNewPath(x0, y0)
        pdfium_c.FPDFPath_LineTo(path, x1, y1)
        pdfium_c.FPDFPath_SetDrawMode(path, 0, True)
        pdfium_c.FPDFPage_InsertObject(self.page.raw, path)

    def text(self, x: float, y: float, text: str) -> None:
        obj = pdfium_c.FPDFPageObj_NewTextObj(self.pdf.raw, b"Helvetica", ctypes.c_float(10))
        buffer = ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
        pdfium_c.FPDFPage_InsertObject(self.page.raw, obj)

    def grid(self, *, merge_first_two_of_top_row: bool = False) -> None:
        for y in ROWS:
            self.line(COLUMNS[0], y, COLUMNS[-1], y)
        for i, x in enumerate(COLUMNS):
            # A merged cell: the divider between the first two columns stops below the top row.
            top = ROWS[1] if merge_first_two_of_top_row and i == 1 else ROWS[0]
            self.line(x, top, x, ROWS[-1])

    def cell(self, row: int, column: int, text: str) -> None:
        self.text(COLUMNS[column] + 4, ROWS[row + 1] + 6, text)

    def save(self) -> bytes:
        pdfium_c.FPDFPage_GenerateContent(self.page.raw)
        out = io.BytesIO()
        self.pdf.save(out)
        return out.getvalue()


def _read(data: bytes) -> tuple[list[pdf_layout.PageTable], list[pdf_layout.Char], list[pdf_layout.Edge] | None]:
    document = pdfium.PdfDocument(data)
    page = document[0]
    height = page.get_height()
    chars = page_chars(page.get_textpage(), height)
    edges = page_edges(page, height)
    return (find_tables(edges, chars) if edges else []), chars, edges


def _filled_grid(drawing: Drawing) -> None:
    drawing.cell(0, 0, "Item")
    drawing.cell(0, 2, "Total")
    for row, values in ((1, ("a", "1", "2")), (2, ("b", "", "40"))):
        for column, value in enumerate(values):
            if value:
                drawing.cell(row, column, value)


@pytest.mark.timeout(20)
def test_ruled_table_with_merged_cell_and_blank_cell() -> None:
    drawing = Drawing()
    drawing.grid(merge_first_two_of_top_row=True)
    _filled_grid(drawing)
    drawing.text(20, 270, "Heading above")
    tables, chars, _ = _read(drawing.save())
    assert len(tables) == 1
    # The merged cell is reported once (None where it covers), the blank cell as "".
    assert tables[0].rows == [["Item", None, "Total"], ["a", "1", "2"], ["b", "", "40"]]
    outside = pdf_layout.outside(chars, [tables[0].bbox])
    assert [text for _, text in text_lines(outside)] == ["Heading above"]


@pytest.mark.timeout(20)
def test_table_inside_a_scaled_form_xobject() -> None:
    """Rulings drawn in a form XObject (N-up pages, stamped templates) go through the form's matrix."""
    drawing = Drawing()
    drawing.grid()
    _filled_grid(drawing)
    source = pdfium.PdfDocument(drawing.save())
    target = pdfium.PdfDocument.new()
    page = target.new_page(PAGE_W, PAGE_H)
    form = source.page_as_xobject(0, target).as_pageobject()
    form.transform(pdfium.PdfMatrix().scale(0.5, 0.5).translate(100, 20))
    page.insert_obj(form)
    page.gen_content()
    out = io.BytesIO()
    target.save(out)
    tables, _, edges = _read(out.getvalue())
    assert edges is not None
    xs = sorted({round(e.at, 1) for e in edges if e.vertical})
    assert xs == [round(100 + x / 2, 1) for x in COLUMNS]
    assert tables[0].rows == [["Item", "", "Total"], ["a", "1", "2"], ["b", "", "40"]]


@pytest.mark.timeout(20)
def test_words_split_at_gaps_and_spaces_only() -> None:
    drawing = Drawing()
    drawing.text(20, 100, "12 34")  # a real space
    drawing.text(100, 100, "56")
    drawing.text(111.5, 100, "78")  # 56 ends near 111.1: a gap under 3 pt joins the words
    drawing.text(200, 100, "9")  # far: a new word
    _, chars, _ = _read(drawing.save())
    assert [text for _, text in text_lines(chars)] == ["12 34 5678 9"]


@pytest.mark.timeout(30)
def test_too_many_path_segments_are_ignored_not_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_layout, "MAX_SEGMENTS", 50)
    drawing = Drawing()
    for i in range(60):
        drawing.line(10, 10 + i, 300, 10 + i)
    _, _, edges = _read(drawing.save())
    assert edges is None


@pytest.mark.timeout(30)
def test_a_mesh_of_rulings_is_not_searched_for_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_layout, "MAX_CROSSINGS", 100)
    drawing = Drawing()
    for i in range(12):  # 12 x 12 lines cross 144 times
        drawing.line(10, 10 + 20 * i, 300, 10 + 20 * i)
        drawing.line(10 + 20 * i, 10, 10 + 20 * i, 290)
    drawing.text(15, 15, "1")
    tables, _, edges = _read(drawing.save())
    assert edges is not None and len(edges) == 24
    assert tables == []


# --- page numbers -----------------------------------------------------------------------------------


def _pages(*pages: list[str]) -> list[list]:
    from nianbao.report.readers.pdf import Block

    return [[Block(0.0, lines)] for lines in pages]


def test_bare_numbers_that_count_the_pages_are_page_numbers() -> None:
    from nianbao.report.readers.pdf import _join_pages

    text, _confidences = _join_pages(_pages(["标题", "正文", "1"], ["正文", "2"], ["正文", "3"]))
    assert text == ["标题", "正文", "正文", "正文"]


def test_table_cells_ending_a_page_are_kept() -> None:
    """Cell-per-line text: a page that ends with a row's last cells ("0", "15") keeps them."""
    from nianbao.report.readers.pdf import _join_pages

    text, _confidences = _join_pages(_pages(["一、本年新收", "15", "0", "0", "15"], ["二、上年结转", "0", "0"], ["正文"]))
    assert text == ["一、本年新收", "15", "0", "0", "15", "二、上年结转", "0", "0", "正文"]


def test_decorated_page_numbers_go_wherever_they_stand() -> None:
    from nianbao.report.readers.pdf import _join_pages

    assert _join_pages(_pages(["- 1 -", "正文", "第 1 页 共 1 页"])) == (["正文"], {})


def test_a_rendered_cell_per_line_report_keeps_the_cells_at_page_ends() -> None:
    """The demo's PDF (LibreOffice, one paragraph per cell): rows broken by a page end read whole."""
    from pathlib import Path

    from nianbao.report import check_bytes

    data = (Path(__file__).resolve().parents[2] / "nianbao" / "app" / "demo_farm" / "dongguan_2020.pdf").read_bytes()
    result = check_bytes(data, "dongguan_2020.pdf")
    assert result.report.applications["new_received"] == {
        "natural_person": 15, "commercial": 0, "research": 0, "social_org": 0, "legal_service": 0,
        "other_org": 0, "total": 15}
    assert result.report.unreadable == {}
    assert result.findings == []


def test_an_ocr_cell_with_a_stray_character_keeps_its_number_and_is_marked_doubtful() -> None:
    """A seal's remains read as "特" beside a 4: the 4 is kept at low confidence; units and labels are left."""
    from nianbao.report.readers.pdf import _capped, _without_stray_marks

    rows, noisy = _without_stray_marks([["1.本机关不掌握相关政府信息", "4特", "42 办", "5件", "见附件", None]])
    assert rows == [["1.本机关不掌握相关政府信息", "4", "42", "5件", "见附件", None]]
    assert noisy == {(0, 1), (0, 2)}
    assert _capped(0.99, True) == 0.5 and _capped(None, True) == 0.5 and _capped(0.99, False) == 0.99
