"""What a crawl knows of its URLs is read host by host as the crawl reaches each host and dropped once the
host is finished (crawler.known_hosts), and the recrawl stays as incremental as with everything held.

Farm sites on 127.0.0.1, each on its own port (its own host), crawled twice on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nianbao.crawler.runner import CrawlSummary, run_crawl
from nianbao.storage.store import Store
from tests.farm import Farm

pytestmark = [pytest.mark.timeout(240)]

SITES = ["trs", "gbk", "split"]
REPORTS = {"trs": "/att/report2020.pdf", "gbk": "/zwgk/ndbg/202101/t20210115_2.htm", "split": "/files/nb2020-1.docx"}


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[Farm]:
    with Farm(tmp_path / "farm", only=SITES) as running:
        yield running


def crawl(farm: Farm, config: Path) -> CrawlSummary:
    farm.reset_counters()
    summary = run_crawl(config)
    assert summary.ok, summary.log[-4000:]
    return summary


def known_urls_per_agency(database_url: str, tmp_path: Path, agency_ids: list[str]) -> dict[str, int]:
    store = Store(database_url, tmp_path / "farm" / "blobs")
    try:
        return {agency_id: len(store.load_fetches([agency_id])) for agency_id in agency_ids}
    finally:
        store.close()


def test_a_recrawl_reads_each_host_when_it_begins_and_drops_it_when_finished(
        farm: Farm, database_url: str, tmp_path: Path) -> None:
    # One agency a read and one held: each host is read alone, and the next is begun only once it is done.
    config = farm.write_config(database_url, known_agencies_per_read=1, known_agencies_held=1)
    assert crawl(farm, config).reports_new == 3
    per_agency = known_urls_per_agency(database_url, tmp_path, [farm.spec(key).agency_id for key in SITES])
    assert all(count > 2 for count in per_agency.values()), per_agency

    again = crawl(farm, config)
    assert again.known_reads == len(SITES)  # asked per host, not once for the whole registry
    assert again.known_hosts_dropped == len(SITES) - 1  # all but the last dropped before the next was read
    assert again.known_urls_held == max(per_agency.values()) < sum(per_agency.values())
    # As incremental as with everything held: start pages and reports answered 304, nothing downloaded.
    assert again.reports_unchanged == 3 and again.reports_new == again.reports_changed == 0
    assert again.skipped_known > 0
    for key, site in farm.sites.items():
        assert site.count(farm.spec(key).start_path, status=304) == 1, key
        assert site.count(REPORTS[key], status=304) == 1, key
        assert not site.body_downloads(), key


def test_a_registry_within_one_read_is_read_in_one_query(farm: Farm, database_url: str) -> None:
    config = farm.write_config(database_url)  # the defaults: hundreds of agencies a read
    crawl(farm, config)
    again = crawl(farm, config)
    assert again.known_reads == 1 and again.known_hosts_dropped == 0
    assert again.reports_unchanged == 3
