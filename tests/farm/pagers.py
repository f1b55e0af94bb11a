"""Sites whose report is reachable only through one pager or link shape that real CMSs use:

- trs_vars: a TRS pager whose arguments are script variables (var countPage = 3//共多少页 …
  createPageHTML(countPage, currentPage, "index", "html")); the report is listed on index_2.html;
- li_onclick: list entries that are no link (<li onclick="location.href='…'">), and a window.open target;
- hanweb_post: a Hanweb column whose entries come from dataproxy.jsp by POST only (GET answers 405).

`build(key, site)` fills a SiteServer and returns its agencies.yaml entry.
"""

from __future__ import annotations

import html
from typing import Any

from tests.farm import documents as docs
from tests.farm.server import SiteServer
from tests.farm.sites import list_page, news

SHAPES = {"trs_vars": "dongguan", "li_onclick": "guangzhou", "hanweb_post": "lishui"}


def _title(seed: str) -> str:
    _, name, year = docs.SEEDS[seed]
    return f"{name}{year}年政府信息公开工作年度报告"


def _trs_vars(site: SiteServer, seed: str) -> str:
    def pager(current: int) -> str:
        return ("<div class='page'><script>var countPage = 3//共多少页\n"
                f"var currentPage = {current};//当前页\n"
                "createPageHTML(countPage, currentPage, \"index\", \"html\");</script></div>")

    site.set_page("/nb/index.html", list_page("年报", [("2021年统计工作要点", "/art/plan.html")], pager(0)))
    site.set_page("/nb/index_1.html", list_page("年报", [("统计局召开会议", "/art/meet.html")], pager(1)))
    site.set_page("/nb/index_2.html", list_page("年报", [(_title(seed), "/art/report.html")], pager(2)))
    news(site, "/art/plan.html", "2021年统计工作要点")
    news(site, "/art/meet.html", "统计局召开会议")
    return "/nb/index.html"


def _li_onclick(site: SiteServer, seed: str) -> str:
    items = (f"<li onclick=\"location.href='/art/report.html'\" style='cursor:pointer'>{html.escape(_title(seed))}"
             "<span>2022-01-20</span></li>"
             "<li onclick=\"window.open('/art/plan.html','_blank')\">2022年统计工作要点</li>")
    site.set_page("/nb/index.html", "<html><head><meta charset='utf-8'><title>年报</title></head><body>"
                                    f"<h2>年报</h2><ul class='list'>{items}</ul></body></html>")
    news(site, "/art/plan.html", "2022年统计工作要点")
    return "/nb/index.html"


HANWEB_COLUMN = """<html><head><meta charset='utf-8'><title>政府信息公开年报</title>
<script type='text/javascript' src='/module/jslib/jquery/jpage/jquery.jpage.js'></script></head><body>
<h2>政府信息公开年报</h2><div id='div4611'></div>
<script>
var param_4611 = {col:1,appid:1,webid:37,path:'/',columnid:4611,sourceContentType:1,unitid:'98765',
                  webname:'丽水市统计局',permissiontype:0};
$(document).ready(function(){
  $('#div4611').jpage({proxyUrl:'/module/web/jpage/dataproxy.jsp', ajaxParam:param_4611, perPage:15,
                       dataBefore:'<ul class="list">', dataAfter:'</ul>'});
});
</script></body></html>"""


def _hanweb_post(site: SiteServer, seed: str) -> str:
    records = "".join(f"<record><![CDATA[<li><a href='{href}' title='{t}'>{t}</a><span>2021-01-20</span></li>]]></record>"
                      for t, href in ((_title(seed), "/art/2021/1/20/art_4611_1.html"),
                                      ("2021年统计工作要点", "/art/2021/1/10/art_4611_0.html")))
    site.set_page("/col/col4611/index.html", HANWEB_COLUMN)
    site.set_page("/module/web/jpage/dataproxy.jsp",
                  f"<?xml version='1.0' encoding='UTF-8'?><datastore><totalrecord>2</totalrecord><recordset>{records}"
                  "</recordset></datastore>", "text/xml; charset=utf-8")
    site.post_only["/module/web/jpage/dataproxy.jsp"] = "columnid=4611&sourceContentType=1&unitid=98765"
    site.set_page("/art/2021/1/20/art_4611_1.html", docs.html_article(_title(seed), docs.seed_text(seed)))
    news(site, "/art/2021/1/10/art_4611_0.html", "2021年统计工作要点")
    return "/col/col4611/index.html"


def build(key: str, site: SiteServer) -> dict[str, Any]:
    seed = SHAPES[key]
    start = {"trs_vars": _trs_vars, "li_onclick": _li_onclick, "hanweb_post": _hanweb_post}[key](site, seed)
    if key != "hanweb_post":
        site.set_page("/art/report.html", docs.html_article(_title(seed), docs.seed_text(seed)))
    _, name, _ = docs.SEEDS[seed]
    return {"id": f"shape-{key.replace('_', '-')}", "name": name, "region": "广东省", "level": "city",
            "kind": "department", "start_urls": [f"{site.base_url}{start}"], "render": "static"}
