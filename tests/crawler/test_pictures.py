"""A report page whose tables are pictures (issue 12), crawled for real: the article's pictures are fetched
with the page (on the agency's places only, each bounded in size), joined with it into one web archive and
read by OCR cell for cell; an unchanged recrawl fetches no picture again.

Real parts: HTTP servers on 127.0.0.1 (tests/farm/server.py), pictures screenshot by Chromium, the crawl and
its store process, SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nianbao.crawler.runner import CrawlSummary, run_crawl
from nianbao.report.model import get_path
from nianbao.report.walk import iter_cells
from nianbao.storage.models import Report, Version
from nianbao.storage.store import Store
from tests.farm.agencies import write_config
from tests.farm.server import SiteServer
from tests.farm.sites import list_page
from tests.readers.producers import expected
from tests.readers.scanned import consistent_report, picture_page, report_page, table_pictures

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

AGENCY = "picture-ju"
REPORT = consistent_report(5)
TABLES = ["/upload/2025/t1.png", "/upload/2025/t2.png", "/upload/2025/t3.png"]
ARTICLE = "/art/2025/nb.html"


@pytest.fixture(scope="module")
def pictures() -> list[bytes]:
    return table_pictures(report_page(REPORT))


@pytest.fixture
def outside() -> Iterator[SiteServer]:
    """Another server on another port of 127.0.0.1: no picture may be asked of it."""
    server = SiteServer("outside").start()
    server.set_page("/logo.png", b"\x89PNG not asked")
    yield server
    server.stop()


@pytest.fixture
def site(pictures: list[bytes], outside: SiteServer) -> Iterator[SiteServer]:
    server = SiteServer("pictures").start()
    server.set_page("/nb/index.html", list_page("年报", [(REPORT.title, ARTICLE)]))
    for path, data in zip(TABLES, pictures, strict=True):
        server.set_page(path, data, "image/png")
    # In the article besides the tables: a picture on another host, one redirected there, one too large.
    server.redirect_status = 302
    server.redirects["/upload/2025/moved.png"] = outside.base_url + "/logo.png"
    server.set_page("/upload/2025/big.png", b"\x89PNG\r\n\x1a\n" + bytes(3 * 1024 * 1024), "image/png")
    server.set_page(ARTICLE, article(outside))
    yield server
    server.stop()


def article(outside: SiteServer, note: str = "") -> bytes:
    extra = (f'<p><img src="{outside.base_url}/logo.png" width="400" height="300"></p>'
             '<p><img src="/upload/2025/moved.png"></p><p><img src="../../upload/2025/big.png"></p>'
             f"<p>{note}</p>")
    return picture_page(REPORT, TABLES, extra)


def crawl(tmp_path: Path, site: SiteServer) -> CrawlSummary:
    agency = {"id": AGENCY, "name": REPORT.agency, "region": "测试省/青禾", "level": "county", "kind": "department",
              "start_urls": [site.base_url + "/nb/"], "render": "static"}
    config = write_config(tmp_path / "config", f"sqlite:///{tmp_path / 'nianbao.db'}", [agency],
                          max_picture_bytes=2 * 1024 * 1024)
    site.reset_counters()
    summary = run_crawl(config)
    assert summary.ok, summary.log[-4000:]
    return summary


def latest_model(tmp_path: Path) -> dict[str, Any]:
    store = Store(f"sqlite:///{tmp_path / 'nianbao.db'}", tmp_path / "blobs")
    try:
        with store.read_session() as s:
            rows = s.execute(select(Report.year, Version.number, Version.model)
                             .join(Version, Version.report_id == Report.id)
                             .where(Report.agency_id == AGENCY).order_by(Version.number)).all()
    finally:
        store.close()
    assert [row.year for row in rows] == [REPORT.year] * len(rows)
    model: dict[str, Any] = rows[-1].model
    return model | {"versions": len(rows)}


def picture_hits(site: SiteServer) -> dict[str, list[int]]:
    return {hit.path: [h.status for h in site.hits if h.path == hit.path]
            for hit in site.hits if hit.path.startswith("/upload/")}


def test_a_report_page_whose_tables_are_pictures_is_crawled_and_read_cell_for_cell(
        tmp_path: Path, site: SiteServer, outside: SiteServer) -> None:
    summary = crawl(tmp_path, site)
    assert summary.reports_new == 1
    model = latest_model(tmp_path)
    truth = expected(REPORT)
    wrong = [(c.path, c.value, get_path(model, c.path)) for c in iter_cells(truth) if get_path(model, c.path) != c.value]
    assert not wrong
    ocr = model["ocr"]
    assert ocr["source"] == "ocr" and ocr["pages"] == [1, 2, 3]
    assert {c.path for c in iter_cells(truth)} <= set(ocr["cells"]) and all(0 < v <= 1 for v in ocr["cells"].values())
    assert outside.count() == 0  # neither the picture on another host nor the one redirected there
    hits = picture_hits(site)
    assert all(hits[path] == [200] for path in TABLES)
    assert hits["/upload/2025/moved.png"] == [302]


def test_an_unchanged_recrawl_fetches_no_picture_and_a_changed_page_reuses_them(
        tmp_path: Path, site: SiteServer, outside: SiteServer) -> None:
    crawl(tmp_path, site)
    again = crawl(tmp_path, site)
    assert again.reports_unchanged == 1 and again.reports_new == again.reports_changed == 0
    assert site.count(ARTICLE, status=304) == 1
    assert picture_hits(site) == {}  # the page answered 304: its pictures are not asked at all
    # The page changes (a line added), its pictures do not: they are asked conditionally, none downloaded.
    site.set_page(ARTICLE, article(outside, note="（本报告于发布后更正）"))
    changed = crawl(tmp_path, site)
    assert changed.reports_changed == 1
    hits = picture_hits(site)
    assert all(hits[path] == [304] for path in TABLES), hits
    model = latest_model(tmp_path)
    assert model["versions"] == 2
    assert all(get_path(model, c.path) == c.value for c in iter_cells(expected(REPORT)))
    assert outside.count() == 0
