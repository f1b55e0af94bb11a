"""Link, attachment and pager shapes of real government CMSs (TRS WCM, Hanweb/大汉, Founder, Ucap, 集约化平台):
the pure rules of crawler.discovery, and what the spider derives from one page (no crawl; the whole path is
tests/crawler/test_shapes.py)."""

from __future__ import annotations

from typing import Any

import pytest
import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse

from nianbao.crawler import discovery as d
from nianbao.crawler.budget import SiteBudget
from nianbao.crawler.items import ReportCandidate
from nianbao.crawler.spiders.report_spider import ReportSpider

BASE = "http://a.gov.cn"
TITLE = "东莞市统计局2023年政府信息公开工作年度报告"


# --- links whose href is a script or a placeholder ------------------------------------------------------

@pytest.mark.parametrize(("href", "attributes", "target"), [
    ("javascript:void(0)", {"onclick": "window.open('./202301/t20230131_1.html','_blank')"},
     "./202301/t20230131_1.html"),
    ("javascript:;", {"onclick": "location.href='/xxgk/nb/t2023.html';return false;"}, "/xxgk/nb/t2023.html"),
    ("#", {"onclick": "openWin(\"../../art/2024/1/20/art_1_2.html\")"}, "../../art/2024/1/20/art_1_2.html"),
    ("javascript:void(0)", {"onclick": "downloadFile('/xx/2023.pdf')"}, "/xx/2023.pdf"),
    ("javascript:openDoc('t20240120_5.shtml')", {}, "t20240120_5.shtml"),
    ("#", {"data-href": "/art/2024/t1.html"}, "/art/2024/t1.html"),
    ("", {"data-url": "http://a.gov.cn/nb.docx"}, "http://a.gov.cn/nb.docx"),
    ("javascript:void(0)", {"onclick": "goPage(2)"}, None),  # a page number: no URL
    ("javascript:void(0)", {"onclick": "openDoc('8a8b9c')"}, None),  # an id: no URL
    ("#top", {}, None),
    ("javascript:history.back()", {"data-href": "javascript:;"}, None),
])
def test_placeholder_target(href: str, attributes: dict[str, str], target: str | None) -> None:
    assert d.placeholder_target(href, attributes.get) == target


@pytest.mark.parametrize(("url", "document"), [
    (f"{BASE}/pdfjs/web/viewer.html?file=/upload/2023nb.pdf", f"{BASE}/upload/2023nb.pdf"),
    (f"{BASE}/static/pdfjs/web/viewer.html?file=..%2F..%2F..%2Fupload%2Fnb.pdf#page=1",
     f"{BASE}/upload/nb.pdf"),
    (f"{BASE}/plugins/viewer.jsp?url=http%3A%2F%2Fa.gov.cn%2Fnb.pdf", f"{BASE}/nb.pdf"),
    (f"{BASE}/art/t1.html?file=x.pdf", f"{BASE}/art/t1.html?file=x.pdf"),  # not a viewer
    (f"{BASE}/pdfjs/web/viewer.html", f"{BASE}/pdfjs/web/viewer.html"),
])
def test_viewer_document(url: str, document: str) -> None:
    assert d.viewer_document(url.split("#")[0]) == document


# --- attachments that name no file --------------------------------------------------------------------

@pytest.mark.parametrize(("url", "text", "is_document"), [
    (f"{BASE}/module/download/downfile.jsp?classid=0&filename=1a2b.pdf", "附件", True),
    (f"{BASE}/module/download/downfile.jsp?classid=0&filename=1a2b.pdf", "", True),
    (f"{BASE}/attach/download?fileId=123", "附件：东莞市统计局2023年政府信息公开工作年度报告", True),
    (f"{BASE}/attach/download?fileId=123", "附件1", True),
    (f"{BASE}/attach/download?fileId=123", "下载附件", True),
    (f"{BASE}/attach/download?fileId=123", TITLE, True),  # a download script named by the report
    (f"{BASE}/common/getFile.do?id=9", "政府信息公开工作年度报告", True),
    (f"{BASE}/download/list.jsp?type=1", "下载中心", False),  # a column of downloads
    (f"{BASE}/attach/download?fileId=123", "2023年统计公报", False),
    (f"{BASE}/content.jsp?id=5", TITLE, False),  # a dynamic article page
    (f"{BASE}/art/t1.html", "附件1", False),  # a static page is no attachment
    (f"{BASE}/art/t1.html", "附件材料清单", False),
])
def test_documents_without_a_suffix(url: str, text: str, is_document: bool) -> None:
    assert d.is_document_url(url, text) is is_document


@pytest.mark.parametrize(("header", "name"), [
    (b"attachment; filename*=UTF-8''2023%E5%B9%B4%E6%8A%A5.pdf", "2023年报.pdf"),
    (b"attachment; filename=\"nb.pdf\"; filename*=UTF-8''2023%E5%B9%B4%E6%8A%A5.pdf", "2023年报.pdf"),
    ("attachment; filename=\"2023年报.wps\"".encode("gbk"), "2023年报.wps"),  # raw GBK
    ("attachment; filename=\"2023年报.docx\"".encode(), "2023年报.docx"),  # raw UTF-8
    (b"attachment;filename=%E5%B9%B4%E6%8A%A5+2023.doc", "年报 2023.doc"),  # URL-encoded by a Java server
    (b"attachment; filename*=GBK''%C4%EA%B1%A8.pdf", "年报.pdf"),
    (b"inline", None),
    (None, None),
])
def test_disposition_filename(header: bytes | None, name: str | None) -> None:
    assert d.disposition_filename(header) == name


@pytest.mark.parametrize(("url", "header", "content_type", "name"), [
    (f"{BASE}/attach/download?fileId=1", b"attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.txt", None, "年报.txt"),
    (f"{BASE}/module/download/downfile.jsp?classid=0&filename=1a2b.wps", None, "application/octet-stream",
     "1a2b.wps"),
    (f"{BASE}/attach/download?fileId=1", None, "application/pdf", "download.pdf"),
    (f"{BASE}/attach/download?fileId=1", None, "text/plain; charset=GBK", "download.txt"),
    (f"{BASE}/upload/2023%E5%B9%B4.docx", None, "application/octet-stream", "2023年.docx"),
    (f"{BASE}/getfile", None, "application/octet-stream", "getfile"),  # the reader decides by the bytes
])
def test_document_filename(url: str, header: bytes | None, content_type: str | None, name: str) -> None:
    assert d.document_filename(url, header, content_type) == name


@pytest.mark.parametrize(("content_type", "header", "is_document"), [
    ("application/octet-stream", b"attachment; filename=\"a.txt\"", True),
    ("text/plain; charset=utf-8", None, False),  # pages are sent as text/plain too
    ("text/plain", b"attachment; filename=\"a.txt\"", True),
    ("application/pdf", None, True),
    ("text/html; charset=utf-8", b"inline; filename=\"t1.html\"", False),
    ("text/html", None, False),
    ("text/xml", None, False),
])
def test_document_responses(content_type: str, header: bytes | None, is_document: bool) -> None:
    assert d.is_document_response(content_type, header) is is_document


# --- titles -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "titles", "whole"), [
    ("东莞市统计局2023年政府信息公开...", [None, TITLE], TITLE),
    ("东莞市统计局2023年政府信息公开…2024-01-20", ["东莞市统计局2023年政府信息公开工作年度报告"], TITLE),
    ("东莞市统计局2023年政府信息公开...", ["2023年统计工作要点", None], "东莞市统计局2023年政府信息公开..."),
    ("...", [TITLE], "..."),  # nothing visible to continue
    (TITLE, ["another title"], TITLE),  # not cut short
])
def test_untruncated(text: str, titles: list[str | None], whole: str) -> None:
    assert d.untruncated(text, titles) == whole


@pytest.mark.parametrize(("title", "undated"), [
    ("政府信息公开工作年度报告", True),
    ("政府信息公开年报", True),
    ("东莞市统计局政府信息公开工作年度报告", True),
    ("2023年政府信息公开工作年度报告", False),  # a report
    ("关于做好政府信息公开工作年度报告编制工作的通知", False),
    ("政府信息公开", False),
    ("年度报告", False),
])
def test_undated_report_titles(title: str, undated: bool) -> None:
    assert d.classify_title(title).undated is undated


# --- pagers -------------------------------------------------------------------------------------------

def test_trs_pager_with_a_div_id_counts_from_one() -> None:
    html = "<div id='page_div'></div><script>createPageHTML('page_div',3, 1,'index','shtml',149);</script>"
    assert d.create_page_html_urls(html, f"{BASE}/col/nb/index.shtml") == [
        f"{BASE}/col/nb/index.shtml", f"{BASE}/col/nb/index_2.shtml", f"{BASE}/col/nb/index_3.shtml"]
    assert d.create_page_html_urls(html, f"{BASE}/col/nb/", limit=2) == [
        f"{BASE}/col/nb/index.shtml", f"{BASE}/col/nb/index_2.shtml"]


HANWEB = """<div id="212860"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&amp;webid=1&amp;columnid=33718"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href='/art/2024/1/20/art_33718_1.html' title='x'>x</a><span>2024-01-20</span></li>]]></record>
<record><![CDATA[<li><a href='/art/2023/1/20/art_33718_2.html'>y</a></li>]]></record>
</recordset></datastore></script></div><script>$('#212860').jpage({totalRecord:40,perPage:19});</script>"""


def test_hanweb_data_island() -> None:
    records = d.datastore_records(HANWEB)
    assert "art_33718_1.html" in records and "art_33718_2.html" in records and "CDATA" not in records
    assert d.datastore_next_urls(HANWEB, f"{BASE}/col/col33718/index.html") == [
        f"{BASE}/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=33718"]
    assert d.datastore_records("<ul><li><a href='/a.html'>a</a></li></ul>") == ""


@pytest.mark.parametrize(("text", "is_page"), [("下一页>", True), ("[下一页]", True), ("尾页>>", True),
                                               ("【末页】", True), ("<上一页", False), ("首页>", False)])
def test_pager_words_with_arrows(text: str, is_page: bool) -> None:
    assert d.is_pagination_text(text) is is_page


# --- what the spider derives from one page ------------------------------------------------------------

def spider() -> ReportSpider:
    agency = {"id": "dg", "name": "东莞市统计局", "start_urls": [f"{BASE}/"]}
    made = ReportSpider(agencies=[agency])
    made.max_depth, made.max_list_pages = 3, 50
    made.max_pictures, made.max_picture_bytes = 20, 8 * 1024 * 1024
    made.budget = SiteBudget(max_pages=3000, max_bytes=500 * 1024 * 1024)
    return made


def response(url: str, body: str | bytes, *, cls: type[Response] = HtmlResponse, role: str = "article",
             title: str | None = None, headers: dict[str, Any] | None = None, encoding: str = "utf-8") -> Response:
    meta = {"agency": "dg", "role": role, "hops": 0, "pages": 1, "title": title}
    request = scrapy.Request(url, meta=meta)
    data = body.encode(encoding) if isinstance(body, str) else body
    if issubclass(cls, TextResponse):
        return cls(url, body=data, headers=headers, request=request, encoding=encoding)
    return cls(url, body=data, headers=headers, request=request)


def page(body: str, head: str = "") -> str:
    return f"<html><head><meta charset='utf-8'>{head}<title>{TITLE}</title></head><body>{body}</body></html>"


def test_links_behind_scripts_attributes_and_cut_short_titles() -> None:
    html = page(
        "<a href='javascript:void(0)' onclick=\"window.open('./202401/t20240120_1.html')\">A</a>"
        "<a href='#' data-href='/b.html'>B</a>"
        "<a href='/c.html'><span title='东莞市统计局2023年政府信息公开工作年度报告'>东莞市统计局2023年政府信息公开...</span></a>"
        "<ul><li title='东莞市统计局2022年政府信息公开工作年度报告'><a href='/d.html'>东莞市统计局2022年政府...</a></li></ul>"
        "<a href='/pdfjs/web/viewer.html?file=/upload/e.pdf'>E</a>"
        "<a href='javascript:void(0)'>更多</a><a href='mailto:x@a.gov.cn'>信箱</a>")
    links = list(spider()._links(response(f"{BASE}/col/nb/index.html", html, role="list")))
    assert links == [("A", f"{BASE}/col/nb/202401/t20240120_1.html"), ("B", f"{BASE}/b.html"),
                     (TITLE, f"{BASE}/c.html"), ("东莞市统计局2022年政府信息公开工作年度报告", f"{BASE}/d.html"),
                     ("E", f"{BASE}/upload/e.pdf")]


def test_query_in_the_encoding_of_a_gbk_page() -> None:
    html = "<html><head><meta charset='gbk'></head><body><a href='/down.jsp?name=年报.doc'>附件</a></body></html>"
    [(_, url)] = spider()._links(response(f"{BASE}/gk/t1.htm", html, role="list", encoding="gbk"))
    assert url == f"{BASE}/down.jsp?name=%C4%EA%B1%A8.doc"


def test_hanweb_entries_and_next_group_from_a_list_page() -> None:
    html = page(HANWEB.replace("title='x'>x<", f"title='{TITLE}'>{TITLE}<"))
    outputs = list(spider()._list_outputs(response(f"{BASE}/col/col33718/index.html", html, role="list")))
    asked = {(o.meta["role"], o.url) for o in outputs}
    assert ("article", f"{BASE}/art/2024/1/20/art_33718_1.html") in asked
    assert ("list", f"{BASE}/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=33718") in asked


def documents_asked(outputs: list[Any]) -> list[tuple[str, str]]:
    """(url, title) of the documents asked for as whole reports (not as parts of one report)."""
    return [(o.url, o.meta["title"]) for o in outputs if isinstance(o, scrapy.Request)
            and o.meta["role"] == "document" and o.meta.get("part_of") is None]


@pytest.mark.parametrize("shown", [
    "<iframe src='/pdfjs/web/viewer.html?file=/upload/nb.pdf'></iframe>",
    "<embed src='/upload/nb.pdf' type='application/pdf'>",
    "<object data='/upload/nb.pdf' type='application/pdf'></object>",
    "<iframe src='/upload/nb.pdf'></iframe>",
    # The viewer and a download link, an icon and a text link: one document, not the parts of one report.
    "<iframe src='/upload/nb.pdf'></iframe><a href='/upload/nb.pdf'><img src='/img/pdf.gif'></a>"
    "<a href='/upload/nb.pdf'>下载</a>",
])
def test_embedded_documents_of_an_article(shown: str) -> None:
    outputs = list(spider()._article_outputs(response(f"{BASE}/art/t1.html", page(f"<h1>{TITLE}</h1>{shown}"))))
    assert documents_asked(outputs) == [(f"{BASE}/upload/nb.pdf", TITLE)]
    assert not [o for o in outputs if isinstance(o, ReportCandidate)]  # the page is not the report


def test_attachment_behind_a_download_script_is_asked_instead_of_the_page() -> None:
    body = f"<h1>{TITLE}</h1><a href='/attach/download?fileId=123'>附件：{TITLE}</a>"
    outputs = list(spider()._article_outputs(response(f"{BASE}/art/t1.html", page(body))))
    assert documents_asked(outputs) == [(f"{BASE}/attach/download?fileId=123", TITLE)]


def test_a_report_link_that_answers_a_file_is_stored_under_the_server_s_file_name() -> None:
    headers = {"Content-Type": "application/octet-stream",
               "Content-Disposition": "attachment; filename=\"2023年报.wps\"".encode("gbk")}
    got = response(f"{BASE}/attach/download?fileId=9", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
                   cls=Response, title=TITLE, headers=headers)
    [candidate] = spider()._article_outputs(got)
    assert isinstance(candidate, ReportCandidate) and candidate.filename == "2023年报.wps"
    text = response(f"{BASE}/attach/download?fileId=8", "2023年…报告", cls=TextResponse, title=TITLE,
                    headers={"Content-Type": "text/plain; charset=utf-8"})
    [candidate] = spider()._article_outputs(text)
    assert isinstance(candidate, ReportCandidate) and candidate.filename == "download.txt"


def test_an_undated_report_title_leads_to_a_column_or_to_the_report() -> None:
    made = spider()
    entry = page("<li><a href='/gk/nb/t1.html'>政府信息公开工作年度报告</a><span>2024-01-20</span></li>")
    [request] = [o for o in made._list_outputs(response(f"{BASE}/gk/", entry, role="list")) if o.url.endswith("t1.html")]
    assert (request.meta["role"], request.meta["title"], request.meta["hops"]) == ("list", "政府信息公开工作年度报告", 1)
    # The page leads nowhere: it is the report itself (its year is in its text).
    article = "<html><head><title>政府信息公开工作年度报告</title></head><body><h1>政府信息公开工作年度报告</h1></body></html>"
    outputs = list(made._list_outputs(response(f"{BASE}/gk/nb/t1.html", article, role="list",
                                               title="政府信息公开工作年度报告")))
    assert [o.url for o in outputs if isinstance(o, ReportCandidate)] == [f"{BASE}/gk/nb/t1.html"]
    # A column of yearly reports: its entries are followed, the column is not a report.
    column = page(f"<a href='/gk/nb/t2.html'>{TITLE}</a>")
    outputs = list(made._list_outputs(response(f"{BASE}/gk/nb/", column, role="list", title="政府信息公开年报")))
    assert not [o for o in outputs if isinstance(o, ReportCandidate)]
    # It answers the document itself.
    pdf = response(f"{BASE}/gk/nb/2023", b"%PDF-1.7 ...", cls=Response, role="list", title="政府信息公开工作年度报告",
                   headers={"Content-Type": "application/pdf"})
    [candidate] = made._list_outputs(pdf)
    assert isinstance(candidate, ReportCandidate) and candidate.filename == "2023.pdf"


def test_an_attachment_is_never_entered_as_a_column() -> None:
    html = ("<html><head><title>通知公告</title></head><body><a href='/upload/nb.pdf'>附件：年度报告.pdf</a>"
            "<a href='/gk/nb/'>年度报告</a></body></html>")
    asked = [(o.meta["role"], o.url) for o in spider()._list_outputs(response(f"{BASE}/gk/", html, role="list"))]
    assert asked == [("list", f"{BASE}/gk/nb/")]


def test_script_pagers_stop_at_the_page_limit() -> None:
    made, html = spider(), page("<script>createPageHTML('page_div',9, 1,'index','shtml',90);</script>" + HANWEB)
    first = response(f"{BASE}/col/index.shtml", html, role="list")
    assert len([o for o in made._list_outputs(first) if o.meta["role"] == "list"]) == 10  # 9 pages + next group
    last = response(f"{BASE}/col/index_9.shtml", html, role="list")
    last.meta["pages"] = made.max_list_pages
    assert not [o for o in made._list_outputs(last) if isinstance(o, scrapy.Request) and o.meta["role"] == "list"]
