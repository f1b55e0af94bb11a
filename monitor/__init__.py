"""Parse and validate annual reports; monitor agencies (status, events, daemon)."""

from monitor.check import CheckResult, check_bytes, check_document
from monitor.model import Finding, Report
from monitor.parser import NotAReport
from monitor.readers import Document, UnreadableDocument

__all__ = [
    "CheckResult",
    "Document",
    "Finding",
    "NotAReport",
    "Report",
    "UnreadableDocument",
    "check_bytes",
    "check_document",
]
