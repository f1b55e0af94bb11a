"""What the spider hands to the pipeline. Plain dataclasses (Scrapy accepts them as items)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReportCandidate:
    """A document that may be an annual report of `agency_id` (the pipeline decides, from the content)."""

    agency_id: str
    url: str
    body: bytes
    headers: dict[str, str]
    title: str | None = None
    filename: str | None = None
    year_hint: int | None = None
    # Set for one part of a report split over several attachments: (group url, index, count).
    part_of: tuple[str, int, int] | None = None


@dataclass
class Unchanged:
    """A known report URL answered 304 Not Modified: nothing downloaded, nothing parsed."""

    agency_id: str
    url: str
    report_id: int | None


@dataclass
class SiteErrorItem:
    agency_id: str
    url: str
    kind: str  # connection | timeout | http_status | blocked | too_large | parse | other
    message: str
    status_code: int | None = None


@dataclass
class PageVisited:
    """One page read for an agency (progress and the 'agencies visited' figure)."""

    agency_id: str
    url: str
    extra: dict[str, Any] = field(default_factory=dict)
