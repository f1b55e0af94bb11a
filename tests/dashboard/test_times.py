"""Every time the dashboard shows is on the settings' clock (北京时间 by default), whatever zone the store used."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from nianbao.dashboard.templating import environment, local_time

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_naive_stored_moment_is_utc_and_shown_in_beijing_time() -> None:
    assert local_time(dt.datetime(2026, 12, 3, 12, 35), SHANGHAI) == "2026-12-03 20:35 北京时间"


def test_an_aware_moment_is_converted_not_relabelled() -> None:
    moment = dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC)
    assert local_time(moment, SHANGHAI) == "2026-02-01 07:00 北京时间"


def test_another_configured_zone_is_named_as_it_is() -> None:
    assert local_time(dt.datetime(2026, 6, 1, 0, 0), ZoneInfo("Asia/Urumqi")) == "2026-06-01 06:00 Asia/Urumqi"


def test_the_page_filter_uses_the_zone_it_was_given() -> None:
    env = environment(SHANGHAI)
    rendered = env.from_string("{{ t|datetime }}").render(t=dt.datetime(2026, 12, 3, 16, 1))
    assert rendered == "2026-12-04 00:01 北京时间"
    assert env.from_string("{{ t|datetime }}").render(t=None) == "—"
