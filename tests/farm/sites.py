"""The farm's sites, each built like a different government CMS. Each builder fills a SiteServer's pages.

Every builder returns the report documents it published: {path: ReportDoc}. Noise (near-miss titles,
other agencies, a second URL of the same report) is part of each site on purpose.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from urllib.parse import quote

from tests.farm import documents as docs
from tests.farm.server import SiteServer


@dataclass
class SiteSpec:
    key: str  # also the seed key for the report
    agency_id: str
    name: str  # the configured agency name (may be fuzzier than the document's)
    start_path: str
    mode: str = "ok"
    render: str = "auto"
    kind: str = "department"


def list_page(title: str, items: list[tuple[str, str]], extra: str = "", encoding: str = "utf-8") -> str:
    lis = "\n".join(f"<li><a href='{href}' title='{html.escape(t)}'>{html.escape(t)}</a><span>2021-01-15</span></li>"
                    for t, href in items)
    return (f"<html><head><meta charset='{encoding}'><title>{html.escape(title)}</title></head><body>"
            f"<div class='nav'><a href='/'>首页</a> <a href='/about.html'>机构概况</a></div>"
            f"<h2>{html.escape(title)}</h2><ul class='list'>{lis}</ul>{extra}</body></html>")


def attachment_article(title: str, attachments: list[tuple[str, str]], date: str = "2021-01-20") -> str:
    links = "".join(f"<p>附件：<a href='{href}'>{html.escape(text)}</a></p>" for text, href in attachments)
    return (f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
            f"<div class='article'><h1>{html.escape(title)}</h1><div class='info'>发布时间：{date}</div>"
            f"<div class='content'><p>现将{html.escape(title)}予以公布。</p>{links}</div></div></body></html>")


NEWS = "<html><head><meta charset='utf-8'><title>{t}</title></head><body><h1>{t}</h1><p>正文。</p></body></html>"


def news(site: SiteServer, path: str, title: str) -> None:
    site.set_page(path, NEWS.format(t=html.escape(title)))


# --- 1. TRS-style static lists with createPageHTML / index_N.html, report as PDF -----------------------

def build_trs(site: SiteServer, text: str) -> None:
    site.set_page("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    pager = "<div class='page'><script>createPageHTML(3, {n}, \"index\", \"html\");</script></div>"
    site.set_page("/col/nb/index.html", list_page("年报", [
        ("关于做好2020年政府信息公开工作年度报告编制工作的通知", "../../art/2020/notice.html"),
        ("2021年政务公开工作要点", "../../art/2021/plan.html"),
        ("东莞市统计局召开2021年统计工作会议", "../../art/2021/meeting.html"),
    ], pager.format(n=0)))
    site.set_page("/col/nb/index_1.html", list_page("年报", [
        ("东莞市统计局2020年政府信息公开工作报告", "../../art/2021/report2020.html"),
        ("东莞市统计局2019年政府信息公开工作年度报告", "/private/report2019.html"),  # robots.txt forbids
    ], pager.format(n=1)))
    site.set_page("/col/nb/index_2.html", list_page("年报", [
        ("2020年政府信息公开工作年度报告（转载）", "../../art/2021/copy.html"),  # same PDF, second URL
        ("2020年政府信息公开工作年度报告解读", "../../art/2021/jiedu.html"),
    ], pager.format(n=2)))
    site.set_page("/art/2021/report2020.html", attachment_article(
        "东莞市统计局2020年政府信息公开工作报告", [("东莞市统计局2020年政府信息公开工作报告.pdf", "/att/report2020.pdf")]))
    site.set_page("/art/2021/copy.html", attachment_article(
        "2020年政府信息公开工作年度报告（转载）", [("年度报告.pdf", "/att/copy/report2020.pdf")]))
    publish_pdf(site, text)
    for path, title in (("/art/2020/notice.html", "关于做好2020年政府信息公开工作年度报告编制工作的通知"),
                        ("/art/2021/plan.html", "2021年政务公开工作要点"),
                        ("/art/2021/meeting.html", "东莞市统计局召开2021年统计工作会议"),
                        ("/art/2021/jiedu.html", "2020年政府信息公开工作年度报告解读")):
        news(site, path, title)


def publish_pdf(site: SiteServer, text: str) -> None:
    data = docs.pdf_bytes(text)
    site.set_page("/att/report2020.pdf", data, "application/pdf")
    site.set_page("/att/copy/report2020.pdf", data, "application/pdf")


# --- 2. a list built by JavaScript from a JSON endpoint, report as DOCX ------------------------------

JS_LIST = """<html><head><meta charset='utf-8'><title>政府信息公开年报</title></head><body>
<h2>政府信息公开年报</h2><ul id="list"></ul>
<script>
fetch('/api/nb.json').then(function(r){return r.json()}).then(function(d){
  var ul=document.getElementById('list');
  d.items.forEach(function(it){var li=document.createElement('li');var a=document.createElement('a');
    a.href=it.url;a.textContent=it.title;li.appendChild(a);ul.appendChild(li);});
});
</script></body></html>"""


def build_jsonlist(site: SiteServer, text: str, other_text: str) -> None:
    site.set_page("/xxgk/nb/index.html", JS_LIST)
    items = [
        {"title": "2021年广州市统计局政府信息公开工作年度报告", "url": "/xxgk/nb/content/post_1.html"},
        {"title": "丽水市统计局2020年政府信息公开工作年度报告", "url": "/xxgk/nb/content/post_2.html"},
        {"title": "2020年政府信息公开工作年度报告", "url": "/xxgk/nb/content/post_3.html"},
    ]
    site.set_page("/api/nb.json", json.dumps({"items": items}, ensure_ascii=False), "application/json")
    site.set_page("/xxgk/nb/content/post_1.html", attachment_article(
        "2021年广州市统计局政府信息公开工作年度报告", [("2021年年度报告.docx", "/attach/nb2021.docx")]))
    site.set_page("/attach/nb2021.docx", docs.docx_bytes(text),
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    # Another agency's report: rejected by its title (post_2) or, untitled, by its content (post_3).
    site.set_page("/xxgk/nb/content/post_2.html", docs.html_article("丽水市统计局2020年政府信息公开工作年度报告", other_text))
    site.set_page("/xxgk/nb/content/post_3.html", docs.html_article("2020年政府信息公开工作年度报告", other_text))


# --- 3. a GBK site: home page -> column -> numbered pages, report as an HTML article ------------------

def build_gbk(site: SiteServer, text: str) -> None:
    enc = "gbk"
    home = ("<html><head><meta charset='gbk'><title>济南市市中区统计局</title></head><body>"
            "<a href='/zwgk/index.htm'>政府信息公开</a> <a href='/tjsj/index.htm'>统计数据</a></body></html>")
    site.set_page("/", home, encoding=enc)
    site.set_page("/zwgk/index.htm", list_page("政府信息公开", [("政府信息公开年报", "/zwgk/ndbg/list_1.htm")],
                                               encoding=enc), encoding=enc)
    site.set_page("/tjsj/index.htm", list_page("统计数据", [("2020年统计年报", "/tjsj/nb2020.htm")], encoding=enc),
                  encoding=enc)
    pager1 = "<div class='pages'><a href='list_1.htm'>1</a> <a href='list_2.htm'>2</a> <a href='list_2.htm'>下一页</a></div>"
    site.set_page("/zwgk/ndbg/list_1.htm", list_page("政府信息公开年报", [
        ("市中区统计局2020年统计年报发布", "/zwgk/ndbg/202101/t20210110_1.htm"),
    ], pager1, encoding=enc), encoding=enc)
    site.set_page("/zwgk/ndbg/list_2.htm", list_page("政府信息公开年报", [
        ("市中区统计局2020年政府信息公开工作年度报告", "/zwgk/ndbg/202101/t20210115_2.htm"),
    ], pager1, encoding=enc), encoding=enc)
    site.set_page("/zwgk/ndbg/202101/t20210110_1.htm", NEWS.format(t="市中区统计局2020年统计年报发布"), encoding=enc)
    publish_gbk_article(site, text)


def publish_gbk_article(site: SiteServer, text: str) -> None:
    page = docs.html_article("市中区统计局2020年政府信息公开工作年度报告", text).replace("charset='utf-8'", "charset='gbk'")
    site.set_page("/zwgk/ndbg/202101/t20210115_2.htm", page, encoding="gbk")


# --- 4. 下一页 links, report as a DOC attachment, a link off-site ----------------------------------

def build_doc(site: SiteServer, text: str, offsite_url: str) -> None:
    site.set_page("/ndbg/index.html", list_page("年度报告", [
        ("丽水市统计局2021年统计工作要点", "/ndbg/plan.html"),
        ("2020年政府信息公开工作年度报告（外站）", offsite_url),  # another site: not followed
    ], "<a href='/ndbg/index_2.html'>下一页</a>"))
    site.set_page("/ndbg/index_2.html", list_page("年度报告", [
        ("丽水市统计局2020年政府信息公开工作年度报告", "/ndbg/art/2021/t1.html"),
    ], "<a href='/ndbg/index.html'>上一页</a>"))
    site.set_page("/ndbg/art/2021/t1.html", attachment_article(
        "丽水市统计局2020年政府信息公开工作年度报告", [("丽水市统计局2020年政府信息公开工作年度报告.doc", "/upload/nb2020.doc")]))
    site.set_page("/upload/nb2020.doc", docs.doc_bytes(text), "application/msword")
    news(site, "/ndbg/plan.html", "丽水市统计局2021年统计工作要点")


# --- 5. one report split over two attachments ------------------------------------------------------

def split_halves(text: str) -> tuple[str, str]:
    """Cut before part 三 (the applications table), where real split reports are usually cut."""
    at = text.find("三、收到和处理")
    at = at if at > 0 else len(text) // 2
    return text[:at], text[at:]


def build_split(site: SiteServer, text: str) -> None:
    first, second = split_halves(text)
    site.set_page("/gk/nb/", list_page("年报", [("吴忠市利通区统计局2020年政府信息公开工作年度报告", "/gk/nb/t2.html")]))
    site.set_page("/gk/nb/t2.html", attachment_article("吴忠市利通区统计局2020年政府信息公开工作年度报告", [
        ("附件1：2020年政府信息公开工作年度报告（一）.docx", "/files/nb2020-1.docx"),
        ("附件2：2020年政府信息公开工作年度报告（二）.docx", "/files/nb2020-2.docx"),
    ]))
    ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    site.set_page("/files/nb2020-1.docx", docs.docx_bytes(first), ctype)
    site.set_page("/files/nb2020-2.docx", docs.docx_bytes(second), ctype)


# --- 6. link and attachment shapes of other CMSs (TRS, Hanweb, Founder, 集约化平台), one report per year ----

CMS_AGENCY = "广州市统计局"  # the seed's agency: every year below is a year-shifted copy of its report
# shape -> the year of the report published in that shape (checked one by one in tests/crawler/test_shapes.py)
CMS_SHAPES: dict[str, int] = {
    "onclick_window_open": 2021,  # href javascript:void(0), onclick window.open('./…'): HTML article
    "data_url_downfile": 2020,  # href #, data-url; article -> 附件1 -> downfile.jsp?filename=….docx
    "js_href_attach_text": 2019,  # href javascript:openDoc('…'); 附件：… -> /attach/download?fileId=123 (.txt)
    "onclick_download_gbk_name": 2018,  # onclick downloadFile('/attach/download?fileId=456'), GBK file name
    "truncated_parent_title": 2017,  # 2017年…政府信息公... with the whole title on the <li>
    "undated_article": 2016,  # 政府信息公开工作年度报告 + date column: the HTML article is the report
    "pdfjs_viewer": 2015,  # <iframe src=/pdfjs/web/viewer.html?file=/upload/2015nb.pdf>
    "object_and_link": 2014,  # <object data=….pdf> and a 下载 link to the same file: one document
    "base_href_chinese_path": 2013,  # <base href>, ./附件/2013年 年度报告.docx
    "gbk_query": 2012,  # a GBK page: down.jsp?name=2012年报.docx (the query in GBK)
    "hanweb_nextgroup": 2011,  # Hanweb data island: the entry is in the next group (dataproxy.jsp?page=1)
    "hanweb_record": 2010,  # Hanweb data island: the entry is a CDATA record of the list page
    "trs_pager_6_args": 2009,  # createPageHTML('page_div', 2, 1, 'index', 'shtml', 12): on index_2.shtml
    "next_page_arrow": 2008,  # a pager link 下一页>
    "undated_document": 2007,  # 政府信息公开年度报告 -> a URL with no suffix that answers a DOCX
}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def cms_title(year: int) -> str:
    return f"{year}年{CMS_AGENCY}政府信息公开工作年度报告"


def build_cms(site: SiteServer, text: str) -> None:
    texts = {year: docs.year_text(text, year) for year in CMS_SHAPES.values()}
    _cms_hub(site)
    _cms_scripted_links(site, texts)
    _cms_titles(site, texts)
    _cms_embedded(site, texts)
    _cms_urls(site, texts)
    _cms_hanweb(site, texts)
    _cms_pagers(site, texts)


def _cms_hub(site: SiteServer) -> None:
    items = [
        f"<a href='javascript:void(0)' onclick=\"window.open('./art/2022/t20220131_1.html','_blank')\">{cms_title(2021)}</a>",
        f"<a href='#' data-url='/art/2021/t20210128_2.html'>{cms_title(2020)}</a>",
        f"<a href=\"javascript:openDoc('/art/2020/t20200130_3.html')\">{cms_title(2019)}</a>",
        f"<a href='javascript:;' onclick=\"downloadFile('/attach/download?fileId=456')\">{cms_title(2018)}</a>",
        f"<a href='/art/2018/t20180125_5.html'>2017年{CMS_AGENCY}政府信息公...</a>",
        "<a href='/art/2017/t20170120_6.html'>政府信息公开工作年度报告</a>",
        f"<a href='/art/2016/t20160118_7.html'>{cms_title(2015)}</a>",
        f"<a href='/art/2015/t20150119_8.html'>{cms_title(2014)}</a>",
        f"<a href='xxgk/a/b/t20140120_9.html'>{cms_title(2013)}</a>",
        f"<a href='/gbk/t20130121_10.htm'>{cms_title(2012)}</a>",
        "<a href='/xxgk/nb/nb2007'>政府信息公开年度报告</a>",
        # Noise: a notice behind a script, another agency's report behind a cut-short title, pager scripts
        # that name no URL.
        "<a href='javascript:void(0)' onclick=\"openWin('/art/notice.html')\">关于做好2021年政府信息公开工作年度报告编制工作的通知</a>",
        "<a href='/art/other.html'><span title='丽水市统计局2021年政府信息公开工作年度报告'>丽水市统计局2021年政府信息公开...</span></a>",
        "<a href='#' onclick='goPage(2)'>2</a>",
    ]
    lis = "\n".join(f"<li{_li_title(item)}>{item}<span>2022-01-20</span></li>" for item in items)
    site.set_page("/", "<html><head><meta charset='utf-8'><title>广州市统计局 政府信息公开</title></head><body>"
                       "<div class='nav'><a href='/'>首页</a> <a href='javascript:void(0)'>更多</a>"
                       " <a href='/col/col1/index.html'>政府信息公开年报</a> <a href='/gkml/nb/index.shtml'>年度报告</a>"
                       f" <a href='/xxgk/ndbg/index.html'>年报</a></div><ul class='list'>{lis}</ul></body></html>")


def _li_title(item: str) -> str:
    """The whole title of the cut-short 2017 entry is on its <li> (as Founder/集约化 lists print it)."""
    return f" title='{cms_title(2017)}'" if "2017年" in item and "..." in item else ""


def _cms_scripted_links(site: SiteServer, texts: dict[int, str]) -> None:
    article = docs.html_article(cms_title(2021), texts[2021]).replace(
        "<body>", "<body><div class='nav'><a href='/download/list.jsp?type=1'>下载中心</a></div>")
    site.set_page("/art/2022/t20220131_1.html", article)
    site.set_page("/art/2021/t20210128_2.html", attachment_article(
        cms_title(2020), [("附件1", "/module/download/downfile.jsp?classid=0&filename=8f1e2d3c.docx")]))
    site.set_page("/module/download/downfile.jsp", docs.docx_bytes(texts[2020]), "application/octet-stream")
    site.set_page("/art/2020/t20200130_3.html", attachment_article(
        cms_title(2019), [(f"附件：{cms_title(2019)}", "/attach/download?fileId=123")]))
    name = quote(f"{cms_title(2019)}.txt")
    site.set_page("/attach/download?fileId=123", texts[2019].encode("utf-8"), "application/octet-stream",
                  headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})
    gbk_name = f"{cms_title(2018)}.docx".encode("gbk").decode("latin-1")  # raw GBK bytes on the wire
    site.set_page("/attach/download?fileId=456", docs.docx_bytes(texts[2018]), "application/octet-stream",
                  headers={"Content-Disposition": f'attachment; filename="{gbk_name}"'})
    news(site, "/art/notice.html", "关于做好2021年政府信息公开工作年度报告编制工作的通知")


def _cms_titles(site: SiteServer, texts: dict[int, str]) -> None:
    site.set_page("/art/2018/t20180125_5.html", docs.html_article(cms_title(2017), texts[2017]))
    site.set_page("/art/2017/t20170120_6.html", docs.html_article("政府信息公开工作年度报告", texts[2016]))
    site.set_page("/xxgk/nb/nb2007", docs.docx_bytes(texts[2007]), DOCX_TYPE)
    site.set_page("/art/other.html", docs.html_article("丽水市统计局2021年政府信息公开工作年度报告", texts[2021]))


def _cms_embedded(site: SiteServer, texts: dict[int, str]) -> None:
    viewer = "<iframe src='/pdfjs/web/viewer.html?file=/upload/2015nb.pdf' width='100%' height='800'></iframe>"
    site.set_page("/art/2016/t20160118_7.html", attachment_article(cms_title(2015), []).replace(
        "</div></div></body>", viewer + "</div></div></body>"))
    site.set_page("/pdfjs/web/viewer.html", "<html><head><title>PDF.js viewer</title></head><body></body></html>")
    site.set_page("/upload/2015nb.pdf", docs.pdf_bytes(texts[2015]), "application/pdf")
    shown = ("<object data='/upload/2014nb.pdf' type='application/pdf' width='100%' height='800'></object>"
             "<p><a href='/upload/2014nb.pdf'>下载</a></p>")
    site.set_page("/art/2015/t20150119_8.html", attachment_article(cms_title(2014), []).replace(
        "</div></div></body>", shown + "</div></div></body>"))
    site.set_page("/upload/2014nb.pdf", docs.pdf_bytes(texts[2014]), "application/pdf")


def _cms_urls(site: SiteServer, texts: dict[int, str]) -> None:
    based = attachment_article(cms_title(2013), [("附件：2013年度报告.docx", "./附件/2013年 年度报告.docx")])
    site.set_page("/xxgk/a/b/t20140120_9.html", based.replace("<head>", f"<head><base href='{site.base_url}/xxgk/'>"))
    site.set_page("/xxgk/附件/2013年 年度报告.docx", docs.docx_bytes(texts[2013]), DOCX_TYPE)
    gbk = attachment_article(cms_title(2012), [("附件：2012年报.docx", "/down.jsp?name=2012年报.docx")])
    site.set_page("/gbk/t20130121_10.htm", gbk.replace("charset='utf-8'", "charset='gbk'"), encoding="gbk")
    site.set_page("/down.jsp?name=" + quote("2012年报.docx", encoding="gbk"), docs.docx_bytes(texts[2012]),
                  "application/octet-stream")


HANWEB_LIST = """<html><head><meta charset='utf-8'><title>政府信息公开年报</title>
<script type='text/javascript' src='/module/jslib/jquery/jpage/jquery.jpage.js'></script></head><body>
<h2>政府信息公开年报</h2><div id='9'><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid=1&unitid=9&webname=广州市统计局&permissiontype=0"></a>]]></nextgroup>
<recordset>
{records}
</recordset></datastore></script></div>
<script>$('#9').jpage({{totalRecord:3,perPage:2,groupSize:1,dataStore:null}});</script>
</body></html>"""
HANWEB_GROUP = """<?xml version="1.0" encoding="UTF-8"?>
<datastore><totalrecord>3</totalrecord><totalpage>2</totalpage><recordset>
{records}
</recordset></datastore>"""


def _hanweb_record(href: str, title: str, date: str) -> str:
    entry = f"<li><a href='{href}' title='{title}' target='_blank'>{title}</a><span>{date}</span></li>"
    return f"<record><![CDATA[{entry}]]></record>"


def _cms_hanweb(site: SiteServer, texts: dict[int, str]) -> None:
    records = "\n".join([_hanweb_record("/art/2011/1/25/art_1_101.html", cms_title(2010), "2011-01-25"),
                         _hanweb_record("/art/2011/1/10/art_1_100.html", "2011年统计工作要点", "2011-01-10")])
    site.set_page("/col/col1/index.html", HANWEB_LIST.format(records=records))
    group = _hanweb_record("/art/2012/1/20/art_1_102.html", cms_title(2011), "2012-01-20")
    site.set_page("/module/web/jpage/dataproxy.jsp", HANWEB_GROUP.format(records=group), "text/xml; charset=utf-8")
    site.set_page("/art/2011/1/25/art_1_101.html", docs.html_article(cms_title(2010), texts[2010]))
    site.set_page("/art/2012/1/20/art_1_102.html", docs.html_article(cms_title(2011), texts[2011]))
    news(site, "/art/2011/1/10/art_1_100.html", "2011年统计工作要点")


def _cms_pagers(site: SiteServer, texts: dict[int, str]) -> None:
    pager = "<div id='page_div'></div><script>createPageHTML('page_div',2, {n},'index','shtml',12);</script>"
    site.set_page("/gkml/nb/index.shtml", list_page("年度报告", [("2010年统计工作要点", "/art/plan2010.html")],
                                                      pager.format(n=1)))
    site.set_page("/gkml/nb/index_2.shtml", list_page("年度报告", [(cms_title(2009), "/gkml/nb/t2010.shtml")],
                                                        pager.format(n=2)))
    site.set_page("/gkml/nb/t2010.shtml", attachment_article(cms_title(2009), [
        (f"{cms_title(2009)}.docx", "/gkml/nb/P020100120.docx")]))
    site.set_page("/gkml/nb/P020100120.docx", docs.docx_bytes(texts[2009]), DOCX_TYPE)
    news(site, "/art/plan2010.html", "2010年统计工作要点")
    site.set_page("/xxgk/ndbg/index.html", list_page("年报", [("2009年统计工作要点", "/art/plan2009.html")],
                                                      "<div class='pages'><a href='list_2.html'>下一页&gt;</a></div>"))
    site.set_page("/xxgk/ndbg/list_2.html", list_page("年报", [(cms_title(2008), "/xxgk/ndbg/t2009.html")],
                                                       "<div class='pages'><a href='index.html'>&lt;上一页</a></div>"))
    site.set_page("/xxgk/ndbg/t2009.html", docs.html_article(cms_title(2008), texts[2008]))
    news(site, "/art/plan2009.html", "2009年统计工作要点")
