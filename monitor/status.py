"""Expected reports and the status of each agency's report for a year, as of a date.

The rules (pure functions; `now` is always passed in so tests and `--as-of` drive the clock):

- Due date: a department (`kind: department`) owes its report for year Y by 31 January of Y+1, a people's
  government (`kind: government`) by 31 March of Y+1 (《政府信息公开条例》第四十九条). Both dates and a grace
  period (days added to every due date) come from the settings' `deadlines`.
- An agency added to the watch list in the middle of a year owes reports only from its first *full
  publication cycle*: year Y is owed when the agency was watched on 1 January of Y+1, the day the window for
  publishing Y's report opens. An agency added on 15 June 2024 owes 2024 (its window opens 1 Jan 2025); one
  added on 15 February 2025 owes 2025 first, because we did not watch the whole 2024 window and cannot tell a
  late report from one we simply met late. For a year that is not owed, a found report is still judged from
  its own publication date; without one it counts as on time (first sight proves nothing), and absence is
  `not_due`, never `missing`.
- Statuses: `on_time`, `late` (judged from the report's published_date, else the date on its page, else the
  day we first saw it), `missing` (due date passed, nothing found, and the site was read), `unreachable` (due
  date passed, nothing found, but the latest crawl of the site failed: absence is unproven), `unchecked`
  (due date passed, nothing found, and no crawl had covered the agency yet: 尚未检查), `not_due` (due date
  not yet passed, nothing found), `not_owed` (the year is not owed: the agency was added after its
  publication window opened; 不应报).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, false, or_, select

from nianbao.settings import Clock, DeadlineSettings, Settings
from nianbao.storage.models import Agency, CrawlRun, Finding, Report, SiteError, Version, dashboard_status

Status = Literal["on_time", "late", "missing", "unreachable", "unchecked", "not_due", "not_owed"]
STATUSES: tuple[str, ...] = ("on_time", "late", "missing", "unreachable", "unchecked", "not_due", "not_owed")
# Statuses of agencies that owe nothing (yet) for the year: left out of every rate (按时率 of a region
# where nobody is due is "—", not 0 %).
NOT_OWED_YET: tuple[str, ...] = ("not_due", "not_owed")
Basis = Literal["published_date", "page_date", "first_seen"]


@dataclass
class AgencyInfo:
    id: str
    name: str
    kind: str = "department"
    region: str | None = None
    added: dt.date | None = None  # when it joined the watch list; None = always watched


@dataclass
class ReportInfo:
    """What the status rules need to know about a found report (its latest version as of the date)."""

    report_id: int | None
    year: int
    first_seen: dt.date
    published_date: dt.date | None = None
    page_date: dt.date | None = None
    title: str | None = None
    url: str | None = None
    version_count: int = 1
    error_count: int = 0
    warning_count: int = 0
    # False when the latest version could not be read in full (a finding of rule `unreadable`: a table
    # without figures, digits replaced by "x", rows that could not be read): then "no error" proves nothing.
    fully_read: bool = True
    unread_reason: str | None = None


@dataclass
class AgencyStatus:
    agency_id: str
    agency_name: str
    year: int
    status: Status
    due: dt.date
    owed: bool
    reason: str
    judged_on: dt.date | None = None
    basis: Basis | None = None
    days_late: int = 0
    report: ReportInfo | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _isoformat_dates(asdict(self))
        return data


def _isoformat_dates(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _isoformat_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_isoformat_dates(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def first_owed_year(added: dt.date | None) -> int | None:
    """The first report year an agency added on `added` owes (None = every year)."""
    if added is None:
        return None
    # Year Y is owed when the agency was watched on 1 January of Y+1.
    return added.year - 1 if (added.month, added.day) == (1, 1) else added.year


def is_owed(agency: AgencyInfo, year: int) -> bool:
    first = first_owed_year(agency.added)
    return first is None or year >= first


# Where the date a status is judged from came from, in the words of the `nianbao status` table.
BASIS_NAMES: dict[str, str] = {"published_date": "报告落款日期", "page_date": "网页发布日期", "first_seen": "首次发现日期"}


def publication_evidence(report: ReportInfo) -> tuple[dt.date, Basis]:
    """The date lateness is judged from, and where it came from."""
    if report.published_date is not None:
        return report.published_date, "published_date"
    if report.page_date is not None:
        return report.page_date, "page_date"
    return report.first_seen, "first_seen"


def agency_status(
    agency: AgencyInfo,
    year: int,
    report: ReportInfo | None,
    *,
    now: dt.date,
    deadlines: DeadlineSettings | None = None,
    site_readable: bool = True,
    site_failure: str | None = None,
    site_checked: bool = True,
) -> AgencyStatus:
    """One agency's status for `year` as of `now`.

    `report` must already be restricted to what was known on `now` (first seen on or before it).
    `site_readable` says whether the latest crawl of the agency up to `now` read its site; `site_failure`
    is its last site-level error ("kind: message", site_read_history), told in the reason; `site_checked`
    False means no crawl had covered the agency by `now` (nothing was tried yet).
    """
    deadlines = deadlines or DeadlineSettings()  # the settings' defaults
    due = deadlines.due(agency.kind, year)
    owed = is_owed(agency, year)
    base: dict[str, Any] = {"agency_id": agency.id, "agency_name": agency.name, "year": year, "due": due,
                            "owed": owed}
    if report is not None:
        found = _judge_found(base, report, owed=owed)
        if not report.fully_read:  # published, but "checked and fine" cannot be said
            found.reason += "；未能读全，未作完整校验"
        return found
    if not owed:
        return AgencyStatus(status="not_owed", reason="不应报：本年度报告期开始后才纳入监测", **base)
    if now <= due:
        return AgencyStatus(status="not_due", reason=f"截止日期{due.isoformat()}，尚未到期", **base)
    if not site_checked:
        return AgencyStatus(status="unchecked", reason=f"尚未检查：截止日期{due.isoformat()}后还没有抓取过该网站", **base)
    if not site_readable:
        return AgencyStatus(status="unreachable", reason=unreachable_reason(site_failure), **base)
    return AgencyStatus(status="missing", reason=f"未找到报告，应于{due.isoformat()}前发布", **base)


def _judge_found(base: dict[str, Any], report: ReportInfo, *, owed: bool) -> AgencyStatus:
    judged_on, basis = publication_evidence(report)
    due: dt.date = base["due"]
    if basis == "first_seen" and not owed:
        # We started watching after the window opened: first sight cannot show lateness.
        return AgencyStatus(
            status="on_time", reason="已找到；无发布日期，纳入监测前已到期", judged_on=judged_on,
            basis=basis, report=report, **base,
        )
    days_late = (judged_on - due).days
    if days_late > 0:
        return AgencyStatus(
            status="late", reason=f"{BASIS_NAMES[basis]}{judged_on.isoformat()}，晚于截止日期{due.isoformat()}{days_late}天",
            judged_on=judged_on, basis=basis, days_late=days_late, report=report, **base,
        )
    return AgencyStatus(
        status="on_time", reason=f"{BASIS_NAMES[basis]}{judged_on.isoformat()}，未超过截止日期{due.isoformat()}",
        judged_on=judged_on, basis=basis, report=report, **base,
    )


def parse_date(value: Any) -> dt.date | None:
    """A date from a model/DB value: date, datetime or ISO string (None when absent or unreadable)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# --- from the Store --------------------------------------------------------------------------------------

# Site errors that mean the site itself could not be read, or not all of it (not just one broken link on
# it): robots.txt forbids the start page, a report link answered too large (or a compression bomb) or led
# off the site, the crawl budget ran out. In each we could not look, so an absent report proves nothing.
SITE_LEVEL_ERRORS = ("connection", "timeout", "blocked", "robots", "too_large", "offsite", "budget",
                     "private_address")


# Finer names read off the raw error text (Twisted's and Chromium's English): matched in order, first wins.
_FAILURE_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DNS解析失败", ("dns lookup", "dnslookup", "name or service not known", "nodename nor servname",
                  "err_name_not_resolved", "cannotresolvehost", "no address associated")),
    ("证书错误", ("certificate", "ssl", "tls", "err_cert")),
    ("连接被拒绝", ("connection refused", "connectionrefused", "err_connection_refused", "refused")),
    ("连接被重置", ("connection reset", "connection was closed", "connectionlost", "err_connection_reset")),
    ("超时", ("timed out", "timeout", "err_timed_out")),
)
_KIND_FAILURE = {"connection": "连接失败", "timeout": "超时", "blocked": "反爬验证", "http_status": "网站返回错误",
                 "robots": "robots.txt 禁止抓取", "too_large": "文件过大或压缩炸弹", "offsite": "跳转到站外",
                 "budget": "超出每站抓取上限", "private_address": "域名指向内网地址（已拒绝）", "parse": "页面无法解析", "other": "其他错误"}


def failure_name(kind: str | None, message: str | None = None, status_code: int | None = None) -> str:
    """A site error in the words of an overseer: 连接被拒绝, 超时, 证书错误, 反爬验证, DNS解析失败, HTTP 404…
    (the raw English detail belongs in a tooltip, never in the text)."""
    if kind == "http_status":
        return f"网站返回错误（HTTP {status_code}）" if status_code else _KIND_FAILURE["http_status"]
    if kind in ("connection", "timeout", "other", None):
        lowered = (message or "").lower()
        for name, needles in _FAILURE_PATTERNS:
            if any(needle in lowered for needle in needles):
                return name
    return _KIND_FAILURE.get(kind or "other", _KIND_FAILURE["other"])


def site_failure_name(site_failure: str | None) -> str | None:
    """failure_name of a site_read_history entry ("kind: message")."""
    if not site_failure:
        return None
    kind, _, message = site_failure.partition(":")
    return failure_name(kind.strip(), message)


def unreachable_reason(site_failure: str | None) -> str:
    """The reason of an unreachable status, naming why the site could not be read when that is known."""
    name = site_failure_name(site_failure)
    if name:
        return f"网站无法访问（{name}），不能认定未发布"
    return "网站无法访问，不能认定未发布"


def end_of_day(day: dt.date, clock: Clock) -> dt.datetime:
    """The first moment after `day` on the clock's calendar (schedule.timezone: deadlines are calendar days
    there), as UTC."""
    return clock.start_of(day + dt.timedelta(days=1)).astimezone(dt.UTC)


def site_read_history(session: Any, before: dt.datetime, agency_ids: Scope = None,
                      ) -> dict[str, list[tuple[int, bool, str | None]]]:
    """For each agency (of `agency_ids` when given), the crawl runs that covered it (oldest first) before
    `before`: (run id, site readable?, last site-level error message)."""


    runs = session.scalars(
        # Only finished runs: a run cut short (interrupted, failed) may never have reached a site, so it
        # proves neither that the site was read nor that it failed.
        select(CrawlRun).where(CrawlRun.started_at < before, CrawlRun.status == "finished").order_by(CrawlRun.id)
    ).all()
    start_urls = {agency_id: set(urls or [])
                  for agency_id, urls in session.execute(only_agencies(select(Agency.id, Agency.start_urls), Agency.id,
                                                               agency_ids))}
    history: dict[str, list[tuple[int, bool, str | None]]] = {}
    for run in runs:
        failures: dict[str, str] = {}
        errors = only_agencies(select(SiteError).where(SiteError.crawl_run_id == run.id), SiteError.agency_id, agency_ids)
        for err in session.scalars(errors.order_by(SiteError.id)):
            if err.agency_id and (err.kind in SITE_LEVEL_ERRORS or err.url in start_urls.get(err.agency_id, ())):
                failures[err.agency_id] = f"{err.kind}: {err.message}"[:300]
        covered = run.agency_ids or list(start_urls)
        if agency_ids is not None and run.agency_ids:
            covered = [a for a in covered if a in start_urls]
        for agency_id in covered:
            history.setdefault(agency_id, []).append((run.id, agency_id not in failures, failures.get(agency_id)))
    return history


Scope = Collection[str] | Select[Any] | None  # agency ids, a subquery of them (scope_of), or every agency


def scope_of(regions: Sequence[str] = (), agency_ids: Sequence[str] = ()) -> Select[Any]:
    """The agencies of these regions or below them (广东省 covers 广东省/广州市, as settings.Recipient.covers)
    and of these ids, as a subquery: a province's 30,000 agencies are never a list of bound ids."""
    wanted: list[ColumnElement[bool]] = [Agency.id.in_(list(agency_ids))] if agency_ids else []
    for region in regions:
        wanted += [Agency.region == region, Agency.region.startswith(region.rstrip("/") + "/", autoescape=True)]
    return select(Agency.id).where(or_(*wanted) if wanted else false())


def only_agencies(stmt: Any, column: Any, agency_ids: Scope) -> Any:
    """`stmt` restricted to the agencies of `agency_ids` (all when None)."""
    if agency_ids is None:
        return stmt
    return stmt.where(column.in_(agency_ids if isinstance(agency_ids, Select) else sorted(agency_ids)))


def _report_infos(session: Any, year: int, before: dt.datetime, clock: Clock,
                  agency_ids: Scope = None) -> dict[str, ReportInfo]:
    """The latest version known before `before` of each agency's report for `year`.

    One query for the whole year, reading only the columns needed (not the stored models): this runs for
    every agency on each dashboard roll-up, so its cost must not grow with a query per report."""


    rows = session.execute(only_agencies(
        select(Report.id, Report.agency_id, Report.first_seen, Report.title, Version.url, Version.published_date,
               Version.error_count, Version.warning_count, Version.model["published_date"].as_string(), Version.id)
        .join(Version, Version.report_id == Report.id)
        .where(Report.year == year, Report.first_seen < before, Version.fetched_at < before),
        Report.agency_id, agency_ids).order_by(Report.id, Version.number))
    latest: dict[int, Any] = {}
    counts: dict[int, int] = {}
    for row in rows:
        latest[row[0]] = row  # ordered by version number: the last row of a report is its latest version
        counts[row[0]] = counts.get(row[0], 0) + 1
    unread = unread_reasons(session, year=year, agency_ids=agency_ids)
    infos: dict[str, ReportInfo] = {}
    for report_id, row in latest.items():
        _, agency_id, first_seen, title, url, page_or_own_date, errors, warnings, model_date, version_id = row
        # versions.published_date is the report's own date, else the page's: tell them apart via the model.
        own = parse_date(model_date)
        infos[agency_id] = ReportInfo(
            report_id=report_id, year=year, first_seen=first_seen.astimezone(clock.zone).date(),
            published_date=own, page_date=None if own else page_or_own_date, title=title,
            url=url, version_count=counts[report_id], error_count=errors, warning_count=warnings,
            fully_read=version_id not in unread, unread_reason=unread.get(version_id),
        )
    return infos


UNREAD_RULE = "unreadable"  # report.check's rule for what could not be read


def unread_reasons(session: Any, version_ids: list[int] | None = None, *,
                   year: int | None = None, agency_ids: Scope = None) -> dict[int, str]:
    """Versions not read in full, with what could not be read: among `version_ids`, or of the reports on
    `year` (one join, not an IN list of every version: the roll-up asks for 100,000 of them)."""
    stmt = select(Finding.version_id, Finding.message).where(Finding.rule == UNREAD_RULE)
    if version_ids is not None:
        stmt = stmt.where(Finding.version_id.in_(version_ids))
    if year is not None:
        stmt = (stmt.join(Version, Version.id == Finding.version_id).join(Report, Report.id == Version.report_id)
                .where(Report.year == year))
        stmt = only_agencies(stmt, Report.agency_id, agency_ids)
    reasons: dict[int, str] = {}
    for version_id, message in session.execute(stmt.order_by(Finding.id)):
        reasons[version_id] = f"{reasons[version_id]}；{message}" if version_id in reasons else message
    return reasons


def compute_statuses(store: Any, year: int, as_of: dt.date, settings: Settings,
                     agency_ids: Scope = None) -> list[AgencyStatus]:
    """Every active agency's status for `year` as known at the end of `as_of` (schedule.timezone); only
    those of `agency_ids` (ids or a scope_of subquery) when given."""
    return compute_statuses_by_year(store, [year], as_of, settings, agency_ids)[year]


def compute_statuses_by_year(store: Any, years: list[int], as_of: dt.date, settings: Settings,
                             agency_ids: Scope = None) -> dict[int, list[AgencyStatus]]:
    """compute_statuses for several years at once: the agencies and the crawl history are read once.
    `agency_ids`: only these agencies (the roll-up's incremental rebuild); the verdicts are the same."""


    before = end_of_day(as_of, settings.clock)
    deadlines = settings.deadlines
    with store.read_session() as s:
        # `added` from the registry row: the settings file's and imported agencies' dates alike (the
        # row's created_at is only when we first synced it).
        agencies = s.execute(only_agencies(
            select(Agency.id, Agency.name, Agency.kind, Agency.region, Agency.added)
            .where(Agency.active.is_(True)), Agency.id, agency_ids).order_by(Agency.region, Agency.id)
        ).all()
        reports = {year: _report_infos(s, year, before, settings.clock, agency_ids) for year in years}
        history = site_read_history(s, before, agency_ids)
    readable = {agency_id: bool(runs) and runs[-1][1] for agency_id, runs in history.items()}
    failures = {agency_id: runs[-1][2] for agency_id, runs in history.items() if runs}
    results: dict[int, list[AgencyStatus]] = {year: [] for year in years}
    for agency in agencies:
        info = AgencyInfo(id=agency.id, name=agency.name, kind=agency.kind, region=agency.region,
                          added=agency.added)
        for year in years:
            status = agency_status(info, year, reports[year].get(agency.id), now=as_of, deadlines=deadlines,
                                   site_readable=readable.get(agency.id, False),
                                   site_failure=failures.get(agency.id),
                                   site_checked=bool(history.get(agency.id)))
            status.extra["region"] = agency.region
            results[year].append(status)
    return results


def statuses_from_rollup(store: Any, year: int, as_of: dt.date, settings: Settings,
                         agency_ids: Scope = None) -> Iterator[AgencyStatus]:
    """compute_statuses read off the roll-up (dashboard_status), streamed in the order of compute_statuses.

    Only valid when the roll-up was built for `as_of` from the data as it is now (the caller checks its
    stamp): its rows are compute_statuses_by_year's verdicts, with their reasons and the basis of their dates
    as judged then. One query of prepared rows, joined by key to the two columns the roll-up does not keep
    (the report's address and first sighting); nothing is judged again, no model is read."""
    ds = dashboard_status
    stmt = only_agencies(
        select(ds.c.agency_id, Agency.name, Agency.region, Agency.kind, Agency.added, ds.c.status, ds.c.reason,
               ds.c.due, ds.c.days_late, ds.c.published_date, ds.c.basis, ds.c.fully_read, ds.c.report_id,
               ds.c.version_count, ds.c.title, ds.c.error_count, ds.c.warning_count, Report.first_seen, Version.url)
        .join(Agency, Agency.id == ds.c.agency_id)
        .outerjoin(Version, Version.id == ds.c.version_id)
        .outerjoin(Report, Report.id == ds.c.report_id)
        .where(ds.c.year == year), ds.c.agency_id, agency_ids).order_by(Agency.region, Agency.id)
    with store.read_session() as s:
        for row in s.execute(stmt).yield_per(5000):
            yield _status_of_row(row, year, settings)


def _status_of_row(row: Any, year: int, settings: Settings) -> AgencyStatus:
    (agency_id, name, region, kind, added, status, reason, due, days_late, judged_on, basis, fully_read, report_id,
     version_count, title, errors, warnings, first_seen, url) = row
    report = None
    if report_id is not None and first_seen is not None:
        report = ReportInfo(
            report_id=report_id, year=year, first_seen=first_seen.astimezone(settings.clock.zone).date(),
            published_date=judged_on if basis == "published_date" else None,
            page_date=judged_on if basis == "page_date" else None, title=title, url=url,
            version_count=version_count, error_count=errors, warning_count=warnings, fully_read=fully_read)
    owed = is_owed(AgencyInfo(id=agency_id, name=name, kind=kind, region=region, added=added), year)
    return AgencyStatus(agency_id=agency_id, agency_name=name, year=year, status=status, due=due, owed=owed,
                        reason=reason, judged_on=judged_on if report else None, basis=basis, days_late=days_late,
                        report=report, extra={"region": region})
