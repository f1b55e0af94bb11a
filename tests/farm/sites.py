"""The farm's sites, each built like a different government CMS. Each builder fills a SiteServer's pages.

Every builder returns the report documents it published: {path: ReportDoc}. Noise (near-miss titles,
other agencies, a second URL of the same report) is part of each site on purpose.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

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
