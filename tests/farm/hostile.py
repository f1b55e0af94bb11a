"""Hostile and broken site shapes (issue 11): a report link that redirects elsewhere, a rendered page that
reaches for other servers, a page of endless links, a pager that never ends, robots.txt forbidding
everything, an oversized answer, a gzip bomb, a report page with a captcha field in its comment form.

Each builder fills a SiteServer (tests/farm/server.py); "elsewhere" is another SiteServer on another port
of 127.0.0.1, which counts what it receives.
"""

from __future__ import annotations

import gzip
import html
import re

from tests.farm import documents as docs
from tests.farm.server import SiteServer
from tests.farm.sites import list_page

REPORT_TITLE = "东莞市统计局2020年政府信息公开工作年度报告"
AGENCY_NAME = "东莞市统计局"


def agency(agency_id: str, site: SiteServer, start_path: str = "/nb/", render: str = "auto") -> dict[str, object]:
    return {"id": agency_id, "name": AGENCY_NAME, "region": "测试省/东莞", "level": "city", "kind": "department",
            "start_urls": [site.base_url + start_path], "render": render}


def report_list(site: SiteServer, href: str) -> None:
    """/nb/: one report link, to `href`."""
    site.set_page("/nb/index.html", list_page("年报", [(REPORT_TITLE, href)]))


def plain_report(site: SiteServer) -> None:
    """/nb/ lists the report, an HTML article."""
    report_list(site, "/art/2021/nb.html")
    site.set_page("/art/2021/nb.html", docs.html_article(REPORT_TITLE, docs.seed_text("dongguan")))


def redirect_out(site: SiteServer, outside: SiteServer) -> None:
    """The report link answers 302 to a page on another port that looks like the report."""
    report_list(site, "/art/2021/nb.html")
    site.redirect_status = 302
    site.redirects["/art/2021/nb.html"] = outside.base_url + "/secret.html"
    outside.set_page("/secret.html", docs.html_article(REPORT_TITLE, docs.seed_text("dongguan")))


def reaching_out(site: SiteServer, outside: SiteServer) -> None:
    """A list rendered in Chromium whose <img>, fetch(), <iframe> and WebSocket point at another port."""
    other = outside.base_url
    site.set_page("/nb/index.html", (
        "<html><head><meta charset='utf-8'><title>年报</title></head><body><ul id='list'></ul>"
        f"<img src='{other}/pixel.gif'><iframe src='{other}/frame.html'></iframe>"
        f"<script>fetch('{other}/api/list.json').catch(function(){{}});"
        f"try{{new WebSocket('{other.replace('http://', 'ws://')}/ws')}}catch(e){{}}"
        "fetch('/api/list.json').then(function(r){return r.json()}).then(function(items){"
        "var ul=document.getElementById('list');items.forEach(function(it){"
        "var li=document.createElement('li');li.innerHTML=\"<a href='\"+it.href+\"'>\"+it.title+\"</a>\";"
        "ul.appendChild(li);});});</script></body></html>"))
    site.set_page("/api/list.json", f'[{{"title": "{REPORT_TITLE}", "href": "/art/2021/nb.html"}}]',
                  "application/json")
    site.set_page("/art/2021/nb.html", docs.html_article(REPORT_TITLE, docs.seed_text("dongguan")))
    for path in ("/pixel.gif", "/frame.html", "/api/list.json"):
        outside.set_page(path, "<html><body>outside</body></html>")


def link_flood(site: SiteServer, count: int) -> None:
    """A list of `count` report-looking links (each answers 404)."""
    items = [(f"东莞市统计局{2000 + i % 20}年政府信息公开工作年度报告（{i}）", f"/art/{i}.html") for i in range(count)]
    site.set_page("/nb/index.html", list_page("年报", items))


PAGER_PATH = re.compile(r"^/list/p(\d+)\.html$")


def pager_trap(site: SiteServer) -> None:
    """/list/pN.html for every N, each showing the same empty list with a next link to N+1 (a CMS that
    answers any page number past the end with its last page)."""
    site.set_page("/nb/index.html", list_page("年报", [("下一页", "/list/p2.html")]))

    def serve(server: SiteServer, path: str) -> None:
        match = PAGER_PATH.match(path)
        if match and path not in server.pages:
            server.set_page(path, list_page("年报", [("下一页", f"/list/p{int(match.group(1)) + 1}.html")]))

    site.on_request = serve


def robots_forbid_all(site: SiteServer) -> None:
    report_list(site, "/art/2021/nb.html")
    site.set_page("/robots.txt", "User-agent: *\nDisallow: /\n", "text/plain")
    site.set_page("/art/2021/nb.html", docs.html_article(REPORT_TITLE, docs.seed_text("dongguan")))


def oversized(site: SiteServer, size: int) -> None:
    """The report link answers `size` bytes (more than the crawl's max_download_size)."""
    report_list(site, "/upload/nb2020.pdf")
    site.set_page("/upload/nb2020.pdf", b"%PDF-1.4\n" + b"0" * size, "application/pdf")


def gzip_bomb(site: SiteServer, inflated: int) -> None:
    """The report link answers a small gzip body that inflates to `inflated` bytes."""
    report_list(site, "/upload/nb2020.pdf")
    site.set_page("/upload/nb2020.pdf", gzip.compress(b"\0" * inflated, compresslevel=9), "application/pdf",
                  headers={"Content-Encoding": "gzip"})


COMMENT_FORM = ("<div class='comment'><form action='/comment.do' method='post'><h3>留言评论</h3>"
                "<textarea name='content'></textarea><label>验证码：</label><input name='captcha'>"
                "<img src='/captcha.jpg' alt='验证码'><button>提交</button></form></div>")


def report_with_captcha_form(site: SiteServer) -> None:
    """The report's own page, with a comment form asking for a 验证码 under the report."""
    report_list(site, "/art/2021/nb.html")
    page = docs.html_article(REPORT_TITLE, docs.seed_text("dongguan"))
    site.set_page("/art/2021/nb.html", page.replace("</body>", COMMENT_FORM + "</body>"))


def captcha_challenge_page() -> str:
    return ("<html><head><title>访问验证</title></head><body><form action='/verify'>"
            f"<p>{html.escape('请输入验证码后继续访问')}</p><input name='code'><img src='/captcha.jpg'>"
            "<button>确定</button></form></body></html>")
