"""One call from bytes to a validated report: read -> parse -> validate."""

from __future__ import annotations

from dataclasses import dataclass

from nianbao.report.model import Finding, Report
from nianbao.report.parser import parse_document
from nianbao.report.readers import Document, read_document
from nianbao.report.validate import validate


@dataclass
class CheckResult:
    report: Report
    findings: list[Finding]
    document: Document

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


def check_document(document: Document) -> CheckResult:
    report = parse_document(document)
    return CheckResult(report, validate(report), document)


def check_bytes(data: bytes, filename: str | None = None) -> CheckResult:
    """Parse and validate one published document. Raises UnreadableDocument (or NotAReport)."""
    return check_document(read_document(data, filename))
