"""Excel downloads over real HTTP on the seeded dashboard (SQLite and PostgreSQL), opened with openpyxl:
every list as .xlsx with the CSV's rows, and a report's three tables laid out as printed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from nianbao.dashboard.workbook import list_workbook
from nianbao.report import vocabulary as V
from tests.dashboard.conftest import Client, RunningServer, start_seeded

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def served(store: Any, tmp_path: Path, seed_bytes: Callable[[str], bytes]) -> Iterator[RunningServer]:
    server = start_seeded(store, tmp_path, seed_bytes, session_lifetime=60)
    try:
        yield server
    finally:
        server.stop()


def download(client: Client, path: str) -> openpyxl.Workbook:
    status, headers, body = client.request(path)
    assert status == 200, body[:300]
    assert headers["content-type"] == XLSX and ".xlsx" in headers["content-disposition"]
    return openpyxl.load_workbook(io.BytesIO(body))


def sheet_rows(ws: Any) -> list[list[Any]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_every_list_downloads_as_excel_with_the_rows_of_its_csv(served: RunningServer) -> None:
    client = Client(served.base_url)
    assert client.login("viewer") == 200
    for kind, query in (("agencies", "year=2020"), ("findings", "rule=balance"), ("regions", "year=2020"),
                        ("levels", "year=2020")):
        rows = sheet_rows(download(client, f"/export/{kind}.xlsx?{query}").active)
        _, _, body = client.request(f"/export/{kind}.csv?{query}")
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows[0] == table[0], kind  # the same Chinese column titles
        assert len(rows) == len(table) and len(rows) > 1, kind
    agencies = sheet_rows(download(client, "/export/agencies.xlsx?year=2020").active)
    header = agencies[0]
    silent = next(r for r in agencies if r[header.index("机关代码")] == "silent")
    assert silent[header.index("年度")] == 2020 and isinstance(silent[header.index("错误")], int)
    status, _, html = client.request("/agencies?year=2020")
    assert b"/export/agencies.xlsx" in html


def test_report_tables_download_as_printed_with_merged_group_headers(served: RunningServer, store: Any) -> None:
    client = Client(served.base_url)
    assert client.login("viewer") == 200
    [report] = store.list_reports(["dongguan"])
    [version] = store.get_versions(report.report_id)
    model = version.model
    wb = download(client, f"/reports/{report.report_id}/tables.xlsx")
    assert wb.sheetnames == ["二、主动公开", "三、申请办理", "四、复议诉讼"]

    part3 = wb["三、申请办理"]
    merged = {str(r) for r in part3.merged_cells.ranges}
    cells = {c.coordinate: c.value for row in part3.iter_rows() for c in row if c.value is not None}
    where = {v: k for k, v in cells.items()}
    assert cells["A1"] == "三、收到和处理政府信息公开申请情况"
    assert "D3:J3" in merged and cells["D3"] == "申请人情况"
    assert "E4:I4" in merged and cells["E4"] == "法人或其他组织"
    assert [cells[f"{c}5"] for c in "EFGHI"] == ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    outcomes = where["三、本年度办理结果"]
    assert any(r.startswith(outcomes + ":A") for r in merged)  # merged down the outcome rows
    refused = where["（三）不予公开"]
    assert any(r.startswith(refused + ":B") for r in merged)
    # Every cell of the model where its row and column say.
    columns = dict(zip(V.keys(V.APPLICANT_COLUMNS), "DEFGHIJ", strict=True))
    row_of = {v: int(k[1:]) for k, v in cells.items() if k[0] in "ABC"}
    granted = model["applications"]["granted"]
    for key, letter in columns.items():
        assert part3[f"{letter}{row_of['（一）予以公开']}"].value == granted[key]
    secret = model["applications"]["refused"]["state_secret"]
    assert part3[f"J{row_of['1.属于国家秘密']}"].value == secret["total"]

    part4 = wb["四、复议诉讼"]
    merged4 = {str(r) for r in part4.merged_cells.ranges}
    assert {"A3:E3", "F3:O3", "F4:J4", "K4:O4"} <= merged4
    assert part4["A3"].value == "行政复议" and part4["F3"].value == "行政诉讼" and part4["K4"].value == "复议后起诉"
    values = [part4.cell(row=6, column=c).value for c in range(1, 16)]
    expected = [model["appeals"][g][k] for g in V.keys(V.APPEAL_GROUPS) for k in V.keys(V.APPEAL_COLUMNS)]
    assert values == expected

    part2 = wb["二、主动公开"]
    texts = [c.value for row in part2.iter_rows() for c in row if isinstance(c.value, str)]
    assert "本年收费金额（万元）" in texts or "采购总金额" in texts  # units as printed


def test_text_that_looks_like_a_formula_stays_text() -> None:
    data = list_workbook("机关", [("name", "机关名称"), ("n", "数")], [{"name": "=HYPERLINK(\"x\")", "n": 3}])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws is not None
    assert ws["A2"].data_type == "s" and ws["A2"].value == "=HYPERLINK(\"x\")" and ws["B2"].value == 3
