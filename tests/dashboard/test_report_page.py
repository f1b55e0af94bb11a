"""The report page in real headless Chromium at laptop (1366 px) and phone (390 px) width: the tables drawn
as the national format prints them, findings marked without widening their column, text parts as
paragraphs, the stored original framed beside the tables (PDF at the table's page, HTML sandboxed), the
cells changed since the previous version marked, and a print stylesheet that makes a clean A4 document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nianbao.report.reflow import paragraphs
from tests.dashboard.conftest import Client
from tests.dashboard.report_site import SCRIPT, login, serve

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
# A model key path as the JSON carries it: "applications.total_handled", "proactive.fees.amount_10k_yuan".
KEY_PATH = re.compile(r"\b(?:proactive|applications|appeals)\.[a-z_.]+|\b[a-z]+_[a-z_]+\b")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("report-page"))


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, site: dict[str, Any], browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, site["base"])
    page.viewport_name = request.param
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def _open(page: Any, site: dict[str, Any], agency: str, query: str = "") -> None:
    page.goto(f"{site['base']}/reports/{site['reports'][agency]}{query}")


def _no_key_paths(page: Any) -> None:
    visible = page.inner_text("body")
    assert not KEY_PATH.findall(visible), KEY_PATH.findall(visible)[:5]


def test_part_three_has_the_printed_header_block_and_outcome_rows(page: Any, site: dict[str, Any]) -> None:
    _open(page, site, "guangzhou")
    table = page.locator("table.report.applications")
    legal = table.locator("thead th", has_text="法人或其他组织")
    assert legal.count() == 1 and legal.get_attribute("colspan") == "5"
    assert table.locator("thead th", has_text="申请人情况").count() == 1
    block = table.locator("tbody th", has_text="三、本年度办理结果")
    assert block.count() == 1
    # The block runs down every outcome row: （一）…（六）3 rows in the 2021 format …（七）总计.
    assert int(block.get_attribute("rowspan") or 0) == 2 + 8 + 3 + 5 + 3 + 1
    refused = table.locator("tbody th", has_text="（三）不予公开")
    assert refused.get_attribute("rowspan") == "8"
    assert table.locator("tbody tr").count() == 25  # 一, 二, 22 outcome rows, 四
    _no_key_paths(page)


def test_part_two_prints_article_twenty_headings_and_units(page: Any, site: dict[str, Any]) -> None:
    _open(page, site, "guangzhou")
    proactive = page.locator("table.report.proactive")
    headings = proactive.locator("tr.itemhead th").all_inner_texts()
    assert headings == ["第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项"]
    assert proactive.locator("th", has_text="本年收费金额（单位：万元）").count() == 1
    _open(page, site, "shizhong")  # the 2019 format: other columns, 第（九）项 政府集中采购, one （六）其他处理 row
    proactive = page.locator("table.report.proactive")
    assert proactive.locator("tr.itemhead th").all_inner_texts()[-1] == "第二十条第（九）项"
    assert proactive.locator("th", has_text="采购总金额").count() == 1
    assert proactive.locator("th.rowhead", has_text="其他对外管理服务事项").count() == 1
    other = page.locator("table.report.applications tbody th", has_text="（六）其他处理")
    assert other.count() == 1 and other.get_attribute("colspan") == "2"
    _no_key_paths(page)


def test_part_four_is_one_row_of_fifteen_cells_under_its_two_level_header(page: Any, site: dict[str, Any]) -> None:
    _open(page, site, "guangzhou")
    appeals = page.locator("table.report.appeals")
    body_rows = appeals.locator("tbody tr")
    assert body_rows.count() == 1
    assert body_rows.first.locator("td").count() == 15
    head = appeals.locator("thead")
    assert head.locator("th", has_text="行政复议").get_attribute("colspan") == "5"
    assert head.locator("th", has_text="行政诉讼").get_attribute("colspan") == "10"
    for group in ("未经复议直接起诉", "复议后起诉"):
        assert head.locator("th", has_text=group).get_attribute("colspan") == "5"
    assert head.locator("tr").nth(2).locator("th").count() == 10


def test_a_flagged_cell_is_marked_without_widening_its_column(page: Any, site: dict[str, Any]) -> None:
    _open(page, site, "guangzhou")
    flagged = page.locator("table.report.applications td.flagged")
    assert flagged.count() >= 2
    cell = flagged.first
    assert cell.locator("a.mark").inner_text().isdigit()
    popover = cell.locator(".pop")
    assert not popover.is_visible()  # takes no room until hovered
    widths = page.eval_on_selector_all("table.report.applications tbody tr:nth-child(5) td",
                                       "cells => cells.map(c => c.getBoundingClientRect().width)")
    assert max(widths) < 2.5 * min(widths), widths  # no column swollen by a finding's text
    cell.hover()
    assert popover.is_visible() and "应为" in popover.inner_text()
    number = cell.locator("a.mark").inner_text()
    note = page.locator(f"ol.notes li#note-{number}")
    assert "应为" in note.inner_text() and "第三部分" in note.inner_text()


def test_pdf_text_parts_read_as_paragraphs(page: Any, site: dict[str, Any]) -> None:
    _open(page, site, "dongguan")
    summary = page.locator("#part-summary_text p").all_inner_texts()
    assert 3 <= len(summary) <= 8, summary  # the PDF wraps part 一 over ~30 lines
    assert any(len(p) > 150 for p in summary)
    assert all(p.startswith(("2020", "一是", "二是", "三是")) for p in summary), summary


def test_reflow_joins_wrapped_lines_and_keeps_unwrapped_text_as_is() -> None:
    full = "健全工作机制明确专人负责" * 3  # 36 characters: a printed line of an A4 page
    wrapped = "\n".join(["一是" + full, full, "做好落实。", "二是" + full, full, full, "形成长效机制。", "三是加强培训。"])
    assert paragraphs(wrapped) == ["一是" + full * 2 + "做好落实。", "二是" + full * 3 + "形成长效机制。", "三是加强培训。"]
    html_like = "第一段很短。\n第二段" + "内容" * 80 + "。\n第三段。"
    assert paragraphs(html_like) == html_like.splitlines()


def test_the_stored_pdf_opens_beside_the_tables_at_the_table_page(page: Any, site: dict[str, Any]) -> None:
    _open(page, site, "dongguan")
    frame = page.locator("aside.original iframe.pdf")
    assert frame.count() == 1
    src = frame.get_attribute("src") or ""
    assert re.fullmatch(r"/versions/\d+/view#page=4", src), src
    if page.viewport_name == "laptop":  # beside the tables on a wide screen
        tables_box = page.locator(".reportgrid .parsed").bounding_box()
        frame_box = frame.bounding_box()
        assert frame_box["x"] > tables_box["x"] + tables_box["width"] - 1
    response = page.request.get(site["base"] + src.split("#")[0])
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.body()[:5] == b"%PDF-"


def test_a_crawled_html_page_is_framed_sandboxed_and_its_script_never_runs(page: Any, site: dict[str, Any]) -> None:
    _open(page, site, "wuzhong")
    frame = page.locator("aside.original iframe.html")
    assert frame.get_attribute("sandbox") == ""
    src = frame.get_attribute("src") or ""
    response = page.request.get(site["base"] + src)
    policy = response.headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "script-src" not in policy and "default-src 'none'" in policy
    assert SCRIPT.encode() in response.body()  # stored as crawled …
    inner = page.frame_locator("aside.original iframe.html").locator("body")
    assert "吴忠市利通区统计局" in inner.inner_text()
    assert "PWNED" not in inner.inner_text()  # … and inert


def test_cells_changed_since_the_previous_version_are_marked(page: Any, site: dict[str, Any]) -> None:
    _open(page, site, "guangzhou")
    changed = page.locator("table.report td.changed")
    assert changed.count() == 1
    assert changed.first.get_attribute("id") == "loc-applications.granted.natural_person"
    assert "原 16" in changed.first.inner_text() and "15" in changed.first.inner_text()
    assert "1 处数字变化" in page.locator(".alert.changes").inner_text()
    _open(page, site, "guangzhou", "?v=1")  # the first version has nothing to compare with
    assert page.locator("table.report td.changed").count() == 0
    page.goto(f"{site['base']}/reports/{site['reports']['guangzhou']}/diff?a=1&b=2")
    marked = page.locator(".diff-tables td.changed")
    assert marked.count() == 1 and "原 16" in marked.first.inner_text()
    _no_key_paths(page)


def test_the_report_json_twin_carries_paragraphs_changes_and_the_original(site: dict[str, Any]) -> None:
    client = Client(site["base"])
    assert client.login("viewer") == 200
    status, _, body = client.request(f"/reports/{site['reports']['guangzhou']}.json")
    assert status == 200
    import json

    data = json.loads(body)
    assert data["changes"]["previous"] == 1
    assert [c["location"] for c in data["changes"]["cells"]] == ["applications.granted.natural_person"]
    assert data["original"]["kind"] == "text"
    assert all(part["paragraphs"] for part in data["text_parts"][:1])


def _pdf_pages(data: bytes) -> list[tuple[float, float]]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return [document[i].get_size() for i in range(len(document))]
    finally:
        document.close()


@pytest.mark.parametrize("path", ["/reports/{guangzhou}", "/findings"])
def test_report_and_findings_print_as_a_clean_a4_document(page: Any, site: dict[str, Any], path: str) -> None:
    page.goto(site["base"] + path.format(**site["reports"]))
    assert page.locator("header.topbar").is_visible()
    assert page.locator("button[data-print]").is_visible()  # JavaScript shows the print button
    page.emulate_media(media="print")
    for hidden in ("header.topbar", "footer.foot", "button[data-print]", "form.filters", "aside.original"):
        if page.locator(hidden).count():
            assert not page.locator(hidden).first.is_visible(), hidden
    if "reports" in path:  # the tables fit the page width: nothing scrolls sideways on paper
        wrap = page.locator("section.printed .tablewrap").nth(1)
        assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        assert page.locator("table.report.applications thead").evaluate(
            "el => getComputedStyle(el).display") == "table-header-group"
    sizes = _pdf_pages(page.pdf(prefer_css_page_size=True))
    assert sizes and all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in sizes), sizes  # A4 in points
    page.emulate_media(media="screen")
