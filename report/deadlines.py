"""When an annual report is due (《政府信息公开条例》第四十九条): the one place that does the date arithmetic.

A department owes its report on year Y by 31 January of Y+1, a people's government by 31 March of Y+1.
Callers with their own settings (`nianbao.settings.DeadlineSettings`) pass the month and day they were configured with;
the `deadline` rule of the validator uses the statutory ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

MonthDay = tuple[int, int]

# (month, day) of the year after the report's year, per agency kind; an unknown kind is held to a department's.
DUE_MONTH_DAY: dict[str, MonthDay] = {"department": (1, 31), "government": (3, 31)}


def due_date(kind: str, year: int, grace_days: int = 0, *, month_day: MonthDay | None = None) -> date:
    """The last day the report of an agency of `kind` on `year` is on time: its due day plus any grace."""
    month, day = month_day or DUE_MONTH_DAY.get(kind, DUE_MONTH_DAY["department"])
    return date(year + 1, month, day) + timedelta(days=grace_days)


DueRule = Callable[[str, int], date]


def latest_due_year(today: date, due: DueRule | None = None) -> int:
    """The default report year everywhere (dashboard, `nianbao status`, the digest): the latest year whose
    reports are due by `today`, i.e. the earliest due day of that year (a department's, 31 January of the
    next year by statute) has passed. On 10 February 2026 that is 2025; on 20 January 2026, 2024.

    `due(kind, year)` is the configured due day (settings `deadlines`: DeadlineSettings.due); by default
    the statutory one."""
    rule = due or due_date
    year = today.year - 1
    while today <= min(rule(kind, year) for kind in DUE_MONTH_DAY):
        year -= 1
    return year


# The 《政府信息公开条例》 took effect on 1 May 2008: the first annual reports are on 2008.
FIRST_REPORT_YEAR = 2008


def report_year_problem(year: int, today: date) -> str | None:
    """Why `year` cannot be a report year as of `today` (None when it can): from 2008 to next year."""
    if FIRST_REPORT_YEAR <= year <= today.year + 1:
        return None
    if 0 <= year < 100:
        return f"年度 {year} 不完整：请写四位年份，如 {today.year - 1}"
    return f"年度 {year} 超出范围：年度报告始于 {FIRST_REPORT_YEAR} 年（《政府信息公开条例》施行），最晚到 {today.year + 1} 年"
