"""Captures: the HTTP exchanges that gave each stored version its bytes, kept so that a WARC of them
(storage/warc.py) says only what happened.

A version's first capture is the download that stored it (`response`, or `resource` for bytes that came
by no single exchange: a report joined from its parts, a file imported by hand). Each later crawl that
found the same bytes adds a `revisit` (200 with identical bytes) or `not_modified` (a 304 to a conditional
request): an overseer can show that the report was still published, unchanged, on that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nianbao.storage.models import Agency, Capture, Report, Version

CAPTURE_KINDS = ("response", "revisit", "not_modified", "resource")


@dataclass(frozen=True)
class CaptureRecord:
    """A capture with what its WARC record names: the version's bytes (sha256, size) and its report."""

    id: int
    version_id: int
    kind: str
    url: str
    fetched_at: datetime
    status_code: int | None
    request_headers: dict[str, str] | None
    response_headers: dict[str, str]
    sha256: str
    size: int
    agency_id: str
    agency_name: str
    year: int
    version_number: int


def first_kind(status_code: int | None) -> str:
    """The kind of the capture that stores new bytes."""
    return "resource" if status_code is None else "response"


def add_capture(
    s: Session,
    version_id: int,
    kind: str,
    url: str,
    at: datetime,
    *,
    status_code: int | None = None,
    request_headers: Mapping[str, str] | None = None,
    response_headers: Mapping[str, str] | None = None,
) -> None:
    if kind not in CAPTURE_KINDS:
        raise ValueError(f"unknown capture kind {kind!r}")
    s.add(Capture(version_id=version_id, kind=kind, url=url, fetched_at=at, status_code=status_code,
                  request_headers=dict(request_headers) if request_headers is not None else None,
                  response_headers=dict(response_headers or {})))


def record_revisit(
    s: Session,
    agency_id: str,
    sha256: str,
    url: str,
    at: datetime,
    *,
    status_code: int | None,
    request_headers: Mapping[str, str] | None,
    response_headers: Mapping[str, str] | None,
) -> bool:
    """A recrawl that found bytes the agency already has (a 304 or identical bytes): a revisit of the
    latest version holding them. False when no version holds them (not a report: nothing to prove)."""
    version_id = s.scalar(
        select(Version.id).join(Report, Report.id == Version.report_id)
        .where(Report.agency_id == agency_id, Version.sha256 == sha256)
        .order_by(Report.year.desc(), Version.number.desc()).limit(1)
    )
    if version_id is None:
        return False
    kind = "not_modified" if status_code == 304 else "revisit"
    add_capture(s, version_id, kind, url, at, status_code=status_code, request_headers=request_headers,
                response_headers=response_headers)
    return True


def load_captures(
    s: Session, *, agency_id: str | None = None, report_id: int | None = None, version_id: int | None = None
) -> list[CaptureRecord]:
    """Captures of an agency, a report or a version, version by version, oldest first."""
    query = (
        select(Capture, Version, Report, Agency.name)
        .join(Version, Version.id == Capture.version_id)
        .join(Report, Report.id == Version.report_id)
        .join(Agency, Agency.id == Report.agency_id)
        .order_by(Report.year, Version.number, Capture.fetched_at, Capture.id)
    )
    if agency_id is not None:
        query = query.where(Report.agency_id == agency_id)
    if report_id is not None:
        query = query.where(Report.id == report_id)
    if version_id is not None:
        query = query.where(Version.id == version_id)
    return [_record(c, v, r, name) for c, v, r, name in s.execute(query)]


def _record(c: Capture, v: Version, r: Report, agency_name: str) -> CaptureRecord:
    return CaptureRecord(
        id=c.id, version_id=v.id, kind=c.kind, url=c.url, fetched_at=c.fetched_at, status_code=c.status_code,
        request_headers=_texts(c.request_headers) if c.request_headers is not None else None,
        response_headers=_texts(c.response_headers), sha256=v.sha256, size=v.size, agency_id=r.agency_id,
        agency_name=agency_name, year=r.year, version_number=v.number,
    )


def _texts(headers: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (headers or {}).items()}
