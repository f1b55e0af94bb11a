"""In real headless Chromium: reviewers see every weekly digest on 周报发送 (sent, waiting, refused for good
with the mail server's answer, times in 北京时间); viewers do not. A report that could not be read in full
shows 未能读全 in the status lists, never as "checked and fine"."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao import settings
from nianbao.alerts.mailer import send_pending
from nianbao.crawler.store_jobs import store_report
from nianbao.storage.store import Store
from tests.alerts.smtpkit import HostileInbox, SmtpServer
from tests.dashboard.conftest import PASSWORD, Client, RunningServer, start_seeded

pytestmark = pytest.mark.browser

WEEK = dt.datetime(2025, 2, 2, 16, tzinfo=dt.UTC)  # Monday 3 February 00:00 in Beijing
REFUSAL = "550 5.1.1 Mailbox unavailable"


def hollow(seed: bytes) -> bytes:
    """A report with every heading but no figure: each digit of its tables printed as "x"."""
    text = seed.decode("utf-8")
    start = text.index("二、")
    return (text[:start] + re.sub(r"\d", "x", text[start:])).encode("utf-8")


def _smtp(port: int) -> settings.SmtpSettings:
    return settings.SmtpSettings(host="127.0.0.1", port=port, sender="nianbao@example.test", timeout=5)


def _record(store: Store, recipient: str) -> None:
    store.record_digest(recipient=recipient, period_start=WEEK, period_end=WEEK + dt.timedelta(days=7),
                        as_of=WEEK + dt.timedelta(days=6), subject=f"周报 {recipient}", html="<p>周报</p>", text="周报")


@pytest.fixture
def server(store: Store, tmp_path: Path, seed_bytes: Callable[[str], bytes]) -> Iterator[RunningServer]:
    running = start_seeded(store, tmp_path, seed_bytes, session_lifetime=3600)
    # 沉默县 publishes a report whose tables could not be read.
    store_report(store, "silent", hollow(seed_bytes("001")), url="http://silent.example.gov.cn/nb.txt", headers={},
                 fetched_at=dt.datetime(2021, 1, 26, tzinfo=dt.UTC), filename="nb.txt", year_hint=2020)
    good, refusing = SmtpServer().start(), SmtpServer(inbox=HostileInbox(rcpt_answer=REFUSAL)).start()
    try:
        _record(store, "ok@example.test")
        assert send_pending(store, _smtp(good.port)) == {"sent": 1, "failed": 0}
        _record(store, "gone@example.test")
        assert send_pending(store, _smtp(refusing.port)) == {"sent": 0, "failed": 1}
        _record(store, "later@example.test")  # built, not sent yet
        yield running
    finally:
        good.stop()
        refusing.stop()
        running.stop()


def _login(browser: Any, base: str, name: str) -> Any:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/overview"))
    return page


def _row_text(page: Any, recipient: str) -> str:
    text: str = page.locator("#digest-log tr", has_text=recipient).inner_text()
    return text


def test_reviewer_sees_each_digest_sent_waiting_or_refused_with_the_servers_answer(
        server: RunningServer, browser: Any) -> None:
    page = _login(browser, server.base_url, "reviewer")
    page.click("nav.mainnav >> text=周报发送")
    page.wait_for_url(server.base_url + "/digests")
    refused = _row_text(page, "gone@example.test")
    assert "被拒收" in refused and REFUSAL in refused and "北京时间" in refused
    sent = _row_text(page, "ok@example.test")
    assert "已发送" in sent and "发送于" in sent and "北京时间" in sent
    assert "待发送" in _row_text(page, "later@example.test")
    assert "2025-02-03 至 2025-02-09" in refused  # the period on the Beijing calendar
    kpis = page.locator(".kpis").inner_text()
    assert re.search(r"1\s*被拒收", kpis) and re.search(r"1\s*已发送", kpis) and re.search(r"1\s*待发送", kpis)
    page.close()


def test_viewers_neither_see_nor_open_the_digest_log(server: RunningServer, browser: Any) -> None:
    page = _login(browser, server.base_url, "viewer")
    assert page.locator("nav.mainnav >> text=周报发送").count() == 0
    page.close()
    viewer = Client(server.base_url)
    assert viewer.login("viewer") == 200
    for path in ("/digests", "/digests.json", "/api/digests"):
        status, _, body = viewer.request(path)
        assert status == 403, (path, body[:200])


def test_a_report_not_read_in_full_shows_as_such_in_the_status_lists(server: RunningServer, browser: Any) -> None:
    page = _login(browser, server.base_url, "reviewer")
    page.goto(server.base_url + "/agencies?year=2020")
    silent = page.locator("table.list tr", has_text="沉默县人民政府办公室").inner_text()
    assert "未能读全" in silent
    fine = page.locator("table.list tr", has_text="东莞市统计局").inner_text()
    assert "未能读全" not in fine
    page.select_option("select[name=status]", "unread")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"status=unread"))
    names = page.locator("table.list tbody tr").all_inner_texts()
    assert len(names) == 1 and "沉默县人民政府办公室" in names[0]
    page.goto(server.base_url + "/agencies/silent")
    assert "未能读全" in page.locator("main").inner_text()
    page.close()
