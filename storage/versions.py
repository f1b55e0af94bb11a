"""Versions: one transaction stores a version, its findings, the year-chain links and its event.

Storage never parses. The caller hands over what its parser made of the bytes (ParsedContent) and the
year-chain rule (a callable on two stored models): the rule needs the neighbouring years' models, which
only this transaction sees consistently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from nianbao.storage import evidence
from nianbao.storage.events import add_event
from nianbao.storage.fetches import record_document_fetch
from nianbao.storage.models import Agency, Finding, Report, Version

# The year-chain rule: findings on the later of two consecutive years' models (report.validate.year_chain,
# on dicts). The caller passes it; storage applies it to whatever neighbours the database holds.
YearChain = Callable[[dict[str, Any], dict[str, Any]], list[dict[str, Any]]]
YEAR_CHAIN_RULE = "year_chain"


class UnknownAgency(KeyError):
    """save_version/… named an agency that sync_agencies never stored."""


@dataclass(frozen=True)
class ParsedContent:
    """What the caller's parser made of a document. `unreadable` (a reason) when it is not a report;
    `model` None when the parser failed (the bytes are still kept, with the failure as a finding)."""

    model: dict[str, Any] | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    year: int | None = None
    title: str | None = None
    source_format: str | None = None
    published_date: date | None = None
    unreadable: str | None = None


@dataclass(frozen=True)
class SaveResult:
    outcome: str  # new_report | new_version | unchanged | unreadable
    report_id: int | None
    version_id: int | None
    year: int | None
    reason: str | None = None
    sha256: str | None = None
    number: int | None = None  # the version number stored or matched
    error_count: int = 0
    warning_count: int = 0


def _unchanged(version: Version, report: Report) -> SaveResult:
    return SaveResult("unchanged", report.id, version.id, report.year, sha256=version.sha256,
                      number=version.number, error_count=version.error_count,
                      warning_count=version.warning_count)


@dataclass(frozen=True)
class Exchange:
    """What the HTTP exchange besides the response headers was (for its capture: storage/evidence.py).
    `status_code` None: the bytes came by no single exchange."""

    status_code: int | None = None
    request_headers: dict[str, str] | None = None


# --- bytes already stored ----------------------------------------------------------------------------


def _known_query(agency_id: str, sha: str) -> Any:
    return (
        select(Version, Report)
        .join(Report, Report.id == Version.report_id)
        .where(Report.agency_id == agency_id, Version.sha256 == sha)
        .order_by(Report.year.desc())
        .limit(1)
    )


def is_known(s: Session, agency_id: str, sha: str) -> bool:
    """Whether the agency has a version with these bytes (read only: no write lock needed)."""
    return s.execute(_known_query(agency_id, sha)).first() is not None


def touch_known(
    s: Session, agency_id: str, sha: str, url: str, headers: Mapping[str, str], fetched_at: datetime,
    exchange: Exchange | None = None,
) -> SaveResult | None:
    """Bytes already stored for this agency are `unchanged`: the report was seen again, at `url`."""
    row = s.execute(_known_query(agency_id, sha)).first()
    if row is None:
        return None
    version, report = row
    report.last_seen = max(report.last_seen, fetched_at)
    record_document_fetch(s, url, agency_id, headers, sha, report.id, fetched_at)
    _revisit(s, version, url, headers, fetched_at, exchange or Exchange())
    return _unchanged(version, report)


def _revisit(s: Session, version: Version, url: str, headers: Mapping[str, str], at: datetime,
             exchange: Exchange) -> None:
    kind = "not_modified" if exchange.status_code == 304 else "revisit"
    evidence.add_capture(s, version.id, kind, url, at, status_code=exchange.status_code,
                         request_headers=exchange.request_headers, response_headers=headers)


# --- a new version ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewBytes:
    """A document save_version is storing: its blob is written, its rows are not yet."""

    agency_id: str
    year: int
    sha: str
    size: int
    url: str
    headers: dict[str, str]
    fetched_at: datetime
    title: str | None
    run_id: int | None
    exchange: Exchange = field(default_factory=Exchange)


def save_in_session(s: Session, doc: NewBytes, parsed: ParsedContent, year_chain: YearChain | None) -> SaveResult:
    if s.get(Agency, doc.agency_id) is None:
        raise UnknownAgency(f"agency {doc.agency_id!r} is not in the database (run sync_agencies first)")
    report = _get_or_create_report(s, doc.agency_id, doc.year, doc.fetched_at)
    report.last_seen = max(report.last_seen, doc.fetched_at)
    report.title = doc.title or parsed.title or report.title
    existing = s.scalar(select(Version).where(Version.report_id == report.id, Version.sha256 == doc.sha))
    if existing is not None:
        record_document_fetch(s, doc.url, doc.agency_id, doc.headers, doc.sha, report.id, doc.fetched_at)
        _revisit(s, existing, doc.url, doc.headers, doc.fetched_at, doc.exchange)
        return _unchanged(existing, report)
    number = (s.scalar(select(func.max(Version.number)).where(Version.report_id == report.id)) or 0) + 1
    version = Version(
        report_id=report.id, number=number, sha256=doc.sha, size=doc.size, url=doc.url, headers=doc.headers,
        fetched_at=doc.fetched_at, source_format=parsed.source_format, published_date=parsed.published_date,
        model=parsed.model, crawl_run_id=doc.run_id,
    )
    s.add(version)
    s.flush()
    evidence.add_capture(s, version.id, evidence.first_kind(doc.exchange.status_code), doc.url, doc.fetched_at,
                         status_code=doc.exchange.status_code, request_headers=doc.exchange.request_headers,
                         response_headers=doc.headers)
    _link_year_chain(s, doc, version, parsed.findings, year_chain)
    record_document_fetch(s, doc.url, doc.agency_id, doc.headers, doc.sha, report.id, doc.fetched_at)
    kind = "new_report" if number == 1 else "new_version"
    add_event(
        s, kind, f"{kind}:{doc.agency_id}:{doc.year}:{number}", agency_id=doc.agency_id, year=doc.year,
        report_id=report.id, version_id=version.id, at=doc.fetched_at,
        payload={"number": number, "url": doc.url, "sha256": doc.sha, "title": report.title,
                 "error_count": version.error_count, "warning_count": version.warning_count},
    )
    return SaveResult(kind, report.id, version.id, doc.year, sha256=doc.sha, number=number,
                      error_count=version.error_count, warning_count=version.warning_count)


def _get_or_create_report(s: Session, agency_id: str, year: int, fetched_at: datetime) -> Report:
    query = select(Report).where(Report.agency_id == agency_id, Report.year == year)
    # FOR UPDATE (ignored by SQLite, which already holds the write lock) serialises the version
    # numbering of one report between concurrent writers on PostgreSQL.
    report = s.scalar(query.with_for_update())
    if report is None:
        report = Report(agency_id=agency_id, year=year, first_seen=fetched_at, last_seen=fetched_at)
        s.add(report)
        s.flush()  # a concurrent insert of the same (agency, year) fails here; save_version retries
    return report


def add_findings(s: Session, version_id: int, findings: Iterable[Mapping[str, Any]]) -> None:
    rows = [
        {
            "version_id": version_id,
            "rule": f["rule"],
            "severity": f["severity"],
            "message": f.get("message") or "",
            "location": f.get("location"),
            "expected": f.get("expected"),
            "actual": f.get("actual"),
        }
        for f in findings
    ]
    if rows:  # Core executemany: a report has dozens of findings, the ORM would add them one by one
        s.execute(insert(cast(Table, Finding.__table__)), rows)


# --- the year chain ----------------------------------------------------------------------------------


def _neighbour_versions(s: Session, agency_id: str, year: int) -> dict[int, Version]:
    """The latest version of the agency's reports on year-1 and year+1 (one query for both)."""
    rows = s.execute(
        select(Version, Report.year)
        .join(Report, Report.id == Version.report_id)
        .where(Report.agency_id == agency_id, Report.year.in_([year - 1, year + 1]))
        .order_by(Version.number.desc())
    ).all()
    latest: dict[int, Version] = {}
    for version, report_year in rows:
        latest.setdefault(report_year, version)
    return latest


def _chain(rule: YearChain, previous: dict[str, Any] | None, current: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The rule's year_chain findings on two stored models; [] while a model is missing."""
    if not previous or not current:
        return []
    return [f for f in rule(previous, current) if f.get("rule") == YEAR_CHAIN_RULE]


def _link_year_chain(
    s: Session, doc: NewBytes, version: Version, findings: list[dict[str, Any]], rule: YearChain | None
) -> None:
    """Store the new version's findings, with year_chain findings on the later report: on this version
    against year-1, and on the latest version of year+1 against this one (replacing what it had).
    Without a rule the chain is left as it is (nothing is computed, nothing is removed)."""
    neighbours = _neighbour_versions(s, doc.agency_id, doc.year) if rule is not None else {}
    previous, following = neighbours.get(doc.year - 1), neighbours.get(doc.year + 1)
    own = [f for f in findings if f.get("rule") != YEAR_CHAIN_RULE]
    if rule is not None and previous is not None:
        own += _chain(rule, previous.model, version.model)
    add_findings(s, version.id, own)
    # Counted here, not re-read: the version is new, these are all its findings.
    version.error_count = sum(1 for f in own if f["severity"] == "error")
    version.warning_count = sum(1 for f in own if f["severity"] == "warning")
    if rule is not None and following is not None:
        replace_year_chain(s, following, _chain(rule, version.model, following.model))


def replace_year_chain(s: Session, version: Version, findings: list[dict[str, Any]]) -> None:
    for old in s.scalars(
        select(Finding).where(Finding.version_id == version.id, Finding.rule == YEAR_CHAIN_RULE)
    ):
        s.delete(old)
    s.flush()
    # Only year_chain findings: they are the ones deleted above, so recomputing never duplicates.
    add_findings(s, version.id, [f for f in findings if f.get("rule") == YEAR_CHAIN_RULE])
    recount(s, version)


def recount(s: Session, version: Version) -> None:
    rows = s.execute(
        select(Finding.severity, func.count())
        .where(Finding.version_id == version.id)
        .group_by(Finding.severity)
    ).all()
    by_severity = {severity: n for severity, n in rows}
    version.error_count = by_severity.get("error", 0)
    version.warning_count = by_severity.get("warning", 0)
    s.flush()
