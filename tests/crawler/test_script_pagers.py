"""Script pagers that name no URL (goPage(2) by XHR, turnPage(3) setting location), crawled end to end on the
farm (tests/farm/script_pagers.py): Chromium clicks through them, and only where the static reading finds no
next page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

from nianbao.crawler import discovery as d
from nianbao.crawler.runner import CrawlSummary, run_crawl
from nianbao.settings import load_settings
from nianbao.storage.store import Store
from tests.farm import documents as docs
from tests.farm import script_pagers
from tests.farm.agencies import write_config
from tests.farm.server import SiteServer

SCRIPTED = ["xhr_gopage", "turnpage_location"]


@pytest.fixture(scope="module")
def shapes() -> Iterator[dict[str, tuple[SiteServer, dict]]]:
    running = {}
    for key in script_pagers.SHAPES:
        site = SiteServer(key).start()
        running[key] = (site, script_pagers.build(key, site))
    try:
        yield running
    finally:
        for site, _ in running.values():
            site.stop()


def _crawl(folder: Path, entries: list[dict], **crawl: object) -> tuple[CrawlSummary, dict[str, list[int]]]:
    config = write_config(folder / "config", f"sqlite:///{folder / 'db.sqlite'}", entries, **crawl)
    summary = run_crawl(config)
    assert summary.ok, summary.log[-3000:]
    with Store.from_settings(load_settings(config)) as store:
        return summary, {e["id"]: [r.year for r in store.list_reports([e["id"]])] for e in entries}


@pytest.fixture(scope="module")
def scripted(shapes: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlSummary, dict[str, list[int]]]:
    return _crawl(tmp_path_factory.mktemp("scripted"), [shapes[key][1] for key in SCRIPTED])


@pytest.fixture(scope="module")
def static(shapes: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlSummary, dict[str, list[int]]]:
    return _crawl(tmp_path_factory.mktemp("static"), [shapes["static_pager"][1]])


@pytest.mark.browser
@pytest.mark.timeout(240)
@pytest.mark.parametrize("key", SCRIPTED)
def test_the_report_on_page_3_behind_a_script_pager_is_found(key: str, shapes: dict, scripted: tuple) -> None:
    _, years = scripted
    assert years[shapes[key][1]["id"]] == [docs.SEEDS[script_pagers.SHAPES[key]][2]]


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_the_browser_clicked_through_each_page_once(shapes: dict, scripted: tuple) -> None:
    summary, _ = scripted
    xhr, location = shapes["xhr_gopage"][0], shapes["turnpage_location"][0]
    assert [xhr.count(f"/nb/list_data?page={n}", 200) for n in (2, 3)] == [1, 1]  # by XHR, in the tab
    assert [location.count(p, 200) for p in ("/gk/list_2.html", "/gk/list_3.html")] == [1, 1]
    assert summary.script_pager_pages == 4  # pages 2 and 3 of each site
    assert summary.browser_requests == 2  # one tab per site: the first list page, clicked on
    assert xhr.count("/art/report.html", 200) == 1 and location.count("/art/report.html", 200) == 1


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_a_site_whose_next_page_is_a_plain_link_needs_no_browser(shapes: dict, static: tuple) -> None:
    summary, years = static
    assert years[shapes["static_pager"][1]["id"]] == [docs.SEEDS["lishui"][2]]
    assert summary.browser_requests == 0  # its numbers are goPage(n), but 下一页 is list_2.html
    assert shapes["static_pager"][0].count("/xxgk/list_2.html", 200) == 1


@pytest.mark.parametrize(("pager", "scripted_only"), [
    ("<a href='javascript:goPage(2)'>2</a>", True),
    ("<a href='javascript:void(0)' onclick='turnPage(3)'>下一页</a>", True),
    ("<span onclick=\"pager.next()\">[下一页]</span>", True),
    ("<input type='button' value='下一页' onclick='nextPage()'>", True),
    ("<a href='list_2.html'>下一页</a>", False),  # a plain link
    ("<a href='javascript:void(0)' onclick=\"location.href='list_2.html'\">下一页</a>", False),  # a URL in it
    ("<a href='javascript:goPage(2)'>工作动态</a>", False),  # no pager text
    ("<a href='javascript:;' onclick='changeYear(2023)'>2023</a>", False),  # a year tab
    ("<script>createPageHTML(3, 0, 'index', 'html');</script>", False),  # TRS: read statically
])
def test_a_script_pager_is_one_whose_control_names_no_url(pager: str, scripted_only: bool) -> None:
    root = lxml.html.document_fromstring(f"<html><body><ul><li>x</li></ul><div>{pager}</div></body></html>")
    assert d.has_script_pager(root) is scripted_only


@pytest.mark.browser
@pytest.mark.timeout(240)
@pytest.mark.parametrize("way", ["xhr", "location"])
def test_a_script_pager_leading_to_another_server_reaches_nothing_there(way: str, tmp_path: Path) -> None:
    site, outside = SiteServer("pager").start(), SiteServer("outside").start()
    try:
        entry = script_pagers.reaching_out(site, outside, way)
        # A click whose request was stopped changes nothing: it is given up after browser_timeout.
        summary, years = _crawl(tmp_path, [entry], browser_timeout=3)
        assert outside.count() == 0, [h.path for h in outside.hits]
        assert summary.browser_requests == 1  # the pager was tried, in the confined tab
        assert years[entry["id"]] == []
    finally:
        site.stop()
        outside.stop()


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_a_dead_pager_control_is_given_up_without_waiting_for_the_browser_timeout(tmp_path: Path) -> None:
    site = SiteServer("dead").start()
    try:
        entry = script_pagers.dead_control(site)
        # browser_timeout is far beyond the test's own limit: only the settle rule can end the click.
        summary, years = _crawl(tmp_path, [entry], browser_timeout=600, pager_click_settle=1)
        assert summary.browser_requests == 1 and summary.script_pager_pages == 0
        assert years[entry["id"]] == []
    finally:
        site.stop()


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_a_pager_click_waiting_on_a_slow_answer_is_not_taken_for_dead(tmp_path: Path) -> None:
    site = SiteServer("slow").start()
    try:
        entry = script_pagers.build("xhr_gopage", site)
        site.latency = 1.5  # each answer comes later than a click may stay quiet with nothing in flight
        summary, years = _crawl(tmp_path, [entry], pager_click_settle=0.5)
        assert summary.script_pager_pages == 2
        assert years[entry["id"]] == [docs.SEEDS["dongguan"][2]]
    finally:
        site.stop()


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_clicking_stops_at_the_list_page_limit(tmp_path: Path) -> None:
    site = SiteServer("limited").start()
    try:
        entry = script_pagers.build("xhr_gopage", site)
        summary, years = _crawl(tmp_path, [entry], max_list_pages=2)
        assert [site.count(f"/nb/list_data?page={n}") for n in (2, 3)] == [1, 0]
        assert summary.script_pager_pages == 1 and years[entry["id"]] == []
    finally:
        site.stop()


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_each_clicked_page_counts_against_the_site_budget(tmp_path: Path) -> None:
    site = SiteServer("budget").start()
    try:
        entry = script_pagers.build("xhr_gopage", site)
        # The list page, the same page rendered, page 2 clicked to: the budget ends before page 3.
        summary, _ = _crawl(tmp_path, [entry], max_pages_per_site=3)
        assert [site.count(f"/nb/list_data?page={n}") for n in (2, 3)] == [1, 0], [h.path for h in site.hits]
        assert [e["kind"] for e in summary.error_list] == ["budget"]
    finally:
        site.stop()
