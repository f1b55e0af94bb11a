"""When an annual report is due (《政府信息公开条例》第四十九条): the one place that does the date arithmetic.

A department owes its report on year Y by 31 January of Y+1, a people's government by 31 March of Y+1.
Callers with their own settings (`nianbao.settings.DeadlineSettings`) pass the month and day they were configured with;
the `deadline` rule of the validator uses the statutory ones.
"""

from __future__ import annotations

from datetime import date, timedelta

MonthDay = tuple[int, int]

# (month, day) of the year after the report's year, per agency kind; an unknown kind is held to a department's.
DUE_MONTH_DAY: dict[str, MonthDay] = {"department": (1, 31), "government": (3, 31)}


def due_date(kind: str, year: int, grace_days: int = 0, *, month_day: MonthDay | None = None) -> date:
    """The last day the report of an agency of `kind` on `year` is on time: its due day plus any grace."""
    month, day = month_day or DUE_MONTH_DAY.get(kind, DUE_MONTH_DAY["department"])
    return date(year + 1, month, day) + timedelta(days=grace_days)
