"""Crawls of the farm (real HTTP servers on 127.0.0.1, real Chromium for the JavaScript list), on SQLite and
PostgreSQL: the right reports and nothing else, broken sites as errors, versions, incremental recrawls."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from nianbao.crawler.runner import CrawlSummary, run_crawl
from tests.crawler.conftest import snapshot
from tests.farm import Farm

pytestmark = [pytest.mark.browser, pytest.mark.libreoffice, pytest.mark.timeout(240)]

REPORT_BODIES = {  # site -> paths of report documents (what an unchanged recrawl must not download)
    "trs": {"/att/report2020.pdf", "/att/copy/report2020.pdf"},
    "jsonlist": {"/attach/nb2021.docx"},
    "gbk": {"/zwgk/ndbg/202101/t20210115_2.htm"},
    "doc": {"/upload/nb2020.doc"},
    "split": {"/files/nb2020-1.docx", "/files/nb2020-2.docx"},
}


def crawl(config: Path) -> CrawlSummary:
    summary = run_crawl(config)
    assert summary.ok, summary.log[-4000:]
    return summary


def stored_reports(store_url: str, blob_dir: Path) -> set[tuple[str, int]]:
    return set(map(tuple, snapshot(store_url, blob_dir)["reports"]))


def test_crawl_finds_exactly_the_reports_and_records_broken_sites(farm: Farm, database_url: str,
                                                                  tmp_path: Path) -> None:
    from nianbao.storage.models import SiteError
    from nianbao.storage.store import Store

    summary = crawl(farm.write_config(database_url))

    assert stored_reports(database_url, tmp_path / "farm" / "blobs") == farm.expected
    assert summary.reports_new == len(farm.expected) == 5
    assert summary.other_agency >= 1 and summary.duplicates >= 1  # the noise was seen and refused
    store = Store(database_url, tmp_path / "farm" / "blobs")
    with store.read_session() as s:
        kinds = {(e.agency_id, e.kind) for e in s.scalars(select(SiteError))}
    store.close()
    assert {agency for agency, _ in kinds} == set(farm.broken)  # working sites had no error
    assert kinds == set(farm.broken.items())
    assert summary.agencies_visited == len(farm.specs)
    # Polite: robots.txt was read and obeyed; nothing off the agency's own site was followed.
    assert farm.sites["trs"].count("/robots.txt") == 1
    assert farm.sites["trs"].count("/private/report2019.html") == 0
    assert farm.sites["trs"].count("/art/2021/copy.html") == 1  # only from its own list, not from 'doc'
    # Near-miss titles are not even downloaded.
    for path in ("/art/2020/notice.html", "/art/2021/plan.html", "/art/2021/jiedu.html"):
        assert farm.sites["trs"].count(path) == 0, path
    assert farm.sites["jsonlist"].count("/xxgk/nb/content/post_2.html") == 0  # another agency's, by title


def test_changed_report_is_version_2_and_unchanged_recrawl_downloads_no_report(
        working_farm: Farm, database_url: str, tmp_path: Path) -> None:
    from nianbao.storage.store import Store

    farm, blobs = working_farm, tmp_path / "farm" / "blobs"
    config = farm.write_config(database_url)
    crawl(config)
    first = snapshot(database_url, blobs)

    farm.reset_counters()
    again = crawl(config)
    assert snapshot(database_url, blobs) == first  # no version, no event, no finding added
    assert again.reports_new == again.reports_changed == 0 and again.reports_unchanged == 5
    for site, paths in REPORT_BODIES.items():
        downloaded = set(farm.sites[site].body_downloads()) & paths
        assert not downloaded, f"{site} downloaded report bodies again: {downloaded}"
        assert farm.sites[site].count(status=304) >= 1

    farm.change_report("gbk")
    farm.change_report("split")
    changed = crawl(config)
    assert changed.reports_changed == 2 and changed.reports_new == 0
    store = Store(database_url, blobs)
    try:
        for agency_id in ("shizhong-tjj", "wuzhong-tjj"):
            report = store.get_report(agency_id, 2020)
            versions = store.get_versions(report.id)
            assert [v.number for v in versions] == [1, 2]
            v1 = next(v for v in first["versions"] if v[0] == agency_id)
            assert (versions[0].sha256, versions[0].size) == (v1[3], v1[4])  # version 1 intact
            assert store.blobs.verify(versions[0].sha256)
            assert "（本报告于发布后更正）" in store.version_bytes(versions[1].id).decode("utf-8", "replace") or \
                "（本报告于发布后更正）" in store.version_bytes(versions[1].id).decode("gbk", "replace")
    finally:
        store.close()
