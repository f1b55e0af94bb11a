"""Reading reports, versions and findings back (listing with counts, one report, one version)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from nianbao.storage.models import Agency, Finding, Report, Version


@dataclass(frozen=True)
class ReportSummary:
    report_id: int
    agency_id: str
    agency_name: str
    region: str
    kind: str
    year: int
    title: str | None
    url: str | None  # of the latest version
    versions: int
    first_seen: datetime
    last_seen: datetime
    error_count: int  # of the latest version
    warning_count: int
    latest_version_id: int | None
    latest_sha256: str | None
    published_date: date | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("first_seen", "last_seen", "published_date"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


def list_reports(s: Session, agency_ids: Iterable[str] | None = None, year: int | None = None) -> list[ReportSummary]:
    counts = (
        select(Version.report_id, func.count(Version.id).label("n"), func.max(Version.number).label("latest"))
        .group_by(Version.report_id)
        .subquery()
    )
    query = (
        select(Report, Agency, counts.c.n, counts.c.latest)
        .join(Agency, Agency.id == Report.agency_id)
        .outerjoin(counts, counts.c.report_id == Report.id)
        .order_by(Report.agency_id, Report.year)
    )
    if agency_ids is not None:
        query = query.where(Report.agency_id.in_(list(agency_ids)))
    if year is not None:
        query = query.where(Report.year == year)
    rows = s.execute(query).all()
    latest = _latest_versions(s, [(r.id, n) for r, _, _, n in rows if n])
    return [_summary(report, agency, n or 0, latest.get(report.id)) for report, agency, _c, n in rows]


@dataclass
class AgencyModel:
    """An agency of a region with the parsed model of its report's latest version for one year (None:
    no report stored, or none parsed)."""

    id: str
    name: str
    region: str
    kind: str
    model: dict[str, Any] | None


def region_models(s: Session, region: str, year: int) -> list[AgencyModel]:
    """Every active agency of `region` with its latest model of `year`: what a government's report is
    checked against (its departments' reports), including the departments that have none yet."""
    latest = (
        select(Version.report_id, func.max(Version.number).label("number"))
        .join(Report, Report.id == Version.report_id)
        .join(Agency, Agency.id == Report.agency_id)
        .where(Agency.region == region, Report.year == year)
        .group_by(Version.report_id)
        .subquery()
    )
    rows = s.execute(
        select(Report.agency_id, Version.model)
        .join(Version, Version.report_id == Report.id)
        .join(latest, (latest.c.report_id == Version.report_id) & (latest.c.number == Version.number))
    ).all()
    models: dict[str, dict[str, Any] | None] = {agency_id: model for agency_id, model in rows}
    agencies = s.scalars(select(Agency).where(Agency.region == region, Agency.active.is_(True)).order_by(Agency.id))
    return [AgencyModel(a.id, a.name, a.region, a.kind, models.get(a.id)) for a in agencies]


def get_report(s: Session, agency_id: str, year: int) -> Report | None:
    return s.scalar(select(Report).where(Report.agency_id == agency_id, Report.year == year))


def get_versions(s: Session, report_id: int) -> list[Version]:
    return list(s.scalars(select(Version).where(Version.report_id == report_id).order_by(Version.number)))


def get_findings(s: Session, version_id: int) -> list[Finding]:
    return list(s.scalars(select(Finding).where(Finding.version_id == version_id).order_by(Finding.id)))


def _latest_versions(s: Session, keys: list[tuple[int, int]]) -> dict[int, Version]:
    found: dict[int, Version] = {}
    # Chunked: some backends cap the number of bound parameters per statement.
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        query = select(Version).where(tuple_(Version.report_id, Version.number).in_(chunk))
        for version in s.scalars(query):
            found[version.report_id] = version
    return found


def _summary(report: Report, agency: Agency, versions: int, latest: Version | None) -> ReportSummary:
    return ReportSummary(
        report_id=report.id,
        agency_id=report.agency_id,
        agency_name=agency.name,
        region=agency.region,
        kind=agency.kind,
        year=report.year,
        title=report.title,
        url=latest.url if latest else None,
        versions=versions,
        first_seen=report.first_seen,
        last_seen=report.last_seen,
        error_count=latest.error_count if latest else 0,
        warning_count=latest.warning_count if latest else 0,
        latest_version_id=latest.id if latest else None,
        latest_sha256=latest.sha256 if latest else None,
        published_date=latest.published_date if latest else None,
    )
