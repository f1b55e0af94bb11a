"""One call from bytes to a validated report: read -> parse -> validate."""

from __future__ import annotations

from dataclasses import dataclass, field

from nianbao.report.limits import Limits
from nianbao.report.model import Finding, Report
from nianbao.report.ocr_marks import mark_cells, mark_doubtful
from nianbao.report.parser import NOT_A_REPORT, PRE_NATIONAL_FORMAT, parse_document
from nianbao.report.readers import Document, read_document
from nianbao.report.readers.ocr import UNREAD
from nianbao.report.validate import validate

# The three tables every report has (二、三、四), by their name in the model.
_TABLES = {"proactive": "第二部分表格", "applications": "第三部分表格", "appeals": "第四部分表格"}


@dataclass
class CheckResult:
    report: Report
    findings: list[Finding]
    document: Document
    # What could not be read (empty when the whole report was read): "checked and fine" needs both this
    # empty and no error finding; a hollow report (headings, no figures) has no error but gaps.
    gaps: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    @property
    def fully_read(self) -> bool:
        return not self.gaps


def reading_gaps(report: Report) -> list[str]:
    """Why the report was not fully read: a table without any figure, rows or parts that could not be read
    (digits replaced by "x", a page missing, a garbled row)."""
    gaps = [f"{name}没有读到数字" for key, name in _TABLES.items() if not getattr(report, key)]
    gaps += [f"{location}：{reason}" for location, reason in report.unreadable.items() if location != "format"]
    return gaps


def check_document(document: Document) -> CheckResult:
    report = parse_document(document)
    if document.ocr_pages:  # a scan: say which figures OCR read, and which findings a misreading may explain
        mark_cells(report, document)
    findings = mark_doubtful(report, validate(report))
    if document.ocr_pages and UNREAD in document.text:
        # The scan's long lines of body text beyond the OCR budget: no check on them may pass for done.
        findings.append(Finding("ocr_text_unread", "warning", "扫描件部分正文未经OCR识读（表格、标题、落款已识读）："
                                "正文中的数字未与表格核对，见正文中的“" + UNREAD + "”", "report"))
    gaps = reading_gaps(report)
    if gaps:  # what the reader could not take in (a picture that would not decode) may be why
        gaps += document.notes
    if gaps and not any(f.rule == "unreadable" for f in findings):
        # A hollow report must not be stored as "no finding": the rule the status page counts as unread.
        findings.append(Finding("unreadable", "warning", "报告未能读全：" + "；".join(gaps[:3]), "report"))
    return CheckResult(report, findings, document, gaps)


def check_bytes(data: bytes, filename: str | None = None, limits: Limits | None = None) -> CheckResult:
    """Parse and validate one published document in this process (report.budget bounds its memory and
    time). Raises UnreadableDocument (or NotAReport)."""
    return check_document(read_with_limits(data, filename, limits or Limits()))


def read_with_limits(data: bytes, filename: str | None, limits: Limits) -> Document:
    """read_document with the limits of one document (its size, pages, inflation and conversion time)."""
    return read_document(data, filename, max_bytes=limits.max_bytes, max_pages=limits.max_pages,
                         max_decompressed=limits.max_decompressed, conversion_timeout=limits.conversion_timeout)


# A document published as the report that could not be read at all. The reasons the readers and the parser
# give (report.readers, report.parser.NotAReport, report.budget), all Chinese, in an overseer's words.
_UNREAD_DOCUMENT = (
    (PRE_NATIONAL_FORMAT, "2019 年以前的报告没有全国统一的表格格式，表格未作校验"),
    (NOT_A_REPORT, "文件中未读出年度报告的表格（可能是无法识读的扫描件，或链接指向的并非报告正文），内容未核对"),
)


def unread_document(reason: str) -> Finding:
    """The finding of a document published as the agency's report (its link says so) that could not be read
    as one: the report counts as published, and what it says as not checked. A warning, as every
    "could not be read" is: nothing is proven against the agency."""
    message = next((words for start, words in _UNREAD_DOCUMENT if reason.startswith(start)),
                   f"文件无法读取，内容未核对：{reason}")
    return Finding("unreadable", "warning", message)
