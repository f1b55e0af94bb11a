"""The dashboard's pre-aggregated status table: one row per agency and report year.

The overview and the lists need, for every watched agency, its status for a year (monitor.status rules),
whether its latest version is inconsistent and how many open errors it has. Computing that from the raw
tables on every request means reading every agency, report and latest version (100,000+ rows): too slow
for a page. So `refresh` computes it once with the monitor's own rules and stores it in
`dashboard_status`; pages read that table through indexes. `ensure_fresh` recomputes when the data
changed (a new version, report, crawl, site error or agency) or the day changed (statuses move with the
calendar); reviews update their one row directly.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nianbao.monitor import benchmarks
from nianbao.monitor.status import (
    AgencyStatus,
    Scope,
    compute_statuses,
    compute_statuses_by_year,
    only_agencies,
    statuses_from_rollup,
)
from nianbao.report.grouping import count_groups
from nianbao.storage import rollup as stored
from nianbao.storage.models import (
    Agency,
    CrawlRun,
    Finding,
    FindingReview,
    Report,
    SiteError,
    Version,
    dashboard_meta,
    dashboard_status,
)

# The tables live with every other table in storage/models.py (one MetaData, seen by Alembic); the
# dashboard's queries know them by these names.
status_table = dashboard_status
meta_table = dashboard_meta

# How bad a status is, for "worst offenders first". Open errors add on top (see _score).
STATUS_WEIGHT = {"missing": 40000, "unreachable": 30000, "late": 20000, "unchecked": 10000, "on_time": 0,
                 "not_due": 0, "not_owed": 0}
# Deadline findings repeat what the status already says; they do not make the tables inconsistent.
NOT_TABLE_RULES = ("deadline",)
HISTORY_YEARS = 10


def _score(status: str, days_late: int, open_errors: int) -> int:
    return STATUS_WEIGHT.get(status, 0) + min(days_late, 9999) + min(open_errors, 99) * 100


@dataclass
class LatestVersion:
    report_id: int
    agency_id: str
    year: int
    title: str | None
    first_seen: dt.datetime
    version_id: int
    version_count: int
    published_date: dt.date | None
    error_count: int
    warning_count: int
    url: str | None


def _of_agencies(stmt: Any, agency_ids: Collection[str] | None) -> Any:
    return stmt if agency_ids is None else stmt.where(Report.agency_id.in_(sorted(agency_ids)))


def _latest_versions(session: Session, agency_ids: Collection[str] | None = None) -> Iterator[LatestVersion]:
    latest = (
        _of_agencies(select(Version.report_id, func.max(Version.number).label("number"), func.count().label("count"))
                     .join(Report, Report.id == Version.report_id), agency_ids)
        .group_by(Version.report_id)
        .subquery()
    )
    stmt = (
        select(
            Report.id, Report.agency_id, Report.year, Report.title, Report.first_seen, Version.id,
            latest.c.count, Version.published_date, Version.error_count, Version.warning_count, Version.url,
        )
        .join(latest, latest.c.report_id == Report.id)
        .join(Version, (Version.report_id == Report.id) & (Version.number == latest.c.number))
    )
    for row in session.execute(stmt).yield_per(5000):
        yield LatestVersion(*row)


def false_positive_ids(session: Session, finding_ids: Iterable[int] | None = None) -> set[int]:
    """Findings whose latest review marks them as false positives."""
    stmt = select(FindingReview.finding_id, FindingReview.action).order_by(FindingReview.id)
    if finding_ids is not None:
        stmt = stmt.where(FindingReview.finding_id.in_(list(finding_ids)))
    last: dict[int, str] = {}
    for finding_id, action in session.execute(stmt):
        last[finding_id] = action
    return {fid for fid, action in last.items() if action == "false_positive"}


def _open_errors(session: Session, version_ids: list[int] | None = None,
                 agency_ids: Collection[str] | None = None) -> dict[int, int]:
    """Open errors per version (of `version_ids`, or of the reports of `agency_ids`, when given): error findings
    about the tables, not marked false positive, counted as facts (report.grouping: one wrong row flagged by
    two rules in two columns is one error)."""
    base = (Finding.severity == "error") & Finding.rule.not_in(NOT_TABLE_RULES)
    if version_ids is not None:
        base = base & Finding.version_id.in_(version_ids)
    if agency_ids is not None:  # a subquery: one bound id per agency, not one per version
        base = base & Finding.version_id.in_(
            _of_agencies(select(Version.id).join(Report, Report.id == Version.report_id), agency_ids))
    counts = dict(session.execute(select(Finding.version_id, func.count()).where(base).group_by(Finding.version_id)).all())
    false_pos = false_positive_ids(session)
    if false_pos:
        stmt = select(Finding.version_id).where(base & Finding.id.in_(false_pos))
        for (version_id,) in session.execute(stmt):
            counts[version_id] -= 1
    # Only versions with two or more errors can hold one fact counted twice: read just those (a count in SQL
    # for the rest keeps the rebuild at 100,000 agencies from reading every finding).
    several = select(Finding.version_id).where(base).group_by(Finding.version_id).having(func.count() > 1)
    by_version: dict[int, list[dict[str, Any]]] = {}
    rows = session.execute(select(Finding.id, Finding.version_id, Finding.rule, Finding.severity, Finding.location,
                                  Finding.expected, Finding.actual)
                           .where(base & Finding.version_id.in_(several)).order_by(Finding.id))
    for row in rows.yield_per(5000):
        if row.id not in false_pos:
            by_version.setdefault(row.version_id, []).append(dict(row._mapping))
    counts.update({version_id: count_groups(findings) for version_id, findings in by_version.items()})
    return counts


def report_years(session: Session, today: dt.date) -> list[int]:
    """The years the dashboard covers: from the oldest stored report up to last year (bounded)."""
    oldest = session.scalar(select(func.min(Report.year))) or today.year - 1
    first = max(oldest, today.year - HISTORY_YEARS)
    return list(range(first, today.year))


def compute_rows(store: Any, session: Session, today: dt.date, settings: Any,
                 agency_ids: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every agency x year status row (of `agency_ids` only, when given). The status is
    monitor.status.compute_statuses_by_year's verdict, the same function `nianbao status` prints, so the
    dashboard and the CLI can never disagree."""
    query = select(Agency.id, Agency.name, Agency.region, Agency.level, Agency.kind).where(Agency.active.is_(True))
    if agency_ids is not None:
        query = query.where(Agency.id.in_(sorted(agency_ids)))
    agencies = {a.id: a for a in session.execute(query)}
    latest = {(v.agency_id, v.year): v for v in _latest_versions(session, agency_ids)}
    open_errors = _open_errors(session, agency_ids=agency_ids)
    years = report_years(session, today)
    for statuses in compute_statuses_by_year(store, years, today, settings, agency_ids).values():
        for status in statuses:
            agency = agencies.get(status.agency_id)
            if agency is not None:
                yield _row(agency, status, latest.get((agency.id, status.year)), open_errors)


def _row(agency: Any, status: AgencyStatus, version: LatestVersion | None,
         open_errors: dict[int, int]) -> dict[str, Any]:
    errors = open_errors.get(version.version_id, 0) if version else 0
    return {
        "agency_id": agency.id, "year": status.year, "name": agency.name, "region": agency.region or "",
        "level": agency.level or "", "kind": agency.kind or "", "status": status.status,
        "inconsistent": errors > 0, "fully_read": status.report.fully_read if status.report else True,
        "report_id": version.report_id if version else None,
        "version_id": version.version_id if version else None,
        "version_count": version.version_count if version else 0, "title": version.title if version else None,
        "published_date": status.judged_on, "due": status.due, "days_late": status.days_late,
        "error_count": version.error_count if version else 0,
        "warning_count": version.warning_count if version else 0,
        "open_errors": errors, "score": _score(status.status, status.days_late, errors), "reason": status.reason,
        "basis": status.basis,
    }


def data_stamp(session: Session, today: dt.date) -> str:
    """Changes whenever something the statuses depend on changes (ids only grow), or the day changes."""
    parts = [
        session.scalar(select(func.max(Version.id))),
        session.scalar(select(func.max(Report.id))),
        session.scalar(select(func.max(CrawlRun.id))),
        session.scalar(select(func.max(SiteError.id))),
        session.scalar(select(func.count()).select_from(Agency)),
        session.scalar(select(func.max(Agency.updated_at))),
        today.isoformat(),
    ]
    return "|".join("" if p is None else str(p) for p in parts)


def refresh(store: Any, session: Session, today: dt.date, settings: Any, *, full: bool = False) -> int:
    """Bring the rows up to date (one transaction: readers see the old rows until the commit); returns the
    rows written. Only the agencies whose data changed since the last rebuild are recomputed when that is
    the same verdict as recomputing all (changed_agencies); `full`, a new day or a first build recompute
    every row."""
    stamp = data_stamp(session, today)
    marks = current_marks(session, today)  # before reading: what changes meanwhile is seen next time
    changed = None if full else changed_agencies(session, stored_marks(session), marks)
    if changed is None:
        count = stored.replace_status_rows(session, compute_rows(store, session, today, settings))
    else:
        count = stored.replace_agency_rows(session, changed,
                                           compute_rows(store, session, today, settings, changed) if changed else ())
    # Rates are judged by the benchmark settings (thresholds, minimum sizes): new ones rewrite every group.
    rules = settings.benchmarks.model_dump_json()
    same_rules = session.scalar(select(meta_table.c.value).where(meta_table.c.key == BENCHMARK_RULES)) == rules
    if changed is None or changed or not same_rules:
        # The rates across agencies: figures are read only from versions new since the last refresh; after an
        # incremental roll-up only the (region, year) groups those and the changed agencies touch are rewritten.
        benchmarks.refresh(session, settings.benchmarks, changed if same_rules else None)
    stored.set_meta(session, BENCHMARK_RULES, rules)
    stored.set_meta(session, "stamp", stamp)
    stored.set_meta(session, MARKS, json.dumps(marks))
    return count


# --- incremental rebuild --------------------------------------------------------------------------------------
# A row depends on its agency's registry row, its reports and versions (and their findings, which come with
# a version; reviews update their row directly), the finished crawl runs that covered it and their site
# errors, the day and the years shown. So after a crawl that changed 1% of the reports only those agencies
# are recomputed, plus those a new finished run can move between 尚未检查 / 网站无法访问 / 未找到 (no report:
# the only statuses the crawl history decides): those with a site error in it, 尚未检查 and 网站无法访问. A new day, new years shown, or a change too large falls back
# to the full rebuild; the nightly job (a new day) rebuilds everything anyway, which also covers a write
# committed between a rebuild's marks and its reads.

MARKS = "marks"
BENCHMARK_RULES = "benchmark_rules"  # the benchmark settings the stored rates were computed with
STATUSES_OF_HISTORY = ("unchecked", "unreachable")  # 未找到 moves only with a site error, seen above
INCREMENTAL_MAX = 20000  # agencies; more: the full rebuild (bounded IN lists, and no faster anyway)
INCREMENTAL_SHARE = 0.25  # of the active agencies


def current_marks(session: Session, today: dt.date) -> dict[str, Any]:
    """Where the data stands now: the highest ids of growing tables, the latest finished run and the latest
    registry change, the day and the years shown."""
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "day": today.isoformat(), "years": report_years(session, today),
        "version": session.scalar(select(func.max(Version.id))) or 0,
        "report": session.scalar(select(func.max(Report.id))) or 0,
        "run_finished": iso(session.scalar(select(func.max(CrawlRun.finished_at)))),
        "agency_updated": iso(session.scalar(select(func.max(Agency.updated_at)))),
    }


def stored_marks(session: Session) -> dict[str, Any] | None:
    text = session.scalar(select(meta_table.c.value).where(meta_table.c.key == MARKS))
    try:
        marks = json.loads(text) if text else None
    except ValueError:
        return None
    return marks if isinstance(marks, dict) else None


def changed_agencies(session: Session, before: dict[str, Any] | None, now: dict[str, Any]) -> set[str] | None:
    """The agencies whose rows may differ from those stored at `before`; None when only a full rebuild will do."""
    if not before or before.get("day") != now["day"] or before.get("years") != now["years"]:
        return None
    ids: set[str] = set()
    ids.update(session.scalars(select(Report.agency_id).where(Report.id > int(before.get("report") or 0))))
    ids.update(session.scalars(select(Report.agency_id).join(Version, Version.report_id == Report.id)
                               .where(Version.id > int(before.get("version") or 0))))
    if before.get("agency_updated") and now["agency_updated"]:
        since = dt.datetime.fromisoformat(before["agency_updated"])
        # Strictly after: one import stamps all its rows alike, and those were seen by the last rebuild.
        ids.update(session.scalars(select(Agency.id).where(Agency.updated_at > since)))
    elif now["agency_updated"]:
        return None
    if before.get("run_finished") != now["run_finished"]:
        ids.update(_moved_by_new_runs(session, before.get("run_finished")))
    active = session.scalar(select(func.count()).select_from(Agency).where(Agency.active.is_(True))) or 0
    if len(ids) > INCREMENTAL_MAX or len(ids) > INCREMENTAL_SHARE * active:
        return None
    return ids


def _moved_by_new_runs(session: Session, since_iso: str | None) -> set[str]:
    """Agencies a run finished after `since_iso` can move: those with a site error in it, and those whose
    rows the crawl history decides (no report: 尚未检查, 网站无法访问, 未找到)."""
    runs = select(CrawlRun.id).where(CrawlRun.status == "finished")
    if since_iso:
        runs = runs.where(CrawlRun.finished_at >= dt.datetime.fromisoformat(since_iso))
    ids = {agency_id for agency_id in session.scalars(select(SiteError.agency_id).where(
        SiteError.crawl_run_id.in_(runs))) if agency_id}
    ids.update(session.scalars(select(status_table.c.agency_id).distinct()
                               .where(status_table.c.status.in_(STATUSES_OF_HISTORY))))
    return ids


def stored_stamp(session: Session) -> str | None:
    return session.scalar(select(meta_table.c.value).where(meta_table.c.key == "stamp"))


# --- reading the statuses off the roll-up -------------------------------------------------------------------


def holds(store: Any, year: int, day: dt.date) -> bool:
    """Whether the roll-up was built for `day` from the data as it is now and holds `year`: its rows are then
    compute_statuses' verdicts (the daemon keeps it so)."""
    with store.read_session() as s:
        return stored_stamp(s) == data_stamp(s, day) and s.scalar(
            select(status_table.c.year).where(status_table.c.year == year).limit(1)) is not None


def statuses(store: Any, year: int, day: dt.date, settings: Any, scope: Scope) -> Iterable[AgencyStatus]:
    """The statuses of `year` as of `day`: read off the roll-up when it holds them (a national registry's
    300,000 rows are then one query), else computed (another day, a year it does not hold, no daemon)."""
    if holds(store, year, day):
        return statuses_from_rollup(store, year, day, settings, scope)
    return compute_statuses(store, year, day, settings, scope)


def status_lines(store: Any, year: int, day: dt.date, settings: Any,
                 scope: Scope) -> list[tuple[str, str | None, str]]:
    """(agency, region, status) of each agency of `scope` for `year` as of `day`, as `statuses` judges them:
    what a summary counts. Off the roll-up it is three columns of one table (the digest's national summary
    at 300,000 agencies), nothing joined or judged."""
    if not holds(store, year, day):
        return [(st.agency_id, st.extra.get("region"), st.status)
                for st in compute_statuses(store, year, day, settings, scope)]
    ds = status_table
    stmt = only_agencies(select(ds.c.agency_id, ds.c.region, ds.c.status).where(ds.c.year == year),
                         ds.c.agency_id, scope)
    with store.read_session() as s:
        return [(agency_id, region or None, status) for agency_id, region, status in s.execute(stmt)]


def update_open_errors(session: Session, version_id: int) -> None:
    """After a review: recount one version's open errors and its row's inconsistency and score."""
    errors = _open_errors(session, [version_id]).get(version_id, 0)
    rows = session.execute(
        select(status_table.c.agency_id, status_table.c.year, status_table.c.status, status_table.c.days_late)
        .where(status_table.c.version_id == version_id)
    ).all()
    for agency_id, year, status, days_late in rows:
        stored.update_status_row(session, agency_id, year, open_errors=errors, inconsistent=errors > 0,
                                 score=_score(status, days_late, errors))


class Freshness:
    """Keeps the rollup current: checks the stamp at most every `interval` seconds per process."""

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self._checked = 0.0
        self._lock = threading.Lock()

    def ensure(self, store: Any, today: dt.date, settings: Any) -> None:
        if time.monotonic() - self._checked < self.interval:
            return
        with self._lock:  # one refresh at a time; the others wait and then see a fresh stamp
            if time.monotonic() - self._checked < self.interval:
                return
            with store.session() as session:
                if stored_stamp(session) != data_stamp(session, today):
                    refresh(store, session, today, settings)
            self._checked = time.monotonic()
