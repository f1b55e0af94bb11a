"""Every page has a `.json` twin built from the same context: the facts an overseer reads on the HTML page
(agency names, status labels, the printed name of a finding's cell) are the ones the JSON carries; the
/api/... endpoint is the same JSON; an unknown page answers 404 in JSON."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao.dashboard.api import openapi_document
from nianbao.dashboard.pages import PAGES
from tests.dashboard.conftest import Client, RunningServer, start_seeded


@pytest.fixture
def client(store: Any, tmp_path: Path, seed_bytes: Callable[[str], bytes]) -> Iterator[Client]:
    server: RunningServer = start_seeded(store, tmp_path, seed_bytes, session_lifetime=3600)
    try:
        viewer = Client(server.base_url)
        assert viewer.login("viewer") == 200
        yield viewer
    finally:
        server.stop()


def _twin(path: str) -> str:
    """/agencies/x?year=1 -> /agencies/x.json?year=1"""
    base, sep, query = path.partition("?")
    return f"{base}.json{sep}{query}"


def _page_and_json(client: Client, path: str) -> tuple[str, Any]:
    status, headers, page = client.request(path)
    assert status == 200 and headers["content-type"].startswith("text/html"), page[:500]
    status, headers, body = client.request(_twin(path))
    assert status == 200 and headers["content-type"] == "application/json", body[:500]
    return html.unescape(page.decode()), json.loads(body)


def _shown(page: str, *facts: Any) -> None:
    for fact in facts:
        assert isinstance(fact, str) and fact, f"not a fact: {fact!r}"
        assert fact in page, f"{fact!r} is in the JSON but not on the page"


def _report_id(client: Client) -> int:
    _, data = _page_and_json(client, "/agencies?year=2020&status=inconsistent")
    return int(data["rows"][0]["report_id"])


def test_overview_and_regions_json_carry_what_the_pages_show(client: Client) -> None:
    page, data = _page_and_json(client, "/overview?year=2020")
    worst = data["worst"][0]
    assert (worst["name"], worst["status_label"]) == ("沉默县人民政府办公室", "未发布")
    _shown(page, worst["name"], worst["status_label"], data["levels"][0]["label"], *(r["label"] for r in data["regions"]))
    assert data["levels"][0]["label"] == "县级"

    page, data = _page_and_json(client, "/regions?year=2020")
    assert {r["label"] for r in data["rows"]} == {"甘肃省/沉默县", "山东省/济南市", "广东省/东莞市", "浙江省/丽水市"}
    _shown(page, *(r["label"] for r in data["rows"]))

    page, data = _page_and_json(client, "/regions?year=2020&by=level")
    assert (data["by"], [r["label"] for r in data["rows"]]) == ("level", ["县级"])
    _shown(page, "各层级", "县级")


def test_agency_list_and_agency_json_carry_name_status_and_cell(client: Client) -> None:
    page, data = _page_and_json(client, "/agencies?year=2020&status=inconsistent")
    row = data["rows"][0]
    assert (row["name"], row["status_label"], row["level_label"]) == ("市中区统计局", "按时发布", "县级")
    _shown(page, row["name"], row["status_label"], row["level_label"])

    page, data = _page_and_json(client, "/agencies/shizhong")
    finding = data["reports"][0]["findings"][0]
    assert data["agency"]["name"] == "市中区统计局" and data["agency"]["kind_label"] == "政府部门"
    assert finding["cell_name"].startswith("第三部分（七）总计")
    _shown(page, data["agency"]["name"], data["agency"]["kind_label"], *(y["status_label"] for y in data["years"]),
           finding["cell_name"], finding["rule_label"], finding["severity_label"], finding["review_label"])


def test_report_diff_and_findings_json_carry_name_status_and_cell(client: Client) -> None:
    report_id = _report_id(client)
    page, data = _page_and_json(client, f"/reports/{report_id}")
    cells = [f["cell_name"] for f in data["findings"]]
    assert "第三部分（七）总计·总计" in cells
    _shown(page, data["agency"]["name"], data["status"]["status_label"], data["report"]["title"], *cells)

    page, data = _page_and_json(client, f"/reports/{report_id}/diff")
    assert (data["a"], data["b"]) == (1, 1)  # one version: compared with itself, nothing changed
    _shown(page, data["agency"]["name"], *(part["title"] for part in data["text"]))

    page, data = _page_and_json(client, "/findings?rule=balance")
    assert {r["name"] for r in data["rows"]} == {"市中区统计局"} and data["total"] == len(data["rows"])
    for row in data["rows"]:
        _shown(page, row["name"], row["rule_label"], row["cell_name"], row["review_label"])


def test_api_endpoint_serves_the_page_json(client: Client) -> None:
    report_id = _report_id(client)
    for path in ("/overview?year=2020", "/agencies/shizhong", f"/reports/{report_id}", "/findings?rule=balance"):
        twin = json.loads(client.request(_twin(path))[2])
        api = json.loads(client.request("/api" + path)[2])
        assert api == twin, path


def test_unknown_page_json_is_a_404_in_json(client: Client) -> None:
    for path, error in (("/agencies/nobody.json", "没有这个机关。"), ("/reports/999999.json", "没有这份报告。"),
                        ("/reports/999999/diff.json", "没有这份报告。"), ("/no-such-page.json", "没有这个页面。")):
        status, headers, body = client.request(path)
        assert (status, headers["content-type"]) == (404, "application/json"), path
        assert json.loads(body) == {"error": error}, path
    status, _, body = client.request(f"/reports/{_report_id(client)}/diff.json?a=7&b=1")
    assert status == 404 and json.loads(body) == {"error": "没有这个版本。"}
    status, headers, body = client.request("/agencies/nobody")  # the HTML page stays an HTML error page
    assert status == 404 and headers["content-type"].startswith("text/html") and "没有这个机关。" in body.decode()


def test_page_json_asks_for_a_login_with_401_not_a_redirect(client: Client) -> None:
    anonymous = Client(client.base_url, follow=False)
    status, headers, body = anonymous.request("/agencies/shizhong.json")
    assert (status, headers["content-type"]) == (401, "application/json")
    assert json.loads(body) == {"error": "请先登录。"}


def test_openapi_documents_every_page_under_api_and_as_json_twin() -> None:
    paths = openapi_document()["paths"]
    for page in PAGES:
        plain = page.path.replace(":int", "")
        assert paths["/api" + plain] == paths[plain + ".json"], page.name


def test_regions_page_shows_a_page_of_regions_worst_first_and_the_export_all(client: Client, monkeypatch) -> None:
    # A national registry has ~3,000 county-level regions: the page draws a page of them at a time.
    from nianbao.dashboard import queries

    every = [r["key"] for r in _page_and_json(client, "/regions?year=2020")[1]["rows"]]
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    page, first = _page_and_json(client, "/regions?year=2020")
    assert ([r["key"] for r in first["rows"]], first["page"], first["pages"], first["total"]) == (every[:3], 1, 2, 4)
    assert "下一页" in page and "第 1 / 2 页" in page
    page, last = _page_and_json(client, "/regions?year=2020&page=2")
    assert [r["key"] for r in last["rows"]] == every[3:] and "上一页" in page
    assert _page_and_json(client, "/regions?year=2020&page=9")[1]["page"] == 2
    status, _, body = client.request("/export/regions.json?year=2020")
    assert status == 200 and len(json.loads(body)) == 4


def test_overview_charts_the_worst_regions_and_the_regions_page_lists_them_all(client: Client,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # ~3,000 regions in a national registry: the overview labels and draws only the worst few on each request.
    from nianbao.dashboard import pages

    every = [r["key"] for r in _page_and_json(client, "/regions?year=2020")[1]["rows"]]
    monkeypatch.setattr(pages, "OVERVIEW_REGIONS", 2)
    page, data = _page_and_json(client, "/overview?year=2020")
    assert [r["key"] for r in data["regions"]] == every[:2]
    _shown(page, *(r["label"] for r in data["regions"]))
    assert page.count('class="barlabel"') == 2
