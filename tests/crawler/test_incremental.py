"""Incremental recrawls (crawler.known): what an unchanged recrawl asks the sites for, and what it does not.

Farm sites only (real HTTP servers on 127.0.0.1), on SQLite and PostgreSQL. Sites without a browser or
LibreOffice need, so that these run everywhere: trs (TRS pager, PDF behind an article), gbk (home ->
column -> numbered list pages, HTML report), split (one report in two DOCX attachments).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from nianbao.crawler.runner import CrawlSummary, run_crawl
from nianbao.storage.models import Fetch
from nianbao.storage.store import Store
from tests.farm import Farm
from tests.farm.sites import attachment_article

pytestmark = [pytest.mark.timeout(240)]

SITES = ["trs", "gbk", "split"]
# Known pages below the start pages, each behind an unchanged list entry on a recrawl.
KNOWN_PAGES = {"trs": ["/col/nb/index_1.html", "/col/nb/index_2.html", "/art/2021/report2020.html"],
               "gbk": ["/zwgk/index.htm", "/zwgk/ndbg/list_1.htm", "/zwgk/ndbg/list_2.htm"],
               "split": ["/gk/nb/t2.html"]}
REPORTS = {"trs": "/att/report2020.pdf", "gbk": "/zwgk/ndbg/202101/t20210115_2.htm", "split": "/files/nb2020-1.docx"}


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[Farm]:
    with Farm(tmp_path / "farm", only=SITES) as running:
        yield running


def crawl(config: Path) -> CrawlSummary:
    summary = run_crawl(config)
    assert summary.ok, summary.log[-4000:]
    return summary


def recrawl(farm: Farm, config: Path) -> CrawlSummary:
    farm.reset_counters()
    return crawl(config)


def test_unchanged_recrawl_asks_for_start_pages_and_reports_only(farm: Farm, database_url: str) -> None:
    config = farm.write_config(database_url)
    assert crawl(config).reports_new == 3
    again = recrawl(farm, config)
    assert again.reports_unchanged == 3 and again.reports_new == again.reports_changed == 0
    assert again.skipped_known >= sum(len(pages) for pages in KNOWN_PAGES.values())
    for key, site in farm.sites.items():
        assert site.count("/robots.txt") == 0, key  # the copy kept yesterday is less than a day old
        assert site.count(farm.spec(key).start_path, status=304) == 1, key
        assert site.count(REPORTS[key], status=304) == 1, key  # a corrected report keeps its URL
        for path in KNOWN_PAGES[key]:
            assert site.count(path) == 0, (key, path)
        assert not site.body_downloads(), key


def test_recheck_zero_asks_every_known_url_conditionally(farm: Farm, database_url: str) -> None:
    config = farm.write_config(database_url, recheck_known_after_days=0)
    crawl(config)
    again = recrawl(farm, config)
    assert again.reports_unchanged == 3 and again.skipped_known == 0
    for key, site in farm.sites.items():
        assert site.count("/robots.txt") == 1, key
        for path in KNOWN_PAGES[key]:
            assert site.count(path, status=304) == 1, (key, path)
        assert set(site.body_downloads()) <= {"/robots.txt"}, key  # (gbk has none: a 404)


def test_known_pages_are_asked_again_once_the_window_has_passed(
        farm: Farm, database_url: str, tmp_path: Path) -> None:
    config = farm.write_config(database_url, recheck_known_after_days=3)
    crawl(config)
    store = Store(database_url, tmp_path / "farm" / "blobs")
    try:
        with store.session() as s:  # four days later, as far as the crawl can tell
            s.execute(update(Fetch).values(checked_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=4)))
    finally:
        store.close()
    again = recrawl(farm, config)
    assert again.reports_unchanged == 3
    trs = farm.sites["trs"]
    assert trs.count("/robots.txt", status=200) == 1  # older than a day: asked again
    for path in KNOWN_PAGES["trs"]:
        assert trs.count(path, status=304) == 1, path
    # Confirmed by those 304s: the crawl after that skips them again.
    recrawl(farm, config)
    assert all(trs.count(path) == 0 for path in KNOWN_PAGES["trs"])


def test_new_entry_on_a_list_is_followed_and_unchanged_entries_are_not(farm: Farm, database_url: str) -> None:
    config = farm.write_config(database_url)
    crawl(config)
    trs = farm.sites["trs"]
    # The CMS publishes an article on the first list page; the other entries stay as they were.
    index = trs.pages["/col/nb/index.html"].body.decode("utf-8")
    entry = "<li><a href='../../art/2021/new.html' title='东莞市统计局2020年政府信息公开工作年度报告（修订版）'>修订版</a></li>"
    trs.set_page("/col/nb/index.html", index.replace("<ul class='list'>", "<ul class='list'>" + entry))
    trs.set_page("/art/2021/new.html", attachment_article(
        "东莞市统计局2020年政府信息公开工作年度报告（修订版）", [("年度报告.pdf", "/att/report2020.pdf")]))
    again = recrawl(farm, config)
    assert trs.count("/col/nb/index.html", status=200) == 1
    assert trs.count("/art/2021/new.html", status=200) == 1  # a new entry: read
    assert trs.count("/col/nb/index_1.html") == 0  # unchanged entries of the changed page: not asked
    assert again.reports_new == again.reports_changed == 0  # the same PDF: still version 1


def test_links_derived_by_other_rules_are_not_replayed(farm: Farm, database_url: str, tmp_path: Path) -> None:
    config = farm.write_config(database_url)
    crawl(config)
    store = Store(database_url, tmp_path / "farm" / "blobs")
    try:
        with store.session() as s:  # as if an older crawler version had read the pages
            s.execute(update(Fetch).where(Fetch.links.is_not(None))
                      .values(links={"rules": "older-rules", "links": []}))
    finally:
        store.close()
    again = recrawl(farm, config)
    assert again.reports_unchanged == 3
    for key, site in farm.sites.items():  # read again, so that today's rules decide what they lead to
        assert site.count(farm.spec(key).start_path, status=200) == 1, key


def test_a_list_that_stays_the_same_is_read_from_what_it_gave_last_time(farm: Farm, database_url: str) -> None:
    """The gbk site's list pages answer 304 on a recheck: their links are followed without a download."""
    config = farm.write_config(database_url, recheck_known_after_days=0)
    crawl(config)
    farm.change_report("gbk")  # same URL, new bytes; every list page unchanged
    again = recrawl(farm, config)
    assert again.reports_changed == 1
    gbk = farm.sites["gbk"]
    assert set(gbk.body_downloads()) == {REPORTS["gbk"]}  # (no robots.txt there: a 404)


def test_a_start_url_that_redirects_is_followed_and_rechecked_at_its_new_address(
        farm: Farm, database_url: str, tmp_path: Path) -> None:
    """A column that moved (a 301, as when a site goes to https or renames a folder) is still crawled, and
    the recrawl asks the new address conditionally."""
    gbk = farm.sites["gbk"]
    gbk.redirects["/old/"] = "/"  # the configured start URL now answers 301 to the home page
    agencies = farm.agencies()
    for agency in agencies:
        if agency["id"] == "shizhong-tjj":
            agency["start_urls"] = [gbk.base_url + "/old/"]
    from tests.farm.agencies import write_config

    config = write_config(tmp_path / "moved", database_url, agencies)
    first = crawl(config)
    assert first.reports_new == 3
    assert gbk.count("/old/", status=301) == 1 and gbk.count("/", status=200) == 1
    again = recrawl(farm, config)
    assert again.reports_unchanged == 3
    assert gbk.count("/old/", status=301) == 1 and gbk.count("/", status=304) == 1
    assert set(gbk.body_downloads()) <= {"/robots.txt"}


def test_a_start_url_that_redirects_in_a_loop_is_a_site_error(farm: Farm, database_url: str, tmp_path: Path) -> None:
    """Scrapy gives up after its maximum of redirects; the site is recorded as failing, not as empty."""
    gbk = farm.sites["gbk"]
    gbk.redirects["/loop/a"] = "/loop/b"
    gbk.redirects["/loop/b"] = "/loop/a"
    agencies = [a for a in farm.agencies() if a["id"] == "shizhong-tjj"]
    agencies[0]["start_urls"] = [gbk.base_url + "/loop/a"]
    from tests.farm.agencies import write_config

    summary = crawl(write_config(tmp_path / "loop", database_url, agencies))
    assert summary.reports_new == 0
    assert any("redirect" in str(e) and "shizhong-tjj" in str(e) for e in summary.error_list), summary.error_list
