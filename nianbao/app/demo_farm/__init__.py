"""The bundled demo farm: a few government sites on 127.0.0.1 publishing real reports (the seed reports)
in several formats, for `nianbao demo`. Data files live beside this module and ship with the package.

Each site runs its own small HTTP server (ETag / Last-Modified / 304, like real CMSs) on a free port:

| agency                | what the demo shows                                                   | format |
|-----------------------|-----------------------------------------------------------------------|--------|
| 东莞市统计局           | a new report, on time (signed 2021-01-27)                            | PDF    |
| 广州市统计局           | a new report, then a corrected edition (行政处罚 2 -> 3): changed     | HTML   |
| 丽水市统计局           | a new report published 2021-03-15: late                               | DOCX   |
| 市中区统计局           | a new report whose 总计 row contradicts its rows: inconsistent        | HTML   |
| 吴忠市利通区统计局     | a new report, on time                                                 | HTML   |
| 示例县统计局           | a working site without its 2020 report: missing                      | -      |
| 停机县统计局           | a site that refuses connections: unreachable                          | -      |
"""

from __future__ import annotations

import html
import io
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx

from nianbao.app.demo_farm.server import DemoSite

DATA = Path(__file__).resolve().parent
DEMO_YEAR = 2020  # the report year the demo judges (statuses, missing)
CORRECTION = ("行政处罚\t2", "行政处罚\t3")  # the corrected figure of the changed report


@dataclass(frozen=True)
class DemoAgency:
    key: str
    id: str
    name: str
    region: str
    added: str
    expect: str  # what the demo shows for it


AGENCIES: tuple[DemoAgency, ...] = (
    DemoAgency("dongguan", "dongguan-tjj", "东莞市统计局", "广东省/东莞市", "2020-06-01", "new report (PDF), on time"),
    DemoAgency("guangzhou", "guangzhou-tjj", "广州市统计局", "广东省/广州市", "2021-06-01", "new report (HTML), then changed"),
    DemoAgency("lishui", "lishui-tjj", "丽水市统计局", "浙江省/丽水市", "2020-06-01", "new report (DOCX), late"),
    DemoAgency("shizhong", "shizhong-tjj", "市中区统计局", "山东省/济南市", "2020-06-01", "new report (HTML), inconsistent"),
    DemoAgency("wuzhong", "wuzhong-tjj", "吴忠市利通区统计局", "宁夏回族自治区/吴忠市", "2020-06-01", "new report (HTML), on time"),
    DemoAgency("shili", "shili-tjj", "示例县统计局", "浙江省/丽水市", "2020-06-01", "missing"),
    DemoAgency("down", "tingji-tjj", "停机县统计局", "广东省/东莞市", "2020-06-01", "site unreachable"),
)


def _text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8").replace("[bookmark: _GoBack]", "")


def list_page(title: str, items: list[tuple[str, str, str]]) -> str:
    lis = "\n".join(f"<li><a href='{href}' title='{html.escape(t)}'>{html.escape(t)}</a><span>{day}</span></li>"
                    for t, href, day in items)
    return (f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
            f"<div class='nav'><a href='/'>首页</a></div><h2>{html.escape(title)}</h2>"
            f"<ul class='list'>{lis}</ul></body></html>")


def home_page(name: str) -> str:
    return (f"<html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head><body>"
            f"<h1>{html.escape(name)}</h1><ul><li><a href='/nb/index.html'>政府信息公开工作年度报告</a></li>"
            f"<li><a href='/news/1.html'>工作动态</a></li></ul></body></html>")


def article_page(title: str, text: str, day: str) -> str:
    """The report itself as a CMS article: one paragraph a line, table cells kept by tabs."""
    paragraphs = "\n".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
    return (f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='PubDate' content='{day}'></head><body><div class='article'><h1>{html.escape(title)}</h1>"
            f"<div class='info'>发布时间：{day}</div><div class='content'>{paragraphs}</div></div></body></html>")


def attachment_page(title: str, href: str, label: str, day: str) -> str:
    return (f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
            f"<div class='article'><h1>{html.escape(title)}</h1><div class='info'>发布时间：{day}</div>"
            f"<div class='content'><p>现将{html.escape(title)}予以公布。</p>"
            f"<p>附件：<a href='{href}'>{html.escape(label)}</a></p></div></div></body></html>")


def news_page(title: str) -> str:
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1><p>正文。</p></body></html>"


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class DemoFarm:
    def __init__(self) -> None:
        self.sites: dict[str, DemoSite] = {}
        self.down_port = 0
        self.guangzhou_text = _text("guangzhou_2021.txt")

    def start(self) -> DemoFarm:
        for agency in AGENCIES:
            if agency.key == "down":
                self.down_port = _refused_port()
                continue
            site = DemoSite(agency.name).start()
            self.sites[agency.key] = site
            site.set("/", home_page(agency.name))
            site.set("/news/1.html", news_page(f"{agency.name}召开统计工作会议"))
            self._publish(agency, site)
        return self

    def stop(self) -> None:
        for site in self.sites.values():
            site.stop()

    def start_url(self, key: str) -> str:
        if key == "down":
            return f"http://127.0.0.1:{self.down_port}/"
        return self.sites[key].base_url + "/"

    def _publish(self, agency: DemoAgency, site: DemoSite) -> None:
        title = f"{agency.name}{DEMO_YEAR}年政府信息公开工作年度报告"
        items = [(f"{agency.name}召开统计工作会议", "/news/1.html", "2021-01-10")]
        if agency.key == "dongguan":
            site.set("/art/report.html", attachment_page(title, "/att/report2020.pdf", f"{title}.pdf", "2021-01-27"))
            site.set("/att/report2020.pdf", (DATA / "dongguan_2020.pdf").read_bytes(), "application/pdf")
            items.append((title, "/art/report.html", "2021-01-27"))
        elif agency.key == "lishui":
            # Signed at the end with the day it went up: after the 31 January deadline.
            docx = docx_bytes(_text("lishui_2020.txt").rstrip() + "\n\n丽水市统计局\n2021年3月15日\n")
            site.set("/art/report.html", attachment_page(title, "/att/report2020.docx", f"{title}.docx", "2021-03-15"))
            site.set("/att/report2020.docx", docx,
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            items.append((title, "/art/report.html", "2021-03-15"))
        elif agency.key == "guangzhou":
            title = f"{agency.name}2021年政府信息公开工作年度报告"
            site.set("/art/report.html", article_page(title, self.guangzhou_text, "2022-01-20"))
            items.append((title, "/art/report.html", "2022-01-20"))
        elif agency.key in ("shizhong", "wuzhong"):
            site.set("/art/report.html", article_page(title, _text(f"{agency.key}_2020.txt"), "2021-01-25"))
            items.append((title, "/art/report.html", "2021-01-25"))
        site.set("/nb/index.html", list_page("政府信息公开工作年度报告", items))

    def change_report(self) -> None:
        """Publish the corrected edition of 广州市统计局's report (same URL, new bytes)."""
        old, new = CORRECTION
        self.guangzhou_text = self.guangzhou_text.replace(old, new, 1)
        agency = next(a for a in AGENCIES if a.key == "guangzhou")
        self._publish(agency, self.sites["guangzhou"])

    def agencies_yaml(self) -> list[dict[str, Any]]:
        return [{
            "id": a.id, "name": a.name, "region": a.region, "level": "county" if "县" in a.name else "city",
            "kind": "department", "start_urls": [self.start_url(a.key)], "render": "static", "added": a.added,
        } for a in AGENCIES]


def _refused_port() -> int:
    """A port that was free a moment ago and has no listener: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]  # getsockname() is untyped (Any); for AF_INET it is (host, port)
        return port
