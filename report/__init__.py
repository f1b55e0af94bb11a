"""Parse and validate annual reports; monitor agencies (status, events, daemon)."""

from nianbao.report.budget import OverBudget, check_in_budget
from nianbao.report.check import CheckResult, check_bytes, check_document
from nianbao.report.model import Finding, Report
from nianbao.report.parser import NotAReport
from nianbao.report.readers import Document, UnreadableDocument

__all__ = [
    "CheckResult",
    "Document",
    "Finding",
    "NotAReport",
    "OverBudget",
    "Report",
    "UnreadableDocument",
    "check_bytes",
    "check_document",
    "check_in_budget",
]
