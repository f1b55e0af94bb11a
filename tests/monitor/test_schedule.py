"""The daemon's triggers with a fixed clock: the default schedule fires when the issue says."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from nianbao.alerts.digest import scheduled_week, week_period
from nianbao.app.daemon import _crontab_weekday, cron_trigger, wanted_jobs
from nianbao.settings import ScheduleSettings, Settings

SH = ZoneInfo("Asia/Shanghai")
S = ScheduleSettings()


def next_fire(expr: str, now: dt.datetime) -> dt.datetime:
    return cron_trigger(expr, S.timezone).get_next_fire_time(None, now)


def test_crawl_daily_in_season() -> None:
    now = dt.datetime(2025, 1, 15, 10, 0, tzinfo=SH)
    assert next_fire(S.crawl_season, now) == dt.datetime(2025, 1, 16, 2, 0, tzinfo=SH)
    assert next_fire(S.crawl_season, dt.datetime(2025, 3, 31, 3, 0, tzinfo=SH)) == dt.datetime(2026, 1, 1, 2, 0, tzinfo=SH)


def test_crawl_weekly_out_of_season() -> None:
    # Not before April; then Mondays only.
    assert next_fire(S.crawl_offseason, dt.datetime(2025, 1, 15, tzinfo=SH)) == dt.datetime(2025, 4, 7, 3, 0, tzinfo=SH)
    assert next_fire(S.crawl_offseason, dt.datetime(2025, 6, 11, tzinfo=SH)) == dt.datetime(2025, 6, 16, 3, 0, tzinfo=SH)
    assert next_fire(S.crawl_offseason, dt.datetime(2025, 12, 30, tzinfo=SH)) == dt.datetime(2026, 4, 6, 3, 0, tzinfo=SH)


def test_digest_monday_8_shanghai_even_from_utc_clock() -> None:
    saturday = dt.datetime(2025, 2, 8, 23, 0, tzinfo=dt.UTC)
    fire = next_fire(S.digest, saturday)
    assert fire == dt.datetime(2025, 2, 10, 8, 0, tzinfo=SH)
    assert fire.astimezone(dt.UTC).hour == 0


@pytest.mark.parametrize("field,expected", [("1", "mon"), ("0", "sun"), ("7", "sun"), ("1-5", "mon-fri"),
                                            ("mon", "mon"), ("*", "*"), ("*/2", "*/2"), ("0,6", "sun,sat")])
def test_numeric_weekdays_mean_what_crontab_means(field: str, expected: str) -> None:
    assert _crontab_weekday(field) == expected
    # APScheduler 3's own from_crontab would read "1" as Tuesday: ours fires on Monday.
    assert next_fire("0 8 * * 1", dt.datetime(2025, 2, 8, tzinfo=SH)).weekday() == 0


def test_jobs_from_settings_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    monkeypatch.delenv("NIANBAO_SCHEDULE_OVERRIDE", raising=False)
    assert set(wanted_jobs(settings, None)) == {"crawl-season", "crawl-offseason", "digest", "outbox", "rollup",
                                                "recheck"}
    monkeypatch.setenv("NIANBAO_SCHEDULE_OVERRIDE", "crawl=2,digest=5")
    jobs = wanted_jobs(settings, None)
    assert set(jobs) == {"crawl", "digest", "outbox", "rollup", "recheck"}
    assert jobs["crawl"][1].interval == dt.timedelta(seconds=2)


def test_digest_week_is_stable_for_late_runs() -> None:
    # The Monday 08:00 run and a run delayed to Wednesday build the same Monday-to-Sunday week.
    monday = dt.datetime(2025, 2, 10, 8, 0, tzinfo=SH)
    wednesday = dt.datetime(2025, 2, 12, 15, 0, tzinfo=SH)
    clock = Settings().clock
    assert scheduled_week(monday, clock) == scheduled_week(wednesday, clock) == dt.date(2025, 2, 9)
    start, end = week_period(dt.date(2025, 2, 9), clock=clock)
    assert (start, end) == (dt.datetime(2025, 2, 3, tzinfo=SH), dt.datetime(2025, 2, 10, tzinfo=SH))
