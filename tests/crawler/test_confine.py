"""The confinement rule (crawler.confine): one answer for links, redirect hops and the browser's requests."""

from __future__ import annotations

import pytest

from nianbao.crawler.confine import AnyPlace, places
from nianbao.crawler.discovery import looks_like_challenge
from tests.farm.documents import html_article, seed_text
from tests.farm.hostile import COMMENT_FORM, captcha_challenge_page

FARM = places(["http://127.0.0.1:8001/nb/"])
GOV = places(["http://www.dg.gov.cn/xxgk/nb/"], ["dg.gov.cn"])
WWW = places(["http://www.sz.gov.cn/nb/"])


@pytest.mark.parametrize(("url", "allowed"), [
    ("http://127.0.0.1:8001/art/1.html", True),
    ("http://127.0.0.1:8002/secret.html", False),  # another port on the same machine: another host
    ("http://127.0.0.1/", False),
    ("http://localhost:8001/", False),  # the same machine under another name
    ("http://127.0.0.2:8001/", False),
    ("http://10.0.0.5:8001/", False),
    ("ftp://127.0.0.1:8001/", False),
    ("file:///etc/passwd", False),
    ("http://127.0.0.1:bad/", False),
])
def test_an_address_agency_reaches_its_own_port_only(url: str, allowed: bool) -> None:
    assert FARM.allows(url) is allowed


@pytest.mark.parametrize(("url", "allowed"), [
    ("http://www.dg.gov.cn/xxgk/nb/t1.html", True),
    ("https://www.dg.gov.cn/xxgk/nb/t1.html", True),  # http -> https of the same site
    ("http://tjj.dg.gov.cn/nb.pdf", True),  # a subdomain of an allowed domain
    ("http://DG.GOV.CN./nb.pdf", True),
    ("http://www.dg.gov.cn:5432/", False),  # a database port on the agency's own host
    ("http://www.dg.gov.cn:6379/", False),
    ("http://evil-dg.gov.cn/", False),
    ("http://dg.gov.cn.evil.com/", False),
    ("http://127.0.0.1/", False),
    ("http://192.168.1.1/", False),
    ("http://[::1]/", False),
    ("http://localhost/", False),
])
def test_a_named_agency_reaches_its_domains_on_web_ports(url: str, allowed: bool) -> None:
    assert GOV.allows(url) is allowed


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://sz.gov.cn/nb/", True),  # www.x and x are one site
    ("http://tj.www.sz.gov.cn/", True),
    ("http://tj.sz.gov.cn/", True),
    ("http://gov.cn/", False),
    ("http://sz.gov.cn:8080/", False),
])
def test_a_www_start_url_covers_its_bare_domain(url: str, allowed: bool) -> None:
    assert WWW.allows(url) is allowed


# An agency that allows its domain on a port of its own: that port is not opened to the other agencies' domains.
ODD_PORT = places(["http://www.hz.gov.cn:8080/nb/"], ["hz.gov.cn"])


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8001/art/1.html", "http://127.0.0.1:8002/", "http://www.dg.gov.cn/xxgk/nb/t1.html",
    "https://www.dg.gov.cn/x", "http://tjj.dg.gov.cn/nb.pdf", "http://DG.GOV.CN./nb.pdf", "http://www.dg.gov.cn:8080/",
    "http://dg.gov.cn.evil.com/", "http://evil-dg.gov.cn/", "http://tj.www.sz.gov.cn/", "http://sz.gov.cn:8080/",
    "http://hz.gov.cn:8080/", "http://tj.hz.gov.cn:8080/", "http://gov.cn/", "http://localhost:8001/",
    "http://[::1]/", "ftp://127.0.0.1:8001/", "http://127.0.0.1:bad/",
])
def test_a_request_of_no_agency_may_go_where_any_agency_may_go(url: str) -> None:
    agencies = [FARM, GOV, WWW, ODD_PORT]
    assert AnyPlace(agencies).allows(url) is any(p.allows(url) for p in agencies)


def test_www_of_a_public_suffix_is_not_widened_to_it() -> None:
    central = places(["http://www.gov.cn/zhengce/"])
    assert central.allows("http://www.gov.cn/a.html") and not central.allows("http://sz.gov.cn/")


def test_a_start_url_on_a_private_address_is_the_agency_own_place() -> None:
    intranet = places(["http://10.1.2.3/gk/"])
    assert intranet.allows("http://10.1.2.3/gk/nb.pdf") and intranet.allows("https://10.1.2.3/gk/nb.pdf")
    assert not intranet.allows("http://10.1.2.4/gk/nb.pdf")
    assert not intranet.allows("http://10.1.2.3:8080/")


def test_report_page_with_a_captcha_field_in_its_comment_form_is_no_challenge() -> None:
    page = html_article("东莞市统计局2020年政府信息公开工作年度报告", seed_text("dongguan"))
    assert not looks_like_challenge(200, page.replace("</body>", COMMENT_FORM + "</body>"))


def test_short_captcha_pages_and_challenge_statuses_are_challenges() -> None:
    assert looks_like_challenge(200, captcha_challenge_page())
    assert looks_like_challenge(412, "<html><script>var x=1</script></html>")
    assert looks_like_challenge(521, "")
