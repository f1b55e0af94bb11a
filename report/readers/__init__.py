"""Readers turn the bytes of a published document into a `Document`: plain text in reading order.

Contract shared by every reader (the parser depends on nothing else):
- Paragraphs become lines.
- A table row becomes one line whose cells are separated by TAB; a merged (rowspan/colspan) cell is
  emitted once, at its top-left position, never repeated (repeating would invent numbers).
- A blank cell stays as an empty field between tabs, so blank is distinguishable from absent.
- Pages of PDFs are concatenated in order; page headers/footers may remain.
- A document that cannot be read raises `UnreadableDocument` with a one-line reason.

`read_document` sniffs the format from the bytes (magic numbers first, file name second).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class UnreadableDocument(Exception):
    """The input cannot be read as a report; str(exc) is a one-line reason for the user."""


@dataclass
class Document:
    text: str
    source_format: str  # "text" | "html" | "docx" | "doc" | "wps" | "pdf"
    # Publication date shown by the page around the report (e.g. 发布时间 or a <meta> tag), ISO.
    page_date: str | None = None
    # Title shown by the page (e.g. <title> or <h1>), if any.
    page_title: str | None = None
    # What the reader could not take in, in Chinese (a picture of a web page it could not have or decode):
    # given with the gaps of a report that is not fully read (report.check).
    notes: list[str] = field(default_factory=list)
    # Read by OCR (report/readers/ocr.py): the page numbers (from 1), and the confidence of each table cell
    # read so, by (line of `text`, TAB field of that line).
    ocr_pages: list[int] = field(default_factory=list)
    ocr_cells: dict[tuple[int, int], float] = field(default_factory=dict)


from nianbao.report.readers.dispatch import read_document  # noqa: E402

__all__ = ["Document", "UnreadableDocument", "read_document"]
