"""The digest as an overseer reads it on a phone: problems before the news, an overall line and a line per
region, source links that are links, a first run that lists a capped number of reports (及其他 N 份), and
an HTML part that fits 390 px without scrolling sideways (real Chromium)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from nianbao import settings
from nianbao.alerts.digest import MAX_ITEMS_PER_SECTION, build_digests
from nianbao.crawler.browser import CHROMIUM_LAUNCH_OPTIONS
from nianbao.monitor.events import derive_events
from tests.monitor.storekit import AgencyCfg, crawl, save, utc

WATCHED = dt.date(2020, 1, 1)
EAST = [AgencyCfg(f"e{n:02d}", f"东区第{n}局", region="测试省/东区", added=WATCHED) for n in range(24)]
WEST = [AgencyCfg(f"w{n}", f"西区第{n}局", region="测试省/西区", added=WATCHED) for n in range(3)]
SETTINGS = settings.Settings(agencies=tuple(EAST + WEST),
                             dashboard=settings.DashboardSettings(base_url="http://dash.local"))
AS_OF = dt.date(2025, 2, 9)


def _first_run(store) -> None:
    """The first crawl finds 24 reports of 2023 (history) and 2 of 2024; west w2 never published 2024."""
    store.sync_agencies(EAST + WEST)
    for agency in EAST:
        save(store, agency.id, 2023, utc(2025, 2, 4), published=dt.date(2024, 1, 20))
    save(store, "w0", 2024, utc(2025, 2, 4), published=dt.date(2025, 1, 20))
    save(store, "w1", 2024, utc(2025, 2, 5), published=dt.date(2025, 2, 3))
    crawl(store, [a.id for a in EAST + WEST], utc(2025, 2, 6))
    derive_events(store, SETTINGS, now=utc(2025, 2, 7))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v or "" for k, v in attrs if k == "href"]


def _digest(store):
    _first_run(store)
    [digest] = build_digests(store, SETTINGS, as_of=AS_OF, record=False)
    return digest


def test_problems_come_before_the_news_and_the_overall_line_counts_published(store) -> None:
    digest = _digest(store)
    text = digest.rendered.text
    headings = re.findall(r"^== (\S+) \(", text, flags=re.M)
    assert headings.index("缺失") < headings.index("逾期发布") < headings.index("新发布")
    # 2024: 27 agencies watched, w0 and w1 published (w1 late), the 24 east agencies and w2 are missing.
    assert "2024 年度：辖区内 27 个机关中 2 个已发布（按时 1，逾期 1），25 个未发布。" in text
    assert "测试省/东区：24 个机关，已发布 0，逾期 0，未发布 24" in text
    assert "测试省/西区：3 个机关，已发布 2，逾期 1，未发布 1" in text


def test_a_first_run_lists_a_capped_number_of_reports_and_links_the_rest(store) -> None:
    digest = _digest(store)
    published = {s.key: s for s in digest.content.sections}["published"]
    assert len(published.items) == 26 and len(published.shown) == MAX_ITEMS_PER_SECTION
    # The newest year first: this week's 2024 reports are never the ones cut.
    assert [i.year for i in published.shown[:2]] == [2024, 2024]
    html = digest.rendered.html
    assert f"及其他 {26 - MAX_ITEMS_PER_SECTION} 份" in html and f"及其他 {26 - MAX_ITEMS_PER_SECTION} 份" in digest.rendered.text
    links = _Links()
    links.feed(html)
    assert "http://dash.local/agencies" in links.hrefs
    # The source of a new report is a link to the agency's site, not text.
    assert "http://127.0.0.1:9/w0/2024/report.txt" in links.hrefs


@pytest.mark.browser
def test_the_html_digest_fits_a_phone(store) -> None:
    from playwright.sync_api import sync_playwright

    html = _digest(store).rendered.html
    with sync_playwright() as p:
        browser = p.chromium.launch(**CHROMIUM_LAUNCH_OPTIONS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_content(html)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
            body = page.evaluate("document.body.firstElementChild.getBoundingClientRect().width")
            assert 370 <= body <= 390  # the column fills the phone: no fixed 640 px box
        finally:
            browser.close()
