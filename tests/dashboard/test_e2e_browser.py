"""End to end, in real headless Chromium: a real crawl of the test site farm fills the database, the
dashboard serves it, an overseer walks overview -> region -> agency -> the inconsistent report -> diff ->
review -> CSV. Screenshots of every page (laptop and phone width) go to test-artifacts/dashboard/."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao.crawler.runner import run_crawl
from nianbao.dashboard.users import add_user
from nianbao.settings import load_settings
from nianbao.storage.store import Store
from tests.dashboard.conftest import PASSWORD, Client, RunningServer, start_server
from tests.farm import Farm
from tests.farm import documents as docs
from tests.farm.server import SiteServer
from tests.farm.sites import list_page

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
XSS_TITLE = "<script>window.__pwned=1</script>吴忠市利通区统计局2020年政府信息公开工作年度报告"
INCONSISTENT = ("shizhong-tjj", "济南市市中区统计局")


def _xss_site() -> SiteServer:
    """One more farm-style site whose report title carries a script tag (escaped in its HTML, so the
    crawler reads it as text, exactly as a hostile or sloppy CMS would publish it)."""
    site = SiteServer("xss").start()
    text = docs.seed_text("wuzhong")
    site.set_page("/nb/", list_page("年报", [(XSS_TITLE, "/nb/t1.html")]))
    site.set_page("/nb/t1.html", docs.html_article(XSS_TITLE, text))
    return site


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("dash-e2e")
    farm = Farm(folder, only=["trs", "gbk", "split", "down"]).start()
    xss = _xss_site()
    try:
        # Watched since 2020, so 2020 reports are owed (a site that is down is "unreachable", not "not due").
        agencies = [{**a, "added": "2020-01-01"} for a in farm.agencies()] + [{"added": "2020-01-01",
            "id": "xss-ju", "name": "吴忠市利通区统计局", "region": "测试省/注入市", "level": "county",
            "kind": "department", "start_urls": [xss.base_url + "/nb/"]}]
        from tests.farm.agencies import write_config

        config = write_config(folder / "config", f"sqlite:///{folder / 'nianbao.db'}", agencies)
        settings = load_settings(config)
        first = run_crawl(settings, timeout=300)
        assert first.ok, first.log[-3000:]
        farm.change_report("gbk")  # a corrected edition: the second crawl stores version 2
        second = run_crawl(settings, timeout=300)
        assert second.ok, second.log[-3000:]
        store = Store.from_settings(settings)
        add_user(store, "shenhe", PASSWORD, "reviewer")
        add_user(store, "chakan", PASSWORD, "viewer")
        server = start_server(settings, store)
        try:
            yield {"settings": settings, "store": store, "server": server, "farm": farm}
        finally:
            server.stop()
            store.close()
    finally:
        xss.stop()
        farm.stop()


def _state(crawled: dict[str, Any]) -> str:
    """What the database holds, for a failure message."""
    from sqlalchemy import select

    from nianbao.monitor.rollup import status_table
    from nianbao.storage.models import Report, Version

    with crawled["store"].read_session() as session:
        reports = session.execute(select(Report.agency_id, Report.year, Version.number, Version.error_count)
                                  .join(Version, Version.report_id == Report.id)).all()
        rows = session.execute(select(status_table.c.agency_id, status_table.c.year, status_table.c.status,
                                      status_table.c.inconsistent)).all()
    return f"reports={reports} rollup={rows}"


def _shoot(page: Any, name: str) -> None:
    """Full-page screenshots at laptop and phone width (the page is reloaded at each size)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(VIEWPORTS["laptop"])


def _login(page: Any, base: str, name: str) -> None:
    page.goto(base + "/overview")
    assert "/login" in page.url  # not logged in: sent to the login form
    _shoot(page, "00-login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/overview")


def test_overseer_walkthrough(crawled: dict[str, Any], browser: Any) -> None:
    server: RunningServer = crawled["server"]
    base = server.base_url
    context = browser.new_context(viewport=VIEWPORTS["laptop"], accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _login(page, base, "shenhe")

    # Overview: the year of the farm's reports, counts that match the crawl.
    page.goto(base + "/overview?year=2020")
    assert page.locator("h1").inner_text().startswith("2020 年度")
    assert page.locator(".kpi.st-inconsistent .n").inner_text() == "1", _state(crawled)
    assert int(page.locator(".kpi.st-on_time .n").inner_text()) + int(page.locator(".kpi.st-late .n").inner_text()) == 4
    assert page.locator(".kpi.st-unreachable .n").inner_text() == "1"  # the site that is down
    _shoot(page, "01-overview")

    # Region list -> the region of the inconsistent agency.
    page.click("nav.mainnav >> text=地区")
    page.wait_for_url("**/regions**")
    _shoot(page, "02-regions")
    page.click(f"text=测试省/{INCONSISTENT[1][:3]}")
    page.wait_for_url("**/agencies?**")
    assert page.locator("table.list tbody tr").count() == 1
    _shoot(page, "03-region-agencies")

    # Agency page.
    page.click(f"text={INCONSISTENT[1]}")
    page.wait_for_url(f"**/agencies/{INCONSISTENT[0]}")
    assert page.locator("h1").inner_text() == INCONSISTENT[1]
    assert page.locator(".badge.st-inconsistent").count() >= 1
    _shoot(page, "04-agency")

    # The inconsistent report: the total row's cells are highlighted with expected vs actual.
    page.locator("section.card h2 a").first.click()
    page.wait_for_url("**/reports/*")
    flagged = page.locator("table.report td.flagged")
    assert flagged.count() >= 1
    total_cell = page.locator("td.flagged[data-location^='applications.total_handled']")
    assert total_cell.count() >= 1, "the （七）总计 row must be highlighted"
    tip = total_cell.first.text_content() or ""  # the popover is hidden until hovered
    assert "应为" in tip and "实为" in tip
    assert page.locator("text=勾稽关系不平衡").count() + page.locator("text=处理结果合计不符").count() >= 1
    _shoot(page, "05-report")

    # Compare versions 1 and 2: the correction sentence shows in the text diff.
    page.click("text=对比两个版本")
    page.wait_for_url("**/diff?**")
    assert "第 1 版 与 第 2 版" in page.locator("h1").inner_text()
    assert page.locator(".sbs-cell.right", has_text="本报告于发布后更正").count() >= 1
    _shoot(page, "06-diff")

    # Download the stored original from the report page.
    page.go_back()
    with page.expect_download() as download_info:
        page.click("a[data-download=original]")
    original = Path(download_info.value.path()).read_bytes()
    assert "市中区统计局".encode("gbk") in original or "市中区统计局".encode() in original

    # Findings: acknowledge one with a note; the record names who and why.
    page.goto(base + "/findings?review=open&q=" + INCONSISTENT[1])
    _shoot(page, "07-findings")
    count_before = int(page.locator(".cardhead h2").first.inner_text().split()[1])
    item = page.locator("ul.findings li").first
    # One wrong row flagged by two rules in two columns is one finding: its review covers every record.
    grouped = int(item.get_attribute("data-count") or "1")
    assert grouped == 4 and "同一处错误" in item.inner_text()
    item.locator("summary").click()
    item.locator("textarea[name=note]").fill("已与该局核实，总计行录入错误。")
    item.locator("button[value=acknowledged]").click()
    page.wait_for_url("**/findings?**done=acknowledged**")
    assert page.locator(".alert.ok").count() == 1
    page.goto(base + "/findings?review=acknowledged&q=" + INCONSISTENT[1])
    assert page.locator("text=已与该局核实，总计行录入错误。").count() == 1
    page.goto(base + "/findings?review=open&q=" + INCONSISTENT[1])
    assert int(page.locator(".cardhead h2").first.inner_text().split()[1]) == count_before - grouped

    # CSV export of the agency list: UTF-8 with BOM, Chinese intact.
    page.goto(base + "/agencies?year=2020")
    _shoot(page, "08-agencies")
    with page.expect_download() as download_info:
        page.click("a[data-export=csv]")
    data = Path(download_info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["机关代码", "机关名称"]
    assert any(r[1] == INCONSISTENT[1] and r[10] == "是" for r in rows[1:])  # CSV values in Chinese
    assert errors == [], errors
    context.close()


def test_crawled_script_title_is_text(crawled: dict[str, Any], browser: Any) -> None:
    base = crawled["server"].base_url
    context = browser.new_context(viewport=VIEWPORTS["laptop"])
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=name]", "chakan")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/overview")
    page.goto(base + "/agencies/xss-ju")
    link = page.locator("a", has_text="<script>")
    assert link.count() >= 1, "the title must be shown, as text"
    link.first.click()
    page.wait_for_url("**/reports/*")
    assert "<script>window.__pwned=1</script>" in page.locator("h1").inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert html.escape("<script>window.__pwned=1</script>", quote=False) in page.content()
    _shoot(page, "09-script-title")
    context.close()


def test_viewer_cannot_review_and_csrf_is_required(crawled: dict[str, Any]) -> None:
    base = crawled["server"].base_url
    with crawled["store"].read_session() as session:
        from sqlalchemy import select

        from nianbao.storage.models import Finding

        finding_id = session.scalar(select(Finding.id).where(Finding.severity == "error").limit(1))
    assert finding_id is not None

    viewer = Client(base, follow=False)
    assert viewer.login("chakan") == 303
    token = viewer.csrf("/findings")
    status, _, body = viewer.request(f"/findings/{finding_id}/review",
                                     {"csrf_token": token, "action": "acknowledged", "note": "x"})
    assert status == 403 and "审核员".encode() in body

    reviewer = Client(base, follow=False)
    assert reviewer.login("shenhe") == 303
    status, _, _ = reviewer.request(f"/findings/{finding_id}/review", {"action": "acknowledged", "note": "x"})
    assert status == 403  # no CSRF token
    status, _, _ = reviewer.request(f"/findings/{finding_id}/review",
                                    {"csrf_token": "forged", "action": "acknowledged", "note": "x"})
    assert status == 403
    token = reviewer.csrf("/findings")
    status, headers, _ = reviewer.request(f"/findings/{finding_id}/review",
                                          {"csrf_token": token, "action": "false_positive", "note": "测试"})
    assert status == 303
