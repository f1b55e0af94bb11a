"""Derive events from what is stored, and store them (idempotently).

`new_report` and `new_version` events are written by the Store in the same transaction as the version.
This module adds the events that need a wider view: `late`, `missing` (newly missing), `unreachable`,
`new_errors` (error findings a version has that its predecessor did not) and `site_failing` (N consecutive
crawl runs could not read the site). Every event has a dedupe key, so deriving again after each crawl,
after a restart or from a second process never stores an event twice. The digest reads only events, so
a digest can be rebuilt for any period.

The dedupe keys (one event per fact):
  late:{agency}:{year}              missing:{agency}:{year}        unreachable:{agency}:{year}
  new_errors:{version_id}:{hash of the (rule, location) set}      site_failing:{agency}:{first run of streak}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nianbao.monitor.status import AgencyStatus, compute_statuses_by_year, site_read_history
from nianbao.settings import Settings
from nianbao.storage.events import add_event
from nianbao.storage.models import Event, Finding, Report, Version

log = logging.getLogger("nianbao.events")

@dataclass
class DeriveResult:
    added: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.added.values())


def failing_runs_threshold(settings: Settings) -> int:
    return settings.monitor.site_failing_runs


def years_to_check(now: dt.date) -> list[int]:
    """Report years whose deadline can have passed by `now` and are still worth chasing."""
    return [now.year - 2, now.year - 1]


def derive_events(store: Any, settings: Settings, *, now: dt.datetime | None = None,
                  years: Iterable[int] | None = None) -> DeriveResult:
    """Add every event that follows from the stored data as of `now`; returns counts by kind.

    `years` are the report years checked for missing/unreachable (default: the last two); late
    reports are looked for in every year."""
    now = now or dt.datetime.now(dt.UTC)
    today = settings.clock.local_date(now)
    added = {"late": 0, "missing": 0, "unreachable": 0, "new_errors": 0, "site_failing": 0}
    checked = list(years if years is not None else years_to_check(today))
    by_year = compute_statuses_by_year(store, checked, today, settings)
    statuses = [status for year in checked for status in by_year[year]]
    statuses += _late_reports_of_other_years(store, settings, today, set(checked))
    with store.session() as s:
        for status in statuses:
            kind = _status_event_kind(status)
            if kind and _add_status_event(s, kind, status, now):
                added[kind] += 1
        added["new_errors"] = _derive_new_errors(s, now)
        added["site_failing"] = _derive_site_failing(s, failing_runs_threshold(settings), now)
    log.info("derived events: %s", ", ".join(f"{k} {v}" for k, v in added.items()))
    return DeriveResult(added)


def _late_reports_of_other_years(store: Any, settings: Any, today: dt.date, done: set[int]) -> list[AgencyStatus]:
    """Reports found for older years can be late too (e.g. the demo's 2020 reports)."""
    with store.read_session() as s:
        years = sorted(set(s.scalars(select(Report.year).distinct())) - done)
    if not years:
        return []
    by_year = compute_statuses_by_year(store, years, today, settings)
    return [status for year in years for status in by_year[year] if status.status == "late"]


def _status_event_kind(status: AgencyStatus) -> str | None:
    return status.status if status.status in ("late", "missing", "unreachable") else None


def _add_status_event(s: Session, kind: str, status: AgencyStatus, now: dt.datetime) -> bool:
    payload: dict[str, Any] = {
        "agency_name": status.agency_name,
        "due": status.due.isoformat(),
        "reason": status.reason,
    }
    if status.report is not None:
        payload.update(
            judged_on=status.judged_on.isoformat() if status.judged_on else None,
            basis=status.basis, days_late=status.days_late, title=status.report.title, url=status.report.url,
        )
    return add_event(
        s, kind, f"{kind}:{status.agency_id}:{status.year}", agency_id=status.agency_id, year=status.year,
        report_id=status.report.report_id if status.report else None, payload=payload, at=now,
    )


# --- new error findings --------------------------------------------------------------------------------


def _error_keys(s: Session, version_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    rows = s.scalars(select(Finding).where(Finding.version_id == version_id, Finding.severity == "error"))
    return {
        (f.rule, f.location or ""): {
            "rule": f.rule, "location": f.location, "message": f.message, "expected": f.expected, "actual": f.actual,
        }
        for f in rows
    }


def _reported_keys(s: Session, report_id: int) -> set[tuple[str, str]]:
    """(rule, location) pairs already announced for this report by earlier new_errors events."""
    keys: set[tuple[str, str]] = set()
    for payload in s.scalars(select(Event.payload).where(Event.kind == "new_errors", Event.report_id == report_id)):
        keys |= {(f["rule"], f.get("location") or "") for f in (payload or {}).get("findings", [])}
    return keys


def _derive_new_errors(s: Session, now: dt.datetime) -> int:
    added = 0
    versions = s.scalars(select(Version).where(Version.error_count > 0).order_by(Version.id)).all()
    for version in versions:
        current = _error_keys(s, version.id)
        previous = s.scalar(
            select(Version.id).where(Version.report_id == version.report_id, Version.number < version.number)
            .order_by(Version.number.desc()).limit(1)
        )
        known = set(_error_keys(s, previous)) if previous else set()
        fresh = sorted(set(current) - known - _reported_keys(s, version.report_id))
        if not fresh:
            continue
        digest = hashlib.sha1(repr(fresh).encode()).hexdigest()[:12]
        report = s.get(Report, version.report_id)
        payload = {"findings": [current[k] for k in fresh], "number": version.number, "url": version.url,
                   "title": report.title if report else None}
        if add_event(s, "new_errors", f"new_errors:{version.id}:{digest}", agency_id=report.agency_id if report else None,
                     year=report.year if report else None, report_id=version.report_id, version_id=version.id,
                     payload=payload, at=now):
            added += 1
    return added


# --- sites failing repeatedly --------------------------------------------------------------------------


def _derive_site_failing(s: Session, threshold: int, now: dt.datetime) -> int:
    added = 0
    for agency_id, history in site_read_history(s, now).items():
        streak = _trailing_failures(history)
        if len(streak) < threshold:
            continue
        first_run, last_error = streak[0][0], streak[-1][2]
        payload = {"runs": len(streak), "first_run": first_run, "last_error": last_error}
        if add_event(s, "site_failing", f"site_failing:{agency_id}:{first_run}", agency_id=agency_id,
                     payload=payload, at=now):
            added += 1
    return added


def _trailing_failures(history: Iterable[tuple[int, bool, str | None]]) -> list[tuple[int, bool, str | None]]:
    """The runs at the end of the history in which the site could not be read."""
    streak: list[tuple[int, bool, str | None]] = []
    for entry in history:
        streak = [] if entry[1] else [*streak, entry]
    return streak
