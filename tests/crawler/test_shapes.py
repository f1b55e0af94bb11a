"""Link and attachment shapes of real government CMSs (TRS WCM, Hanweb/大汉, Founder, Ucap, 集约化平台), crawled
end to end on the farm's 'cms' site (tests/farm/sites.py, CMS_SHAPES: one report per shape), on SQLite and
PostgreSQL: every report is found, stored from the document itself, and near misses are not downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from nianbao.crawler.runner import run_crawl
from nianbao.storage.store import Store
from tests.farm import Farm
from tests.farm.sites import CMS_SHAPES

pytestmark = [pytest.mark.libreoffice, pytest.mark.timeout(240)]

AGENCY = "guangzhou-cms"
# year -> (path of the stored version, the format it was read as): the document where the page has one.
STORED = {
    2021: ("/art/2022/t20220131_1.html", "html"),
    2020: ("/module/download/downfile.jsp?classid=0&filename=8f1e2d3c.docx", "docx"),
    2019: ("/attach/download?fileId=123", "text"),
    2018: ("/attach/download?fileId=456", "docx"),
    2017: ("/art/2018/t20180125_5.html", "html"),
    2016: ("/art/2017/t20170120_6.html", "html"),
    2015: ("/upload/2015nb.pdf", "pdf"),
    2014: ("/upload/2014nb.pdf", "pdf"),  # one document, not "parts" of one report joined as text
    2013: ("/xxgk/%E9%99%84%E4%BB%B6/2013%E5%B9%B4%20%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.docx", "docx"),
    2012: ("/down.jsp?name=2012%C4%EA%B1%A8.docx", "docx"),  # the query in the page's encoding (GBK)
    2011: ("/art/2012/1/20/art_1_102.html", "html"),
    2010: ("/art/2011/1/25/art_1_101.html", "html"),
    2009: ("/gkml/nb/P020100120.docx", "docx"),
    2008: ("/xxgk/ndbg/t2009.html", "html"),
    2007: ("/xxgk/nb/nb2007", "docx"),
}
NEAR_MISSES = ("/art/notice.html", "/art/other.html", "/download/list.jsp", "/art/2011/1/10/art_1_100.html")


def stored_versions(database_url: str, blob_dir: Path) -> dict[int, tuple[str, str | None]]:
    from nianbao.storage.models import Report, Version

    store = Store(database_url, blob_dir)
    try:
        with store.read_session() as s:
            rows = s.execute(select(Report.year, Version.url, Version.source_format)
                             .join(Version, Version.report_id == Report.id).where(Report.agency_id == AGENCY))
            return {year: (url, source_format) for year, url, source_format in rows}
    finally:
        store.close()


def test_every_cms_shape_gives_its_report_from_the_document(tmp_path: Path, database_url: str) -> None:
    from nianbao.storage.models import SiteError

    assert set(STORED) == set(CMS_SHAPES.values())
    with Farm(tmp_path / "farm", only=["cms"]) as farm:
        summary = run_crawl(farm.write_config(database_url))
        assert summary.ok, summary.log[-4000:]
        site = farm.sites["cms"]
        found = stored_versions(database_url, tmp_path / "farm" / "blobs")

        missing = {shape: year for shape, year in CMS_SHAPES.items() if year not in found}
        assert not missing, f"reports not found: {missing}"
        assert {year: (url.removeprefix(site.base_url), kind) for year, (url, kind) in found.items()} == STORED
        assert summary.reports_new == len(CMS_SHAPES) and farm.expected == {(AGENCY, y) for y in STORED}
        store = Store(database_url, tmp_path / "farm" / "blobs")
        try:
            with store.read_session() as s:
                assert list(s.scalars(select(SiteError.url))) == []
        finally:
            store.close()
        for path in NEAR_MISSES:  # a notice, another agency's report, a download centre, a plan
            assert site.count(path) == 0, path
        assert site.count("/module/web/jpage/dataproxy.jsp") == 1
