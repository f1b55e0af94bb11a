"""The title classifier and the link/page rules of crawler.discovery (pure functions, table-driven)."""

from __future__ import annotations

import pytest

from nianbao.crawler import discovery as d

TITLES = [
    # (title, kind, year, agency)
    ("东莞市统计局2020年政府信息公开工作报告", "report", 2020, "东莞市统计局"),
    ("2021年广州市统计局政府信息公开工作 年度报告", "report", 2021, "广州市统计局"),
    ("丽水市统计局\n2020年政府信息公开工作年度报告", "report", 2020, "丽水市统计局"),
    ("二〇二〇年度政府信息公开年报", "report", 2020, None),
    ("2019年政务公开工作年度报告", "report", 2019, None),
    ("关于做好2020年政府信息公开工作年度报告编制工作的通知", "notice", 2020, None),
    ("关于报送2021年度政府信息公开工作年度报告的通知", "notice", 2021, None),
    ("2021年政务公开工作要点", "plan", 2021, None),
    ("丽水市统计局2021年政务公开工作计划", "plan", 2021, None),
    ("2020年政府信息公开工作年度报告解读", "commentary", 2020, None),
    ("一图读懂2020年政府信息公开工作年度报告", "commentary", 2020, None),
    ("政府信息公开年报", "other", None, None),  # a column, not one report
    ("2020年统计年报", "other", 2020, None),  # statistics, not open government information
    ("东莞市统计局召开2021年统计工作会议", "other", 2021, None),
    ("", "other", None, None),
]


@pytest.mark.parametrize(("title", "kind", "year", "agency"), TITLES)
def test_classify_title(title: str, kind: str, year: int | None, agency: str | None) -> None:
    verdict = d.classify_title(title)
    assert (verdict.kind.value, verdict.year, verdict.agency) == (kind, year, agency)


@pytest.mark.parametrize(("found", "configured", "same"), [
    ("广州市统计局", "广州市统计局", True),
    ("统计局", "广州市统计局", True),
    ("市中区统计局", "济南市市中区统计局", True),
    ("广州市人民政府", "广州市", True),
    (None, "广州市统计局", True),  # unknown: the content decides
    ("东莞市统计局", "广州市统计局", False),
    ("丽水市统计局", "广州市统计局", False),
    ("广州市财政局", "广州市统计局", False),
])
def test_agency_matches(found: str | None, configured: str, same: bool) -> None:
    assert d.agency_matches(found, configured) is same


def test_text_agency_reads_a_title_split_over_two_lines() -> None:
    assert d.text_agency("\n丽水市统计局\n2020年政府信息公开工作年度报告\n一、总体情况\n") == "丽水市统计局"
    assert d.text_agency("一、总体情况\n今年我局……\n") is None


def test_create_page_html_pages() -> None:
    html = '<script>createPageHTML(3, 0, "index", "html");</script>'
    assert d.create_page_html_urls(html, "http://a.gov.cn/col/nb/index.html") == [
        "http://a.gov.cn/col/nb/index.html", "http://a.gov.cn/col/nb/index_1.html",
        "http://a.gov.cn/col/nb/index_2.html"]
    assert d.create_page_html_urls("<p>no pager</p>", "http://a.gov.cn/") == []


@pytest.mark.parametrize(("text", "is_page"), [("下一页", True), ("2", True), ("[3]", True), ("尾页", True),
                                               ("2021", True), ("首页", False), ("政府信息公开", False)])
def test_pagination_text(text: str, is_page: bool) -> None:
    assert d.is_pagination_text(text) is is_page


def test_documents_and_skipped_links() -> None:
    assert d.is_document_url("http://a.gov.cn/att/r.PDF")
    assert d.is_document_url("http://a.gov.cn/download.jsp?id=3", "2020年年度报告.wps")
    assert not d.is_document_url("http://a.gov.cn/art/t1.html", "2020年年度报告")
    assert d.is_skipped_url("http://a.gov.cn/logo.png") and d.is_skipped_url("mailto:x@a.gov.cn")


def test_challenge_and_render_decisions() -> None:
    assert d.looks_like_challenge(412, "<html><script>x</script></html>")
    assert d.looks_like_challenge(200, "<html><title>访问验证</title>请输入验证码</html>")
    assert not d.looks_like_challenge(200, "<html><a href=1>a</a>" * 10 + "验证码</html>")
    assert not d.looks_like_challenge(404, "<html>not found</html>")
    assert d.page_needs_render("<ul id=list></ul><script>fetch('/api/nb.json')</script>", useful_links=0)
    assert not d.page_needs_render("<ul id=list></ul><script>fetch('/api/nb.json')</script>", useful_links=3)
    assert not d.page_needs_render("<ul id=list></ul>", useful_links=0)
