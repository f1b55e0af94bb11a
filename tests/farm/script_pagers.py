"""Sites whose pager names no URL: the next page exists only once a script runs (tests/crawler/test_script_pagers.py).

- xhr_gopage: `<a href="javascript:goPage(2)">` links; goPage(n) fetches /nb/list_data?page=n by XHR and
  rewrites the list and the pager in place (the address never changes); the report is listed on page 3;
- turnpage_location: a 下一页 control `onclick="turnPage(2)"`; turnPage(n) sets location to a URL computed from
  the page's own path (/gk/list.html -> /gk/list_2.html); the report is listed on page 3;
- static_pager: numbered links `javascript:goPage(n)`, but 下一页 is a plain link (list_2.html): the static
  reading finds the next page, so no browser is needed, not even on page 2 (numbers only, no 下一页); the
  report is listed on page 2.

`build(key, site)` fills a SiteServer and returns its agencies.yaml entry (render: auto).
"""

from __future__ import annotations

import html
from typing import Any

from tests.farm import documents as docs
from tests.farm.server import SiteServer
from tests.farm.sites import list_page, news

SHAPES = {"xhr_gopage": "dongguan", "turnpage_location": "guangzhou", "static_pager": "lishui"}
PAGES = 3


def report_title(seed: str) -> str:
    _, name, year = docs.SEEDS[seed]
    return f"{name}{year}年政府信息公开工作年度报告"


def _entries(seed: str, page: int, last: int) -> list[tuple[str, str]]:
    """Two news items per page; the report is the first entry of the last page."""
    items = [(f"统计工作动态第{page}期之{i}", f"/art/p{page}_{i}.html") for i in (1, 2)]
    return [(report_title(seed), "/art/report.html"), *items] if page == last else items


def _publish_news(site: SiteServer, seed: str, last: int) -> None:
    for page in range(1, last + 1):
        for title, href in _entries(seed, page, last):
            if href != "/art/report.html":
                news(site, href, title)
    site.set_page("/art/report.html", docs.html_article(report_title(seed), docs.seed_text(seed)))


def _items(entries: list[tuple[str, str]]) -> str:
    return "".join(f"<li><a href='{href}' title='{html.escape(t)}'>{html.escape(t)}</a><span>2021-01-15</span></li>"
                   for t, href in entries)


GOPAGE_SCRIPT = """<script>
var pageCount = %d;
function pagerHtml(current) {
  var out = '';
  for (var n = 1; n <= pageCount; n++) {
    out += n == current ? '<span class="on">' + n + '</span>' : '<a href="javascript:goPage(' + n + ')">' + n + '</a>';
  }
  if (current < pageCount) out += '<a href="javascript:goPage(' + (current + 1) + ')">下一页</a>';
  return out;
}
function goPage(n) {
  var xhr = new XMLHttpRequest();
  xhr.open('GET', 'list_data?page=' + n);
  xhr.onload = function () {
    document.getElementById('list').innerHTML = xhr.responseText;
    document.getElementById('pager').innerHTML = pagerHtml(n);
  };
  xhr.send();
}
</script>"""


def _xhr_gopage(site: SiteServer, seed: str) -> str:
    pager = ("<a href='javascript:goPage(2)'>2</a> <a href='javascript:goPage(3)'>3</a> "
             "<a href='javascript:goPage(2)'>下一页</a>")
    page = ("<html><head><meta charset='utf-8'><title>年报</title></head><body><h2>年报</h2>"
            f"<ul class='list' id='list'>{_items(_entries(seed, 1, PAGES))}</ul>"
            f"<div class='page' id='pager'><span class='on'>1</span> {pager}</div>{GOPAGE_SCRIPT % PAGES}</body></html>")
    site.set_page("/nb/index.html", page)
    for n in range(2, PAGES + 1):
        site.set_page(f"/nb/list_data?page={n}", _items(_entries(seed, n, PAGES)))
    _publish_news(site, seed, PAGES)
    return "/nb/index.html"


TURNPAGE_SCRIPT = """<script>
function turnPage(n) {
  var stem = location.pathname.replace(/(_\\d+)?\\.html$/, '');
  location.href = stem + (n > 1 ? '_' + n : '') + '.html';
}
</script>"""


def _turnpage_location(site: SiteServer, seed: str) -> str:
    for n in range(1, PAGES + 1):
        pager = (f"<span>第{n}页 共{PAGES}页</span>"
                 + (f"<a href='javascript:void(0)' onclick='turnPage({n + 1})'>下一页</a>" if n < PAGES else ""))
        path = "/gk/list.html" if n == 1 else f"/gk/list_{n}.html"
        site.set_page(path, list_page("年报", _entries(seed, n, PAGES), f"<div class='page'>{pager}</div>{TURNPAGE_SCRIPT}"))
    _publish_news(site, seed, PAGES)
    return "/gk/list.html"


def _static_pager(site: SiteServer, seed: str) -> str:
    pager = "<div class='page'><a href='javascript:goPage(2)'>2</a> <a href='list_2.html'>下一页</a></div>"
    site.set_page("/xxgk/list.html", list_page("年报", _entries(seed, 1, 2), pager + GOPAGE_SCRIPT % 2))
    last = "<div class='page'><a href='javascript:goPage(1)'>1</a> <span>2</span></div>"  # no 下一页: the end
    site.set_page("/xxgk/list_2.html", list_page("年报", _entries(seed, 2, 2), last + GOPAGE_SCRIPT % 2))
    _publish_news(site, seed, 2)
    return "/xxgk/list.html"


def build(key: str, site: SiteServer) -> dict[str, Any]:
    seed = SHAPES[key]
    start = {"xhr_gopage": _xhr_gopage, "turnpage_location": _turnpage_location,
             "static_pager": _static_pager}[key](site, seed)
    _, name, _ = docs.SEEDS[seed]
    return {"id": f"script-{key.replace('_', '-')}", "name": name, "region": "广东省", "level": "city",
            "kind": "department", "start_urls": [f"{site.base_url}{start}"], "render": "auto"}



def reaching_out(site: SiteServer, outside: SiteServer, way: str) -> dict[str, Any]:
    """A list whose pager leads to another server (another port of 127.0.0.1): goPage(2) asks it for page 2
    by XHR (way 'xhr'), or 下一页 sets location to it (way 'location'). The browser's confinement stops both."""
    script = (GOPAGE_SCRIPT % 2).replace("'list_data?page=' + n", f"'{outside.base_url}/nb/list_data?page=' + n")
    script += f"<script>function nextPage() {{ location.href = ['{outside.base_url}', 'nb', 'p2.html'].join('/'); }}</script>"
    pager = {"xhr": "<a href='javascript:goPage(2)'>2</a>",
             "location": "<a href='javascript:void(0)' onclick='nextPage()'>下一页</a>"}[way]
    site.set_page("/nb/index.html", list_page("年报", _entries("dongguan", 1, 2), f"<div id='pager'>{pager}</div>{script}"))
    outside.set_page("/nb/list_data?page=2", _items(_entries("dongguan", 2, 2)))
    outside.set_page("/nb/p2.html", list_page("年报", _entries("dongguan", 2, 2)))
    _publish_news(site, "dongguan", 2)
    return {"id": "script-reaching-out", "name": docs.SEEDS["dongguan"][1], "region": "广东省", "level": "city",
            "kind": "department", "start_urls": [f"{site.base_url}/nb/index.html"], "render": "auto"}


def dead_control(site: SiteServer) -> dict[str, Any]:
    """A list whose 下一页 runs a script that does nothing (a pager left broken by a CMS upgrade)."""
    pager = "<a href='javascript:void(0)' onclick='goPage(2)'>下一页</a><script>function goPage(n) {}</script>"
    site.set_page("/nb/index.html", list_page("年报", _entries("dongguan", 1, 2), f"<div id='pager'>{pager}</div>"))
    _publish_news(site, "dongguan", 2)
    return {"id": "script-dead-control", "name": docs.SEEDS["dongguan"][1], "region": "广东省", "level": "city",
            "kind": "department", "start_urls": [f"{site.base_url}/nb/index.html"], "render": "auto"}
