"""Lists sorted by any column (server-side, ?sort=, the .json twin too), search across agency names and report
titles (header box and /search), last / next check per agency and a reviewer's "recheck now" that the
daemon runs: in real headless Chromium at laptop and phone width, and over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nianbao.app import daemon
from nianbao.settings import load_settings
from nianbao.storage.models import CrawlRun, RecheckRequest
from nianbao.storage.store import Store
from tests.dashboard.conftest import Client
from tests.dashboard.report_site import AGENCIES, login, serve
from tests.farm import Farm
from tests.farm.agencies import write_config

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("search-sort"))


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, site: dict[str, Any], browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="zh-CN")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def _client(site: dict[str, Any], name: str = "viewer") -> Client:
    client = Client(site["base"])
    assert client.login(name) == 200
    return client



def _names(page: Any) -> list[str]:
    return page.locator("table.list tbody tr td:first-child a").all_inner_texts()


def test_clicking_a_column_heading_sorts_the_agency_list(page: Any, site: dict[str, Any]) -> None:
    login(page, site["base"])
    page.goto(site["base"] + "/agencies?year=2020")
    default = _names(page)
    assert sorted(default) == sorted(name for name, _ in AGENCIES.values())
    if page.viewport_size["width"] > 640:  # column headings on a laptop …
        page.click("table.list thead a.sort:text-is('机关')")
        page.wait_for_url(re.compile(r"sort=name"))
        assert page.locator("th[aria-sort=ascending]").inner_text().startswith("机关")
    else:  # … the sort menu of the filters on a phone (the table is stacked as cards there)
        page.select_option("form.filters select[name=sort]", "name")
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(r"sort=name"))
    ascending = _names(page)
    assert ascending == sorted(default)
    if page.viewport_size["width"] > 640:
        page.click("table.list thead a.sort:has-text('机关')")
    else:
        page.select_option("form.filters select[name=sort]", "-name")
        page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"sort=-name"))
    assert _names(page) == ascending[::-1]
    # The twin answers in the same order, and the filters survive a sort.
    client = _client(site)
    rows = client.json("/agencies.json?year=2020&sort=-name")["rows"]
    assert [r["name"] for r in rows] == ascending[::-1]


def test_sort_keys_outside_the_whitelist_are_ignored(site: dict[str, Any]) -> None:
    client = _client(site)
    default = [r["agency_id"] for r in client.json("/agencies.json?year=2020")["rows"]]
    for hostile in ("password_hash", "name;drop table users", "-__class__"):
        rows = client.json(f"/agencies.json?year=2020&sort={hostile}")["rows"]
        assert [r["agency_id"] for r in rows] == default


def test_findings_sort_by_rule_both_ways(site: dict[str, Any]) -> None:
    client = _client(site)
    up = [r["rule"] for r in client.json("/findings.json?sort=rule")["rows"]]
    down = [r["rule"] for r in client.json("/findings.json?sort=-rule")["rows"]]
    assert len(set(up)) >= 2, up  # the fixture's reports break more than one rule
    assert up == sorted(up) and down == sorted(up, reverse=True)


def test_the_header_search_finds_agencies_and_reports(page: Any, site: dict[str, Any]) -> None:
    login(page, site["base"])
    page.goto(site["base"] + "/overview")
    box = page.locator("header form.searchbox input[name=q]")
    box.fill("吴忠")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    agencies = page.locator(".search-agencies ul.results li").all_inner_texts()
    assert len(agencies) == 1 and "吴忠市利通区统计局" in agencies[0]
    reports = page.locator(".search-reports ul.results li a").all_inner_texts()
    assert reports and all("吴忠市利通区统计局" in r for r in reports)
    page.locator(".search-agencies ul.results li a").click()
    assert page.locator("h1").inner_text() == "吴忠市利通区统计局"


def test_search_json_twin_and_wildcards_taken_literally(site: dict[str, Any]) -> None:
    client = _client(site)
    found = client.json("/search.json?q=统计局")
    assert {a["name"] for a in found["agencies"]} == {name for name, _ in AGENCIES.values()}
    assert client.json("/search.json?q=%25")["agencies"] == []  # "%" is a character, not a wildcard
    assert client.json("/search.json?q=广州")["agencies"][0]["id"] == "guangzhou"
    assert client.json("/search.json?q=")["agencies"] == []


def test_agency_page_shows_last_and_next_check_and_queues_a_recheck(page: Any, site: dict[str, Any]) -> None:
    login(page, site["base"], "reviewer")
    page.goto(site["base"] + "/agencies/dongguan")
    assert page.locator(".checks .last-checked").inner_text() != "尚未检查"
    assert "按计划" in page.locator(".checks .next-check").inner_text()
    page.click("form.recheck button")
    assert "已安排重新检查" in page.locator(".checks .alert").inner_text()
    assert "已排队" in page.locator(".checks .next-check").inner_text()
    assert page.locator("form.recheck").count() == 0  # asked once is enough
    with site["store"].read_session() as session:
        queued = session.scalars(select(RecheckRequest).where((RecheckRequest.agency_id == "dongguan")
                                                              & RecheckRequest.finished_at.is_(None))).all()
    assert len(queued) == 1 and queued[0].claimed_at is None
    site["store"].claim_rechecks()  # the next test (other width) starts from an empty queue
    site["store"].finish_rechecks(["dongguan"], None)


def test_only_a_reviewer_with_the_csrf_token_can_queue_a_recheck(site: dict[str, Any]) -> None:
    viewer = _client(site)
    status, _, body = viewer.request("/agencies/wuzhong")
    assert status == 200 and "立即重新检查" not in body.decode()
    token = viewer.csrf("/agencies/wuzhong")
    status, _, _ = viewer.request("/agencies/wuzhong/recheck", {"csrf_token": token})
    assert status == 403
    reviewer = _client(site, "reviewer")
    status, _, _ = reviewer.request("/agencies/wuzhong/recheck", {"csrf_token": "forged"})
    assert status == 403
    status, _, _ = reviewer.request("/agencies/no-such-agency/recheck", {"csrf_token": reviewer.csrf("/overview")})
    assert status == 404
    with site["store"].read_session() as session:
        assert session.scalars(select(RecheckRequest).where(RecheckRequest.agency_id == "wuzhong")).all() == []


def test_the_daemon_crawls_the_queued_agency_and_closes_the_request(tmp_path: Path) -> None:
    farm = Farm(tmp_path / "farm", only=["trs", "gbk"]).start()
    try:
        agencies = farm.agencies()
        config = write_config(tmp_path / "config", f"sqlite:///{tmp_path / 'nianbao.db'}", agencies)
        settings = load_settings(config)
        chosen = agencies[0]["id"]
        with Store.from_settings(settings) as store:
            store.sync_agencies(settings.agencies)
            assert store.request_recheck(chosen, None)
            assert not store.request_recheck(chosen, None)  # already queued
        daemon.recheck_job(str(config))
        with Store.from_settings(settings) as store, store.read_session() as session:
            request = session.scalars(select(RecheckRequest)).one()
            run = session.get(CrawlRun, request.run_id)
        assert request.finished_at is not None and run is not None
        assert run.agency_ids == [chosen] and run.status == "finished"
        daemon.recheck_job(str(config))  # nothing queued: no crawl
        with Store.from_settings(settings) as store, store.read_session() as session:
            assert len(session.scalars(select(CrawlRun)).all()) == 1
    finally:
        farm.stop()


def test_search_and_sort_queries_on_both_databases(store: Store) -> None:
    """The same queries on SQLite and on PostgreSQL (there ILIKE runs on the trigram indexes of 0107)."""
    from nianbao.dashboard import queries as Q
    from tests.dashboard.report_site import fill

    fill(store)
    with store.read_session() as session:
        found = Q.search(session, "统计局")
        names = [a["name"] for a in found["agencies"]]
        assert sorted(names) == sorted(name for name, _ in AGENCIES.values())
        assert [len(n) for n in names] == sorted(len(n) for n in names)  # closest (shortest) names first
        assert Q.search(session, "广州")["agencies"][0]["id"] == "guangzhou"
        assert {r["agency_id"] for r in Q.search(session, "吴忠")["reports"]} == {"wuzhong"}
        assert Q.search(session, "_")["agencies"] == []
        rows = Q.agency_rows(session, Q.ListFilters(year=2020, sort="-name"))["rows"]
        assert [r["name"] for r in rows] == sorted((r["name"] for r in rows), reverse=True)
