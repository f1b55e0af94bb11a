"""A new report that could not be read in full is listed under 未能读全 in the digest (its tables were not
checked), and `nianbao status` says so too: "no error" must not read as "checked and fine"."""

from __future__ import annotations

import datetime as dt
import re

from nianbao import settings
from nianbao.alerts.digest import build_digests
from nianbao.crawler.store_jobs import store_report
from nianbao.monitor.status import compute_statuses
from tests.monitor.storekit import AgencyCfg, report_text, save, utc

AGENCIES = [AgencyCfg("a", "甲区统计局", region="甲市", added=dt.date(2024, 1, 1)),
            AgencyCfg("b", "乙区统计局", region="甲市", added=dt.date(2024, 1, 1))]
SETTINGS = settings.Settings(agencies=tuple(AGENCIES),
                             dashboard=settings.DashboardSettings(base_url="http://dash.local"))


def _hollow(year: int) -> bytes:
    text = report_text(year)
    start = text.index("二、")
    return (text[:start] + re.sub(r"\d", "x", text[start:])).encode("utf-8")


def _populate(store) -> None:
    store.sync_agencies(AGENCIES)
    save(store, "a", 2024, utc(2025, 1, 6), published=dt.date(2025, 1, 5))
    store_report(store, "b", _hollow(2024), url="http://127.0.0.1:9/b/nb.txt", headers={},
                 fetched_at=utc(2025, 1, 7), year_hint=2024, filename="nb.txt")


def test_a_hollow_report_is_listed_under_not_fully_read(store) -> None:
    _populate(store)
    [digest] = build_digests(store, SETTINGS, as_of=dt.date(2025, 1, 12), record=False)
    sections = {s.key: s for s in digest.content.sections}
    assert [i.agency_name for i in sections["unread"].items] == ["乙区统计局"]
    assert sorted(i.agency_name for i in sections["published"].items) == ["乙区统计局", "甲区统计局"]
    text, html = digest.rendered.text, digest.rendered.html
    assert "未能读全：第" in text and "未能读全（1）" in html
    unread_part = text.split("== 未能读全")[1].split("\n== ")[0]
    assert "乙区统计局" in unread_part and "甲区统计局" not in unread_part


def test_status_says_a_found_report_was_not_fully_read(store) -> None:
    _populate(store)
    statuses = {s.agency_id: s for s in compute_statuses(store, 2024, dt.date(2025, 3, 1), SETTINGS)}
    assert statuses["b"].report is not None and not statuses["b"].report.fully_read
    assert "未能读全" in statuses["b"].reason
    assert statuses["a"].report is not None and statuses["a"].report.fully_read
    assert "未能读全" not in statuses["a"].reason
