"""Pager and link shapes that real CMSs use, each crawled end to end on its own farm site: the report is
reachable only through the shape (tests/farm/pagers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nianbao.crawler import discovery as d
from nianbao.crawler.runner import run_crawl
from nianbao.settings import load_settings
from nianbao.storage.store import Store
from tests.farm import documents as docs
from tests.farm import pagers
from tests.farm.agencies import write_config
from tests.farm.server import SiteServer


@pytest.fixture(scope="module")
def shapes() -> Iterator[dict[str, tuple[SiteServer, dict]]]:
    running = {}
    for key in pagers.SHAPES:
        site = SiteServer(key).start()
        running[key] = (site, pagers.build(key, site))
    try:
        yield running
    finally:
        for site, _ in running.values():
            site.stop()


@pytest.fixture(scope="module")
def crawled(shapes: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[int]]:
    folder = tmp_path_factory.mktemp("pagers")
    config = write_config(folder / "config", f"sqlite:///{folder / 'db.sqlite'}", [e for _, e in shapes.values()])
    summary = run_crawl(config)
    assert summary.ok, summary.log[-3000:]
    with Store.from_settings(load_settings(config)) as store:
        return {key: [r.year for r in store.list_reports([entry["id"]])] for key, (_, entry) in shapes.items()}


@pytest.mark.parametrize("key", list(pagers.SHAPES))
def test_the_report_behind_each_shape_is_found(key: str, crawled: dict[str, list[int]]) -> None:
    assert crawled[key] == [docs.SEEDS[pagers.SHAPES[key]][2]]


def test_the_hanweb_proxy_was_asked_by_post_with_the_column_form(shapes: dict, crawled: dict) -> None:
    site = shapes["hanweb_post"][0]
    assert site.count("/module/web/jpage/dataproxy.jsp", 200) == 1
    assert site.count("/module/web/jpage/dataproxy.jsp", 405) == 0  # never asked by GET


@pytest.mark.parametrize(("script", "pages"), [
    ('var countPage = 5//共多少页\nvar currentPage = 0;\ncreatePageHTML(countPage, currentPage, "index", "html");',
     ["index.html", "index_1.html", "index_2.html", "index_3.html", "index_4.html"]),
    ("var n = '3'; var stem = 'list';\ncreatePageHTML('page_div', n, 1, stem, 'shtml', 40);",
     ["list.shtml", "list_2.shtml", "list_3.shtml"]),
    ('createPageHTML(2, 0, "index", "html");', ["index.html", "index_1.html"]),
    ("createPageHTML(total, 0, 'index', 'html');", []),  # a count nowhere in the page: nothing guessed
])
def test_trs_pager_arguments_from_script_variables(script: str, pages: list[str]) -> None:
    urls = d.create_page_html_urls(f"<script>{script}</script>", "http://a.gov.cn/col/nb/index.html")
    assert urls == [f"http://a.gov.cn/col/nb/{p}" for p in pages]


def test_dataproxy_form_is_read_from_the_jpage_parameters() -> None:
    [url] = d.dataproxy_urls(pagers.HANWEB_COLUMN, "http://a.gov.cn/col/col4611/index.html")
    assert url.startswith("http://a.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=300")
    for pair in ("col=1", "appid=1", "webid=37", "path=%2F", "columnid=4611", "sourceContentType=1",
                 "unitid=98765", "permissiontype=0"):
        assert pair in url
    assert d.is_dataproxy_post(url)
    assert not d.is_dataproxy_post("http://a.gov.cn/module/web/jpage/dataproxy.jsp?page=2")


@pytest.mark.parametrize(("status", "page", "kind"), [
    (412, "<html><script>document.cookie='a=1';location.reload()</script></html>", "HTTP 412 cookie challenge"),
    (521, "<html><script>var x=1;</script></html>", "HTTP 521 cookie challenge"),
    (200, "<html><title>访问验证</title><body>请输入验证码<img src='/c.jpg'></body></html>", "captcha"),
    (403, "<html>Forbidden</html>", "HTTP 403"),
])
def test_a_blocked_page_names_its_challenge_kind(status: int, page: str, kind: str) -> None:
    assert d.looks_like_challenge(status, page)
    assert kind in d.challenge_kind(status, page)
