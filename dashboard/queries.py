"""Read queries behind every page and API endpoint. They return plain dicts/lists (JSON-ready after
`jsonable`), so the HTML pages, the CSV/JSON exports and the API share one source of truth."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from nianbao.monitor.rollup import status_table as ds
from nianbao.monitor.rollup import stored_stamp
from nianbao.monitor.status import NOT_OWED_YET, STATUSES
from nianbao.report.deadlines import DueRule, latest_due_year
from nianbao.report.diff import figure_changes
from nianbao.storage.engine import aware
from nianbao.storage.models import (
    Agency,
    CrawlRun,
    Fetch,
    Finding,
    FindingReview,
    Report,
    SiteError,
    User,
    Version,
)

PAGE_SIZE = 50
EXPORT_LIMIT = 200_000


@dataclass
class ListFilters:
    """Filters shared by the agency and findings lists (all optional)."""

    year: int | None = None
    region: str | None = None
    level: str | None = None
    status: str | None = None  # a monitor status, or "inconsistent"
    rule: str | None = None
    severity: str | None = None
    review: str | None = None  # open | acknowledged | false_positive
    q: str | None = None
    sort: str | None = None  # a column key of the page's whitelist, "-" before it for descending
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> ListFilters:
        def text(name: str) -> str | None:
            value = (params.get(name) or "").strip()
            return value or None

        def number(name: str, default: int | None) -> int | None:
            try:
                return int(params.get(name, ""))
            except ValueError:
                return default

        return cls(
            year=number("year", None), region=text("region"), level=text("level"), status=text("status"),
            rule=text("rule"), severity=text("severity"), review=text("review"), q=text("q"),
            sort=text("sort"), page=max(1, number("page", 1) or 1),
        )

    def query_dict(self, **changes: Any) -> dict[str, Any]:
        values = {k: getattr(self, k)
                  for k in ("year", "region", "level", "status", "rule", "severity", "review", "q", "sort")}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def order_by(sort: str | None, columns: dict[str, Any], default: list[Any], tiebreak: list[Any]) -> list[Any]:
    """ORDER BY terms for `sort` ("name", "-name") if its key is in the page's whitelist, else the default.
    Only whitelisted columns ever reach SQL; the tiebreak keeps paging stable."""
    key = (sort or "").lstrip("-")
    if key not in columns:
        return default + tiebreak
    column = columns[key]
    term = column.desc() if (sort or "").startswith("-") else column.asc()
    return [term.nulls_last(), *tiebreak]


def sort_key(sort: str | None, columns: dict[str, Any]) -> str | None:
    """The sort actually applied (None: the page's default order)."""
    return sort if sort and sort.lstrip("-") in columns else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- years and overview ---------------------------------------------------------------------------


_STAMPED_CACHE: dict[tuple[str, str | None], Any] = {}
T = TypeVar("T")


def _stamped(session: Session, name: str, compute: Callable[[Session], T]) -> T:
    """compute(session), cached per process until the rollup is rebuilt (its stamp changes). For values
    that need a scan of a big table (distinct years, regions, rules) but change only with the data."""
    key = (name, stored_stamp(session))
    if key not in _STAMPED_CACHE:
        if len(_STAMPED_CACHE) > 64:
            _STAMPED_CACHE.clear()
        _STAMPED_CACHE[key] = compute(session)
    value: T = _STAMPED_CACHE[key]
    return value


stamped = _stamped  # for the pages' own cached reads (dashboard/benchmarks.py)


def years(session: Session) -> list[int]:
    return _stamped(session, "years", lambda s: list(s.scalars(select(ds.c.year).distinct().order_by(ds.c.year.desc()))))


def default_year(session: Session, today: dt.date, due: DueRule | None = None) -> int | None:
    """The year a page shows when none is asked for: the latest year whose reports are due
    (report.deadlines.latest_due_year, the rule of `nianbao status` and the digest too); the latest
    year covered when that one is not (no data yet)."""
    year = latest_due_year(today, due)
    covered = years(session)
    return year if year in covered or not covered else max(covered)


def _counts(rows: Sequence[Any]) -> dict[str, Any]:
    counts = {s: 0 for s in STATUSES}
    total = inconsistent = 0
    for status, n, bad in rows:
        counts[status] = counts.get(status, 0) + n
        total += n
        inconsistent += bad or 0
    due = total - sum(counts[s] for s in NOT_OWED_YET)
    # No agency due: no rate at all (shown "—"), not 0 %.
    rates = {s: (counts[s] / due if due else None) for s in STATUSES if s not in NOT_OWED_YET}
    published = counts["on_time"] + counts["late"]
    return {
        "total": total, "due": due, "counts": counts, "inconsistent": inconsistent, "published": published,
        "rates": rates, "inconsistent_rate": inconsistent / published if published else None,
    }


def _bad_sum() -> Any:
    return func.sum(func.cast(ds.c.inconsistent, ds.c.year.type))


_OVERVIEW_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}
_OVERVIEW_CACHE_SIZE = 32


def overview(session: Session, year: int, worst_limit: int = 15) -> dict[str, Any]:
    """The overview of a year. Its three GROUP BYs read every agency's row (100,000+), so the result is
    cached per process under the state of the data: the rollup's stamp (changes when it is rebuilt) and
    the newest review (reviews change inconsistency counts). Any change to either is a new key."""
    key = (year, worst_limit, stored_stamp(session), session.scalar(select(func.max(FindingReview.id))))
    cached = _OVERVIEW_CACHE.get(key)
    if cached is None:
        cached = _overview(session, year, worst_limit)
        if len(_OVERVIEW_CACHE) >= _OVERVIEW_CACHE_SIZE:
            _OVERVIEW_CACHE.pop(next(iter(_OVERVIEW_CACHE)))
        _OVERVIEW_CACHE[key] = cached
    return cached


def _overview(session: Session, year: int, worst_limit: int) -> dict[str, Any]:
    # One scan of the year's rows (300,000 at national scale: ~0.6 s each) counted by region, level and
    # status; the totals, regions and levels are sums of those few thousand counts.
    stmt = (select(ds.c.region, ds.c.level, ds.c.status, func.count(), _bad_sum()).where(ds.c.year == year)
            .group_by(ds.c.region, ds.c.level, ds.c.status))
    counts = session.execute(stmt).all()
    return {
        "year": year,
        "totals": _counts([(status, n, bad) for _, _, status, n, bad in counts]),
        "regions": _grouped([(region, status, n, bad) for region, _, status, n, bad in counts]),
        "levels": _grouped([(level, status, n, bad) for _, level, status, n, bad in counts]),
        "worst": agency_rows(session, ListFilters(year=year), limit=worst_limit)["rows"],
    }


def _grouped(counts: Sequence[Any]) -> list[dict[str, Any]]:
    """(key, status, agencies, inconsistent) counts summed per key, worst rate of non-compliance first."""
    buckets: dict[str, list[Any]] = {}
    for key, status, n, bad in counts:
        buckets.setdefault(key or "", []).append((status, n, bad))
    rows = [{"key": key, **_counts(items)} for key, items in buckets.items()]
    rows.sort(key=lambda r: (-sum(r["rates"][s] or 0.0 for s in ("missing", "late", "unreachable")), r["key"]))
    return rows


# --- agency list ------------------------------------------------------------------------------------


def _agency_where(stmt: Select[Any], f: ListFilters) -> Select[Any]:
    if f.year is not None:
        stmt = stmt.where(ds.c.year == f.year)
    if f.region:
        stmt = stmt.where(ds.c.region == f.region)
    if f.level:
        stmt = stmt.where(ds.c.level == f.level)
    if f.status == "inconsistent":
        stmt = stmt.where(ds.c.inconsistent.is_(True))
    elif f.status == "unread":
        stmt = stmt.where(ds.c.fully_read.is_(False))
    elif f.status:
        stmt = stmt.where(ds.c.status == f.status)
    if f.rule:
        stmt = stmt.where(exists().where((Finding.version_id == ds.c.version_id) & (Finding.rule == f.rule)))
    if f.q:
        stmt = stmt.where(or_(ds.c.name.ilike(_like(f.q), escape="\\"), ds.c.agency_id == f.q))
    return stmt


# The columns the agency list may be sorted by (?sort=key or ?sort=-key).
AGENCY_SORTS: dict[str, Any] = {
    "name": ds.c.name, "region": ds.c.region, "level": ds.c.level, "status": ds.c.status,
    "published": ds.c.published_date, "due": ds.c.due, "versions": ds.c.version_count, "errors": ds.c.open_errors,
    "late": ds.c.days_late,
}


def agency_rows(session: Session, f: ListFilters, limit: int = PAGE_SIZE) -> dict[str, Any]:
    order = order_by(f.sort, AGENCY_SORTS, [ds.c.score.desc(), ds.c.name], [ds.c.agency_id])
    stmt = _agency_where(select(ds), f).order_by(*order)
    rows = [dict(r._mapping) for r in session.execute(stmt.limit(limit).offset((f.page - 1) * limit))]
    total = session.scalar(_agency_where(select(func.count()).select_from(ds), f))
    return {"rows": rows, "total": total or 0, "page": f.page, "pages": max(1, -(-(total or 0) // limit))}


def filter_options(session: Session) -> dict[str, list[str]]:
    """Values for the filter menus: regions, levels and rules that occur."""
    return _stamped(session, "options", _filter_options)


def _filter_options(session: Session) -> dict[str, list[str]]:
    return {
        "regions": [r for r in session.scalars(select(Agency.region).distinct().order_by(Agency.region)) if r],
        "levels": [r for r in session.scalars(select(Agency.level).distinct().order_by(Agency.level)) if r],
        "rules": list(session.scalars(select(Finding.rule).distinct().order_by(Finding.rule))),
    }


# --- agency and report pages --------------------------------------------------------------------------


def agency_page(session: Session, agency_id: str) -> dict[str, Any] | None:
    agency = session.get(Agency, agency_id)
    if agency is None:
        return None
    years_rows = [dict(r._mapping) for r in session.execute(
        select(ds).where(ds.c.agency_id == agency_id).order_by(ds.c.year.desc())
    )]
    reports = session.execute(select(Report).where(Report.agency_id == agency_id).order_by(Report.year.desc())).scalars()
    report_rows = []
    for report in reports:
        versions = session.execute(
            select(Version.id, Version.number, Version.fetched_at, Version.published_date, Version.url,
                   Version.error_count, Version.warning_count)
            .where(Version.report_id == report.id).order_by(Version.number.desc())
        ).all()
        latest_id = versions[0].id if versions else None
        findings = findings_for_version(session, latest_id) if latest_id else []
        report_rows.append({"id": report.id, "year": report.year, "title": report.title,
                            "versions": [dict(v._mapping) for v in versions], "findings": findings})
    errors = session.execute(
        select(SiteError.at, SiteError.url, SiteError.kind, SiteError.status_code, SiteError.message)
        .where(SiteError.agency_id == agency_id).order_by(SiteError.id.desc()).limit(10)
    ).all()
    return {
        "agency": _agency_dict(agency), "years": years_rows, "reports": report_rows,
        "site_errors": [dict(e._mapping) for e in errors],
    }


def agency_exists(session: Session, agency_id: str) -> bool:
    return session.get(Agency, agency_id) is not None


def last_checked(session: Session, agency_id: str) -> dt.datetime | None:
    """When the crawler last tried the agency's site: its latest fetch or site error (both indexed by agency)."""
    fetched = session.scalar(select(func.max(func.coalesce(Fetch.checked_at, Fetch.fetched_at)))
                             .where(Fetch.agency_id == agency_id))
    failed = session.scalar(select(func.max(SiteError.at)).where(SiteError.agency_id == agency_id))
    times = [aware(t) for t in (fetched, failed) if t is not None]
    return max(times) if times else None


def _agency_dict(agency: Agency) -> dict[str, Any]:
    return {"id": agency.id, "name": agency.name, "region": agency.region, "level": agency.level,
            "kind": agency.kind, "start_urls": agency.start_urls, "active": agency.active}


def _review_subquery() -> Any:
    """The latest review of each finding (reviews are append-only: the last one counts)."""
    return select(FindingReview.finding_id, func.max(FindingReview.id).label("review_id")).group_by(
        FindingReview.finding_id
    ).subquery()


def findings_for_version(session: Session, version_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(Finding).where(Finding.version_id == version_id).order_by(Finding.severity, Finding.id)
    )
    findings = list(session.scalars(stmt))
    reviews = latest_reviews(session, [f.id for f in findings])
    return [_finding_dict(f, reviews.get(f.id)) for f in findings]


def latest_reviews(session: Session, finding_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not finding_ids:
        return {}
    stmt = (
        select(FindingReview.finding_id, FindingReview.action, FindingReview.note, FindingReview.at, User.name)
        .join(User, User.id == FindingReview.user_id)
        .where(FindingReview.finding_id.in_(finding_ids))
        .order_by(FindingReview.id)
    )
    return {r.finding_id: {"action": r.action, "note": r.note, "at": r.at, "user": r.name}
            for r in session.execute(stmt)}


def review_history(session: Session, finding_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(FindingReview.action, FindingReview.note, FindingReview.at, User.name.label("user"))
        .join(User, User.id == FindingReview.user_id)
        .where(FindingReview.finding_id == finding_id).order_by(FindingReview.id)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def _finding_dict(f: Finding, review: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": f.id, "version_id": f.version_id, "rule": f.rule, "severity": f.severity, "message": f.message,
            "location": f.location, "expected": f.expected, "actual": f.actual,
            "review": review["action"] if review else "open", "review_detail": review}


def report_page(session: Session, report_id: int, number: int | None = None) -> dict[str, Any] | None:
    report = session.get(Report, report_id)
    if report is None:
        return None
    versions = session.execute(
        select(Version.id, Version.number, Version.fetched_at, Version.published_date, Version.url, Version.sha256,
               Version.size, Version.source_format, Version.error_count, Version.warning_count)
        .where(Version.report_id == report_id).order_by(Version.number.desc())
    ).all()
    if not versions:
        return None
    chosen = next((v for v in versions if v.number == number), versions[0])
    model = session.scalar(select(Version.model).where(Version.id == chosen.id)) or {}
    status = session.execute(
        select(ds).where((ds.c.agency_id == report.agency_id) & (ds.c.year == report.year))
    ).first()
    return {
        "report": {"id": report.id, "year": report.year, "title": report.title, "first_seen": report.first_seen,
                   "last_seen": report.last_seen},
        "agency": _agency_dict(report.agency),
        "status": dict(status._mapping) if status else None,
        "versions": [dict(v._mapping) for v in versions],
        "version": dict(chosen._mapping),
        "model": model,
        "findings": findings_for_version(session, chosen.id),
    }


def previous_model(session: Session, report_id: int, number: int) -> dict[str, Any] | None:
    """The model of the version before `number` (None for the first version)."""
    row = session.execute(
        select(Version.model).where((Version.report_id == report_id) & (Version.number < number))
        .order_by(Version.number.desc()).limit(1)
    ).first()
    return (row.model or {}) if row else None


def version_blob(session: Session, version_id: int) -> dict[str, Any] | None:
    row = session.execute(
        select(Version.sha256, Version.source_format, Version.url, Report.year, Report.agency_id)
        .join(Report, Report.id == Version.report_id).where(Version.id == version_id)
    ).first()
    return dict(row._mapping) if row else None


def version_diff(session: Session, report_id: int, a: int, b: int) -> dict[str, Any] | None:
    models: dict[int, Any] = dict(session.execute(
        select(Version.number, Version.model).where((Version.report_id == report_id) & Version.number.in_([a, b]))
    ).all())
    if a not in models or b not in models:
        return None
    old, new = models[a] or {}, models[b] or {}
    return {"a": a, "b": b, "figures": [c.to_dict() for c in figure_changes(old, new)], "old": old, "new": new}


# --- findings list ------------------------------------------------------------------------------------


def _findings_stmt(columns: list[Any], f: ListFilters) -> Select[Any]:
    reviews = _review_subquery()
    stmt = (
        select(*columns)
        .select_from(Finding)
        .join(ds, ds.c.version_id == Finding.version_id)  # only each report's latest version
        .outerjoin(reviews, reviews.c.finding_id == Finding.id)
        .outerjoin(FindingReview, FindingReview.id == reviews.c.review_id)
        .outerjoin(User, User.id == FindingReview.user_id)  # who reviewed it
    )
    stmt = _agency_where(stmt, ListFilters(year=f.year, region=f.region, level=f.level, status=f.status, q=f.q))
    if f.rule:
        stmt = stmt.where(Finding.rule == f.rule)
    if f.severity:
        stmt = stmt.where(Finding.severity == f.severity)
    if f.review == "open":
        stmt = stmt.where(FindingReview.id.is_(None))
    elif f.review:
        stmt = stmt.where(FindingReview.action == f.review)
    return stmt


FINDING_SORTS: dict[str, Any] = {
    "agency": ds.c.name, "region": ds.c.region, "year": ds.c.year, "rule": Finding.rule,
    "severity": Finding.severity, "review": FindingReview.action, "reviewed": FindingReview.at,
}


def finding_rows(session: Session, f: ListFilters, limit: int = PAGE_SIZE) -> dict[str, Any]:
    columns = [
        Finding.id, Finding.rule, Finding.severity, Finding.message, Finding.location, Finding.expected,
        Finding.actual, ds.c.agency_id, ds.c.name, ds.c.region, ds.c.level, ds.c.year, ds.c.report_id,
        func.coalesce(FindingReview.action, "open").label("review"), FindingReview.note.label("review_note"),
        FindingReview.at.label("review_at"), User.name.label("review_user"),
    ]
    order = order_by(f.sort, FINDING_SORTS, [ds.c.year.desc(), ds.c.score.desc(), ds.c.name], [Finding.id])
    stmt = _findings_stmt(columns, f).order_by(*order)
    rows = [dict(r._mapping) for r in session.execute(stmt.limit(limit).offset((f.page - 1) * limit))]
    total = session.scalar(_findings_stmt([func.count()], f)) or 0
    return {"rows": rows, "total": total, "page": f.page, "pages": max(1, -(-total // limit))}


def finding_context(session: Session, finding_id: int) -> dict[str, Any] | None:
    row = session.execute(
        select(Finding.id, Finding.version_id, Report.id.label("report_id"))
        .join(Version, Version.id == Finding.version_id).join(Report, Report.id == Version.report_id)
        .where(Finding.id == finding_id)
    ).first()
    return dict(row._mapping) if row else None


# --- search ---------------------------------------------------------------------------------------------

SEARCH_LIMIT = 50
SEARCH_MAX_CHARS = 100


def search(session: Session, q: str, limit: int = SEARCH_LIMIT) -> dict[str, Any]:
    """Agencies whose name and reports whose title contain `q` (case-insensitive), at most `limit` of each.

    ILIKE is served by the trigram indexes of migration 0107 on PostgreSQL. No ORDER BY reaches the
    database: a common word ("统计局") matches a tenth of 100,000 names, and sorting them all to show 50 is the
    slow part. Names starting with `q` are fetched first, then names containing it; the page sorts what it
    got (starting with q, then shortest name first) and says when there may be more."""
    text = q[:SEARCH_MAX_CHARS]
    columns = (Agency.id, Agency.name, Agency.region, Agency.level, Agency.kind)
    prefix = session.execute(select(*columns).where(Agency.name.ilike(_prefix(text), escape="\\") | (Agency.id == q))
                             .limit(limit)).all()
    contains = session.execute(select(*columns).where(Agency.name.ilike(_like(text), escape="\\"))
                               .limit(limit)).all() if len(prefix) < limit else []
    agencies = {r.id: dict(r._mapping) for r in [*prefix, *contains]}
    starts = {r.id for r in prefix}
    ranked = sorted(agencies.values(), key=lambda a: (a["id"] not in starts, len(a["name"]), a["name"]))[:limit]
    reports = session.execute(
        select(Report.id, Report.year, Report.title, Report.agency_id, Agency.name.label("agency_name"))
        .join(Agency, Agency.id == Report.agency_id)
        .where(Report.title.ilike(_like(text), escape="\\")).limit(limit)
    ).all()
    found = sorted((dict(r._mapping) for r in reports), key=lambda r: (-r["year"], r["agency_name"]))
    return {"agencies": ranked, "reports": found, "limit": limit}


def _prefix(text: str) -> str:
    return _like(text)[1:]  # "%q%" -> "q%"


def last_crawl(session: Session) -> dict[str, Any] | None:
    row = session.execute(
        select(CrawlRun.id, CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.status).order_by(CrawlRun.id.desc())
        .limit(1)  # first() alone fetches every run of the years kept
    ).first()
    return dict(row._mapping) if row else None


def user_by_name(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def jsonable(value: Any) -> Any:
    """Dates and datetimes as ISO strings, dataclasses as dicts, recursively (for the JSON API and exports)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


