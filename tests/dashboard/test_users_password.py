"""Accounts in the dashboard: changing one's own password (in real Chromium) ends every other session of the
account; `nianbao demo` creates an account and prints how to log in with it; the findings page says who
acknowledged a finding, when and why."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from nianbao.app import demo as demo_module
from nianbao.settings import load_settings
from nianbao.storage.store import Store
from tests.dashboard.conftest import PASSWORD, Client, start_server
from tests.dashboard.report_site import login, serve

NEW_PASSWORD = "a new password for 2024"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path)


def _logged_in(client: Client) -> bool:
    status, _, _ = client.request("/overview.json")
    return status == 200


@pytest.mark.parametrize("width", [1366, 390])
def test_password_change_keeps_this_session_and_ends_every_other(site: dict[str, Any], browser: Any,
                                                                 width: int) -> None:
    elsewhere = Client(site["base"])  # the same account, logged in on another computer
    assert elsewhere.login("reviewer") == 200 and _logged_in(elsewhere)
    page = browser.new_page(viewport={"width": width, "height": 844}, locale="zh-CN")
    login(page, site["base"], "reviewer")
    page.click("header a.who")  # the account name in the header leads to the password form
    assert page.url.endswith("/account/password")
    assert page.locator("h1").inner_text() == "修改密码"

    page.fill("input[name=current]", "not my password")
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=again]", NEW_PASSWORD)
    page.click("form.password button[type=submit]")
    assert "当前密码不正确" in page.locator(".alert.error").inner_text()

    page.fill("input[name=current]", PASSWORD)
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=again]", NEW_PASSWORD + "x")
    page.click("form.password button[type=submit]")
    assert "不一致" in page.locator(".alert.error").inner_text()
    assert _logged_in(elsewhere)  # nothing changed yet

    page.fill("input[name=current]", PASSWORD)
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=again]", NEW_PASSWORD)
    page.click("form.password button[type=submit]")
    assert "密码已修改" in page.locator(".alert.ok").inner_text()
    page.goto(site["base"] + "/findings")
    assert "/login" not in page.url  # this browser stays logged in
    assert not _logged_in(elsewhere)  # the other session is revoked
    assert Client(site["base"]).login("reviewer") == 401  # the old password no longer opens anything
    assert Client(site["base"]).login("reviewer", NEW_PASSWORD) == 200
    page.close()


def test_password_change_needs_the_csrf_token_and_a_login(site: dict[str, Any]) -> None:
    client = Client(site["base"], follow=False)
    status, headers, _ = client.request("/account/password")
    assert status == 303 and "/login" in headers["location"]
    assert Client(site["base"]).login("viewer") == 200
    status, _, body = client.request("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD,
                                                            "again": NEW_PASSWORD})
    assert status == 403 and "CSRF" in body.decode()


def test_findings_page_says_who_acknowledged_what_when_and_why(site: dict[str, Any], browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    login(page, site["base"], "reviewer")
    page.goto(site["base"] + "/findings?review=open")
    item = page.locator("ul.findings li").first
    item.locator("details.review summary").click()
    item.locator("textarea[name=note]").fill("已电话告知该局更正")
    item.locator("button[value=acknowledged]").click()
    page.goto(site["base"] + "/findings?review=acknowledged")
    reviewed = page.locator("ul.findings li .reviewed").first.inner_text()
    assert "reviewer" in reviewed and "已确认" in reviewed and "理由：已电话告知该局更正" in reviewed
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} 北京时间", reviewed)  # when, on the overseer's clock
    page.close()


def test_demo_creates_an_account_and_prints_how_to_log_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = demo_module.run_demo(tmp_path / "demo", echo=lambda _line: None)
    out = io.StringIO()
    monkeypatch.setattr(demo_module, "Console", lambda: Console(file=out, width=200))
    demo_module.print_summary(result)
    printed = out.getvalue()
    name, password = result["login"]["name"], result["login"]["password"]
    assert f"用户名 {name}，密码 {password}" in printed

    settings = load_settings(result["config"])
    store = Store.from_settings(settings)
    server = start_server(settings, store)
    try:
        client = Client(server.base_url)
        assert client.login(name, password) == 200
        status, _, body = client.request("/overview")
        assert status == 200 and "总览" in body.decode()
    finally:
        server.stop()
        store.close()
