"""A people's government's report page compares its totals with the sum of its departments' latest
reports of the year (monitor.peers through the Store), names the departments still without a report, and
says the same in the page's `.json` twin. Real reports saved as the crawler saves them, a real server."""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao.crawler.store_jobs import store_report
from nianbao.dashboard.users import add_user
from nianbao.settings import AgencyConfig, DashboardSettings, Settings
from tests.dashboard.conftest import PASSWORD, Client, RunningServer, start_server

REGION = "某省/示例县"
# agency id -> (name, kind, seed saved as its 2020 report or None); seed 000 says 15 new applications, 001
# says 4, 003 and 004 say 0.
AGENCIES = {
    "gov": ("示例县人民政府", "government", "000"),
    "tj": ("示例县统计局", "department", "001"),
    "cz": ("示例县财政局", "department", "003"),
    "jy": ("示例县教育局", "department", None),
}


def _config(agency_id: str, name: str, kind: str, region: str = REGION) -> AgencyConfig:
    return AgencyConfig(id=agency_id, name=name, region=region, level="county", kind=kind,
                        start_urls=(f"http://{agency_id}.example.gov.cn/",), added=dt.date(2020, 1, 1))


def _save(store: Any, agency_id: str, data: bytes) -> None:
    run = store.begin_crawl([agency_id])
    store_report(store, agency_id, data, url=f"http://{agency_id}.example.gov.cn/nb.txt", headers={},
                 fetched_at=dt.datetime(2021, 1, 25, tzinfo=dt.UTC), run_id=run, filename="nb.txt")
    store.finish_crawl(run, {})


@pytest.fixture
def region(store: Any, tmp_path: Path, seed_bytes: Callable[[str], bytes]) -> Iterator[tuple[Any, Client]]:
    configs = [_config(a, name, kind) for a, (name, kind, _) in AGENCIES.items()]
    configs.append(_config("ly", "邻县统计局", "department", "某省/邻县"))  # another region: never counted
    store.sync_agencies(configs)
    for agency_id, (_, _, seed) in AGENCIES.items():
        if seed:
            _save(store, agency_id, seed_bytes(seed))
    _save(store, "ly", seed_bytes("002"))
    add_user(store, "viewer", PASSWORD, "viewer")
    settings = Settings(database_url=store.database_url, blob_dir=tmp_path / "blobs",
                        dashboard=DashboardSettings(secret_key="test-secret", session_lifetime=3600))
    server: RunningServer = start_server(settings, store)
    try:
        client = Client(server.base_url)
        assert client.login("viewer") == 200
        yield store, client
    finally:
        server.stop()


def _report_page(store: Any, client: Client, agency_id: str) -> tuple[str, dict[str, Any]]:
    [summary] = store.list_reports([agency_id], 2020)
    status, _, page = client.request(f"/reports/{summary.report_id}")
    assert status == 200
    status, _, body = client.request(f"/reports/{summary.report_id}.json")
    assert status == 200
    return html.unescape(page.decode()), json.loads(body)


def test_a_department_without_a_report_is_named_and_nothing_is_compared(region, seed_bytes):
    store, client = region
    page, data = _report_page(store, client, "gov")
    [finding] = data["peers"]["findings"]
    assert finding["rule"] == "departments_sum" and "示例县教育局" in finding["message"]
    assert "示例县统计局" not in finding["message"]  # it has its report
    assert (finding["expected"], finding["actual"]) == (3, 2)
    assert sorted(data["peers"]["departments"]) == ["示例县教育局", "示例县统计局", "示例县财政局"]
    assert "与所属部门报告合计核对" in page and finding["message"] in page
    assert "邻县" not in page.split("与所属部门报告合计核对")[1].split("</section>")[0]


def test_totals_unlike_the_departments_sum_are_shown(region, seed_bytes):
    store, client = region
    _save(store, "jy", seed_bytes("004"))  # the last department publishes: 4 + 0 + 0 against 15
    page, data = _report_page(store, client, "gov")
    located = {f["location"]: f for f in data["peers"]["findings"]}
    finding = located["applications.new_received.total"]
    assert (finding["expected"], finding["actual"]) == (4, 15)
    assert finding["cell_name"] and finding["rule_label"] == "与所属部门报告合计不符"
    assert finding["message"] in page and finding["cell_name"] in page


def test_a_departments_report_page_has_no_such_comparison(region):
    store, client = region
    page, data = _report_page(store, client, "tj")
    assert data["peers"] is None
    assert "与所属部门报告合计核对" not in page
