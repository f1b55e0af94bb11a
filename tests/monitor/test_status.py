"""Status rules with an injected clock: on time, late, missing, unreachable, not due."""

from __future__ import annotations

import datetime as dt

import pytest

from nianbao.monitor.status import AgencyInfo, ReportInfo, agency_status, first_owed_year
from nianbao.settings import DeadlineSettings

D = dt.date
DEPT = AgencyInfo(id="tjj", name="某市统计局", kind="department")
GOV = AgencyInfo(id="gov", name="某市人民政府", kind="government")


def found(on: dt.date, **kw: object) -> ReportInfo:
    return ReportInfo(report_id=1, year=2024, first_seen=on, **kw)  # type: ignore[arg-type]


def test_found_on_20_january_is_on_time() -> None:
    s = agency_status(DEPT, 2024, found(D(2025, 1, 20)), now=D(2025, 3, 1))
    assert (s.status, s.basis, s.judged_on) == ("on_time", "first_seen", D(2025, 1, 20))


def test_found_on_5_february_is_late() -> None:
    s = agency_status(DEPT, 2024, found(D(2025, 2, 5)), now=D(2025, 3, 1))
    assert s.status == "late"
    assert s.days_late == 5


def test_none_by_1_february_is_missing() -> None:
    s = agency_status(DEPT, 2024, None, now=D(2025, 2, 1))
    assert s.status == "missing"
    # ...but on the deadline day itself it is not yet due.
    assert agency_status(DEPT, 2024, None, now=D(2025, 1, 31)).status == "not_due"


@pytest.mark.parametrize("now", [D(2024, 6, 1), D(2024, 12, 31), D(2025, 1, 1), D(2025, 1, 31)])
def test_year_not_yet_due_is_never_missing(now: dt.date) -> None:
    for site_readable in (True, False):
        s = agency_status(DEPT, 2024, None, now=now, site_readable=site_readable)
        assert s.status == "not_due"


def test_government_due_31_march() -> None:
    assert agency_status(GOV, 2024, None, now=D(2025, 3, 31)).status == "not_due"
    assert agency_status(GOV, 2024, None, now=D(2025, 4, 1)).status == "missing"
    assert agency_status(GOV, 2024, found(D(2025, 3, 15)), now=D(2025, 4, 1)).status == "on_time"


def test_grace_period_and_configured_dates() -> None:
    grace = DeadlineSettings(grace_days=7)
    assert agency_status(DEPT, 2024, found(D(2025, 2, 5)), now=D(2025, 3, 1), deadlines=grace).status == "on_time"
    assert agency_status(DEPT, 2024, None, now=D(2025, 2, 5), deadlines=grace).status == "not_due"
    assert agency_status(DEPT, 2024, None, now=D(2025, 2, 8), deadlines=grace).status == "missing"
    custom = DeadlineSettings(department="02-15", grace_days=1)
    assert custom.due("department", 2024) == D(2025, 2, 16)
    assert custom.due("government", 2024) == D(2025, 4, 1)


def test_published_date_beats_page_date_beats_first_seen() -> None:
    # Seen late, but the report itself says it was published in time.
    s = agency_status(DEPT, 2024, found(D(2025, 3, 1), published_date=D(2025, 1, 10), page_date=D(2025, 2, 20)),
                      now=D(2025, 3, 2))
    assert (s.status, s.basis) == ("on_time", "published_date")
    s = agency_status(DEPT, 2024, found(D(2025, 3, 1), page_date=D(2025, 2, 20)), now=D(2025, 3, 2))
    assert (s.status, s.basis) == ("late", "page_date")


def test_unreachable_site_does_not_prove_absence() -> None:
    s = agency_status(DEPT, 2024, None, now=D(2025, 2, 10), site_readable=False)
    assert s.status == "unreachable"


def test_agency_added_mid_year_owes_from_first_full_cycle() -> None:
    june = AgencyInfo(id="a", name="A", added=D(2024, 6, 15))
    assert first_owed_year(june.added) == 2024
    assert agency_status(june, 2024, None, now=D(2025, 2, 10)).status == "missing"
    assert agency_status(june, 2023, None, now=D(2025, 2, 10)).status == "not_owed"
    feb = AgencyInfo(id="b", name="B", added=D(2025, 2, 15))
    s = agency_status(feb, 2024, None, now=D(2025, 6, 1))
    # One rule for the CLI and the dashboard: 不应报, not 未到期.
    assert (s.status, s.owed) == ("not_owed", False) and s.reason.startswith("不应报")
    # First sight after we began watching cannot show lateness...
    assert agency_status(feb, 2024, found(D(2025, 2, 16)), now=D(2025, 6, 1)).status == "on_time"
    # ...but the report's own date can.
    late = found(D(2025, 2, 16), published_date=D(2025, 2, 10))
    assert agency_status(feb, 2024, late, now=D(2025, 6, 1)).status == "late"
    assert first_owed_year(D(2025, 1, 1)) == 2024


def test_an_agency_no_crawl_has_covered_yet_is_unchecked_not_unreachable() -> None:
    s = agency_status(DEPT, 2024, None, now=D(2025, 2, 10), site_readable=False, site_checked=False)
    assert s.status == "unchecked" and s.reason.startswith("尚未检查")
    tried = agency_status(DEPT, 2024, None, now=D(2025, 2, 10), site_readable=False, site_checked=True)
    assert tried.status == "unreachable"
