"""The report library: the bytes of a published report -> document -> model -> findings.

The public names below are loaded on first use (PEP 562), not when the package is imported: settings and the
crawler import small modules of this package (deadlines, limits, titles), and importing the package must not
load the readers and the parser with them (~170 ms at every settings load).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `as` marks each name as re-exported for the type checker
    from nianbao.report.budget import OverBudget as OverBudget
    from nianbao.report.budget import check_in_budget as check_in_budget
    from nianbao.report.budget import read_in_budget as read_in_budget
    from nianbao.report.check import CheckResult as CheckResult
    from nianbao.report.check import check_bytes as check_bytes
    from nianbao.report.check import check_document as check_document
    from nianbao.report.model import Finding as Finding
    from nianbao.report.model import Report as Report
    from nianbao.report.parser import NotAReport as NotAReport
    from nianbao.report.readers import Document as Document
    from nianbao.report.readers import UnreadableDocument as UnreadableDocument

# public name -> the module that defines it
_PUBLIC = {
    "OverBudget": "nianbao.report.budget",
    "check_in_budget": "nianbao.report.budget",
    "read_in_budget": "nianbao.report.budget",
    "CheckResult": "nianbao.report.check",
    "check_bytes": "nianbao.report.check",
    "check_document": "nianbao.report.check",
    "Finding": "nianbao.report.model",
    "Report": "nianbao.report.model",
    "NotAReport": "nianbao.report.parser",
    "Document": "nianbao.report.readers",
    "UnreadableDocument": "nianbao.report.readers",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute
    return value
