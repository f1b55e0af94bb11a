"""Fixture writer: lay a structured report (tests/readers/render.py) out on pages, as a printed report,
and write the layout as an OFD package (GB/T 33190) and as its PDF twin.

The layout is one list of drawing operations per page: text lines at a position (baseline, font size)
and ruling lines (every table cell's border). The OFD writes each text line as a TextObject with its
glyph advances in DeltaX (with the standard's "g N d" repetition), each border as a PathObject; the PDF
writes the same lines with a non-embedded Adobe-GB1 font (STSong-Light, UniGB-UCS2-H) whose widths are
the same advances, and the same borders as stroked paths. Units: millimetres, from the page's top-left.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from tests.readers.render import StructuredReport, Table, spans

PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape: the 10-16 column tables fit
MARGIN = 15.0
TEXT_SIZE = 3.5  # mm (about 10 pt)
CELL_SIZE = 2.8
LINE_GAP = 1.5
CELL_PAD = 1.0


@dataclass
class Text:
    x: float
    baseline: float
    size: float
    text: str


@dataclass
class Rule:
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Page:
    items: list[Text | Rule] = field(default_factory=list)


def advance(char: str, size: float) -> float:
    return size if ord(char) >= 0x2E80 else size / 2


def width(text: str, size: float) -> float:
    return sum(advance(c, size) for c in text)


def wrap(text: str, size: float, room: float) -> list[str]:
    lines, line = [], ""
    for char in text:
        if line and width(line + char, size) > room:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines or [""]


class _Layout:
    def __init__(self) -> None:
        self.pages = [Page()]
        self.y = MARGIN

    def room(self, height: float) -> None:
        if self.y + height > PAGE_H - MARGIN:
            self.pages.append(Page())
            self.y = MARGIN

    def paragraph(self, text: str) -> None:
        for line in wrap(text, TEXT_SIZE, PAGE_W - 2 * MARGIN):
            self.room(TEXT_SIZE + LINE_GAP)
            self.y += TEXT_SIZE
            self.pages[-1].items.append(Text(MARGIN, self.y, TEXT_SIZE, line))
            self.y += LINE_GAP

    def table(self, table: Table) -> None:
        grid = spans(table)
        columns = table.width
        # Label columns (left of the numbers) get more room than number columns.
        widths = [3.0 if any(row[c] and row[c].text and not row[c].text.replace(".", "").isdigit()  # type: ignore[union-attr]
                             for row in grid) else 1.0 for c in range(columns)]
        unit = (PAGE_W - 2 * MARGIN) / sum(widths)
        xs = [MARGIN]
        for w in widths:
            xs.append(xs[-1] + w * unit)
        lines = [[wrap(span.text.replace("\n", ""), CELL_SIZE, xs[c + span.colspan] - xs[c] - 2 * CELL_PAD)
                  if span else [] for c, span in enumerate(row)] for row in grid]
        heights = [max([len(cell) for cell, span in zip(row, grid[r], strict=True) if span and span.rowspan == 1]
                       or [1]) * (CELL_SIZE + LINE_GAP) + 2 * CELL_PAD for r, row in enumerate(lines)]
        r = 0
        while r < len(grid):
            # A block of rows no merged cell crosses goes on one page.
            end = r + 1
            while end < len(grid) and any(span and r2 + span.rowspan > end for r2 in range(r, end)
                                          for span in grid[r2]):
                end += 1
            self.room(sum(heights[r:end]))
            self._rows(grid, lines, heights, xs, r, end)
            r = end
        self.y += LINE_GAP * 2

    def _rows(self, grid, lines, heights, xs, start: int, end: int) -> None:  # type: ignore[no-untyped-def]
        page = self.pages[-1]
        tops = [self.y]
        for r in range(start, end):
            tops.append(tops[-1] + heights[r])
        for r in range(start, end):
            for c, span in enumerate(grid[r]):
                if span is None:
                    continue
                x0, x1 = xs[c], xs[c + span.colspan]
                y0, y1 = tops[r - start], tops[r - start + span.rowspan]
                page.items += [Rule(x0, y0, x1, y0), Rule(x0, y1, x1, y1), Rule(x0, y0, x0, y1), Rule(x1, y0, x1, y1)]
                text = lines[r][c]
                block = len(text) * (CELL_SIZE + LINE_GAP)
                baseline = (y0 + y1 - block) / 2 + CELL_SIZE
                for line in text:
                    if line:
                        left = (x0 + x1 - width(line, CELL_SIZE)) / 2  # centred, as report tables are
                        page.items.append(Text(left, baseline, CELL_SIZE, line))
                    baseline += CELL_SIZE + LINE_GAP
        self.y = tops[-1]


def layout(report: StructuredReport) -> list[Page]:
    out = _Layout()
    for block in report.blocks:
        if isinstance(block, Table):
            out.table(block)
        else:
            out.paragraph(block)
    out.paragraph(f"{report.date[:4]}年{int(report.date[5:7])}月{int(report.date[8:])}日")
    return out.pages


# --- OFD -------------------------------------------------------------------------------------------------

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _deltas(text: str, size: float) -> str:
    """DeltaX with runs of equal advances written "g N d", as producers write them."""
    values = [advance(c, size) for c in text[:-1]]
    out: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        out.append(f"g {j - i} {values[i]:g}" if j - i > 1 else f"{values[i]:g}")
        i = j
    return " ".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ofd_page(page: Page, ids: list[int]) -> str:
    objects = []
    for item in page.items:
        ids[0] += 1
        if isinstance(item, Text):
            w = width(item.text, item.size)
            # The object's Boundary holds the line; TextCode positions are relative to its origin.
            bx, by = item.x - 0.5, item.baseline - item.size
            delta = _deltas(item.text, item.size)
            delta_attr = f' DeltaX="{delta}"' if delta else ""
            objects.append(
                f'<ofd:TextObject ID="{ids[0]}" Boundary="{bx:.3f} {by:.3f} {w + 1:.3f} {item.size * 1.3:.3f}" '
                f'Font="2" Size="{item.size:g}"><ofd:FillColor Value="0 0 0"/>'
                f'<ofd:TextCode X="0.5" Y="{item.size:g}"{delta_attr}>{_escape(item.text)}</ofd:TextCode>'
                f"</ofd:TextObject>")
        else:
            x, y = min(item.x0, item.x1), min(item.y0, item.y1)
            objects.append(
                f'<ofd:PathObject ID="{ids[0]}" Boundary="{x:.3f} {y:.3f} {abs(item.x1 - item.x0) + 0.3:.3f} '
                f'{abs(item.y1 - item.y0) + 0.3:.3f}" LineWidth="0.25"><ofd:AbbreviatedData>'
                f"M {item.x0 - x:.3f} {item.y0 - y:.3f} L {item.x1 - x:.3f} {item.y1 - y:.3f}"
                f"</ofd:AbbreviatedData></ofd:PathObject>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Page {NS}><ofd:Content><ofd:Layer ID="{ids[0] + 1}">'
            + "".join(objects) + "</ofd:Layer></ofd:Content></ofd:Page>")


def to_ofd(report: StructuredReport, pages: list[Page] | None = None) -> bytes:
    pages = pages if pages is not None else layout(report)
    ids = [10]
    members = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:OFD {NS} Version="1.0" DocType="OFD">'
                   f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>0a1b2c3d</ofd:DocID><ofd:Title>{_escape(report.title)}"
                   "</ofd:Title></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/PublicRes.xml": f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Res {NS} BaseLoc="Res"><ofd:Fonts>'
                               '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
    }
    page_refs = []
    for n, page in enumerate(pages):
        members[f"Doc_0/Pages/Page_{n}/Content.xml"] = _ofd_page(page, ids)
        page_refs.append(f'<ofd:Page ID="{1000 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>')
    members["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Document {NS}><ofd:CommonData>'
        f"<ofd:MaxUnitID>{ids[0] + 10}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}"
        "</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
        f"<ofd:Pages>{''.join(page_refs)}</ofd:Pages></ofd:Document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode("utf-8"))
    return out.getvalue()


# --- the PDF twin -----------------------------------------------------------------------------------------

_PT = 72 / 25.4


def _pdf_text(item: Text) -> str:
    x, y = item.x * _PT, (PAGE_H - item.baseline) * _PT
    codes = "".join(f"{ord(c):04X}" for c in item.text if ord(c) <= 0xFFFF)
    return f"BT /F1 {item.size * _PT:.3f} Tf {x:.3f} {y:.3f} Td <{codes}> Tj ET\n"


def _pdf_rule(item: Rule) -> str:
    return (f"{item.x0 * _PT:.3f} {(PAGE_H - item.y0) * _PT:.3f} m "
            f"{item.x1 * _PT:.3f} {(PAGE_H - item.y1) * _PT:.3f} l S\n")


def to_pdf(report: StructuredReport, pages: list[Page] | None = None) -> bytes:
    """The same layout as a PDF: UniGB-UCS2-H maps UCS-2 codes to Adobe-GB1 CIDs, and CIDs 1-95 (ASCII)
    are given half the width of the others, the advances the OFD writes."""
    pages = pages if pages is not None else layout(report)
    objects: list[str] = []
    font = len(objects) + 1
    objects.append(f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
                   f"/DescendantFonts [{font + 1} 0 R] >>")
    objects.append(f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
                   f"<< /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor {font + 2} 0 R "
                   f"/DW 1000 /W [1 95 500] >>")
    objects.append("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
                   "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
    kids = []
    pages_id = len(objects) + 1
    objects.append("")  # the page tree, filled below
    for page in pages:
        stream = "0.5 w\n" + "".join(_pdf_text(i) if isinstance(i, Text) else _pdf_rule(i) for i in page.items)
        data = stream.encode("latin-1")
        objects.append(f"<< /Length {len(data)} >>\nstream\n{stream}endstream")
        content = len(objects)
        objects.append(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {PAGE_W * _PT:.2f} {PAGE_H * _PT:.2f}] "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>")
        kids.append(f"{len(objects)} 0 R")
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    objects.append(f"<< /Type /Catalog /Pages {pages_id} 0 R >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {len(objects)} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
