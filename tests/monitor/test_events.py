"""Events derived from a real Store (SQLite and PostgreSQL): statuses, dedupe, errors, failing sites."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from nianbao import settings
from nianbao.monitor.events import derive_events
from nianbao.monitor.status import compute_statuses
from nianbao.storage.models import Event, Finding, Version
from tests.monitor.storekit import AgencyCfg, crawl, save, utc

# Watched since March 2024: 2024 is the first year they owe, so 2023 is never reported missing.
SINCE = dt.date(2024, 3, 1)
AGENCIES = [
    AgencyCfg("a", "甲市统计局", region="广东省/东莞市", added=SINCE),
    AgencyCfg("b", "乙区统计局", region="山东省/济南市", added=SINCE),
    AgencyCfg("c", "丙市人民政府", region="广东省/东莞市", kind="government", added=SINCE),
    AgencyCfg("d", "丁县统计局", region="广东省/东莞市", added=SINCE),
    AgencyCfg("e", "戊县统计局", region="山东省/济南市", added=SINCE),
    AgencyCfg("f", "己县统计局", region="山东省/济南市", added=dt.date(2025, 2, 1)),
]


Settings = settings.Settings(agencies=tuple(AGENCIES), monitor=settings.MonitorSettings(site_failing_runs=3))


def populate(store) -> None:
    store.sync_agencies(AGENCIES)
    ids = [a.id for a in AGENCIES]
    save(store, "a", 2024, utc(2025, 1, 20))
    save(store, "b", 2024, utc(2025, 2, 5))
    for day in (6, 7, 8):
        crawl(store, ids, utc(2025, 2, day), failing={"d": "connection"})


def kinds(store) -> dict[tuple[str, str | None], int]:
    with store.read_session() as s:
        rows = s.execute(select(Event.kind, Event.agency_id, func.count()).group_by(Event.kind, Event.agency_id))
        return {(k, a): n for k, a, n in rows}


def test_statuses_from_store(store) -> None:
    populate(store)
    statuses = {s.agency_id: s for s in compute_statuses(store, 2024, dt.date(2025, 2, 10), Settings)}
    assert {k: s.status for k, s in statuses.items()} == {
        "a": "on_time", "b": "late", "c": "not_due", "d": "unreachable", "e": "missing", "f": "not_owed",
    }
    assert statuses["a"].report.version_count == 1
    # As of 25 January, b's report was not known yet and its deadline had not passed.
    early = {s.agency_id: s.status for s in compute_statuses(store, 2024, dt.date(2025, 1, 25), Settings)}
    assert early["a"] == "on_time" and early["b"] == "not_due" and early["e"] == "not_due"
    # As of 5 February no crawl had run: absent reports are 尚未检查, not 网站无法访问.
    before = {s.agency_id: s.status for s in compute_statuses(store, 2024, dt.date(2025, 2, 5), Settings)}
    assert before["d"] == "unchecked" and before["e"] == "unchecked" and before["b"] == "late"


def test_an_imported_agency_owes_from_its_own_added_date(store) -> None:
    """The settings file lists none of these: the registry row's `added` decides what is owed."""
    store.import_agencies([AgencyCfg("late-joiner", "庚县统计局", added=dt.date(2025, 2, 1)),
                           AgencyCfg("old-hand", "辛县统计局", added=SINCE)])
    crawl(store, ["late-joiner", "old-hand"], utc(2025, 2, 6))
    empty = settings.Settings(agencies=(), monitor=settings.MonitorSettings(site_failing_runs=3))
    statuses = {s.agency_id: s.status for s in compute_statuses(store, 2024, dt.date(2025, 2, 10), empty)}
    assert statuses == {"late-joiner": "not_owed", "old-hand": "missing"}


def test_a_crawl_cut_short_proves_nothing_about_a_site(store) -> None:
    """After d's site failed, an interrupted run that never reached it must not make d 'missing'."""
    populate(store)
    crawl(store, [a.id for a in AGENCIES], utc(2025, 2, 9), status="interrupted")
    statuses = {s.agency_id: s.status for s in compute_statuses(store, 2024, dt.date(2025, 2, 10), Settings)}
    assert statuses["d"] == "unreachable"


def test_derive_is_idempotent_and_complete(store) -> None:
    populate(store)
    now = utc(2025, 2, 10)
    first = derive_events(store, Settings, now=now)
    assert first.added["late"] == 1 and first.added["missing"] == 1
    assert first.added["unreachable"] == 1 and first.added["site_failing"] == 1
    before = kinds(store)
    assert before[("new_report", "a")] == 1 and before[("late", "b")] == 1
    assert before[("missing", "e")] == 1 and before[("site_failing", "d")] == 1
    assert ("missing", "f") not in before and ("missing", "c") not in before
    again = derive_events(store, Settings, now=now + dt.timedelta(hours=1))
    assert again.total == 0
    assert kinds(store) == before


def test_site_failing_needs_consecutive_runs(store) -> None:
    store.sync_agencies(AGENCIES)
    ids = [a.id for a in AGENCIES]
    crawl(store, ids, utc(2025, 3, 1), failing={"d": "timeout"})
    crawl(store, ids, utc(2025, 3, 2), failing={"d": "timeout"})
    crawl(store, ids, utc(2025, 3, 3))  # read fine: the streak is broken
    crawl(store, ids, utc(2025, 3, 4), failing={"d": "timeout"})
    assert derive_events(store, Settings, now=utc(2025, 3, 5)).added["site_failing"] == 0
    crawl(store, ids, utc(2025, 3, 5), failing={"d": "timeout"})
    crawl(store, ids, utc(2025, 3, 6), failing={"d": "timeout"})
    assert derive_events(store, Settings, now=utc(2025, 3, 7)).added["site_failing"] == 1
    # The same streak going on does not raise a second event.
    crawl(store, ids, utc(2025, 3, 7), failing={"d": "timeout"})
    assert derive_events(store, Settings, now=utc(2025, 3, 8)).added["site_failing"] == 0


def add_error(store, version_id: int, location: str, expected: int, actual: int) -> None:
    with store.session() as s:
        s.add(Finding(version_id=version_id, rule="balance", severity="error", message="不平衡",
                      location=location, expected=expected, actual=actual))
        s.get(Version, version_id).error_count = 99  # any positive count marks it as having errors


def test_new_errors_only_once_and_only_new_ones(store) -> None:
    store.sync_agencies(AGENCIES)
    v1 = save(store, "a", 2024, utc(2025, 1, 20))
    with store.session() as s:  # start from a clean slate, whatever the parser found
        for f in s.scalars(select(Finding).where(Finding.version_id == v1.version_id)):
            s.delete(f)
    add_error(store, v1.version_id, "applications.total_handled.total", 4, 0)
    assert derive_events(store, Settings, now=utc(2025, 1, 21)).added["new_errors"] == 1
    v2 = save(store, "a", 2024, utc(2025, 1, 25), marker="\n更正")
    with store.session() as s:
        for f in s.scalars(select(Finding).where(Finding.version_id == v2.version_id)):
            s.delete(f)
    add_error(store, v2.version_id, "applications.total_handled.total", 4, 0)  # the same, still there
    assert derive_events(store, Settings, now=utc(2025, 1, 26)).added["new_errors"] == 0
    add_error(store, v2.version_id, "appeals.review.total", 1, 2)  # a new one
    assert derive_events(store, Settings, now=utc(2025, 1, 27)).added["new_errors"] == 1
    with store.read_session() as s:
        payloads = s.scalars(select(Event.payload).where(Event.kind == "new_errors").order_by(Event.id)).all()
    assert [f["location"] for f in payloads[-1]["findings"]] == ["appeals.review.total"]
