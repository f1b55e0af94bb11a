"""What one crawl found, counted on the reactor thread (the spider and the pipeline share one object)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CrawlStats:
    agencies_visited: set[str] = field(default_factory=set)
    reports_new: int = 0
    reports_changed: int = 0
    unchanged_reports: set[int] = field(default_factory=set)
    not_reports: int = 0
    other_agency: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    saved: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0  # responses received (pages, documents, 304s): what moves while a big site is read
    # Called after every change (run.py's progress lines); not part of the figures.
    on_change: Callable[[CrawlStats], None] | None = field(default=None, repr=False, compare=False)

    def visited(self, agency_id: str) -> None:
        self.agencies_visited.add(agency_id)
        self.changed()

    def unchanged(self, agency_id: str, report_id: int | None) -> None:
        self.agencies_visited.add(agency_id)
        if report_id is not None:
            self.unchanged_reports.add(report_id)
        self.changed()

    def error(self, error: dict[str, Any]) -> None:
        self.agencies_visited.add(error["agency_id"])  # visited, and failing: never "no report"
        self.errors.append(error)
        self.changed()

    def page(self) -> None:
        self.pages += 1
        self.changed()

    def changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("on_change")
        data["agencies_visited"] = sorted(self.agencies_visited)
        data["reports_unchanged"] = len(self.unchanged_reports)
        data.pop("unchanged_reports")
        return data
