"""A dashboard over reports in the formats overseers meet, saved as the crawler saves them (store_report):

- 广州市统计局 2021 (2021 format, text) in two editions: the second prints 15 instead of 16 in （一）予以公开 /
  自然人, so its cells are flagged (the sums no longer add up) and one cell changed since version 1;
- 市中区统计局 2020 (2019 format, text, inconsistent from the start);
- 东莞市统计局 2020 as the PDF the demo bundles (its text wrapped at the printed line width);
- 吴忠市利通区统计局 2020 as an HTML page that carries a script (it must never run).

Accounts: `reviewer` and `viewer`, password conftest.PASSWORD.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from nianbao.app.demo_farm import __file__ as demo_farm_init
from nianbao.crawler.store_jobs import store_report
from nianbao.dashboard.users import add_user
from nianbao.settings import AgencyConfig, DashboardSettings, Settings
from nianbao.storage.models import Report
from nianbao.storage.store import Store
from tests.dashboard.conftest import PASSWORD, RunningServer, start_server
from tests.farm import documents as docs

DEMO_PDF = Path(demo_farm_init).parent / "dongguan_2020.pdf"
SCRIPT = "<script>document.body.innerHTML = 'PWNED-BY-CRAWLED-PAGE';</script>"
AGENCIES = {  # id -> (name, region)
    "guangzhou": ("广州市统计局", "广东省/广州市"),
    "shizhong": ("市中区统计局", "山东省/济南市"),
    "dongguan": ("东莞市统计局", "广东省/东莞市"),
    "wuzhong": ("吴忠市利通区统计局", "宁夏回族自治区/吴忠市"),
}


def _agency(agency_id: str) -> AgencyConfig:
    name, region = AGENCIES[agency_id]
    return AgencyConfig(id=agency_id, name=name, region=region, level="city", kind="department",
                        start_urls=(f"http://{agency_id}.example.gov.cn/",), added=dt.date(2020, 1, 1))


def corrected_guangzhou() -> bytes:
    text = docs.seed_text("guangzhou")
    assert "（一）予以公开\t16\t0" in text
    return text.replace("（一）予以公开\t16\t0", "（一）予以公开\t15\t0").encode("utf-8")


def fill(store: Store) -> dict[str, int]:
    """Store the reports; returns agency id -> report id."""
    store.sync_agencies([_agency(a) for a in AGENCIES])
    run = store.begin_crawl(list(AGENCIES))
    at = dt.datetime(2022, 1, 25, tzinfo=dt.UTC)

    def save(agency_id: str, content: bytes, filename: str, when: dt.datetime = at) -> None:
        store_report(store, agency_id, content, url=f"http://{agency_id}.example.gov.cn/{filename}", headers={},
                     fetched_at=when, run_id=run, filename=filename)

    save("guangzhou", docs.seed_text("guangzhou").encode("utf-8"), "nb.txt")
    save("guangzhou", corrected_guangzhou(), "nb.txt", at + dt.timedelta(days=3))
    save("shizhong", docs.seed_text("shizhong").encode("utf-8"), "nb.txt")
    save("dongguan", DEMO_PDF.read_bytes(), "nb.pdf")
    page = docs.html_article("吴忠市利通区统计局2020年政府信息公开工作年度报告", docs.seed_text("wuzhong"))
    save("wuzhong", page.replace("</body>", SCRIPT + "</body>").encode("utf-8"), "nb.html")
    store.finish_crawl(run, {})
    add_user(store, "reviewer", PASSWORD, "reviewer")
    add_user(store, "viewer", PASSWORD, "viewer")
    with store.read_session() as session:
        return {agency: rid for agency, rid in session.execute(select(Report.agency_id, Report.id))}


def serve(folder: Path) -> Iterator[dict[str, Any]]:
    store = Store(f"sqlite:///{folder / 'nianbao.db'}", folder / "blobs")
    reports = fill(store)
    settings = Settings(database_url=store.database_url, blob_dir=folder / "blobs",
                        dashboard=DashboardSettings(secret_key="test-secret", session_lifetime=3600))
    server: RunningServer = start_server(settings, store)
    try:
        yield {"server": server, "base": server.base_url, "store": store, "reports": reports, "settings": settings}
    finally:
        server.stop()
        store.close()


def login(page: Any, base: str, name: str = "viewer") -> None:
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit], main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
