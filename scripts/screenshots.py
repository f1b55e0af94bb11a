"""The README's screenshots: `nianbao demo` in a temporary folder, the dashboard over its database logged in
with the demo's account, and the digest it wrote, shot in headless Chromium.

    python3 scripts/screenshots.py [--out docs/img]

Writes dashboard-overview.png, dashboard-report.png, dashboard-findings.png (1366 px wide) and
digest-phone.png (390 px, the digest's HTML as a phone mail app shows it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402

from nianbao.app.demo import run_demo  # noqa: E402
from nianbao.crawler.browser import CHROMIUM_LAUNCH_OPTIONS  # noqa: E402
from nianbao.settings import load_settings  # noqa: E402
from nianbao.storage.models import Report, Version  # noqa: E402
from nianbao.storage.store import Store  # noqa: E402
from tests.dashboard.conftest import start_server  # noqa: E402

LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


def _worst_report(store: Store) -> int:
    """The report whose latest version has the most errors (the one an overseer opens first)."""
    with store.read_session() as session:
        row = session.execute(select(Report.id).join(Version, Version.report_id == Report.id)
                              .order_by(Version.error_count.desc(), Version.number.desc()).limit(1)).first()
    assert row is not None, "the demo stored no report"
    return int(row.id)


def shoot(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    result = run_demo(Path(tempfile.mkdtemp(prefix="nianbao-shots-")), echo=lambda _line: None)
    settings = load_settings(result["config"])
    store = Store.from_settings(settings)
    server = start_server(settings, store)
    written: list[Path] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(**CHROMIUM_LAUNCH_OPTIONS)
            page = browser.new_page(viewport=LAPTOP, locale="zh-CN")
            _login(page, server.base_url, result["login"])
            report = _worst_report(store)
            for name, path, full in (("dashboard-overview", "/overview", False),
                                     ("dashboard-report", f"/reports/{report}", False),
                                     ("dashboard-findings", "/findings", False)):
                page.goto(server.base_url + path)
                if name == "dashboard-report":  # part 三 with its flagged cells, beside the original
                    page.evaluate("document.getElementById('loc-applications.total_handled')"
                                  ".scrollIntoView({block: 'center'})")
                    page.wait_for_timeout(1000)  # the framed original paints after the scroll
                target = out / f"{name}.png"
                page.screenshot(path=str(target), full_page=full)
                written.append(target)
            overseer = next(p for p in result["outbox"] if "overseer" in p.name).with_suffix(".html")
            phone = browser.new_page(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
            phone.goto(overseer.as_uri())
            target = out / "digest-phone.png"
            phone.screenshot(path=str(target), full_page=False)
            written.append(target)
            browser.close()
    finally:
        server.stop()
        store.close()
    return written


def _login(page: Any, base: str, account: dict[str, str]) -> None:
    page.goto(base + "/login")
    page.fill("input[name=name]", account["name"])
    page.fill("input[name=password]", account["password"])
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "img")
    for path in shoot(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
