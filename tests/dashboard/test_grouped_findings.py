"""The dashboard counts and lists one wrong fact once: 市中区统计局's wrong （七）总计 row is flagged by
`balance` and `outcome_total` in two columns (four records), shown as one finding on the findings page,
counted as one open error, exported as one CSV row in Chinese words; a review of it reviews all four.
Also: the diff API without a/b compares the two latest versions, and an agency list region where nobody is
due shows 按时率 —."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import SEEDS, Client, RunningServer, _agency, start_seeded


@pytest.fixture
def served(store: Any, tmp_path: Path, seed_bytes: Callable[[str], bytes]) -> Iterator[RunningServer]:
    server = start_seeded(store, tmp_path, seed_bytes, session_lifetime=3600)
    try:
        yield server
    finally:
        server.stop()



def test_one_wrong_row_is_one_finding_one_open_error_and_one_csv_row(served: RunningServer) -> None:
    client = Client(served.base_url)
    assert client.login("reviewer") == 200
    data = client.json("/findings.json?agency=shizhong&severity=error&q=市中区")
    table_rows = [r for r in data["rows"] if r["rule"] in ("balance", "outcome_total")]
    assert len(table_rows) == 4
    [fact] = [g for g in data["groups"] if "balance" in {r["rule"] for r in table_rows if r["id"] in g["ids"]}]
    assert fact["count"] == 4 and sorted(fact["ids"]) == sorted(r["id"] for r in table_rows)
    assert "同一处错误" in fact["message"]
    status, _, page = client.request("/findings?severity=error&q=市中区")
    assert status == 200 and page.decode().count('data-count="4"') == 1

    [row] = client.json("/api/agencies?year=2020&status=inconsistent")["rows"]
    errors = [g for g in data["groups"] if g["severity"] == "error" and g["rule"] != "deadline"]
    assert row["open_errors"] == len(errors) < len([r for r in data["rows"] if r["severity"] == "error"])

    status, _, body = client.request("/export/findings.csv?rule=balance")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 2  # header + one fact (its two balance records are the same row of the table)
    header, line = rows
    assert line[header.index("规则")] == "勾稽关系不平衡" and line[header.index("级别")] == "错误"
    assert line[header.index("处理状态")] == "待处理" and "（七）总计" in line[header.index("位置")]
    status, _, body = client.request("/export/agencies.csv?year=2020")
    agencies = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert {r[agencies[0].index("层级")] for r in agencies[1:]} == {"县级"}
    assert "未发布" in {r[agencies[0].index("状态")] for r in agencies[1:]}

    # A review of the group reviews its four records.
    token = client.csrf("/findings")
    form = [("csrf_token", token), ("action", "acknowledged"), ("note", ""), ("next", "/findings")]
    form += [("also", str(i)) for i in fact["ids"][1:]]
    body_bytes = "&".join(f"{k}={v}" for k, v in form).encode()
    status, _, _ = client.request(f"/findings/{fact['ids'][0]}/review", body_bytes,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    after = client.json("/findings.json?severity=error&q=市中区")
    assert {r["review"] for r in after["rows"] if r["id"] in fact["ids"]} == {"acknowledged"}


def test_diff_without_a_and_b_compares_the_latest_versions(served: RunningServer, store: Any,
                                                           seed_bytes: Callable[[str], bytes]) -> None:
    from nianbao.crawler.store_jobs import store_report

    changed = seed_bytes("000") + "\n（本报告于2021年2月修订）\n".encode()
    store_report(store, "dongguan", changed, url="http://dongguan.example.gov.cn/nb.txt", headers={},
                 fetched_at=dt.datetime(2021, 2, 25, tzinfo=dt.UTC), filename="nb.txt")
    client = Client(served.base_url)
    assert client.login("viewer") == 200
    [row] = client.json("/api/agencies?year=2020&q=东莞")["rows"]
    diff = client.json(f"/api/reports/{row['report_id']}/diff")
    assert (diff["a"], diff["b"]) == (1, 2)
    single = client.json("/api/agencies?year=2020&q=丽水")["rows"][0]["report_id"]
    one = client.json(f"/api/reports/{single}/diff")  # one version: compared with itself, not a 404
    assert (one["a"], one["b"]) == (1, 1) and one["figures"] == []


def test_a_region_where_nobody_is_due_has_no_rate(served: RunningServer, store: Any) -> None:
    from nianbao.settings import AgencyConfig

    # Added to the watch list in June 2024: it owes no report for 2020 (不应报).
    late_comer = AgencyConfig(id="new", name="新设局", region="新区", level="county", kind="department",
                              start_urls=("http://new.example.gov.cn/",), added=dt.date(2024, 6, 1))
    agencies = [_agency(*v) for v in SEEDS.values()] + [_agency("silent", "沉默县人民政府办公室", "甘肃省/沉默县"),
                                                         late_comer]
    store.sync_agencies(agencies)
    dash = served.app.state.dashboard
    dash.settings = dash.settings.model_copy(update={"agencies": tuple(agencies)})
    client = Client(served.base_url)
    assert client.login("viewer") == 200
    regions = {r["key"]: r for r in client.json("/api/regions?year=2020")["rows"]}
    assert regions["新区"]["due"] == 0 and regions["新区"]["rates"]["on_time"] is None
    assert regions["新区"]["counts"]["not_owed"] == 1
    status, _, page = client.request("/regions?year=2020")
    row = re.search(r"新区.*?</tr>", page.decode(), flags=re.S)
    assert row and "—" in row.group(0) and "0.0%" not in row.group(0)
    [agency] = client.json("/api/agencies?year=2020&q=新设局")["rows"]
    assert agency["status_label"] == "不应报"
