"""Hostile and broken sites (issue 11, points 6-10), crawled for real: HTTP servers on 127.0.0.1, Chromium.

- the crawl is confined to the agency's host:ports: redirects (every hop) and the browser's own requests
  included; another port on the same machine is another host;
- a site that leads on without end (a page of links, a pager past its end) costs at most its budget, and
  hitting the budget is recorded;
- robots.txt forbidding the site, an oversized answer and a gzip bomb leave the agency "unreachable" with
  the reason, never "missing";
- a report page with a captcha field in its comment form is read as the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nianbao.crawler.runner import CrawlSummary, run_crawl
from nianbao.monitor.status import AgencyStatus, compute_statuses
from nianbao.settings import load_settings
from nianbao.storage.models import Finding, SiteError, Version
from nianbao.storage.store import Store
from tests.farm import hostile
from tests.farm.agencies import write_config
from tests.farm.server import SiteServer

pytestmark = [pytest.mark.timeout(240)]

AGENCY = "dg-tjj"
REPORT_YEAR = 2020


@pytest.fixture
def site() -> Iterator[SiteServer]:
    server = SiteServer("hostile").start()
    yield server
    server.stop()


@pytest.fixture
def outside() -> Iterator[SiteServer]:
    """Another server on another port of 127.0.0.1 (a database, a cache, an intranet page)."""
    server = SiteServer("outside").start()
    yield server
    server.stop()


class Crawl:
    def __init__(self, tmp_path: Path, site: SiteServer, render: str = "auto", host: str | None = None,
                 **crawl: Any) -> None:
        self.database_url = f"sqlite:///{tmp_path / 'nianbao.db'}"
        agency = hostile.agency(AGENCY, site, render=render)
        if host is not None:  # the site under a name instead of its address
            agency["start_urls"] = [f"http://{host}:{site.port}/nb/"]
        self.config = write_config(tmp_path / "config", self.database_url, [agency], **crawl)
        self.blobs = tmp_path / "blobs"
        self.summary: CrawlSummary = run_crawl(self.config)
        assert self.summary.ok, self.summary.log[-4000:]

    def reports(self) -> set[tuple[str, int]]:
        store = Store(self.database_url, self.blobs)
        try:
            return {(r.agency_id, r.year) for r in store.list_reports()}
        finally:
            store.close()

    def site_errors(self) -> list[tuple[str, str]]:
        store = Store(self.database_url, self.blobs)
        try:
            with store.read_session() as s:
                return [(e.kind, e.message) for e in s.scalars(select(SiteError).order_by(SiteError.id))]
        finally:
            store.close()

    def status(self) -> AgencyStatus:
        settings = load_settings(self.config)
        store = Store.from_settings(settings)
        try:
            # Long after 2020's due date; today on the settings' clock (北京时间), as the monitor counts days:
            # the machine's own date is a day behind from 16:00 UTC, before the crawl that just ran.
            [status] = compute_statuses(store, REPORT_YEAR, settings.clock.today(), settings)
        finally:
            store.close()
        return status


# --- 6, 7: confinement ----------------------------------------------------------------------------------

def test_report_link_redirecting_to_another_port_is_refused_and_recorded(
        tmp_path: Path, site: SiteServer, outside: SiteServer) -> None:
    hostile.redirect_out(site, outside)
    crawl = Crawl(tmp_path, site)
    assert site.count("/art/2021/nb.html") == 1  # the link was followed, its 302 was not
    assert outside.count() == 0  # not the page, not its robots.txt
    assert crawl.reports() == set()
    [(kind, message)] = crawl.site_errors()
    assert kind == "offsite" and outside.base_url in message and "站外" in message
    status = crawl.status()
    assert status.status == "unreachable" and "站外" in status.reason


@pytest.mark.browser
def test_rendered_page_reaches_no_other_server(tmp_path: Path, site: SiteServer, outside: SiteServer) -> None:
    hostile.reaching_out(site, outside)
    crawl = Crawl(tmp_path, site, render="browser")
    assert site.count("/api/list.json") >= 1  # the page's own data was fetched: the browser did run it
    assert crawl.reports() == {(AGENCY, REPORT_YEAR)}
    assert outside.count() == 0, [h.path for h in outside.hits]


# A name is checked by the address it resolves to: "localhost" is this machine (/etc/hosts), as a lapsed
# agency domain pointed at an intranet, or a rebinding DNS answer, would be.

@pytest.mark.parametrize("render", ["auto", pytest.param("browser", marks=pytest.mark.browser)])
def test_a_name_resolving_to_this_machine_is_refused_before_any_request(
        tmp_path: Path, site: SiteServer, render: str) -> None:
    hostile.plain_report(site)
    crawl = Crawl(tmp_path, site, render=render, host="localhost")
    assert site.count() == 0, [h.path for h in site.hits]  # not robots.txt, not the page, by Scrapy or Chromium
    assert crawl.reports() == set()
    kinds = {kind for kind, _ in crawl.site_errors()}
    assert "private_address" in kinds
    [message] = [message for kind, message in crawl.site_errors() if kind == "private_address"][:1]
    assert "localhost" in message and "127.0.0.1" in message and "非公网地址" in message
    status = crawl.status()
    assert status.status == "unreachable" and "内网地址" in status.reason


def test_an_intranet_deployment_may_crawl_names_of_private_addresses(tmp_path: Path, site: SiteServer) -> None:
    hostile.plain_report(site)
    crawl = Crawl(tmp_path, site, host="localhost", private_addresses=True)
    assert crawl.reports() == {(AGENCY, REPORT_YEAR)}
    assert crawl.site_errors() == []


# --- a report published but unreadable is published, not missing ---------------------------------------

DAMAGED_PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64  # no xref, no objects: no reader can open it


def test_a_report_whose_file_cannot_be_read_counts_as_published_with_its_bytes_kept(
        tmp_path: Path, site: SiteServer) -> None:
    hostile.report_list(site, "/upload/nb2020.pdf")  # the link's title names the agency's 2020 report
    site.set_page("/upload/nb2020.pdf", DAMAGED_PDF, "application/pdf")
    crawl = Crawl(tmp_path, site)
    assert crawl.reports() == {(AGENCY, REPORT_YEAR)}
    status = crawl.status()
    assert status.status in ("on_time", "late") and status.report is not None
    assert not status.report.fully_read and "内容未核对" in (status.report.unread_reason or "")
    store = Store(crawl.database_url, crawl.blobs)
    try:
        with store.read_session() as s:
            [version] = s.scalars(select(Version)).all()
            findings = s.scalars(select(Finding).where(Finding.version_id == version.id)).all()
        assert store.blobs.get(version.sha256) == DAMAGED_PDF  # nothing lost
    finally:
        store.close()
    assert [(f.rule, f.severity) for f in findings] == [("unreadable", "warning")]  # not proven against it
    assert findings[0].message == "文件无法读取，内容未核对：PDF 文件不完整（缺少文件结束标记，可能未下载完整）"
    again = Crawl(tmp_path, site)
    assert again.summary.reports_new == 0 and again.summary.reports_changed == 0


# --- 8: budgets and pagination traps --------------------------------------------------------------------

def test_page_of_20000_links_costs_at_most_the_page_budget(tmp_path: Path, site: SiteServer) -> None:
    hostile.link_flood(site, 20_000)
    crawl = Crawl(tmp_path, site, max_pages_per_site=100)
    assert site.count() <= 100 + 1  # the budget, and robots.txt
    assert site.count() >= 50  # the links were followed up to the budget
    budget = [message for kind, message in crawl.site_errors() if kind == "budget"]
    assert len(budget) == 1 and "100" in budget[0] and "上限" in budget[0]
    status = crawl.status()
    assert status.status == "unreachable" and "上限" in status.reason


def test_a_site_over_its_byte_budget_is_not_asked_further(tmp_path: Path, site: SiteServer) -> None:
    hostile.link_flood(site, 20_000)  # the list page alone is ~2 MB
    crawl = Crawl(tmp_path, site, max_bytes_per_site=1_000_000)
    assert site.count() == 2  # robots.txt and the list page; none of its 20,000 links
    assert [kind for kind, _ in crawl.site_errors()] == ["budget"]


def test_pager_that_never_ends_stops_when_pages_repeat(tmp_path: Path, site: SiteServer) -> None:
    hostile.pager_trap(site)
    Crawl(tmp_path, site)  # max_list_pages is 50 (the default)
    pager_hits = [h.path for h in site.hits if h.path.startswith("/list/")]
    assert pager_hits == ["/list/p2.html"]  # it shows what /nb/ showed: the chain ends there


# --- 9: could not look -> unreachable, with the reason --------------------------------------------------

def test_robots_forbidding_the_site_is_unreachable_not_missing(tmp_path: Path, site: SiteServer) -> None:
    hostile.robots_forbid_all(site)
    crawl = Crawl(tmp_path, site)
    assert site.count("/nb/") == 0 and crawl.reports() == set()
    assert [kind for kind, _ in crawl.site_errors()] == ["robots"]
    status = crawl.status()
    assert status.status == "unreachable" and "robots" in status.reason


def test_oversized_report_is_unreachable_not_missing(tmp_path: Path, site: SiteServer) -> None:
    hostile.oversized(site, 2 * 1024 * 1024)
    crawl = Crawl(tmp_path, site, max_download_size=1024 * 1024)
    assert [kind for kind, _ in crawl.site_errors()] == ["too_large"]
    status = crawl.status()
    assert status.status == "unreachable" and "文件过大" in status.reason  # the failure named in Chinese; the raw detail stays for the tooltip


def test_gzip_bomb_is_unreachable_not_missing(tmp_path: Path, site: SiteServer) -> None:
    hostile.gzip_bomb(site, 64 * 1024 * 1024)  # 64 KB on the wire
    crawl = Crawl(tmp_path, site, max_download_size=1024 * 1024)
    [(kind, message)] = crawl.site_errors()
    assert kind == "too_large" and "压缩炸弹" in message
    assert crawl.status().status == "unreachable"


# --- 10: captcha fields are not challenges --------------------------------------------------------------

def test_report_page_with_a_captcha_in_its_comment_form_is_read(tmp_path: Path, site: SiteServer) -> None:
    hostile.report_with_captcha_form(site)
    crawl = Crawl(tmp_path, site)
    assert crawl.site_errors() == []
    assert crawl.reports() == {(AGENCY, REPORT_YEAR)}


def test_short_captcha_page_is_still_a_challenge(tmp_path: Path, site: SiteServer) -> None:
    site.set_page("/nb/index.html", hostile.captcha_challenge_page())
    crawl = Crawl(tmp_path, site)
    assert [kind for kind, _ in crawl.site_errors()] == ["blocked"]
    assert crawl.status().status == "unreachable"
