"""The crawl schedule read as times: the settings' crontab lines as APScheduler triggers (the daemon runs
them) and the next time a crawl is due (the dashboard shows it per agency as 下次检查)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from nianbao.settings import ScheduleSettings


def cron_trigger(expr: str, timezone: str) -> Any:
    """A CronTrigger from a 5-field crontab. Numeric weekdays follow crontab (0/7 = Sunday), unlike
    APScheduler 3's from_crontab (0 = Monday), so the settings mean what cron users expect."""
    minute, hour, day, month, weekday = expr.split()
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_crontab_weekday(weekday),
                       timezone=timezone)


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _crontab_weekday(field: str) -> str:
    def name(token: str) -> str:
        return _WEEKDAYS[int(token)] if token.isdigit() and int(token) < 8 else token

    parts = []
    for item in field.split(","):
        base, _, step = item.partition("/")
        base = "-".join(name(t) for t in base.split("-"))
        parts.append(f"{base}/{step}" if step else base)
    return ",".join(parts)


def next_crawl(schedule: ScheduleSettings, now: dt.datetime) -> dt.datetime | None:
    """When the scheduled crawl (season or off-season, whichever comes first) next runs after `now`."""
    times = [cron_trigger(expr, schedule.timezone).get_next_fire_time(None, now)
             for expr in (schedule.crawl_season, schedule.crawl_offseason)]
    found = [t for t in times if t is not None]
    return min(found) if found else None
