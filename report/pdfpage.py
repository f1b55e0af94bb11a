"""Which page of a PDF prints a table: the dashboard opens the stored original at that page, beside the
parsed table, so a flagged cell can be checked against the document in one look."""

from __future__ import annotations

import re

import pypdfium2 as pdfium

from nianbao.report.vocabulary import SECTION_NAMES, keyword

# A page holds part 三's table when it prints the table's first row or its heading.
APPLICATIONS_TABLE = re.compile(keyword("本年新收") + "|" + keyword(SECTION_NAMES[3][2:]))
MAX_PAGES = 300  # a report's table is in its first pages; a huge PDF is not read to the end for this


def _page_of(data: bytes, pattern: re.Pattern[str]) -> int | None:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        for index in range(min(len(document), MAX_PAGES)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                if pattern.search(textpage.get_text_range()):
                    return index + 1
            finally:
                textpage.close()
                page.close()
        return None
    finally:
        document.close()


def table_page(data: bytes) -> int | None:
    """The 1-based page number where part 三's table starts, or None (not a PDF, or not found)."""
    return _page_of(data, APPLICATIONS_TABLE)
