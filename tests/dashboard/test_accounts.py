"""Dashboard accounts over real HTTP on SQLite and PostgreSQL: server-side sessions that logout, a password
or role change and `nianbao user disable` revoke (even in a cookie copied before), Secure cookie and HSTS
behind HTTPS, login throttling per account and per address, and the cap on concurrent password checks."""

from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.dashboard import auth
from nianbao.dashboard.users import add_user
from nianbao.settings import DashboardSettings, Settings
from tests.dashboard.conftest import PASSWORD, Client, RunningServer, start_server


@pytest.fixture(autouse=True)
def no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NIANBAO_DATABASE_URL", raising=False)
    monkeypatch.delenv("NIANBAO_CONFIG", raising=False)


def serve(store: Any, tmp_path: Path, **dashboard: Any) -> RunningServer:
    """The dashboard over `store` with a reviewer and a viewer account (no reports: accounts only)."""
    add_user(store, "reviewer", PASSWORD, "reviewer")
    add_user(store, "viewer", PASSWORD, "viewer")
    settings = Settings(database_url=store.database_url, blob_dir=tmp_path / "blobs",
                        dashboard=DashboardSettings(secret_key="test-secret", **dashboard))
    return start_server(settings, store)


@pytest.fixture
def served(store: Any, tmp_path: Path) -> Iterator[RunningServer]:
    server = serve(store, tmp_path)
    try:
        yield server
    finally:
        server.stop()


def logged_in(server: RunningServer, name: str) -> Client:
    client = Client(server.base_url, follow=False)
    assert client.login(name) == 303
    assert opens_pages(client)
    return client


def copy_of(client: Client) -> Client:
    """Another browser holding the same cookie (as stolen or copied before the change)."""
    other = Client(client.base_url, follow=False)
    for cookie in client.jar:
        other.jar.set_cookie(cookie)
    return other


def opens_pages(client: Client) -> bool:
    status, headers, _ = client.request("/overview")
    if status == 303:
        assert headers["location"].startswith("/login")
        assert client.request("/api/overview")[0] == 401
        return False
    assert status == 200
    return True


def cli(config: Path, *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(main, ["--config", str(config), "user", *args], input=stdin)


# --- server-side sessions ---------------------------------------------------------------------------------


def _logout(client: Client, config: Path) -> None:
    token = client.csrf("/overview")
    assert client.request("/logout", {"csrf_token": token})[0] == 303


def _password_changed_with_add_update(client: Client, config: Path) -> None:
    result = cli(config, "add", "viewer", "--update", "--password-stdin", stdin="another password\n")
    assert result.exit_code == 0, result.output


def _password_changed_with_passwd(client: Client, config: Path) -> None:
    result = cli(config, "passwd", "viewer", "--password-stdin", stdin="another password\n")
    assert result.exit_code == 0, result.output


def _role_changed(client: Client, config: Path) -> None:
    result = cli(config, "role", "viewer", "reviewer")
    assert result.exit_code == 0, result.output


def _disabled(client: Client, config: Path) -> None:
    result = cli(config, "disable", "viewer")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("end", [_logout, _password_changed_with_add_update, _password_changed_with_passwd,
                                 _role_changed, _disabled],
                         ids=["logout", "password via add --update", "user passwd", "role change", "user disable"])
def test_a_cookie_copied_before_the_session_ends_opens_nothing_after_it(
    end: Callable[[Client, Path], None], served: RunningServer, database_url: str,
    write_settings: Callable[..., Path],
) -> None:
    viewer = logged_in(served, "viewer")
    copied = copy_of(viewer)
    assert opens_pages(copied)
    reviewer = logged_in(served, "reviewer")

    end(viewer, write_settings(database_url))

    assert not opens_pages(copied)
    assert not opens_pages(viewer)
    assert opens_pages(reviewer)  # only that account's sessions end


def test_a_disabled_account_cannot_log_in_and_enabled_again_can(
    served: RunningServer, database_url: str, write_settings: Callable[..., Path],
) -> None:
    config = write_settings(database_url)
    assert cli(config, "disable", "viewer").exit_code == 0
    client = Client(served.base_url, follow=False)
    token = client.csrf()
    status, _, body = client.request("/login", {"csrf_token": token, "name": "viewer", "password": PASSWORD})
    assert status == 401 and "该账号已停用" in body.decode()
    assert not opens_pages(client)
    assert cli(config, "enable", "viewer").exit_code == 0
    assert client.login("viewer") == 303 and opens_pages(client)


def test_the_cookie_carries_a_session_token_and_the_table_only_its_hash(served: RunningServer, store: Any) -> None:
    client = logged_in(served, "viewer")
    [cookie] = list(client.jar)
    assert "viewer" not in cookie.value and "reviewer" not in cookie.value  # the role is not in the cookie
    assert [u.sessions for u in store.list_users() if u.name == "viewer"] == [1]


# --- HTTPS ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("https", [True, False])
def test_secure_cookie_and_hsts_exactly_when_served_behind_https(https: bool, store: Any, tmp_path: Path) -> None:
    server = serve(store, tmp_path, https=https)
    try:
        client = Client(server.base_url, follow=False)
        _, form_headers, form = client.request("/login")
        # Sent by hand: a cookie jar keeps a Secure cookie from going back over plain HTTP.
        cookie_header = {"cookie": form_headers["set-cookie"].split(";")[0]}
        token = re.search(rb'name="csrf_token" value="([^"]+)"', form).group(1).decode()
        status, headers, _ = client.request("/login", {"csrf_token": token, "name": "viewer", "password": PASSWORD},
                                            cookie_header)
        assert status == 303
        cookie = headers["set-cookie"].lower()
        assert cookie.startswith("nianbao_session=")
        assert ("; secure" in cookie) is https
        assert ("strict-transport-security" in {k.lower() for k in headers}) is https
        login_page = client.request("/login")[1]
        assert ("strict-transport-security" in {k.lower() for k in login_page}) is https
    finally:
        server.stop()


# --- throttling -------------------------------------------------------------------------------------------


def _post_login(client: Client, name: str, password: str) -> tuple[int, dict[str, str], str]:
    token = client.csrf()
    status, headers, body = client.request("/login", {"csrf_token": token, "name": name, "password": password})
    return status, headers, body.decode()


def test_the_sixth_wrong_password_locks_the_account_even_for_the_right_one(served: RunningServer) -> None:
    client = Client(served.base_url, follow=False)
    for _ in range(5):
        assert _post_login(client, "viewer", "wrong password")[0] == 401
    status, headers, body = _post_login(client, "viewer", PASSWORD)
    assert status == 429
    assert "登录失败次数过多" in body
    assert 0 < int(headers["retry-after"]) <= 15 * 60
    assert not opens_pages(client)
    assert logged_in(served, "reviewer")  # another account is not locked


def test_a_locked_account_is_refused_without_checking_its_password(
    served: RunningServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = Client(served.base_url, follow=False)
    for _ in range(5):
        assert _post_login(client, "viewer", "wrong password")[0] == 401
    checked: list[str] = []
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checked.append(p) or False)
    assert _post_login(client, "viewer", PASSWORD)[0] == 429
    assert checked == []


def _login_from(server: RunningServer, source: str, name: str, password: str) -> int:
    """A login POSTed from another loopback address (127.0.0.x), with its own cookie and CSRF token."""
    port = urllib.parse.urlsplit(server.base_url).port

    def call(method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.body = response.read()
        conn.close()
        return response

    form = call("GET", "/login")
    cookie = form.getheader("set-cookie").split(";")[0]
    token = re.search(rb'name="csrf_token" value="([^"]+)"', form.body).group(1).decode()
    body = urllib.parse.urlencode({"csrf_token": token, "name": name, "password": password})
    answer = call("POST", "/login", body, {"cookie": cookie, "content-type": "application/x-www-form-urlencoded"})
    return int(answer.status)


def test_twenty_wrong_passwords_from_one_address_lock_that_address_only(served: RunningServer) -> None:
    for number in range(20):  # a different name each time: no account reaches its own limit
        assert _login_from(served, "127.0.0.2", f"guess-{number}", "wrong password") == 401
    assert _login_from(served, "127.0.0.2", "reviewer", PASSWORD) == 429
    assert _login_from(served, "127.0.0.3", "reviewer", PASSWORD) == 303


def test_dashboard_replicas_sharing_a_redis_store_share_the_failure_count(store: Any, tmp_path: Path) -> None:
    """Two dashboard processes behind one address: wrong passwords tried on either count for both."""
    settings = Settings(database_url=store.database_url, blob_dir=tmp_path / "blobs", dashboard=DashboardSettings(
        secret_key="test-secret", login_failure_store="redis://127.0.0.1:6379/0", login_failures_per_account=4))
    first, second = start_server(settings, store), start_server(settings, store)
    try:
        account = f"viewer-{time.monotonic_ns()}"  # Redis outlives the test: a name of its own
        add_user(store, account, PASSWORD, "viewer")
        for server in (first, second, first, second):
            assert _post_login(Client(server.base_url, follow=False), account, "wrong password")[0] == 401
        assert _post_login(Client(second.base_url, follow=False), account, PASSWORD)[0] == 429
        assert _post_login(Client(first.base_url, follow=False), account, PASSWORD)[0] == 429
    finally:
        first.stop()
        second.stop()


# --- the cap on concurrent password checks ----------------------------------------------------------------


class CountingHasher:
    """The real argon2 hasher, counting how many verifications run at once (each made to last a moment so
    that unbounded logins would overlap)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.calls = 0

    def verify(self, password_hash: str, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(0.2)
            result: bool = self.real.verify(password_hash, password)
            return result
        finally:
            with self.lock:
                self.running -= 1


def test_parallel_logins_run_at_most_password_checks_hashes_at_once(
    served: RunningServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", hasher)
    statuses: list[int] = []

    def login() -> None:
        statuses.append(Client(served.base_url, follow=False).login("viewer"))

    threads = [threading.Thread(target=login) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [303] * 12 and hasher.calls == 12
    assert hasher.peak == 2  # twelve logins at once, two password checks at a time
    assert DashboardSettings().password_checks == 2  # the default the server above runs with
