"""What the spider hands on: report candidates to the pipeline (Scrapy items: plain dataclasses), site
errors to the crawl's figures and the store."""

from __future__ import annotations

from dataclasses import dataclass
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
    # The parts are a page (part 0) and its pictures: joined into one web archive stored as the page's.
    bundle: bool = False
    # What the spider derived from the page (a page that is itself the report may hold pagination).
    links: dict[str, Any] | None = None
    # The exchange that gave the body (its WARC evidence): the status, and the headers the crawler sent.
    status: int | None = 200
    request_headers: dict[str, str] | None = None


@dataclass
class SiteErrorItem:
    """A page that could not be read: recorded as a site error of the agency, never as "no report"."""

    agency_id: str
    url: str
    kind: str  # connection | timeout | http_status | blocked | too_large | parse | other | robots | offsite | budget
    # | private_address
    message: str
    status_code: int | None = None
