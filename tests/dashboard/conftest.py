"""Fixtures for the dashboard: a real uvicorn server on a free loopback port over a real database."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from nianbao.crawler.browser import CHROMIUM_LAUNCH_OPTIONS
from nianbao.crawler.store_jobs import store_report
from nianbao.dashboard.app import create_app
from nianbao.dashboard.users import add_user
from nianbao.settings import AgencyConfig, DashboardSettings, Settings

# Statuses depend on the calendar; the farm's 2020/2021 reports are long due on any day from now on.
TODAY = Settings().clock.today()
PASSWORD = "correct horse battery"


@dataclass
class RunningServer:
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread
    app: Any

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(settings: Any, store: Any = None, today: dt.date = TODAY) -> RunningServer:
    app = create_app(settings, store=store, today=lambda: today)
    # The rollup must see every change at once in tests (no 5 s check interval).
    app.state.dashboard.freshness.interval = 0
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="dashboard-test-server")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]  # port 0: read the bound port back
    return RunningServer(f"http://127.0.0.1:{port}", server, thread, app)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """A tiny cookie-keeping HTTP client (urllib) for tests that need no browser."""

    def __init__(self, base_url: str, follow: bool = True) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        handlers: list[Any] = [urllib.request.HTTPCookieProcessor(self.jar)]
        if not follow:
            handlers.append(_NoRedirect())
        self.opener = urllib.request.build_opener(*handlers)

    def json(self, path: str) -> Any:
        """GET a JSON page or API answer that must succeed (200), decoded."""
        status, _, body = self.request(path)
        assert status == 200, body[:500]
        return json.loads(body)

    def request(self, path: str, data: dict[str, str] | bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        url = self.base_url + urllib.parse.quote(path, safe="/?=&%:")
        req = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def csrf(self, path: str = "/login") -> str:
        _, _, body = self.request(path)
        match = re.search(rb'name="csrf_token" value="([^"]+)"', body)
        assert match, f"no CSRF field on {path}"
        return match.group(1).decode()

    def login(self, name: str, password: str = PASSWORD) -> int:
        token = self.csrf("/login")
        status, _, _ = self.request("/login", {"csrf_token": token, "name": name, "password": password, "next": "/"})
        return status


def server_fixture(settings: Any, store: Any = None) -> Iterator[RunningServer]:
    running = start_server(settings, store)
    try:
        yield running
    finally:
        running.stop()


SEEDS = {  # seed prefix -> (agency id, name, region, published on the site)
    "000": ("dongguan", "东莞市统计局", "广东省/东莞市"),
    "001": ("shizhong", "市中区统计局", "山东省/济南市"),
    "003": ("lishui", "丽水市统计局", "浙江省/丽水市"),
}


def _agency(agency_id: str, name: str, region: str) -> AgencyConfig:
    return AgencyConfig(id=agency_id, name=name, region=region, level="county", kind="department",
                        start_urls=(f"http://{agency_id}.example.gov.cn/",), added=dt.date(2020, 1, 1))


def start_seeded(store: Any, tmp_path: Path, seed_bytes: Callable[[str], bytes],
                 session_lifetime: int) -> RunningServer:
    """The dashboard over three seed reports saved as the crawler saves them (store_report), plus one agency that never
    published (沉默县), with a reviewer and a viewer account."""
    agencies = [_agency(*v) for v in SEEDS.values()] + [_agency("silent", "沉默县人民政府办公室", "甘肃省/沉默县")]
    store.sync_agencies(agencies)
    run = store.begin_crawl([a.id for a in agencies])
    for prefix, (agency_id, _, _) in SEEDS.items():
        store_report(store, agency_id, seed_bytes(prefix), url=f"http://{agency_id}.example.gov.cn/nb.txt",
                     headers={}, fetched_at=dt.datetime(2021, 1, 25, tzinfo=dt.UTC), run_id=run, filename="nb.txt")
    store.finish_crawl(run, {})
    add_user(store, "reviewer", PASSWORD, "reviewer")
    add_user(store, "viewer", PASSWORD, "viewer")
    settings = Settings(database_url=store.database_url, blob_dir=tmp_path / "blobs",
                        dashboard=DashboardSettings(secret_key="test-secret", session_lifetime=session_lifetime))
    return start_server(settings, store)


# One Chromium per test module for the browser tests of the dashboard (Debian's /usr/bin/chromium).
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(**CHROMIUM_LAUNCH_OPTIONS)
        try:
            yield chromium
        finally:
            chromium.close()
